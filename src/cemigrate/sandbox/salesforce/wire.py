"""The request and reply the Salesforce emulator's handlers exchange."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

from cemigrate.sandbox.salesforce.exceptions import SalesforceError
from cemigrate.sandbox.salesforce.models import MAX_JSON_BODY_BYTES

__all__ = ["Reply", "Request", "parse_query"]

Json = Any


@attrs.frozen
class Request:
    """One HTTP request, as the handlers see it."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    headers: Mapping[str, str]
    """Header names in lower case."""

    def json(self) -> Json:
        """The body as JSON (400 ``JSON_PARSER_ERROR`` if it is not)."""
        if len(self.body) > MAX_JSON_BODY_BYTES:
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                f"Maximum size of request reached. Maximum size of request is"
                f" {MAX_JSON_BODY_BYTES} bytes.",
                status=413,
            )
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Unexpected character: was expecting JSON ({exc})"
            ) from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object."""
        body = self.json()
        if not isinstance(body, dict):
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                "Cannot deserialize instance of object from START_ARRAY value",
            )
        return body


@attrs.frozen
class Reply:
    """A handler's answer: JSON ``body`` or ``raw`` bytes with ``content_type``."""

    status: int = 200
    body: Json = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    raw: bytes | None = None
    content_type: str | None = None


def parse_query(text: str) -> dict[str, str]:
    """A query string as a dict (the last value of a repeated parameter wins)."""
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
