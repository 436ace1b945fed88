"""What a rollback does in a Zendesk account: bulk deletes, permanent deletes, change times.

Zendesk's cheapest documented deletes, 100 ids a call, each a job:

- tickets: ``DELETE /api/v2/tickets/destroy_many?ids=`` (soft: comments and attachments go
  with the ticket), then ``DELETE /api/v2/deleted_tickets/destroy_many?ids=`` for good
  (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#bulk-delete-tickets,
  #delete-multiple-tickets-permanently);
- users: ``DELETE /api/v2/users/destroy_many?ids=`` then, one by one (the only way Zendesk
  offers, 700 every 10 minutes), ``DELETE /api/v2/deleted_users/{id}``
  (https://developer.zendesk.com/api-reference/ticketing/users/users/#bulk-delete-users);
- organizations and memberships: ``DELETE /api/v2/<plural>/destroy_many?ids=``;
- setup (groups, custom fields, business rules, SLA policies, brands, ticket forms,
  schedules): ``DELETE /api/v2/<path>/{id}``, one a call; custom statuses cannot be deleted.

A job result that says an id was not found counts as deleted: a resumed rollback sends again
what an interrupted one may have sent. Change times come from ``show_many`` (100 ids a call):
an organization it leaves out is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.errors import RecordError
from cemigrate.schema import Kind

__all__ = ["delete", "last_changed"]

_PAGE: Final = 100
_BULK: Final = {
    Kind.TICKET: "tickets",
    Kind.USER: "users",
    Kind.ORGANIZATION: "organizations",
    Kind.GROUP_MEMBERSHIP: "group_memberships",
    Kind.ORGANIZATION_MEMBERSHIP: "organization_memberships",
}
#: Setup deleted one record a call (``DELETE /api/v2/<path>/{id}``; groups#delete-group,
#: brands#delete-brand, ticket_forms#delete-ticket-form, schedules#delete-schedule,
#: ticket_fields/user_fields/organization_fields, triggers (and automations, macros, views),
#: sla_policies#delete-sla-policy in Zendesk's API reference). Custom ticket statuses cannot be
#: deleted, only deactivated: they are left.
_SETUP: Final = {
    Kind.GROUP: "groups",
    Kind.BRAND: "brands",
    Kind.TICKET_FORM: "ticket_forms",
    Kind.SCHEDULE: "business_hours/schedules",
}
_FIELD_OWNERS: Final = ("ticket", "user", "organization")
_SHOWN: Final = {Kind.TICKET: "tickets", Kind.USER: "users", Kind.ORGANIZATION: "organizations"}
#: Kinds that go with their ticket (its comments, metrics, rating and SLA notes).
_WITH_TICKET: Final = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS, Kind.SATISFACTION_RATING})

Wait = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _chunks(ids: Sequence[str]) -> list[str]:
    return [",".join(ids[start : start + _PAGE]) for start in range(0, len(ids), _PAGE)]


def _job(client: ZendeskClient, wait: Wait, path: str, ids: str) -> None:
    """One bulk call and its job; ids the job did not find count as deleted."""
    body = client.request("DELETE", path, params={"ids": ids}).json()
    job = wait(body["job_status"])
    for result in job.get("results") or []:
        refused = isinstance(result, dict) and not result.get("success", True)
        if refused and result.get("error") not in ("RecordNotFound", None):
            raise RecordError(
                f"zendesk did not delete {result.get('id')}",
                platform_message=str(result.get("error") or result.get("details") or ""),
            )


def _gone(exc: RecordError) -> bool:
    return " 404 " in f"{exc} "


def _delete_one(client: ZendeskClient, paths: Sequence[str]) -> None:
    """``DELETE`` the first of ``paths`` that names the record; 404 on all: gone already."""
    for path in paths:
        try:
            client.request("DELETE", path)
        except RecordError as exc:
            if not _gone(exc):
                raise
        else:
            return


def _setup_paths(kind: Kind, target_id: str) -> list[str]:
    """Where one setup record of ``kind`` is deleted (a field: under each object in turn)."""
    if kind is Kind.FIELD:
        return [f"/api/v2/{owner}_fields/{target_id}.json" for owner in _FIELD_OWNERS]
    if kind is Kind.RULE:  # "triggers/123"
        return [f"/api/v2/{target_id}.json"]
    if kind is Kind.SLA_POLICY:  # "sla_policies/123"
        return [f"/api/v2/slas/policies/{target_id.rpartition('/')[2]}.json"]
    return [f"/api/v2/{_SETUP[kind]}/{target_id}.json"]


def delete(client: ZendeskClient, wait: Wait, kind: Kind, target_ids: Sequence[str]) -> None:
    """Delete records of ``kind`` by id, for good where Zendesk asks for a second call."""
    if kind in _WITH_TICKET:
        return  # they went with their ticket
    if kind in _SETUP or kind in (Kind.FIELD, Kind.RULE, Kind.SLA_POLICY):
        for target_id in target_ids:
            _delete_one(client, _setup_paths(kind, target_id))
        return
    plural = _BULK.get(kind)
    if kind is Kind.CUSTOM_STATUS:
        raise RecordError(
            "zendesk target: Zendesk cannot delete custom ticket statuses, only deactivate them"
        )
    if plural is None:
        raise RecordError(f"zendesk target: deleting {kind} records is not supported")
    for chunk in _chunks(target_ids):
        _job(client, wait, f"/api/v2/{plural}/destroy_many.json", chunk)
        if kind is Kind.TICKET:
            _job(client, wait, "/api/v2/deleted_tickets/destroy_many.json", chunk)
    if kind is Kind.USER:
        for target_id in target_ids:
            _delete_one(client, [f"/api/v2/deleted_users/{target_id}.json"])


def last_changed(
    client: ZendeskClient, kind: Kind, target_ids: Sequence[str]
) -> dict[str, datetime | None]:
    """``updated_at`` of each record ``show_many`` returns; None for an organization it leaves
    out. A ticket or user left out may be soft-deleted only: it is not reported, so that the
    rollback sends its delete, which finishes it."""
    plural = _SHOWN.get(kind)
    if plural is None:
        return {}
    out: dict[str, datetime | None] = {}
    for chunk in _chunks(target_ids):
        body = client.get_json(f"/api/v2/{plural}/show_many.json", ids=chunk)
        for record in body.get(plural) or []:
            stamp = record.get("updated_at")
            if stamp:
                out[str(record["id"])] = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    if kind is Kind.ORGANIZATION:
        out.update({i: None for i in target_ids if i not in out})
    return out
