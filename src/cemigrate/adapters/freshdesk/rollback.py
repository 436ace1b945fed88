"""What a rollback does in a Freshdesk account: its deletes, one record a call, and change times.

Freshdesk documents no bulk delete for tickets, contacts or companies, so each goes in its own
call (https://developers.freshdesk.com/api/#delete_ticket, #delete_contact, #delete_company):

- a ticket: ``DELETE /api/v2/tickets/{id}`` moves it to the trash with its conversations;
  the API has no call that empties the trash (Freshdesk purges it after 30 days), so a
  rolled-back ticket stays restorable there until then;
- a contact: ``DELETE /api/v2/contacts/{id}`` (soft: listed with ``state=deleted``), then
  ``DELETE /api/v2/contacts/{id}/hard_delete`` for good;
- a company: ``DELETE /api/v2/companies/{id}`` (for good);
- a group: ``DELETE /api/v2/groups/{id}`` (#delete_group); an automation rule:
  ``DELETE /api/v2/automations/{type}/rules/{id}`` (#delete_automation_rule);
- a custom field: ``DELETE /api/v2/admin/ticket_fields/{id}`` (#delete_ticket_field),
  ``DELETE /api/v2/contact_fields/{id}`` (#delete_contact_field) or
  ``DELETE /api/v2/company_fields/{id}`` (#delete_company_field). The ledger holds a field's
  bare id, so the three field lists are read once (three calls) to find which object's custom
  field it is; an id none of them holds as a custom field is gone already, and one that two
  of them hold (the objects number their fields apart) is refused rather than guessed.

SLA policies and products (brands) are listed as left: the API documents no delete of either.

A company membership is an attribute of its contact (``company_id``): it goes with the
contact or the company. A group membership is taken back out of the group's ``agent_ids``.
An id answered 404 (or 405: already in the trash or soft-deleted) counts as deleted, so a
resumed rollback may send it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from cemigrate.adapters.freshdesk.client import FreshdeskClient
from cemigrate.errors import RecordError
from cemigrate.schema import Kind

__all__ = ["delete", "last_changed"]

_PATHS: Final = {
    Kind.TICKET: "/api/v2/tickets/{}",
    Kind.USER: "/api/v2/contacts/{}",
    Kind.ORGANIZATION: "/api/v2/companies/{}",
    Kind.GROUP: "/api/v2/groups/{}",
}
_WITH_OWNER: Final = frozenset(
    {
        Kind.ORGANIZATION_MEMBERSHIP,
        Kind.SLA_EVENT,
        Kind.TICKET_METRICS,
        Kind.SATISFACTION_RATING,
    }
)


def _gone(exc: RecordError) -> bool:
    """Whether a refused delete says the record is gone already (404, or 405 in the trash)."""
    said = f"{exc} "
    return " 404 " in said or " 405 " in said


def _delete(client: FreshdeskClient, path: str) -> None:
    try:
        client.request("DELETE", path)
    except RecordError as exc:
        if not _gone(exc):
            raise


def delete(client: FreshdeskClient, kind: Kind, target_ids: Sequence[str]) -> None:
    """Delete records of ``kind`` by id (contacts for good); see the module's description."""
    if kind in _WITH_OWNER:
        return
    if kind is Kind.GROUP_MEMBERSHIP:  # "<group>-<agent>": the agent leaves the group
        _leave_groups(client, target_ids)
        return
    if kind is Kind.RULE:  # "automations/<type>/<id>"
        for target_id in target_ids:
            _, kind_id, rule_id = target_id.split("/")
            _delete(client, f"/api/v2/automations/{kind_id}/rules/{rule_id}")
        return
    if kind is Kind.FIELD:
        _delete_fields(client, target_ids)
        return
    path = _PATHS.get(kind)
    if path is None:
        raise RecordError(f"freshdesk target: deleting {kind} records is not supported")
    for target_id in target_ids:
        _delete(client, path.format(target_id))
        if kind is Kind.USER:
            _delete(client, f"{path.format(target_id)}/hard_delete")


_FIELD_PATHS: Final = (
    ("/api/v2/admin/ticket_fields", "/api/v2/admin/ticket_fields/{}"),
    ("/api/v2/contact_fields", "/api/v2/contact_fields/{}"),
    ("/api/v2/company_fields", "/api/v2/company_fields/{}"),
)
"""Where each object's fields are listed, and where one of them is deleted."""


def _delete_fields(client: FreshdeskClient, target_ids: Sequence[str]) -> None:
    """Delete custom fields by id through the list that holds each; see the module's text."""
    homes: dict[str, list[str]] = {}
    for listed, one in _FIELD_PATHS:
        for field in client.get_json(listed) or []:
            if not field.get("default"):
                homes.setdefault(str(field.get("id")), []).append(one)
    doubtful = [t for t in target_ids if len(homes.get(t, ())) > 1]
    for target_id in target_ids:
        if len(homes.get(target_id, ())) == 1:
            _delete(client, homes[target_id][0].format(target_id))
    if doubtful:
        raise RecordError(
            "freshdesk target: more than one object has a custom field with id "
            + ", ".join(doubtful)
        )


def _leave_groups(client: FreshdeskClient, target_ids: Sequence[str]) -> None:
    """Take each agent out of its group: ``PUT /api/v2/groups/{id}`` with the group's
    ``agent_ids`` less them (the list replaces the members); a group gone took them along."""
    leaving: dict[str, set[int]] = {}
    for target_id in target_ids:
        group, _, agent = target_id.partition("-")
        leaving.setdefault(group, set()).add(int(agent))
    for group, agents in leaving.items():
        try:
            members = client.get_json(f"/api/v2/groups/{group}").get("agent_ids") or []
        except RecordError as exc:
            if _gone(exc):
                continue
            raise
        kept = [a for a in members if int(a) not in agents]
        if len(kept) != len(members):
            client.request("PUT", f"/api/v2/groups/{group}", json={"agent_ids": kept})


def last_changed(
    client: FreshdeskClient, kind: Kind, target_ids: Sequence[str]
) -> dict[str, datetime | None]:
    """``updated_at`` of each ticket, contact or company (one read each: Freshdesk has no
    read by many ids); None for one gone, or a ticket in the trash. A soft-deleted contact
    is not reported: the rollback's delete finishes it."""
    path = _PATHS.get(kind)
    if path is None:
        return {}
    out: dict[str, datetime | None] = {}
    for target_id in target_ids:
        try:
            body = client.get_json(path.format(target_id))
        except RecordError as exc:
            if " 404 " in f"{exc} ":
                out[target_id] = None
                continue
            raise
        if body.get("deleted"):
            if kind is Kind.TICKET:
                out[target_id] = None
            continue
        stamp = body.get("updated_at")
        if stamp:
            out[target_id] = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return out
