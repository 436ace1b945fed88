"""Request handlers of the Freshdesk emulator: parse a request, act on the backend, shape the JSON.

Each handler takes a :class:`Request` and the path parameters and returns a :class:`Reply`;
errors are raised as :mod:`~cemigrate.sandbox.freshdesk.exceptions`. The route table in
:mod:`~cemigrate.sandbox.freshdesk.urls` says which handler serves which path. Bodies are JSON
or ``multipart/form-data`` (files in ``attachments[]``, lists as ``tags[]``, custom fields as
``custom_fields[cf_x]``), as python-freshdesk and curl send them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

from cemigrate.sandbox.freshdesk.exceptions import NotFound, ValidationFailed, field_error
from cemigrate.sandbox.freshdesk.models import FreshdeskBackend, TicketKeys, Upload
from cemigrate.sandbox.freshdesk.seed import Json, iso, parse_time
from cemigrate.sandbox.web import Reply, SandboxRequest

__all__ = [
    "DEFAULT_PER_PAGE",
    "LIST_ONLY_IN_SHOW",
    "MAX_PER_PAGE",
    "SEARCH_MAX_PAGE",
    "SEARCH_PER_PAGE",
    "TICKETS_MAX_PAGE",
    "FreshdeskResponses",
    "Reply",
    "Request",
    "ticket_list_includes",
    "ticket_view_includes",
]

DEFAULT_PER_PAGE: Final = 30
"""Items per page when ``per_page`` is not given."""
MAX_PER_PAGE: Final = 100
"""The most ``per_page`` allows; more is a validation error."""
TICKETS_MAX_PAGE: Final = 300
"""The tickets list serves no page after the 300th."""
SEARCH_PER_PAGE, SEARCH_MAX_PAGE = 30, 10
"""Filter search: 30 results a page, 10 pages at most."""
RECENT_DAYS: Final = 30
"""Without ``updated_since`` the tickets list holds only tickets created in the last 30 days."""
_LIST_INCLUDES = ("description", "requester", "stats", "company")
"""Embeds of the tickets list: the reference names description, requester and stats; Freshdesk's
own API code also side-loads ``company`` on the list (``ApiTicketConstants::SIDE_LOADING``),
which public clients send (``include=requester,company,stats``)."""
_VIEW_INCLUDES = ("conversations", "requester", "company", "stats")
LIST_ONLY_IN_SHOW: Final[Mapping[str, tuple[str, ...]]] = {
    "groups": ("agent_ids",),
    "agents": ("role_ids", "group_ids", "skill_ids"),
    "contacts": ("other_emails", "tags", "other_companies", "view_all_tickets", "avatar"),
}
"""Keys a record's show (``GET /api/v2/{kind}/{id}``) carries and the list leaves out, as real
list answers do (API reference "List All Groups/Agents/Contacts" against "View a ...", and
Airbyte's recorded ``groups``, ``agents`` and ``contacts`` streams of a real account): a
client reads a group's members, an agent's roles and a contact's other e-mails from the
show, one credit each."""
_INT_FORM_KEYS = frozenset(
    {
        "status",
        "priority",
        "source",
        "requester_id",
        "responder_id",
        "group_id",
        "company_id",
        "user_id",
        "email_config_id",
        "product_id",
        "parent_id",
    }
)
_BOOL_FORM_KEYS = frozenset({"private", "incoming", "view_all_tickets"})


class Request(SandboxRequest):
    """One HTTP request, as the Freshdesk handlers see it (a werkzeug request)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """A body that is not JSON: 400 ``invalid_json``."""
        raise _invalid_json()

    def not_a_json_object(self) -> Exception:
        """JSON that is not an object: 400 ``invalid_json`` too."""
        return _invalid_json()

    def form_data(self) -> tuple[Json, list[Upload]]:
        """The body and its files: JSON, or ``multipart/form-data`` turned into the same shape.

        werkzeug parses the multipart body; files in ``attachments[]`` become uploads, other
        parts values (``tags[]`` lists, ``custom_fields[cf_x]``, numbers and booleans read).
        """
        if self.mimetype != "multipart/form-data":
            return self.json_object(), []
        data: Json = {}
        for name, text in self.form.items(multi=True):
            _put_form_value(data, name, text)
        uploads: list[Upload] = []
        for name, file in self.files.items(multi=True):
            content = file.read()
            if name == "attachments[]":
                # a part without a Content-Type is bytes, not text/plain
                kind = file.mimetype if file.content_type else "application/octet-stream"
                uploads.append(Upload(file.filename or "", kind, content))
            else:  # a file sent under another name is that field's text
                _put_form_value(data, name, content.decode("utf-8", "replace"))
        return data, uploads

    def number(self, name: str, default: int, *, most: int | None = None) -> int:
        """A positive integer query parameter (400 with Freshdesk's message otherwise)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        message = "It should be a Positive Integer"
        if most is not None:
            message += f" less than or equal to {most}"
        if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
            raise ValidationFailed.one(name, message)
        return int(raw)

    def link(self, params: Mapping[str, object]) -> str:
        """This request's URL with other query parameters."""
        query = urlencode({k: v for k, v in params.items() if v is not None}, safe=",:'\"")
        return f"{self.base}{self.path}" + (f"?{query}" if query else "")

    def includes(self, allowed: Sequence[str]) -> list[str]:
        """The ``include`` list (400 for an embed this endpoint does not offer)."""
        raw = self.query.get("include")
        if raw is None:
            return []
        names = [n.strip() for n in raw.split(",") if n.strip()]
        if not names or any(n not in allowed for n in names):
            raise ValidationFailed.one(
                "include", f"It should be one of these values: '{','.join(allowed)}'"
            )
        return names


def _invalid_json() -> ValidationFailed:
    return ValidationFailed.one("request", "Request body has invalid json format", "invalid_json")


def _put_form_value(data: Json, name: str, text: str) -> None:
    """One multipart field into the JSON shape: ``x[]`` lists, custom fields, typed keys."""
    custom = re.fullmatch(r"custom_fields\[(.+)\]", name)
    if custom:
        data.setdefault("custom_fields", {})[custom.group(1)] = text
    elif name.endswith("[]"):
        data.setdefault(name[:-2], []).append(text)
    elif name in _INT_FORM_KEYS and text.lstrip("-").isdigit():
        data[name] = int(text)
    elif name in _BOOL_FORM_KEYS and text.lower() in ("true", "false"):
        data[name] = text.lower() == "true"
    else:
        data[name] = text


def ticket_list_includes(req: Request) -> int:
    """Credits of a tickets list: 1, and 2 more for each embed (invalid embeds cost 1)."""
    try:
        return 1 + 2 * len(req.includes(_LIST_INCLUDES))
    except ValidationFailed:
        return 1


def ticket_view_includes(req: Request) -> int:
    """Credits of a ticket view: 1, and 1 more for each embed (conversations cost 2 in all)."""
    try:
        return 1 + len(req.includes(_VIEW_INCLUDES))
    except ValidationFailed:
        return 1


def _page_of(req: Request, items: Sequence[Json], *, max_page: int | None = None) -> Reply:
    per_page = req.number("per_page", DEFAULT_PER_PAGE, most=MAX_PER_PAGE)
    page = req.number("page", 1)
    if max_page is not None and page > max_page:
        raise ValidationFailed.one(
            "page",
            f"You cannot access tickets beyond the {max_page}th page. Please provide a smaller"
            " page number.",
        )
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    headers = {}
    if start + per_page < len(items):  # also on page 300: following it meets the real 400
        headers["Link"] = f'<{req.link({**req.query, "page": page + 1})}>; rel="next"'
    return Reply(200, chunk, headers)


class _Lazy(Sequence[Json]):
    """A sequence whose items are rendered only when a page is cut from it."""

    def __init__(self, ids: Sequence[int], render: Callable[[int], Json]) -> None:
        self._ids = ids
        self._render = render

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._render(i) for i in self._ids[index]]
        return self._render(self._ids[index])


# -- the filter search query language -------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<op>AND|OR)(?=[\s(])|"
    r"(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<rel>[<>]?)\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|[^\s()]+))"
)
Predicate = Callable[[Callable[[str], Any]], bool]


def _parse_search(query: str, known: set[str]) -> Predicate:
    text = query.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValidationFailed.one("query", "It should be enclosed in double quotes")
    if len(text) - 2 > 512:
        raise ValidationFailed.one("query", "It should not exceed 512 characters")
    tokens: list[tuple[str, Any]] = []
    body, position = text[1:-1], 0
    while position < len(body):
        if not body[position:].strip():
            break
        match = _TOKEN.match(body, position)
        if match is None:
            raise ValidationFailed.one(
                "query", f"Invalid query near '{body[position : position + 20]}'"
            )
        position = match.end()
        if match.group("open"):
            tokens.append(("(", None))
        elif match.group("close"):
            tokens.append((")", None))
        elif match.group("op"):
            tokens.append((match.group("op"), None))
        else:
            field = match.group("field")
            if field not in known:
                raise ValidationFailed.one(
                    field, "Unexpected/invalid field in request", "invalid_field"
                )
            tokens.append(("term", (field, match.group("rel"), _value(match.group("value")))))
    cursor = 0

    def expression() -> Predicate:
        nonlocal cursor
        parts = [conjunction()]
        while cursor < len(tokens) and tokens[cursor][0] == "OR":
            cursor += 1
            parts.append(conjunction())
        return lambda lookup: any(p(lookup) for p in parts)

    def conjunction() -> Predicate:
        nonlocal cursor
        parts = [atom()]
        while cursor < len(tokens) and tokens[cursor][0] == "AND":
            cursor += 1
            parts.append(atom())
        return lambda lookup: all(p(lookup) for p in parts)

    def atom() -> Predicate:
        nonlocal cursor
        if cursor >= len(tokens):
            raise ValidationFailed.one("query", "Invalid query: a condition is missing")
        kind, payload = tokens[cursor]
        cursor += 1
        if kind == "(":
            inner = expression()
            if cursor >= len(tokens) or tokens[cursor][0] != ")":
                raise ValidationFailed.one("query", "Invalid query: unbalanced parentheses")
            cursor += 1
            return inner
        if kind != "term":
            raise ValidationFailed.one("query", f"Invalid query near '{kind}'")
        field, rel, wanted = payload
        return lambda lookup: _matches(lookup(field), rel, wanted)

    predicate = expression()
    if cursor != len(tokens):
        raise ValidationFailed.one("query", "Invalid query: unexpected text after a condition")
    return predicate


def _value(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1].replace("\\'", "'")
    if raw == "null":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw)
    return raw


def _matches(actual: Any, rel: str, wanted: Any) -> bool:
    if isinstance(actual, list):
        return any(_matches(item, rel, wanted) for item in actual) if actual else wanted is None
    if wanted is None:
        return actual is None
    if actual is None:
        return False
    if (
        isinstance(actual, str)
        and re.match(r"\d{4}-\d{2}-\d{2}", actual)
        and isinstance(wanted, str)
    ):
        actual, wanted = actual[:10], wanted[:10]
    if rel == ">":
        return bool(actual >= wanted) if type(actual) is type(wanted) else False
    if rel == "<":
        return bool(actual <= wanted) if type(actual) is type(wanted) else False
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.lower() == wanted.lower()
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return actual is wanted
    if isinstance(actual, int | float) and isinstance(wanted, str):
        return str(actual) == wanted
    return bool(actual == wanted)


class FreshdeskResponses:
    """The handlers, bound to one :class:`~cemigrate.sandbox.freshdesk.models.FreshdeskBackend`."""

    def __init__(self, backend: FreshdeskBackend) -> None:
        self.backend = backend
        self._list_cache: dict[tuple[object, ...], list[int]] = {}

    # -- tickets ---------------------------------------------------------------------------

    def _ticket_order(self, req: Request) -> list[int]:
        backend = self.backend
        order_by = req.query.get("order_by", "created_at")
        order_type = req.query.get("order_type", "desc")
        if order_by not in ("created_at", "due_by", "updated_at", "status"):
            raise ValidationFailed.one(
                "order_by",
                "It should be one of these values: 'created_at,due_by,updated_at,status'",
            )
        if order_type not in ("asc", "desc"):
            raise ValidationFailed.one("order_type", "It should be one of these values: 'asc,desc'")
        name = req.query.get("filter")
        if name is not None and name not in ("new_and_my_open", "watching", "spam", "deleted"):
            raise ValidationFailed.one(
                "filter",
                "It should be one of these values: 'new_and_my_open,watching,spam,deleted'",
            )
        since_raw = req.query.get("updated_since")
        if since_raw is not None:
            since = parse_time(since_raw)
            if since is None:
                raise ValidationFailed.one(
                    "updated_since", "It should be in the 'valid date-time' format"
                )
            floor_key, floor = "updated_at", iso(since)
        else:  # the real API's default window: tickets created in the last 30 days
            floor_key, floor = "created_at", iso(backend.now() - timedelta(days=RECENT_DAYS))
        requester: int | None = None
        if "requester_id" in req.query:
            requester = req.number("requester_id", 0)
        for key, value in (("email", "email"), ("unique_external_id", "external")):
            if key in req.query:
                found = backend.find_contact(**{value: req.query[key]})
                requester = -1 if found is None else found
        company = req.number("company_id", 0) if "company_id" in req.query else None
        cache_key = (
            backend.version,
            order_by,
            order_type,
            name,
            floor_key,
            floor,
            requester,
            company,
        )
        cached = self._list_cache.get(cache_key)
        if cached is not None:
            return cached

        def keep(keys: TicketKeys) -> bool:
            if name == "deleted":
                if not keys.deleted:
                    return False
            elif name == "spam":
                if not keys.spam or keys.deleted:
                    return False
            elif keys.deleted or keys.spam:
                return False
            if name == "watching":
                return False
            if name == "new_and_my_open" and (
                keys.status != 2 or keys.responder_id not in (None, backend.owner_id)
            ):
                return False
            if getattr(keys, floor_key) < (floor or ""):
                return False
            if requester is not None and keys.requester_id != requester:
                return False
            return company is None or keys.company_id == company

        chosen = [(tid, keys) for tid, keys in backend.ticket_keys.items() if keep(keys)]
        if order_by == "due_by":
            chosen.sort(key=lambda item: (backend.ticket(item[0]).get("due_by") or "", item[0]))
        else:
            chosen.sort(key=lambda item: (getattr(item[1], order_by), item[0]))
        ids = [tid for tid, _ in chosen]
        if order_type == "desc":
            ids.reverse()
        if len(self._list_cache) > 16:
            self._list_cache.clear()
        self._list_cache[cache_key] = ids
        return ids

    def _list_item(self, ticket_id: int, includes: Sequence[str]) -> Json:
        backend = self.backend
        item = backend.ticket_view(ticket_id)
        for key in ("description", "description_text", "attachments"):
            if key != "attachments" and "description" in includes:
                continue
            item.pop(key, None)
        if "requester" in includes:
            item["requester"] = backend.requester_embed(item)
        if "stats" in includes:
            item["stats"] = dict(backend.ticket_stats(ticket_id))
        if "company" in includes:
            item["company"] = self._company_embed(item)
        return item

    def _company_embed(self, ticket: Json) -> Json | None:
        """``include=company``: the ticket's company's id and name."""
        company = self.backend.companies.get(ticket.get("company_id") or 0)
        return None if company is None else {"id": company["id"], "name": company["name"]}

    def list_tickets(self, req: Request) -> Reply:
        """``GET /tickets``: filters, order, embeds, the 30-day default and the 300-page cap.
        A listed ticket has no ``attachments`` (the view has them) and never conversations."""
        includes = req.includes(_LIST_INCLUDES)
        req.number("per_page", DEFAULT_PER_PAGE, most=MAX_PER_PAGE)
        if req.number("page", 1) > TICKETS_MAX_PAGE:
            return _page_of(req, [], max_page=TICKETS_MAX_PAGE)
        ids = self._ticket_order(req)
        return _page_of(
            req, _Lazy(ids, lambda tid: self._list_item(tid, includes)), max_page=TICKETS_MAX_PAGE
        )

    def _ticket_id(self, raw: str) -> int:
        if not raw.isdigit() or not self.backend.has_ticket(int(raw)):
            raise NotFound()
        return int(raw)

    def show_ticket(self, req: Request, id: str) -> Reply:
        """``GET /tickets/{id}`` with ``include=conversations,requester,company,stats``."""
        includes = req.includes(_VIEW_INCLUDES)
        backend = self.backend
        ticket_id = self._ticket_id(id)
        body = backend.ticket_view(ticket_id)
        if "conversations" in includes:
            body["conversations"] = copy.deepcopy(backend.conversations(ticket_id)[:10])
        if "requester" in includes:
            body["requester"] = backend.requester_embed(body)
        if "company" in includes:
            body["company"] = self._company_embed(body)
        if "stats" in includes:
            body["stats"] = dict(backend.ticket_stats(ticket_id))
        return Reply(200, body)

    def create_ticket(self, req: Request) -> Reply:
        """``POST /tickets`` (JSON or multipart with ``attachments[]``)."""
        data, uploads = req.form_data()
        self._coerce_custom("ticket", data)
        body = self.backend.create_ticket(data, uploads)
        return Reply(
            201, copy.deepcopy(body), {"Location": f"{req.base}/api/v2/tickets/{body['id']}"}
        )

    def update_ticket(self, req: Request, id: str) -> Reply:
        """``PUT /tickets/{id}``."""
        data, uploads = req.form_data()
        self._coerce_custom("ticket", data)
        body = self.backend.update_ticket(self._ticket_id(id), data, uploads)
        return Reply(200, self.backend.with_created_fields(copy.deepcopy(body)))

    def delete_ticket(self, req: Request, id: str) -> Reply:
        """``DELETE /tickets/{id}``: 204."""
        self.backend.delete_ticket(self._ticket_id(id))
        return Reply(204)

    def restore_ticket(self, req: Request, id: str) -> Reply:
        """``PUT /tickets/{id}/restore``: 204."""
        self.backend.restore_ticket(self._ticket_id(id))
        return Reply(204)

    def ticket_conversations(self, req: Request, id: str) -> Reply:
        """``GET /tickets/{id}/conversations``: paged, oldest first."""
        conversations = self.backend.conversations(self._ticket_id(id))
        return _page_of(
            req, _Lazy(range(len(conversations)), lambda i: copy.deepcopy(conversations[i]))
        )

    def reply(self, req: Request, id: str) -> Reply:
        """``POST /tickets/{id}/reply``: an agent's public reply."""
        data, uploads = req.form_data()
        body = self.backend.add_conversation(
            self._ticket_id(id), reply=True, data=data, uploads=uploads
        )
        return Reply(201, copy.deepcopy(body))

    def note(self, req: Request, id: str) -> Reply:
        """``POST /tickets/{id}/notes``: a note, private unless told otherwise."""
        data, uploads = req.form_data()
        body = self.backend.add_conversation(
            self._ticket_id(id), reply=False, data=data, uploads=uploads
        )
        return Reply(201, copy.deepcopy(body))

    def update_conversation(self, req: Request, id: str) -> Reply:
        """``PUT /conversations/{id}``."""
        data, _ = req.form_data()
        body = self.backend.update_conversation(_int(id), data)
        return Reply(200, copy.deepcopy(body))

    def delete_conversation(self, req: Request, id: str) -> Reply:
        """``DELETE /conversations/{id}``: 204."""
        self.backend.delete_conversation(_int(id))
        return Reply(204)

    def attachment(self, req: Request, id: str, name: str) -> Reply:
        """The bytes behind an ``attachment_url``."""
        stored = self.backend.attachment_bytes(_int(id))
        return Reply(200, raw=stored.data or b"", content_type=stored.content_type)

    def _coerce_custom(self, kind: str, data: Json) -> None:
        """Multipart sends every custom value as text: read it as the field's type."""
        values = data.get("custom_fields")
        if not isinstance(values, dict):
            return
        types = {f["name"]: f["type"] for f in self.backend.fields[kind].values()}
        for name, value in list(values.items()):
            if not isinstance(value, str):
                continue
            kind_ = types.get(name)
            if kind_ == "custom_number" and re.fullmatch(r"-?\d+", value):
                values[name] = int(value)
            elif kind_ == "custom_checkbox" and value.lower() in ("true", "false"):
                values[name] = value.lower() == "true"

    # -- time entries, ratings -------------------------------------------------------------

    def list_time_entries(self, req: Request, id: str | None = None) -> Reply:
        """``GET /time_entries`` or ``/tickets/{id}/time_entries``: paged, newest first,
        filtered by ``company_id``, ``agent_id``, ``executed_after``, ``executed_before`` and
        ``billable`` (API reference, "List All Time Entries")."""
        entries = list(self.backend.time_entries.values())
        if id is not None:
            ticket_id = self._ticket_id(id)
            entries = [e for e in entries if e["ticket_id"] == ticket_id]
        for key in ("company_id", "agent_id"):
            if key in req.query:
                wanted = req.number(key, 0)
                entries = [e for e in entries if e.get(key) == wanted]
        for key, after in (("executed_after", True), ("executed_before", False)):
            if key in req.query:
                moment = parse_time(req.query[key])
                if moment is None:
                    raise ValidationFailed.one(key, "It should be in the 'valid date-time' format")
                bound = iso(moment) or ""
                entries = [
                    e
                    for e in entries
                    if (e["executed_at"] >= bound if after else e["executed_at"] <= bound)
                ]
        if "billable" in req.query:
            flag = req.query["billable"]
            if flag not in ("true", "false"):
                raise ValidationFailed.one(
                    "billable", "It should be one of these values: 'true,false'"
                )
            entries = [e for e in entries if e["billable"] is (flag == "true")]
        entries.sort(key=lambda e: (e["executed_at"], e["id"]), reverse=True)
        return _page_of(req, copy.deepcopy(entries))

    def create_time_entry(self, req: Request, id: str) -> Reply:
        """``POST /tickets/{id}/time_entries``."""
        return Reply(201, self.backend.add_time_entry(self._ticket_id(id), req.json_object()))

    def list_ratings(self, req: Request) -> Reply:
        """``GET /surveys/satisfaction_ratings`` (``created_since`` filters)."""
        ratings = sorted(self.backend.ratings.values(), key=lambda r: (r["created_at"], r["id"]))
        if "created_since" in req.query:
            since = parse_time(req.query["created_since"])
            if since is None:
                raise ValidationFailed.one(
                    "created_since", "It should be in the 'valid date-time' format"
                )
            floor = iso(since) or ""
            ratings = [r for r in ratings if r["created_at"] >= floor]
        return _page_of(req, ratings)

    def ticket_ratings(self, req: Request, id: str) -> Reply:
        """``GET /tickets/{id}/satisfaction_ratings``: the ticket's ratings (paged)."""
        ticket_id = self._ticket_id(id)
        ratings = sorted(
            (r for r in self.backend.ratings.values() if r["ticket_id"] == ticket_id),
            key=lambda r: (r["created_at"], r["id"]),
        )
        return _page_of(req, copy.deepcopy(ratings))

    def list_products(self, req: Request) -> Reply:
        """``GET /products``: the account's products (paged)."""
        products = sorted(self.backend.products.values(), key=lambda p: p["id"])
        return _page_of(req, copy.deepcopy(products))

    def show_product(self, req: Request, id: str) -> Reply:
        """``GET /products/{id}``."""
        product = self.backend.products.get(_int(id))
        if product is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(product))

    def list_surveys(self, req: Request) -> Reply:
        """``GET /surveys``: the account's classic survey."""
        survey = {
            "id": 1,
            "title": "Default Survey",
            "active": True,
            "questions": [
                {
                    "id": "default_question",
                    "label": "How would you rate your overall satisfaction for the resolution"
                    " provided by the agent?",
                    "accepted_ratings": [-103, 103],
                    "default": True,
                }
            ],
            "created_at": "2023-01-05T09:00:00Z",
            "updated_at": "2023-01-05T09:00:00Z",
        }
        return _page_of(req, [survey])

    # -- contacts and companies ------------------------------------------------------------

    def list_contacts(self, req: Request) -> Reply:
        """``GET /contacts``: unblocked, undeleted by default; filters and ``updated_since``.
        A listed contact has none of the show's ``other_emails``, ``tags``, ``other_companies``,
        ``view_all_tickets`` and ``avatar``."""
        contacts: Iterable[Json] = self.backend.contacts.values()
        state = req.query.get("state")
        if state is not None and state not in ("blocked", "deleted", "unverified", "verified"):
            raise ValidationFailed.one(
                "state", "It should be one of these values: 'blocked,deleted,unverified,verified'"
            )
        if state == "deleted":
            contacts = [c for c in contacts if c.get("deleted")]
        elif state == "blocked":
            contacts = [c for c in contacts if c.get("blocked") and not c.get("deleted")]
        else:
            contacts = [c for c in contacts if not c.get("deleted") and not c.get("blocked")]
            if state is not None:
                contacts = [c for c in contacts if bool(c["active"]) == (state == "verified")]
        for key in ("email", "mobile", "phone", "unique_external_id"):
            if key in req.query:
                wanted = req.query[key]
                contacts = [c for c in contacts if str(c.get(key) or "").lower() == wanted.lower()]
        if "company_id" in req.query:
            company = req.number("company_id", 0)
            contacts = [c for c in contacts if c.get("company_id") == company]
        since_raw = req.query.get("updated_since", req.query.get("_updated_since"))
        if since_raw is not None:
            since = parse_time(since_raw)
            if since is None:
                raise ValidationFailed.one(
                    "updated_since", "It should be in the 'valid date-time' format"
                )
            floor = iso(since) or ""
            contacts = [c for c in contacts if c["updated_at"] >= floor]
        ordered = sorted(
            contacts,
            key=lambda c: (c["updated_at"], c["id"]) if since_raw else (c["name"] or "", c["id"]),
        )
        return _page_of(req, _Lazy(range(len(ordered)), lambda i: _listed("contacts", ordered[i])))

    def show_contact(self, req: Request, id: str) -> Reply:
        """``GET /contacts/{id}`` (deleted ones too)."""
        contact = self.backend.contacts.get(_int(id))
        if contact is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(contact))

    def create_contact(self, req: Request) -> Reply:
        """``POST /contacts``."""
        data, _ = req.form_data()
        self._coerce_custom("contact", data)
        contact = self.backend.create_contact(data)
        return Reply(
            201, copy.deepcopy(contact), {"Location": f"{req.base}/api/v2/contacts/{contact['id']}"}
        )

    def update_contact(self, req: Request, id: str) -> Reply:
        """``PUT /contacts/{id}``."""
        data, _ = req.form_data()
        self._coerce_custom("contact", data)
        return Reply(200, copy.deepcopy(self.backend.update_contact(_int(id), data)))

    def delete_contact(self, req: Request, id: str) -> Reply:
        """``DELETE /contacts/{id}``: soft delete, 204."""
        self.backend.delete_contact(_int(id))
        return Reply(204)

    def hard_delete_contact(self, req: Request, id: str) -> Reply:
        """``DELETE /contacts/{id}/hard_delete``: 204."""
        self.backend.hard_delete_contact(_int(id))
        return Reply(204)

    def restore_contact(self, req: Request, id: str) -> Reply:
        """``PUT /contacts/{id}/restore``: 204."""
        self.backend.restore_contact(_int(id))
        return Reply(204)

    def list_companies(self, req: Request) -> Reply:
        """``GET /companies`` (``updated_since`` filters)."""
        companies: list[Json] = list(self.backend.companies.values())
        if "updated_since" in req.query:
            since = parse_time(req.query["updated_since"])
            if since is None:
                raise ValidationFailed.one(
                    "updated_since", "It should be in the 'valid date-time' format"
                )
            floor = iso(since) or ""
            companies = [c for c in companies if c["updated_at"] >= floor]
        companies.sort(
            key=lambda c: (c["updated_at"], c["id"]) if "updated_since" in req.query else (c["id"],)
        )
        return _page_of(req, copy.deepcopy(companies))

    def show_company(self, req: Request, id: str) -> Reply:
        """``GET /companies/{id}``."""
        company = self.backend.companies.get(_int(id))
        if company is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(company))

    def create_company(self, req: Request) -> Reply:
        """``POST /companies``."""
        data = req.json_object()
        self._coerce_custom("company", data)
        company = self.backend.save_company(data)
        return Reply(
            201,
            copy.deepcopy(company),
            {"Location": f"{req.base}/api/v2/companies/{company['id']}"},
        )

    def update_company(self, req: Request, id: str) -> Reply:
        """``PUT /companies/{id}``."""
        company_id = _int(id)
        if company_id not in self.backend.companies:
            raise NotFound()
        return Reply(200, copy.deepcopy(self.backend.save_company(req.json_object(), company_id)))

    def delete_group(self, req: Request, id: str) -> Reply:
        """``DELETE /groups/{id}``: 204 (https://developers.freshdesk.com/api/#delete_group)."""
        if self.backend.groups.pop(_int(id), None) is None:
            raise NotFound()
        return Reply(204)

    def delete_company(self, req: Request, id: str) -> Reply:
        """``DELETE /companies/{id}``: 204."""
        if self.backend.companies.pop(_int(id), None) is None:
            raise NotFound()
        return Reply(204)

    # -- agents, groups, roles -------------------------------------------------------------

    def list_agents(self, req: Request) -> Reply:
        """``GET /agents`` (``email`` filters), without the show's ``role_ids``, ``group_ids``
        and ``skill_ids``."""
        agents = sorted(self.backend.agents.values(), key=lambda a: a["id"])
        if "email" in req.query:
            wanted = req.query["email"].lower()
            agents = [a for a in agents if (a["contact"].get("email") or "").lower() == wanted]
        return _page_of(req, [_listed("agents", a) for a in agents])

    def show_agent(self, req: Request, id: str) -> Reply:
        """``GET /agents/{id}``."""
        agent = self.backend.agents.get(_int(id))
        if agent is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(agent))

    def update_agent(self, req: Request, id: str) -> Reply:
        """``PUT /agents/{id}``: scope, signature, groups, roles (not the key owner's own)."""
        agent = self.backend.update_agent(_int(id), req.json_object())
        return Reply(200, copy.deepcopy(agent))

    def me(self, req: Request) -> Reply:
        """``GET /agents/me``: the agent the API key belongs to."""
        return Reply(200, copy.deepcopy(self.backend.agents[self.backend.owner_id]))

    def list_groups(self, req: Request) -> Reply:
        """``GET /groups``, without the show's ``agent_ids``."""
        groups = sorted(self.backend.groups.values(), key=lambda g: g["id"])
        return _page_of(req, [_listed("groups", g) for g in groups])

    def show_group(self, req: Request, id: str) -> Reply:
        """``GET /groups/{id}``."""
        group = self.backend.groups.get(_int(id))
        if group is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(group))

    def create_group(self, req: Request) -> Reply:
        """``POST /groups``."""
        group = self.backend.save_group(req.json_object())
        return Reply(
            201, copy.deepcopy(group), {"Location": f"{req.base}/api/v2/groups/{group['id']}"}
        )

    def update_group(self, req: Request, id: str) -> Reply:
        """``PUT /groups/{id}``: ``agent_ids`` is the whole new member list."""
        group_id = _int(id)
        if group_id not in self.backend.groups:
            raise NotFound()
        return Reply(200, copy.deepcopy(self.backend.save_group(req.json_object(), group_id)))

    def list_roles(self, req: Request) -> Reply:
        """``GET /roles``."""
        return Reply(200, copy.deepcopy(list(self.backend.roles.values())))

    def show_role(self, req: Request, id: str) -> Reply:
        """``GET /roles/{id}``."""
        role = self.backend.roles.get(_int(id))
        if role is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(role))

    # -- fields, SLA policies, automations -------------------------------------------------

    def list_fields(self, kind: str, admin: bool = False) -> Callable[[Request], Reply]:
        """``GET /ticket_fields`` (or contact/company fields): every field, not paged."""

        def handler(req: Request) -> Reply:
            fields = sorted(
                self.backend.fields[kind].values(), key=lambda f: (f["position"], f["id"])
            )
            if "type" in req.query:
                fields = [f for f in fields if f["type"] == req.query["type"]]
            out = copy.deepcopy(fields)
            if admin or kind != "ticket":
                for field in out:
                    if isinstance(field.get("choices"), list):
                        field["choices"] = [
                            {"id": field["id"] * 100 + n, "label": c, "value": c, "position": n}
                            for n, c in enumerate(field["choices"], start=1)
                        ]
            return Reply(200, out)

        return handler

    def create_field(self, kind: str, admin: bool = False) -> Callable[[Request], Reply]:
        """``POST /admin/ticket_fields`` (or contact/company fields): 201 with the new field."""

        def handler(req: Request) -> Reply:
            field = copy.deepcopy(
                self.backend.create_field(kind, req.json_object(), admin_api=admin)
            )
            if isinstance(field.get("choices"), list):
                field["choices"] = [
                    {"id": field["id"] * 100 + n, "label": c, "value": c, "position": n}
                    for n, c in enumerate(field["choices"], start=1)
                ]
            return Reply(201, field)

        return handler

    def show_field(self, kind: str) -> Callable[..., Reply]:
        """``GET /admin/ticket_fields/{id}`` (or contact/company fields)."""

        def handler(req: Request, id: str) -> Reply:
            field = self.backend.fields[kind].get(_int(id))
            if field is None:
                raise NotFound()
            return Reply(200, copy.deepcopy(field))

        return handler

    def delete_field(self, kind: str) -> Callable[..., Reply]:
        """``DELETE /admin/ticket_fields/{id}`` (or ``/contact_fields/{id}``,
        ``/company_fields/{id}``): 204, the field gone from the list and from each record's
        ``custom_fields``; 404 for an id the account lacks."""

        def handler(req: Request, id: str) -> Reply:
            if not self.backend.delete_field(kind, _int(id)):
                raise NotFound()
            return Reply(204)

        return handler

    def list_sla_policies(self, req: Request) -> Reply:
        """``GET /sla_policies``."""
        policies = sorted(self.backend.sla_policies.values(), key=lambda p: p["position"])
        return _page_of(req, copy.deepcopy(policies))

    def create_sla_policy(self, req: Request) -> Reply:
        """``POST /sla_policies``: 201 with the policy, 400 ``Validation failed``."""
        body = req.json_object()
        if not isinstance(body, dict):
            raise ValidationFailed.one("name", "It should be a/an String", "missing_field")
        return Reply(201, self.backend.save_sla_policy(body))

    def show_sla_policy(self, req: Request, id: str) -> Reply:
        """``GET /sla_policies/{id}``."""
        policy = self.backend.sla_policies.get(_int(id))
        if policy is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(policy))

    def update_sla_policy(self, req: Request, id: str) -> Reply:
        """``PUT /sla_policies/{id}``: the attributes sent replace the policy's (400 for the
        default policy or an invalid body, 404 when absent)."""
        body = req.json_object()
        if not isinstance(body, dict):
            raise ValidationFailed.one("name", "It should be a/an String", "datatype_mismatch")
        return Reply(200, self.backend.save_sla_policy(body, _int(id)))

    def list_rules(self, req: Request, type: str) -> Reply:
        """``GET /automations/{1|3|4}/rules``."""
        rules = self.backend.automations.get(_int(type))
        if rules is None:
            raise NotFound()
        return _page_of(req, copy.deepcopy(sorted(rules.values(), key=lambda r: r["position"])))

    def create_rule(self, req: Request, type: str) -> Reply:
        """``POST /automations/{1|3|4}/rules``: the rule as sent, with an id and position."""
        rules = self.backend.automations.get(_int(type))
        if rules is None:
            raise NotFound()
        body = req.json_object()
        if not isinstance(body, dict) or not body.get("name"):
            raise ValidationFailed.one("name", "It should be a/an String")
        rule = copy.deepcopy(body)
        rid = max((*rules, 366_900_000_000)) + 1
        now = iso(self.backend.now())
        rule.update(
            id=rid,
            automation_type_id=_int(type),
            active=bool(body.get("active", True)),
            position=len(rules) + 1,
            created_at=now,
            updated_at=now,
        )
        rules[rid] = rule
        return Reply(201, copy.deepcopy(rule))

    def show_rule(self, req: Request, type: str, id: str) -> Reply:
        """``GET /automations/{type}/rules/{id}``."""
        rule = self.backend.automations.get(_int(type), {}).get(_int(id))
        if rule is None:
            raise NotFound()
        return Reply(200, copy.deepcopy(rule))

    def update_rule(self, req: Request, type: str, id: str) -> Reply:
        """``PUT /automations/{type}/rules/{id}``: the attributes sent replace the rule's
        (``active`` must be a boolean, ``name`` not blank); 200 with the whole rule."""
        rule = self.backend.automations.get(_int(type), {}).get(_int(id))
        if rule is None:
            raise NotFound()
        body = req.json_object()
        if not isinstance(body, dict):
            raise ValidationFailed.one("body", "It should be a/an Hash", "datatype_mismatch")
        if "active" in body and not isinstance(body["active"], bool):
            raise ValidationFailed.one("active", "It should be a/an Boolean", "datatype_mismatch")
        if "name" in body and not (isinstance(body["name"], str) and body["name"].strip()):
            raise ValidationFailed.one("name", "It should be a/an String")
        fixed = ("id", "automation_type_id", "created_at", "updated_at")
        rule.update({k: copy.deepcopy(v) for k, v in body.items() if k not in fixed})
        rule["updated_at"] = iso(self.backend.now())
        return Reply(200, copy.deepcopy(rule))

    def delete_rule(self, req: Request, type: str, id: str) -> Reply:
        """``DELETE /automations/{type}/rules/{id}``: 204."""
        rules = self.backend.automations.get(_int(type), {})
        if _int(id) not in rules:
            raise NotFound()
        del rules[_int(id)]
        return Reply(204)

    # -- filter search ---------------------------------------------------------------------

    def _search_page(
        self, req: Request, ids: Sequence[int], render: Callable[[int], Json]
    ) -> Reply:
        page = req.number("page", 1)
        if page > SEARCH_MAX_PAGE:
            raise ValidationFailed.one(
                "page", f"It should be a Positive Integer less than or equal to {SEARCH_MAX_PAGE}"
            )
        start = (page - 1) * SEARCH_PER_PAGE
        results = [render(i) for i in ids[start : start + SEARCH_PER_PAGE]]
        return Reply(200, {"results": results, "total": len(ids)})

    def search_tickets(self, req: Request) -> Reply:
        """``GET /search/tickets?query="..."``: fields, custom fields, AND/OR, ``:>``/``:<``."""
        backend = self.backend
        predicate = _parse_search(_query(req), backend.ticket_fields_named())
        ids = [tid for tid in backend.live_ticket_ids() if predicate(backend.ticket_lookup(tid))]
        ids.sort(key=lambda tid: (backend.ticket_keys[tid].created_at, tid), reverse=True)
        return self._search_page(req, ids, lambda tid: self._list_item(tid, ("description",)))

    def search_contacts(self, req: Request) -> Reply:
        """``GET /search/contacts?query="..."`` (deleted contacts excluded)."""
        backend = self.backend
        custom = {f["name"] for f in backend.fields["contact"].values() if not f["default"]}
        known = {
            "active",
            "company_id",
            "twitter_id",
            "email",
            "phone",
            "mobile",
            "tag",
            "language",
            "time_zone",
            "created_at",
            "updated_at",
        } | custom
        predicate = _parse_search(_query(req), known)
        found = [
            c
            for c in backend.contacts.values()
            if not c.get("deleted") and predicate(_object_lookup(c, {"tag": c.get("tags")}))
        ]
        found.sort(key=lambda c: (c["created_at"], c["id"]), reverse=True)
        return self._search_page(req, range(len(found)), lambda i: copy.deepcopy(found[i]))

    def search_companies(self, req: Request) -> Reply:
        """``GET /search/companies?query="..."``."""
        backend = self.backend
        custom = {f["name"] for f in backend.fields["company"].values() if not f["default"]}
        predicate = _parse_search(_query(req), {"domain", "created_at", "updated_at"} | custom)
        found = [
            c
            for c in backend.companies.values()
            if predicate(_object_lookup(c, {"domain": c.get("domains")}))
        ]
        found.sort(key=lambda c: (c["created_at"], c["id"]), reverse=True)
        return self._search_page(req, range(len(found)), lambda i: copy.deepcopy(found[i]))


def _listed(kind: str, record: Json) -> Json:
    """A copy of ``record`` as its list shows it (the show's own keys left out)."""
    hidden = LIST_ONLY_IN_SHOW[kind]
    return {k: copy.deepcopy(v) for k, v in record.items() if k not in hidden}


def _object_lookup(record: Json, extra: Json) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        if name in extra:
            return extra[name]
        if name in record["custom_fields"]:
            return record["custom_fields"][name]
        return record.get(name)

    return lookup


def _query(req: Request) -> str:
    query = req.query.get("query")
    if query is None:
        raise ValidationFailed([field_error("query", "It should be a/an String", "missing_field")])
    return query


def _int(raw: str) -> int:
    if not raw.isdigit():
        raise NotFound()
    return int(raw)
