"""A seeded, deterministic generator of a realistic help desk: a crypto exchange's support team.

``generate(tickets=2000, seed=7, instance="demo")`` returns a :class:`HelpDesk` holding every
record of the common schema: organizations, agents and customers in 20 locales, groups and
memberships, custom fields, SLA policies, tickets with their comments and attachments, SLA
events, ticket metrics, satisfaction ratings and business rules; and what real Zendesk accounts
hold besides (see :mod:`cemigrate.sandbox._dataset_fidelity`): two brands, two ticket forms,
custom ticket statuses, two schedules with holidays, organization memberships, secondary
identities, each ticket's brand, form, custom status, recipient and via, end users' comment
metadata and agents' inline screenshots. The same arguments always give
identical records; nothing reads the clock or the global random generator.

Attachment bytes are not held: :meth:`HelpDesk.blob` rebuilds them on demand, and each
:class:`~cemigrate.schema.Attachment` carries the size and SHA-256 of exactly those bytes.

Shape of the data (targets the tests check on 2,000 tickets): categories Verification > General
Questions > Fiat Funding > Account Access > Crypto Funding > Trading by volume; 39 % chat, the
rest e-mail and web; median first reply about 2 h and median resolution about 10 h; about 94 %
good satisfaction; tickets spread over the year after ``start``, the recent ones still open.

Edge cases (present whenever ``tickets >= 100``; all but the long thread and the multi-MB files
from 20 tickets on), listed in :attr:`HelpDesk.edge_cases`. Ticket ids are fixed:

- ``2`` a closed ticket; ``3`` a ticket with no comment but its description (closed);
- ``4`` a deleted ticket (``deleted=True``);
- ``5`` requested by a deleted user (the :class:`~cemigrate.schema.User` is kept, ``deleted``);
- ``6`` and ``9`` requested by a suspended user;
- ``7`` a private note with non-ASCII attachment names (``паспорт.png``, ``身份证.pdf``);
- ``8`` comments with empty bodies (a customer reply with only an attachment, an empty note);
- ``10`` and ``11`` requested by ``Ana.Lima@example.com`` and ``ana.lima@example.com``;
- ``12`` a thread of 1,040 comments; ``13``, ``14``, ``15`` attachments of 3–4 MB.

Consolidation: part of the customers come from a pool that depends on ``seed`` only, so two
instances generated with the same seed share customers by e-mail (sometimes differing in case);
everything else, tickets included, also depends on ``instance``.
"""

from __future__ import annotations

import bisect
import gc
import html
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, NamedTuple, TypeVar

import attrs

from cemigrate.sandbox import _dataset_words as words
from cemigrate.sandbox._dataset_fidelity import enrich
from cemigrate.sandbox._dataset_files import TEMPLATES, BlobSpec, measure
from cemigrate.sandbox._desk import HelpDesk
from cemigrate.schema import (
    Action,
    Attachment,
    Channel,
    Comment,
    Condition,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    FieldValue,
    Group,
    GroupMembership,
    Identity,
    JsonValue,
    Kind,
    Minutes,
    Organization,
    Priority,
    Ref,
    Role,
    Rule,
    RuleKind,
    SatisfactionRating,
    SatisfactionScore,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    Status,
    Ticket,
    TicketMetrics,
    TicketType,
    User,
)

__all__ = [
    "BRAND",
    "DEFAULT_START",
    "SUPPORT_DOMAIN",
    "HelpDesk",
    "add_business",
    "business_seconds",
    "describe",
    "generate",
]

_T = TypeVar("_T")

DEFAULT_START: Final = datetime(2025, 1, 1, tzinfo=UTC)
"""Where the timeline begins when ``start`` is not given; tickets spread over the next year."""

BRAND: Final = "exchange"
"""The slug of the desk's default brand ("Exchange"; the second brand is "Exchange Pay")."""
SUPPORT_DOMAIN: Final = "exchange.example"
"""The e-mail domain of the support team (agents and admins)."""

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_YEAR = 365 * _DAY
_BUSINESS_OPEN, _BUSINESS_CLOSE = 9 * _HOUR, 18 * _HOUR
"""Business hours of the SLA calendar: Monday to Friday, 09:00–18:00 UTC."""

# --- the help desk's configuration ----------------------------------------------------------

_CATEGORY_SHARES = (0.26, 0.21, 0.17, 0.14, 0.12, 0.10)
_VERIFICATION, _GENERAL, _FIAT, _ACCESS, _CRYPTO, _TRADING = range(6)
_CATEGORY_TAGS = ("kyc", "general", "fiat", "account_security", "crypto", "trading")
_CHANNEL_SHARES = ((Channel.CHAT, 0.39), (Channel.EMAIL, 0.33), (Channel.WEB, 0.28))

_GROUPS: tuple[tuple[str, str], ...] = (
    ("Verification", "Identity checks (KYC), document reviews and tier upgrades."),
    ("General Support (Tier 1)", "First line: questions, fees, account settings."),
    ("Payments (Fiat)", "Bank transfers, card payments and fiat withdrawals."),
    ("Account Security", "Log-in problems, 2FA resets, locked and compromised accounts."),
    ("Crypto Desk", "Deposits, withdrawals, networks and wallet operations."),
    ("Trading Support", "Orders, fills, margin, API and institutional trading."),
)
"""Group names; group ``i`` handles category ``i``, Tier 1 (index 1) also takes overflow."""
_GROUP_STAFFING = (0.22, 0.26, 0.15, 0.13, 0.13, 0.11)

_ASSETS = ("BTC", "ETH", "USDT", "USDC", "SOL", "XRP", "ADA", "DOGE", "LTC", "TRX")
_ASSET_CUM = (0.30, 0.52, 0.70, 0.78, 0.85, 0.90, 0.93, 0.96, 0.98, 1.00)
_FIAT_METHODS = (
    ("sepa", "SEPA transfer"),
    ("swift", "SWIFT transfer"),
    ("card", "Card payment"),
    ("pix", "PIX"),
    ("faster_payments", "Faster Payments"),
    ("ach", "ACH transfer"),
    ("local_bank", "Local bank transfer"),
)
_TIERS = ("tier_0", "tier_1", "tier_2", "tier_3")
_TIER_CUM = (0.12, 0.50, 0.88, 1.0)
_ORG_TIERS = (
    ("institutional", "Institutional"),
    ("corporate", "Corporate"),
    ("fund", "Fund"),
    ("market_maker", "Market maker"),
)
_EMAIL_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example",
    "inbox.example",
    "post.example",
)

# (first reply, next reply, resolution) targets in minutes for low, normal, high, urgent.
_PRIORITIES = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
_STANDARD_TARGETS = ((720, 360, 180, 60), (960, 480, 240, 120), (4320, 2880, 1440, 480))
_STANDARD_BUSINESS = (False, False, True)
_VIP_TARGETS = ((120, 60, 30, 15), (240, 120, 60, 30), (1440, 960, 480, 240))
_VIP_BUSINESS = (False, False, False)
_SLA_METRICS = (SlaMetric.FIRST_REPLY_TIME, SlaMetric.NEXT_REPLY_TIME, SlaMetric.RESOLUTION_TIME)

# Timing model (seconds): log-normal first reply and time from first reply to resolution.
_FIRST_REPLY_MEDIAN = 2.4 * _HOUR
_FIRST_REPLY_SIGMA = 1.0
_RESOLUTION_MEDIAN = 13.5 * _HOUR
_RESOLUTION_SIGMA = 1.1
_CHANNEL_SPEED = {Channel.CHAT: 0.6, Channel.EMAIL: 1.35, Channel.WEB: 1.15}
_PRIORITY_SPEED = {
    Priority.LOW: 1.3,
    Priority.NORMAL: 1.0,
    Priority.HIGH: 0.8,
    Priority.URGENT: 0.5,
}
_HOUR_WEIGHTS = (
    0.35, 0.3, 0.3, 0.3, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.9, 0.95,
    1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.9, 0.85, 0.75, 0.6, 0.5, 0.4,
)  # fmt: skip

# Source ids: digits, one range per kind (Zendesk-like); tickets count from 1.
_ORG_BASE = 360_000_001_000
_USER_BASE = 361_000_001_000
_GROUP_BASE = 362_000_000_100
_MEMBERSHIP_BASE = 363_000_000_100
_FIELD_BASE = 364_000_000_100
_SLA_BASE = 365_000_000_010
_RULE_BASE = 366_000_000_100
_COMMENT_BASE = 10_000_000_000
_ATTACHMENT_BASE = 20_000_000_000
_EVENT_BASE = 30_000_000_000
_METRICS_BASE = 40_000_000_000
_RATING_BASE = 50_000_000_000

_LONG_THREAD_COMMENTS = 1040
_EDGE_MIN_TICKETS = 20
_BIG_MIN_TICKETS = 100

_BAD_REASONS = (
    "The issue took too long to resolve",
    "The issue was not resolved",
    "The agent's knowledge is unsatisfactory",
    "The agent's attitude is unsatisfactory",
    "Some other reason",
)


# --- the result -----------------------------------------------------------------------------


def generate(
    *, tickets: int = 2000, seed: int = 7, instance: str = "demo", start: datetime | None = None
) -> HelpDesk:
    """Generate a help desk with ``tickets`` tickets; same arguments, same records.

    ``start`` (timezone-aware, default :data:`DEFAULT_START`) is where the year of tickets
    begins; the desk's "now" is one year later.
    """
    if tickets < 0:
        raise ValueError(f"tickets must not be negative, got {tickets}")
    if start is None:
        start = DEFAULT_START
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (cemigrate stores UTC)")
    # The desk is hundreds of thousands of small immutable objects and no cycles: pausing the
    # cyclic garbage collector while they are made saves it scanning them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Generator(tickets, seed, instance, int(start.timestamp())).run()
    finally:
        if collecting:
            gc.enable()


def describe(desk: HelpDesk) -> dict[str, object]:
    """Summary figures of a desk: counts, shares, median times and satisfaction."""
    tickets = desk.tickets
    comments = [comment for ticket in tickets for comment in ticket.comments]
    attachments = [a for comment in comments for a in comment.attachments]
    total = len(tickets) or 1
    channels: dict[str, int] = {}
    categories: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for ticket in tickets:
        channels[ticket.channel.value] = channels.get(ticket.channel.value, 0) + 1
        category = str(ticket.custom_fields.get("category"))
        categories[category] = categories.get(category, 0) + 1
        statuses[ticket.status.value] = statuses.get(ticket.status.value, 0) + 1
    first = [m.first_reply.calendar for m in desk.metrics if m.first_reply.calendar is not None]
    resolution = [
        m.full_resolution.calendar for m in desk.metrics if m.full_resolution.calendar is not None
    ]
    good = sum(r.score is SatisfactionScore.GOOD for r in desk.ratings)
    bad = sum(r.score is SatisfactionScore.BAD for r in desk.ratings)
    return {
        "instance": desk.instance,
        "counts": {kind.value: len(desk.records(kind)) for kind in Kind},
        "comments": len(comments),
        "public_comments": sum(c.public for c in comments),
        "private_notes": sum(not c.public for c in comments),
        "attachments": len(attachments),
        "attachment_bytes": sum(a.size for a in attachments),
        "largest_attachment_bytes": max((a.size for a in attachments), default=0),
        "channel_share": {k: round(v / total, 4) for k, v in sorted(channels.items())},
        "category_share": {
            k: round(v / total, 4) for k, v in sorted(categories.items(), key=lambda kv: -kv[1])
        },
        "status_count": dict(sorted(statuses.items())),
        "locales": len({u.locale for u in desk.users if u.role is Role.END_USER}),
        "median_first_reply_hours": round(statistics.median(first) / 60, 2) if first else None,
        "median_resolution_hours": (
            round(statistics.median(resolution) / 60, 2) if resolution else None
        ),
        "good_satisfaction_share": round(good / (good + bad), 4) if good + bad else None,
        "sla_breaches": sum(e.kind is SlaEventKind.BREACH for e in desk.sla_events),
    }


# --- helpers ---------------------------------------------------------------------------------


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _is_workday(day: int) -> bool:
    return (day + 3) % 7 < 5  # 1970-01-01 was a Thursday


def business_seconds(a: int, b: int) -> int:
    """Business seconds (Mon–Fri 09:00–18:00 UTC, the SLA calendar) between two epoch times."""
    total = 0
    day, last = a // _DAY, b // _DAY
    while day <= last:
        if _is_workday(day):
            base = day * _DAY
            low, high = max(a, base + _BUSINESS_OPEN), min(b, base + _BUSINESS_CLOSE)
            if high > low:
                total += high - low
        day += 1
    return total


def add_business(a: int, seconds: int) -> int:
    """The epoch time at which ``seconds`` of business hours have passed since ``a``."""
    day, remaining = a // _DAY, seconds
    while True:
        if _is_workday(day):
            base = day * _DAY
            low, high = max(a, base + _BUSINESS_OPEN), base + _BUSINESS_CLOSE
            if high > low:
                if remaining <= high - low:
                    return low + remaining
                remaining -= high - low
        day += 1


def _measured(a: int, b: int, business: bool) -> int:
    return (business_seconds(a, b) if business else b - a) // _MINUTE


def _deadline(a: int, minutes: int, business: bool) -> int:
    return add_business(a, minutes * _MINUTE) if business else a + minutes * _MINUTE


def _html(text: str) -> str:
    if not text:
        return ""
    return "".join(
        "<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in text.split("\n\n")
    )


def _quota(rng: random.Random, shares: Sequence[float], n: int) -> list[int]:
    """``n`` indices with exactly the given shares (largest remainder), shuffled."""
    counts = [int(share * n) for share in shares]
    remainders = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i] * n)
    for i in remainders[: n - sum(counts)]:
        counts[i] += 1
    out = [i for i, count in enumerate(counts) for _ in range(count)]
    rng.shuffle(out)
    return out


class _Identity(NamedTuple):
    name: str
    first: str
    email: str
    locale: str
    time_zone: str


@attrs.define
class _Person:
    """A user while the desk is being built (mutable; becomes a :class:`User` at the end)."""

    id: str
    ident: _Identity
    role: Role = Role.END_USER
    org: int | None = None
    tier: str = "tier_1"
    phone: str | None = None
    opt_in: bool = False
    suspended: bool = False
    deleted: bool = False
    tags: tuple[str, ...] = ()
    first_ts: int | None = None
    last_ts: int | None = None


class _Turn(NamedTuple):
    ts: int
    role: str  # "desc", "agent", "cust", "note"
    author: str
    body: str
    attachments: tuple[Attachment, ...]


_LOCALE_CUM = tuple(
    sum(locale.weight for locale in words.LOCALES[: i + 1]) for i in range(len(words.LOCALES))
)


def _identity(rng: random.Random, taken: set[str], domain: str | None = None) -> _Identity:
    locale = rng.choices(words.LOCALES, cum_weights=_LOCALE_CUM)[0]
    given = locale.first[rng.randrange(len(locale.first))]
    family = locale.last[rng.randrange(len(locale.last))]
    female = given[2] == "f"
    family_native, family_latin = (family[1], family[3]) if female else (family[0], family[2])
    if locale.family_first:
        name = family_native + locale.separator + given[0]
    else:
        name = given[0] + " " + family_native
    first, last = given[1].lower(), family_latin.lower()
    style = rng.random()
    if style < 0.45:
        local = f"{first}.{last}"
    elif style < 0.65:
        local = f"{first}{last}"
    elif style < 0.8:
        local = f"{first[0]}{last}"
    else:
        local = f"{first}.{last}{rng.randrange(1, 100)}"
    host = domain or _EMAIL_DOMAINS[rng.randrange(len(_EMAIL_DOMAINS))]
    email = f"{local}@{host}"
    while email in taken:
        email = f"{local}{rng.randrange(100, 10000)}@{host}"
    taken.add(email)
    zone = locale.time_zones[rng.randrange(len(locale.time_zones))]
    return _Identity(name, given[0], email, locale.code, zone)


def _pool(seed: int, size: int) -> list[_Identity]:
    """The customers instances generated with the same seed share (prefix-stable in size)."""
    rng = random.Random(f"cemigrate:{seed}:pool")
    taken = {"ana.lima@example.com"}
    return [_identity(rng, taken) for _ in range(size)]


def _recase(email: str) -> str:
    local, _, host = email.partition("@")
    return ".".join(part[:1].upper() + part[1:] for part in local.split(".")) + "@" + host


# --- the generator ---------------------------------------------------------------------------


class _Generator:
    def __init__(self, tickets: int, seed: int, instance: str, start: int) -> None:
        self.n = tickets
        self.seed = seed
        self.instance = instance
        self.start = start
        self.now = start + _YEAR
        salt = f"cemigrate:{seed}:{instance}"
        self.rng_people = random.Random(f"{salt}:people")
        self.rng_tickets = random.Random(f"{salt}:tickets")
        self.rng_config = random.Random(f"{salt}:config")
        self.edge = tickets >= _EDGE_MIN_TICKETS
        self.big = tickets >= _BIG_MIN_TICKETS
        self.people: list[_Person] = []
        self.refs: dict[str, Ref] = {}
        self.blobs: dict[str, BlobSpec] = {}
        self.comment_seq = 0
        self.attachment_seq = 0
        self.event_seq = 0
        self.rating_seq = 0
        self.tickets: list[Ticket] = []
        self.events: list[SlaEvent] = []
        self.metrics: list[TicketMetrics] = []
        self.ratings: list[SatisfactionRating] = []
        self.edge_cases: dict[str, tuple[str, ...]] = {}
        self.html_cache: dict[str, str] = {}
        self.group_refs = [
            Ref(kind=Kind.GROUP, id=str(_GROUP_BASE + g)) for g in range(len(_GROUPS))
        ]
        self.policy_refs = [Ref(kind=Kind.SLA_POLICY, id=str(_SLA_BASE + p)) for p in range(2)]

    # -- people ----------------------------------------------------------------------------

    def _add_person(self, ident: _Identity, role: Role = Role.END_USER) -> _Person:
        person = _Person(id=str(_USER_BASE + len(self.people)), ident=ident, role=role)
        self.people.append(person)
        self.refs[person.id] = Ref(kind=Kind.USER, id=person.id)
        return person

    def _staff(self) -> None:
        rng = self.rng_people
        customers = max(10, round(0.6 * self.n))
        size = max(12, round(customers * 0.02 / 0.98))
        admins = max(2, round(size * 0.08))
        names = list(words.AGENT_NAMES)
        rng.shuffle(names)
        givens = [name.split(" ", 1)[0] for name in words.AGENT_NAMES]
        families = [name.split(" ", 1)[1] for name in words.AGENT_NAMES]
        seen = set(names)
        while len(names) < size:
            name = f"{rng.choice(givens)} {rng.choice(families)}"
            if name not in seen:
                seen.add(name)
                names.append(name)
        taken: set[str] = set()
        self.admins: list[_Person] = []
        self.agents: list[_Person] = []
        for k, name in enumerate(names[:size]):
            given, family = name.split(" ", 1)
            local = f"{words.latin(given)}.{words.latin(family)}".lower()
            email = f"{local}@{SUPPORT_DOMAIN}"
            if email in taken:
                email = f"{local}{k}@{SUPPORT_DOMAIN}"
            taken.add(email)
            locale = "en-US" if rng.random() < 0.7 else rng.choice(("de", "es", "pt-BR", "ja"))
            zone = rng.choice(words.AGENT_TIME_ZONES)
            role = Role.ADMIN if k < admins else Role.AGENT
            person = self._add_person(_Identity(name, given, email, locale, zone), role)
            (self.admins if role is Role.ADMIN else self.agents).append(person)
        # memberships: one default group each; some agents in several groups
        self.members: list[list[_Person]] = [[] for _ in _GROUPS]
        self.membership_rows: list[tuple[_Person, int, bool]] = []
        staffing_cum = [sum(_GROUP_STAFFING[: i + 1]) for i in range(len(_GROUPS))]
        for k, agent in enumerate(self.agents):
            home = (
                k
                if k < len(_GROUPS)
                else rng.choices(range(len(_GROUPS)), cum_weights=staffing_cum)[0]
            )
            groups = [home]
            extra = rng.random()
            for _ in range(2 if extra < 0.10 else 1 if extra < 0.45 else 0):
                other = rng.randrange(len(_GROUPS))
                if other not in groups:
                    groups.append(other)
            for g in groups:
                self.members[g].append(agent)
                self.membership_rows.append((agent, g, g == home))
        for admin in self.admins:
            self.membership_rows.append((admin, _GENERAL, True))
            self.membership_rows.append((admin, _ACCESS, False))

    def _organizations(self, customers: int) -> None:
        rng = self.rng_people
        count = max(3, round(customers / 90))
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < count:
            prefix = rng.choice(words.ORG_PREFIXES)
            suffix = rng.choice(words.ORG_SUFFIXES)
            name = f"{prefix} {suffix}"
            if len(seen) >= len(words.ORG_PREFIXES) * len(words.ORG_SUFFIXES):
                name = f"{name} {len(names)}"
            if name not in seen:
                seen.add(name)
                names.append(name)
        self.orgs: list[tuple[str, str, str, str]] = []  # id, name, domain, tier
        for i, name in enumerate(names):
            slug = "-".join(words.latin(part).lower() for part in name.split()[:2])
            tier = rng.choices(_ORG_TIERS, (0.4, 0.35, 0.15, 0.1))[0][0]
            self.orgs.append((str(_ORG_BASE + i), name, f"{slug}.example", tier))
        self.org_refs = [Ref(kind=Kind.ORGANIZATION, id=org[0]) for org in self.orgs]

    def _customers(self) -> None:
        rng = self.rng_people
        count = max(10, round(0.6 * self.n))
        self._organizations(count)
        pool = _pool(self.seed, math.ceil(count * 0.5))
        taken = {ident.email.lower() for ident in pool} | {"ana.lima@example.com"}
        chosen: list[_Identity] = []
        for ident in pool:
            if rng.random() < 0.6:
                email = _recase(ident.email) if rng.random() < 0.15 else ident.email
                chosen.append(ident._replace(email=email))
        while len(chosen) < count:
            org_domain = None
            if rng.random() < 0.05:
                org_domain = self.orgs[rng.randrange(len(self.orgs))][2]
            chosen.append(_identity(rng, taken, org_domain))
        rng.shuffle(chosen)
        self.customers: list[_Person] = []
        by_domain = {org[2]: i for i, org in enumerate(self.orgs)}
        for ident in chosen[:count]:
            person = self._add_person(ident)
            org_index = by_domain.get(ident.email.rpartition("@")[2].lower())
            if org_index is not None:
                person.org = org_index
            elif rng.random() < 0.09:
                person.org = rng.randrange(len(self.orgs))
            self._customer_details(person)
            self.customers.append(person)
        self.org_members: list[list[_Person]] = [[] for _ in self.orgs]
        for person in self.customers:
            if person.org is not None:
                self.org_members[person.org].append(person)
        # the edge-case users (not drawn for ordinary tickets)
        self.special: dict[str, _Person] = {}
        if self.edge:
            for key in ("deleted", "suspended"):
                person = self._add_person(_identity(rng, taken))
                self._customer_details(person)
                self.special[key] = person
            self.special["deleted"].deleted = True
            self.special["suspended"].suspended = True
            self.special["suspended"].tags = ("fraud_review",)
            for key, email in (
                ("ana_upper", "Ana.Lima@example.com"),
                ("ana_lower", "ana.lima@example.com"),
            ):
                person = self._add_person(
                    _Identity("Ana Lima", "Ana", email, "pt-BR", "America/Sao_Paulo")
                )
                self._customer_details(person)
                self.special[key] = person
            org_domain = self.orgs[0][2]
            otc = self._add_person(
                _Identity(
                    "Daniel Brooks", "Daniel", f"otc.desk@{org_domain}", "en-GB", "Europe/London"
                )
            )
            self._customer_details(otc)
            otc.org = 0
            otc.tier = "tier_3"
            self.org_members[0].append(otc)
            self.special["otc"] = otc
        # repeat requesters: heavy-tailed weights
        weights = [rng.paretovariate(1.6) for _ in self.customers]
        self.customer_cum = [0.0] * len(weights)
        acc = 0.0
        for i, w in enumerate(weights):
            acc += w
            self.customer_cum[i] = acc

    def _customer_details(self, person: _Person) -> None:
        rng = self.rng_people
        person.tier = _TIERS[bisect.bisect_left(_TIER_CUM, rng.random())]
        person.opt_in = rng.random() < 0.35
        if rng.random() < 0.4:
            locale = words.LOCALE_BY_CODE[person.ident.locale]
            person.phone = f"{locale.phone} 555 {rng.randrange(10**6, 10**7)}"

    # -- tickets ---------------------------------------------------------------------------

    def _created_times(self) -> list[int]:
        rng = self.rng_tickets
        span = _YEAR - 2 * _HOUR
        out: list[int] = []
        while len(out) < self.n:
            offset = int(rng.random() * span)
            ts = self.start + offset
            weight = _HOUR_WEIGHTS[(ts % _DAY) // _HOUR] * (0.8 + 0.2 * offset / span)
            if not _is_workday(ts // _DAY):
                weight *= 0.75
            if rng.random() < weight:
                out.append(ts)
        out.sort()
        return out

    def _requesters(self) -> list[_Person]:
        rng = self.rng_tickets
        order = list(self.customers)
        rng.shuffle(order)
        first = order[: min(self.n, int(len(order) * 0.85))]
        total = self.customer_cum[-1]
        repeats = [
            self.customers[bisect.bisect_left(self.customer_cum, rng.random() * total)]
            for _ in range(self.n - len(first))
        ]
        picks = first + repeats
        rng.shuffle(picks)
        return picks

    def _tickets(self) -> None:
        rng = self.rng_tickets
        times = self._created_times()
        categories = _quota(rng, _CATEGORY_SHARES, self.n)
        channels = [
            _CHANNEL_SHARES[i][0] for i in _quota(rng, [s for _, s in _CHANNEL_SHARES], self.n)
        ]
        requesters = self._requesters()
        forced: dict[int, tuple[int, Channel | None, _Person | None]] = {}
        if self.edge:
            special = self.special
            forced = {
                2: (_GENERAL, None, None),
                3: (_GENERAL, Channel.WEB, None),
                4: (_GENERAL, None, None),
                5: (_VERIFICATION, None, special["deleted"]),
                6: (_FIAT, None, special["suspended"]),
                7: (_ACCESS, None, None),
                8: (_CRYPTO, None, None),
                9: (_TRADING, None, special["suspended"]),
                10: (_VERIFICATION, None, special["ana_upper"]),
                11: (_VERIFICATION, None, special["ana_lower"]),
            }
            if self.big:
                forced[12] = (_TRADING, Channel.EMAIL, special["otc"])
                forced[13] = (_VERIFICATION, None, None)
                forced[14] = (_FIAT, None, None)
                forced[15] = (_TRADING, None, None)
        protected = {number - 1 for number in forced}
        for number, (category, channel, requester) in forced.items():
            i = number - 1
            _swap_to(categories, i, category, protected)
            if channel is not None:
                _swap_to(channels, i, channel, protected)
            if requester is not None:
                requesters[i] = requester
        for i in range(self.n):
            self._ticket(i, times[i], categories[i], channels[i], requesters[i])
        if self.edge:
            self.edge_cases.update(
                {
                    "closed": ("2",),
                    "description_only": ("3",),
                    "deleted_ticket": ("4",),
                    "deleted_requester": ("5",),
                    "deleted_user": (self.special["deleted"].id,),
                    "suspended_requester": ("6", "9"),
                    "suspended_user": (self.special["suspended"].id,),
                    "non_ascii_attachment_names": ("7",),
                    "empty_comment_bodies": ("8",),
                    "email_case_twins": ("10", "11"),
                    "email_case_twins_user": (
                        self.special["ana_upper"].id,
                        self.special["ana_lower"].id,
                    ),
                }
            )
        if self.big:
            self.edge_cases["long_thread"] = ("12",)
            self.edge_cases["large_attachments"] = ("13", "14", "15")

    def _attachment(self, template: str, name: str) -> Attachment:
        attachment_id = str(_ATTACHMENT_BASE + self.attachment_seq)
        self.attachment_seq += 1
        spec = BlobSpec(template, int(attachment_id))
        size, digest = measure(spec)
        self.blobs[attachment_id] = spec
        return Attachment(
            id=attachment_id,
            file_name=name,
            content_type=TEMPLATES[template].content_type,
            size=size,
            sha256=digest,
            location=f"demo://{self.instance}/attachments/{attachment_id}",
        )

    def _customer_files(
        self, category: int, locale: str, ts: int, follow_up: bool
    ) -> tuple[Attachment, ...]:
        rng = self.rng_tickets
        chance = (
            (0.55, 0.05, 0.35, 0.15, 0.30, 0.12)[category]
            if not follow_up
            else (0.25, 0.02, 0.15, 0.05, 0.15, 0.05)[category]
        )
        if rng.random() >= chance:
            return ()
        local = words.LOCAL_FILE_NAMES.get(locale)
        localized = local is not None and rng.random() < 0.4
        stamp = _dt(ts).strftime("%Y-%m-%d-%H-%M-%S")
        screenshot = (
            local[2] if local is not None and localized else f"Screenshot_{stamp}.png",
            "screenshot_png",
        )
        files: list[tuple[str, str]]
        if category == _VERIFICATION:
            id_name = local[0] if local is not None and localized else "id_front.png"
            options = [
                (id_name, "id_card_png"),
                ("passport_scan.png", "passport_png"),
                ("selfie_with_id.png", "selfie_png"),
                ("id_document.pdf", "id_scan_pdf"),
            ]
            files = rng.sample(options, 2 if rng.random() < 0.35 else 1)
        elif category == _FIAT:
            bank = local[1] if local is not None and localized else "bank_statement.pdf"
            files = [
                rng.choice(
                    [(bank, "statement_pdf"), ("transfer_receipt.pdf", "receipt_pdf"), screenshot]
                )
            ]
        elif category == _TRADING:
            files = [rng.choice([("trade_history.csv", "trades_csv"), screenshot])]
        elif category == _ACCESS:
            files = [
                rng.choice([("login_error.png", "screenshot_png"), ("app_log.txt", "log_txt")])
            ]
        else:
            files = [screenshot]
        return tuple(self._attachment(template, name) for name, template in files)

    def _security_files(self, ticket_number: int) -> tuple[Attachment, ...]:
        rng = self.rng_tickets
        options = [
            (f"id_verification_{ticket_number}.png", "id_card_png"),
            ("selfie_check.png", "selfie_png"),
            ("identity_check_report.pdf", "id_scan_pdf"),
            ("passport_scan.pdf", "id_scan_pdf"),
        ]
        picks = rng.sample(options, 2 if rng.random() < 0.4 else 1)
        return tuple(self._attachment(template, name) for name, template in picks)

    def _ticket(
        self, i: int, created: int, category: int, channel: Channel, requester: _Person
    ) -> None:
        rng = self.rng_tickets
        number = i + 1
        edge = self.edge and 2 <= number <= 15
        long_thread = self.big and number == 12
        locale = words.LOCALE_BY_CODE[requester.ident.locale]
        texts = locale.texts
        vip = requester.org is not None
        # classification
        prio_roll = rng.random()
        if category == _ACCESS:
            priority = _PRIORITIES[bisect.bisect_left((0.05, 0.5, 0.85, 1.0), prio_roll)]
        else:
            priority = _PRIORITIES[bisect.bisect_left((0.15, 0.75, 0.95, 1.0), prio_roll)]
        if vip and priority is Priority.NORMAL and rng.random() < 0.5:
            priority = Priority.HIGH
        if long_thread:
            priority = Priority.HIGH
        if number == 3 and self.edge:
            priority = Priority.NORMAL
        ticket_type = (
            TicketType.QUESTION,
            TicketType.QUESTION,
            TicketType.INCIDENT,
            TicketType.INCIDENT,
            TicketType.INCIDENT,
            TicketType.QUESTION,
        )[category]
        if rng.random() < 0.08:
            ticket_type = TicketType.TASK if category == _VERIFICATION else TicketType.PROBLEM
        asset = _ASSETS[bisect.bisect_left(_ASSET_CUM, rng.random())]
        amount = round(rng.lognormvariate(math.log(1500), 1.2), 2)
        fields: dict[str, FieldValue] = {
            "category": words.CATEGORIES[category][0],
            "language": locale.option,
            "verification_tier": requester.tier,
        }
        tags = {_CATEGORY_TAGS[category], f"lang_{locale.option}"}
        reference = ""
        if category in (_CRYPTO, _TRADING):
            fields["asset"] = asset.lower()
            tags.add(asset.lower())
        if category == _CRYPTO:
            txid = f"{rng.getrandbits(256):064x}"
            reference = "0x" + txid if asset in ("ETH", "USDC") else txid
            fields["transaction_id"] = reference
            fields["amount"] = amount
            tags.add("deposit" if rng.random() < 0.65 else "withdrawal")
        elif category == _FIAT:
            method = _fiat_method(locale.code, rng)
            fields["fiat_method"] = method
            fields["amount"] = amount
            tags.add(method)
            if rng.random() < 0.6:
                reference = f"EX{rng.randrange(10**9, 10**10)}"
                fields["transaction_id"] = reference
        elif category == _ACCESS:
            tags.add(rng.choice(("2fa_reset", "login_issue", "account_locked")))
        if vip:
            tags.add("vip")
        # routing
        group = category
        if category != _GENERAL and rng.random() < 0.12:
            group = _GENERAL
        members = self.members[group] or self.agents
        assignee = members[rng.randrange(len(members))]
        # conversation
        if long_thread:
            turns = self._long_thread(created, requester, assignee, asset)
        else:
            turns = self._conversation(
                number,
                created,
                category,
                channel,
                requester,
                assignee,
                members,
                texts,
                asset,
                amount,
                reference,
                edge,
                priority,
                vip,
            )
        # some recent tickets wait on the customer or a third party
        stalled = False
        if not edge and not long_thread and created > self.now - 21 * _DAY and rng.random() < 0.3:
            agent_times = [t.ts for t in turns if t.role == "agent"]
            if len(agent_times) > 1:
                span = agent_times[-1] - agent_times[0] - 1
                cutoff = agent_times[0] + 1 + int(rng.random() * span)
                turns = [t for t in turns if t.ts < cutoff]
                stalled = True
        # where the timeline stands now
        solved_at: int | None = None
        last_public = [t for t in turns if t.role != "note"][-1]
        if number == 3 and self.edge:
            solved_at = created + 20 * _MINUTE
            tags.add("duplicate")
        elif not stalled and turns[-1].ts <= self.now and last_public.role == "agent":
            solved_at = last_public.ts
        status: Status
        if solved_at is not None and solved_at <= self.now:
            closed_at = solved_at + 96 * _HOUR + rng.randrange(60, _HOUR)
            status = Status.CLOSED if closed_at <= self.now else Status.SOLVED
        else:
            solved_at = None
            closed_at = None
            turns = [t for t in turns if t.ts <= self.now]
            publics = [t for t in turns if t.role != "note"]
            if not any(t.role == "agent" for t in turns):
                if rng.random() < 0.6:
                    status = Status.NEW
                    turns = turns[:1]
                else:
                    status = Status.OPEN
            elif publics[-1].role == "agent":
                status = Status.PENDING if rng.random() < 0.75 else Status.HOLD
            else:
                status = Status.OPEN
        assignee_ref = None if status is Status.NEW else self.refs[assignee.id]
        ticket_id = str(number)
        ticket_ref = Ref(kind=Kind.TICKET, id=ticket_id)
        policy_index = 1 if vip else 0
        # comments
        comments = []
        html_cache = self.html_cache

        def html_of(body: str) -> str:
            cached = html_cache.get(body)
            if cached is None:
                cached = html_cache[body] = _html(body)
            return cached

        for turn in turns:
            comment_id = str(_COMMENT_BASE + self.comment_seq)
            self.comment_seq += 1
            if turn.role == "desc":
                via = channel
            elif turn.role == "cust":
                via = Channel.EMAIL if channel is Channel.CHAT else channel
            else:
                via = Channel.WEB
            comments.append(
                Comment(
                    id=comment_id,
                    author=self.refs[turn.author],
                    public=turn.role != "note",
                    body_html=html_of(turn.body),
                    body_plain=turn.body,
                    created_at=_dt(turn.ts),
                    channel=via,
                    attachments=turn.attachments,
                )
            )
        # metrics, SLA events, rating
        reopens = (
            1
            if solved_at is not None
            and rng.random() < 0.03
            and sum(t.role == "agent" for t in turns) > 1
            else 0
        )
        self._metrics(i, ticket_ref, created, turns, solved_at, reopens)
        breached = self._sla(ticket_ref, created, turns, solved_at, priority, policy_index)
        updated = max(turns[-1].ts, solved_at or 0)
        deleted = self.edge and number == 4
        rated = None
        if solved_at is not None and not deleted and not requester.deleted:
            rated = self._rating(
                ticket_ref, solved_at, closed_at, requester, assignee, group, breached, texts
            )
        if rated is not None:
            updated = max(updated, rated)
        if status is Status.CLOSED and closed_at is not None:
            updated = max(updated, closed_at)
        # people around the ticket
        ccs: list[Ref] = []
        followers: list[Ref] = []
        if rng.random() < 0.06:
            colleagues = (
                self.org_members[requester.org] if requester.org is not None else self.customers
            )
            other = colleagues[rng.randrange(len(colleagues))]
            if other is not requester:
                ccs.append(self.refs[other.id])
        if rng.random() < 0.05 and status is not Status.NEW:
            other = self.agents[rng.randrange(len(self.agents))]
            if other is not assignee:
                followers.append(self.refs[other.id])
        requester.first_ts = (
            created if requester.first_ts is None else min(requester.first_ts, created)
        )
        requester.last_ts = (
            updated if requester.last_ts is None else max(requester.last_ts, updated)
        )
        subject = texts.subjects[category].format(asset=asset)
        if long_thread:
            subject = f"OTC settlements and API access – {self.orgs[0][1]}"
        self.tickets.append(
            Ticket(
                id=ticket_id,
                subject=subject,
                description=turns[0].body,
                status=status,
                created_at=_dt(created),
                updated_at=_dt(updated),
                instance=self.instance,
                priority=priority,
                type=ticket_type,
                channel=channel,
                tags=tuple(sorted(tags)),
                custom_fields=fields,
                requester=self.refs[requester.id],
                submitter=self.refs[requester.id],
                assignee=assignee_ref,
                group=self.group_refs[group],
                organization=self.org_refs[requester.org] if requester.org is not None else None,
                ccs=tuple(ccs),
                followers=tuple(followers),
                solved_at=_dt(solved_at) if solved_at is not None else None,
                deleted=deleted,
                comments=tuple(comments),
            )
        )

    def _conversation(
        self,
        number: int,
        created: int,
        category: int,
        channel: Channel,
        requester: _Person,
        assignee: _Person,
        members: Sequence[_Person],
        texts: words.Texts,
        asset: str,
        amount: float,
        reference: str,
        edge: bool,
        priority: Priority,
        vip: bool,
    ) -> list[_Turn]:
        rng = self.rng_tickets
        locale = words.LOCALE_BY_CODE[requester.ident.locale]
        issue = texts.issues[category].format(
            asset=asset, amount=f"{amount:,.0f}", currency=locale.currency
        )
        lines = [issue]
        if reference:
            lines.append(f"ID: {reference}")
        if channel is Channel.CHAT:
            clock = _dt(created)
            body = (
                f"Chat started: {clock:%Y-%m-%d %H:%M} UTC\n\n"
                f"({clock:%H:%M:%S}) {requester.ident.name}: {texts.hi} " + " ".join(lines)
            )
        else:
            body = texts.hi + "\n\n" + "\n".join(lines) + "\n\n" + requester.ident.name
        description_files = self._customer_files(category, requester.ident.locale, created, False)
        if edge and number == 13:
            description_files += (self._attachment("large_png", "passport_high_resolution.png"),)
        if edge and number == 14:
            description_files += (self._attachment("large_pdf", "bank_statement_2024_full.pdf"),)
        if edge and number == 15:
            description_files += (self._attachment("large_csv", "trade_history_export.csv"),)
        turns = [_Turn(created, "desc", requester.id, body, description_files)]
        if edge and number == 3:
            return turns
        # timing: first reply, agent replies up to resolution
        speed = _CHANNEL_SPEED[channel] * _PRIORITY_SPEED[priority] * (0.6 if vip else 1.0)
        first = max(
            60, int(rng.lognormvariate(math.log(_FIRST_REPLY_MEDIAN), _FIRST_REPLY_SIGMA) * speed)
        )
        replies = 1 + bisect.bisect_left((0.35, 0.65, 0.83, 0.93, 0.98, 1.0), rng.random())
        if edge and number == 8:
            replies = max(replies, 2)
        resolution = first
        if replies > 1:
            resolution = first + max(
                10 * _MINUTE,
                int(rng.lognormvariate(math.log(_RESOLUTION_MEDIAN), _RESOLUTION_SIGMA)),
            )
        if edge and resolution > 3 * _DAY:
            scale = 3 * _DAY / resolution
            first, resolution = max(60, int(first * scale)), int(resolution * scale)
        middle = sorted(
            first + int(rng.random() * (resolution - first)) for _ in range(replies - 2)
        )
        agent_times = [first, *middle, resolution] if replies > 1 else [first]
        name = requester.ident.first
        for j, offset in enumerate(agent_times):
            if j == len(agent_times) - 1:
                line = texts.agent[2]
            elif j == 0:
                line = texts.agent[rng.randrange(2)]
            else:
                line = texts.agent[1]
            author = assignee if rng.random() < 0.9 else members[rng.randrange(len(members))]
            reply = (
                texts.agent_hi.format(name=name)
                + "\n\n"
                + line
                + "\n\n"
                + texts.sign
                + "\n"
                + author.ident.first
            )
            turns.append(_Turn(created + offset, "agent", author.id, reply, ()))
            if j + 1 < len(agent_times) and rng.random() < 0.85:
                gap = agent_times[j + 1] - offset
                at = created + offset + max(1, int(gap * (0.15 + 0.6 * rng.random())))
                files = self._customer_files(category, requester.ident.locale, at, True)
                text = texts.follow[0] if files else texts.follow[rng.randrange(3)]
                turns.append(_Turn(at, "cust", requester.id, text + "\n\n" + name, files))
        # private notes
        notes = 1 + (rng.random() < 0.4) if category == _ACCESS else int(rng.random() < 0.25)
        for k in range(notes):
            at = created + 30 + int(rng.random() * max(60, resolution - 60))
            files = ()
            if category == _ACCESS and k == 0 and rng.random() < 0.85:
                files = self._security_files(number)
            note_texts = words.PRIVATE_NOTES[category]
            author = (
                assignee if rng.random() < 0.7 else self.agents[rng.randrange(len(self.agents))]
            )
            turns.append(
                _Turn(at, "note", author.id, note_texts[rng.randrange(len(note_texts))], files)
            )
        if edge and number == 7:
            files = (
                self._attachment("id_card_png", "паспорт.png"),
                self._attachment("id_scan_pdf", "身份证.pdf"),
            )
            text = "ID documents received via secure upload; re-verification for account recovery."
            turns.append(_Turn(created + first // 2, "note", assignee.id, text, files))
        if edge and number == 8:
            at = created + first + (agent_times[1] - first) // 2
            turns = [
                t
                for t in turns
                if not (t.role == "cust" and agent_times[0] < t.ts - created < agent_times[1])
            ]
            turns.append(
                _Turn(
                    at,
                    "cust",
                    requester.id,
                    "",
                    (self._attachment("screenshot_png", "IMG_0412.png"),),
                )
            )
            turns.append(_Turn(at + 120, "note", assignee.id, "", ()))
        return _strictly_increasing(turns)

    def _long_thread(
        self, created: int, requester: _Person, assignee: _Person, asset: str
    ) -> list[_Turn]:
        rng = self.rng_tickets
        lines = words.LONG_THREAD_LINES
        body = (
            "Hello,\n\nWe are onboarding our trading desk and need help with OTC settlements and"
            f" API access for {self.orgs[0][1]}.\n\n{requester.ident.name}"
        )
        turns = [_Turn(created, "desc", requester.id, body, ())]
        ts = created
        desk = self.members[_TRADING] or self.agents
        for j in range(1, _LONG_THREAD_COMMENTS):
            if j % 2:
                ts += max(60, int(rng.lognormvariate(math.log(25 * _MINUTE), 0.8)))
                author = assignee if rng.random() < 0.8 else desk[rng.randrange(len(desk))]
                text = lines[1 + 2 * ((j // 2) % 3)].format(ref=f"OTC-{j // 2:04d}", asset=asset)
                turns.append(
                    _Turn(
                        ts,
                        "agent",
                        author.id,
                        f"Hi Daniel,\n\n{text}\n\nKind regards,\n{author.ident.first}",
                        (),
                    )
                )
            elif j % 50 == 0:
                ts += max(60, int(rng.lognormvariate(math.log(10 * _MINUTE), 0.8)))
                turns.append(
                    _Turn(ts, "note", assignee.id, f"Checked block OTC-{j:04d} with treasury.", ())
                )
            else:
                ts += max(60, int(rng.lognormvariate(math.log(50 * _MINUTE), 1.0)))
                text = lines[2 * ((j // 2) % 3)].format(ref=f"OTC-{j // 2:04d}", asset=asset)
                turns.append(_Turn(ts, "cust", requester.id, f"{text}\n\nDaniel", ()))
        return turns

    def _metrics(
        self,
        i: int,
        ticket: Ref,
        created: int,
        turns: Sequence[_Turn],
        solved_at: int | None,
        reopens: int,
    ) -> None:
        agent = [t.ts for t in turns if t.role == "agent"]
        first = agent[0] if agent else None
        requester_wait = agent_wait = 0
        requester_wait_b = agent_wait_b = 0
        since, waiting_agent = created, True
        for turn in turns:
            if turn.role == "agent" and waiting_agent:
                requester_wait += turn.ts - since
                requester_wait_b += business_seconds(since, turn.ts)
                since, waiting_agent = turn.ts, False
            elif turn.role == "cust" and not waiting_agent:
                agent_wait += turn.ts - since
                agent_wait_b += business_seconds(since, turn.ts)
                since, waiting_agent = turn.ts, True
        if solved_at is not None and waiting_agent and solved_at > since:
            requester_wait += solved_at - since
            requester_wait_b += business_seconds(since, solved_at)
        end = max(turns[-1].ts, solved_at or 0)
        self.metrics.append(
            TicketMetrics(
                id=str(_METRICS_BASE + i),
                ticket=ticket,
                first_reply=(
                    Minutes(
                        calendar=(first - created) // _MINUTE,
                        business=business_seconds(created, first) // _MINUTE,
                    )
                    if first is not None
                    else Minutes()
                ),
                full_resolution=(
                    Minutes(
                        calendar=(solved_at - created) // _MINUTE,
                        business=business_seconds(created, solved_at) // _MINUTE,
                    )
                    if solved_at is not None
                    else Minutes()
                ),
                agent_wait=Minutes(
                    calendar=agent_wait // _MINUTE, business=agent_wait_b // _MINUTE
                ),
                requester_wait=Minutes(
                    calendar=requester_wait // _MINUTE, business=requester_wait_b // _MINUTE
                ),
                reopens=reopens,
                replies=len(agent),
                created_at=_dt(created),
                updated_at=_dt(end),
            )
        )

    def _sla(
        self,
        ticket: Ref,
        created: int,
        turns: Sequence[_Turn],
        solved_at: int | None,
        priority: Priority,
        policy_index: int,
    ) -> bool:
        """Append the ticket's SLA events; tell whether any target was breached."""
        targets = _VIP_TARGETS if policy_index else _STANDARD_TARGETS
        business = _VIP_BUSINESS if policy_index else _STANDARD_BUSINESS
        p = _PRIORITIES.index(priority)
        events: list[tuple[int, int, SlaMetric, SlaEventKind]] = []

        def track(metric: int, begin: int, end: int | None) -> None:
            minutes, flag = targets[metric][p], business[metric]
            kind = _SLA_METRICS[metric]
            events.append((begin, len(events), kind, SlaEventKind.APPLY))
            due = _deadline(begin, minutes, flag)
            if end is not None:
                if _measured(begin, end, flag) > minutes:
                    events.append((due, len(events), kind, SlaEventKind.BREACH))
                events.append((end, len(events), kind, SlaEventKind.FULFILL))
            elif due <= self.now:
                events.append((due, len(events), kind, SlaEventKind.BREACH))

        publics = [t for t in turns if t.role != "note"]
        first = next((t.ts for t in publics if t.role == "agent"), None)
        if first is None and solved_at is not None:
            # solved without a public reply (e.g. a duplicate): fulfilled at the solve
            events.append((created, 0, SlaMetric.FIRST_REPLY_TIME, SlaEventKind.APPLY))
            events.append((solved_at, 1, SlaMetric.FIRST_REPLY_TIME, SlaEventKind.FULFILL))
        else:
            track(0, created, first)
        if first is not None:
            waiting: int | None = None
            for turn in publics:
                if turn.ts <= first:
                    continue
                if turn.role == "cust" and waiting is None:
                    waiting = turn.ts
                elif turn.role == "agent" and waiting is not None:
                    track(1, waiting, turn.ts)
                    waiting = None
            if waiting is not None:
                track(1, waiting, None)
        track(2, created, solved_at)
        events.sort()
        policy = self.policy_refs[policy_index]
        breached = False
        for ts, _, metric, kind in events:
            m = _SLA_METRICS.index(metric)
            breached = breached or kind is SlaEventKind.BREACH
            when = _dt(ts)
            self.events.append(
                SlaEvent(
                    id=str(_EVENT_BASE + self.event_seq),
                    ticket=ticket,
                    metric=metric,
                    kind=kind,
                    time=when,
                    policy=policy,
                    target_minutes=targets[m][p],
                    business_hours=business[m],
                    updated_at=when,
                )
            )
            self.event_seq += 1
        return breached

    def _rating(
        self,
        ticket: Ref,
        solved_at: int,
        closed_at: int | None,
        requester: _Person,
        assignee: _Person,
        group: int,
        breached: bool,
        texts: words.Texts,
    ) -> int | None:
        rng = self.rng_tickets
        if rng.random() >= 0.8:
            return None
        limit = (
            min(
                self.now, closed_at if closed_at is not None and closed_at <= self.now else self.now
            )
            - 60
        )
        at = solved_at + int(rng.lognormvariate(math.log(3 * _HOUR), 1.0))
        if at > limit:
            if limit <= solved_at + 60:
                return None
            at = solved_at + 60 + int(rng.random() * (limit - solved_at - 60))
        bad = rng.random() < (0.09 if breached else 0.025)
        comment = reason = ""
        if bad:
            comment = texts.bad
            reason = _BAD_REASONS[rng.randrange(len(_BAD_REASONS))]
        elif rng.random() < 0.35:
            comment = texts.good
        self.ratings.append(
            SatisfactionRating(
                id=str(_RATING_BASE + self.rating_seq),
                ticket=ticket,
                score=SatisfactionScore.BAD if bad else SatisfactionScore.GOOD,
                requester=self.refs[requester.id],
                assignee=self.refs[assignee.id],
                group=self.group_refs[group],
                comment=comment,
                reason=reason,
                created_at=_dt(at),
                updated_at=_dt(at),
            )
        )
        self.rating_seq += 1
        return at

    # -- records of the configuration and the people ---------------------------------------

    def _config_time(self, position: int) -> tuple[datetime, datetime]:
        rng = self.rng_config
        created = self.start - 700 * _DAY + position * 3 * _DAY + rng.randrange(_DAY)
        updated = created + rng.randrange(_DAY, 400 * _DAY)
        return _dt(created), _dt(min(updated, self.start - _DAY))

    def _user_records(self) -> list[User]:
        rng = self.rng_people
        out = []
        for person in self.people:
            ident = person.ident
            if person.role is Role.END_USER:
                anchor = person.first_ts if person.first_ts is not None else self.now - _DAY
                created = anchor - min(5 * _YEAR, int(rng.lognormvariate(math.log(60 * _DAY), 1.2)))
                if person.first_ts is None:
                    created = self.start - 2 * _YEAR + rng.randrange(2 * _YEAR + _YEAR - _DAY)
                last = person.last_ts if person.last_ts is not None else created
                updated = min(self.now, last + rng.randrange(60, 2 * _DAY))
                if person.deleted or person.suspended:
                    updated = min(self.now, last + 2 * _DAY)
                fields: dict[str, FieldValue] = {
                    "verification_tier": person.tier,
                    "account_uid": f"U{int(person.id) % 10**9:09d}",
                    "customer_since": _dt(created).date().isoformat(),
                    "marketing_opt_in": person.opt_in,
                }
                tags = person.tags + (("institutional",) if person.org is not None else ())
            else:
                created = self.start - _YEAR - rng.randrange(2 * _YEAR)
                updated = self.start + rng.randrange(_YEAR)
                fields = {}
                tags = ("staff",)
            identities = [Identity(type="email", value=ident.email, primary=True, verified=True)]
            if person.phone is not None:
                identities.append(Identity(type="phone_number", value=person.phone))
            out.append(
                User(
                    id=person.id,
                    name=ident.name,
                    email=ident.email,
                    role=person.role,
                    suspended=person.suspended,
                    deleted=person.deleted,
                    identities=tuple(identities),
                    organization=self.org_refs[person.org] if person.org is not None else None,
                    locale=ident.locale,
                    time_zone=ident.time_zone,
                    phone=person.phone,
                    tags=tags,
                    custom_fields=fields,
                    created_at=_dt(created),
                    updated_at=_dt(max(created, updated)),
                )
            )
        return out

    def _organization_records(self) -> list[Organization]:
        rng = self.rng_people
        out = []
        names = [a.ident.name for a in self.agents]
        for i, (org_id, name, domain, tier) in enumerate(self.orgs):
            created = self.start - 900 * _DAY + rng.randrange(800 * _DAY)
            updated = self.start + rng.randrange(_YEAR)
            out.append(
                Organization(
                    id=org_id,
                    name=name,
                    domains=(domain,),
                    details=f"{dict(_ORG_TIERS)[tier]} client since {_dt(created):%Y}.",
                    tags=tuple(sorted({"institutional", tier})),
                    custom_fields={
                        "account_tier": tier,
                        "account_manager": names[i % len(names)],
                        "kyb_verified": rng.random() < 0.9,
                    },
                    created_at=_dt(created),
                    updated_at=_dt(updated),
                )
            )
        return out

    def _groups(self) -> tuple[list[Group], list[GroupMembership]]:
        groups = []
        for g, (name, description) in enumerate(_GROUPS):
            created, updated = self._config_time(g)
            groups.append(
                Group(
                    id=str(_GROUP_BASE + g),
                    name=name,
                    description=description,
                    created_at=created,
                    updated_at=updated,
                )
            )
        memberships = []
        for k, (person, g, default) in enumerate(self.membership_rows):
            created, updated = self._config_time(10 + k % 50)
            memberships.append(
                GroupMembership(
                    id=str(_MEMBERSHIP_BASE + k),
                    user=self.refs[person.id],
                    group=self.group_refs[g],
                    default=default,
                    created_at=created,
                    updated_at=updated,
                )
            )
        return groups, memberships

    def _fields(self) -> list[FieldDef]:
        def options(pairs: Sequence[tuple[str, str]]) -> tuple[FieldOption, ...]:
            return tuple(FieldOption(name=n, value=v, position=k) for k, (v, n) in enumerate(pairs))

        specs: list[
            tuple[FieldObject, str, str, FieldType, tuple[FieldOption, ...], bool, bool, str]
        ] = [
            (
                FieldObject.TICKET,
                "category",
                "Category",
                FieldType.DROPDOWN,
                options(words.CATEGORIES),
                True,
                True,
                "What the request is about.",
            ),
            (
                FieldObject.TICKET,
                "verification_tier",
                "Verification tier",
                FieldType.DROPDOWN,
                options([(t, t.replace("_", " ").title()) for t in _TIERS]),
                False,
                True,
                "The customer's KYC tier when the ticket was created.",
            ),
            (
                FieldObject.TICKET,
                "asset",
                "Asset",
                FieldType.DROPDOWN,
                options([(a.lower(), a) for a in _ASSETS]),
                False,
                True,
                "Crypto asset concerned.",
            ),
            (
                FieldObject.TICKET,
                "transaction_id",
                "Transaction ID",
                FieldType.TEXT,
                (),
                False,
                True,
                "Blockchain TXID or bank reference.",
            ),
            (
                FieldObject.TICKET,
                "language",
                "Language",
                FieldType.DROPDOWN,
                options([(loc.option, loc.title) for loc in words.LOCALES]),
                False,
                True,
                "Language of the conversation.",
            ),
            (
                FieldObject.TICKET,
                "fiat_method",
                "Payment method",
                FieldType.DROPDOWN,
                options(_FIAT_METHODS),
                False,
                True,
                "Fiat rail used.",
            ),
            (
                FieldObject.TICKET,
                "amount",
                "Amount",
                FieldType.DECIMAL,
                (),
                False,
                True,
                "Amount concerned, in the customer's currency.",
            ),
            (
                FieldObject.TICKET,
                "legacy_category",
                "Category (old)",
                FieldType.DROPDOWN,
                options([("kyc", "KYC"), ("deposit", "Deposit"), ("other", "Other")]),
                False,
                False,
                "Replaced by Category in 2024.",
            ),
            (
                FieldObject.USER,
                "verification_tier",
                "Verification tier",
                FieldType.DROPDOWN,
                options([(t, t.replace("_", " ").title()) for t in _TIERS]),
                False,
                True,
                "KYC tier of the customer.",
            ),
            (
                FieldObject.USER,
                "account_uid",
                "Exchange UID",
                FieldType.TEXT,
                (),
                False,
                True,
                "The customer's account id on the exchange.",
            ),
            (
                FieldObject.USER,
                "customer_since",
                "Customer since",
                FieldType.DATE,
                (),
                False,
                True,
                "",
            ),
            (
                FieldObject.USER,
                "marketing_opt_in",
                "Marketing opt-in",
                FieldType.CHECKBOX,
                (),
                False,
                True,
                "",
            ),
            (
                FieldObject.ORGANIZATION,
                "account_tier",
                "Account tier",
                FieldType.DROPDOWN,
                options(_ORG_TIERS),
                False,
                True,
                "",
            ),
            (
                FieldObject.ORGANIZATION,
                "account_manager",
                "Account manager",
                FieldType.TEXT,
                (),
                False,
                True,
                "",
            ),
            (
                FieldObject.ORGANIZATION,
                "kyb_verified",
                "KYB verified",
                FieldType.CHECKBOX,
                (),
                False,
                True,
                "Know-your-business checks passed.",
            ),
        ]
        out = []
        for k, (obj, key, title, kind, opts, required, active, description) in enumerate(specs):
            created, updated = self._config_time(20 + k)
            out.append(
                FieldDef(
                    id=str(_FIELD_BASE + k),
                    object=obj,
                    key=key,
                    title=title,
                    type=kind,
                    options=opts,
                    required=required,
                    active=active,
                    description=description,
                    position=k,
                    created_at=created,
                    updated_at=updated,
                )
            )
        self.field_ids = {(f.object, f.key): f.id for f in out}
        return out

    def _sla_policies(self) -> list[SlaPolicy]:
        out = []
        for index, (title, targets, business, description, conditions) in enumerate(
            (
                (
                    "Standard",
                    _STANDARD_TARGETS,
                    _STANDARD_BUSINESS,
                    "Retail customers, 24/7 replies.",
                    [],
                ),
                (
                    "VIP/Institutional",
                    _VIP_TARGETS,
                    _VIP_BUSINESS,
                    "Institutional and corporate accounts.",
                    [_vip_condition()],
                ),
            )
        ):
            created, updated = self._config_time(40 + index)
            sla_targets = [
                SlaTarget(
                    priority=prio,
                    metric=_SLA_METRICS[m],
                    minutes=targets[m][p],
                    business_hours=business[m],
                )
                for p, prio in enumerate(_PRIORITIES)
                for m in range(3)
            ]
            policy_id = str(_SLA_BASE + index)
            raw: dict[str, JsonValue] = {
                "id": int(policy_id),
                "title": title,
                "description": description,
                "position": 2 - index,
                "filter": {"all": list(conditions), "any": []},
                "policy_metrics": [
                    {
                        "priority": t.priority.value,
                        "metric": t.metric.value,
                        "target": t.minutes,
                        "business_hours": t.business_hours,
                    }
                    for t in sla_targets
                ],
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "updated_at": updated.isoformat().replace("+00:00", "Z"),
            }
            out.append(
                SlaPolicy(
                    id=policy_id,
                    title=title,
                    targets=tuple(sla_targets),
                    description=description,
                    position=2 - index,
                    raw=raw,
                    created_at=created,
                    updated_at=updated,
                )
            )
        return out

    def _rules(self) -> list[Rule]:
        category = "custom_fields_" + self.field_ids[(FieldObject.TICKET, "category")]
        group = [str(_GROUP_BASE + g) for g in range(len(_GROUPS))]

        def cond(field: str, operator: str, value: JsonValue = None) -> dict[str, JsonValue]:
            out: dict[str, JsonValue] = {"field": field, "operator": operator}
            if value is not None:
                out["value"] = value
            return out

        def act(field: str, value: JsonValue) -> dict[str, JsonValue]:
            return {"field": field, "value": value}

        notify_received: list[JsonValue] = [
            "requester_id",
            "[{{ticket.account}}] Re: {{ticket.title}}",
            "Your request ({{ticket.id}}) has been received and is being reviewed by our support"
            " team.\n\n{{ticket.comments_formatted}}",
        ]
        specs: list[
            tuple[
                RuleKind,
                str,
                list[dict[str, JsonValue]],
                list[dict[str, JsonValue]],
                list[dict[str, JsonValue]],
                dict[str, JsonValue],
            ]
        ] = [
            (
                RuleKind.TRIGGER,
                "Notify requester of received request",
                [cond("update_type", "is", "Create"), cond("status", "is_not", "solved")],
                [],
                [act("notification_user", notify_received)],
                {},
            ),
            (
                RuleKind.TRIGGER,
                "Notify requester of public comment",
                [cond("update_type", "is", "Change"), cond("comment_is_public", "is", "true")],
                [],
                [
                    act(
                        "notification_user",
                        [
                            "requester_and_ccs",
                            "[{{ticket.account}}] Re: {{ticket.title}}",
                            "{{ticket.latest_public_comment_html}}",
                        ],
                    )
                ],
                {},
            ),
            (
                RuleKind.TRIGGER,
                "Notify assignee of assignment",
                [cond("assignee_id", "changed"), cond("assignee_id", "is_not", "current_user")],
                [],
                [
                    act(
                        "notification_user",
                        [
                            "assignee_id",
                            "Assignment: {{ticket.title}}",
                            "Ticket {{ticket.id}} is now yours.",
                        ],
                    )
                ],
                {},
            ),
            *[
                (
                    RuleKind.TRIGGER,
                    f"Route {words.CATEGORIES[c][1]} to {_GROUPS[c][0]}",
                    [
                        cond("update_type", "is", "Create"),
                        cond(category, "is", words.CATEGORIES[c][0]),
                    ],
                    [],
                    [act("group_id", group[c])],
                    {},
                )
                for c in range(len(words.CATEGORIES))
            ],
            (
                RuleKind.TRIGGER,
                "Auto-tag VIP: institutional accounts",
                [cond("update_type", "is", "Create"), cond("organization_id", "is_not", "")],
                [],
                [act("current_tags", "vip")],
                {},
            ),
            (
                RuleKind.TRIGGER,
                "Escalate urgent account-security tickets",
                [cond("priority", "is", "urgent"), cond(category, "is", "account_access")],
                [
                    cond("current_tags", "includes", "2fa_reset"),
                    cond("current_tags", "includes", "account_locked"),
                ],
                [
                    act("group_id", group[_ACCESS]),
                    act(
                        "notification_group",
                        [group[_ACCESS], "Urgent: {{ticket.title}}", "{{ticket.url}}"],
                    ),
                ],
                {},
            ),
            (
                RuleKind.AUTOMATION,
                "Close ticket 4 days after status is set to solved",
                [cond("status", "is", "solved"), cond("SOLVED", "greater_than", "96")],
                [],
                [act("status", "closed")],
                {},
            ),
            (
                RuleKind.AUTOMATION,
                "Remind requester after 3 days pending",
                [
                    cond("status", "is", "pending"),
                    cond("PENDING", "greater_than", "72"),
                    cond("current_tags", "not_includes", "pending_reminder_sent"),
                ],
                [],
                [
                    act(
                        "notification_user",
                        [
                            "requester_id",
                            "Reminder: {{ticket.title}}",
                            "We are waiting for your reply.",
                        ],
                    ),
                    act("current_tags", "pending_reminder_sent"),
                ],
                {},
            ),
            (
                RuleKind.AUTOMATION,
                "Solve pending tickets after 7 days",
                [cond("status", "is", "pending"), cond("PENDING", "greater_than", "168")],
                [],
                [act("status", "solved"), act("current_tags", "auto_solved")],
                {},
            ),
            (
                RuleKind.AUTOMATION,
                "Request customer satisfaction rating",
                [
                    cond("status", "is", "solved"),
                    cond("SOLVED", "is", "24"),
                    cond("satisfaction_score", "is", "unoffered"),
                ],
                [],
                [
                    act("satisfaction_score", "offered"),
                    act(
                        "notification_user",
                        ["requester_id", "How did we do?", "{{satisfaction.rating_section}}"],
                    ),
                ],
                {},
            ),
            (
                RuleKind.MACRO,
                "Verification::Request a clearer ID photo",
                [],
                [],
                [
                    act(
                        "comment_value",
                        "Please upload a sharper photo of your ID: all four corners visible,"
                        " no glare.",
                    ),
                    act("status", "pending"),
                    act("current_tags", "kyc_resubmit"),
                ],
                {},
            ),
            (
                RuleKind.MACRO,
                "Fiat::Ask for bank statement",
                [],
                [],
                [
                    act(
                        "comment_value",
                        "Please send the bank statement or receipt showing the transfer and"
                        " its reference.",
                    ),
                    act("status", "pending"),
                    act(category, "fiat_funding"),
                ],
                {},
            ),
            (
                RuleKind.MACRO,
                "Crypto::Ask for TXID and network",
                [],
                [],
                [
                    act(
                        "comment_value",
                        "Please share the transaction hash (TXID) and the network you used.",
                    ),
                    act("status", "pending"),
                ],
                {},
            ),
            (
                RuleKind.MACRO,
                "Account Security::Escalate 2FA reset",
                [],
                [],
                [
                    act("group_id", group[_ACCESS]),
                    act("priority", "urgent"),
                    act("comment_mode_is_public", "false"),
                    act("comment_value", "Escalated for a 2FA reset; ID documents attached."),
                ],
                {},
            ),
            (
                RuleKind.MACRO,
                "General::Close as duplicate",
                [],
                [],
                [act("status", "solved"), act("current_tags", "duplicate")],
                {},
            ),
            (
                RuleKind.VIEW,
                "Your unsolved tickets",
                [cond("status", "less_than", "solved"), cond("assignee_id", "is", "current_user")],
                [],
                [],
                {
                    "columns": ["status", "subject", "requester", "updated"],
                    "sort_by": "updated",
                    "sort_order": "desc",
                },
            ),
            (
                RuleKind.VIEW,
                "Unassigned tickets",
                [cond("status", "less_than", "solved"), cond("assignee_id", "is", "")],
                [],
                [],
                {
                    "columns": ["status", "subject", "requester", "created", "group"],
                    "sort_by": "created",
                    "sort_order": "asc",
                },
            ),
            (
                RuleKind.VIEW,
                "VIP and institutional: open",
                [cond("status", "less_than", "solved"), cond("current_tags", "includes", "vip")],
                [],
                [],
                {
                    "columns": ["priority", "subject", "organization", "updated"],
                    "sort_by": "priority",
                    "sort_order": "desc",
                },
            ),
            (
                RuleKind.VIEW,
                "Verification backlog",
                [
                    cond("status", "less_than", "solved"),
                    cond("group_id", "is", group[_VERIFICATION]),
                ],
                [],
                [],
                {
                    "columns": ["subject", "requester", "created"],
                    "sort_by": "created",
                    "sort_order": "asc",
                },
            ),
            (
                RuleKind.VIEW,
                "Pending tickets",
                [cond("status", "is", "pending")],
                [],
                [],
                {
                    "columns": ["subject", "requester", "updated"],
                    "sort_by": "updated",
                    "sort_order": "asc",
                },
            ),
            (
                RuleKind.VIEW,
                "Recently solved tickets",
                [cond("status", "is", "solved"), cond("SOLVED", "less_than", "48")],
                [],
                [],
                {
                    "columns": ["subject", "assignee", "solved"],
                    "sort_by": "solved",
                    "sort_order": "desc",
                },
            ),
        ]
        out = []
        positions: dict[RuleKind, int] = {}
        for k, (kind, title, all_, any_, actions, execution) in enumerate(specs):
            positions[kind] = positions.get(kind, 0) + 1
            created, updated = self._config_time(50 + k)
            rule_id = str(_RULE_BASE + k)
            raw: dict[str, JsonValue] = {"id": int(rule_id), "title": title, "active": True}
            if kind is not RuleKind.MACRO:
                raw["position"] = positions[kind]
                raw["conditions"] = {"all": list(all_), "any": list(any_)}
            if kind is not RuleKind.VIEW:
                raw["actions"] = list(actions)
            if kind is RuleKind.VIEW:
                raw["execution"] = {"group_by": None, **execution}
                raw["restriction"] = None
            if kind is RuleKind.MACRO:
                raw["restriction"] = None
            raw["created_at"] = created.isoformat().replace("+00:00", "Z")
            raw["updated_at"] = updated.isoformat().replace("+00:00", "Z")
            out.append(
                Rule(
                    id=rule_id,
                    kind=kind,
                    title=title,
                    active=True,
                    position=positions[kind],
                    conditions_all=tuple(_condition(c) for c in all_),
                    conditions_any=tuple(_condition(c) for c in any_),
                    actions=tuple(
                        Action(field=str(a["field"]), value=_copy(a["value"])) for a in actions
                    ),
                    raw=_copy_dict(raw),
                    created_at=created,
                    updated_at=updated,
                )
            )
        return out

    # -- assembly ----------------------------------------------------------------------------

    def run(self) -> HelpDesk:
        self._staff()
        self._customers()
        self._tickets()
        fields = self._fields()
        groups, memberships = self._groups()
        sla_policies = self._sla_policies()
        rules = self._rules()
        desk = HelpDesk(
            instance=self.instance,
            organizations=tuple(self._organization_records()),
            users=tuple(self._user_records()),
            groups=tuple(groups),
            memberships=tuple(memberships),
            fields=tuple(fields),
            sla_policies=tuple(sla_policies),
            tickets=tuple(self.tickets),
            sla_events=tuple(self.events),
            metrics=tuple(self.metrics),
            ratings=tuple(self.ratings),
            rules=tuple(rules),
            edge_cases=dict(self.edge_cases),
            blobs=self.blobs,
        )
        # after everything above, from a generator of its own: existing records keep their values
        return enrich(
            desk,
            seed=self.seed,
            start=self.start,
            support_domain=SUPPORT_DOMAIN,
            open_minute=_BUSINESS_OPEN // _MINUTE,
            close_minute=_BUSINESS_CLOSE // _MINUTE,
            is_workday=_is_workday,
            attach=self._attachment,
        )


def _swap_to(values: list[_T], i: int, wanted: _T, protected: set[int]) -> None:
    """Make ``values[i] == wanted`` by swapping with an unprotected position (keeps counts)."""
    if values[i] == wanted:
        return
    for j, value in enumerate(values):
        if value == wanted and j not in protected:
            values[i], values[j] = values[j], values[i]
            return
    values[i] = wanted


def _fiat_method(locale: str, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "card"
    return {
        "pt-BR": "pix",
        "en-GB": "faster_payments",
        "en-US": "ach",
        "de": "sepa",
        "fr": "sepa",
        "es": "sepa",
        "it": "sepa",
        "nl": "sepa",
    }.get(locale, "swift" if rng.random() < 0.3 else "local_bank")


def _vip_condition() -> JsonValue:
    return {"field": "current_tags", "operator": "includes", "value": "vip"}


def _copy(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _copy_dict(value: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    return {k: _copy(v) for k, v in value.items()}


def _condition(raw: Mapping[str, JsonValue]) -> Condition:
    return Condition(
        field=str(raw["field"]), operator=str(raw["operator"]), value=_copy(raw.get("value"))
    )


def _strictly_increasing(turns: list[_Turn]) -> list[_Turn]:
    """Sort turns by time, description first, moving ties apart by a second."""
    ordered = [turns[0], *sorted(turns[1:], key=lambda t: t.ts)]
    out = [ordered[0]]
    for turn in ordered[1:]:
        if turn.ts <= out[-1].ts:
            turn = turn._replace(ts=out[-1].ts + 1)
        out.append(turn)
    return out
