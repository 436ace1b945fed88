"""Many Tooling API creates in few calls: the Tooling composite resource.

``POST /services/data/vXX.X/tooling/composite`` runs a series of Tooling REST requests in one
call that counts once against the org's API allowance (Tooling API Developer Guide, "Improve
Performance with the Composite Resource":
https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_resources_composite_composite.htm).
The page says: available from API 40.0; up to 25 subrequests a call (up to five of them
queries); the resources it runs are the Tooling sObject resources (``tooling/sobjects/``, so
``CustomField`` and ``Flow`` creates) and the Tooling query. The request and answer have the
REST API's composite shape ("Composite Request Body", "Composite Response Body" in the same
guide): ``{"allOrNone", "compositeRequest": [{method, url, referenceId, body}]}`` answered
``{"compositeResponse": [{body, httpHeaders, httpStatusCode, referenceId}]}``; with
``allOrNone`` false a failed subrequest leaves the others alone and the call itself answers
200.

:func:`create_tooling_records` sends creates 25 a call with ``allOrNone`` false and hands back
one outcome per create: the new record's id, or a :class:`~cemigrate.errors.RecordError`
carrying Salesforce's own message. A call whose answer is lost raises as a single create's
would (the client's :class:`~cemigrate.errors.WriteOutcomeUnknown` or
:class:`~cemigrate.errors.TransientError`), and so does a subrequest the org could not run
(a 5xx): the caller reads the org again before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from cemigrate.adapters.salesforce.client import SalesforceClient, error_message
from cemigrate.errors import RecordError, TransientError

__all__ = ["MAX_SUBREQUESTS", "ToolingCreate", "create_tooling_records"]

MAX_SUBREQUESTS: Final = 25
"""Most subrequests one Tooling composite call takes."""


@attrs.frozen
class ToolingCreate:
    """One ``POST /tooling/sobjects/{sobject}`` to send in a composite call."""

    sobject: str
    """The Tooling sObject: ``CustomField``, ``Flow``..."""
    body: Mapping[str, Any]
    what: str
    """What it does, for messages: ``create field Case.Tier__c``."""


def create_tooling_records(
    client: SalesforceClient, creates: Sequence[ToolingCreate]
) -> list[str | RecordError]:
    """Send ``creates`` as Tooling composite calls of at most 25 subrequests, in order; per
    create, the id Salesforce gave the new record or the error it answered. A call Salesforce
    refuses whole (a 400) is the refusal of every create in it."""
    outcomes: list[str | RecordError] = []
    base = f"/services/data/v{client.api_version}/tooling/sobjects"
    for start in range(0, len(creates), MAX_SUBREQUESTS):
        chunk = creates[start : start + MAX_SUBREQUESTS]
        subrequests = [
            {
                "method": "POST",
                "url": f"{base}/{create.sobject}",
                "referenceId": f"create{number}",
                "body": dict(create.body),
            }
            for number, create in enumerate(chunk)
        ]
        what = f"{chunk[0].what} and {len(chunk) - 1} more" if len(chunk) > 1 else chunk[0].what
        try:
            body = client.rest(
                "tooling/composite",
                method="POST",
                json_body={"allOrNone": False, "compositeRequest": subrequests},
                what=what,
            )
        except RecordError as exc:
            outcomes.extend(exc for _ in chunk)
            continue
        answers = _answers(body, len(chunk))
        for number, create in enumerate(chunk):
            outcomes.append(_outcome(answers[f"create{number}"], create))
    return outcomes


def _answers(body: Any, expected: int) -> dict[str, Mapping[str, Any]]:
    """The subrequests' answers by reference id; every one must be there."""
    items = body.get("compositeResponse") if isinstance(body, Mapping) else None
    answers = {
        str(item.get("referenceId")): item for item in items or () if isinstance(item, Mapping)
    }
    if len(answers) != expected or any(f"create{n}" not in answers for n in range(expected)):
        raise TransientError(
            f"salesforce answered {len(answers)} subrequests of a Tooling composite call"
            f" of {expected}"
        )
    return answers


def _outcome(answer: Mapping[str, Any], create: ToolingCreate) -> str | RecordError:
    status = int(answer.get("httpStatusCode") or 0)
    body = answer.get("body")
    if 200 <= status < 300 and isinstance(body, Mapping) and body.get("id"):
        return str(body["id"])
    if status >= 500 or status < 400:
        raise TransientError(
            f"salesforce answered {status} to {create.what} in a Tooling composite call:"
            f" {error_message(body)}"
        )
    return RecordError(
        f"salesforce answered {status} to {create.what}", platform_message=error_message(body)
    )
