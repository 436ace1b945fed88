"""The Freshdesk emulator's state (moto's "backend"): every object as Freshdesk API v2's JSON.

:class:`FreshdeskBackend` seeds itself from :func:`cemigrate.sandbox.dataset.generate`
following ``docs/freshdesk.md``. Small objects are stored as JSON at seeding; tickets and
their conversations are rendered from the generated records when asked for and stored as
JSON only once something changes them, so 35,000 tickets seed in little more than the
generator's time. URLs are written against :data:`~cemigrate.sandbox.freshdesk.seed.BASE`;
the router replaces it with the host the request came to. Time is the desk's "now" (one year
after the dataset's start) moving with the injected clock.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from html import unescape
from typing import Any, Final, NamedTuple
from urllib.parse import quote

import attrs

from cemigrate.sandbox.dataset import DEFAULT_START, SUPPORT_DOMAIN, HelpDesk, generate
from cemigrate.sandbox.freshdesk import seed
from cemigrate.sandbox.freshdesk.exceptions import (
    Conflict,
    FieldError,
    FreshdeskError,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
    field_error,
)
from cemigrate.sandbox.freshdesk.seed import BASE, Json, iso
from cemigrate.sandbox.http import SandboxClock
from cemigrate.schema import (
    Attachment,
    FieldDef,
    FieldObject,
    OrganizationMembership,
    Role,
    SlaEvent,
    Ticket,
    TicketMetrics,
    User,
)

__all__ = [
    "ACCOUNT_ID",
    "MAX_ATTACHMENT_BYTES",
    "MAX_OTHER_COMPANIES",
    "MAX_OTHER_EMAILS",
    "MAX_TEXT_CHARS",
    "FreshdeskBackend",
    "StoredAttachment",
    "TicketKeys",
    "Upload",
]

MAX_ATTACHMENT_BYTES: Final = 20 * 1024 * 1024
MAX_TEXT_CHARS: Final = 255
"""A single-line ticket text field's value: Freshdesk's ``ApiConstants::MAX_LENGTH_STRING``."""
MAX_OTHER_EMAILS: Final = 9
"""``other_emails`` beside the primary e-mail: Freshdesk's ``MAX_OTHER_EMAILS_COUNT``
(``User::MAX_USER_EMAILS`` 10 less the primary one) in its contact validation."""
MAX_OTHER_COMPANIES: Final = 299
"""``other_companies`` beside ``company_id``: Freshdesk's ``MAX_USER_COMPANIES`` (300) less the
default company; the contact must have a ``company_id`` first."""
"""All attachments of one ticket (or of one conversation) together: 20 MB."""
ACCOUNT_ID: Final = 297457
"""The account's number: the suffix of custom field names created through the API."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_OBJECTS = ("ticket", "contact", "company")
_TICKET_KEYS = (
    "name",
    "requester_id",
    "email",
    "facebook_id",
    "phone",
    "twitter_id",
    "unique_external_id",
    "subject",
    "type",
    "status",
    "priority",
    "description",
    "responder_id",
    "attachments",
    "cc_emails",
    "custom_fields",
    "due_by",
    "fr_due_by",
    "email_config_id",
    "group_id",
    "parent_id",
    "product_id",
    "source",
    "tags",
    "company_id",
    "internal_agent_id",
    "internal_group_id",
    "lookup_parameter",
    "related_ticket_ids",
)
_CONTACT_KEYS = (
    "name",
    "email",
    "phone",
    "mobile",
    "twitter_id",
    "unique_external_id",
    "other_emails",
    "company_id",
    "view_all_tickets",
    "other_companies",
    "address",
    "avatar",
    "custom_fields",
    "description",
    "job_title",
    "language",
    "tags",
    "time_zone",
    "facebook_id",
)
_AGENT_KEYS = (
    "occasional",
    "signature",
    "ticket_scope",
    "group_ids",
    "role_ids",
    "skill_ids",
    "name",
    "email",
    "phone",
    "mobile",
    "job_title",
    "language",
    "time_zone",
)
_COMPANY_KEYS = (
    "name",
    "description",
    "note",
    "domains",
    "custom_fields",
    "health_score",
    "account_tier",
    "renewal_date",
    "industry",
)


class TicketKeys(NamedTuple):
    """What listing, filtering and sorting need of a ticket, without rendering it."""

    created_at: str
    updated_at: str
    status: int
    deleted: bool
    spam: bool
    requester_id: int | None
    company_id: int | None
    responder_id: int | None


@attrs.define
class StoredAttachment:
    """An attachment and where its bytes come from (a generated file or an upload)."""

    name: str
    content_type: str
    size: int
    data: bytes | None = None
    source: Attachment | None = None


@attrs.frozen
class Upload:
    """A file sent in a multipart request's ``attachments[]`` part."""

    name: str
    content_type: str
    data: bytes


@attrs.define
class _StoredTicket:
    json: Json
    stats: Json
    conversations: list[Json]


def _valid_email(value: object) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "field"


class FreshdeskBackend:
    """All objects of one emulated Freshdesk account."""

    def __init__(
        self,
        *,
        tickets: int,
        seed: int,
        instance: str,
        clock: SandboxClock,
        empty: bool = False,
        owner_email: str = "admin@demo.example",
    ) -> None:
        self.params = {"tickets": tickets, "seed": seed, "instance": instance}
        self.empty = empty
        """A brand-new account: its owner (an Account Administrator) and default fields only."""
        self.owner_email = owner_email
        self.clock = clock
        self.lock = threading.RLock()
        """Held by the router around each request: server threads share the state."""
        self.reset()

    # -- state -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every change: seed again from the dataset and restart the desk's "now"."""
        self._t0 = self.clock.monotonic()
        self._epoch = DEFAULT_START + timedelta(days=365)
        self.desk: HelpDesk | None = None if self.empty else generate(**self.params)  # type: ignore[arg-type]
        self.companies: dict[int, Json] = {}
        self.contacts: dict[int, Json] = {}
        self.agents: dict[int, Json] = {}
        self.groups: dict[int, Json] = {}
        self.roles: dict[int, Json] = {}
        self.fields: dict[str, dict[int, Json]] = {kind: {} for kind in _OBJECTS}
        self.sla_policies: dict[int, Json] = {}
        self.automations: dict[int, dict[int, Json]] = {1: {}, 3: {}, 4: {}}
        self.ratings: dict[int, Json] = {}
        self.products: dict[int, Json] = {}
        """The account's products (the desk's brands), by id."""
        self.time_entries: dict[int, Json] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self._tickets: dict[int, _StoredTicket] = {}
        self._seeded: dict[int, Ticket] = {}
        self.ticket_keys: dict[int, TicketKeys] = {}
        self._users: dict[str, User] = {}
        self._events: dict[str, list[SlaEvent]] = {}
        self._metrics: dict[str, TicketMetrics] = {}
        self._seeded_attachments_indexed = False
        self._conversation_owner: dict[int, int] | None = None
        self._next: dict[str, int] = {}
        self.version = 0
        """Bumped on every ticket change (list caches follow it)."""
        self.owner_id = 0
        """The agent the API key belongs to (``/agents/me``)."""
        self._created_ticket_fields: list[str] = []
        self.field_defs: dict[FieldObject, list[FieldDef]] = {kind: [] for kind in FieldObject}
        """The generated custom field definitions, by object."""
        self._seed()

    def now(self) -> datetime:
        """The account's wall-clock time: the desk's "now" plus time passed on the clock."""
        return self._epoch + timedelta(seconds=self.clock.monotonic() - self._t0)

    def now_iso(self) -> str:
        """:meth:`now` in Freshdesk's format."""
        stamp = iso(self.now())
        assert stamp is not None
        return stamp

    def new_id(self, kind: str) -> int:
        """The next free id of ``kind``."""
        self._next[kind] += 1
        return self._next[kind]

    # -- seeding ---------------------------------------------------------------------------

    def _seed(self) -> None:
        for role_id, name, description in seed.ROLES:
            self.roles[role_id] = {
                "id": role_id,
                "name": name,
                "description": description,
                "default": True,
                "agent_type": 1,
                "created_at": "2023-01-05T09:00:00Z",
                "updated_at": "2023-01-05T09:00:00Z",
            }
        desk = self.desk
        types = list(seed.TYPE_NAMES.values())
        if desk is not None:
            for brand in desk.brands:
                self.products[int(brand.id)] = seed.product_json(brand)
            typed = next(
                (
                    f
                    for f in desk.fields
                    if f.object is FieldObject.TICKET and f.key == seed.TICKET_TYPE_KEY
                ),
                None,
            )
            if typed is not None:  # the account's own types too: Freshdesk's ticket_type field
                types += [o.value for o in typed.options if o.value not in types]
        products = {p["name"]: p["id"] for p in self.products.values()}
        for field in seed.default_ticket_fields(types, products):
            self.fields["ticket"][field["id"]] = field
        for kind in ("contact", "company"):
            for field in seed.default_object_fields(kind):
                self.fields[kind][field["id"]] = field
        if desk is None:
            self._next = dict.fromkeys(("ticket", "contact", "company", "group", "field"), 1000)
            self._next.update({"conversation": 10_000, "attachment": 10_000, "time_entry": 0})
            self.owner_id = self.new_id("contact")
            owner = User(
                id=str(self.owner_id), name="Account owner", email=self.owner_email, role=Role.ADMIN
            )
            self.agents[self.owner_id] = seed.agent_json(owner, [], owner=True)
            self.agents[self.owner_id]["created_at"] = self.now_iso()
            return
        # the desk's ticket_type field is Freshdesk's default one (its choices above), never a
        # custom field: a ticket's value for it is the ticket's type
        by_object = {
            kind: [
                f
                for f in desk.fields
                if f.object is kind
                and not (kind is FieldObject.TICKET and f.key == seed.TICKET_TYPE_KEY)
            ]
            for kind in FieldObject
        }
        self.field_defs.update(by_object)
        for kind, name in (
            (FieldObject.TICKET, "ticket"),
            (FieldObject.USER, "contact"),
            (FieldObject.ORGANIZATION, "company"),
        ):
            start = len(self.fields[name])
            for position, definition in enumerate(by_object[kind], start=start + 1):
                self.fields[name][int(definition.id)] = seed.field_json(definition, position)
        for org in desk.organizations:
            self.companies[int(org.id)] = seed.company_json(
                org, by_object[FieldObject.ORGANIZATION]
            )
        groups_of: dict[str, list[int]] = {}
        for membership in desk.memberships:
            groups_of.setdefault(membership.user.id, []).append(int(membership.group.id))
        owner_set = False
        memberships_of: dict[str, list[OrganizationMembership]] = {}
        for belonging in desk.organization_memberships:
            memberships_of.setdefault(belonging.user.id, []).append(belonging)
        for user in desk.users:
            self._users[user.id] = user
            if user.role is Role.END_USER:
                self.contacts[int(user.id)] = seed.contact_json(
                    user, by_object[FieldObject.USER], memberships_of.get(user.id, ())
                )
            else:
                is_owner = user.role is Role.ADMIN and not owner_set
                owner_set = owner_set or is_owner
                self.agents[int(user.id)] = seed.agent_json(
                    user, groups_of.get(user.id, []), owner=is_owner
                )
                if is_owner:
                    self.owner_id = int(user.id)
        for group in desk.groups:
            self.groups[int(group.id)] = seed.group_json(group, desk.memberships)
        vip = [int(o.id) for o in desk.organizations if o.tags]
        for policy in desk.sla_policies:
            self.sla_policies[int(policy.id)] = seed.sla_policy_json(policy, company_ids=vip)
        for rule_type, rules in seed.automation_rules(desk.rules, desk.fields).items():
            self.automations[rule_type] = {rule["id"]: rule for rule in rules}
        for rating in desk.ratings:
            answer = seed.rating_json(rating)
            if answer is not None:
                self.ratings[answer["id"]] = answer
        for event in desk.sla_events:
            self._events.setdefault(event.ticket.id, []).append(event)
        for metrics in desk.metrics:
            self._metrics[metrics.ticket.id] = metrics
        for ticket in desk.tickets:
            tid = int(ticket.id)
            self._seeded[tid] = ticket
            self.ticket_keys[tid] = TicketKeys(
                seed.iso(ticket.created_at) or "",
                seed.iso(ticket.updated_at) or "",
                seed.STATUS_CODES[ticket.status],
                ticket.deleted,
                False,
                None if ticket.requester is None else int(ticket.requester.id),
                None if ticket.organization is None else int(ticket.organization.id),
                None if ticket.assignee is None else int(ticket.assignee.id),
            )
        last_comment = max(
            (int(t.comments[-1].id) for t in desk.tickets if t.comments), default=10_000_000_000
        )
        self._next = {
            "ticket": max(self._seeded, default=0),
            "contact": max(int(u.id) for u in desk.users) if desk.users else 361_000_001_000,
            "company": max(self.companies, default=360_000_001_000),
            "group": max(self.groups, default=362_000_000_100),
            "field": max(int(f.id) for f in desk.fields) if desk.fields else 364_000_000_100,
            "conversation": last_comment + 1_000_000,
            "attachment": 29_000_000_000,
            "time_entry": 0,
        }

    # -- lookups ---------------------------------------------------------------------------

    def contact_or_agent(self, user_id: int) -> Json | None:
        """The contact, or the agent's contact, with this id."""
        if user_id in self.contacts:
            return self.contacts[user_id]
        agent = self.agents.get(user_id)
        return None if agent is None else {"id": user_id, **agent["contact"]}

    def find_contact(self, *, email: str | None = None, external: str | None = None) -> int | None:
        """The id of the contact with this e-mail (any case) or unique external id."""
        for contact_id, contact in self.contacts.items():
            if email is not None and (contact.get("email") or "").lower() == email.lower():
                return contact_id
            if external is not None and contact.get("unique_external_id") == external:
                return contact_id
        if email is not None:
            for agent_id, agent in self.agents.items():
                if (agent["contact"].get("email") or "").lower() == email.lower():
                    return agent_id
        return None

    # -- tickets ---------------------------------------------------------------------------

    def ticket_types(self) -> list[str]:
        """The account's ticket types: the default ``ticket_type`` field's choices."""
        for field in self.fields["ticket"].values():
            if field["name"] == seed.TICKET_TYPE_KEY and field["default"]:
                return _choice_values(field)
        return list(seed.TYPE_NAMES.values())

    def has_ticket(self, ticket_id: int) -> bool:
        """Whether the ticket exists (deleted or not)."""
        return ticket_id in self.ticket_keys

    def _fallback_sla(self) -> Mapping[str, Json] | None:
        for policy in self.sla_policies.values():
            if policy.get("is_default"):
                target: Mapping[str, Json] = policy["sla_target"]
                return target
        return None

    def _render(self, ticket: Ticket) -> _StoredTicket:
        fields = self.field_defs[FieldObject.TICKET]
        body = seed.ticket_json(
            ticket,
            fields=fields,
            users=self._users,
            events=self._events.get(ticket.id, ()),
            fallback_sla=self._fallback_sla(),
        )
        stats = seed.ticket_stats(ticket, self._metrics.get(ticket.id), self._users)
        requester = self._users.get(ticket.requester.id) if ticket.requester else None
        conversations = [
            seed.conversation_json(
                comment,
                int(ticket.id),
                users=self._users,
                requester_email=requester.email if requester else None,
                fallback_user=self.owner_id,
            )
            for comment in ticket.comments[1:]
        ]
        return _StoredTicket(body, stats, conversations)

    def _stored(self, ticket_id: int) -> _StoredTicket:
        stored = self._tickets.get(ticket_id)
        if stored is not None:
            return stored
        ticket = self._seeded.get(ticket_id)
        if ticket is None:
            raise NotFound()
        return self._render(ticket)

    def _materialize(self, ticket_id: int) -> _StoredTicket:
        stored = self._stored(ticket_id)
        if ticket_id in self._seeded:
            self._index_seeded_attachments()
            del self._seeded[ticket_id]
            self._tickets[ticket_id] = stored
        return stored

    def ticket(self, ticket_id: int) -> Json:
        """A ticket's JSON (no embeds), deleted ones included (404 if unknown)."""
        return self._stored(ticket_id).json

    def ticket_stats(self, ticket_id: int) -> Json:
        """A ticket's ``stats`` embed."""
        return self._stored(ticket_id).stats

    def conversations(self, ticket_id: int) -> list[Json]:
        """A ticket's conversations, oldest first."""
        return self._stored(ticket_id).conversations

    def requester_embed(self, ticket: Json) -> Json | None:
        """The ``requester`` embed: id, name, email, mobile, phone."""
        requester = ticket.get("requester_id")
        contact = None if requester is None else self.contact_or_agent(int(requester))
        if contact is None:
            return None
        return {k: contact.get(k) for k in ("id", "name", "email", "mobile", "phone")}

    def _keys_of(self, body: Json, stats_spam: bool = False) -> TicketKeys:
        return TicketKeys(
            body["created_at"],
            body["updated_at"],
            int(body["status"]),
            bool(body.get("deleted")),
            bool(body.get("spam")) or stats_spam,
            body.get("requester_id"),
            body.get("company_id"),
            body.get("responder_id"),
        )

    def _touch(self, ticket_id: int, stored: _StoredTicket, *, stamp: bool = True) -> None:
        if stamp:
            stored.json["updated_at"] = self.now_iso()
        self.ticket_keys[ticket_id] = self._keys_of(stored.json)
        self.version += 1

    def validate_ticket(self, data: Json, *, creating: bool) -> list[FieldError]:
        """Freshdesk's checks of a ticket create or update; the errors found (empty: valid)."""
        errors: list[FieldError] = []
        for key in data:
            if key not in _TICKET_KEYS:
                errors.append(
                    field_error(key, "Unexpected/invalid field in request", "invalid_field")
                )
        self._check_code(data, "status", seed.STATUS_NAMES, errors)
        self._check_code(data, "priority", seed.PRIORITY_NAMES, errors)
        self._check_code(data, "source", seed.SOURCE_NAMES, errors)
        types = self.ticket_types()
        if data.get("type") is not None and data["type"] not in types:
            names = ",".join(types)
            errors.append(field_error("type", f"It should be one of these values: '{names}'"))
        product = data.get("product_id")
        if product is not None and (not isinstance(product, int) or product not in self.products):
            errors.append(
                field_error("product_id", "There is no product matching the given product_id")
            )
        if "email" in data and not _valid_email(data["email"]):
            errors.append(field_error("email", "It should be in the 'valid email address' format"))
        for email in data.get("cc_emails") or []:
            if not _valid_email(email):
                errors.append(
                    field_error("cc_emails", "It should be in the 'valid email address' format")
                )
                break
        for key, kind in (
            ("responder_id", "agent"),
            ("group_id", "group"),
            ("company_id", "company"),
        ):
            value = data.get(key)
            if value is None:
                continue
            known = {"agent": self.agents, "group": self.groups, "company": self.companies}[kind]
            if not isinstance(value, int) or value not in known:
                errors.append(field_error(key, f"There is no {kind} matching the given {key}"))
        if data.get("requester_id") is not None and (
            not isinstance(data["requester_id"], int)
            or self.contact_or_agent(data["requester_id"]) is None
        ):
            errors.append(
                field_error("requester_id", "There is no contact matching the given requester_id")
            )
        if creating and not any(
            data.get(k)
            for k in (
                "requester_id",
                "email",
                "phone",
                "twitter_id",
                "facebook_id",
                "unique_external_id",
            )
        ):
            errors.append(
                field_error(
                    "requester_id",
                    "Please fill at least 1 of requester_id, phone, email, twitter_id,"
                    " facebook_id, unique_external_id fields",
                    "missing_field",
                )
            )
        if "tags" in data and not (
            isinstance(data["tags"], list) and all(isinstance(t, str) for t in data["tags"])
        ):
            errors.append(field_error("tags", "It should be a/an Array", "datatype_mismatch"))
        errors.extend(self.validate_custom("ticket", data.get("custom_fields")))
        return errors

    def _check_code(
        self, data: Json, key: str, allowed: Mapping[int, str], errors: list[FieldError]
    ) -> None:
        if key in data and data[key] not in allowed:
            values = ",".join(str(code) for code in allowed)
            if not isinstance(data[key], int) or isinstance(data[key], bool):
                errors.append(
                    field_error(
                        key,
                        f"Value set is of type {type(data[key]).__name__.title()}."
                        "It should be a/an Integer",
                        "datatype_mismatch",
                    )
                )
            else:
                errors.append(field_error(key, f"It should be one of these values: '{values}'"))

    def validate_custom(self, kind: str, values: object) -> list[FieldError]:
        """Check ``custom_fields`` against the object's fields: names, types, choices."""
        if values is None:
            return []
        if not isinstance(values, dict):
            return [
                field_error(
                    "custom_fields", "It should be a/an key/value pair", "datatype_mismatch"
                )
            ]
        by_name = {f["name"]: f for f in self.fields[kind].values() if not f["default"]}
        errors: list[FieldError] = []
        for name, value in values.items():
            field = by_name.get(name)
            if field is None:
                errors.append(
                    field_error(name, "Unexpected/invalid field in request", "invalid_field")
                )
                continue
            if value is None:
                continue
            kind_ = field["type"]
            if kind_ == "custom_dropdown":
                choices = _choice_values(field)
                if value not in choices:
                    errors.append(
                        field_error(
                            name, f"It should be one of these values: '{','.join(choices)}'"
                        )
                    )
            elif kind_ == "custom_multi_select_dropdown":
                choices = _choice_values(field)
                if not isinstance(value, list) or any(v not in choices for v in value):
                    errors.append(
                        field_error(
                            name, f"It should be one of these values: '{','.join(choices)}'"
                        )
                    )
            elif kind_ == "custom_number" and (
                not isinstance(value, int) or isinstance(value, bool)
            ):
                errors.append(_mismatch(name, value, "Integer"))
            elif kind_ == "custom_decimal" and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                if not (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value)):
                    errors.append(_mismatch(name, value, "Number"))
            elif kind_ == "custom_checkbox" and not isinstance(value, bool):
                errors.append(_mismatch(name, value, "Boolean"))
            elif kind_ == "custom_date" and not (
                isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            ):
                errors.append(field_error(name, "It should be in the 'yyyy-mm-dd' format"))
            elif kind_ in ("custom_text", "custom_paragraph") and not isinstance(value, str):
                errors.append(_mismatch(name, value, "String"))
            elif kind_ == "custom_text" and len(value) > MAX_TEXT_CHARS:
                errors.append(
                    field_error(
                        name,
                        f"Has {len(value)} characters, it can have maximum of"
                        f" {MAX_TEXT_CHARS} characters",
                    )
                )
        return errors

    def _requester(self, data: Json) -> int:
        if data.get("requester_id") is not None:
            return int(data["requester_id"])
        external = data.get("unique_external_id")
        email = data.get("email")
        found = self.find_contact(email=email) if email else None
        if found is None and external:
            found = self.find_contact(external=external)
        if found is not None:
            return found
        contact = {
            "name": data.get("name") or (email or external or data.get("phone") or "Unknown")
        }
        for key in ("email", "phone", "unique_external_id", "twitter_id", "facebook_id"):
            if data.get(key):
                contact[key] = data[key]
        return int(self.create_contact(contact)["id"])

    def _store_uploads(self, uploads: Sequence[Upload], created: str) -> list[Json]:
        out = []
        for upload in uploads:
            attachment_id = self.new_id("attachment")
            self.attachments[attachment_id] = StoredAttachment(
                upload.name, upload.content_type, len(upload.data), data=upload.data
            )
            name = quote(upload.name)
            out.append(
                {
                    "id": attachment_id,
                    "content_type": upload.content_type,
                    "file_size": len(upload.data),
                    "name": upload.name,
                    "attachment_url": (
                        f"{BASE}{seed.ATTACHMENT_PATH}/{attachment_id}/original/{name}"
                    ),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return out

    def _custom_defaults(self) -> Json:
        return {f["name"]: None for f in self.fields["ticket"].values() if not f["default"]}

    def create_ticket(self, data: Json, uploads: Sequence[Upload] = ()) -> Json:
        """``POST /tickets``: validate, find or create the requester, store; the new ticket."""
        errors = self.validate_ticket(data, creating=True)
        if errors:
            raise ValidationFailed(errors)
        _check_size(uploads)
        now = self.now_iso()
        ticket_id = self.new_id("ticket")
        requester = self._requester(data)
        description = str(data.get("description") or "")
        priority = int(data.get("priority", 1))
        created = self.now()
        sla = seed.sla_dates(created, [], self._fallback_sla(), priority)
        custom = self._custom_defaults()
        custom.update(data.get("custom_fields") or {})
        contact = self.contact_or_agent(requester) or {}
        cc = list(data.get("cc_emails") or [])
        body: Json = {
            "cc_emails": cc,
            "fwd_emails": [],
            "reply_cc_emails": list(cc),
            "ticket_cc_emails": list(cc),
            "ticket_bcc_emails": [],
            "email_config_id": data.get("email_config_id"),
            "fr_escalated": False,
            "group_id": data.get("group_id"),
            "priority": priority,
            "requester_id": requester,
            "responder_id": data.get("responder_id"),
            "source": int(data.get("source", 2)),
            "spam": False,
            "status": int(data.get("status", 2)),
            "subject": data.get("subject"),
            "type": data.get("type"),
            "company_id": data.get("company_id", contact.get("company_id")),
            "id": ticket_id,
            "to_emails": None,
            "product_id": data.get("product_id"),
            "association_type": None,
            "associated_tickets_count": None,
            "internal_agent_id": data.get("internal_agent_id"),
            "internal_group_id": data.get("internal_group_id"),
            "support_email": None,
            "created_at": now,
            "updated_at": now,
            "due_by": data.get("due_by") or sla["due_by"],
            "fr_due_by": data.get("fr_due_by") or sla["fr_due_by"],
            "is_escalated": False,
            "nr_due_by": None,
            "nr_escalated": False,
            "description": description,
            "description_text": _text(description),
            "structured_description": None,
            "custom_fields": custom,
            "tags": list(data.get("tags") or []),
            "attachments": self._store_uploads(uploads, now),
        }
        status = body["status"]
        stats: Json = {
            "agent_responded_at": None,
            "requester_responded_at": None,
            "first_responded_at": None,
            "status_updated_at": now,
            "reopened_at": None,
            "resolved_at": now if status in (4, 5) else None,
            "closed_at": now if status == 5 else None,
            "pending_since": now if status == 3 else None,
        }
        stored = _StoredTicket(body, stats, [])
        self._tickets[ticket_id] = stored
        self._touch(ticket_id, stored, stamp=False)
        return body

    def update_ticket(self, ticket_id: int, data: Json, uploads: Sequence[Upload] = ()) -> Json:
        """``PUT /tickets/{id}``: change the given attributes (405 on a deleted or spam ticket)."""
        stored = self._stored(ticket_id)
        if stored.json.get("deleted") or stored.json.get("spam"):
            raise MethodNotAllowed(["GET"])
        errors = self.validate_ticket(data, creating=False)
        if errors:
            raise ValidationFailed(errors)
        existing = sum(a["file_size"] for a in stored.json["attachments"])
        _check_size(uploads, existing)
        stored = self._materialize(ticket_id)
        body = stored.json
        if any(data.get(k) for k in ("email", "unique_external_id", "phone")) and not data.get(
            "requester_id"
        ):
            body["requester_id"] = self._requester(data)
        for key, value in data.items():
            if key in ("email", "unique_external_id", "phone", "name", "twitter_id", "facebook_id"):
                continue
            if key == "custom_fields":
                body["custom_fields"].update(value or {})
            elif key == "description":
                body["description"] = str(value or "")
                body["description_text"] = _text(body["description"])
            elif key in body or key in ("requester_id",):
                body[key] = value
        if "status" in data:
            now = self.now_iso()
            stored.stats["status_updated_at"] = now
            if data["status"] in (4, 5) and stored.stats["resolved_at"] is None:
                stored.stats["resolved_at"] = now
            if data["status"] == 5:
                stored.stats["closed_at"] = now
            stored.stats["pending_since"] = now if data["status"] == 3 else None
        body["attachments"].extend(self._store_uploads(uploads, self.now_iso()))
        self._touch(ticket_id, stored)
        return body

    def delete_ticket(self, ticket_id: int) -> None:
        """``DELETE /tickets/{id}``: to the trash (listed with ``filter=deleted``)."""
        stored = self._stored(ticket_id)
        if stored.json.get("deleted"):
            raise MethodNotAllowed(["GET"])
        stored = self._materialize(ticket_id)
        stored.json["deleted"] = True
        self._touch(ticket_id, stored)

    def restore_ticket(self, ticket_id: int) -> None:
        """``PUT /tickets/{id}/restore``: out of the trash."""
        self._stored(ticket_id)
        stored = self._materialize(ticket_id)
        stored.json.pop("deleted", None)
        self._touch(ticket_id, stored)

    def add_conversation(
        self,
        ticket_id: int,
        *,
        reply: bool,
        data: Json,
        uploads: Sequence[Upload] = (),
    ) -> Json:
        """``POST /tickets/{id}/reply`` or ``/notes``: a new conversation on the ticket."""
        stored = self._stored(ticket_id)
        if stored.json.get("deleted") or stored.json.get("spam"):
            raise MethodNotAllowed(["GET"])
        allowed = (
            ("body", "attachments", "from_email", "user_id", "cc_emails", "bcc_emails")
            if reply
            else ("body", "attachments", "incoming", "notify_emails", "private", "user_id")
        )
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in allowed
        ]
        if not isinstance(data.get("body"), str) or not data["body"]:
            errors.append(field_error("body", "It should be a/an String", "missing_field"))
        user_id = data.get("user_id", self.owner_id)
        if not isinstance(user_id, int) or self.contact_or_agent(user_id) is None:
            errors.append(field_error("user_id", "There is no contact matching the given user_id"))
        elif reply and user_id not in self.agents:
            errors.append(field_error("user_id", "There is no agent matching the given user_id"))
        for key in ("private", "incoming"):
            if key in data and not isinstance(data[key], bool):
                errors.append(_mismatch(key, data[key], "Boolean"))
        if errors:
            raise ValidationFailed(errors)
        _check_size(uploads)
        stored = self._materialize(ticket_id)
        now = self.now_iso()
        private = False if reply else bool(data.get("private", True))
        incoming = False if reply else bool(data.get("incoming", False))
        requester = self.contact_or_agent(stored.json["requester_id"]) or {}
        user = self.contact_or_agent(user_id) or {}
        conversation: Json = {
            "body": data["body"],
            "body_text": _text(data["body"]),
            "id": self.new_id("conversation"),
            "incoming": incoming,
            "private": private,
            "user_id": user_id,
            "support_email": f"support@{SUPPORT_DOMAIN}" if reply else None,
            "source": 0 if reply else 2,
            # Freshdesk's note categories: 1 customer response, 2 private, 3 public by an agent
            "category": 3 if reply else 2 if private else 1 if incoming else 3,
            "ticket_id": ticket_id,
            "to_emails": [requester["email"]] if reply and requester.get("email") else [],
            "from_email": (
                data.get("from_email") or f"{user.get('name')} <support@{SUPPORT_DOMAIN}>"
                if reply
                else None
            ),
            "cc_emails": list(data.get("cc_emails") or []),
            "bcc_emails": list(data.get("bcc_emails") or []) if reply else None,
            "email_failure_count": None,
            "outgoing_failures": None,
            "thread_id": None,
            "thread_message_id": None,
            "attachments": self._store_uploads(uploads, now),
            "automation_id": None,
            "automation_type_id": None,
            "auto_response": False,
            "source_additional_info": None,
            "last_edited_at": None,
            "last_edited_user_id": None,
            "created_at": now,
            "updated_at": now,
        }
        stored.conversations.append(conversation)
        if self._conversation_owner is not None:
            self._conversation_owner[conversation["id"]] = ticket_id
        if reply:
            stored.stats["agent_responded_at"] = now
            stored.stats["first_responded_at"] = stored.stats["first_responded_at"] or now
        elif incoming:
            stored.stats["requester_responded_at"] = now
        self._touch(ticket_id, stored)
        return conversation

    def _owners(self) -> dict[int, int]:
        if self._conversation_owner is None:
            owners: dict[int, int] = {}
            for ticket_id, ticket in self._seeded.items():
                for comment in ticket.comments[1:]:
                    owners[int(comment.id)] = ticket_id
            for ticket_id, stored in self._tickets.items():
                for conversation in stored.conversations:
                    owners[conversation["id"]] = ticket_id
            self._conversation_owner = owners
        return self._conversation_owner

    def update_conversation(self, conversation_id: int, data: Json) -> Json:
        """``PUT /conversations/{id}``: a new body (only body and attachments can change)."""
        ticket_id = self._owners().get(conversation_id)
        if ticket_id is None:
            raise NotFound()
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in ("body", "attachments")
        ]
        if errors:
            raise ValidationFailed(errors)
        stored = self._materialize(ticket_id)
        for conversation in stored.conversations:
            if conversation["id"] == conversation_id:
                if "body" in data:
                    conversation["body"] = str(data["body"])
                    conversation["body_text"] = _text(conversation["body"])
                conversation["updated_at"] = conversation["last_edited_at"] = self.now_iso()
                conversation["last_edited_user_id"] = self.owner_id
                self._touch(ticket_id, stored, stamp=False)
                return conversation
        raise NotFound()

    def delete_conversation(self, conversation_id: int) -> None:
        """``DELETE /conversations/{id}``."""
        ticket_id = self._owners().pop(conversation_id, None)
        if ticket_id is None:
            raise NotFound()
        stored = self._materialize(ticket_id)
        stored.conversations[:] = [c for c in stored.conversations if c["id"] != conversation_id]
        self._touch(ticket_id, stored, stamp=False)

    def _index_seeded_attachments(self) -> None:
        if self._seeded_attachments_indexed or self.desk is None:
            return
        for ticket in self._seeded.values():
            for comment in ticket.comments:
                for attachment in comment.attachments:
                    self.attachments[int(attachment.id)] = StoredAttachment(
                        attachment.file_name,
                        attachment.content_type,
                        attachment.size,
                        source=attachment,
                    )
        self._seeded_attachments_indexed = True

    def attachment_bytes(self, attachment_id: int) -> StoredAttachment:
        """An attachment with its bytes (404 if unknown)."""
        self._index_seeded_attachments()
        stored = self.attachments.get(attachment_id)
        if stored is None:
            raise NotFound()
        if stored.data is None and stored.source is not None and self.desk is not None:
            return attrs.evolve(stored, data=self.desk.blob(stored.source))
        return stored

    def ticket_events(self, ticket_id: int) -> Sequence[SlaEvent]:
        """The generated SLA events of a seeded ticket (for tests and search by due dates)."""
        return self._events.get(str(ticket_id), ())

    # -- contacts, companies, groups, fields -----------------------------------------------

    def create_contact(self, data: Json) -> Json:
        """``POST /contacts``: validate and store (409 for a taken e-mail or external id)."""
        errors = self._validate_contact(data)
        if errors:
            raise ValidationFailed(errors)
        self._check_unique(data, None)
        now = self.now_iso()
        contact_id = self.new_id("contact")
        custom = {f["name"]: None for f in self.fields["contact"].values() if not f["default"]}
        custom.update(data.get("custom_fields") or {})
        contact: Json = {
            "active": False,
            "address": data.get("address"),
            "avatar": None,
            "company_id": data.get("company_id"),
            "view_all_tickets": bool(data.get("view_all_tickets", False)),
            "description": data.get("description"),
            "email": data.get("email"),
            "id": contact_id,
            "job_title": data.get("job_title"),
            "language": data.get("language", "en"),
            "mobile": data.get("mobile"),
            "name": data.get("name"),
            "phone": data.get("phone"),
            "time_zone": data.get("time_zone", "Eastern Time (US & Canada)"),
            "twitter_id": data.get("twitter_id"),
            "facebook_id": data.get("facebook_id"),
            "other_emails": list(data.get("other_emails") or []),
            "other_companies": list(data.get("other_companies") or []),
            "tags": list(data.get("tags") or []),
            "unique_external_id": data.get("unique_external_id"),
            "custom_fields": custom,
            "created_at": now,
            "updated_at": now,
        }
        self.contacts[contact_id] = contact
        return contact

    def update_contact(self, contact_id: int, data: Json) -> Json:
        """``PUT /contacts/{id}`` (405 for a blocked or deleted contact)."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise NotFound()
        if contact.get("deleted") or contact.get("blocked"):
            raise MethodNotAllowed(["GET"])
        errors = self._validate_contact(data, creating=False, current=contact)
        if errors:
            raise ValidationFailed(errors)
        self._check_unique(data, contact_id)
        for key, value in data.items():
            if key == "custom_fields":
                contact["custom_fields"].update(value or {})
            else:
                contact[key] = value
        contact["updated_at"] = self.now_iso()
        return contact

    def _validate_contact(
        self, data: Json, *, creating: bool = True, current: Json | None = None
    ) -> list[FieldError]:
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in _CONTACT_KEYS
        ]
        if creating and not data.get("name"):
            errors.append(field_error("name", "It should be a/an String", "missing_field"))
        if creating and not any(
            data.get(k) for k in ("email", "phone", "mobile", "twitter_id", "unique_external_id")
        ):
            errors.append(
                field_error(
                    "email",
                    "Please fill at least 1 of email, mobile, phone, twitter_id,"
                    " unique_external_id fields",
                    "missing_field",
                )
            )
        if data.get("email") is not None and not _valid_email(data["email"]):
            errors.append(field_error("email", "It should be in the 'valid email address' format"))
        if data.get("company_id") is not None and data["company_id"] not in self.companies:
            errors.append(
                field_error("company_id", "There is no company matching the given company_id")
            )
        errors.extend(self._contact_list_errors({**(current or {}), **data}))
        errors.extend(self.validate_custom("contact", data.get("custom_fields")))
        return errors

    def _contact_list_errors(self, data: Json) -> list[FieldError]:
        """``other_emails`` and ``other_companies`` as Freshdesk's contact validation checks
        them: at most :data:`MAX_OTHER_EMAILS` other e-mails and only beside a primary one;
        other companies only beside a ``company_id``, at most :data:`MAX_OTHER_COMPANIES`,
        none twice and not the default company again."""
        errors: list[FieldError] = []
        others = data.get("other_emails")
        if others is not None:
            if not isinstance(others, list):
                errors.append(_mismatch("other_emails", others, "Array"))
            elif len(others) > MAX_OTHER_EMAILS:
                errors.append(
                    field_error(
                        "other_emails",
                        f"Has {len(others)} values, it can have maximum of"
                        f" {MAX_OTHER_EMAILS} values",
                    )
                )
            elif any(not isinstance(o, str) or not _valid_email(o) for o in others):
                errors.append(
                    field_error("other_emails", "It should contain elements that are valid emails")
                )
            elif others and not data.get("email"):
                errors.append(
                    field_error(
                        "email",
                        "It should not be blank as other_emails is present",
                        "missing_field",
                    )
                )
        companies = data.get("other_companies")
        if companies is None:
            return errors
        if not isinstance(companies, list) or any(
            not isinstance(c, dict) or not isinstance(c.get("company_id"), int) for c in companies
        ):
            errors.append(
                field_error("other_companies", "It should contain elements of type Hash only")
            )
            return errors
        ids = [c["company_id"] for c in companies]
        if companies and data.get("company_id") is None:
            errors.append(
                field_error(
                    "company_id",
                    "It should not be blank as other_companies is present",
                    "missing_field",
                )
            )
        elif len(ids) > MAX_OTHER_COMPANIES:
            errors.append(
                field_error(
                    "other_companies",
                    f"Has {len(ids)} elements, it can have maximum of"
                    f" {MAX_OTHER_COMPANIES} elements",
                )
            )
        elif data.get("company_id") in ids:
            errors.append(
                field_error(
                    "other_companies",
                    f"{data['company_id']} is the default company and cannot be in other_companies",
                )
            )
        elif len(set(ids)) != len(ids):
            errors.append(field_error("other_companies", "It has duplicate companies"))
        elif any(i not in self.companies for i in ids):
            errors.append(
                field_error("other_companies", "There is no company matching the given company_id")
            )
        return errors

    def _check_unique(self, data: Json, own_id: int | None) -> None:
        for key in ("email", "unique_external_id"):
            value = data.get(key)
            if not value:
                continue
            holder = self.find_contact(
                **({"email": value} if key == "email" else {"external": value})
            )
            if holder is not None and holder != own_id:
                raise Conflict(key, holder)

    def delete_contact(self, contact_id: int) -> None:
        """``DELETE /contacts/{id}``: soft delete."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise NotFound()
        if contact.get("deleted"):
            raise MethodNotAllowed(["GET"])
        contact["deleted"] = True
        contact["updated_at"] = self.now_iso()

    def hard_delete_contact(self, contact_id: int) -> None:
        """``DELETE /contacts/{id}/hard_delete``."""
        if self.contacts.pop(contact_id, None) is None:
            raise NotFound()

    def restore_contact(self, contact_id: int) -> None:
        """``PUT /contacts/{id}/restore``."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise NotFound()
        contact.pop("deleted", None)
        contact["updated_at"] = self.now_iso()

    def save_company(self, data: Json, company_id: int | None = None) -> Json:
        """``POST /companies`` or ``PUT /companies/{id}`` (409 for a taken name)."""
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in _COMPANY_KEYS
        ]
        if company_id is None and not data.get("name"):
            errors.append(field_error("name", "It should be a/an String", "missing_field"))
        if "domains" in data and not isinstance(data["domains"], list):
            errors.append(field_error("domains", "It should be a/an Array", "datatype_mismatch"))
        errors.extend(self.validate_custom("company", data.get("custom_fields")))
        if errors:
            raise ValidationFailed(errors)
        name = data.get("name")
        for other_id, other in self.companies.items():
            if name and other_id != company_id and str(other["name"]).lower() == str(name).lower():
                raise Conflict("name", other_id, "company_id")
        now = self.now_iso()
        if company_id is None:
            company_id = self.new_id("company")
            custom = {f["name"]: None for f in self.fields["company"].values() if not f["default"]}
            self.companies[company_id] = {
                "id": company_id,
                "name": name,
                "description": None,
                "note": None,
                "domains": [],
                "custom_fields": custom,
                "health_score": None,
                "account_tier": None,
                "renewal_date": None,
                "industry": None,
                "created_at": now,
                "updated_at": now,
            }
        company = self.companies.get(company_id)
        if company is None:
            raise NotFound()
        for key, value in data.items():
            if key == "custom_fields":
                company["custom_fields"].update(value or {})
            else:
                company[key] = value
        company["updated_at"] = now
        return company

    def save_sla_policy(self, data: Json, policy_id: int | None = None) -> Json:
        """Create (``policy_id`` None) or update an SLA policy, validated as Freshdesk does:
        400 ``Validation failed`` naming each field, 400 ``cannot_update_default_sla`` for the
        default policy, 404 for an unknown id."""
        policy = None
        if policy_id is not None:
            policy = self.sla_policies.get(policy_id)
            if policy is None:
                raise NotFound()
            if policy.get("is_default"):
                raise FreshdeskError(
                    {
                        "code": "cannot_update_default_sla",
                        "message": "The default SLA policy cannot be updated",
                    }
                )
        errors = _sla_policy_errors(data, create=policy is None)
        errors += self._sla_scope_errors(data.get("applicable_to"))
        if errors:
            raise ValidationFailed(errors)
        now = self.now_iso()
        if policy is None:
            pid = max((*self.sla_policies, 365_200_000_000)) + 1
            policy = {
                "id": pid,
                "name": data["name"],
                "description": data.get("description"),
                "active": True,
                "is_default": False,
                "position": max((int(p["position"]) for p in self.sla_policies.values()), default=0)
                + 1,
                "sla_target": {},
                "applicable_to": {},
                "escalation": {},
                "created_at": now,
            }
            self.sla_policies[pid] = policy
        for key in ("name", "description", "active", "sla_target", "escalation"):
            if key in data:
                policy[key] = copy.deepcopy(data[key])
        if "applicable_to" in data:
            policy["applicable_to"] = {
                k: list(dict.fromkeys(v)) for k, v in data["applicable_to"].items() if v
            }
        policy["updated_at"] = now
        return copy.deepcopy(policy)

    def _sla_scope_errors(self, scope: Any) -> list[FieldError]:
        """Ids in ``applicable_to`` the account does not have."""
        errors: list[FieldError] = []
        if not isinstance(scope, Mapping):
            return errors
        for key, table in (("company_ids", self.companies), ("group_ids", self.groups)):
            ids = scope.get(key)
            if not isinstance(ids, list):
                continue
            unknown = [str(i) for i in ids if not isinstance(i, int) or i not in table]
            if unknown:
                message = f"There are no records matching the ids: '{', '.join(unknown)}'"
                errors.append(field_error(key, message, "invalid_list"))
        return errors

    def save_group(self, data: Json, group_id: int | None = None) -> Json:
        """``POST /groups`` or ``PUT /groups/{id}`` (``agent_ids`` replaces the members)."""
        allowed = (
            "name",
            "description",
            "agent_ids",
            "escalate_to",
            "unassigned_for",
            "auto_ticket_assign",
            "business_hour_id",
            "group_type",
        )
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in allowed
        ]
        if group_id is None and not data.get("name"):
            errors.append(field_error("name", "It should be a/an String", "missing_field"))
        agent_ids = data.get("agent_ids")
        if agent_ids is not None and (
            not isinstance(agent_ids, list) or any(a not in self.agents for a in agent_ids)
        ):
            errors.append(
                field_error("agent_ids", "There are no agents matching the given agent_ids")
            )
        if errors:
            raise ValidationFailed(errors)
        for other_id, other in self.groups.items():
            if data.get("name") and other_id != group_id and other["name"] == data["name"]:
                raise Conflict("name", other_id, "group_id")
        now = self.now_iso()
        if group_id is None:
            group_id = self.new_id("group")
            self.groups[group_id] = {
                "id": group_id,
                "name": data["name"],
                "description": None,
                "business_hour_id": None,
                "escalate_to": None,
                "unassigned_for": None,
                "agent_ids": [],
                "auto_ticket_assign": 0,
                "group_type": "support_agent_group",
                "created_at": now,
                "updated_at": now,
            }
        group = self.groups.get(group_id)
        if group is None:
            raise NotFound()
        group.update(data)
        if "auto_ticket_assign" in data:  # sent as a boolean, answered as 0 or 1
            group["auto_ticket_assign"] = int(bool(data["auto_ticket_assign"]))
        group["updated_at"] = now
        for agent_id, agent in self.agents.items():
            ids = [g for g in agent["group_ids"] if g != group_id]
            if agent_id in group["agent_ids"]:
                ids.append(group_id)
            agent["group_ids"] = ids
        return group

    def create_field(self, kind: str, data: Json, *, admin_api: bool) -> Json:
        """A new custom field: ``cf_<label>_<account>`` on tickets, ``<label>`` elsewhere."""
        allowed_types = set(seed.FIELD_TYPES.values())
        errors: list[FieldError] = []
        label = data.get("label")
        if not isinstance(label, str) or not label:
            errors.append(field_error("label", "It should be a/an String", "missing_field"))
        if data.get("type") not in allowed_types:
            errors.append(
                field_error(
                    "type", f"It should be one of these values: '{','.join(sorted(allowed_types))}'"
                )
            )
        choices = data.get("choices")
        if data.get("type") in ("custom_dropdown", "custom_multi_select_dropdown") and (
            not isinstance(choices, list) or not choices
        ):
            errors.append(field_error("choices", "It should be a/an Array", "missing_field"))
        if errors:
            raise ValidationFailed(errors)
        assert isinstance(label, str)
        slug = _slug(label)
        if kind == "ticket":
            name = f"cf_{slug}_{ACCOUNT_ID}" if admin_api else f"cf_{slug}"
        else:
            defaults = {f["name"] for f in self.fields[kind].values() if f["default"]}
            name = f"custom_{slug}" if slug in defaults else slug
        if any(f["name"] == name or f["label"] == label for f in self.fields[kind].values()):
            raise Conflict(
                "label",
                next(
                    f["id"]
                    for f in self.fields[kind].values()
                    if f["name"] == name or f["label"] == label
                ),
                "field_id",
            )
        now = self.now_iso()
        field_id = self.new_id("field")
        field: Json = {
            "id": field_id,
            "name": name,
            "label": label,
            "description": data.get("description", ""),
            "position": int(data.get("position", len(self.fields[kind]) + 1)),
            "type": data["type"],
            "default": False,
            "required_for_closure": bool(data.get("required_for_closure", False)),
            "required_for_agents": bool(data.get("required_for_agents", False)),
            "required_for_customers": bool(data.get("required_for_customers", False)),
            "label_for_customers": data.get("label_for_customers", label),
            "customers_can_edit": bool(data.get("customers_can_edit", False)),
            "displayed_to_customers": bool(data.get("displayed_to_customers", False)),
            "created_at": now,
            "updated_at": now,
        }
        if isinstance(choices, list):
            values = [c.get("value") if isinstance(c, dict) else c for c in choices]
            field["choices"] = [str(v) for v in values if v is not None]
        self.fields[kind][field_id] = field
        holders = (
            self.contacts.values()
            if kind == "contact"
            else self.companies.values()
            if kind == "company"
            else ()
        )
        for holder in holders:
            holder["custom_fields"].setdefault(name, None)
        if kind == "ticket":
            for stored in self._tickets.values():
                stored.json["custom_fields"].setdefault(name, None)
            self._created_ticket_fields.append(name)
        return field

    def delete_field(self, kind: str, field_id: int) -> bool:
        """Remove a custom field and its value from every ticket, contact or company of
        ``kind``; False if the account has no field ``field_id`` of ``kind``. Raises
        :class:`ValidationFailed` for one of Freshdesk's default fields."""
        field = self.fields[kind].get(field_id)
        if field is None:
            return False
        if field["default"]:
            raise ValidationFailed(
                [field_error("id", "A default field cannot be deleted", "invalid_value")]
            )
        del self.fields[kind][field_id]
        name = field["name"]
        holders: list[Json] = (
            list(self.contacts.values())
            if kind == "contact"
            else list(self.companies.values())
            if kind == "company"
            else [stored.json for stored in self._tickets.values()]
        )
        for holder in holders:
            holder["custom_fields"].pop(name, None)
        if kind == "ticket" and name in self._created_ticket_fields:
            self._created_ticket_fields.remove(name)
        return True

    def with_created_fields(self, ticket: Json) -> Json:
        """``ticket`` with every field created since seeding present (``null`` if unset)."""
        for name in self._created_ticket_fields:
            ticket["custom_fields"].setdefault(name, None)
        return ticket

    def add_agent(self, *, name: str, email: str, admin: bool = False) -> Json:
        """An agent that exists before a migration (a paid seat), with its contact."""
        now = self.now()
        agent_id = self.new_id("contact")
        user = User(
            id=str(agent_id),
            name=name,
            email=email,
            role=Role.ADMIN if admin else Role.AGENT,
            created_at=now,
            updated_at=now,
        )
        agent = seed.agent_json(user, [])
        self.agents[agent_id] = agent
        return agent

    def add_ticket_types(self, names: Iterable[str]) -> list[str]:
        """Types an admin adds to the account's Type field before a migration (Admin > Ticket
        Fields > Type in the web app: the API documents choices for custom dropdowns only);
        the account's types after."""
        for field in self.fields["ticket"].values():
            if field["name"] == seed.TICKET_TYPE_KEY and field["default"]:
                have = _choice_values(field)
                field["choices"] = have + [n for n in dict.fromkeys(names) if n not in have]
                field["updated_at"] = self.now_iso()
        return self.ticket_types()

    def update_agent(self, agent_id: int, data: Json) -> Json:
        """``PUT /agents/{id}``: ``ticket_scope`` (1 global, 2 group, 3 restricted to the
        agent's own tickets), ``signature``, ``occasional``, ``group_ids``, ``role_ids``. As in
        Freshdesk's agent validation, the API key's owner cannot change its own scope or
        roles (400 ``inaccessible_field``)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            raise NotFound()
        errors = [
            field_error(k, "Unexpected/invalid field in request", "invalid_field")
            for k in data
            if k not in _AGENT_KEYS
        ]
        if "ticket_scope" in data and data["ticket_scope"] not in (1, 2, 3):
            errors.append(field_error("ticket_scope", "It should be one of these values: '1,2,3'"))
        if "signature" in data and not isinstance(data["signature"], str | None):
            errors.append(_mismatch("signature", data["signature"], "String"))
        if "occasional" in data and not isinstance(data["occasional"], bool):
            errors.append(_mismatch("occasional", data["occasional"], "Boolean"))
        if agent_id == self.owner_id:
            errors.extend(
                field_error(
                    k,
                    "You are not allowed to change your own role and ticket scope",
                    "inaccessible_field",
                )
                for k in ("role_ids", "ticket_scope")
                if k in data
            )
        if errors:
            raise ValidationFailed(errors)
        for key, value in data.items():
            agent[key] = value
        agent["updated_at"] = self.now_iso()
        return agent

    def add_time_entry(self, ticket_id: int, data: Json) -> Json:
        """``POST /tickets/{id}/time_entries``."""
        ticket = self.ticket(ticket_id)
        entry_id = self.new_id("time_entry")
        now = self.now_iso()
        entry: Json = {
            "billable": bool(data.get("billable", True)),
            "note": str(data.get("note", "")),
            "id": entry_id,
            "timer_running": bool(data.get("timer_running", False)),
            "agent_id": data.get("agent_id", self.owner_id),
            "ticket_id": ticket_id,
            "company_id": ticket.get("company_id"),
            "time_spent": str(data.get("time_spent", "00:00")),
            "time_spent_in_seconds": _seconds(str(data.get("time_spent", "00:00"))),
            "executed_at": data.get("executed_at", now),
            "start_time": data.get("start_time", now),
            "created_at": now,
            "updated_at": now,
        }
        self.time_entries[entry_id] = entry
        return entry

    # -- search ----------------------------------------------------------------------------

    def ticket_lookup(self, ticket_id: int) -> Callable[[str], Any]:
        """The values a filter query can test on a ticket (``cf_x`` and ``x`` for custom fields)."""
        seeded = self._seeded.get(ticket_id)
        if seeded is not None:
            custom = {
                seed.custom_field_name(f): seed.field_value(f, seeded.custom_fields.get(f.key))
                for f in self.field_defs[FieldObject.TICKET]
            }
            keys = self.ticket_keys[ticket_id]
            simple: Json = {
                "agent_id": keys.responder_id,
                "group_id": None if seeded.group is None else int(seeded.group.id),
                "priority": seed.PRIORITY_CODES[seeded.priority] if seeded.priority else 1,
                "status": keys.status,
                "tag": list(seeded.tags),
                "type": seed.ticket_type_name(seeded),
                "created_at": keys.created_at,
                "updated_at": keys.updated_at,
            }
        else:
            body = self._tickets[ticket_id].json
            custom = dict(body["custom_fields"])
            simple = {
                "agent_id": body.get("responder_id"),
                "group_id": body.get("group_id"),
                "priority": body.get("priority"),
                "status": body.get("status"),
                "tag": list(body.get("tags") or []),
                "type": body.get("type"),
                "created_at": body.get("created_at"),
                "updated_at": body.get("updated_at"),
            }

        def lookup(name: str) -> Any:
            if name in simple:
                return simple[name]
            if name in ("due_by", "fr_due_by"):
                return self.ticket(ticket_id).get(name)
            if name in custom:
                return custom[name]
            return custom.get(f"cf_{name}")  # a field created after seeding: unset

        return lookup

    def ticket_fields_named(self) -> set[str]:
        """Names a ticket filter query may use."""
        names = {
            "agent_id",
            "group_id",
            "priority",
            "status",
            "tag",
            "type",
            "due_by",
            "fr_due_by",
            "created_at",
            "updated_at",
        }
        for field in self.fields["ticket"].values():
            if not field["default"]:
                names.add(field["name"])
                names.add(str(field["name"]).removeprefix("cf_"))
        return names

    def live_ticket_ids(self) -> Iterator[int]:
        """Ids of tickets that are neither deleted nor spam."""
        for ticket_id, keys in self.ticket_keys.items():
            if not keys.deleted and not keys.spam:
                yield ticket_id

    def ticket_view(self, ticket_id: int) -> Json:
        """A copy of the ticket's JSON with fields created since seeding filled in."""
        return self.with_created_fields(copy.deepcopy(self.ticket(ticket_id)))


def _seconds(spent: str) -> int:
    """``hh:mm`` as seconds (0 when it is not that)."""
    hours, _, minutes = spent.partition(":")
    return int(hours) * 3600 + int(minutes) * 60 if hours.isdigit() and minutes.isdigit() else 0


def _choice_values(field: Json) -> list[str]:
    return [
        str(c.get("value")) if isinstance(c, dict) else str(c) for c in field.get("choices") or []
    ]


def _mismatch(name: str, value: object, wanted: str) -> FieldError:
    got = {
        bool: "Boolean",
        int: "Integer",
        float: "Number",
        str: "String",
        list: "Array",
        dict: "key/value pair",
    }.get(type(value), "Null")
    return field_error(
        name, f"Value set is of type {got}.It should be a/an {wanted}", "datatype_mismatch"
    )


def _check_size(uploads: Sequence[Upload], existing: int = 0) -> None:
    total = existing + sum(len(u.data) for u in uploads)
    if total > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed.one(
            "attachments",
            f"The cumulative size of all attachments is {total} bytes; it should not exceed 20 MB",
        )


def _text(body: str) -> str:
    plain = re.sub(r"<br\s*/?>|</p>|</div>", "\n", body)
    plain = unescape(re.sub(r"<[^>]+>", "", plain))
    return re.sub(r"\n{3,}", "\n\n", plain).strip()


_SLA_POLICY_FIELDS: Final = frozenset(
    {"name", "description", "active", "sla_target", "applicable_to", "escalation"}
)
_SLA_TARGET_FIELDS: Final = frozenset(
    {
        "respond_within",
        "next_respond_within",
        "resolve_within",
        "business_hours",
        "escalation_enabled",
    }
)
_SLA_SCOPE_FIELDS: Final = frozenset(
    {
        "company_ids",
        "group_ids",
        "product_ids",
        "sources",
        "ticket_types",
        "contact_segments",
        "company_segments",
    }
)
SLA_MIN_SECONDS: Final = 900
"""Freshdesk's shortest SLA target."""


def _sla_policy_errors(data: Mapping[str, Any], *, create: bool) -> list[FieldError]:
    """Freshdesk's checks of an SLA policy body (helpkit's ApiSlaPolicyValidation and
    ApiSlaDetailsValidation): every priority with its targets in seconds."""
    errors = [
        field_error(k, "Unexpected/invalid field in request", "invalid_field")
        for k in data
        if k not in _SLA_POLICY_FIELDS
    ]
    if (create or "name" in data) and (not isinstance(data.get("name"), str) or not data["name"]):
        errors.append(field_error("name", "It should be a/an String", "missing_field"))
    if "active" in data and not isinstance(data["active"], bool):
        errors.append(field_error("active", "It should be a/an Boolean", "datatype_mismatch"))
    target = data.get("sla_target")
    if create and target is None:
        errors.append(
            field_error("sla_target", "It should be a/an key/value pair", "missing_field")
        )
    elif target is not None and not isinstance(target, Mapping):
        errors.append(
            field_error("sla_target", "It should be a/an key/value pair", "datatype_mismatch")
        )
    elif isinstance(target, Mapping):
        for key in target:
            if key not in {f"priority_{n}" for n in range(1, 5)}:
                errors.append(
                    field_error(key, "Unexpected/invalid field in request", "invalid_field")
                )
        for n in range(4, 0, -1):
            entry = target.get(f"priority_{n}")
            if not isinstance(entry, Mapping):
                errors.append(
                    field_error(
                        f"priority_{n}", "It should be a/an key/value pair", "datatype_mismatch"
                    )
                )
                continue
            errors += _sla_target_errors(f"sla_target[priority_{n}]", entry)
    scope = data.get("applicable_to")
    if scope is not None and not isinstance(scope, Mapping):
        errors.append(
            field_error("applicable_to", "It should be a/an key/value pair", "datatype_mismatch")
        )
    elif isinstance(scope, Mapping):
        for key, values in scope.items():
            if key not in _SLA_SCOPE_FIELDS:
                errors.append(
                    field_error(key, "Unexpected/invalid field in request", "invalid_field")
                )
            elif not isinstance(values, list):
                errors.append(field_error(key, "It should be a/an Array", "datatype_mismatch"))
    if create and not (isinstance(scope, Mapping) and any(scope.values())):
        # Only the default policy applies to every ticket.
        errors.append(
            field_error(
                "applicable_to",
                "It should contain at least one of company_ids, group_ids, ticket_types, "
                "sources or product_ids",
                "missing_field",
            )
        )
    return errors


def _sla_target_errors(prefix: str, entry: Mapping[str, Any]) -> list[FieldError]:
    errors = [
        field_error(f"{prefix}[{k}]", "Unexpected/invalid field in request", "invalid_field")
        for k in entry
        if k not in _SLA_TARGET_FIELDS
    ]
    for name in ("respond_within", "next_respond_within", "resolve_within"):
        value = entry.get(name)
        if value is None:
            if name != "next_respond_within":
                errors.append(
                    field_error(f"{prefix}[{name}]", "It should be a/an Integer", "missing_field")
                )
        elif isinstance(value, bool) or not isinstance(value, int):
            errors.append(
                field_error(f"{prefix}[{name}]", "It should be a/an Integer", "datatype_mismatch")
            )
        elif value < SLA_MIN_SECONDS:
            errors.append(
                field_error(
                    f"{prefix}[{name}]",
                    f"must be greater than or equal to {SLA_MIN_SECONDS}",
                    "invalid_value",
                )
            )
        elif value % 60:
            errors.append(
                field_error(f"{prefix}[{name}]", "It should be a multiple of 60", "invalid_value")
            )
    for name in ("business_hours", "escalation_enabled"):
        if not isinstance(entry.get(name), bool):
            code = "missing_field" if name not in entry else "datatype_mismatch"
            errors.append(field_error(f"{prefix}[{name}]", "It should be a/an Boolean", code))
    return errors
