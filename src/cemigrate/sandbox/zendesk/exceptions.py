"""The errors the Zendesk emulator answers with, in Zendesk's JSON shapes.

Each error knows its HTTP status and body; the router turns a raised :class:`ZendeskError` into
the response, so handlers simply raise (as moto's services do).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BadRequest",
    "Forbidden",
    "InvalidPagination",
    "MethodNotAllowed",
    "RecordInvalid",
    "RecordNotFound",
    "TooManyRequests",
    "TooRecent",
    "Unauthorized",
    "ZendeskError",
]


class ZendeskError(Exception):
    """An error response: ``status`` and the JSON ``body`` Zendesk sends with it."""

    status: int = 400

    def __init__(self, body: Mapping[str, object], headers: Mapping[str, str] | None = None):
        super().__init__(str(body))
        self.body = dict(body)
        self.headers = dict(headers or {})


class RecordNotFound(ZendeskError):
    """404 ``{"error": "RecordNotFound", "description": "Not found"}``."""

    status = 404

    def __init__(self) -> None:
        super().__init__({"error": "RecordNotFound", "description": "Not found"})


class RecordInvalid(ZendeskError):
    """422 with per-attribute ``details``: ``{"base": [{"description": ...}]}``."""

    status = 422

    def __init__(self, details: Mapping[str, list[dict[str, str]]]) -> None:
        super().__init__(
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": dict(details),
            }
        )

    @classmethod
    def base(cls, description: str) -> RecordInvalid:
        """A validation error not tied to one attribute."""
        return cls({"base": [{"description": description}]})


class Unauthorized(ZendeskError):
    """401 ``{"error": "Couldn't authenticate you"}``."""

    status = 401

    def __init__(self) -> None:
        super().__init__({"error": "Couldn't authenticate you"})


class Forbidden(ZendeskError):
    """403, e.g. a bulk job queue that is full."""

    status = 403

    def __init__(self, description: str) -> None:
        super().__init__({"error": "Forbidden", "description": description})


class BadRequest(ZendeskError):
    """400 with a Zendesk error code."""

    status = 400

    def __init__(self, error: str, description: str) -> None:
        super().__init__({"error": error, "description": description})


class InvalidPagination(BadRequest):
    """400 for a bad ``page[size]`` or cursor."""

    def __init__(self, description: str) -> None:
        super().__init__("InvalidPaginationParameter", description)


class TooRecent(ZendeskError):
    """422 for an export ``start_time`` in the last minute:
    ``{"error": "InvalidValue", "description": "Too recent start_time. ..."}`` (the body public
    clients record and match on the prefix "Too recent start_time."; older accounts said five
    minutes, the incremental exports reference now says one)."""

    status = 422

    def __init__(self) -> None:
        super().__init__(
            {
                "error": "InvalidValue",
                "description": "Too recent start_time. Use a start_time older than 1 minute",
            }
        )


class MethodNotAllowed(ZendeskError):
    """405 for a known path with a method the emulator does not serve."""

    status = 405

    def __init__(self) -> None:
        super().__init__({"error": "MethodNotAllowed", "description": "Method not allowed"})


class TooManyRequests(ZendeskError):
    """429 with ``Retry-After``."""

    status = 429

    def __init__(self, retry_after: int, headers: Mapping[str, str]) -> None:
        super().__init__(
            {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            },
            {**headers, "Retry-After": str(retry_after)},
        )
