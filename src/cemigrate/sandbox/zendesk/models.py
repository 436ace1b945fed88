"""The Zendesk emulator's state (moto's "backend"): every resource as Zendesk's JSON, plus jobs.

:class:`ZendeskBackend` seeds itself from :func:`cemigrate.sandbox.dataset.generate` and keeps
each resource as the dict Zendesk would send, with URLs written against :data:`BASE` (the
router replaces it with the host the request came to, so links work in process and over HTTP).
Tickets also carry internal bookkeeping (``generated_timestamp``, archived, deleted, solved_at)
in :class:`TicketState`. Time is the host's wall clock when the account was (re)seeded (or a
given ``start``), moving with the injected clock, so token expiry and job progress never wait
for real and a client that reads the host's clock is never "in the future".
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import quote

import attrs

from cemigrate.sandbox.dataset import DEFAULT_START, HelpDesk, generate
from cemigrate.sandbox.http import SandboxClock
from cemigrate.sandbox.zendesk.configuration import AccountConfig
from cemigrate.sandbox.zendesk.exceptions import RecordInvalid, RecordNotFound
from cemigrate.schema import (
    Attachment,
    Channel,
    Comment,
    FieldDef,
    FieldType,
    Identity,
    Kind,
    Ref,
    Role,
    RuleKind,
    SlaEventKind,
    SlaMetric,
    Ticket,
    User,
)

__all__ = [
    "BASE",
    "IMPORT_BATCH_LIMIT",
    "MAX_COMMENTS",
    "MAX_UPLOAD_BYTES",
    "RESTRICTED_EXTENSIONS",
    "TRIGGER_CATEGORIES",
    "UPLOAD_TTL_SECONDS",
    "Job",
    "StoredAttachment",
    "TicketState",
    "Upload",
    "ZendeskBackend",
    "batch_results",
    "iso",
    "parse_time",
]

Json = dict[str, Any]

BASE: Final = "https://zendesk.sandbox.invalid"
"""Placeholder host in stored URLs, replaced by the request's own scheme and host on output."""
UPLOAD_TTL_SECONDS: Final = 3600
"""An upload token is valid for 60 minutes."""
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
"""The largest file Zendesk accepts (50 MB)."""
RESTRICTED_EXTENSIONS: Final = frozenset({"exe", "bat", "cmd", "com", "scr", "msi", "vbs", "js"})
"""File types this sandbox account refuses (an admin setting on real accounts)."""
MAX_COMMENTS: Final = 5000
"""Zendesk's hard limit of comments on one ticket."""
IMPORT_BATCH_LIMIT: Final = 100
"""Most records a ``create_many`` accepts."""
JOB_SECONDS: Final = 5.0
"""A queued job completes on its own after this long on the clock (polls also advance it)."""

_CHANNELS = {
    Channel.EMAIL: "email",
    Channel.WEB: "web",
    Channel.CHAT: "chat",
    Channel.PHONE: "voice",
    Channel.API: "api",
    Channel.SOCIAL: "twitter",
    Channel.OTHER: "any_channel",
}
_ROLES = {Role.END_USER: "end-user", Role.AGENT: "agent", Role.ADMIN: "admin"}
_TICKET_FIELD_TYPES = {
    FieldType.DROPDOWN: "tagger",
    FieldType.MULTISELECT: "multiselect",
    FieldType.TEXT: "text",
    FieldType.TEXTAREA: "textarea",
    FieldType.INTEGER: "integer",
    FieldType.DECIMAL: "decimal",
    FieldType.CHECKBOX: "checkbox",
    FieldType.DATE: "date",
    FieldType.REGEXP: "regexp",
    FieldType.LOOKUP: "lookup",
}
_RELATIONSHIP_TARGETS = {
    Kind.USER: "zen:user",
    Kind.ORGANIZATION: "zen:organization",
    Kind.TICKET: "zen:ticket",
}
"""What a lookup relationship field points at (``relationship_target_type``): a user, an
organization, a ticket, or a custom object (``zen:custom_object:<key>``). [Zendesk API
reference: Lookup Relationships]"""
_SYSTEM_TICKET_FIELDS = (
    ("subject", "Subject"),
    ("description", "Description"),
    ("status", "Status"),
    ("tickettype", "Type"),
    ("priority", "Priority"),
    ("group", "Group"),
    ("assignee", "Assignee"),
)
_SLA_METRICS = {
    SlaMetric.FIRST_REPLY_TIME: ("reply_time", 1),
    SlaMetric.NEXT_REPLY_TIME: ("reply_time", 2),
    SlaMetric.PERIODIC_UPDATE_TIME: ("periodic_update_time", 1),
    SlaMetric.REQUESTER_WAIT_TIME: ("requester_wait_time", 1),
    SlaMetric.AGENT_WORK_TIME: ("agent_work_time", 1),
    SlaMetric.RESOLUTION_TIME: ("resolution_time", 1),
}
_SLA_TYPES = {
    SlaEventKind.APPLY: "apply_sla",
    SlaEventKind.ACTIVATE: "activate",
    SlaEventKind.PAUSE: "pause",
    SlaEventKind.FULFILL: "fulfill",
    SlaEventKind.BREACH: "breach",
}
_RULE_KINDS = {
    RuleKind.TRIGGER: "triggers",
    RuleKind.AUTOMATION: "automations",
    RuleKind.MACRO: "macros",
    RuleKind.VIEW: "views",
}
_IDENTITY_TYPES: Final = frozenset(
    {
        "email",
        "twitter",
        "facebook",
        "google",
        "phone_number",
        "agent_forwarding",
        "any_channel",
        "foreign",
        "sdk",
        "messaging",
    }
)
"""Identity types Zendesk takes. [Zendesk API reference: User Identities, JSON format]"""
_PEOPLE_KEYS: Final = (
    "external_id",
    "default_group_id",
    "custom_role_id",
    "ticket_restriction",
    "only_private_comments",
    "alias",
    "signature",
)
"""User attributes an upsert sets as given (beyond name, e-mail, role and the basics)."""
_IDENTITY_IDS: Final = 365_800_000_000
_ORGANIZATION_MEMBERSHIP_IDS: Final = 365_900_000_000
_CUSTOM_ROLE_IDS: Final = 366_800_000_000
_DEMO_ATTACHMENT: Final = re.compile(r"demo://[^/\s\"']+/attachments/(\d+)")
"""The dataset's link to one of its attachments (an inline image's ``src``)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_VIA_NONE: Final[Json] = {"from": {}, "to": {}, "rel": None}


def iso(moment: datetime | None) -> str | None:
    """Zendesk's timestamp format: ``2012-09-06T20:17:04Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object, field: str) -> datetime:
    """Read a timestamp a client sent (ISO 8601, ``2007-10-28 23:11:46 +0100`` or epoch)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    text = re.sub(r"\s+([+-]\d{2}):?(\d{2})$", r"\1:\2", text).replace(" UTC", "+00:00")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordInvalid({field: [{"description": f"{field}: is invalid"}]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    floor = datetime(1970, 1, 1, tzinfo=UTC)
    return max(moment.astimezone(UTC), floor)  # Zendesk rounds times before 1970 up to 1970


def _ts(value: str | None) -> int:
    return (
        0
        if value is None
        else int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    )


@attrs.define
class TicketState:
    """What the emulator knows about a ticket beyond its JSON."""

    generated_timestamp: int
    """When the ticket last changed in the system: what incremental exports page on."""
    solved_at: str | None = None
    archived: bool = False
    deleted: bool = False


@attrs.define
class StoredAttachment:
    """An attachment's metadata and where its bytes come from."""

    json: Json
    token: str
    data: bytes | None = None
    source: Attachment | None = None


@attrs.define
class Upload:
    """An upload token and the attachments it holds until a comment consumes it."""

    token: str
    attachment_ids: list[int]
    created: float
    """SandboxClock reading at upload; the token expires :data:`UPLOAD_TTL_SECONDS` later."""
    consumed: bool = False


@attrs.define
class Job:
    """A background job (``create_many`` and friends): queued, then working, then completed."""

    id: str
    job_type: str
    total: int
    created: float
    work: Callable[[], list[Json]] | None
    status: str = "queued"
    results: list[Json] | None = None
    message: str | None = None

    def as_json(self) -> Json:
        """The ``job_status`` object."""
        done = self.status == "completed"
        return {
            "id": self.id,
            "url": f"{BASE}/api/v2/job_statuses/{self.id}.json",
            "job_type": self.job_type,
            "status": self.status,
            "total": self.total,
            "progress": self.total if done else (0 if self.status == "queued" else self.total // 2),
            "message": self.message,
            "results": self.results if done else None,
        }


class ZendeskBackend:
    """All resources of one emulated Zendesk account."""

    def __init__(
        self,
        *,
        tickets: int,
        seed: int,
        instance: str,
        clock: SandboxClock,
        empty: bool = False,
        owner_email: str | None = None,
        subdomain: str = "demo",
        start: datetime | None = None,
    ) -> None:
        self.params = {"tickets": tickets, "seed": seed, "instance": instance}
        self.subdomain = subdomain
        """The account's subdomain (its default brand's, and taken for other brands)."""
        self.start = start
        """The account's wall-clock time at (re)seeding; ``None`` reads the host's clock then."""
        self.empty = empty
        """A brand-new account: its owner only; no groups, custom fields or tickets."""
        self.owner_email = owner_email
        self.clock = clock
        self.lock = threading.RLock()
        """Held by the router around each request: the state is shared by server threads."""
        self.reset()

    # -- state -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every change: re-seed from the dataset and start the clock's "now" again."""
        desk = generate(**self.params)  # type: ignore[arg-type]
        self.desk: HelpDesk = desk
        self._t0 = self.clock.monotonic()
        self._epoch = self.start or datetime.now(UTC).replace(microsecond=0)
        self.users: dict[int, Json] = {}
        self.deleted_users: dict[int, Json] = {}
        """Users deleted but not for good yet (``/api/v2/deleted_users``)."""
        self.user_ts: dict[int, int] = {}
        self._user_index: dict[tuple[str, str], int] | None = None
        self._users_indexed = 0
        self.organizations: dict[int, Json] = {}
        self.org_ts: dict[int, int] = {}
        self.groups: dict[int, Json] = {}
        self.memberships: dict[int, Json] = {}
        self.identities: dict[int, list[Json]] = {}
        """Each user's identities (e-mails, phones, ...), in the order they were added."""
        self.organization_memberships: dict[int, Json] = {}
        self.custom_roles: dict[int, Json] = {}
        self.fields: dict[str, dict[int, Json]] = {"ticket": {}, "user": {}, "organization": {}}
        self.field_keys: dict[tuple[str, str], int] = {}
        self.sla_policies: dict[int, Json] = {}
        self.rules: dict[str, dict[int, Json]] = {kind: {} for kind in _RULE_KINDS.values()}
        self.tickets: dict[int, Json] = {}
        self.ticket_state: dict[int, TicketState] = {}
        self.comments: dict[int, list[Json]] = {}
        self.metrics: dict[int, Json] = {}
        self.ratings: dict[int, Json] = {}
        self.metric_events: list[Json] = []
        self.attachments: dict[int, StoredAttachment] = {}
        self.attachment_tokens: dict[str, int] = {}
        self.uploads: dict[str, Upload] = {}
        self.jobs: dict[str, Job] = {}
        self.config = AccountConfig(subdomain=self.subdomain, now=lambda: iso(self.now()) or "")
        """Brands, ticket forms, custom statuses and schedules (configuration.py)."""
        self._next_id: dict[str, int] = {}
        self._version = 0
        self._events_cache: tuple[int, list[Json]] | None = None
        self._audits_cache: tuple[int, list[Json]] | None = None
        self._seed_default_roles()
        self._seed_from(desk)

    def now(self) -> datetime:
        """The account's wall-clock time: the desk's "now" plus time passed on the clock."""
        return self._epoch + timedelta(seconds=self.clock.monotonic() - self._t0)

    def now_ts(self) -> int:
        """:meth:`now` as epoch seconds."""
        return int(self.now().timestamp())

    def new_id(self, kind: str) -> int:
        """The next free id of ``kind``."""
        self._next_id[kind] += 1
        return self._next_id[kind]

    def touch(self) -> None:
        """Note that tickets changed (invalidates cached export indexes)."""
        self._version += 1

    # -- seeding ---------------------------------------------------------------------------

    def _seed_from(self, desk: HelpDesk) -> None:
        for position, (key, title) in enumerate(_SYSTEM_TICKET_FIELDS, start=1):
            field_id = 364_000_000_000 + position
            self.fields["ticket"][field_id] = self._field_json(
                "ticket", field_id, key, title, key, position, None, None, True
            )
        if self.empty:  # a new account: its owner and Zendesk's own ticket fields
            self.config.seed(None, field_ids=sorted(self.fields["ticket"]))
            self._start_ids()
            self._seed_owner()
            return
        option_id = 364_500_000_000
        for field in desk.fields:
            field_id = int(field.id)
            obj = field.object.value
            options = []
            for option in field.options:
                option_id += 1
                options.append(
                    {
                        "id": option_id,
                        "name": option.name,
                        "raw_name": option.name,
                        "value": option.value,
                        "default": False,
                    }
                )
            self.fields[obj][field_id] = self._custom_field_json(field, options)
            self.field_keys[(obj, field.key)] = field_id
        self._next_id["option"] = option_id
        system = {f["type"]: i for i, f in self.fields["ticket"].items() if not f["removable"]}
        self.config.seed(desk, field_ids=sorted(self.fields["ticket"]), system_fields=system)
        for org in desk.organizations:
            self.organizations[int(org.id)] = {
                "id": int(org.id),
                "url": f"{BASE}/api/v2/organizations/{org.id}.json",
                "name": org.name,
                "shared_tickets": org.shared_tickets,
                "shared_comments": org.shared_comments,
                "external_id": org.external_id,
                "created_at": iso(org.created_at),
                "updated_at": iso(org.updated_at),
                "domain_names": list(org.domains),
                "details": org.details or None,
                "notes": org.notes or None,
                "group_id": _ref_id(org.group),
                "tags": list(org.tags),
                "organization_fields": self._field_values("organization", org.custom_fields),
            }
            self.org_ts[int(org.id)] = _ts(iso(org.updated_at))
        self._seed_custom_roles(desk)
        for user in desk.users:
            uid = int(user.id)
            self.users[uid] = self._user_json(
                uid,
                name=user.name,
                email=user.email,
                role=_ROLES[user.role],
                created_at=iso(user.created_at),
                updated_at=iso(user.updated_at),
                organization_id=_ref_id(user.organization),
                active=not user.deleted,
                suspended=user.suspended,
                locale=user.locale,
                time_zone=user.time_zone,
                phone=user.phone,
                tags=list(user.tags),
                user_fields=self._field_values("user", user.custom_fields),
                **self._people_values(user),
            )
            self.user_ts[uid] = _ts(iso(user.updated_at))
            self._seed_identities(user)
        for group in desk.groups:
            self.groups[int(group.id)] = {
                "id": int(group.id),
                "url": f"{BASE}/api/v2/groups/{group.id}.json",
                "name": group.name,
                "description": group.description,
                "default": False,
                "deleted": group.deleted,
                "is_public": group.public,
                "created_at": iso(group.created_at),
                "updated_at": iso(group.updated_at),
            }
        for m in desk.memberships:
            self.memberships[int(m.id)] = {
                "id": int(m.id),
                "url": f"{BASE}/api/v2/group_memberships/{m.id}.json",
                "user_id": int(m.user.id),
                "group_id": int(m.group.id),
                "default": m.default,
                "created_at": iso(m.created_at),
                "updated_at": iso(m.updated_at),
            }
        self._seed_organization_memberships(desk)
        for policy in desk.sla_policies:
            raw = dict(policy.raw)
            raw["url"] = f"{BASE}/api/v2/slas/policies/{policy.id}.json"
            self.sla_policies[int(policy.id)] = raw
        for rule in desk.rules:
            plural = _RULE_KINDS.get(rule.kind)
            if plural is None:
                continue
            raw = json.loads(json.dumps(dict(rule.raw)))
            raw["url"] = f"{BASE}/api/v2/{plural}/{rule.id}.json"
            if rule.kind is RuleKind.VIEW:
                execution = raw.get("execution") or {}
                columns = [
                    {"id": c, "title": str(c).replace("_", " ").title()}
                    for c in execution.get("columns", [])
                ]
                raw["execution"] = {
                    "group_by": execution.get("group_by"),
                    "group_order": "asc",
                    "sort_by": execution.get("sort_by"),
                    "sort_order": execution.get("sort_order", "desc"),
                    "columns": columns,
                    "fields": columns,
                    "custom_fields": [],
                }
            self.rules[plural][int(rule.id)] = _rule_shape(plural, raw)
        ratings = {int(r.ticket.id): r for r in desk.ratings}
        for rating in desk.ratings:
            self.ratings[int(rating.id)] = {
                "id": int(rating.id),
                "url": f"{BASE}/api/v2/satisfaction_ratings/{rating.id}.json",
                "assignee_id": _ref_id(rating.assignee),
                "group_id": _ref_id(rating.group),
                "requester_id": _ref_id(rating.requester),
                "ticket_id": int(rating.ticket.id),
                "score": rating.score.value,
                "comment": rating.comment or None,
                "reason": rating.reason or None,
                "created_at": iso(rating.created_at),
                "updated_at": iso(rating.updated_at),
            }
        for ticket in desk.tickets:
            rated = ratings.get(int(ticket.id))
            self._seed_ticket(
                ticket,
                None
                if rated is None
                else {
                    "id": int(rated.id),
                    "score": rated.score.value,
                    "comment": rated.comment or None,
                },
            )
        for metric in desk.metrics:
            tid = int(metric.ticket.id)
            state = self.ticket_state.get(tid)
            comments = self.comments.get(tid, [])
            self.metrics[tid] = {
                "id": int(metric.id),
                "url": f"{BASE}/api/v2/ticket_metrics/{metric.id}.json",
                "ticket_id": tid,
                "created_at": iso(metric.created_at),
                "updated_at": iso(metric.updated_at),
                "group_stations": 1,
                "assignee_stations": 1,
                "reopens": metric.reopens,
                "replies": metric.replies,
                "assignee_updated_at": iso(metric.updated_at),
                "requester_updated_at": iso(metric.created_at),
                "status_updated_at": iso(metric.updated_at),
                "initially_assigned_at": iso(metric.created_at),
                "assigned_at": iso(metric.created_at),
                "solved_at": None if state is None else state.solved_at,
                "latest_comment_added_at": comments[-1]["created_at"] if comments else None,
                "reply_time_in_minutes": _minutes(metric.first_reply),
                "first_resolution_time_in_minutes": _minutes(metric.full_resolution),
                "full_resolution_time_in_minutes": _minutes(metric.full_resolution),
                "agent_wait_time_in_minutes": _minutes(metric.agent_wait),
                "requester_wait_time_in_minutes": _minutes(metric.requester_wait),
                "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
            }
        policies = {str(p.id): p for p in desk.sla_policies}
        for event in desk.sla_events:
            metric_name, instance = _SLA_METRICS[event.metric]
            item: Json = {
                "id": int(event.id),
                "ticket_id": int(event.ticket.id),
                "metric": metric_name,
                "instance_id": instance,
                "type": _SLA_TYPES[event.kind],
                "time": iso(event.time),
            }
            if event.kind is SlaEventKind.APPLY:
                sla_policy = policies.get(event.policy.id) if event.policy else None
                item["sla"] = {
                    "target": event.target_minutes,
                    "target_in_seconds": (event.target_minutes or 0) * 60,
                    "business_hours": event.business_hours,
                    "policy": {
                        "id": None if sla_policy is None else int(sla_policy.id),
                        "title": None if sla_policy is None else sla_policy.title,
                        "description": None if sla_policy is None else sla_policy.description,
                    },
                }
            if event.kind is SlaEventKind.BREACH:
                item["deleted"] = False
            self.metric_events.append(item)
        self.metric_events.sort(key=lambda e: (e["time"], e["id"]))
        # The seeded desk's users are the account's users: the token's owner is added only to
        # a new (empty) account, or by ``/users/me``, until the dataset holds the owner itself
        # (adding it here would put a user in every migration that the desk does not have).
        self._start_ids()

    def _seed_owner(self) -> None:
        """The admin the API token belongs to, there from the start of a new account (created
        with the account, before any of its data), not only once ``/users/me`` asks."""
        if not self.owner_email or self.user_by_email(self.owner_email) is not None:
            return
        uid = self.new_id("user")
        created = iso(DEFAULT_START - timedelta(days=900))
        self.users[uid] = self._user_json(
            uid,
            name="Account owner",
            email=self.owner_email,
            role="admin",
            created_at=created,
            updated_at=created,
        )
        self.user_ts[uid] = _ts(created)
        self._identities_on_create(uid, {"email": self.owner_email})

    def _start_ids(self) -> None:
        """New records get ids above every seeded one."""
        self._next_id.setdefault("option", 364_500_000_000)
        self._next_id.update(
            {
                "ticket": max(self.tickets, default=0),
                "user": max(self.users, default=361_000_000_000),
                "organization": max(self.organizations, default=360_000_000_000),
                "group": max(self.groups, default=362_000_000_000),
                "membership": max(self.memberships, default=363_000_000_000),
                "field": max((i for f in self.fields.values() for i in f), default=364_000_000_000),
                "comment": 10_000_000_000 + sum(len(c) for c in self.comments.values()) + 10**8,
                "attachment": max(self.attachments, default=20_000_000_000) + 10**8,
                "metric": 40_000_000_000 + 10**8,
                "job": 0,
                "identity": max(
                    (i["id"] for found in self.identities.values() for i in found),
                    default=_IDENTITY_IDS,
                ),
                "organization_membership": max(
                    self.organization_memberships, default=_ORGANIZATION_MEMBERSHIP_IDS
                ),
                "custom_role": max(self.custom_roles, default=_CUSTOM_ROLE_IDS),
            }
        )

    def _seed_ticket(self, ticket: Ticket, rating: Json | None) -> None:
        tid = int(ticket.id)
        comments = [self._comment_json(tid, c) for c in ticket.comments]
        self.comments[tid] = comments
        json_ = self._ticket_json(
            tid,
            subject=ticket.subject,
            description=ticket.description,
            status=ticket.status.value,
            priority=None if ticket.priority is None else ticket.priority.value,
            type_=None if ticket.type is None else ticket.type.value,
            channel=_CHANNELS[ticket.channel],
            created_at=iso(ticket.created_at),
            updated_at=iso(ticket.updated_at),
            requester_id=_ref_id(ticket.requester),
            submitter_id=_ref_id(ticket.submitter),
            assignee_id=_ref_id(ticket.assignee),
            group_id=_ref_id(ticket.group),
            organization_id=_ref_id(ticket.organization),
            tags=list(ticket.tags),
            custom=self._custom_values(ticket.custom_fields),
            collaborator_ids=[int(r.id) for r in ticket.ccs],
            follower_ids=[int(r.id) for r in ticket.followers],
            external_id=None,
            due_at=iso(ticket.due_at) if ticket.due_at else None,
            problem_id=int(ticket.problem.id) if ticket.problem else None,
            **_origin_values(ticket),
            **self._seeded_refs(ticket),
        )
        json_["satisfaction_rating"] = rating
        self.tickets[tid] = json_
        self.ticket_state[tid] = TicketState(
            generated_timestamp=_ts(iso(ticket.updated_at)),
            solved_at=iso(ticket.solved_at),
            deleted=ticket.deleted,
        )

    def _seeded_refs(self, ticket: Ticket) -> dict[str, int]:
        """A seeded ticket's brand, form and custom status: the desk's, else the defaults."""
        c = self.config
        return {
            "brand_id": _ref_id(ticket.brand) or c.default_brand(),
            "ticket_form_id": _ref_id(ticket.form) or c.default_form(),
            "custom_status_id": _ref_id(ticket.custom_status)
            or c.default_status(ticket.status.value),
        }

    def _comment_json(self, tid: int, comment: Comment) -> Json:
        attachments = []
        for attachment in comment.attachments:
            stored = self._store_attachment(
                int(attachment.id),
                attachment.file_name,
                attachment.content_type,
                attachment.size,
                attachment.inline,
                source=attachment,
            )
            attachments.append(stored.json)
        cid = int(comment.id)
        via, system = _comment_origin(comment)
        return {
            "id": cid,
            "type": "Comment",
            "author_id": -1 if comment.author is None else int(comment.author.id),
            "body": self._own_image_urls(comment.body_plain),
            "html_body": self._own_image_urls(comment.body_html),
            "plain_body": self._own_image_urls(comment.body_plain),
            "public": comment.public,
            "attachments": attachments,
            "audit_id": cid + 1_000_000_000_000,
            "via": via,
            "created_at": iso(comment.created_at),
            "metadata": {"system": system, "custom": {}},
        }

    def _own_image_urls(self, body: str) -> str:
        """``body`` with the dataset's ``demo://<instance>/attachments/<id>`` links replaced
        by the ``content_url`` of that attachment in this account, as a real inline image
        points at the account's attachment URL. A link to an attachment the account does not
        hold stays as it is."""

        def own(match: re.Match[str]) -> str:
            stored = self.attachments.get(int(match.group(1)))
            return match.group(0) if stored is None else str(stored.json["content_url"])

        return _DEMO_ATTACHMENT.sub(own, body) if "demo://" in body else body

    def _store_attachment(
        self,
        aid: int,
        file_name: str,
        content_type: str,
        size: int,
        inline: bool,
        *,
        source: Attachment | None = None,
        data: bytes | None = None,
    ) -> StoredAttachment:
        token = _token(aid)
        content_url = f"{BASE}/attachments/token/{token}/?name={quote(file_name)}"
        stored = StoredAttachment(
            json={
                "id": aid,
                "url": f"{BASE}/api/v2/attachments/{aid}.json",
                "file_name": file_name,
                "content_url": content_url,
                "mapped_content_url": content_url,
                "content_type": content_type,
                "size": size,
                "width": None,
                "height": None,
                "inline": inline,
                "deleted": False,
                "malware_access_override": False,
                "malware_scan_result": "malware_not_found",
                "thumbnails": [],
            },
            token=token,
            data=data,
            source=source,
        )
        self.attachments[aid] = stored
        self.attachment_tokens[token] = aid
        return stored

    def attachment_bytes(self, token: str) -> tuple[Json, bytes]:
        """The metadata and bytes behind an attachment's ``content_url`` token."""
        aid = self.attachment_tokens.get(token)
        if aid is None:
            raise RecordNotFound()
        stored = self.attachments[aid]
        if stored.data is not None:
            return stored.json, stored.data
        assert stored.source is not None
        return stored.json, self.desk.blob(stored.source)

    # -- JSON builders ---------------------------------------------------------------------

    def _field_json(
        self,
        obj: str,
        field_id: int,
        key: str | None,
        title: str,
        type_: str,
        position: int,
        description: str | None,
        options: list[Json] | None,
        system: bool,
        *,
        active: bool = True,
        required: bool = False,
        created_at: str | None = None,
        updated_at: str | None = None,
        relationship_target_type: str | None = None,
    ) -> Json:
        plural = f"{obj}_fields"
        stamp = created_at or iso(DEFAULT_START - timedelta(days=900))
        out: Json = {
            "id": field_id,
            "url": f"{BASE}/api/v2/{plural}/{field_id}.json",
            "type": type_,
            "title": title,
            "raw_title": title,
            "description": description or "",
            "raw_description": description or "",
            "position": position,
            "active": active,
            "created_at": stamp,
            "updated_at": updated_at or stamp,
            "regexp_for_validation": None,
        }
        if relationship_target_type is not None:
            out["relationship_target_type"] = relationship_target_type
            out["relationship_filter"] = {}
        if obj == "ticket":
            out.update(
                {
                    "required": required,
                    "collapsed_for_agents": False,
                    "title_in_portal": title,
                    "raw_title_in_portal": title,
                    "visible_in_portal": system,
                    "editable_in_portal": system,
                    "required_in_portal": False,
                    "agent_description": None,
                    "tag": None,
                    "removable": not system,
                    "key": None,
                }
            )
        else:
            out.update({"key": key, "system": system})
        if options is not None:
            out["custom_field_options"] = options
        return out

    def _custom_field_json(self, field: FieldDef, options: list[Json]) -> Json:
        obj = field.object.value
        type_ = _TICKET_FIELD_TYPES[field.type]
        if obj != "ticket" and field.type is FieldType.DROPDOWN:
            type_ = "dropdown"
        target_type = _RELATIONSHIP_TARGETS.get(field.references) if field.references else None
        if type_ == "lookup" and target_type is None:
            type_ = "text"  # Zendesk has no lookup to a group: an account keeps its name
        with_options = field.type in (FieldType.DROPDOWN, FieldType.MULTISELECT)
        return self._field_json(
            obj,
            int(field.id),
            field.key,
            field.title,
            type_,
            field.position,
            field.description,
            options if with_options else None,
            False,
            active=field.active,
            required=field.required,
            created_at=iso(field.created_at),
            updated_at=iso(field.updated_at),
            relationship_target_type=target_type if type_ == "lookup" else None,
        )

    def add_field(self, obj: str, body: Mapping[str, Any]) -> Json:
        """Create a custom field from a ``POST /api/v2/{obj}_fields`` body."""
        type_ = body.get("type")
        title = body.get("title")
        errors: dict[str, list[dict[str, str]]] = {}
        allowed = set(_TICKET_FIELD_TYPES.values()) | {"dropdown", "lookup"}
        if not title:
            errors["title"] = [{"description": "Title: cannot be blank"}]
        if type_ not in allowed:
            errors["type"] = [{"description": f"Type: {type_!r} is not a valid field type"}]
        target_type = body.get("relationship_target_type")
        if type_ == "lookup" and not (
            target_type in _RELATIONSHIP_TARGETS.values()
            or str(target_type or "").startswith("zen:custom_object:")
        ):
            errors["relationship_target_type"] = [
                {"description": f"Relationship target type: {target_type!r} is not valid"}
            ]
        key = body.get("key")
        if obj != "ticket":
            if not key:
                errors["key"] = [{"description": "Key: cannot be blank"}]
            elif (obj, key) in self.field_keys:
                errors["key"] = [{"description": "Key: has already been taken"}]
        if errors:
            raise RecordInvalid(errors)
        options = None
        if type_ in ("tagger", "multiselect", "dropdown"):
            options = []
            for raw in body.get("custom_field_options") or []:
                options.append(
                    {
                        "id": self.new_id("option"),
                        "name": raw.get("name"),
                        "raw_name": raw.get("name"),
                        "value": raw.get("value"),
                        "default": bool(raw.get("default", False)),
                    }
                )
        field_id = self.new_id("field")
        now = iso(self.now())
        out = self._field_json(
            obj,
            field_id,
            key,
            str(title),
            str(type_),
            int(body.get("position", 9999)),
            body.get("description"),
            options,
            False,
            active=bool(body.get("active", True)),
            required=bool(body.get("required", False)),
            created_at=now,
            updated_at=now,
            relationship_target_type=str(target_type) if type_ == "lookup" else None,
        )
        if obj == "ticket":  # end users see a custom field only when it says so
            for flag in ("visible_in_portal", "editable_in_portal"):
                out[flag] = bool(body.get(flag, False))
        self.fields[obj][field_id] = out
        self.field_keys[(obj, str(key or field_id))] = field_id
        # Every user's or organization's answer lists every field of its object, null until
        # set, including a field added after it was created.
        holders = {
            "user": (self.users, "user_fields"),
            "organization": (self.organizations, "organization_fields"),
        }
        if obj in holders:
            records, attribute = holders[obj]
            for record in records.values():
                record.setdefault(attribute, {}).setdefault(str(key), None)
        return out

    def _field_values(self, obj: str, values: Mapping[str, Any]) -> Json:
        out: Json = {}
        for field in self.fields[obj].values():
            if field.get("key") is not None:
                value = values.get(field["key"])
                out[field["key"]] = list(value) if isinstance(value, tuple) else value
        return out

    def _custom_values(self, values: Mapping[str, Any]) -> list[Json]:
        out = []
        for field_id, field in self.fields["ticket"].items():
            if field.get("removable"):
                key = next(k for (o, k), i in self.field_keys.items() if i == field_id)
                value = values.get(key)
                out.append(
                    {"id": field_id, "value": list(value) if isinstance(value, tuple) else value}
                )
        return out

    def _user_json(self, uid: int, **values: Any) -> Json:
        role = values.get("role", "end-user")
        custom_role_id = values.get("custom_role_id") if role == "agent" else None
        restriction = values.get("ticket_restriction", "requested" if role == "end-user" else None)
        if role == "admin":
            restriction = None  # an admin sees every ticket
        out: Json = {
            "id": uid,
            "url": f"{BASE}/api/v2/users/{uid}.json",
            "name": values.get("name"),
            "email": values.get("email"),
            "created_at": values.get("created_at"),
            "updated_at": values.get("updated_at"),
            "time_zone": values.get("time_zone", "UTC"),
            "iana_time_zone": values.get("time_zone", "UTC"),
            "phone": values.get("phone"),
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": values.get("locale", "en-US"),
            "organization_id": values.get("organization_id"),
            "role": role,
            "verified": True,
            "external_id": values.get("external_id"),
            "tags": values.get("tags", []),
            "alias": values.get("alias"),
            "active": values.get("active", True),
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": False,
            "signature": values.get("signature"),
            "details": values.get("details"),
            "notes": values.get("notes"),
            # 0: custom agent role, 4: admin; null for end users and plain agents.
            # [Zendesk API reference: Users, role_type]
            "role_type": 0 if custom_role_id else (4 if role == "admin" else None),
            "custom_role_id": custom_role_id,
            "moderator": role != "end-user",
            "ticket_restriction": restriction,
            "only_private_comments": bool(values.get("only_private_comments", False)),
            "restricted_agent": role == "agent" and restriction is not None,
            "suspended": values.get("suspended", False),
            "default_group_id": values.get("default_group_id") if role != "end-user" else None,
            "report_csv": role == "admin",
            "user_fields": values.get("user_fields") or self._field_values("user", {}),
        }
        return out

    def _ticket_json(self, tid: int, **v: Any) -> Json:
        return {
            "id": tid,
            "url": f"{BASE}/api/v2/tickets/{tid}.json",
            "external_id": v["external_id"],
            "via": v.get("via") or {"channel": v["channel"], "source": dict(_VIA_NONE)},
            "created_at": v["created_at"],
            "updated_at": v["updated_at"],
            "generated_timestamp": 0,
            "type": v["type_"],
            "subject": v["subject"],
            "raw_subject": v["subject"],
            "description": v["description"],
            "priority": v["priority"],
            "status": v["status"],
            "recipient": v.get("recipient"),
            "requester_id": v["requester_id"],
            "submitter_id": v["submitter_id"],
            "assignee_id": v["assignee_id"],
            "organization_id": v["organization_id"],
            "group_id": v["group_id"],
            "collaborator_ids": v["collaborator_ids"],
            "follower_ids": v["follower_ids"],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": v.get("problem_id"),
            "has_incidents": False,
            "is_public": True,
            "due_at": v.get("due_at"),
            "tags": v["tags"],
            "custom_fields": v["custom"],
            "fields": v["custom"],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "followup_ids": [],
            "brand_id": v["brand_id"],
            "ticket_form_id": v["ticket_form_id"],
            "custom_status_id": v["custom_status_id"],
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }

    def ticket_view(self, tid: int, *, for_export: bool = False) -> Json:
        """A ticket as the API shows it (exports show deleted ones as ``status: deleted``)."""
        state = self.ticket_state[tid]
        out = dict(self.tickets[tid])
        out["generated_timestamp"] = state.generated_timestamp
        if state.deleted and for_export:
            out["status"] = "deleted"
        elif state.archived:
            out["status"] = "closed"
        return out

    def live_ticket(self, tid: int) -> Json:
        """A ticket that is not deleted, or :class:`RecordNotFound`."""
        state = self.ticket_state.get(tid)
        if state is None or state.deleted:
            raise RecordNotFound()
        return self.ticket_view(tid)

    # -- exports ---------------------------------------------------------------------------

    def ticket_stream(self) -> list[tuple[int, int]]:
        """Every ticket as ``(generated_timestamp, id)``, in export order."""
        return sorted((s.generated_timestamp, tid) for tid, s in self.ticket_state.items())

    def ticket_events(self) -> list[Json]:
        """One event per ticket update (each comment), in time order; cached between writes."""
        if self._events_cache is not None and self._events_cache[0] == self._version:
            return self._events_cache[1]
        events = []
        for tid, comments in self.comments.items():
            ticket = self.tickets[tid]
            for index, comment in enumerate(comments):
                events.append(
                    {
                        "id": comment["audit_id"],
                        "ticket_id": tid,
                        "timestamp": _ts(comment["created_at"]),
                        "created_at": comment["created_at"],
                        "updater_id": comment["author_id"],
                        "via": comment["via"]["channel"],
                        # The record of the system that made the change: the comment's
                        # metadata.system (the dataset's ip_address travels here too:
                        # [unverified] whether the export's system holds it).
                        "system": {
                            "client": None,
                            "location": None,
                            "latitude": None,
                            "longitude": None,
                            **((comment.get("metadata") or {}).get("system") or {}),
                        },
                        "event_type": "Audit",
                        "merged_ticket_ids": [],
                        "_comment": comment,
                        "_create": index == 0,
                        "_ticket": ticket,
                    }
                )
        events.sort(key=lambda e: (e["timestamp"], e["id"]))
        self._events_cache = (self._version, events)
        return events

    # -- writes ----------------------------------------------------------------------------

    def check_upload(self, token: str) -> Upload:
        """A usable upload, or :class:`RecordInvalid` (unknown, consumed or expired)."""
        upload = self.uploads.get(token)
        if upload is None or upload.consumed or self.upload_expired(upload):
            raise RecordInvalid(
                {"uploads": [{"description": f"Uploads: token {token} is invalid or expired"}]}
            )
        return upload

    def upload_expired(self, upload: Upload) -> bool:
        """Whether 60 minutes have passed on the clock since the upload."""
        return self.clock.monotonic() - upload.created >= UPLOAD_TTL_SECONDS

    def add_upload(
        self, file_name: str, content_type: str, data: bytes, token: str | None
    ) -> Upload:
        """Store a file; append to the upload ``token`` names, or start a new one."""
        extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        if extension in RESTRICTED_EXTENSIONS:
            raise RecordInvalid.base(f"Attachment: {file_name} has a file type that is not allowed")
        if len(data) > MAX_UPLOAD_BYTES:
            raise RecordInvalid.base(f"Attachment: {file_name} is larger than 50 MB")
        if token is not None:
            upload = self.check_upload(token)
        else:
            upload = Upload(secrets.token_hex(12), [], self.clock.monotonic())
            self.uploads[upload.token] = upload
        aid = self.new_id("attachment")
        self._store_attachment(aid, file_name, content_type, len(data), False, data=data)
        upload.attachment_ids.append(aid)
        return upload

    def user_for_import(self, body: Mapping[str, Any]) -> int:
        """Resolve an import's requester (``requester_id`` or inline ``requester``)."""
        inline = body.get("requester")
        if isinstance(inline, Mapping):
            email = inline.get("email")
            if not email or not _EMAIL.match(str(email)):
                raise RecordInvalid(
                    {"requester": [{"description": f"Email: {email} is not properly formatted"}]}
                )
            found = self.user_by_email(str(email))
            if found is not None:
                return found
            uid = self.new_id("user")
            now = iso(self.now())
            self.users[uid] = self._user_json(
                uid,
                name=inline.get("name") or str(email),
                email=email,
                created_at=now,
                updated_at=now,
            )
            self.user_ts[uid] = self.now_ts()
            self._identities_on_create(uid, {"email": email})
            return uid
        requester = body.get("requester_id")
        if requester is None:
            raise RecordInvalid({"requester": [{"description": "Requester: cannot be blank"}]})
        if int(requester) not in self.users:
            raise RecordInvalid(
                {"requester": [{"description": f"Requester: {requester} is not a user"}]}
            )
        return int(requester)

    def user_by_email(self, email: str) -> int | None:
        """The id of the user with this e-mail (case-insensitive)."""
        return self._users_by().get(("email", email.lower()))

    def forget_user_index(self) -> None:
        """A user was removed: index the users again on the next look-up."""
        self._user_index = None

    def _users_by(self) -> dict[tuple[str, str], int]:
        """The first user (in :attr:`users` order) by ``("email", lower-cased e-mail)`` and by
        ``("external_id", id)``: what a scan of every user would find, without the scan per
        request. Users are only ever added, so users added since the last call are indexed
        here; a user whose e-mail or external id changes drops the index (rebuilt once)."""
        index = self._user_index
        if index is None:
            index = self._user_index = {}
            self._users_indexed = 0
        added = len(self.users) - self._users_indexed
        if added:
            for uid in reversed(list(itertools.islice(reversed(self.users), added))):
                user = self.users[uid]
                index.setdefault(("email", (user.get("email") or "").lower()), uid)
                external = user.get("external_id")
                if isinstance(external, str):
                    index.setdefault(("external_id", external), uid)
            self._users_indexed = len(self.users)
        return index

    def import_ticket(self, body: Mapping[str, Any], *, archive: bool) -> Json:
        """Create a ticket with its history (the Ticket Import API); returns the ticket JSON."""
        comments_in = list(body.get("comments") or [])
        if isinstance(body.get("comment"), Mapping):
            comments_in.insert(0, body["comment"])
        description = body.get("description")
        if not description and comments_in:
            first = comments_in[0]
            description = first.get("body") or first.get("value") or first.get("html_body")
        if not description:
            raise RecordInvalid.base("Description: cannot be blank")
        if len(comments_in) > MAX_COMMENTS:
            raise RecordInvalid(
                {
                    "comments": [
                        {
                            "description": f"Comments: a ticket may have at most "
                            f"{MAX_COMMENTS} comments"
                        }
                    ]
                }
            )
        requester = self.user_for_import(body)
        for comment in comments_in:
            for token in comment.get("uploads") or []:
                self.check_upload(str(token))
        now = self.now()
        created = parse_time(body["created_at"], "created_at") if body.get("created_at") else now
        updated = (
            parse_time(body["updated_at"], "updated_at") if body.get("updated_at") else created
        )
        tid = self.new_id("ticket")
        comments = []
        for comment in comments_in:
            when = (
                parse_time(comment["created_at"], "created_at")
                if comment.get("created_at")
                else created
            )
            comments.append(self._incoming_comment(comment, author=requester, when=when))
        custom_in = {int(c["id"]): c.get("value") for c in body.get("custom_fields") or []}
        custom = [
            {"id": fid, "value": custom_in.get(fid)}
            for fid, f in self.fields["ticket"].items()
            if f.get("removable")
        ]
        refs, status = self.config.ticket_refs(body, status=str(body.get("status") or "new"))
        via = body.get("via") or {}
        ticket = self._ticket_json(
            tid,
            subject=body.get("subject"),
            description=str(description),
            status=status,
            priority=body.get("priority"),
            type_=body.get("type"),
            channel=str(via.get("channel", "api")) if isinstance(via, Mapping) else "api",
            created_at=iso(created),
            updated_at=iso(updated),
            requester_id=requester,
            submitter_id=int(body.get("submitter_id") or requester),
            assignee_id=body.get("assignee_id"),
            group_id=body.get("group_id"),
            organization_id=body.get("organization_id"),
            tags=list(body.get("tags") or []),
            custom=custom,
            collaborator_ids=list(body.get("collaborator_ids") or []),
            follower_ids=list(body.get("follower_ids") or []),
            external_id=body.get("external_id"),
            recipient=body.get("recipient"),
            due_at=body.get("due_at"),
            problem_id=body.get("problem_id"),
            **refs,
        )
        solved = body.get("solved_at")
        self.tickets[tid] = ticket
        self.comments[tid] = comments
        self.ticket_state[tid] = TicketState(
            generated_timestamp=self.now_ts(),
            solved_at=iso(parse_time(solved, "solved_at")) if solved else None,
            archived=archive and status == "closed",
        )
        self.metrics[tid] = {
            "id": self.new_id("metric"),
            "url": f"{BASE}/api/v2/ticket_metrics/{tid}.json",
            "ticket_id": tid,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "solved_at": self.ticket_state[tid].solved_at,
            # Zendesk computes no metrics for imported tickets.
            **dict.fromkeys(_METRIC_TIMES),
            **{k: {"calendar": None, "business": None} for k in _METRIC_MINUTES},
            "group_stations": 0,
            "assignee_stations": 0,
            "reopens": 0,
            "replies": 0,
        }
        self.touch()
        return self.ticket_view(tid)

    def _incoming_comment(self, comment: Mapping[str, Any], *, author: int, when: datetime) -> Json:
        """A comment as a client sends it (import or update), stored as Zendesk shows it;
        its upload tokens are consumed."""
        cid = self.new_id("comment")
        attachments: list[Json] = []
        for token in comment.get("uploads") or []:
            upload = self.uploads[str(token)]
            upload.consumed = True
            attachments.extend(self.attachments[a].json for a in upload.attachment_ids)
        html_body = comment.get("html_body")
        plain = comment.get("body") or comment.get("value") or ""
        if html_body is not None and not plain:
            plain = plain_text(str(html_body))  # Zendesk renders plain_body from HTML
        if html_body is None:
            html_body = "".join(f"<p>{html.escape(p)}</p>" for p in str(plain).split("\n\n"))
        return {
            "id": cid,
            "type": "Comment",
            "author_id": int(comment.get("author_id") or author),
            "body": str(plain),
            "html_body": html_body,
            "plain_body": str(plain),
            "public": bool(comment.get("public", True)),
            "attachments": attachments,
            "audit_id": cid + 1_000_000_000_000,
            "via": {"channel": "api", "source": dict(_VIA_NONE)},
            "created_at": iso(when),
            "metadata": {"system": {}, "custom": {}},
        }

    def update_ticket(self, tid: int, body: Mapping[str, Any]) -> Json:
        """``PUT /tickets/{id}``: change fields and add at most one comment, dated now (only
        imports set a comment's time). A closed ticket cannot change, as on Zendesk."""
        state = self.ticket_state.get(tid)
        if state is None or state.deleted:
            raise RecordNotFound()
        ticket = self.tickets[tid]
        if state.archived or ticket.get("status") == "closed":
            raise RecordInvalid(
                {"status": [{"description": "Status: closed prevents ticket update"}]}
            )
        comment = body.get("comment")
        if isinstance(comment, Mapping):
            for token in comment.get("uploads") or []:
                self.check_upload(str(token))
        status = str(body.get("status") or ticket.get("status") or "open")
        refs, status = self.config.ticket_refs(body, status=status, current=ticket)
        ticket.update(refs)
        if "status" in body or "custom_status_id" in body:
            ticket["status"] = status
        for key in _UPDATABLE:
            if key in body and key != "status":  # the status follows the custom status
                ticket[key] = list(body[key] or []) if key == "tags" else body[key]
        if body.get("custom_fields"):
            values = {int(c["id"]): c.get("value") for c in body["custom_fields"]}
            entries = ticket.setdefault("custom_fields", [])
            for entry in entries:
                if entry["id"] in values:
                    entry["value"] = values.pop(entry["id"])
            # A field added after the ticket was made: Zendesk lists every field, so it is set.
            entries.extend(
                {"id": fid, "value": value}
                for fid, value in values.items()
                if self.fields["ticket"].get(fid, {}).get("removable")
            )
        now = self.now()
        if isinstance(comment, Mapping):
            author = int(ticket.get("requester_id") or 0)
            self.comments[tid].append(self._incoming_comment(comment, author=author, when=now))
        if ticket.get("status") in ("solved", "closed") and state.solved_at is None:
            state.solved_at = iso(now)
        ticket["updated_at"] = iso(now)
        state.generated_timestamp = self.now_ts()
        self.touch()
        return self.ticket_view(tid)

    def delete_ticket(self, tid: int) -> None:
        """Soft-delete a ticket (it stays in the export as ``status: deleted``)."""
        state = self.ticket_state.get(tid)
        if state is None or state.deleted:
            raise RecordNotFound()
        state.deleted = True
        state.generated_timestamp = self.now_ts()
        self.touch()

    def upsert_user(self, body: Mapping[str, Any], *, update: bool) -> tuple[int, str]:
        """Create (or, with ``update``, update) a user keyed by external_id or e-mail."""
        email = body.get("email")
        if not body.get("name") and not update:
            raise RecordInvalid({"name": [{"description": "Name: cannot be blank"}]})
        if email is not None and not _EMAIL.match(str(email)):
            raise RecordInvalid(
                {"email": [{"description": f"Email: {email} is not properly formatted"}]}
            )
        existing = None
        external = body.get("external_id")
        if external is not None:
            existing = self._users_by().get(("external_id", str(external)))
        if existing is None and email:
            existing = self.user_by_email(str(email))
        if existing is not None and not update:
            raise RecordInvalid(
                {
                    "email": [
                        {"description": f"Email: {email} is already being used by another user"}
                    ]
                }
            )
        now = iso(self.now())
        role = str(body.get("role") or "end-user")
        if role not in ("end-user", "agent", "admin"):
            raise RecordInvalid({"role": [{"description": f"Role: {role} is not valid"}]})
        if existing is not None:
            user = self.users[existing]
            keys_before = (user.get("email"), user.get("external_id"))
            for key in (
                "name",
                "email",
                "role",
                "organization_id",
                "phone",
                "locale",
                "time_zone",
                "tags",
                "suspended",
                "details",
                "notes",
                *_PEOPLE_KEYS,
            ):
                if key in body:
                    user[key] = body[key]
            if "time_zone" in body:
                user["iana_time_zone"] = body["time_zone"]
            _derive_role_fields(user)
            if external is not None:
                user["external_id"] = str(external)
            if (user.get("email"), user.get("external_id")) != keys_before:
                self._user_index = None  # the lookups change: index again on next use
            if isinstance(body.get("user_fields"), Mapping):
                user["user_fields"].update(body["user_fields"])
            user["updated_at"] = now
            self.user_ts[existing] = self.now_ts()
            self._ensure_default_membership(existing, user.get("organization_id"))
            return existing, "Updated"
        uid = self.new_id("user")
        fields = self._field_values("user", {})
        if isinstance(body.get("user_fields"), Mapping):
            fields.update(body["user_fields"])
        self.users[uid] = self._user_json(
            uid,
            name=body.get("name"),
            email=email,
            role=role,
            created_at=now,
            updated_at=now,
            organization_id=body.get("organization_id"),
            external_id=None if external is None else str(external),
            tags=list(body.get("tags") or []),
            suspended=bool(body.get("suspended", False)),
            locale=body.get("locale", "en-US"),
            time_zone=body.get("time_zone", "UTC"),
            phone=body.get("phone"),
            details=body.get("details"),
            notes=body.get("notes"),
            user_fields=fields,
            **{key: body[key] for key in _PEOPLE_KEYS if key in body and key != "external_id"},
        )
        self.user_ts[uid] = self.now_ts()
        self._identities_on_create(uid, body)
        self._ensure_default_membership(uid, body.get("organization_id"))
        return uid, "Created"

    def create_organization(self, body: Mapping[str, Any]) -> int:
        """Create an organization; names are unique."""
        name = body.get("name")
        if not name:
            raise RecordInvalid({"name": [{"description": "Name: cannot be blank"}]})
        if any(o["name"].lower() == str(name).lower() for o in self.organizations.values()):
            raise RecordInvalid({"name": [{"description": "Name: has already been taken"}]})
        oid = self.new_id("organization")
        now = iso(self.now())
        fields = self._field_values("organization", {})
        if isinstance(body.get("organization_fields"), Mapping):
            fields.update(body["organization_fields"])
        self.organizations[oid] = {
            "id": oid,
            "url": f"{BASE}/api/v2/organizations/{oid}.json",
            "name": str(name),
            "shared_tickets": bool(body.get("shared_tickets", False)),
            "shared_comments": bool(body.get("shared_comments", False)),
            "external_id": body.get("external_id"),
            "created_at": now,
            "updated_at": now,
            "domain_names": list(body.get("domain_names") or []),
            "details": body.get("details"),
            "notes": body.get("notes"),
            "group_id": body.get("group_id"),
            "tags": list(body.get("tags") or []),
            "organization_fields": fields,
        }
        self.org_ts[oid] = self.now_ts()
        return oid

    def create_rule(self, plural: str, body: Mapping[str, Any]) -> Json:
        """Create a trigger, automation, macro or view from its body."""
        rid = max((*self.rules[plural], 366_900_000_000)) + 1
        now = iso(self.now())
        rule: Json = _fold_legacy_conditions(plural, json.loads(json.dumps(dict(body))))
        rule.update(
            id=rid,
            url=f"{BASE}/api/v2/{plural}/{rid}.json",
            active=bool(body.get("active", True)),
            position=int(body.get("position") or len(self.rules[plural]) + 1),
            created_at=now,
            updated_at=now,
        )
        self.rules[plural][rid] = _rule_shape(plural, rule)
        return rule

    def update_rules(self, plural: str, changes: Sequence[Mapping[str, Any]]) -> list[Json]:
        """Update triggers, automations, macros or views as ``update_many`` does: each change
        names an ``id`` and sets ``active`` and/or ``position`` (other keys are ignored). Every
        change is checked first, so a refused call changes nothing."""
        rules = self.rules[plural]
        checked = []
        for change in changes:
            rid = change.get("id")
            if not isinstance(rid, int) or isinstance(rid, bool) or rid not in rules:
                raise RecordNotFound()
            fields = {k: change[k] for k in ("active", "position") if k in change}
            _check_rule_fields(fields)
            checked.append((rid, fields))
        now = iso(self.now())
        for rid, fields in checked:
            rules[rid].update(fields, updated_at=now)
        return [rules[rid] for rid, _ in checked]

    def update_rule(self, plural: str, rid: int, body: Mapping[str, Any]) -> Json:
        """Update one trigger, automation, macro or view from the attributes sent."""
        rule = self.rules[plural].get(rid)
        if rule is None:
            raise RecordNotFound()
        if "title" in body and not str(body["title"] or "").strip():
            raise RecordInvalid({"title": [{"description": "Title: cannot be blank"}]})
        _check_rule_fields(body)
        fields = {k: v for k, v in body.items() if k not in ("id", "url", "created_at")}
        rule.update(
            _fold_legacy_conditions(plural, json.loads(json.dumps(fields))),
            updated_at=iso(self.now()),
        )
        if "title" in fields:
            rule["raw_title"] = rule["title"]
        return rule

    def create_sla_policy(self, body: Mapping[str, Any]) -> Json:
        """Create an SLA policy from its body (validated as Zendesk does; added last)."""
        _check_sla_policy(body, create=True)
        pid = max((*self.sla_policies, 365_100_000_000)) + 1
        now = iso(self.now())
        policy: Json = {
            "id": pid,
            "url": f"{BASE}/api/v2/slas/policies/{pid}.json",
            "title": body["title"],
            "description": body.get("description") or "",
            "position": int(body.get("position") or len(self.sla_policies) + 1),
            "filter": _sla_filter(body.get("filter")),
            "policy_metrics": _sla_metrics(body.get("policy_metrics")),
            "created_at": now,
            "updated_at": now,
        }
        self.sla_policies[pid] = policy
        return policy

    def update_sla_policy(self, pid: int, body: Mapping[str, Any]) -> Json:
        """Update an SLA policy: the attributes sent replace the stored ones."""
        policy = self.sla_policies.get(pid)
        if policy is None:
            raise RecordNotFound()
        _check_sla_policy(body, create=False)
        for key in ("title", "description", "position"):
            if key in body:
                policy[key] = body[key]
        if "filter" in body:
            policy["filter"] = _sla_filter(body["filter"])
        if "policy_metrics" in body:
            policy["policy_metrics"] = _sla_metrics(body["policy_metrics"])
        policy["updated_at"] = iso(self.now())
        return policy

    def create_group(self, body: Mapping[str, Any]) -> Json:
        """Create a group."""
        name = body.get("name")
        if not name:
            raise RecordInvalid({"name": [{"description": "Name: cannot be blank"}]})
        gid = self.new_id("group")
        now = iso(self.now())
        self.groups[gid] = {
            "id": gid,
            "url": f"{BASE}/api/v2/groups/{gid}.json",
            "name": str(name),
            "description": str(body.get("description") or ""),
            "default": False,
            "deleted": False,
            "is_public": bool(body.get("is_public", True)),
            "created_at": now,
            "updated_at": now,
        }
        return self.groups[gid]

    def create_membership(self, body: Mapping[str, Any]) -> Json:
        """Add an agent to a group."""
        uid, gid = body.get("user_id"), body.get("group_id")
        user = self.users.get(int(uid)) if uid is not None else None
        if user is None or gid is None or int(gid) not in self.groups:
            raise RecordInvalid.base("User and group must exist")
        if user["role"] == "end-user":
            raise RecordInvalid({"user_id": [{"description": "User: is not an agent"}]})
        mid = self.new_id("membership")
        now = iso(self.now())
        self.memberships[mid] = {
            "id": mid,
            "url": f"{BASE}/api/v2/group_memberships/{mid}.json",
            "user_id": int(uid),  # type: ignore[arg-type]
            "group_id": int(gid),
            "default": bool(body.get("default", False)),
            "created_at": now,
            "updated_at": now,
        }
        return self.memberships[mid]

    # -- people: custom roles, identities, organization memberships --------------------------

    def _seed_custom_roles(self, desk: HelpDesk) -> None:
        """One custom role per role name the desk's agents hold (an Enterprise account's roles
        are its own; the dataset names them on the users)."""
        have = {role["name"] for role in self.custom_roles.values()}
        names = sorted({u.custom_role for u in desk.users if u.custom_role} - have)
        for number, name in enumerate(names, start=1):
            self.add_custom_role(name, rid=_CUSTOM_ROLE_IDS + number, when=DEFAULT_START)

    def add_custom_role(
        self, name: str, *, rid: int | None = None, when: datetime | None = None
    ) -> Json:
        """Add a custom role (an account admin defines them in the agent interface); its JSON
        is what ``GET /api/v2/custom_roles`` lists. [Zendesk API reference: Custom Agent Roles]"""
        rid = rid if rid is not None else self.new_id("custom_role")
        stamp = iso(when or self.now())
        role: Json = {
            "id": rid,
            "name": name,
            "description": f"{name} role",
            "role_type": 0,
            "team_member_count": 0,
            "created_at": stamp,
            "updated_at": stamp,
            "configuration": {"ticket_access": "all", "ticket_editing": True},
        }
        self.custom_roles[rid] = role
        return role

    def custom_role_id(self, name: str | None) -> int | None:
        """The id of the custom role of this name (None when there is none)."""
        if not name:
            return None
        return next((r["id"] for r in self.custom_roles.values() if r["name"] == name), None)

    def _people_values(self, user: User) -> Json:
        """The user attributes beyond the basics that a seeded user carries."""
        return {
            "external_id": user.external_id,
            "default_group_id": _ref_id(user.default_group),
            "custom_role_id": self.custom_role_id(user.custom_role),
            # Zendesk gives every end user "requested" (only their own tickets).
            "ticket_restriction": (
                "requested" if user.role is Role.END_USER else user.ticket_restriction
            ),
            "only_private_comments": user.only_private_comments,
            "alias": user.alias or None,
            "signature": user.signature or None,
            "details": user.details or None,
            "notes": user.notes or None,
        }

    def _seed_identities(self, user: User) -> None:
        """The user's identities as the dataset lists them; a user listed without any has
        the ones Zendesk makes from its e-mail and phone."""
        uid = int(user.id)
        given = user.identities or tuple(
            Identity(type=kind, value=value, primary=True, verified=True)
            for kind, value in (("email", user.email), ("phone_number", user.phone))
            if value
        )
        for identity in given:
            known = int(identity.id) if identity.id.isdigit() else None
            if known is None:
                self._next_id["identity"] = self._next_id.get("identity", _IDENTITY_IDS) + 1
                known = self._next_id["identity"]
            self._store_identity(
                uid,
                known,
                identity.type,
                identity.value,
                primary=identity.primary,
                verified=identity.verified,
                when=iso(user.created_at),
            )

    def _store_identity(
        self,
        uid: int,
        iid: int,
        kind: str,
        value: str,
        *,
        primary: bool,
        verified: bool,
        when: str | None,
    ) -> Json:
        identity: Json = {
            "id": iid,
            "url": f"{BASE}/api/v2/users/{uid}/identities/{iid}.json",
            "user_id": uid,
            "type": "phone_number" if kind == "phone" else kind,
            "value": value,
            "verified": verified,
            "primary": primary,
            "created_at": when,
            "updated_at": when,
            "undeliverable_count": 0,
            "deliverable_state": "deliverable" if kind == "email" else None,
        }
        self.identities.setdefault(uid, []).append(identity)
        return identity

    def _identities_on_create(self, uid: int, body: Mapping[str, Any]) -> None:
        """A new user's identities: those the request lists, else its e-mail and phone."""
        listed = body.get("identities")
        now = iso(self.now())
        if isinstance(listed, list) and listed:
            for number, raw in enumerate(i for i in listed if isinstance(i, Mapping)):
                self._store_identity(
                    uid,
                    self.new_id("identity"),
                    str(raw.get("type") or "email"),
                    str(raw.get("value") or ""),
                    primary=bool(raw.get("primary", number == 0)),
                    verified=bool(raw.get("verified", False)),
                    when=now,
                )
            return
        for kind, value in (("email", body.get("email")), ("phone_number", body.get("phone"))):
            if value:
                self._store_identity(
                    uid,
                    self.new_id("identity"),
                    kind,
                    str(value),
                    primary=True,
                    verified=kind == "email",
                    when=now,
                )

    def add_identity(self, uid: int, body: Mapping[str, Any]) -> Json:
        """``POST /api/v2/users/{id}/identities``: add one identity to a user's profile. The
        value must be new to the account. [Zendesk API reference: User Identities, Create
        Identity: type and value mandatory; types email, twitter, facebook, google,
        phone_number, agent_forwarding, any_channel, foreign, sdk, messaging]"""
        if uid not in self.users:
            raise RecordNotFound()
        kind, value = body.get("type"), body.get("value")
        errors: dict[str, list[dict[str, str]]] = {}
        if kind not in _IDENTITY_TYPES:
            errors["type"] = [{"description": f"Type: {kind!r} is not a valid identity type"}]
        if not value:
            errors["value"] = [{"description": "Value: cannot be blank"}]
        elif any(
            i["value"].lower() == str(value).lower() and i["type"] == kind
            for found in self.identities.values()
            for i in found
        ):
            errors["value"] = [
                {"description": f"Value: {value} is already being used by another user"}
            ]
        if errors:
            raise RecordInvalid(errors)
        primary = bool(body.get("primary", False)) and not self.identities.get(uid)
        return self._store_identity(
            uid,
            self.new_id("identity"),
            str(kind),
            str(value),
            primary=primary,
            verified=bool(body.get("verified", False)),
            when=iso(self.now()),
        )

    def _seed_organization_memberships(self, desk: HelpDesk) -> None:
        """The desk's memberships; a user whose organization none of them names gets the
        default membership Zendesk holds for every user with an ``organization_id``."""
        for m in desk.organization_memberships:
            self._store_organization_membership(
                int(m.id),
                int(m.user.id),
                int(m.organization.id),
                default=m.default,
                view_tickets=m.view_tickets,
                created=iso(m.created_at),
                updated=iso(m.updated_at),
            )
        held = {
            (m["user_id"], m["organization_id"]) for m in self.organization_memberships.values()
        }
        number = max(self.organization_memberships, default=_ORGANIZATION_MEMBERSHIP_IDS)
        for user in desk.users:
            if user.organization is None:
                continue
            pair = (int(user.id), int(user.organization.id))
            if pair in held or pair[1] not in self.organizations:
                continue
            number += 1
            self._store_organization_membership(
                number,
                *pair,
                default=True,
                view_tickets=False,
                created=iso(user.created_at),
                updated=iso(user.created_at),
            )

    def _store_organization_membership(
        self,
        mid: int,
        uid: int,
        oid: int,
        *,
        default: bool,
        view_tickets: bool,
        created: str | None,
        updated: str | None,
    ) -> Json:
        org = self.organizations.get(oid) or {}
        membership: Json = {
            "id": mid,
            "url": f"{BASE}/api/v2/organization_memberships/{mid}.json",
            "user_id": uid,
            "organization_id": oid,
            # "If false, returns null" [Zendesk API reference: Organization Memberships]
            "default": True if default else None,
            "organization_name": org.get("name"),
            "view_tickets": view_tickets,
            "created_at": created,
            "updated_at": updated,
        }
        self.organization_memberships[mid] = membership
        return membership

    def _membership_of(self, uid: int, oid: int) -> Json | None:
        return next(
            (
                m
                for m in self.organization_memberships.values()
                if m["user_id"] == uid and m["organization_id"] == oid
            ),
            None,
        )

    def _ensure_default_membership(self, uid: int, oid: object) -> None:
        """Setting a user's ``organization_id`` makes it a member (its default organization)."""
        if not isinstance(oid, int) or isinstance(oid, bool) or oid not in self.organizations:
            return
        if self._membership_of(uid, oid) is None:
            now = iso(self.now())
            has_default = any(
                m["default"] for m in self.organization_memberships.values() if m["user_id"] == uid
            )
            self._store_organization_membership(
                self.new_id("organization_membership"),
                uid,
                oid,
                default=not has_default,
                view_tickets=False,
                created=now,
                updated=now,
            )

    def create_organization_membership(self, body: Mapping[str, Any]) -> Json:
        """``POST /api/v2/organization_memberships``: assign a user to an organization; 422
        when the user is already in it. The first membership of a user is its default and
        sets its ``organization_id``. [Zendesk API reference: Organization Memberships,
        Create Membership]"""
        uid, oid = body.get("user_id"), body.get("organization_id")
        if not isinstance(uid, int) or uid not in self.users:
            raise RecordInvalid({"user_id": [{"description": "User: cannot be blank"}]})
        if not isinstance(oid, int) or oid not in self.organizations:
            raise RecordInvalid(
                {"organization_id": [{"description": "Organization: cannot be blank"}]}
            )
        if self._membership_of(uid, oid) is not None:
            raise RecordInvalid(
                {"user_id": [{"description": "User: is already a member of this organization"}]}
            )
        user = self.users[uid]
        first = user.get("organization_id") is None
        now = iso(self.now())
        membership = self._store_organization_membership(
            self.new_id("organization_membership"),
            uid,
            oid,
            default=first or bool(body.get("default", False)),
            view_tickets=bool(body.get("view_tickets", False)),
            created=now,
            updated=now,
        )
        if first:
            user["organization_id"] = oid
            user["updated_at"] = now
            self.user_ts[uid] = self.now_ts()
        return membership

    # -- audits, custom roles, account settings, tags ----------------------------------------

    def audits_of(self, tid: int) -> list[Json]:
        """A ticket's audits, derived from its comments (developer.zendesk.com "Ticket Audits"):
        the first is the Create audit (the first comment and a ``Create`` event per field set),
        each later comment its own audit with a ``Comment`` event. The emulator keeps no field
        change history, so later audits carry no ``Change`` events."""
        ticket = self.ticket_view(tid)
        comments = self.comments.get(tid) or []
        audits = []
        for index, comment in enumerate(comments):
            events: list[Json] = [
                {
                    "id": comment["id"],
                    "type": "Comment",
                    "author_id": comment["author_id"],
                    "body": comment["body"],
                    "html_body": comment["html_body"],
                    "plain_body": comment["plain_body"],
                    "public": comment["public"],
                    "attachments": comment["attachments"],
                    "audit_id": comment["audit_id"],
                }
            ]
            if index == 0:
                events.extend(_create_events(ticket, comment["id"]))
            audits.append(
                {
                    "id": comment["audit_id"],
                    "ticket_id": tid,
                    "created_at": comment["created_at"],
                    "author_id": comment["author_id"],
                    "metadata": comment["metadata"],
                    "via": comment["via"],
                    "events": events,
                }
            )
        return audits

    def all_audits(self) -> list[Json]:
        """The audits of every ticket that is neither archived nor deleted, by id (cached
        between writes)."""
        if self._audits_cache is not None and self._audits_cache[0] == self._version:
            return self._audits_cache[1]
        audits = [
            audit
            for tid, state in self.ticket_state.items()
            if not state.archived and not state.deleted
            for audit in self.audits_of(tid)
        ]
        audits.sort(key=lambda a: a["id"])
        self._audits_cache = (self._version, audits)
        return audits

    def _seed_default_roles(self) -> None:
        """The agent roles an Enterprise account starts with (developer.zendesk.com "Custom
        Agent Roles": ``role_type`` 0 is a custom agent role; the rest of ``configuration`` is
        the account's permissions, here the few a migration reads)."""
        created = iso(DEFAULT_START - timedelta(days=900))
        for number, (name, description, tickets) in enumerate(_DEFAULT_ROLES, start=1):
            rid = 365_900_000_000 + number
            self.custom_roles[rid] = {
                "id": rid,
                "name": name,
                "description": description,
                "role_type": 0,
                "team_member_count": 0,
                "created_at": created,
                "updated_at": created,
                "configuration": {
                    "ticket_access": tickets,
                    "ticket_editing": name != "Light agent",
                    "ticket_comment_access": "none" if name == "Light agent" else "public",
                    "end_user_profile_access": "edit" if name != "Light agent" else "readonly",
                    "manage_business_rules": name == "Team lead",
                    "macro_access": "full" if name == "Team lead" else "readonly",
                    "view_access": "full" if name == "Team lead" else "readonly",
                    "report_access": "full" if name == "Team lead" else "readonly",
                },
            }

    def account_settings(self) -> Json:
        """The account's settings by section, as ``GET /account/settings`` shows them
        (developer.zendesk.com "Account Settings"); values are this emulated account's."""
        return {
            "active_features": {
                "business_hours": bool(self.desk.schedules),
                "customer_satisfaction": bool(self.ratings),
                "custom_statuses": bool(self.desk.custom_statuses),
                "explore": True,
                "satisfaction_prediction": False,
                "sandbox": False,
                "ticket_forms": bool(self.desk.ticket_forms),
                "user_tagging": True,
            },
            "agents": {"agent_workspace": True, "focus_mode": False},
            "api": {"api_password_access": "false", "api_token_access": "true"},
            "brands": {"default_brand_id": 360_000_000_001, "require_brand_on_new_tickets": False},
            "localization": {"locale_ids": [1]},
            "lotus": {"prefer_lotus": True, "reporting": True},
            "routing": {"enabled": False, "autorouting_tag": "", "max_email_capacity": 0},
            "ticket_form": {"ticket_forms_instructions": "", "raw_ticket_forms_instructions": ""},
            "tickets": {
                "agent_collision": True,
                "comments_public_by_default": True,
                "email_attachments": True,
                "list_empty_views": True,
                "list_newest_comments_first": True,
                "markdown_ticket_comments": False,
                "private_attachments": False,
                "rich_text_comments": True,
                "status_hold": True,
                "tagging": True,
            },
            "user": {
                "language_selection": True,
                "multiple_organizations": bool(self.desk.organization_memberships),
                "tagging": True,
                "time_zone_selection": True,
            },
        }

    def tag_counts(self) -> list[Json]:
        """Every tag on live tickets, users and organizations with how many carry it, the most
        used first (ties by name)."""
        counts: dict[str, int] = {}
        live = (t for tid, t in self.tickets.items() if not self.ticket_state[tid].deleted)
        for record in itertools.chain(live, self.users.values(), self.organizations.values()):
            for tag in record.get("tags") or []:
                counts[tag] = counts.get(tag, 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [{"name": name, "count": count} for name, count in ordered]

    # -- jobs ------------------------------------------------------------------------------

    def start_job(self, job_type: str, total: int, work: Callable[[], list[Json]]) -> Job:
        """Queue a job; its ``work`` runs when it completes (polls or time advance it)."""
        number = self.new_id("job")
        job = Job(f"V3-{number:032x}", job_type, total, self.clock.monotonic(), work)
        self.jobs[job.id] = job
        return job

    def advance_jobs(self) -> None:
        """Complete every job that has waited :data:`JOB_SECONDS` on the clock."""
        now = self.clock.monotonic()
        for job in self.jobs.values():
            if job.status != "completed" and now - job.created >= JOB_SECONDS:
                self._complete(job)

    def poll_job(self, job_id: str) -> Job:
        """One poll: queued → working → completed."""
        job = self.jobs.get(job_id)
        if job is None:
            raise RecordNotFound()
        if job.status == "queued":
            job.status = "working"
        elif job.status == "working":
            self._complete(job)
        return job

    def _complete(self, job: Job) -> None:
        assert job.work is not None
        job.results = job.work()
        job.work = None
        job.status = "completed"
        job.message = f"Completed at {iso(self.now())}"


_METRIC_TIMES = (
    "assignee_updated_at",
    "requester_updated_at",
    "status_updated_at",
    "initially_assigned_at",
    "assigned_at",
    "latest_comment_added_at",
)
_METRIC_MINUTES = (
    "reply_time_in_minutes",
    "first_resolution_time_in_minutes",
    "full_resolution_time_in_minutes",
    "agent_wait_time_in_minutes",
    "requester_wait_time_in_minutes",
    "on_hold_time_in_minutes",
)


def _origin_values(ticket: Ticket) -> Json:
    """A seeded ticket's ``recipient`` and ``via`` (the dataset's, verbatim; without one, the
    channel with no addresses)."""
    channel = _CHANNELS[ticket.channel]
    via: Json = json.loads(json.dumps(dict(ticket.via))) if ticket.via else {}
    via.setdefault("channel", channel)
    via.setdefault("source", dict(_VIA_NONE))
    return {"recipient": ticket.recipient, "via": via}


def _comment_origin(comment: Comment) -> tuple[Json, Json]:
    """A seeded comment's ``via`` and ``metadata.system`` from the dataset's metadata
    (``{"via": ..., "system": ...}``); without them, the comment's channel and an empty
    record. [Zendesk API reference: Ticket Comments, JSON format: via, metadata]"""
    found: Json = json.loads(json.dumps(dict(comment.metadata))) if comment.metadata else {}
    given_via, given_system = found.get("via"), found.get("system")
    via: Json = dict(given_via) if isinstance(given_via, dict) else {}
    via.setdefault("channel", _CHANNELS[comment.channel])
    via.setdefault("source", dict(_VIA_NONE))
    system: Json = dict(given_system) if isinstance(given_system, dict) else {}
    return via, system


def _derive_role_fields(user: Json) -> None:
    """Recompute what Zendesk derives from a user's role after an update."""
    role = user.get("role")
    if role != "agent":
        user["custom_role_id"] = None
    if role == "admin":
        user["ticket_restriction"] = None
    if role == "end-user":
        user["default_group_id"] = None
    user["role_type"] = 0 if user.get("custom_role_id") else (4 if role == "admin" else None)
    user["restricted_agent"] = role == "agent" and user.get("ticket_restriction") is not None
    user["moderator"] = role != "end-user"


_DEFAULT_ROLES: Final = (
    ("Advisor", "Can automate ticket workflows, but cannot solve tickets", "within-groups"),
    ("Light agent", "Can view and add private comments to tickets", "within-groups"),
    ("Staff", "Can edit tickets within their groups", "within-groups"),
    ("Team lead", "Can manage all tickets and moderate the help center", "all"),
)
"""The custom agent roles an Enterprise account is created with: name, description, access."""
_CREATE_FIELDS: Final = (
    "subject",
    "status",
    "priority",
    "type",
    "requester_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "tags",
)
"""The ticket attributes a Create audit names (when set), as recorded audits show them."""


def _create_events(ticket: Json, comment_id: int) -> list[Json]:
    """The ``Create`` events of a ticket's first audit: one per attribute it was created with
    (ids and user ids as strings, as Zendesk's audits write them)."""
    events = []
    for number, field in enumerate(_CREATE_FIELDS, start=1):
        value = ticket.get(field)
        if value is None or value == []:
            continue
        events.append(
            {
                "id": 5_000_000_000_000 + comment_id * 16 + number,
                "type": "Create",
                "field_name": field,
                "value": str(value) if field.endswith("_id") else value,
            }
        )
    return events


def _minutes(value: Any) -> Json:
    return {"calendar": value.calendar, "business": value.business}


def _ref_id(ref: Ref | None) -> int | None:
    return None if ref is None else int(ref.id)


def _token(aid: int) -> str:
    digest = base64.b32encode(aid.to_bytes(8, "big")).decode().rstrip("=").lower()
    return f"t{digest}"


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML body: paragraphs apart by a blank line, ``<br>`` a newline."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html_body: str) -> str:
    """The plain text Zendesk shows for an HTML comment body."""
    parser = _TextOfHtml()
    parser.feed(html_body)
    parser.close()
    return "".join(parser.parts)


_UPDATABLE = (
    "subject",
    "status",
    "priority",
    "type",
    "tags",
    "requester_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "external_id",
)
"""Ticket attributes ``PUT /tickets/{id}`` changes in the emulator."""


def batch_results(
    items: Sequence[Mapping[str, Any]], action: Callable[[Mapping[str, Any]], Json]
) -> list[Json]:
    """Run ``action`` per item; a :class:`RecordInvalid` fails that item only."""
    results: list[Json] = []
    for index, item in enumerate(items):
        try:
            out = action(item)
        except RecordInvalid as exc:
            details = exc.body.get("details")
            found = details.values() if isinstance(details, dict) else []
            text = "; ".join(str(d.get("description")) for ds in found for d in ds)
            results.append(
                {
                    "index": index,
                    "status": "Failed",
                    "success": False,
                    "error": "RecordInvalid",
                    "details": text,
                }
            )
        else:
            results.append({"index": index, "success": True, **out})
    return results


DEFAULT_TRIGGER_CATEGORY: Final = "360000000101"
"""The trigger category an account's triggers fall in unless they name one (ids are strings)."""
TRIGGER_CATEGORIES: Final[tuple[Json, ...]] = (
    {
        "id": DEFAULT_TRIGGER_CATEGORY,
        "name": "Notifications",
        "position": 0,
        "created_at": "2022-07-16T00:00:00Z",
        "updated_at": "2022-07-16T00:00:00Z",
    },
)
"""The account's ticket trigger categories (developer.zendesk.com "Trigger Categories")."""


def _rule_shape(plural: str, rule: Json) -> Json:
    """Fill in what Zendesk's answers carry for a business rule beside what was stored: every
    rule has ``default`` and ``raw_title`` (developer.zendesk.com "Triggers", "Automations",
    "Macros", "Views"); triggers, macros and views a ``description``; triggers a string
    ``category_id``; macros and views a ``restriction``; all but macros a ``position``
    (macros too, as the Macros reference lists it)."""
    rule.setdefault("default", False)
    rule.setdefault("raw_title", rule.get("title"))
    if plural in ("triggers", "macros", "views"):
        rule.setdefault("description", None)
    if plural == "triggers":
        category = rule.get("category_id")
        rule["category_id"] = DEFAULT_TRIGGER_CATEGORY if category is None else str(category)
    if plural in ("macros", "views"):
        rule.setdefault("restriction", None)
    rule.setdefault("position", 0)
    return rule


def _fold_legacy_conditions(plural: str, body: Json) -> Json:
    """A rule posted in the legacy form, with ``all``/``any`` at the top level, as Zendesk
    keeps it: folded into ``conditions`` (macros have no conditions and are left as sent)."""
    if plural == "macros" or not ("all" in body or "any" in body):
        return body
    found = body.get("conditions")
    conditions: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    body["conditions"] = {
        "all": list(conditions.get("all") or body.pop("all", None) or []),
        "any": list(conditions.get("any") or body.pop("any", None) or []),
    }
    body.pop("all", None)
    body.pop("any", None)
    return body


def _check_rule_fields(fields: Mapping[str, Any]) -> None:
    """Zendesk's check of a rule's ``active`` (a boolean) and ``position`` (an integer)."""
    if "active" in fields and not isinstance(fields["active"], bool):
        raise RecordInvalid({"active": [{"description": "Active: must be true or false"}]})
    position = fields.get("position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        raise RecordInvalid({"position": [{"description": "Position: is not a number"}]})


SLA_METRICS: Final = frozenset(
    {
        "first_reply_time",
        "next_reply_time",
        "periodic_update_time",
        "pausable_update_time",
        "requester_wait_time",
        "agent_work_time",
        "total_resolution_time",
    }
)
"""The metrics a Zendesk SLA policy takes."""
SLA_PRIORITIES: Final = ("low", "normal", "high", "urgent")


def _check_sla_policy(body: Mapping[str, Any], *, create: bool) -> None:
    """Zendesk's validation of an SLA policy body: 422 ``RecordInvalid`` naming the attribute."""
    errors: dict[str, list[dict[str, str]]] = {}
    if (create or "title" in body) and not body.get("title"):
        errors["title"] = [{"description": "Title: cannot be blank"}]
    found = body.get("filter")
    if create and not isinstance(found, Mapping):
        errors["filter"] = [{"description": "Filter: cannot be blank"}]
    elif found is not None:
        if not isinstance(found, Mapping):
            errors["filter"] = [{"description": "Filter: is invalid"}]
        else:
            for group in ("all", "any"):
                items = found.get(group) or []
                if not isinstance(items, list) or not all(
                    isinstance(c, Mapping) and c.get("field") and c.get("operator") for c in items
                ):
                    errors["filter"] = [
                        {"description": f"Filter: {group} conditions need a field and operator"}
                    ]
    metrics = body.get("policy_metrics")
    if metrics is not None:
        problems = []
        for m in metrics if isinstance(metrics, list) else [metrics]:
            if not isinstance(m, Mapping):
                problems.append("Policy metrics: is invalid")
                continue
            if m.get("priority") not in SLA_PRIORITIES:
                problems.append(f"Priority: {m.get('priority')!r} is not a valid priority")
            if m.get("metric") not in SLA_METRICS:
                problems.append(f"Metric: {m.get('metric')!r} is not a valid metric")
            target = m.get("target")
            if isinstance(target, bool) or not isinstance(target, int) or target < 0:
                problems.append(f"Target: {target!r} must be a whole number of minutes")
            if not isinstance(m.get("business_hours", False), bool):
                problems.append("Business hours: must be true or false")
        if problems:
            errors["policy_metrics"] = [{"description": p} for p in problems]
    if errors:
        raise RecordInvalid(errors)


def _sla_filter(found: Any) -> Json:
    current = found if isinstance(found, Mapping) else {}
    return {
        "all": json.loads(json.dumps(current.get("all") or [])),
        "any": json.loads(json.dumps(current.get("any") or [])),
    }


def _sla_metrics(metrics: Any) -> list[Json]:
    return [
        {
            "priority": m["priority"],
            "metric": m["metric"],
            "target": m["target"],
            "business_hours": bool(m.get("business_hours", False)),
            "target_in_seconds": m["target"] * 60,
        }
        for m in metrics or []
    ]
