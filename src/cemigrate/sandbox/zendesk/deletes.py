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
