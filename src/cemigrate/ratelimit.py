"""Budgets (token buckets) and the retry policy: how cemigrate spends a platform's API allowance.

The model
---------

A :class:`Budget` is *one* rate allowance of *one* platform account: ``zendesk.core`` (700
requests per 60 s on Enterprise), ``zendesk.export`` (10 per minute), ``freshdesk.ticket_create``,
``salesforce.daily`` (a rolling 24 h allowance), and so on. Every request names the budgets it
spends and its cost (a Freshdesk ``include`` costs extra credits), and :meth:`Budget.acquire`
blocks until all of them allow it. A budget is a token bucket: it holds up to ``capacity`` tokens
(by default the whole ``limit``, because platforms count per window, so a full window may be spent
at once) and refills continuously at ``limit / period`` tokens a second.

A budget starts from a plan preset (each platform's :class:`PlatformPlans`, beside its
adapter, built into a :class:`Budgets` by :func:`budgets_for`) and then follows what the
platform says: :meth:`Budget.observe_headers` lowers the tokens to the platform's own
``remaining`` count and adopts its ``limit``; a 429 with ``Retry-After`` pauses *that budget
only*, so reads on an export budget go on while writes wait.
A daily allowance (Salesforce) never waits for tokens: at the plan's share of it,
:meth:`Budget.acquire` raises :class:`~cemigrate.errors.QuotaExhausted` and the run stops cleanly,
to be resumed when the allowance has recovered.

For a given help desk the *lower bound* of a run is ``max over budgets (calls needed / rate)``
(:meth:`Budgets.lower_bound` computes it, crediting the burst a full bucket allows). Performance
is judged against it: calls used per budget against the fewest the platform allows, and achieved
rate against the budget's ceiling, read from the counters :meth:`Budgets.snapshot` reports.

:class:`RetryPolicy` wraps one call: it acquires from the named budgets before each attempt and
retries throttles (:class:`~cemigrate.errors.RateLimited`), transient failures
(:class:`~cemigrate.errors.TransientError`) and dropped connections or timeouts from requests,
with capped, jittered exponential backoff that never waits less than the platform's
``Retry-After``. Anything else (a record error, an exhausted quota, a configuration error)
propagates at once.

Time comes from an injected :class:`Clock`, so tests drive a :class:`ManualClock` and never sleep.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from random import Random
from typing import Final, Generic, Protocol, TypeVar

import attrs
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from cemigrate.errors import (
    CemigrateError,
    ConfigError,
    QuotaExhausted,
    RateLimited,
    TransientError,
)

__all__ = [
    "DAY",
    "DEFAULT_DAILY_QUOTA_SHARE",
    "AddOn",
    "Budget",
    "BudgetSpec",
    "Budgets",
    "CallTally",
    "Clock",
    "ManualClock",
    "PlanPreset",
    "PlatformPlans",
    "RateObservation",
    "RetryPolicy",
    "SystemClock",
    "budgets_for",
    "current_tally",
    "parse_rate_headers",
    "retry_after_seconds",
    "tallying",
]

logger = logging.getLogger("cemigrate.ratelimit")

T = TypeVar("T")

_EPSILON: Final = 1e-9
"""Slack for float arithmetic: a refill that lands a hair short of a whole token still counts."""

DAY: Final = 86_400.0
"""A day in seconds: the period of a daily allowance."""
_MINUTE: Final = 60.0


# --------------------------------------------------------------------------------------------
# Clocks


class Clock(Protocol):
    """Where budgets and retries read the time and go to sleep; injected so tests never wait."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (only differences are meaningful)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real (nothing for a zero or negative duration)."""
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock for tests: :meth:`sleep` advances time at once and records the duration.

    Thread-safe, because a reader thread and a writer thread share budgets (and so this clock).
    """

    def __init__(self, start: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._now = start
        self.sleeps: list[float] = []
        """Every duration passed to :meth:`sleep`, in order."""

    def monotonic(self) -> float:
        """Return the current manual time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Record ``seconds`` in :attr:`sleeps` and advance time by it (not at all if negative)."""
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass without anyone sleeping (work being done elsewhere)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        with self._lock:
            self._now += seconds


# --------------------------------------------------------------------------------------------
# Response headers


def _number(value: str | None) -> float | None:
    """The leading non-negative number of a header value (``"700"``, ``"700;w=60"``), or None."""
    if value is None:
        return None
    match = re.match(r"\s*(\d+(?:\.\d+)?)", value)
    return float(match.group(1)) if match else None


_SFORCE_API_USAGE: Final = re.compile(r"(?<![\w-])api-usage=\s*(\d+)\s*/\s*(\d+)")
"""``api-usage=18/5000`` in ``Sforce-Limit-Info``, but not its ``per-app-api-usage`` sibling."""


@attrs.frozen
class RateObservation:
    """What one response's headers say about the budget it spent; every field is optional."""

    limit: float | None = None
    """Calls the window allows (``X-Rate-Limit``, ``X-Ratelimit-Total``, Salesforce's total)."""
    remaining: float | None = None
    """Calls left in the current window (the smallest figure when several headers give one)."""
    reset_after: float | None = None
    """Seconds until the window resets (Zendesk ``ratelimit-reset``)."""
    cost: float | None = None
    """Credits this request cost (Freshdesk ``X-Ratelimit-Used-CurrentRequest``).

    Informational: ``remaining`` already accounts for it."""


def parse_rate_headers(headers: Mapping[str, str]) -> RateObservation | None:
    """Read the rate-limit headers of a Zendesk, Freshdesk or Salesforce response.

    Header names are matched case-insensitively:

    - Zendesk: ``X-Rate-Limit``, ``X-Rate-Limit-Remaining``; ticketing APIs also
      ``ratelimit-limit``, ``ratelimit-remaining``, ``ratelimit-reset`` (seconds).
    - Freshdesk: ``X-Ratelimit-Total``, ``X-Ratelimit-Remaining``,
      ``X-Ratelimit-Used-CurrentRequest`` (the request's cost).
    - Salesforce: ``Sforce-Limit-Info: api-usage=18/5000`` (limit 5000, remaining 4982).

    Malformed values are ignored. Returns None when no such header is present.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    limits: list[float] = []
    remainders: list[float] = []
    for limit_name, remaining_name in (
        ("x-rate-limit", "x-rate-limit-remaining"),
        ("ratelimit-limit", "ratelimit-remaining"),
        ("x-ratelimit-total", "x-ratelimit-remaining"),
    ):
        if (limit := _number(lower.get(limit_name))) is not None:
            limits.append(limit)
        if (remaining := _number(lower.get(remaining_name))) is not None:
            remainders.append(remaining)
    if (info := lower.get("sforce-limit-info")) and (match := _SFORCE_API_USAGE.search(info)):
        used, total = float(match.group(1)), float(match.group(2))
        limits.append(total)
        remainders.append(max(0.0, total - used))
    reset_after = _number(lower.get("ratelimit-reset"))
    cost = _number(lower.get("x-ratelimit-used-currentrequest"))
    if not limits and not remainders and reset_after is None and cost is None:
        return None
    return RateObservation(
        limit=limits[0] if limits else None,
        remaining=min(remainders) if remainders else None,
        reset_after=reset_after,
        cost=cost,
    )


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds the ``Retry-After`` header asks us to wait, or None if absent or unreadable.

    The header is either a number of seconds (``Retry-After: 34``) or an HTTP date
    (``Retry-After: Wed, 21 Oct 2026 07:28:00 GMT``), which is measured from ``now`` (the current
    UTC time by default). A date in the past means no wait (0.0).
    """
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


# --------------------------------------------------------------------------------------------
# Budget


class Budget:
    """One rate allowance of one platform account, as a thread-safe token bucket.

    ``limit`` requests (or credits) per ``period`` seconds (60 for per-minute allowances, 86,400
    for a rolling day), refilled continuously at ``limit / period`` a second, up to ``capacity``
    (by default ``limit``). With ``stop_at_share`` set (daily allowances), :meth:`acquire` raises
    :class:`~cemigrate.errors.QuotaExhausted` once the used part of the allowance would pass
    ``stop_at_share × limit``, instead of waiting: waiting a day is never right.

    The counters :attr:`calls`, :attr:`spent`, :attr:`waited` and :attr:`throttled` are read by
    reports and benchmarks.
    """

    def __init__(
        self,
        name: str,
        limit: float,
        period: float,
        clock: Clock,
        capacity: float | None = None,
        stop_at_share: float | None = None,
    ) -> None:
        if not limit > 0 or not period > 0:
            raise ValueError(f"{name}: limit and period must be positive ({limit} per {period} s)")
        if capacity is not None and not capacity > 0:
            raise ValueError(f"{name}: capacity must be positive ({capacity})")
        if stop_at_share is not None and not 0 < stop_at_share <= 1:
            raise ValueError(f"{name}: stop_at_share must be in (0, 1] ({stop_at_share})")
        self.name: Final = name
        """The budget's qualified name, as it appears in logs, errors and reports."""
        self.period: Final = float(period)
        """Length of the platform's window in seconds."""
        self.stop_at_share: Final = stop_at_share
        """Share of ``limit`` at which :meth:`acquire` raises instead of waiting (None: waits)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._limit = float(limit)
        self._capacity_follows_limit = capacity is None
        self._capacity = float(limit if capacity is None else capacity)
        self._tokens = self._capacity
        self._updated = clock.monotonic()
        self._paused_until = -math.inf
        self.calls = 0
        """Number of successful :meth:`acquire` calls."""
        self.spent = 0.0
        """Sum of the costs acquired."""
        self.waited = 0.0
        """Total seconds :meth:`acquire` spent waiting for tokens or for a pause to end."""
        self.throttled = 0
        """Number of throttles (429s) recorded by :meth:`pause` or :meth:`record_throttle`."""
        self._latency = 0.0

    def __repr__(self) -> str:
        return f"Budget({self.name!r}, {self._limit:g} per {self.period:g} s)"

    @property
    def limit(self) -> float:
        """Calls (credits) allowed per period; follows the platform's headers."""
        return self._limit

    @property
    def capacity(self) -> float:
        """The most tokens the bucket holds: the largest burst."""
        return self._capacity

    @property
    def clock(self) -> Clock:
        """The clock the budget waits on (a manual one in tests)."""
        return self._clock

    @property
    def rate_per_second(self) -> float:
        """The sustained rate: ``limit / period``."""
        return self._limit / self.period

    @property
    def latency(self) -> float:
        """A moving average of the seconds a call on this budget took, request sent to answer
        read (0 before any was timed): what the copier sizes its requests in flight by."""
        return self._latency

    def observe_latency(self, seconds: float) -> None:
        """Fold one call's duration into :attr:`latency` (an exponential average, 1/5 weight)."""
        if seconds < 0:
            return
        with self._lock:
            self._latency = seconds if self._latency == 0 else 0.8 * self._latency + 0.2 * seconds

    @property
    def available(self) -> float:
        """Tokens available now (fractional between refills)."""
        with self._lock:
            self._refill(self._clock.monotonic())
            return self._tokens

    @property
    def paused_for(self) -> float:
        """Seconds until a pause ends (0.0 when not paused)."""
        return max(0.0, self._paused_until - self._clock.monotonic())

    def _refill(self, now: float) -> None:
        # Called with the lock held.
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self.rate_per_second)
            self._updated = now

    def _check_quota(self, cost: float) -> None:
        # Called with the lock held (after a refill).
        if self.stop_at_share is None:
            return
        allowed = self.stop_at_share * self._limit
        used = max(0.0, self._limit - self._tokens)
        if used + cost > allowed + _EPSILON:
            recovers_in = (used + cost - allowed) / self.rate_per_second
            raise QuotaExhausted(
                f"{self.name}: {used:,.0f} of {self._limit:,.0f} used and the plan allows "
                f"{self.stop_at_share:.0%}; enough recovers in about {recovers_in / 3600:.1f} h",
                budget=self.name,
            )

    def acquire(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens, waiting (on the clock, outside the lock) until they are there.

        Also waits while the budget is paused. Returns the seconds waited. Raises
        :class:`~cemigrate.errors.QuotaExhausted` when ``stop_at_share`` is set and the call
        would pass it, and :class:`ValueError` for a cost the bucket can never hold. The cost
        is added to the :class:`CallTally` the calling thread counts in, if any.
        """
        if cost < 0 or cost > self._capacity:
            raise ValueError(f"{self.name}: cost {cost} is outside 0..{self._capacity:g}")
        start = self._clock.monotonic()
        while True:
            with self._lock:
                now = self._clock.monotonic()
                self._refill(now)
                self._check_quota(cost)
                delay = max(
                    self._paused_until - now,
                    (cost - self._tokens) / self.rate_per_second,
                )
                if delay <= _EPSILON:
                    self._tokens -= cost
                    waited = max(0.0, now - start)
                    self.calls += 1
                    self.spent += cost
                    self.waited += waited
                    break
            # Sleep outside the lock so the other thread (and pause/observe) can get in.
            logger.debug("%s: waiting %.3f s for %g tokens", self.name, delay, cost)
            self._clock.sleep(delay)
        tally = current_tally()
        if tally is not None:
            tally.add(self.name, cost, waited)
        return waited

    def _pause_until(self, until: float) -> None:
        # Called with the lock held. A later pause extends, never shortens.
        self._paused_until = max(self._paused_until, until)

    def pause(self, seconds: float) -> None:
        """Record a throttle (a 429) and let no call through for ``seconds`` from now.

        Pauses this budget only; a pause that ends earlier than the current one changes nothing.
        """
        with self._lock:
            self.throttled += 1
            self._pause_until(self._clock.monotonic() + max(0.0, seconds))

    def record_throttle(self, retry_after: float | None = None) -> None:
        """Record a throttle; pause for ``retry_after`` seconds if the platform said so."""
        if retry_after is not None:
            self.pause(retry_after)
        else:
            with self._lock:
                self.throttled += 1

    def observe(
        self,
        *,
        limit: float | None = None,
        remaining: float | None = None,
        reset_after: float | None = None,
    ) -> None:
        """Correct the bucket from what the platform reported; the platform's word wins.

        A ``limit`` replaces the preset's (a plan preset may be wrong; the capacity follows it
        unless it was set explicitly); ``remaining`` lowers the tokens to it; ``remaining == 0``
        with ``reset_after`` pauses the budget until the window resets (not counted as a
        throttle).
        """
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            if limit is not None and limit > 0:
                self._limit = float(limit)
                if self._capacity_follows_limit:
                    self._capacity = self._limit
                self._tokens = min(self._tokens, self._capacity)
            if remaining is not None:
                self._tokens = min(self._tokens, max(0.0, remaining))
                if remaining <= 0 and reset_after is not None:
                    self._pause_until(now + max(0.0, reset_after))

    def observe_headers(self, headers: Mapping[str, str]) -> RateObservation | None:
        """Apply a response's rate-limit headers (see :func:`parse_rate_headers`).

        A ``Retry-After`` header also pauses the budget for that long, without counting a
        throttle: the retry policy counts the 429 when it sees the error. Returns what was read.
        """
        observation = parse_rate_headers(headers)
        if observation is not None:
            self.observe(
                limit=observation.limit,
                remaining=observation.remaining,
                reset_after=observation.reset_after,
            )
        retry_after = retry_after_seconds(headers)
        if retry_after is not None:
            with self._lock:
                self._pause_until(self._clock.monotonic() + retry_after)
        return observation

    def snapshot(self) -> dict[str, float]:
        """The budget's settings and counters, for reports and benchmarks."""
        with self._lock:
            return {
                "limit": self._limit,
                "period": self.period,
                "rate_per_second": self.rate_per_second,
                "calls": float(self.calls),
                "spent": self.spent,
                "waited": self.waited,
                "throttled": float(self.throttled),
            }


# --------------------------------------------------------------------------------------------
# Presets


@attrs.frozen
class BudgetSpec:
    """One budget of a plan preset: data only; :func:`budgets_for` turns it into a Budget."""

    limit: float
    """Calls per period (the fixed part, for allowances that grow with licences)."""
    period: float = _MINUTE
    """Window length in seconds."""
    per_licence: float = 0.0
    """Calls per period added for each user licence (Salesforce's daily allowance)."""
    daily_quota: bool = False
    """A daily allowance: stops at the plan's ``daily_quota_share`` instead of waiting."""
    source: str = ""
    """Where the number comes from (a section of the platform facts)."""


@attrs.frozen
class PlanPreset:
    """The budgets of one platform plan (edition), plus its concurrency ceiling."""

    budgets: Mapping[str, BudgetSpec]
    """Budget key (``zendesk.core``) → its spec."""
    max_long_running: int | None = None
    """Long-running requests (≥ 20 s) the platform allows at once; None if it sets no limit."""


@attrs.frozen(kw_only=True)
class AddOn:
    """A paid add-on that replaces some of a plan's limits (Zendesk's High Volume)."""

    title: str
    """Its name, for errors (``High Volume``)."""
    plans: frozenset[str]
    """The plans it can be bought on."""
    limits: Mapping[str, float]
    """Budget key → the limit it gives instead of the plan's."""


@attrs.frozen(kw_only=True)
class PlatformPlans:
    """One platform's plans (editions) and the budgets each gives: data from the platform
    facts, kept beside the platform's adapter (``adapters/<platform>/limits.py``) and turned
    into :class:`Budgets` by :func:`budgets_for`."""

    platform: str
    plans: Mapping[str, PlanPreset]
    """Plan (edition) → its budgets."""
    add_ons: Mapping[str, AddOn] = attrs.field(factory=dict)
    """Option name (``high_volume``) → the add-on it switches on."""
    options: frozenset[str] = frozenset()
    """The other budget options its plans take (``licences``, ``daily_quota_share``)."""

    def preset(self, plan: str) -> PlanPreset:
        """The budgets of ``plan``; an unknown plan is a ConfigError naming the valid ones."""
        preset = self.plans.get(plan)
        if preset is None:
            valid = ", ".join(sorted(self.plans))
            raise ConfigError(f"unknown {self.platform} plan {plan!r}; valid plans: {valid}")
        return preset


DEFAULT_DAILY_QUOTA_SHARE: Final = 0.8
"""Share of a daily allowance a run spends unless the plan says otherwise: leaves a fifth to the
org's other integrations."""

_PREFIX: Final = re.compile(r"[A-Za-z0-9_-]+")


MAX_IN_FLIGHT: Final = 16
"""Most requests (or target batches) in flight whatever the budgets say."""

IN_FLIGHT_HEADROOM: Final = 2.0
"""Requests in flight per request the rate and latency need: calls are not back to back (the
caller's own work between them, a Bulk job's wait between polls)."""


class CallTally:
    """What a piece of work spent, by budget name: every :meth:`Budget.acquire` on a thread
    the tally is installed on (:func:`tallying`) adds its cost. Threads a piece of work hands
    calls to install the same tally (:class:`~cemigrate.adapters.callpool.CallPool` does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = threading.get_ident()
        self.spent: dict[str, float] = {}
        """Cost acquired per budget name."""
        self.waited = 0.0
        """Seconds the thread that made the tally waited for tokens (the work's own path;
        threads it handed calls to wait beside it)."""

    def add(self, budget: str, cost: float, waited: float = 0.0) -> None:
        """Count ``cost`` against ``budget``, and the seconds the call waited for it."""
        with self._lock:
            self.spent[budget] = self.spent.get(budget, 0.0) + cost
            if threading.get_ident() == self._owner:
                self.waited += waited


_THREAD_TALLY = threading.local()


def current_tally() -> CallTally | None:
    """The tally the calling thread counts its calls in (None: none is)."""
    tally: CallTally | None = getattr(_THREAD_TALLY, "tally", None)
    return tally


@contextlib.contextmanager
def tallying(tally: CallTally | None) -> Iterator[CallTally | None]:
    """Count the calling thread's calls in ``tally`` while the block runs (None: in none);
    the tally it counted in before is put back after."""
    before = current_tally()
    _THREAD_TALLY.tally = tally
    try:
        yield tally
    finally:
        _THREAD_TALLY.tally = before


class Budgets(Mapping[str, Budget]):
    """The budgets of one platform instance, keyed by budget key (``"zendesk.core"``).

    Keys are the same for every instance of a platform, so adapter code says
    ``budgets["zendesk.core"]`` whatever the instance; each :attr:`Budget.name` is qualified with
    the instance prefix (``"emea.zendesk.core"``) so logs, errors and :meth:`snapshot` keep two
    instances apart.
    """

    def __init__(
        self, budgets: Mapping[str, Budget], *, max_long_running: int | None = None
    ) -> None:
        self._budgets = dict(budgets)
        self.max_long_running: Final = max_long_running
        """Long-running requests (≥ 20 s) the platform allows at once; None if unlimited.

        Salesforce allows 25 (5 on Developer Edition) and answers ``REQUEST_LIMIT_EXCEEDED``
        beyond; the copier keeps its requests in flight below it."""

    def __getitem__(self, key: str) -> Budget:
        return self._budgets[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._budgets)

    def __len__(self) -> int:
        return len(self._budgets)

    def __repr__(self) -> str:
        return f"Budgets({list(self._budgets.values())!r})"

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Every budget's settings and counters, keyed by its qualified name."""
        return {budget.name: budget.snapshot() for budget in self._budgets.values()}

    def in_flight(self, pace: Mapping[str, float] | None = None) -> int:
        """Requests (or batches) to keep in flight so the round trip is not what limits the
        pace (Little's law), at least 1, at most :data:`MAX_IN_FLIGHT` and the platform's
        concurrent-request limit (``max_long_running``).

        Requests: the fastest budget's rate × the latency its calls show ×
        :data:`IN_FLIGHT_HEADROOM` (before any call was timed: 1). Batches, when ``pace``
        gives the seconds a batch took per unit it spent of a budget (by budget name): a batch
        that mostly waits (a Bulk job processing, an import job queued) spends little per
        second, so more of them are needed to reach a budget's rate; the budget that needs
        the fewest batches is the one they would run dry first, and that many are enough."""
        wanted = 1
        for budget in self._budgets.values():
            if budget.latency > 0:
                wanted = max(
                    wanted, math.ceil(budget.rate_per_second * budget.latency * IN_FLIGHT_HEADROOM)
                )
        needs = [
            math.ceil(budget.rate_per_second * pace[budget.name])
            for budget in self._budgets.values()
            if pace and pace.get(budget.name, 0.0) > 0
        ]
        if needs:
            wanted = max(wanted, min(needs))
        cap = MAX_IN_FLIGHT
        if self.max_long_running is not None:
            cap = min(cap, max(1, self.max_long_running))
        return max(1, min(wanted, cap))

    def lower_bound(self, calls_needed: Mapping[str, float]) -> float:
        """Fewest seconds the given calls (or credits) per budget key can take.

        ``max over budgets ((calls − capacity) / rate)``: a full bucket is spent at once, the rest
        at the sustained rate. Keys not in this mapping raise :class:`KeyError`.
        """
        return max(
            (
                max(0.0, calls - self._budgets[key].capacity) / self._budgets[key].rate_per_second
                for key, calls in calls_needed.items()
            ),
            default=0.0,
        )


def budgets_for(
    plans: PlatformPlans,
    plan: str,
    *,
    clock: Clock,
    prefix: str | None = None,
    **options: object,
) -> Budgets:
    """Build the budgets of one platform instance on ``plan`` from the platform's ``plans``.

    ``prefix`` is the instance name (letters, digits, ``_`` and ``-``): budget ``zendesk.core``
    of instance ``emea`` is named ``emea.zendesk.core``; without a prefix the name is the key.
    Options: each add-on by its name (``high_volume: bool``, Zendesk's High Volume: it replaces
    the plan's limits on the plans that can have it), and where the platform takes them
    ``licences: int`` (default 0, the edition's floor; a per-licence allowance grows with it)
    and ``daily_quota_share: float`` in (0, 1] (default :data:`DEFAULT_DAILY_QUOTA_SHARE`):
    the share of each daily allowance this run may use.

    An unknown plan or option raises :class:`~cemigrate.errors.ConfigError` naming the valid
    ones.
    """
    platform = plans.platform
    preset = plans.preset(plan)
    valid = plans.options | set(plans.add_ons)
    unknown = set(options) - valid
    if unknown:
        raise ConfigError(
            f"unknown {platform} budget option(s) {', '.join(sorted(unknown))}; "
            f"valid: {', '.join(sorted(valid)) or 'none'}"
        )
    if prefix is not None and not _PREFIX.fullmatch(prefix):
        raise ConfigError(f"budget prefix {prefix!r} must be letters, digits, '_' or '-'")

    overrides: dict[str, float] = {}
    for name, add_on in plans.add_ons.items():
        chosen = options.get(name, False)
        if not isinstance(chosen, bool):
            raise ConfigError(f"{platform} option {name} must be true or false")
        if chosen:
            if plan not in add_on.plans:
                raise ConfigError(
                    f"the {platform} {add_on.title} add-on needs one of the plans: "
                    f"{', '.join(sorted(add_on.plans))} (not {plan!r})"
                )
            overrides.update(add_on.limits)
    licences = options.get("licences", 0)
    if not isinstance(licences, int) or isinstance(licences, bool) or licences < 0:
        raise ConfigError(f"{platform} option licences must be a whole number ≥ 0")
    share = options.get("daily_quota_share", DEFAULT_DAILY_QUOTA_SHARE)
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share <= 1:
        raise ConfigError(f"{platform} option daily_quota_share must be in (0, 1], not {share!r}")

    budgets = {
        key: Budget(
            f"{prefix}.{key}" if prefix else key,
            overrides.get(key, spec.limit + spec.per_licence * licences),
            spec.period,
            clock,
            stop_at_share=float(share) if spec.daily_quota else None,
        )
        for key, spec in preset.budgets.items()
    }
    return Budgets(budgets, max_long_running=preset.max_long_running)


# --------------------------------------------------------------------------------------------
# Retry policy


_RETRYABLE: Final = (TransientError, requests.ConnectionError, requests.Timeout)


@attrs.frozen
class _Call(Generic[T]):
    """One :meth:`RetryPolicy.call`: what tenacity's callbacks need to know about it."""

    fn: Callable[[], T]
    budgets: Sequence[Budget]
    cost: float
    what: str

    def budget_named(self, name: str) -> Budget | None:
        return next((b for b in self.budgets if b.name == name), None)


def _call_of(state: RetryCallState) -> _Call[object]:
    call = state.args[0]
    assert isinstance(call, _Call)
    return call


def _reason(error: BaseException) -> str:
    """A one-line reason for the log: the error's kind and, for our own errors, its message.

    requests' messages are left out: they can carry URLs with query strings.
    """
    if isinstance(error, RateLimited):
        advice = f", Retry-After {error.retry_after:g} s" if error.retry_after is not None else ""
        return f"RateLimited on {error.budget}{advice}"
    if isinstance(error, CemigrateError):
        message = str(error).splitlines()[0][:160] if str(error) else ""
        return f"{type(error).__name__}: {message}" if message else type(error).__name__
    return type(error).__name__


class RetryPolicy:
    """Retries one platform call through throttles and transient failures (tenacity inside).

    Retried: :class:`~cemigrate.errors.RateLimited` (the named budget is paused, by the
    platform's ``Retry-After`` if it gave one, else by the backoff, and its throttle counted),
    :class:`~cemigrate.errors.TransientError`, and requests' ``ConnectionError`` and ``Timeout``.
    Everything else propagates at once. The wait before attempt *n + 1* is
    ``min(maximum, initial × 2^(n−1) + uniform(0, jitter))``, but never less than a
    ``Retry-After``. After ``max_attempts`` attempts the last error is re-raised as it was.

    One policy may be shared by threads.
    """

    def __init__(
        self,
        clock: Clock,
        max_attempts: int = 8,
        initial: float = 1.0,
        maximum: float = 120.0,
        jitter: float = 1.0,
        random: Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1 ({max_attempts})")
        if initial < 0 or maximum < initial or jitter < 0:
            raise ValueError("backoff needs 0 ≤ initial ≤ maximum and jitter ≥ 0")
        self.max_attempts: Final = max_attempts
        """Attempts before giving up (the first one included)."""
        self.initial: Final = initial
        """Backoff before the second attempt, in seconds (before jitter)."""
        self.maximum: Final = maximum
        """Cap on the backoff (a longer ``Retry-After`` still wins)."""
        self.jitter: Final = jitter
        """Up to this many seconds are added at random to each backoff."""
        self._clock = clock
        self._random = random if random is not None else Random()
        self._retrying = Retrying(
            sleep=clock.sleep,
            stop=stop_after_attempt(max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_RETRYABLE),
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )

    def backoff(self, attempt: int) -> float:
        """The jittered, capped backoff after failed attempt number ``attempt`` (from 1)."""
        exponential = self.initial * 2.0 ** min(max(attempt - 1, 0), 64)
        return min(self.maximum, exponential + self._random.uniform(0.0, self.jitter))

    def _wait(self, state: RetryCallState) -> float:
        seconds = self.backoff(state.attempt_number)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            seconds = max(seconds, error.retry_after)
        return seconds

    def _before_sleep(self, state: RetryCallState) -> None:
        call = _call_of(state)
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        seconds = state.upcoming_sleep
        if isinstance(error, RateLimited) and (budget := call.budget_named(error.budget)):
            budget.pause(error.retry_after if error.retry_after is not None else seconds)
        logger.warning(
            "%s: attempt %d of %d failed (%s); retrying in %.2f s",
            call.what or "call",
            state.attempt_number,
            self.max_attempts,
            _reason(error),
            seconds,
        )

    def _give_up(self, state: RetryCallState) -> object:
        call = _call_of(state)
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        if isinstance(error, RateLimited) and (budget := call.budget_named(error.budget)):
            budget.record_throttle(error.retry_after)
        logger.warning(
            "%s: giving up after %d attempts (%s)",
            call.what or "call",
            state.attempt_number,
            _reason(error),
        )
        raise error

    @staticmethod
    def _attempt(call: _Call[T]) -> T:
        for budget in call.budgets:
            budget.acquire(call.cost)
        return call.fn()

    def call(
        self,
        fn: Callable[[], T],
        *,
        budgets: Sequence[Budget] = (),
        cost: float = 1.0,
        what: str = "",
    ) -> T:
        """Call ``fn``, acquiring ``cost`` from each of ``budgets`` before every attempt.

        ``what`` names the call in log lines (an endpoint and a record kind, never a body or a
        credential). Returns what ``fn`` returns; raises its last error after the final attempt,
        and :class:`~cemigrate.errors.QuotaExhausted` from a budget at once.
        """
        attempt: Callable[[_Call[T]], T] = self._attempt  # binds T for tenacity's signature
        return self._retrying(attempt, _Call(fn, budgets, cost, what))
