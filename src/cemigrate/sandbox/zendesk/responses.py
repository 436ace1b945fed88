"""Request handlers of the Zendesk emulator: parse a request, act on the backend, shape the JSON.

Each handler takes a :class:`Request` and the path parameters and returns a :class:`Reply`;
errors are raised as :mod:`~cemigrate.sandbox.zendesk.exceptions`. The route table in
:mod:`~cemigrate.sandbox.zendesk.urls` says which handler serves which path.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cemigrate.sandbox.web import Reply, SandboxRequest
from cemigrate.sandbox.zendesk.exceptions import (
    BadRequest,
    InvalidPagination,
    RecordInvalid,
    RecordNotFound,
    TooRecent,
)
from cemigrate.sandbox.zendesk.models import (
    BASE,
    IMPORT_BATCH_LIMIT,
    TRIGGER_CATEGORIES,
    UPLOAD_TTL_SECONDS,
    Json,
    ZendeskBackend,
    batch_results,
    iso,
)

__all__ = ["Reply", "Request", "ZendeskResponses"]

EXPORT_PAGE = 1000
"""Items per incremental export page (observed on the real API)."""
METRIC_EVENTS_PAGE = 100
"""Items per ticket_metric_events page."""
LIST_PAGE = 100
"""Most items per page of a list endpoint."""
RECENT_SECONDS = 60
"""Exports leave out items changed in the minute before the request, as Zendesk's do."""
_EPOCH = re.compile(r"-?\d+(\.\d*)?")
"""A ``start_time`` Zendesk reads: epoch seconds, with or without a fraction."""


class Request(SandboxRequest):
    """One HTTP request, as the Zendesk handlers see it (a werkzeug request)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """A body that is not JSON: 400 ``InvalidJSON``."""
        raise BadRequest("InvalidJSON", "The request body is not valid JSON")

    def not_a_json_object(self) -> Exception:
        """JSON that is not an object: 400 ``InvalidJSON``."""
        return BadRequest("InvalidJSON", "The request body must be a JSON object")

    def number(self, name: str, default: int) -> int:
        """An integer query parameter (400 if it is not one)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest("InvalidValue", f"{name} must be an integer") from None

    def link(self, path: str, params: Mapping[str, object]) -> str:
        """An absolute URL on this host."""
        query = urlencode({k: v for k, v in params.items() if v is not None}, safe=",[]")
        return f"{self.base}{path}" + (f"?{query}" if query else "")


def _encode(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise InvalidPagination("cursor is invalid") from None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_id(cursor: str) -> int:
    """A list cursor this emulator issued (an id); anything else, such as a real Zendesk
    cursor (base64 of a JSON object), is 400 ``InvalidPaginationParameter``, never a 500."""
    value = _decode(cursor)
    if not _whole(value):
        raise InvalidPagination("cursor is invalid")
    return int(value)


def _decode_key(cursor: str, named: bool) -> int | tuple[str, int]:
    """A list cursor: an id, or with ``named`` a ``[name, id]`` pair (lists sorted by name);
    anything else is 400 as :func:`_decode_id`."""
    if not named:
        return _decode_id(cursor)
    value = _decode(cursor)
    if not (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and _whole(value[1])
    ):
        raise InvalidPagination("cursor is invalid")
    return str(value[0]), int(value[1])


def _encode_key(key: int | tuple[str, int]) -> str:
    return _encode(list(key) if isinstance(key, tuple) else key)


def _decode_position(cursor: str) -> tuple[int, int]:
    """An export cursor this emulator issued (``[epoch, id]``); else 400 as :func:`_decode_id`."""
    value = _decode(cursor)
    if not (isinstance(value, list) and len(value) == 2 and all(_whole(v) for v in value)):
        raise InvalidPagination("cursor is invalid")
    return int(value[0]), int(value[1])


def _ids(raw: str | None, name: str) -> list[str]:
    values = [v for v in (raw or "").split(",") if v]
    if not values:
        raise BadRequest("InvalidValue", f"{name} is required")
    if len(values) > LIST_PAGE:
        raise BadRequest("InvalidValue", f"at most {LIST_PAGE} {name} per request")
    return values


class ZendeskResponses:
    """The handlers, bound to one :class:`~cemigrate.sandbox.zendesk.models.ZendeskBackend`."""

    def __init__(self, backend: ZendeskBackend, *, api_email: str = "") -> None:
        self.backend = backend
        self.api_email = api_email
        """The e-mail the sandbox's credentials belong to (``/users/me``)."""
        self._metric_stream: tuple[int, list[tuple[int, int, Json]]] | None = None
        """The metric events by (epoch, id), and how many events it was built from."""
        """Brands, ticket forms, custom statuses and schedules (configuration.py)."""

    # -- pagination ------------------------------------------------------------------------

    def list_page(
        self,
        req: Request,
        key: str,
        items: Sequence[Json],
        *,
        keys: Sequence[int] | Sequence[tuple[str, int]] | None = None,
        cursor_only: bool = False,
    ) -> Reply:
        """Page a list sorted by id: cursor style with ``page[size]`` (always, with
        ``cursor_only``), else offset style. ``keys`` are the ascending cursor keys of ``items``
        when they are not the items' ids (tags have none; brands go by name, then id)."""
        if cursor_only or "page[size]" in req.query or "page[after]" in req.query:
            size = req.number("page[size]", LIST_PAGE)
            if not 1 <= size <= LIST_PAGE:
                raise InvalidPagination(f"page[size] must be between 1 and {LIST_PAGE}")
            ids: list[Any] = list(keys) if keys is not None else [item["id"] for item in items]
            named = bool(ids) and isinstance(ids[0], tuple)
            start = 0
            if req.query.get("page[after]"):
                start = bisect.bisect_right(ids, _decode_key(req.query["page[after]"], named))
            if req.query.get("page[before]"):
                end = bisect.bisect_left(ids, _decode_key(req.query["page[before]"], named))
                start = max(0, end - size)
            page = list(items[start : start + size])
            has_more = start + size < len(items)
            after = _encode_key(ids[start + len(page) - 1]) if page else None
            before = _encode_key(ids[start]) if page else None
            params = {k: v for k, v in req.query.items() if not k.startswith("page[")}
            next_url = (
                req.link(req.path, {**params, "page[size]": size, "page[after]": after})
                if has_more
                else None
            )
            prev_url = (
                req.link(req.path, {**params, "page[size]": size, "page[before]": before})
                if start > 0
                else None
            )
            return Reply(
                200,
                {
                    key: page,
                    "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
                    "links": {"next": next_url, "prev": prev_url},
                },
            )
        per_page = min(max(req.number("per_page", LIST_PAGE), 1), LIST_PAGE)
        number = max(req.number("page", 1), 1)
        start = (number - 1) * per_page
        params = {k: v for k, v in req.query.items() if k != "page"}
        more = start + per_page < len(items)
        return Reply(
            200,
            {
                key: list(items[start : start + per_page]),
                "next_page": req.link(req.path, {**params, "page": number + 1}) if more else None,
                "previous_page": (
                    req.link(req.path, {**params, "page": number - 1}) if number > 1 else None
                ),
                "count": len(items),
            },
        )

    def _visible_until(self) -> int:
        return self.backend.now_ts() - RECENT_SECONDS

    def _start_time(self, req: Request) -> int:
        """The export's ``start_time``: epoch seconds, whole (``946684800``, what zenpy sends:
        ``str(int)`` of its argument, a datetime made epoch by ``calendar.timegm``) or with a
        fraction (``946684800.0``, sent by some public clients; the fraction is dropped).
        A time in the last minute is refused as Zendesk refuses it: 422 ``InvalidValue``
        "Too recent start_time. ..." (the status and body public clients record and handle)."""
        raw = (req.query.get("start_time") or "").strip()
        if not raw:
            raise BadRequest("InvalidValue", "start_time is required")
        if not _EPOCH.fullmatch(raw):
            raise BadRequest("InvalidValue", "start_time must be a Unix epoch time in seconds")
        start = int(float(raw))
        if start > self.backend.now_ts() - RECENT_SECONDS:
            raise TooRecent()
        return max(start, 0)

    def _cursor_export(
        self,
        req: Request,
        key: str,
        stream: Sequence[tuple[int, int]],
        render: Callable[[int], Json],
        sideload: Callable[[list[Json]], Json] | None = None,
    ) -> Reply:
        visible = [item for item in stream if item[0] <= self._visible_until()]
        if req.query.get("cursor"):
            position = _decode_position(req.query["cursor"])
        else:
            position = (self._start_time(req), -1)
        per_page = req.number("per_page", EXPORT_PAGE)
        if not 1 <= per_page <= EXPORT_PAGE:
            raise InvalidPagination(f"per_page must be between 1 and {EXPORT_PAGE}")
        start = bisect.bisect_right(visible, position)
        chunk = visible[start : start + per_page]
        end_of_stream = start + per_page >= len(visible)
        after = _encode(list(chunk[-1])) if chunk else _encode(list(position))
        before = _encode([chunk[0][0], chunk[0][1] - 1]) if chunk else None
        extra = {
            k: v for k, v in req.query.items() if k in ("include", "per_page", "exclude_deleted")
        }
        records = [render(item_id) for _, item_id in chunk]
        body: Json = {
            key: records,
            "after_url": req.link(req.path, {"cursor": after, **extra}),
            "after_cursor": after,
            "before_url": req.link(req.path, {"cursor": before, **extra}) if before else None,
            "before_cursor": before,
            "end_of_stream": end_of_stream,
        }
        if sideload is not None:
            body.update(sideload(records))
        return Reply(200, body)

    def _time_export(
        self,
        req: Request,
        key: str,
        stream: Sequence[tuple[int, int, Json]],
        per_page: int,
    ) -> Reply:
        start_time = self._start_time(req)
        until = self._visible_until()
        # The stream is sorted by time: the visible window is a slice of it.
        first = bisect.bisect_left(stream, start_time, key=lambda item: item[0])
        last = bisect.bisect_right(stream, until, lo=first, key=lambda item: item[0])
        visible = list(stream[first:last])
        chunk = visible[:per_page]
        # A page never splits items of one second: the next page starts at end_time.
        while len(chunk) < len(visible) and visible[len(chunk)][0] == chunk[-1][0]:
            chunk.append(visible[len(chunk)])
        end_of_stream = len(chunk) < per_page or len(chunk) == len(visible)
        end_time = chunk[-1][0] if chunk else start_time
        if chunk and end_time == start_time and not end_of_stream:
            end_time += 1  # a whole page in one second: step past it rather than loop
        params = {k: v for k, v in req.query.items() if k != "start_time"}
        return Reply(
            200,
            {
                key: [item[2] for item in chunk],
                "next_page": req.link(req.path, {**params, "start_time": end_time}),
                "count": len(chunk),
                "end_time": end_time,
                "end_of_stream": end_of_stream,
            },
        )

    # -- incremental exports ---------------------------------------------------------------

    def incremental_tickets(self, req: Request) -> Reply:
        """``GET /api/v2/incremental/tickets/cursor.json``."""
        b = self.backend
        stream = b.ticket_stream()
        if req.query.get("exclude_deleted") == "true":
            stream = [s for s in stream if not b.ticket_state[s[1]].deleted]
        include = set((req.query.get("include") or "").split(","))
        return self._cursor_export(
            req,
            "tickets",
            stream,
            lambda tid: b.ticket_view(tid, for_export=True),
            lambda tickets: self._sideload(tickets, include),
        )

    def _sideload(self, tickets: list[Json], include: set[str]) -> Json:
        b = self.backend
        out: Json = {}
        if "users" in include:
            ids = {t[k] for t in tickets for k in ("requester_id", "submitter_id", "assignee_id")}
            out["users"] = [b.users[i] for i in sorted(i for i in ids if i in b.users)]
        if "groups" in include:
            ids = {t["group_id"] for t in tickets}
            out["groups"] = [b.groups[i] for i in sorted(i for i in ids if i in b.groups)]
        if "organizations" in include:
            ids = {t["organization_id"] for t in tickets}
            out["organizations"] = [
                b.organizations[i] for i in sorted(i for i in ids if i in b.organizations)
            ]
        if "metric_sets" in include:
            out["metric_sets"] = [b.metrics[t["id"]] for t in tickets if t["id"] in b.metrics]
        return out

    def incremental_users(self, req: Request) -> Reply:
        """``GET /api/v2/incremental/users/cursor.json``."""
        b = self.backend
        stream = sorted((ts, uid) for uid, ts in b.user_ts.items())
        include = set((req.query.get("include") or "").split(","))
        return self._cursor_export(
            req,
            "users",
            stream,
            lambda uid: _exported_user(b.users[uid]),
            self._user_sideloads(include),
        )

    def _user_sideloads(self, include: set[str]) -> Callable[[list[Json]], Json]:
        """The users sideloads this emulator serves: ``identities`` (every identity of the
        page's users). The incremental user export takes the users sideloads [Zendesk API
        reference: Incremental Exports, Incremental User Export: "Sideloading: see Users
        sideloads"; Side-loading: users → identities]."""

        def sideload(users: list[Json]) -> Json:
            if "identities" not in include:
                return {}
            return {
                "identities": [
                    identity
                    for user in users
                    for identity in self.backend.identities.get(user["id"], ())
                ]
            }

        return sideload

    def incremental_organizations(self, req: Request) -> Reply:
        """``GET /api/v2/incremental/organizations.json`` (time-based)."""
        b = self.backend
        stream = sorted((ts, oid, b.organizations[oid]) for oid, ts in b.org_ts.items())
        return self._time_export(req, "organizations", stream, EXPORT_PAGE)

    def incremental_ticket_events(self, req: Request) -> Reply:
        """``GET /api/v2/incremental/ticket_events.json`` (time-based, comments sideloadable)."""
        with_comments = "comment_events" in (req.query.get("include") or "").split(",")
        start = self._start_time(req)
        limit = self._visible_until()
        events = [e for e in self.backend.ticket_events() if start <= e["timestamp"] <= limit]
        # Render only what the page can hold (plus ties), not the whole stream.
        cut = len(events)
        if cut > EXPORT_PAGE:
            last = events[EXPORT_PAGE - 1]["timestamp"]
            cut = EXPORT_PAGE
            while cut < len(events) and events[cut]["timestamp"] == last:
                cut += 1
            cut += 1
        stream = [
            (e["timestamp"], e["id"], self._ticket_event(e, with_comments)) for e in events[:cut]
        ]
        return self._time_export(req, "ticket_events", stream, EXPORT_PAGE)

    def _ticket_event(self, event: Json, with_comments: bool) -> Json:
        comment = event["_comment"]
        ticket = event["_ticket"]
        children: list[Json] = []
        if event["_create"]:
            for number, field in enumerate(("status", "priority", "subject", "requester_id")):
                children.append(
                    {
                        "id": event["id"] + 1 + number,
                        "event_type": "Create",
                        "field_name": field,
                        "value": ticket.get(field),
                        "via": event["via"],
                        "via_reference_id": None,
                    }
                )
        if with_comments:
            children.insert(
                0,
                {
                    "id": comment["id"],
                    "type": "Comment",
                    "event_type": "Comment",
                    "author_id": comment["author_id"],
                    "body": comment["body"],
                    "html_body": comment["html_body"],
                    "plain_body": comment["plain_body"],
                    "public": comment["public"],
                    "attachments": comment["attachments"],
                    "audit_id": comment["audit_id"],
                    "created_at": comment["created_at"],
                    # A comment child event carries the comment's own via object. [Zendesk API
                    # reference: Incremental Ticket Event Export, Sideloading comment_events]
                    "via": comment["via"],
                    "via_reference_id": None,
                },
            )
        else:
            children.insert(
                0,
                {
                    "id": comment["id"],
                    "event_type": "Comment",
                    "comment_present": True,
                    "comment_public": comment["public"],
                    "via": event["via"],
                    "via_reference_id": None,
                },
            )
        out = {k: v for k, v in event.items() if not k.startswith("_")}
        out["child_events"] = children
        return out

    def incremental_ticket_metric_events(self, req: Request) -> Reply:
        """``GET /api/v2/incremental/ticket_metric_events.json`` (time-based, 100 a page)."""
        events = self.backend.metric_events
        # Built once, not per page (the events are only ever added, when the desk is seeded).
        if self._metric_stream is None or self._metric_stream[0] != len(events):
            stream = [(_epoch(e["time"]), e["id"], e) for e in events]
            stream.sort(key=lambda s: (s[0], s[1]))
            self._metric_stream = (len(events), stream)
        stream = self._metric_stream[1]
        if any(k in req.query for k in ("page[size]", "page[after]", "page[before]")):
            return self._metric_events_by_cursor(req, stream)
        return self._time_export(req, "ticket_metric_events", stream, METRIC_EVENTS_PAGE)

    def _metric_events_by_cursor(
        self, req: Request, stream: Sequence[tuple[int, int, Json]]
    ) -> Reply:
        """Cursor pagination of ``ticket_metric_events`` (``page[size]`` up to 100, ``meta`` and
        ``links`` as every cursor-paged list; developer.zendesk.com "Ticket Metric Events":
        "Cursor pagination returns a maximum of 100 records per page"), within ``start_time``
        and the export's one-minute delay. A cursor is the last event's ``[epoch, id]``."""
        size = req.number("page[size]", METRIC_EVENTS_PAGE)
        if not 1 <= size <= METRIC_EVENTS_PAGE:
            raise InvalidPagination(f"page[size] must be between 1 and {METRIC_EVENTS_PAGE}")
        start_time = self._start_time(req)
        first = bisect.bisect_left(stream, start_time, key=lambda item: item[0])
        last = bisect.bisect_right(stream, self._visible_until(), lo=first, key=lambda i: i[0])
        window = stream[first:last]
        keys = [(item[0], item[1]) for item in window]
        start = 0
        if req.query.get("page[after]"):
            start = bisect.bisect_right(keys, _decode_position(req.query["page[after]"]))
        if req.query.get("page[before]"):
            end = bisect.bisect_left(keys, _decode_position(req.query["page[before]"]))
            start = max(0, end - size)
        page = window[start : start + size]
        has_more = start + size < len(window)
        after = _encode(list(keys[start + len(page) - 1])) if page else None
        before = _encode(list(keys[start])) if page else None
        params = {k: v for k, v in req.query.items() if not k.startswith("page[")}
        return Reply(
            200,
            {
                "ticket_metric_events": [item[2] for item in page],
                "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
                "links": {
                    "next": (
                        req.link(req.path, {**params, "page[size]": size, "page[after]": after})
                        if has_more
                        else None
                    ),
                    "prev": (
                        req.link(req.path, {**params, "page[size]": size, "page[before]": before})
                        if start > 0
                        else None
                    ),
                },
                "end_of_stream": not has_more,
            },
        )

    # -- reads -----------------------------------------------------------------------------

    def list_tickets(self, req: Request) -> Reply:
        """``GET /api/v2/tickets.json`` (archived and deleted tickets left out)."""
        b = self.backend
        ids = sorted(t for t, s in b.ticket_state.items() if not s.deleted and not s.archived)
        return self.list_page(req, "tickets", [b.ticket_view(t) for t in ids])

    def show_ticket(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/tickets/{id}.json``."""
        return Reply(200, {"ticket": self.backend.live_ticket(_int(id))})

    def show_many_tickets(self, req: Request) -> Reply:
        """``GET /api/v2/tickets/show_many.json?ids=`` (sideloads as the ticket export's)."""
        b = self.backend
        out = []
        for raw in _ids(req.query.get("ids"), "ids"):
            state = b.ticket_state.get(_int(raw))
            if state is not None and not state.deleted:
                out.append(b.ticket_view(_int(raw)))
        include = set((req.query.get("include") or "").split(","))
        return Reply(200, {"tickets": out, **_one_page(out), **self._sideload(out, include)})

    def ticket_comments(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/tickets/{id}/comments.json``."""
        self.backend.live_ticket(_int(id))
        return self.list_page(req, "comments", self.backend.comments[_int(id)])

    def ticket_metrics(self, req: Request) -> Reply:
        """``GET /api/v2/ticket_metrics.json`` (archived tickets excluded)."""
        b = self.backend
        items = [
            m
            for tid, m in sorted(b.metrics.items(), key=lambda kv: kv[1]["id"])
            if not b.ticket_state[tid].archived and not b.ticket_state[tid].deleted
        ]
        return self.list_page(req, "ticket_metrics", items)

    def count_of(self, what: str) -> Callable[[Request], Reply]:
        """``GET /api/v2/{tickets,users,organizations,groups}/count``: ``{"count": {"value":
        N, "refreshed_at": ...}}`` (developer.zendesk.com/api-reference: Count Tickets, Count
        Users, Count Organizations, Count Groups). Zendesk's count is approximate past
        100,000 and then refreshed once a day; the emulator's is exact and fresh. Deleted
        tickets, users and groups are not counted (they are not listed either)."""

        def handler(req: Request) -> Reply:
            b = self.backend
            if what == "tickets":
                value = sum(1 for state in b.ticket_state.values() if not state.deleted)
            elif what == "users":
                value = sum(1 for user in b.users.values() if user.get("active", True))
            elif what == "groups":
                value = sum(1 for group in b.groups.values() if not group.get("deleted"))
            else:
                value = len(b.organizations)
            return Reply(200, {"count": {"value": value, "refreshed_at": iso(b.now())}})

        handler.__doc__ = f"``GET /api/v2/{what}/count``."
        return handler

    def _sorted(self, values: Iterable[Json]) -> list[Json]:
        return sorted(values, key=lambda j: j["id"])

    def list_of(self, attribute: str, key: str) -> Callable[[Request], Reply]:
        """A handler listing one of the backend's dicts under ``key``."""

        def handler(req: Request) -> Reply:
            return self.list_page(req, key, self._sorted(getattr(self.backend, attribute).values()))

        handler.__doc__ = f"``GET`` the {key} list."
        return handler

    def show_of(self, attribute: str, key: str) -> Callable[..., Reply]:
        """A handler showing one record of a backend dict under ``key``."""

        def handler(req: Request, id: str) -> Reply:
            record = getattr(self.backend, attribute).get(_int(id))
            if record is None:
                raise RecordNotFound()
            return Reply(200, {key: record})

        handler.__doc__ = f"``GET`` one {key}."
        return handler

    def list_fields(self, obj: str) -> Callable[[Request], Reply]:
        """A handler listing ticket, user or organization fields."""

        def handler(req: Request) -> Reply:
            fields = sorted(self.backend.fields[obj].values(), key=lambda f: f["id"])
            return self.list_page(req, f"{obj}_fields", fields)

        return handler

    def create_field(self, obj: str) -> Callable[[Request], Reply]:
        """A handler creating a ticket, user or organization field."""

        def handler(req: Request) -> Reply:
            body = req.json_object().get(f"{obj}_field")
            if not isinstance(body, dict):
                raise BadRequest("InvalidValue", f"{obj}_field is required")
            return Reply(201, {f"{obj}_field": self.backend.add_field(obj, body)})

        return handler

    def list_rules(self, plural: str) -> Callable[[Request], Reply]:
        """A handler listing triggers, automations, macros or views."""

        def handler(req: Request) -> Reply:
            return self.list_page(req, plural, self._sorted(self.backend.rules[plural].values()))

        return handler

    def create_rule(self, plural: str) -> Callable[[Request], Reply]:
        """A handler creating a trigger, automation, macro or view (``active`` defaults on)."""
        singular = plural[:-1]

        def handler(req: Request) -> Reply:
            body = req.json_object().get(singular)
            if not isinstance(body, dict) or not body.get("title"):
                raise BadRequest("InvalidValue", f"{singular} with a title is required")
            return Reply(201, {singular: self.backend.create_rule(plural, body)})

        return handler

    def update_many_rules(self, plural: str) -> Callable[[Request], Reply]:
        """A handler for ``PUT /api/v2/{plural}/update_many``: ``{plural: [{id, active,
        position}]}``, at most 100; an unknown id refuses the whole call (404)."""

        def handler(req: Request) -> Reply:
            changes = req.json_object().get(plural)
            if not isinstance(changes, list) or not changes:
                raise BadRequest("InvalidValue", f"{plural} must be a list of {plural} to update")
            if len(changes) > LIST_PAGE:
                raise BadRequest("InvalidValue", f"at most {LIST_PAGE} {plural} per request")
            if not all(isinstance(c, dict) for c in changes):
                raise BadRequest("InvalidValue", f"each of {plural} must be an object with an id")
            updated = self.backend.update_rules(plural, changes)
            return Reply(
                200,
                {plural: updated, "next_page": None, "previous_page": None, "count": len(updated)},
            )

        return handler

    def update_rule(self, plural: str) -> Callable[..., Reply]:
        """A handler for ``PUT /api/v2/{plural}/{id}``: ``{singular: {attributes}}``."""
        singular = plural[:-1]

        def handler(req: Request, rule_id: str) -> Reply:
            body = req.json_object().get(singular)
            if not isinstance(body, dict):
                raise BadRequest("InvalidValue", f"{singular} is required")
            if not rule_id.isdigit():
                raise RecordNotFound()
            return Reply(200, {singular: self.backend.update_rule(plural, int(rule_id), body)})

        return handler

    def sla_policies(self, req: Request) -> Reply:
        """``GET /api/v2/slas/policies.json``."""
        policies = self._sorted(self.backend.sla_policies.values())
        return Reply(
            200,
            {
                "sla_policies": policies,
                "next_page": None,
                "previous_page": None,
                "count": len(policies),
            },
        )

    def create_sla_policy(self, req: Request) -> Reply:
        """``POST /api/v2/slas/policies.json``: 201 with the policy, 422 when invalid."""
        body = req.json_object().get("sla_policy")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "sla_policy is required")
        return Reply(201, {"sla_policy": self.backend.create_sla_policy(body)})

    def show_sla_policy(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/slas/policies/{id}.json``."""
        policy = self.backend.sla_policies.get(_int(id))
        if policy is None:
            raise RecordNotFound()
        return Reply(200, {"sla_policy": policy})

    def update_sla_policy(self, req: Request, id: str) -> Reply:
        """``PUT /api/v2/slas/policies/{id}.json``: the attributes sent replace the stored
        ones (422 when invalid, 404 when absent)."""
        body = req.json_object().get("sla_policy")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "sla_policy is required")
        return Reply(200, {"sla_policy": self.backend.update_sla_policy(_int(id), body)})

    def me(self, req: Request) -> Reply:
        """``GET /api/v2/users/me.json``: the account owner the credentials act as (created on
        first use in an account seeded without one)."""
        b = self.backend
        uid = b.user_by_email(self.api_email)
        if uid is None:
            body = {"name": "Account owner", "email": self.api_email, "role": "admin"}
            uid, _ = b.upsert_user(body, update=False)
        return Reply(200, {"user": b.users[uid]})

    def show_many_users(self, req: Request) -> Reply:
        """``GET /api/v2/users/show_many.json?ids=`` or ``?external_ids=`` (``include=identities``
        sideloads their identities)."""
        users = self._show_many(req, self.backend.users)
        include = set((req.query.get("include") or "").split(","))
        return Reply(
            200, {"users": users, **_one_page(users), **self._user_sideloads(include)(users)}
        )

    def user_identities(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/users/{id}/identities.json`` (cursor or offset; 100 a page)."""
        uid = _int(id)
        if uid not in self.backend.users:
            raise RecordNotFound()
        found = self._sorted(self.backend.identities.get(uid, ()))
        return self.list_page(req, "identities", found)

    def create_identity(self, req: Request, id: str) -> Reply:
        """``POST /api/v2/users/{id}/identities.json``: add one identity."""
        body = req.json_object().get("identity")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "identity is required")
        return Reply(201, {"identity": self.backend.add_identity(_int(id), body)})

    def create_organization_membership(self, req: Request) -> Reply:
        """``POST /api/v2/organization_memberships.json`` (422 when already a member)."""
        body = req.json_object().get("organization_membership")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "organization_membership is required")
        membership = self.backend.create_organization_membership(body)
        return Reply(201, {"organization_membership": membership})

    def show_many_organizations(self, req: Request) -> Reply:
        """``GET /api/v2/organizations/show_many.json?ids=`` or ``?external_ids=``."""
        found = self._show_many(req, self.backend.organizations)
        return Reply(200, {"organizations": found, **_one_page(found)})

    def _show_many(self, req: Request, records: dict[int, Json]) -> list[Json]:
        """The records a ``show_many`` asks for by ``external_ids``, else by ``ids``; ids the
        account does not have are left out, as Zendesk leaves them."""
        if req.query.get("external_ids"):
            wanted = set(_ids(req.query.get("external_ids"), "external_ids"))
            found = [r for r in records.values() if r.get("external_id") in wanted]
        else:
            ids = map(_int, _ids(req.query.get("ids"), "ids"))
            found = [records[i] for i in ids if i in records]
        return self._sorted(found)

    def search(self, req: Request) -> Reply:
        """``GET /api/v2/search.json?query=`` (``type:`` and ``field:value`` terms)."""
        query = req.query.get("query") or ""
        terms = dict(re.findall(r'(\w+):"?([^"\s]+)"?', query))
        words = [w for w in re.sub(r'\w+:"?[^"\s]+"?', " ", query).split() if w]
        kind = terms.pop("type", None)
        b = self.backend
        pools: list[tuple[str, list[Json]]] = []
        if kind in (None, "ticket"):
            pools.append(
                (
                    "ticket",
                    [b.ticket_view(t) for t, s in sorted(b.ticket_state.items()) if not s.deleted],
                )
            )
        if kind in (None, "user"):
            pools.append(("user", self._sorted(b.users.values())))
        if kind in (None, "organization"):
            pools.append(("organization", self._sorted(b.organizations.values())))
        if kind in (None, "group"):
            pools.append(("group", self._sorted(b.groups.values())))
        results = []
        for result_type, pool in pools:
            for record in pool:
                if all(_matches(record, k, v) for k, v in terms.items()) and all(
                    w.lower() in json.dumps(record, ensure_ascii=False).lower() for w in words
                ):
                    results.append({**record, "result_type": result_type})
        reply = self.list_page(
            req.with_query({k: v for k, v in req.query.items() if not k.startswith("page[")}),
            "results",
            results[:1000],  # the Search API returns at most 1,000 results
        )
        assert isinstance(reply.body, dict)
        reply.body["facets"] = None
        return reply

    def upload_content(self, req: Request, token: str) -> Reply:
        """``GET /attachments/token/{token}/?name=`` → the bytes."""
        meta, data = self.backend.attachment_bytes(token)
        return Reply(200, raw=data, content_type=str(meta["content_type"]))

    def show_attachment(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/attachments/{id}.json``."""
        stored = self.backend.attachments.get(_int(id))
        if stored is None:
            raise RecordNotFound()
        return Reply(200, {"attachment": stored.json})

    def list_jobs(self, req: Request) -> Reply:
        """``GET /api/v2/job_statuses.json``: the 100 newest jobs, newest first."""
        jobs = sorted(self.backend.jobs.values(), key=lambda j: j.created, reverse=True)[:100]
        return Reply(200, {"job_statuses": [job.as_json() for job in jobs]})

    def show_job(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/job_statuses/{id}.json``: each poll moves the job one step."""
        return Reply(200, {"job_status": self.backend.poll_job(id).as_json()})

    # -- audits, custom roles, account settings, tags ---------------------------------------

    def ticket_audits_of(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/tickets/{id}/audits.json``: the ticket's audits, oldest first (archived
        tickets included; offset pages, or cursor with ``page[size]``)."""
        tid = _int(id)
        self.backend.live_ticket(tid)
        return self.list_page(req, "audits", self.backend.audits_of(tid))

    def ticket_audits(self, req: Request) -> Reply:
        """``GET /api/v2/ticket_audits.json``: every audit of the account's non-archived tickets,
        cursor paged only (``page[size]`` ≤ 100; developer.zendesk.com "Ticket Audits": "Archived
        tickets are not included in the response")."""
        return self.list_page(req, "audits", self.backend.all_audits(), cursor_only=True)

    def trigger_categories(self, req: Request) -> Reply:
        """``GET /api/v2/trigger_categories.json`` (cursor or offset paged)."""
        categories = list(TRIGGER_CATEGORIES)
        keys = [int(c["id"]) for c in categories]
        return self.list_page(req, "trigger_categories", categories, keys=keys)

    def custom_roles(self, req: Request) -> Reply:
        """``GET /api/v2/custom_roles.json``: the agent roles (no pagination)."""
        roles = self._sorted(self.backend.custom_roles.values())
        return Reply(200, {"custom_roles": roles, **_one_page(roles)})

    def account_settings(self, req: Request) -> Reply:
        """``GET /api/v2/account/settings.json``: ``{"settings": {...}}`` by section."""
        return Reply(200, {"settings": self.backend.account_settings()})

    def tags(self, req: Request) -> Reply:
        """``GET /api/v2/tags.json``: ``{name, count}`` by decreasing count (the most popular
        first, as Zendesk lists them), offset or cursor paged."""
        tags = self.backend.tag_counts()
        return self.list_page(req, "tags", tags, keys=range(len(tags)))

    # -- writes ----------------------------------------------------------------------------

    def upload(self, req: Request) -> Reply:
        """``POST /api/v2/uploads.json?filename=`` with the raw bytes as body."""
        name = req.query.get("filename")
        if not name:
            raise RecordInvalid.base("Filename: cannot be blank")
        content_type = req.headers.get("content-type") or "application/octet-stream"
        upload = self.backend.add_upload(name, content_type, req.body, req.query.get("token"))
        attachments = [self.backend.attachments[a].json for a in upload.attachment_ids]
        expires = self.backend.now()
        body = {
            "upload": {
                "token": upload.token,
                "expires_at": iso(expires.replace(microsecond=0) + _TTL),
                "attachment": attachments[-1],
                "attachments": attachments,
            }
        }
        return Reply(201, body)

    def import_ticket(self, req: Request) -> Reply:
        """``POST /api/v2/imports/tickets.json``: one ticket with its history, 201."""
        body = req.json_object().get("ticket")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "ticket is required")
        archive = req.query.get("archive_immediately") == "true"
        ticket = self.backend.import_ticket(body, archive=archive)
        location = f"{BASE}/api/v2/tickets/{ticket['id']}.json"
        return Reply(201, {"ticket": ticket}, {"Location": location})

    def _batch(self, req: Request, key: str) -> list[Json]:
        items = req.json_object().get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise BadRequest("InvalidValue", f"{key} must be a list of objects")
        if not items:
            raise BadRequest("InvalidValue", f"{key} must not be empty")
        if len(items) > IMPORT_BATCH_LIMIT:
            raise BadRequest("TooManyValues", f"{key} must have at most {IMPORT_BATCH_LIMIT} items")
        return items

    def import_many_tickets(self, req: Request) -> Reply:
        """``POST /api/v2/imports/tickets/create_many.json``: up to 100, answered by a job."""
        items = self._batch(req, "tickets")
        archive = req.query.get("archive_immediately") == "true"
        b = self.backend

        def one(item: Mapping[str, Any]) -> Json:
            ticket = b.import_ticket(item, archive=archive)
            return {"id": ticket["id"], "status": "Created", "external_id": ticket["external_id"]}

        job = b.start_job("bulk_import", len(items), lambda: batch_results(items, one))
        return Reply(200, {"job_status": job.as_json()})

    def create_many_users(self, update: bool) -> Callable[[Request], Reply]:
        """``users/create_many`` or ``users/create_or_update_many``: a job of upserts."""

        def handler(req: Request) -> Reply:
            items = self._batch(req, "users")
            b = self.backend

            def one(item: Mapping[str, Any]) -> Json:
                uid, action = b.upsert_user(item, update=update)
                user = b.users[uid]
                return {
                    "id": uid,
                    "status": action,
                    "email": user["email"],
                    "external_id": user["external_id"],
                }

            job_type = "bulk_create_or_update_users" if update else "bulk_create_users"
            job = b.start_job(job_type, len(items), lambda: batch_results(items, one))
            return Reply(200, {"job_status": job.as_json()})

        return handler

    def create_many_organizations(self, req: Request) -> Reply:
        """``POST /api/v2/organizations/create_many.json``: a job."""
        items = self._batch(req, "organizations")
        b = self.backend

        def one(item: Mapping[str, Any]) -> Json:
            oid = b.create_organization(item)
            return {"id": oid, "status": "Created", "external_id": item.get("external_id")}

        job = b.start_job(
            "bulk_create_organizations", len(items), lambda: batch_results(items, one)
        )
        return Reply(200, {"job_status": job.as_json()})

    def create_group(self, req: Request) -> Reply:
        """``POST /api/v2/groups.json``."""
        body = req.json_object().get("group")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "group is required")
        return Reply(201, {"group": self.backend.create_group(body)})

    def create_membership(self, req: Request) -> Reply:
        """``POST /api/v2/group_memberships.json``."""
        body = req.json_object().get("group_membership")
        if not isinstance(body, dict):
            raise BadRequest("InvalidValue", "group_membership is required")
        return Reply(201, {"group_membership": self.backend.create_membership(body)})

    def update_ticket(self, req: Request, id: str) -> Reply:
        """``PUT /api/v2/tickets/{id}.json`` (422 for a closed ticket)."""
        body = req.json_object().get("ticket")
        if not isinstance(body, Mapping):
            raise RecordInvalid.base("ticket: is required")
        return Reply(200, {"ticket": self.backend.update_ticket(_int(id), body)})

    def update_many_tickets(self, req: Request) -> Reply:
        """``PUT /api/v2/tickets/update_many.json`` with ``tickets: [{id, ...}]``: a job."""
        items = self._batch(req, "tickets")
        b = self.backend

        def one(item: Mapping[str, Any]) -> Json:
            tid = _int(str(item.get("id")))
            try:
                b.update_ticket(tid, item)
            except RecordNotFound:
                raise RecordInvalid.base(f"Ticket {tid}: not found") from None
            return {"id": tid, "status": "Updated", "action": "update"}

        job = b.start_job("bulk_update", len(items), lambda: batch_results(items, one))
        return Reply(200, {"job_status": job.as_json()})

    def delete_ticket(self, req: Request, id: str) -> Reply:
        """``DELETE /api/v2/tickets/{id}.json`` → 204."""
        self.backend.delete_ticket(_int(id))
        return Reply(204)

    def destroy_many_tickets(self, req: Request) -> Reply:
        """``DELETE /api/v2/tickets/destroy_many.json?ids=``: a job."""
        ids = [_int(i) for i in _ids(req.query.get("ids"), "ids")]
        b = self.backend

        def work() -> list[Json]:
            out = []
            for index, tid in enumerate(ids):
                try:
                    b.delete_ticket(tid)
                except RecordNotFound:
                    out.append(
                        {
                            "index": index,
                            "id": tid,
                            "success": False,
                            "error": "RecordNotFound",
                            "status": "Failed",
                        }
                    )
                else:
                    out.append({"index": index, "id": tid, "success": True, "status": "Deleted"})
            return out

        job = b.start_job("bulk_delete", len(ids), work)
        return Reply(200, {"job_status": job.as_json()})


def _one_page(records: Sequence[Json]) -> Json:
    """What a ``show_many`` answer carries beside its records: one page, counted."""
    return {"next_page": None, "previous_page": None, "count": len(records)}


def _exported_user(user: Json) -> Json:
    """A user as the incremental user export shows it: with ``permanently_deleted`` (never
    true here: the emulator does not permanently delete users)."""
    return {**user, "permanently_deleted": False}


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise RecordNotFound() from None


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _matches(record: Json, key: str, value: str) -> bool:
    actual = record.get(key)
    if isinstance(actual, list):
        return value.lower() in (str(a).lower() for a in actual)
    return actual is not None and str(actual).lower() == value.lower()


_TTL = timedelta(seconds=UPLOAD_TTL_SECONDS)
