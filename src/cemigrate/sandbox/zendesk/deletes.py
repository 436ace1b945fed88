"""The Zendesk emulator's bulk and permanent deletes, as a rollback uses them.

As Zendesk documents them:

- ``DELETE /api/v2/tickets/destroy_many?ids=`` (up to 100) soft-deletes tickets in a job; a
  soft-deleted ticket is listed by ``GET /api/v2/deleted_tickets`` until it is deleted for good
  by ``DELETE /api/v2/deleted_tickets/destroy_many?ids=`` (up to 100, "permanently deletes up
  to 100 soft-deleted tickets", a job; "if one ticket fails to be deleted, the endpoint still
  attempts to delete the others").
  https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#delete-multiple-tickets-permanently
- ``DELETE /api/v2/users/destroy_many?ids=`` (up to 100, a job whose results say
  ``"status": "Deleted"`` per id) soft-deletes users; ``DELETE /api/v2/deleted_users/{id}``
  deletes one for good ("before permanently deleting a user, you must delete the user first";
  700 every 10 minutes).
  https://developer.zendesk.com/api-reference/ticketing/users/users/#bulk-delete-users
- ``DELETE /api/v2/organizations/destroy_many?ids=``, ``/group_memberships/destroy_many`` and
  ``/organization_memberships/destroy_many`` (up to 100 each, a job).
  https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#bulk-delete-organizations

Here every job's results name each id with ``success`` and, for one the account does not hold
(or, for a permanent delete, one not soft-deleted), ``"error": "RecordNotFound"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cemigrate.sandbox.web import Reply
from cemigrate.sandbox.zendesk.exceptions import RecordNotFound
from cemigrate.sandbox.zendesk.models import ZendeskBackend
from cemigrate.sandbox.zendesk.responses import Request, _ids, _int

Json = dict[str, Any]

__all__ = [
    "destroy_many",
    "destroy_many_deleted_tickets",
    "destroy_many_users",
    "permanently_delete_user",
]


def _job(backend: ZendeskBackend, req: Request, job_type: str, one: Callable[[int], bool]) -> Reply:
    """A job that calls ``one`` on each id of ``?ids=`` (up to 100); False: not found."""
    ids = [_int(i) for i in _ids(req.query.get("ids"), "ids")]

    def work() -> list[Json]:
        out: list[Json] = []
        for index, rid in enumerate(ids):
            if one(rid):
                out.append({"index": index, "id": rid, "success": True, "status": "Deleted"})
            else:
                out.append(
                    {
                        "index": index,
                        "id": rid,
                        "success": False,
                        "error": "RecordNotFound",
                        "status": "Failed",
                    }
                )
        backend.touch()
        return out

    job = backend.start_job(job_type, len(ids), work)
    return Reply(200, {"job_status": job.as_json()})


def destroy_many_deleted_tickets(backend: ZendeskBackend, req: Request) -> Reply:
    """``DELETE /api/v2/deleted_tickets/destroy_many?ids=``: soft-deleted tickets for good."""

    def one(tid: int) -> bool:
        state = backend.ticket_state.get(tid)
        if state is None or not state.deleted:
            return False
        for table in (backend.tickets, backend.ticket_state, backend.comments):
            table.pop(tid, None)
        backend.metrics.pop(tid, None)
        backend.ratings.pop(tid, None)
        return True

    return _job(backend, req, "permanent_ticket_delete", one)


def destroy_many_users(backend: ZendeskBackend, req: Request) -> Reply:
    """``DELETE /api/v2/users/destroy_many?ids=``: soft-delete (kept in ``deleted_users``)."""

    def one(uid: int) -> bool:
        user = backend.users.pop(uid, None)
        if user is None:
            return False
        backend.deleted_users[uid] = {**user, "active": False}
        backend.forget_user_index()
        return True

    return _job(backend, req, "bulk_delete", one)


def permanently_delete_user(backend: ZendeskBackend, req: Request, id: str) -> Reply:
    """``DELETE /api/v2/deleted_users/{id}``: 200 with the user, 404 unless soft-deleted."""
    user = backend.deleted_users.pop(_int(id), None)
    if user is None:
        raise RecordNotFound()
    backend.identities.pop(_int(id), None)
    return Reply(200, {"deleted_user": user})


def destroy_many(table: str) -> Callable[[ZendeskBackend, Request], Reply]:
    """``DELETE /api/v2/<table>/destroy_many?ids=`` for organizations and memberships."""

    def handler(backend: ZendeskBackend, req: Request) -> Reply:
        records: dict[int, Json] = getattr(backend, table)

        def one(rid: int) -> bool:
            return records.pop(rid, None) is not None

        return _job(backend, req, "bulk_delete", one)

    return handler


def _tables(backend: ZendeskBackend, path: str) -> dict[int, Json] | None:
    """The account's table a setup delete path names (``groups``, ``triggers``, ...)."""
    config = backend.config
    owner = path.removesuffix("_fields")
    if path.endswith("_fields") and owner in backend.fields:
        return backend.fields[owner]
    named: dict[str, dict[int, Json]] = {
        "groups": backend.groups,
        "slas/policies": backend.sla_policies,
        "brands": config.brands,
        "ticket_forms": config.ticket_forms,
        "business_hours/schedules": config.schedules,
    }
    return named.get(path, backend.rules.get(path))


def delete_setup(path: str) -> Callable[[ZendeskBackend, Request, str], Reply]:
    """``DELETE /api/v2/<path>/{id}`` for a group, a custom field, a business rule, an SLA
    policy, a brand, a ticket form or a schedule: 204, or 404 for an id the account lacks."""

    def handler(backend: ZendeskBackend, req: Request, id: str) -> Reply:
        table = _tables(backend, path)
        if table is None or table.pop(_int(id), None) is None:
            raise RecordNotFound()
        if path.endswith("_fields"):
            owner = path.removesuffix("_fields")
            for key in [
                k for k, v in backend.field_keys.items() if k[0] == owner and v == _int(id)
            ]:
                del backend.field_keys[key]
        if path == "business_hours/schedules":
            backend.config.holidays.pop(_int(id), None)
        return Reply(204)

    return handler


#: What :func:`delete_setup` serves (Zendesk's reference: groups#delete-group,
#: ticket_fields#delete-ticket-field, user_fields#delete-user-field,
#: organization_fields#delete-organization-field, triggers#delete-trigger (and automations,
#: macros, views), sla_policies#delete-sla-policy, brands#delete-brand,
#: ticket_forms#delete-ticket-form, schedules#delete-schedule).
SETUP_PATHS: tuple[str, ...] = (
    "groups",
    "ticket_fields",
    "user_fields",
    "organization_fields",
    "triggers",
    "automations",
    "macros",
    "views",
    "slas/policies",
    "brands",
    "ticket_forms",
    "business_hours/schedules",
)
