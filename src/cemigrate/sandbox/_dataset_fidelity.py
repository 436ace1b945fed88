"""What a real Zendesk account holds beyond tickets and people, added to a generated desk.

Brands, ticket forms, custom ticket statuses, schedules, organization memberships, secondary
identities, the newer user and organization attributes, each ticket's brand, form, custom
status, recipient and via, end users' comment metadata and agents' inline screenshots. And what
real Freshdesk accounts hold (:meth:`_Enricher._freshdesk`): account-defined ticket types (a
``ticket_type`` dropdown whose value is the type's name), Freshdesk source codes other
platforms have no channel for, agents of each ticket scope and type, mobile-only contacts and
contacts with a Twitter handle.

Everything here is drawn from its own random generator, after the rest of the desk is built, and
only adds attributes and records: the records :mod:`cemigrate.sandbox.dataset` made before keep
every value they had (benchmarks and tests depend on them).

Shapes follow Zendesk's references: custom ticket statuses (one default per category; closed
tickets belong to the "solved" category), schedules (intervals in minutes since Sunday 00:00
that cannot span calendar days), the via object reference (``channel`` and a ``source`` of
``from``/``to``/``rel``) and the ticket audit's ``metadata.system`` (``client``,
``ip_address``, ``location``, ``latitude``, ``longitude``).
"""

from __future__ import annotations

import bisect
import html
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from cemigrate.schema import (
    Attachment,
    Brand,
    Channel,
    Comment,
    CustomStatus,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    Holiday,
    Identity,
    Interval,
    JsonValue,
    Kind,
    Organization,
    OrganizationMembership,
    Ref,
    Role,
    Schedule,
    Status,
    Ticket,
    TicketForm,
    TicketType,
    User,
)

if TYPE_CHECKING:
    from cemigrate.sandbox._desk import HelpDesk

_DAY = 86400
_WEEK_MINUTES = 7 * 1440

_BRAND_BASE = 367_000_000_100
_SCHEDULE_BASE = 368_000_000_100
_STATUS_BASE = 369_000_000_100
_FORM_BASE = 370_000_000_100
_ORG_MEMBERSHIP_BASE = 371_000_000_100
_IDENTITY_BASE = 372_000_000_100
_FD_IDENTITY_BASE = 373_000_000_100

TICKET_TYPES: Final = ("Question", "Incident", "Problem", "Task", "Feature Request", "Refund")
"""The ``ticket_type`` field's options (name = value): the four every platform knows and two an
account defined, as a real Freshdesk account's ``ticket_type`` field lists them (Airbyte's
recorded ``ticket_fields`` stream: "Feature Request", "Refund")."""
FRESHDESK_SOURCES: Final = ((8, "MobiHelp", "chat"), (12, "Bot", "chat"), (13, "Whatsapp", "chat"))
"""Freshdesk ``source`` codes no other platform has a channel for, and the channel of the tickets
that carry them (``via["freshdesk"]``); code 11 "Ecommerce" goes to a web ticket."""

FOREIGN_LOOKUPS: Final = {"asset_record": "Asset"}
"""Ticket fields that are lookups to an object no migration carries, by key: the object they
point to. The desk holds them as text (the source's id); a Salesforce org holds them as lookup
fields to that object."""
CRITICAL_DAYS_OPEN_FORMULA: Final = (
    "IF(ISPICKVAL(Priority, 'Critical'), IF(IsClosed, DATEVALUE(ClosedDate), TODAY())"
    " - DATEVALUE(CreatedDate), NULL)"
)
"""The ``critical_days_open`` formula, as a Salesforce org computes it."""

METADATA_BUDGET: Final = 29_000
"""Most characters of comment metadata JSON one ticket carries (Zendesk's long threads have
metadata on every comment; the demo stops adding it once a ticket reaches this)."""

_SECURITY_CATEGORY = "account_access"
_PRIVATE_GROUP: Final = "Account Security"
"""The group end users do not see (its tickets stay with its agents)."""
_SECURITY_FIELDS = ("category", "language", "verification_tier")
_SYSTEM_FIELDS = ("subject", "description", "status", "priority", "type", "group", "assignee")
_SECURITY_SYSTEM_FIELDS = ("subject", "description", "status", "priority", "group", "assignee")

# (category, agent label, end-user label, description); the first per category is its default.
_STATUSES: tuple[tuple[Status, str, str, str], ...] = (
    (Status.NEW, "New", "Open", "Ticket is awaiting assignment to an agent"),
    (Status.OPEN, "Open", "Open", "Staff is working on the ticket"),
    (Status.PENDING, "Pending", "Awaiting your reply", "Staff is waiting for the requester"),
    (Status.HOLD, "On-hold", "Open", "Staff is waiting for a third party"),
    (Status.SOLVED, "Solved", "Solved", "The ticket has been solved"),
    (Status.OPEN, "Escalated to security", "Open", "Handed to the security operations team"),
    (
        Status.PENDING,
        "Awaiting KYC documents",
        "Awaiting your documents",
        "Waiting for the customer's identity documents",
    ),
    (
        Status.PENDING,
        "Waiting on compliance",
        "In review",
        "The compliance team is reviewing the account",
    ),
    (Status.HOLD, "With payments provider", "Open", "Waiting for the bank or card processor"),
)
_NON_DEFAULT_SHARE = 0.2

# (name, month, day, days): first occurrence on or after the desk's start.
_HOLIDAYS = (
    ("New Year's Day", 1, 1, 1),
    ("Labour Day", 5, 1, 1),
    ("Company offsite", 9, 18, 1),
    ("Day of German Unity", 10, 3, 1),
    ("Christmas holidays", 12, 24, 3),
)

# where customers write from, by their time zone: city, country, latitude, longitude
_PLACES: Mapping[str, tuple[str, str, float, float]] = {
    "America/New_York": ("New York", "United States", 40.7128, -74.006),
    "America/Chicago": ("Chicago", "United States", 41.8781, -87.6298),
    "America/Denver": ("Denver", "United States", 39.7392, -104.9903),
    "America/Los_Angeles": ("Los Angeles", "United States", 34.0522, -118.2437),
    "Europe/London": ("London", "United Kingdom", 51.5072, -0.1276),
    "Europe/Berlin": ("Berlin", "Germany", 52.52, 13.405),
    "Europe/Vienna": ("Vienna", "Austria", 48.2082, 16.3738),
    "Europe/Zurich": ("Zurich", "Switzerland", 47.3769, 8.5417),
    "Europe/Paris": ("Paris", "France", 48.8566, 2.3522),
    "Europe/Brussels": ("Brussels", "Belgium", 50.8503, 4.3517),
    "Europe/Madrid": ("Madrid", "Spain", 40.4168, -3.7038),
    "America/Mexico_City": ("Mexico City", "Mexico", 19.4326, -99.1332),
    "America/Bogota": ("Bogotá", "Colombia", 4.711, -74.0721),
    "America/Argentina/Buenos_Aires": ("Buenos Aires", "Argentina", -34.6037, -58.3816),
    "Europe/Rome": ("Rome", "Italy", 41.9028, 12.4964),
    "America/Sao_Paulo": ("São Paulo", "Brazil", -23.5505, -46.6333),
    "America/Recife": ("Recife", "Brazil", -8.0476, -34.877),
    "Europe/Moscow": ("Moscow", "Russia", 55.7558, 37.6173),
    "Asia/Yekaterinburg": ("Yekaterinburg", "Russia", 56.8389, 60.6057),
    "Europe/Kyiv": ("Kyiv", "Ukraine", 50.4501, 30.5234),
    "Europe/Istanbul": ("Istanbul", "Türkiye", 41.0082, 28.9784),
    "Europe/Warsaw": ("Warsaw", "Poland", 52.2297, 21.0122),
    "Europe/Amsterdam": ("Amsterdam", "Netherlands", 52.3676, 4.9041),
    "Asia/Tokyo": ("Tokyo", "Japan", 35.6762, 139.6503),
    "Asia/Seoul": ("Seoul", "South Korea", 37.5665, 126.978),
    "Asia/Shanghai": ("Shanghai", "China", 31.2304, 121.4737),
    "Asia/Taipei": ("Taipei", "Taiwan", 25.033, 121.5654),
    "Asia/Ho_Chi_Minh": ("Ho Chi Minh City", "Vietnam", 10.8231, 106.6297),
    "Asia/Jakarta": ("Jakarta", "Indonesia", -6.2088, 106.8456),
    "Asia/Makassar": ("Makassar", "Indonesia", -5.1477, 119.4327),
    "Asia/Bangkok": ("Bangkok", "Thailand", 13.7563, 100.5018),
    "Asia/Dubai": ("Dubai", "United Arab Emirates", 25.2048, 55.2708),
    "Asia/Riyadh": ("Riyadh", "Saudi Arabia", 24.7136, 46.6753),
    "Africa/Cairo": ("Cairo", "Egypt", 30.0444, 31.2357),
}
_DEFAULT_PLACE = ("Lisbon", "Portugal", 38.7223, -9.1393)

# documentation address ranges (RFC 5737): never a real customer's address
_IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")

_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
)
_BROWSER_CUM = (0.34, 0.50, 0.74, 0.90, 0.94, 1.0)
_MAIL_CLIENTS = (
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3774.500.171.1.1)",
    "Gmail",
    "Mozilla Thunderbird 115.10",
)

_ORG_NOTES = (
    "Quarterly business review with the account manager.",
    "Enhanced due diligence completed; next review in 12 months.",
    "Settlement instructions on file; confirm changes by phone.",
    "Prefers English; escalations go to the trading desk lead.",
)
_USER_NOTES = (
    "Asked to be contacted by e-mail only.",
    "Previously reported a phishing attempt; verify identity before account changes.",
    "Long-standing customer; high-volume trader.",
)
_USER_DETAILS = (
    "Prefers replies in the morning (local time).",
    "Uses the mobile app only.",
    "Business account holder; invoices in company name.",
)
_ALT_DOMAINS = ("proton.example", "fastmail.example", "icloud.example", "outlook.example")
_STREETS = ("Harbour Street", "Station Road", "Rua Augusta", "Hauptstraße", "Main Street")


def enrich(
    desk: HelpDesk,
    *,
    seed: int,
    start: int,
    support_domain: str,
    open_minute: int,
    close_minute: int,
    is_workday: Callable[[int], bool],
    attach: Callable[[str, str], Attachment],
) -> HelpDesk:
    """The desk with brands, forms, statuses, schedules and the new attributes added.

    ``open_minute``/``close_minute`` and ``is_workday`` are the SLA calendar's (the "Support
    hours" schedule matches them); ``attach(template, name)`` makes an attachment whose bytes the
    desk can render.
    """
    return _Enricher(desk, seed, start, support_domain, attach).run(
        open_minute, close_minute, is_workday
    )


def _with(user: User, **changes: Any) -> User:
    """``user`` with attributes a later schema adds (checked by attrs when they are set)."""
    return attrs.evolve(user, **changes)


class _Place(NamedTuple):
    ip_address: str
    location: str
    browser: str
    mail_client: str
    latitude: float
    longitude: float


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "support"


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class _Enricher:
    def __init__(
        self,
        desk: HelpDesk,
        seed: int,
        start: int,
        support_domain: str,
        attach: Callable[[str, str], Attachment],
    ) -> None:
        self.desk = desk
        self.seed = seed
        self.rng = random.Random(f"cemigrate:{seed}:{desk.instance}:fidelity")
        self.start = start
        self.attach = attach
        self.support_domain = support_domain
        self.users = {u.id: u for u in desk.users}
        self.places: dict[str, _Place] = {}

    def _config_time(self) -> tuple[datetime, datetime]:
        created = self.start - 720 * _DAY + self.rng.randrange(300 * _DAY)
        updated = created + self.rng.randrange(_DAY, 300 * _DAY)
        return _dt(created), _dt(min(updated, self.start - _DAY))

    def run(
        self, open_minute: int, close_minute: int, is_workday: Callable[[int], bool]
    ) -> HelpDesk:
        brands = self._brands()
        schedules = self._schedules(open_minute, close_minute, is_workday)
        statuses = self._statuses()
        forms = self._forms(brands)
        users = self._users()
        organizations = self._organizations()
        memberships = self._organization_memberships(users, organizations)
        tickets = self._links(self._tickets(brands, forms, statuses))
        fields, users, tickets, forms = self._freshdesk(users, tickets, forms)
        fields, tickets, forms = self._salesforce(fields, users, tickets, forms)
        groups = [
            attrs.evolve(g, public=False) if g.name == _PRIVATE_GROUP else g
            for g in self.desk.groups
        ]
        return attrs.evolve(
            self.desk,
            fields=tuple(fields),
            groups=tuple(groups),
            brands=tuple(brands),
            schedules=tuple(schedules),
            custom_statuses=tuple(statuses),
            ticket_forms=tuple(forms),
            organization_memberships=tuple(memberships),
            users=tuple(users),
            organizations=tuple(organizations),
            tickets=tuple(tickets),
        )

    # -- account configuration -------------------------------------------------------------

    def _brands(self) -> list[Brand]:
        subdomain = _slug(self.desk.instance)
        specs = (
            ("Exchange", subdomain, "{{agent.signature}}\n\nExchange Support"),
            (
                "Exchange Pay",
                f"{subdomain}-pay",
                "{{agent.signature}}\n\nExchange Pay – cards and bank transfers",
            ),
        )
        out = []
        for k, (name, sub, signature) in enumerate(specs):
            created, updated = self._config_time()
            out.append(
                Brand(
                    id=str(_BRAND_BASE + k),
                    name=name,
                    subdomain=sub,
                    default=k == 0,
                    signature_template=signature,
                    created_at=created,
                    updated_at=updated,
                )
            )
        return out

    def _schedules(
        self, open_minute: int, close_minute: int, is_workday: Callable[[int], bool]
    ) -> list[Schedule]:
        # Zendesk schedule intervals count minutes from Sunday 00:00 and cannot span calendar
        # days (Schedules API reference, "Intervals"), so the 24/7 schedule is one per day.
        # 1970-01-04 (epoch day 3) was a Sunday.
        hours = [
            Interval(start=w * 1440 + open_minute, end=w * 1440 + close_minute)
            for w in range(7)
            if is_workday(3 + w)
        ]
        always = [Interval(start=w * 1440, end=(w + 1) * 1440) for w in range(7)]
        first = _dt(self.start).date()
        last = first + timedelta(days=364)
        holidays = []
        for k, (name, month, day, days) in enumerate(_HOLIDAYS):
            begin = date(first.year, month, day)
            if begin < first:
                begin = date(first.year + 1, month, day)
            end = begin + timedelta(days=days - 1)
            if end <= last:
                holidays.append(
                    Holiday(
                        name=name,
                        start_date=begin.isoformat(),
                        end_date=end.isoformat(),
                        id=str(_SCHEDULE_BASE + 50 + k),
                    )
                )
        out = []
        for k, (name, intervals, days_off) in enumerate(
            (("Support hours", hours, holidays), ("VIP 24/7", always, []))
        ):
            created, updated = self._config_time()
            out.append(
                Schedule(
                    id=str(_SCHEDULE_BASE + k),
                    name=name,
                    time_zone="UTC",
                    intervals=tuple(intervals),
                    holidays=tuple(days_off),
                    default=k == 0,
                    created_at=created,
                    updated_at=updated,
                )
            )
        return out

    def _statuses(self) -> list[CustomStatus]:
        out = []
        seen: set[Status] = set()
        for k, (category, label, end_user, description) in enumerate(_STATUSES):
            created, updated = self._config_time()
            out.append(
                CustomStatus(
                    id=str(_STATUS_BASE + k),
                    category=category,
                    agent_label=label,
                    end_user_label=end_user,
                    description=description,
                    default=category not in seen,
                    created_at=created,
                    updated_at=updated,
                )
            )
            seen.add(category)
        return out

    def _forms(self, brands: Sequence[Brand]) -> list[TicketForm]:
        ticket_fields = sorted(
            (f for f in self.desk.fields if f.object is FieldObject.TICKET),
            key=lambda f: f.position,
        )
        by_key = {f.key: f for f in ticket_fields}
        conditions: dict[str, JsonValue] = {"agent_conditions": [], "end_user_conditions": []}
        if "category" in by_key and "fiat_method" in by_key:
            # Zendesk's ticket form conditions: show the child field when the parent has a value
            rule: JsonValue = {
                "parent_field_id": by_key["category"].id,
                "value": "fiat_funding",
                "child_fields": [{"id": by_key["fiat_method"].id, "is_required": False}],
            }
            conditions = {"agent_conditions": [rule], "end_user_conditions": [rule]}
        general_created, general_updated = self._config_time()
        security_created, security_updated = self._config_time()
        return [
            TicketForm(
                id=str(_FORM_BASE),
                name="General",
                display_name="Contact support",
                fields=tuple(Ref(kind=Kind.FIELD, id=f.id) for f in ticket_fields),
                system_fields=_SYSTEM_FIELDS,
                in_all_brands=True,
                default=True,
                position=0,
                conditions=conditions,
                created_at=general_created,
                updated_at=general_updated,
            ),
            TicketForm(
                id=str(_FORM_BASE + 1),
                name="Account security",
                display_name="Account access and security",
                fields=tuple(
                    Ref(kind=Kind.FIELD, id=by_key[key].id)
                    for key in _SECURITY_FIELDS
                    if key in by_key
                ),
                system_fields=_SECURITY_SYSTEM_FIELDS,
                brands=(Ref(kind=Kind.BRAND, id=brands[0].id),),
                in_all_brands=False,
                position=1,
                created_at=security_created,
                updated_at=security_updated,
            ),
        ]

    # -- people ----------------------------------------------------------------------------

    def _users(self) -> list[User]:
        rng = self.rng
        desk = self.desk
        group_names = {g.id: g.name for g in desk.groups}
        default_groups: dict[str, Ref] = {}
        for membership in desk.memberships:
            if membership.default:
                default_groups.setdefault(membership.user.id, membership.group)
        # the agent restricted to private comments is the one who wrote the fewest public ones
        # (Zendesk applies the setting to new comments; older public replies stay as they were)
        public = Counter(
            c.author.id for t in desk.tickets for c in t.comments if c.public and c.author
        )
        agents = [u for u in desk.users if u.role is Role.AGENT]
        private_only = min(agents, key=lambda u: public[u.id]).id if agents else None
        taken = {u.email.lower() for u in desk.users if u.email}
        identity_seq = 0
        out = []
        for user in desk.users:
            identities = []
            for identity in user.identities:
                identities.append(attrs.evolve(identity, id=str(_IDENTITY_BASE + identity_seq)))
                identity_seq += 1
            changes: dict[str, Any] = {}  # attributes of User, checked by attrs
            if user.role is Role.END_USER:
                changes["external_id"] = f"cust-{int(user.id) % 10**7:07d}"
                if rng.random() < 0.03:
                    changes["notes"] = rng.choice(_USER_NOTES)
                if rng.random() < 0.03:
                    changes["details"] = rng.choice(_USER_DETAILS)
                extra_email = rng.random() < 0.10
                # 40 % of customers have a phone; one in eight of them a second (5 % overall)
                extra_phone = user.phone is not None and rng.random() < 0.125
                if extra_email and user.email and not user.deleted:
                    local = user.email.partition("@")[0].lower()
                    address = f"{local}@{rng.choice(_ALT_DOMAINS)}"
                    while address in taken:
                        address = f"{local}{rng.randrange(10, 1000)}@{rng.choice(_ALT_DOMAINS)}"
                    taken.add(address)
                    identities.append(
                        Identity(
                            type="email",
                            value=address,
                            verified=rng.random() < 0.7,
                            id=str(_IDENTITY_BASE + identity_seq),
                        )
                    )
                    identity_seq += 1
                if extra_phone and not user.deleted:
                    prefix = (user.phone or "+1").split(" ", 1)[0]
                    identities.append(
                        Identity(
                            type="phone_number",
                            value=f"{prefix} 555 {rng.randrange(10**6, 10**7)}",
                            id=str(_IDENTITY_BASE + identity_seq),
                        )
                    )
                    identity_seq += 1
            else:
                first = user.name.split(" ", 1)[0]
                family = user.name.split(" ", 1)[-1]
                group = default_groups.get(user.id)
                changes["default_group"] = group
                if user.role is Role.AGENT:
                    name = group_names.get(group.id, "") if group else ""
                    # Roles an Enterprise account is created with (an account's own roles are
                    # defined by an admin before a migration, as its agents' seats are).
                    if name == "Account Security" and rng.random() < 0.5:
                        changes["custom_role"] = "Team lead"
                    elif name == "Payments (Fiat)" and rng.random() < 0.5:
                        changes["custom_role"] = "Staff"
                    if rng.random() < 0.15:
                        changes["ticket_restriction"] = "groups"
                    changes["only_private_comments"] = user.id == private_only
                if rng.random() < 0.3:
                    changes["alias"] = f"{first} {family[:1]}."
                if rng.random() < 0.5:
                    changes["signature"] = f"{first}\nExchange Support"
            out.append(attrs.evolve(user, identities=tuple(identities), **changes))
        return out

    def _organizations(self) -> list[Organization]:
        rng = self.rng
        trading = next((g for g in self.desk.groups if g.name == "Trading Support"), None)
        out = []
        for org in self.desk.organizations:
            tier = org.custom_fields.get("account_tier")
            vip = tier in ("fund", "market_maker")
            shared = rng.random() < 0.5
            out.append(
                attrs.evolve(
                    org,
                    external_id=f"org-{int(org.id) % 10**6:06d}",
                    notes=rng.choice(_ORG_NOTES) if rng.random() < 0.4 else "",
                    group=Ref(kind=Kind.GROUP, id=trading.id) if vip and trading else None,
                    shared_tickets=shared,
                    shared_comments=shared and rng.random() < 0.5,
                )
            )
        return out

    def _organization_memberships(
        self, users: Sequence[User], organizations: Sequence[Organization]
    ) -> list[OrganizationMembership]:
        rng = self.rng
        shared = {o.id: o.shared_tickets for o in organizations}
        org_ids = [o.id for o in organizations]
        out: list[OrganizationMembership] = []

        def add(user: User, org_id: str, default: bool) -> None:
            out.append(
                OrganizationMembership(
                    id=str(_ORG_MEMBERSHIP_BASE + len(out)),
                    user=Ref(kind=Kind.USER, id=user.id),
                    organization=Ref(kind=Kind.ORGANIZATION, id=org_id),
                    default=default,
                    view_tickets=shared[org_id],
                    created_at=user.created_at,
                    updated_at=user.updated_at,
                )
            )

        for user in users:
            if user.organization is None:
                continue
            add(user, user.organization.id, True)
            if user.role is Role.END_USER and len(org_ids) > 1 and rng.random() < 0.05:
                other = rng.choice([o for o in org_ids if o != user.organization.id])
                add(user, other, False)
        return out

    # -- tickets ---------------------------------------------------------------------------

    def _tickets(
        self, brands: Sequence[Brand], forms: Sequence[TicketForm], statuses: Sequence[CustomStatus]
    ) -> list[Ticket]:
        rng = self.rng
        default_brand, pay_brand = brands
        general, security = forms
        defaults = {s.category: s for s in statuses if s.default}
        others: dict[Status, list[CustomStatus]] = {}
        for s in statuses:
            if not s.default:
                others.setdefault(s.category, []).append(s)
        addresses = {
            default_brand.id: f"support@{self.support_domain}",
            pay_brand.id: f"support@pay.{self.support_domain}",
        }
        out = []
        for ticket in self.desk.tickets:
            category = str(ticket.custom_fields.get("category", ""))
            roll = rng.random()
            if category == _SECURITY_CATEGORY:
                brand = default_brand
            elif category == "fiat_funding":
                brand = pay_brand if roll < 0.85 else default_brand
            else:
                brand = pay_brand if roll < 0.225 else default_brand
            form = security if category == _SECURITY_CATEGORY else general
            status = self._status(ticket, category, defaults, others)
            recipient = addresses[brand.id] if ticket.channel is Channel.EMAIL else None
            requester = self.users.get(ticket.requester.id) if ticket.requester else None
            via = self._via(ticket.channel, requester, recipient, brand.name, ticket.ccs)
            comments = self._comments(ticket, recipient or addresses[brand.id], brand.name)
            out.append(
                attrs.evolve(
                    ticket,
                    brand=Ref(kind=Kind.BRAND, id=brand.id),
                    form=Ref(kind=Kind.TICKET_FORM, id=form.id),
                    custom_status=Ref(kind=Kind.CUSTOM_STATUS, id=status.id),
                    recipient=recipient,
                    via=via,
                    comments=comments,
                )
            )
        return out

    def _links(self, tickets: list[Ticket]) -> list[Ticket]:
        """Tasks get a due date (one to ten days after they were opened) and about a third of
        the incidents name an earlier problem ticket. Drawn from a generator of their own, so
        every value drawn before stays as it was."""
        rng = random.Random(f"cemigrate:{self.seed}:{self.desk.instance}:links")
        problems: list[str] = []
        out = []
        for ticket in tickets:
            if ticket.type is TicketType.TASK and not ticket.deleted:
                due = ticket.created_at + timedelta(days=rng.randint(1, 10))
                ticket = attrs.evolve(ticket, due_at=due.replace(hour=17, minute=0, second=0))
            elif ticket.type is TicketType.INCIDENT and problems and rng.random() < 0.33:
                ticket = attrs.evolve(
                    ticket, problem=Ref(kind=Kind.TICKET, id=rng.choice(problems))
                )
            if ticket.type is TicketType.PROBLEM and not ticket.deleted:
                problems.append(ticket.id)
            out.append(ticket)
        return out

    def _freshdesk(
        self, users: list[User], tickets: list[Ticket], forms: list[TicketForm]
    ) -> tuple[list[FieldDef], list[User], list[Ticket], list[TicketForm]]:
        """What real Freshdesk accounts hold, on a few records, from a generator of its own
        (every value drawn before stays as it was):

        - a ticket dropdown ``ticket_type`` (options :data:`TICKET_TYPES`, name = value) on the
          General form: one question of that form becomes a "Feature Request", another a
          "Refund" (their ``type`` None: the schema's four types do not name them);
        - tickets whose ``via`` names a Freshdesk source code (``{"freshdesk": {"source": 12,
          "source_name": "Bot"}}``): MobiHelp, Bot and WhatsApp on chat tickets, Ecommerce on a
          web ticket;
        - an agent who sees only the tickets assigned to them (``ticket_restriction``
          ``assigned``: Freshdesk's ticket scope 3) and, where none has it yet, one who sees
          their groups' tickets (``groups``: scope 2);
        - two end users with a mobile number and no phone, two with a Twitter handle;
        - where the schema has them (``User.agent_type``, ``occasional``, ``address``), a field
          agent, a collaborator, an occasional agent and contacts' postal addresses.
        """
        rng = random.Random(f"cemigrate:{self.seed}:{self.desk.instance}:freshdesk")
        fields = list(self.desk.fields)
        created, updated = self._config_time()
        type_field = FieldDef(
            id=str(max((int(f.id) for f in fields), default=364_000_000_099) + 1),
            object=FieldObject.TICKET,
            key="ticket_type",
            title="Ticket type",
            type=FieldType.DROPDOWN,
            options=tuple(
                FieldOption(name=n, value=n, position=k) for k, n in enumerate(TICKET_TYPES)
            ),
            description="The ticket's type, the account's own ones included.",
            position=len(fields),
            created_at=created,
            updated_at=updated,
        )
        fields.append(type_field)
        general = forms[0]
        forms = [
            attrs.evolve(general, fields=(*general.fields, Ref(kind=Kind.FIELD, id=type_field.id))),
            *forms[1:],
        ]
        general_ref = Ref(kind=Kind.TICKET_FORM, id=general.id)
        live = [k for k, t in enumerate(tickets) if not t.deleted]
        questions = [
            k
            for k in live
            if tickets[k].type is TicketType.QUESTION and tickets[k].form == general_ref
        ]
        for name, k in zip(
            ("Feature Request", "Refund"),
            rng.sample(questions, min(2, len(questions))),
            strict=False,
        ):
            ticket = tickets[k]
            tickets[k] = attrs.evolve(
                ticket, type=None, custom_fields={**ticket.custom_fields, "ticket_type": name}
            )
        by_channel: dict[str, list[int]] = {}
        for k in live:
            by_channel.setdefault(tickets[k].channel.value, []).append(k)
        chosen: set[int] = set()
        wanted = [*FRESHDESK_SOURCES, (11, "Ecommerce", "web")]
        for code, name, channel in wanted:
            pool = [k for k in by_channel.get(channel, []) if k not in chosen]
            if not pool:
                continue
            k = rng.choice(pool)
            chosen.add(k)
            named: dict[str, JsonValue] = {"source": code, "source_name": name}
            via: dict[str, JsonValue] = {**tickets[k].via, "freshdesk": named}
            tickets[k] = attrs.evolve(tickets[k], via=via)
        users = self._freshdesk_people(rng, users)
        return fields, users, tickets, forms

    def _salesforce(
        self,
        fields: list[FieldDef],
        users: list[User],
        tickets: list[Ticket],
        forms: list[TicketForm],
    ) -> tuple[list[FieldDef], list[Ticket], list[TicketForm]]:
        """What real Salesforce orgs hold on cases, from a generator of its own (every value
        drawn before stays as it was), on the General form and its tickets:

        - ``escalation_contact``: a lookup to a person (``references`` USER; its values the
          desk's user ids), set on a few tickets to another end user;
        - ``critical_days_open``: a formula (read only) counting the days an urgent ticket has
          been open (until solved), set on urgent tickets only, as the formula is null on others;
        - ``asset_record``: a lookup to an Asset, an object no migration carries, held as text
          (the Asset's id; :data:`FOREIGN_LOOKUPS`), set on a few tickets.
        """
        rng = random.Random(f"cemigrate:{self.seed}:{self.desk.instance}:salesforce")
        created, updated = self._config_time()
        first = max((int(f.id) for f in fields), default=364_000_000_099) + 1
        common: dict[str, Any] = {
            "object": FieldObject.TICKET,
            "created_at": created,
            "updated_at": updated,
        }
        added = [
            FieldDef(
                id=str(first),
                key="escalation_contact",
                title="Escalation contact",
                type=FieldType.LOOKUP,
                references=Kind.USER,
                description="Who to reach when the ticket is escalated.",
                position=len(fields),
                **common,
            ),
            FieldDef(
                id=str(first + 1),
                key="critical_days_open",
                title="Days open (critical)",
                type=FieldType.DECIMAL,
                read_only=True,
                formula=CRITICAL_DAYS_OPEN_FORMULA,
                description="Days an urgent ticket has been open; computed by the platform.",
                position=len(fields) + 1,
                **common,
            ),
            FieldDef(
                id=str(first + 2),
                key="asset_record",
                title="Asset record",
                type=FieldType.TEXT,
                description="Lookup to Asset (an object the migration does not carry): the"
                " Asset's id in the source.",
                position=len(fields) + 2,
                **common,
            ),
        ]
        now = _dt(self.start)
        general = forms[0]
        forms = [
            attrs.evolve(
                general,
                fields=(*general.fields, *(Ref(kind=Kind.FIELD, id=f.id) for f in added)),
            ),
            *forms[1:],
        ]
        general_ref = Ref(kind=Kind.TICKET_FORM, id=general.id)
        live = [k for k, t in enumerate(tickets) if not t.deleted and t.form == general_ref]
        people = [u.id for u in users if u.role is Role.END_USER and not u.deleted]
        picked = rng.sample(live, min(len(live), max(1, len(live) // 40)))
        assets = rng.sample(live, min(len(live), max(1, len(live) // 50)))
        for k in live:
            ticket = tickets[k]
            values = dict(ticket.custom_fields)
            if k in picked and people:
                requester = ticket.requester.id if ticket.requester else None
                values["escalation_contact"] = rng.choice(
                    [p for p in people if p != requester] or people
                )
            if ticket.priority is not None and ticket.priority.value == "urgent":
                until = ticket.solved_at or now
                values["critical_days_open"] = float(max(0, (until - ticket.created_at).days))
            if k in assets:
                values["asset_record"] = f"02i5g00000{rng.randrange(16**5):05X}AAA"
            if values != ticket.custom_fields:
                tickets[k] = attrs.evolve(ticket, custom_fields=values)
        return [*fields, *added], tickets, forms

    def _freshdesk_people(self, rng: random.Random, users: list[User]) -> list[User]:
        newer = attrs.fields_dict(User)  # attributes a later schema adds, set where present
        agents = [k for k, u in enumerate(users) if u.role is Role.AGENT]
        staff = [k for k, u in enumerate(users) if u.role is not Role.END_USER]
        for scope in ("assigned", "groups"):  # one of each (Freshdesk's scopes 3 and 2)
            unrestricted = [k for k in agents if users[k].ticket_restriction is None]
            if unrestricted and not any(users[k].ticket_restriction == scope for k in agents):
                k = rng.choice(unrestricted)
                users[k] = attrs.evolve(users[k], ticket_restriction=scope)
        if "agent_type" in newer:
            kinds = dict(
                zip(
                    rng.sample(agents, min(2, len(agents))),
                    ("field_agent", "collaborator"),
                    strict=False,
                )
            )
            for k in staff:
                users[k] = _with(users[k], agent_type=kinds.get(k, "support_agent"))
        if "occasional" in newer and agents:
            occasional = rng.choice(agents)
            for k in staff:
                users[k] = _with(users[k], occasional=k == occasional)
        customers = [k for k, u in enumerate(users) if u.role is Role.END_USER and not u.deleted]
        seq = 0
        phoneless = [k for k in customers if users[k].phone is None]
        for k in rng.sample(phoneless, min(2, len(phoneless))):
            number = f"+44 7700 900{rng.randrange(100, 1000)}"
            identity = Identity(type="phone_number", value=number, id=str(_FD_IDENTITY_BASE + seq))
            seq += 1
            users[k] = attrs.evolve(users[k], identities=(*users[k].identities, identity))
        for k in rng.sample(customers, min(2, len(customers))):
            handle = "@" + re.sub(r"[^a-z0-9]", "", users[k].name.lower())[:14]
            identity = Identity(type="twitter", value=handle, id=str(_FD_IDENTITY_BASE + seq))
            seq += 1
            users[k] = attrs.evolve(users[k], identities=(*users[k].identities, identity))
        if "address" in newer:
            for k in rng.sample(customers, min(3, len(customers))):
                street = f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}"
                city = _PLACES.get(users[k].time_zone, _DEFAULT_PLACE)[0]
                users[k] = _with(users[k], address=f"{street}, {city}")
        return users

    def _status(
        self,
        ticket: Ticket,
        category: str,
        defaults: Mapping[Status, CustomStatus],
        others: Mapping[Status, Sequence[CustomStatus]],
    ) -> CustomStatus:
        # "Tickets with a 'Closed' status belong to the 'solved' status category" (Zendesk's
        # custom ticket statuses reference): a closed ticket keeps the solved category's status.
        state = Status.SOLVED if ticket.status is Status.CLOSED else ticket.status
        choices = others.get(state, ())
        if not choices or self.rng.random() >= _NON_DEFAULT_SHARE:
            return defaults[state]
        if state is Status.PENDING:
            wanted = "Awaiting KYC documents" if category == "verification" else ""
            return next((s for s in choices if s.agent_label == wanted), choices[-1])
        return choices[0]

    def _via(
        self,
        channel: Channel,
        sender: User | None,
        recipient: str | None,
        brand_name: str,
        ccs: Sequence[Ref] = (),
    ) -> dict[str, JsonValue]:
        # Zendesk's via object reference: an e-mail's source names from (address, name,
        # original_recipients) and to (address, name, email_ccs); web form, chat and API
        # tickets carry empty from/to and a null rel.
        if channel is Channel.EMAIL and sender is not None and recipient is not None:
            cc_addresses: list[JsonValue] = [
                user.email
                for ref in ccs
                if (user := self.users.get(ref.id)) is not None and user.email
            ]
            return {
                "channel": "email",
                "source": {
                    "from": {
                        "address": sender.email,
                        "name": sender.name,
                        "original_recipients": [recipient],
                    },
                    "to": {"address": recipient, "name": brand_name, "email_ccs": cc_addresses},
                    "rel": None,
                },
            }
        return {"channel": channel.value, "source": {"from": {}, "to": {}, "rel": None}}

    def _place(self, user: User) -> _Place:
        """Where one customer writes from: the same address, browser and mail client each time."""
        place = self.places.get(user.id)
        if place is None:
            rng = self.rng
            city, country, lat, lon = _PLACES.get(user.time_zone, _DEFAULT_PLACE)
            place = self.places[user.id] = _Place(
                ip_address=f"{rng.choice(_IP_PREFIXES)}.{rng.randrange(1, 255)}",
                location=f"{city}, {country}",
                browser=_BROWSERS[bisect.bisect_left(_BROWSER_CUM, rng.random())],
                mail_client=rng.choice(_MAIL_CLIENTS),
                latitude=round(lat + rng.uniform(-0.05, 0.05), 4),
                longitude=round(lon + rng.uniform(-0.05, 0.05), 4),
            )
        return place

    def _comments(self, ticket: Ticket, address: str, brand_name: str) -> tuple[Comment, ...]:
        rng = self.rng
        budget = METADATA_BUDGET
        out = []
        for comment in ticket.comments:
            author = self.users.get(comment.author.id) if comment.author else None
            if author is None:
                out.append(comment)
                continue
            if author.role is Role.END_USER:
                place = self._place(author)
                email = comment.channel is Channel.EMAIL
                metadata: dict[str, JsonValue] = {
                    "via": self._via(comment.channel, author, address, brand_name),
                    "system": {
                        "client": place.mail_client if email else place.browser,
                        "ip_address": place.ip_address,
                        "location": place.location,
                        "latitude": place.latitude,
                        "longitude": place.longitude,
                    },
                }
                size = len(json.dumps(metadata))
                if size <= budget:
                    budget -= size
                    out.append(attrs.evolve(comment, metadata=metadata))
                else:
                    out.append(comment)
            elif comment.body_plain and rng.random() < 0.02:
                out.append(self._with_screenshot(comment))
            else:
                out.append(comment)
        return tuple(out)

    def _with_screenshot(self, comment: Comment) -> Comment:
        # named by the moment it was taken, as screenshot tools do (one name per comment)
        name = f"Screenshot {comment.created_at:%Y-%m-%d} at {comment.created_at:%H.%M.%S}.png"
        image = attrs.evolve(self.attach("screenshot_png", name), inline=True)
        tag = f'<img src="{html.escape(image.location)}" alt="{html.escape(name)}">'
        # pasted at the end of the last paragraph: the HTML's text stays the comment's plain text
        body = comment.body_html.removesuffix("</p>") + tag + "</p>"
        return attrs.evolve(
            comment,
            body_html=body,
            attachments=(*comment.attachments, image),
        )
