"""The request the Salesforce emulator's handlers read, and the reply they return."""

from __future__ import annotations

from typing import Any

from cemigrate.sandbox.salesforce.exceptions import SalesforceError
from cemigrate.sandbox.salesforce.models import MAX_JSON_BODY_BYTES
from cemigrate.sandbox.web import Reply, SandboxRequest

__all__ = ["Reply", "Request"]

Json = Any


class Request(SandboxRequest):
    """One HTTP request, as the Salesforce handlers see it (a werkzeug request)."""

    empty_json = b"null"

    def json_value(self) -> Json:
        """The body as JSON (413 past the size limit, 400 ``JSON_PARSER_ERROR`` if not JSON)."""
        if len(self.body) > MAX_JSON_BODY_BYTES:
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                f"Maximum size of request reached. Maximum size of request is"
                f" {MAX_JSON_BODY_BYTES} bytes.",
                status=413,
            )
        return super().json_value()

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """A body that is not JSON: 400 ``JSON_PARSER_ERROR`` naming what the parser saw."""
        raise SalesforceError(
            "JSON_PARSER_ERROR", f"Unexpected character: was expecting JSON ({e})"
        ) from None

    def not_a_json_object(self) -> Exception:
        """JSON that is not an object (an array, a number, nothing)."""
        return SalesforceError(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of object from START_ARRAY value",
        )
