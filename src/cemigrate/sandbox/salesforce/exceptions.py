"""The errors the Salesforce emulator answers with, in Salesforce's shapes.

REST calls answer ``[{"message", "errorCode", "fields"}]`` with an HTTP status; collections
(``composite/sobjects``) put the same error per record as ``{"statusCode", "message",
"fields"}``; OAuth answers ``{"error", "error_description"}``; SOAP ``login`` answers a SOAP
fault. Handlers raise; the router renders (as moto's services do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ErrorList",
    "MultipleMatches",
    "OAuthError",
    "SalesforceError",
    "SoapFault",
    "invalid_session",
    "not_found",
]


class SalesforceError(Exception):
    """An error Salesforce reports as ``errorCode`` + ``message`` (+ ``fields``)."""

    def __init__(
        self,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.fields = None if fields is None else list(fields)
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> list[dict[str, Any]]:
        """The REST body: a list with one error."""
        error: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            error["fields"] = self.fields
        return [error]

    def record_error(self) -> dict[str, Any]:
        """The error as a collection result lists it (``statusCode``, not ``errorCode``)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields or []}


class ErrorList(SalesforceError):
    """Several errors in one answer (a flow that fails validation in more than one place)."""

    def __init__(self, errors: Sequence[tuple[str, str, Sequence[str]]], *, status: int = 400):
        code, message, fields = errors[0]
        super().__init__(code, message, fields, status=status)
        self.errors = [(c, m, list(f)) for c, m, f in errors]

    def body(self) -> list[dict[str, Any]]:
        """The REST body: one error per problem, in order."""
        return [{"message": m, "errorCode": c, "fields": f} for c, m, f in self.errors]


class MultipleMatches(SalesforceError):
    """An upsert whose external id value matches several records: 300 with their URLs."""

    def __init__(self, field: str, urls: Sequence[str]) -> None:
        super().__init__(
            "MULTIPLE_CHOICES",
            f"Multiple records matched the {field} value",
            status=300,
        )
        self.urls = list(urls)


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    """404 ``NOT_FOUND``."""
    return SalesforceError("NOT_FOUND", message, status=404)


def invalid_session() -> SalesforceError:
    """401 ``INVALID_SESSION_ID``: no bearer token, or one the org does not know."""
    return SalesforceError("INVALID_SESSION_ID", "Session expired or invalid", status=401)


class OAuthError(Exception):
    """An OAuth token endpoint error: ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class SoapFault(Exception):
    """A SOAP ``login`` fault (``sf:INVALID_LOGIN``), answered with HTTP 500."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def xml(self) -> bytes:
        """The fault envelope Salesforce sends."""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:sf="urn:fault.partner.soap.sforce.com"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body><soapenv:Fault>"
            f"<faultcode>sf:{self.code}</faultcode>"
            f"<faultstring>{self.code}: {_xml(self.message)}</faultstring>"
            '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
            f"<sf:exceptionCode>{self.code}</sf:exceptionCode>"
            f"<sf:exceptionMessage>{_xml(self.message)}</sf:exceptionMessage>"
            "</sf:LoginFault></detail>"
            "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        ).encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
