"""The errors the Freshdesk emulator answers with, in Freshdesk API v2's shapes.

Each error knows its HTTP status and body; the router turns a raised :class:`FreshdeskError`
into the response, so handlers simply raise (as moto's services do). Bodies follow the error
section of the API v2 reference: validation errors are 400 (409 for a duplicate) with
``{"description": "Validation failed", "errors": [{"field", "message", "code"}]}``; other
errors carry ``{"code", "message"}``; a missing record is a 404 with an empty body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "AccessDenied",
    "Conflict",
    "FieldError",
    "FreshdeskError",
    "MethodNotAllowed",
    "NotFound",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
    "field_error",
]

FieldError = dict[str, object]
"""One entry of a validation error's ``errors`` list."""


def field_error(field: str, message: str, code: str = "invalid_value") -> FieldError:
    """``{"field": field, "message": message, "code": code}``."""
    return {"field": field, "message": message, "code": code}


class FreshdeskError(Exception):
    """An error response: ``status`` and the JSON ``body`` (``None``: empty) sent with it."""

    status: int = 400

    def __init__(
        self, body: Mapping[str, object] | None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(str(body))
        self.body = None if body is None else dict(body)
        self.headers = dict(headers or {})


class ValidationFailed(FreshdeskError):
    """400 ``{"description": "Validation failed", "errors": [...]}``."""

    status = 400

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__({"description": "Validation failed", "errors": list(errors)})

    @classmethod
    def one(cls, field: str, message: str, code: str = "invalid_value") -> ValidationFailed:
        """A validation error about one field."""
        return cls([field_error(field, message, code)])


class Conflict(FreshdeskError):
    """409 for a value that must be unique (``duplicate_value``), with the holder's id."""

    status = 409

    def __init__(self, field: str, holder_id: int, holder: str = "user_id") -> None:
        super().__init__(
            {
                "description": "Validation failed",
                "errors": [
                    {
                        "field": field,
                        "additional_info": {holder: holder_id},
                        "message": "It should be a unique value",
                        "code": "duplicate_value",
                    }
                ],
            }
        )


class Unauthorized(FreshdeskError):
    """401 ``invalid_credentials``."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            {
                "code": "invalid_credentials",
                "message": "You have to be logged in to perform this action.",
            }
        )


class AccessDenied(FreshdeskError):
    """403 ``access_denied`` (e.g. a feature this account does not have)."""

    status = 403

    def __init__(self) -> None:
        super().__init__(
            {"code": "access_denied", "message": "You are not authorized to perform this action."}
        )


class NotFound(FreshdeskError):
    """404 with an empty body: an unknown id or an unknown URL."""

    status = 404

    def __init__(self) -> None:
        super().__init__(None)


class MethodNotAllowed(FreshdeskError):
    """405: a known path with another verb, or a change to a deleted or spam record."""

    status = 405

    def __init__(self, allowed: Sequence[str] = ()) -> None:
        methods = ", ".join(allowed) if allowed else "GET"
        super().__init__(
            {
                "message": "This method is not allowed. It should be one of these method(s):"
                f" {methods}"
            }
        )


class TooManyRequests(FreshdeskError):
    """429 with ``Retry-After`` (the account's or an endpoint's per-minute limit is spent)."""

    status = 429

    def __init__(self, retry_after: int, headers: Mapping[str, str]) -> None:
        super().__init__(
            {"message": "You have exceeded the limit of requests per minute"},
            {**headers, "Retry-After": str(retry_after)},
        )
