"""Budgets, header parsing, presets and the retry policy, on a manual clock (nothing sleeps)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

import cemigrate.ratelimit as ratelimit
from cemigrate.adapters.registry import PLATFORMS
from cemigrate.adapters.salesforce.limits import salesforce_daily_allowance
from cemigrate.errors import (
    ConfigError,
    QuotaExhausted,
    RateLimited,
    RecordError,
    TransientError,
)
from cemigrate.ratelimit import (
    Budget,
    ManualClock,
    RateObservation,
    RetryPolicy,
    SystemClock,
    budgets_for,
    parse_rate_headers,
    retry_after_seconds,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


def failing(*errors: BaseException, result: str = "ok") -> tuple[Callable[[], str], list[int]]:
    """A call that raises ``errors`` one per attempt, then returns ``result``; counts attempts."""
    attempts = [0]

    def call() -> str:
        attempts[0] += 1
        if attempts[0] <= len(errors):
            raise errors[attempts[0] - 1]
        return result

    return call, attempts


# --------------------------------------------------------------------------------------------
# Clocks


def test_manual_clock_sleep_advances_time_at_once_and_records_it() -> None:
    clock = ManualClock(start=5.0)
    clock.sleep(2.5)
    clock.advance(1.0)
    clock.sleep(-3.0)
    assert clock.monotonic() == 8.5
    assert clock.sleeps == [2.5, -3.0]


def test_manual_clock_cannot_go_back() -> None:
    with pytest.raises(ValueError, match="cannot go back"):
        ManualClock().advance(-1.0)


def test_system_clock_is_monotonic_and_zero_sleep_returns() -> None:
    clock = SystemClock()
    before = clock.monotonic()
    clock.sleep(0)
    assert clock.monotonic() >= before


def test_public_names_are_exactly_the_intended_ones() -> None:
    assert ratelimit.__all__ == [
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
    for name in ratelimit.__all__:
        public = getattr(ratelimit, name)
        assert not callable(public) or public.__doc__, name


# --------------------------------------------------------------------------------------------
# Budget: the token bucket


def test_full_window_is_spent_at_once_without_waiting(clock: ManualClock) -> None:
    budget = Budget("zendesk.core", 700, 60, clock)
    waits = [budget.acquire() for _ in range(700)]
    assert sum(waits) == 0
    assert clock.sleeps == []
    assert budget.calls == 700
    assert budget.available == pytest.approx(0, abs=1e-6)


def test_burst_beyond_capacity_waits_exactly_the_refill_time(clock: ManualClock) -> None:
    budget = Budget("b", 60, 60, clock)  # one token a second
    for _ in range(60):
        budget.acquire()
    waited = budget.acquire()
    assert waited == pytest.approx(1.0)
    assert sum(clock.sleeps) == pytest.approx(1.0)
    assert budget.waited == pytest.approx(1.0)
    assert clock.monotonic() == pytest.approx(1001.0)


def test_700_per_minute_budget_spends_1400_calls_in_60_seconds(clock: ManualClock) -> None:
    budget = Budget("zendesk.core", 700, 60, clock)
    for _ in range(1400):
        budget.acquire()
    assert clock.monotonic() - 1000.0 == pytest.approx(60.0, rel=1e-6)
    assert budget.calls == 1400
    assert budget.spent == 1400
    assert budget.waited == pytest.approx(60.0, rel=1e-6)
    assert budget.rate_per_second == pytest.approx(700 / 60)


def test_capacity_smaller_than_limit_caps_the_burst(clock: ManualClock) -> None:
    budget = Budget("b", 60, 60, clock, capacity=10)
    clock.advance(3600)  # a long idle time refills only up to capacity
    for _ in range(10):
        assert budget.acquire() == 0
    assert budget.acquire() == pytest.approx(1.0)


def test_cost_spends_several_tokens(clock: ManualClock) -> None:
    budget = Budget("freshdesk.tickets_list", 6, 60, clock)  # 0.1 token a second
    assert budget.acquire(cost=3) == 0
    assert budget.acquire(cost=3) == 0
    assert budget.acquire(cost=3) == pytest.approx(30.0)
    assert budget.spent == 9
    assert budget.calls == 3


def test_a_cost_the_bucket_can_never_hold_is_refused(clock: ManualClock) -> None:
    budget = Budget("b", 5, 60, clock)
    with pytest.raises(ValueError, match="outside"):
        budget.acquire(cost=6)
    assert budget.calls == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0, "period": 60},
        {"limit": 10, "period": 0},
        {"limit": 10, "period": 60, "capacity": 0},
        {"limit": 10, "period": 60, "stop_at_share": 1.5},
    ],
)
def test_nonsense_settings_are_refused(clock: ManualClock, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Budget("b", clock=clock, **kwargs)


def test_pause_blocks_only_that_budget(clock: ManualClock) -> None:
    core = Budget("zendesk.core", 700, 60, clock)
    export = Budget("zendesk.export", 10, 60, clock)
    core.pause(30)
    assert export.acquire() == 0
    assert core.acquire() == pytest.approx(30.0)
    assert (core.throttled, export.throttled) == (1, 0)


def test_a_later_pause_extends_and_never_shortens(clock: ManualClock) -> None:
    budget = Budget("b", 700, 60, clock)
    budget.pause(30)
    budget.pause(5)
    assert budget.paused_for == pytest.approx(30.0)
    clock.advance(10)
    budget.pause(40)
    assert budget.paused_for == pytest.approx(40.0)
    assert budget.throttled == 3


def test_record_throttle_counts_and_pauses_only_with_retry_after(clock: ManualClock) -> None:
    budget = Budget("b", 700, 60, clock)
    budget.record_throttle()
    assert budget.paused_for == 0
    budget.record_throttle(12)
    assert budget.paused_for == pytest.approx(12.0)
    assert budget.throttled == 2


def test_observe_remaining_lowers_the_tokens_but_never_raises_them(clock: ManualClock) -> None:
    budget = Budget("b", 700, 60, clock)
    budget.observe(remaining=100)
    assert budget.available == pytest.approx(100)
    budget.observe(remaining=500)
    assert budget.available == pytest.approx(100)


def test_observe_limit_replaces_a_wrong_preset(clock: ManualClock) -> None:
    budget = Budget("zendesk.core", 700, 60, clock)
    budget.observe(limit=200, remaining=200)
    assert budget.limit == 200
    assert budget.capacity == 200
    assert budget.rate_per_second == pytest.approx(200 / 60)
    for _ in range(200):
        budget.acquire()
    assert budget.acquire() == pytest.approx(60 / 200)


def test_observe_limit_keeps_an_explicit_capacity(clock: ManualClock) -> None:
    budget = Budget("b", 700, 60, clock, capacity=50)
    budget.observe(limit=1000)
    assert budget.capacity == 50


def test_observe_remaining_zero_with_reset_pauses_until_reset(clock: ManualClock) -> None:
    budget = Budget("zendesk.core", 700, 60, clock)
    budget.observe(limit=700, remaining=0, reset_after=26)
    assert budget.paused_for == pytest.approx(26.0)
    assert budget.acquire() == pytest.approx(26.0)
    assert budget.throttled == 0  # the platform's own schedule, not a 429


def test_observe_headers_applies_zendesk_headers(clock: ManualClock) -> None:
    budget = Budget("zendesk.core", 400, 60, clock)
    observation = budget.observe_headers(
        {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "0", "ratelimit-reset": "12"}
    )
    assert observation == RateObservation(limit=700, remaining=0, reset_after=12)
    assert budget.limit == 700
    assert budget.acquire() == pytest.approx(12.0)


def test_observe_headers_pauses_on_retry_after_without_counting_a_throttle(
    clock: ManualClock,
) -> None:
    budget = Budget("freshdesk.core", 700, 60, clock)
    assert budget.observe_headers({"Retry-After": "34"}) is None
    assert budget.paused_for == pytest.approx(34.0)
    assert budget.throttled == 0


def test_observe_headers_applies_salesforce_usage(clock: ManualClock) -> None:
    budget = Budget("salesforce.daily", 100_000, 86_400, clock, stop_at_share=0.5)
    budget.observe_headers({"Sforce-Limit-Info": "api-usage=2400/5000"})
    assert budget.limit == 5000
    assert budget.available == pytest.approx(2600)
    budget.acquire(cost=100)  # 2,500 used: exactly half
    with pytest.raises(QuotaExhausted):
        budget.acquire()


def test_quota_exhausted_at_the_configured_share_of_a_daily_budget(clock: ManualClock) -> None:
    budget = Budget("salesforce.daily", 1000, 86_400, clock, stop_at_share=0.5)
    for _ in range(500):
        budget.acquire()
    with pytest.raises(QuotaExhausted, match=r"salesforce\.daily") as raised:
        budget.acquire()
    assert raised.value.budget == "salesforce.daily"
    assert clock.sleeps == []  # never waits for a daily allowance
    assert budget.calls == 500


def test_daily_quota_recovers_as_the_rolling_window_moves(clock: ManualClock) -> None:
    budget = Budget("salesforce.daily", 86_400, 86_400, clock, stop_at_share=1.0)
    budget.observe(remaining=0)
    with pytest.raises(QuotaExhausted):
        budget.acquire()
    clock.advance(10)
    for _ in range(10):
        budget.acquire()
    with pytest.raises(QuotaExhausted):
        budget.acquire()


def test_a_paused_daily_budget_still_waits_for_the_pause(clock: ManualClock) -> None:
    budget = Budget("salesforce.daily", 1000, 86_400, clock, stop_at_share=0.8)
    budget.pause(5)
    assert budget.acquire() == pytest.approx(5.0)


def test_two_threads_acquiring_from_one_budget_never_overspend(clock: ManualClock) -> None:
    budget = Budget("b", 50, 1, clock)
    start = clock.monotonic()
    barrier = threading.Barrier(4)

    def spend() -> None:
        barrier.wait()
        for _ in range(100):
            budget.acquire()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock.monotonic() - start
    assert budget.calls == 400
    assert budget.spent == 400
    # Never more than a full bucket plus what refilled meanwhile.
    assert budget.spent <= budget.capacity + elapsed * budget.rate_per_second + 1e-6
    assert budget.available >= -1e-6


def test_threads_spend_every_token_exactly_once(clock: ManualClock) -> None:
    budget = Budget("b", 2000, 1e12, clock)  # no refill to speak of

    def spend() -> None:
        for _ in range(1000):
            budget.acquire()

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.sleeps == []
    assert budget.available == pytest.approx(0, abs=1e-3)


class GatedClock(ManualClock):
    """A manual clock whose sleep blocks until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping = threading.Event()
        self.gate = threading.Event()

    def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        assert self.gate.wait(timeout=10)
        super().sleep(seconds)


def test_acquire_sleeps_outside_the_lock() -> None:
    clock = GatedClock()
    budget = Budget("b", 1, 60, clock)
    budget.acquire()
    waiter = threading.Thread(target=budget.acquire)
    waiter.start()
    try:
        assert clock.sleeping.wait(timeout=10)
        # The waiter is asleep; if it held the lock, these would block.
        budget.pause(1)
        assert budget.snapshot()["throttled"] == 1
    finally:
        clock.gate.set()
        waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert budget.calls == 2


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=50),
    capacity_share=st.floats(min_value=0.1, max_value=2.0),
    steps=st.lists(
        st.tuples(st.integers(min_value=1, max_value=5), st.floats(min_value=0, max_value=30)),
        min_size=1,
        max_size=120,
    ),
)
def test_no_window_of_one_period_spends_more_than_limit_plus_capacity(
    limit: int, capacity_share: float, steps: list[tuple[int, float]]
) -> None:
    clock = ManualClock()
    period = 60.0
    capacity = max(5.0, limit * capacity_share)
    budget = Budget("b", limit, period, clock, capacity=capacity)
    spent: list[tuple[float, int]] = []
    for cost, idle in steps:
        clock.advance(idle)
        budget.acquire(cost)
        spent.append((clock.monotonic(), cost))
        assert budget.available >= -1e-6
    for start, _ in spent:
        in_window = sum(c for t, c in spent if start <= t <= start + period)
        assert in_window <= limit + capacity + 1e-6


# --------------------------------------------------------------------------------------------
# Headers


def test_parse_zendesk_headers_case_insensitively() -> None:
    observation = parse_rate_headers(
        {
            "x-rate-limit": "700",
            "X-RATE-LIMIT-REMAINING": "699",
            "RateLimit-Limit": "700",
            "ratelimit-remaining": "650",
            "ratelimit-reset": "26",
        }
    )
    assert observation == RateObservation(limit=700, remaining=650, reset_after=26)


def test_parse_freshdesk_headers_including_the_request_cost() -> None:
    observation = parse_rate_headers(
        {
            "X-Ratelimit-Total": "700",
            "X-Ratelimit-Remaining": "426",
            "X-Ratelimit-Used-CurrentRequest": "3",
            "X-Freshdesk-Api-Version": "latest=v2; requested=v2",
        }
    )
    assert observation == RateObservation(limit=700, remaining=426, cost=3)


def test_parse_salesforce_limit_info_and_ignore_per_app_usage() -> None:
    assert parse_rate_headers({"Sforce-Limit-Info": "api-usage=18/5000"}) == RateObservation(
        limit=5000, remaining=4982
    )
    observation = parse_rate_headers(
        {"sforce-limit-info": "per-app-api-usage=17/250(appName=x); api-usage=18/5000"}
    )
    assert observation == RateObservation(limit=5000, remaining=4982)
    assert parse_rate_headers({"Sforce-Limit-Info": "per-app-api-usage=17/250(appName=x)"}) is None


def test_parse_without_rate_headers_or_with_garbage_gives_none() -> None:
    assert parse_rate_headers({"Content-Type": "application/json"}) is None
    assert parse_rate_headers({"X-Rate-Limit": "lots", "X-Ratelimit-Remaining": ""}) is None


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds({"Retry-After": "34"}) == 34.0
    assert retry_after_seconds({"retry-after": " 1.5 "}) == 1.5
    assert retry_after_seconds({"Retry-After": "-3"}) == 0.0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 10, 21, 7, 27, 0, tzinfo=UTC)
    headers = {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}
    assert retry_after_seconds(headers, now=now) == 60.0
    past = {"Retry-After": "Wed, 21 Oct 2026 07:00:00 GMT"}
    assert retry_after_seconds(past, now=now) == 0.0


def test_retry_after_absent_or_unreadable_gives_none() -> None:
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({"Retry-After": "nan"}) is None


# --------------------------------------------------------------------------------------------
# Presets


@pytest.mark.parametrize(
    ("plan", "core"),
    [
        ("team", 200),
        ("growth", 400),
        ("professional", 400),
        ("enterprise", 700),
        ("enterprise_plus", 2500),
    ],
)
def test_zendesk_plan_presets(clock: ManualClock, plan: str, core: float) -> None:
    budgets = budgets_for(PLATFORMS["zendesk"].plans, plan, clock=clock)
    assert budgets["zendesk.core"].limit == core
    assert budgets["zendesk.export"].limit == 10
    assert budgets["zendesk.ticket_update"].limit == 100
    assert all(budget.period == 60 for budget in budgets.values())


def test_zendesk_high_volume_replaces_the_plan_limit(clock: ManualClock) -> None:
    budgets = budgets_for(PLATFORMS["zendesk"].plans, "enterprise", clock=clock, high_volume=True)
    assert budgets["zendesk.core"].limit == 2500
    assert budgets["zendesk.export"].limit == 30
    assert budgets["zendesk.ticket_update"].limit == 300


def test_zendesk_high_volume_on_a_plan_that_cannot_have_it(clock: ManualClock) -> None:
    with pytest.raises(
        ConfigError,
        match="High Volume add-on needs one of the plans: enterprise, enterprise_plus, growth",
    ):
        budgets_for(PLATFORMS["zendesk"].plans, "team", clock=clock, high_volume=True)


@pytest.mark.parametrize(
    ("plan", "limits"),
    [
        ("growth", (200, 80, 80, 20, 20)),
        ("pro", (400, 160, 160, 100, 100)),
        ("enterprise", (700, 280, 280, 200, 200)),
    ],
)
def test_freshdesk_plan_total_and_endpoint_budgets(
    clock: ManualClock, plan: str, limits: tuple[float, ...]
) -> None:
    budgets = budgets_for(PLATFORMS["freshdesk"].plans, plan, clock=clock)
    keys = ("core", "ticket_create", "ticket_update", "tickets_list", "contacts_list")
    assert tuple(budgets[f"freshdesk.{key}"].limit for key in keys) == limits


def test_freshdesk_trial_has_every_budget_at_the_trial_total(clock: ManualClock) -> None:
    budgets = budgets_for(PLATFORMS["freshdesk"].plans, "trial", clock=clock)
    assert {budget.limit for budget in budgets.values()} == {50}
    assert len(budgets) == 5


@pytest.mark.parametrize(
    ("edition", "licences", "allowance"),
    [
        ("enterprise", 50, 150_000),
        ("professional", 0, 100_000),
        ("unlimited", 50, 350_000),
        ("performance", 10, 150_000),
        ("developer", 3, 15_000),
        ("full_sandbox", 0, 5_000_000),
    ],
)
def test_salesforce_daily_allowance(edition: str, licences: int, allowance: int) -> None:
    assert salesforce_daily_allowance(edition, licences) == allowance


def test_salesforce_daily_allowance_refuses_unknown_edition_and_negative_licences() -> None:
    with pytest.raises(ConfigError, match="valid plans: developer, enterprise"):
        salesforce_daily_allowance("platinum", 5)
    with pytest.raises(ConfigError, match="negative"):
        salesforce_daily_allowance("enterprise", -1)


def test_salesforce_budgets_stop_at_the_daily_share(clock: ManualClock) -> None:
    budgets = budgets_for(
        PLATFORMS["salesforce"].plans, "enterprise", clock=clock, licences=20, daily_quota_share=0.5
    )
    daily = budgets["salesforce.daily"]
    assert (daily.limit, daily.period, daily.stop_at_share) == (120_000, 86_400, 0.5)
    assert budgets.max_long_running == 25
    default = budgets_for(PLATFORMS["salesforce"].plans, "developer", clock=clock)
    assert default["salesforce.daily"].stop_at_share == ratelimit.DEFAULT_DAILY_QUOTA_SHARE
    assert default.max_long_running == 5


def test_memory_budget_is_generous_but_real(clock: ManualClock) -> None:
    budgets = budgets_for(PLATFORMS["memory"].plans, "default", clock=clock)
    assert budgets["memory.core"].limit == 1_000_000
    assert budgets.max_long_running is None


def test_unknown_plan_lists_the_valid_plans(clock: ManualClock) -> None:
    with pytest.raises(ConfigError) as raised:
        budgets_for(PLATFORMS["zendesk"].plans, "platinum", clock=clock)
    assert str(raised.value) == (
        "unknown zendesk plan 'platinum'; valid plans: "
        "enterprise, enterprise_plus, essential, growth, professional, team"
    )


@pytest.mark.parametrize(
    ("platform", "plan", "options", "message"),
    [
        ("freshdesk", "pro", {"high_volume": True}, "valid: none"),
        ("zendesk", "enterprise", {"licences": 3}, "valid: high_volume"),
        ("zendesk", "enterprise", {"high_volume": "yes"}, "true or false"),
        ("salesforce", "enterprise", {"licences": -1}, "whole number"),
        ("salesforce", "enterprise", {"daily_quota_share": 0}, r"\(0, 1\]"),
    ],
)
def test_bad_options_are_config_errors(
    clock: ManualClock, platform: str, plan: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        budgets_for(PLATFORMS[platform].plans, plan, clock=clock, **options)


def test_prefix_keeps_two_instances_apart_under_the_same_keys(clock: ManualClock) -> None:
    emea = budgets_for(PLATFORMS["zendesk"].plans, "enterprise", clock=clock, prefix="emea")
    apac = budgets_for(PLATFORMS["zendesk"].plans, "team", clock=clock, prefix="apac")
    assert list(emea) == list(apac) == ["zendesk.core", "zendesk.export", "zendesk.ticket_update"]
    assert emea["zendesk.core"].name == "emea.zendesk.core"
    assert emea.get("emea.zendesk.core") is None
    emea["zendesk.core"].acquire()
    assert emea.snapshot()["emea.zendesk.core"]["calls"] == 1
    assert apac.snapshot()["apac.zendesk.core"]["calls"] == 0
    unprefixed = budgets_for(PLATFORMS["zendesk"].plans, "enterprise", clock=clock)
    assert unprefixed["zendesk.core"].name == "zendesk.core"


def test_a_prefix_with_a_dot_or_space_is_refused(clock: ManualClock) -> None:
    with pytest.raises(ConfigError, match="prefix"):
        budgets_for(PLATFORMS["zendesk"].plans, "enterprise", clock=clock, prefix="emea.eu")


def test_snapshot_reports_the_counters(clock: ManualClock) -> None:
    budgets = budgets_for(PLATFORMS["freshdesk"].plans, "growth", clock=clock)
    budgets["freshdesk.tickets_list"].acquire(cost=3)
    budgets["freshdesk.tickets_list"].pause(34)
    snapshot = budgets.snapshot()
    assert snapshot["freshdesk.tickets_list"] == {
        "limit": 20,
        "period": 60,
        "rate_per_second": pytest.approx(20 / 60),
        "calls": 1,
        "spent": 3,
        "waited": 0,
        "throttled": 1,
    }
    assert set(snapshot) == set(budgets)


def test_lower_bound_is_the_slowest_budget(clock: ManualClock) -> None:
    budgets = budgets_for(PLATFORMS["zendesk"].plans, "enterprise", clock=clock)
    # 7,700 core calls: 700 at once, 7,000 at 700/min = 600 s; 120 exports: 110 at 10/min.
    assert budgets.lower_bound({"zendesk.core": 7_700, "zendesk.export": 120}) == pytest.approx(
        660.0
    )
    assert budgets.lower_bound({}) == 0


# --------------------------------------------------------------------------------------------
# Retry policy


def test_retries_429_honoring_retry_after_and_pausing_the_budget(clock: ManualClock) -> None:
    core = Budget("zendesk.core", 700, 60, clock)
    call, attempts = failing(
        RateLimited("429", budget="zendesk.core", retry_after=30),
        RateLimited("429", budget="zendesk.core", retry_after=45),
    )
    policy = RetryPolicy(clock, random=Random(1))
    assert policy.call(call, budgets=[core], what="GET tickets") == "ok"
    assert attempts[0] == 3
    assert clock.sleeps == [30.0, 45.0]  # the budget's own pause adds no second wait
    assert core.throttled == 2
    assert core.calls == 3


def test_a_429_pauses_only_the_budget_it_names(clock: ManualClock) -> None:
    core = Budget("zendesk.core", 700, 60, clock)
    export = Budget("zendesk.export", 10, 60, clock)
    call, _ = failing(RateLimited("429", budget="zendesk.core", retry_after=30))
    with pytest.raises(RateLimited):
        RetryPolicy(clock, max_attempts=1).call(call, budgets=[core, export])
    assert core.paused_for == pytest.approx(30.0)
    assert export.paused_for == 0
    assert export.acquire() == 0
    assert (core.throttled, export.throttled) == (1, 0)


class WatchedClock(ManualClock):
    """A manual clock that notes how long each budget is paused when someone goes to sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.watched: list[Budget] = []
        self.paused_at_sleep: list[list[float]] = []

    def sleep(self, seconds: float) -> None:
        self.paused_at_sleep.append([budget.paused_for for budget in self.watched])
        super().sleep(seconds)


def test_a_429_without_retry_after_pauses_the_budget_by_the_backoff() -> None:
    clock = WatchedClock()
    daily = Budget("salesforce.daily", 100_000, 86_400, clock, stop_at_share=0.9)
    bulk = Budget("salesforce.bulk_records", 1_000_000, 86_400, clock)
    clock.watched = [daily, bulk]
    policy = RetryPolicy(clock, initial=4.0, jitter=0.0)
    call, _ = failing(RateLimited("REQUEST_LIMIT_EXCEEDED", budget="salesforce.daily"))
    assert policy.call(call, budgets=[daily, bulk]) == "ok"
    assert clock.sleeps == [4.0]
    assert clock.paused_at_sleep == [[4.0, 0.0]]
    assert (daily.throttled, bulk.throttled) == (1, 0)


def test_retry_after_longer_than_the_cap_still_wins(clock: ManualClock) -> None:
    call, _ = failing(RateLimited("429", budget="b", retry_after=300))
    RetryPolicy(clock, maximum=120).call(call)
    assert clock.sleeps == [300.0]


def test_transient_errors_retry_with_capped_jittered_backoff(clock: ManualClock) -> None:
    errors: list[BaseException] = [
        TransientError("HTTP 503"),
        requests.ConnectionError("connection reset"),
        requests.Timeout("read timed out"),
        TransientError("HTTP 502"),
        requests.ConnectionError("connection reset"),
        TransientError("HTTP 500"),
        RateLimited("429", budget="b", retry_after=3),
    ]
    call, attempts = failing(*errors)
    policy = RetryPolicy(clock, max_attempts=8, initial=1.0, maximum=5.0, jitter=1.0)
    assert policy.call(call) == "ok"
    assert attempts[0] == 8
    assert len(clock.sleeps) == 7
    for attempt, slept in enumerate(clock.sleeps, start=1):
        assert min(5.0, 2.0 ** (attempt - 1)) <= slept <= 5.0
    assert clock.sleeps[-1] >= 3.0


def test_backoff_jitter_spreads_waits_within_the_jitter(clock: ManualClock) -> None:
    policy = RetryPolicy(clock, initial=2.0, jitter=1.0, random=Random(11))
    waits = [policy.backoff(2) for _ in range(50)]
    assert all(4.0 <= wait <= 5.0 for wait in waits)
    assert len(set(waits)) == 50
    assert {RetryPolicy(clock, jitter=0.0).backoff(3) for _ in range(5)} == {4.0}


def test_backoff_is_reproducible_with_a_seeded_random(clock: ManualClock) -> None:
    first = [RetryPolicy(clock, random=Random(7)).backoff(n) for n in range(1, 10)]
    second = [RetryPolicy(clock, random=Random(7)).backoff(n) for n in range(1, 10)]
    assert first == second
    assert max(first) == 120.0
    assert RetryPolicy(clock, jitter=0.0).backoff(500) == 120.0


def test_gives_up_after_max_attempts_reraising_the_original_error(clock: ManualClock) -> None:
    error = TransientError("HTTP 503")
    attempts = [0]

    def call() -> str:
        attempts[0] += 1
        raise error

    with pytest.raises(TransientError) as raised:
        RetryPolicy(clock, max_attempts=4).call(call)
    assert raised.value is error
    assert attempts[0] == 4
    assert len(clock.sleeps) == 3


def test_giving_up_on_a_429_still_counts_and_honours_it(clock: ManualClock) -> None:
    budget = Budget("b", 700, 60, clock)
    call, _ = failing(*[RateLimited("429", budget="b", retry_after=10)] * 3)
    with pytest.raises(RateLimited):
        RetryPolicy(clock, max_attempts=3).call(call, budgets=[budget])
    assert budget.throttled == 3
    assert budget.paused_for == pytest.approx(10.0)


@pytest.mark.parametrize(
    "error",
    [
        RecordError("title too long"),
        QuotaExhausted("daily share used", budget="salesforce.daily"),
        ConfigError("bad plan"),
        ValueError("a bug"),
    ],
)
def test_errors_that_are_not_transient_are_never_retried(
    clock: ManualClock, error: Exception
) -> None:
    call, attempts = failing(error)
    with pytest.raises(type(error)) as raised:
        RetryPolicy(clock).call(call)
    assert raised.value is error
    assert attempts[0] == 1
    assert clock.sleeps == []


def test_an_exhausted_budget_stops_before_the_call(clock: ManualClock) -> None:
    daily = Budget("salesforce.daily", 10, 86_400, clock, stop_at_share=0.5)
    call, attempts = failing()
    policy = RetryPolicy(clock)
    for _ in range(5):
        policy.call(call, budgets=[daily])
    with pytest.raises(QuotaExhausted):
        policy.call(call, budgets=[daily])
    assert attempts[0] == 5


def test_each_attempt_spends_from_every_named_budget(clock: ManualClock) -> None:
    core = Budget("freshdesk.core", 700, 60, clock)
    listing = Budget("freshdesk.tickets_list", 200, 60, clock)
    call, _ = failing(TransientError("HTTP 503"))
    RetryPolicy(clock).call(call, budgets=[core, listing], cost=3)
    assert (core.calls, core.spent) == (2, 6)
    assert (listing.calls, listing.spent) == (2, 6)


def test_every_wait_is_logged_without_secrets(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    call, _ = failing(
        RateLimited("429", budget="zendesk.core", retry_after=30),
        requests.ConnectionError("https://acme.zendesk.com/api?token=SECRET"),
        TransientError("HTTP 503 from tickets"),
    )
    with caplog.at_level(logging.WARNING, logger="cemigrate.ratelimit"):
        RetryPolicy(clock, max_attempts=5).call(call, what="GET /api/v2/tickets")
    waits = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(waits) == len(clock.sleeps) == 3
    assert all(r.levelno == logging.WARNING for r in waits)
    assert all(r.getMessage().startswith("GET /api/v2/tickets: attempt ") for r in waits)
    assert "attempt 1 of 5 failed (RateLimited on zendesk.core, Retry-After 30 s)" in (
        waits[0].getMessage()
    )
    assert "retrying in 30.00 s" in waits[0].getMessage()
    assert "attempt 2 of 5 failed (ConnectionError)" in waits[1].getMessage()
    assert "TransientError: HTTP 503 from tickets" in waits[2].getMessage()
    assert "SECRET" not in caplog.text


def test_giving_up_is_logged(clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    call, _ = failing(TransientError("HTTP 503"), TransientError("HTTP 503"))
    with (
        caplog.at_level(logging.WARNING, logger="cemigrate.ratelimit"),
        pytest.raises(TransientError),
    ):
        RetryPolicy(clock, max_attempts=2).call(call, what="POST tickets")
    assert "POST tickets: giving up after 2 attempts (TransientError: HTTP 503)" in caplog.text


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"initial": -1.0}, {"initial": 10.0, "maximum": 5.0}, {"jitter": -1}],
)
def test_nonsense_retry_settings_are_refused(clock: ManualClock, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"max_attempts|backoff"):
        RetryPolicy(clock, **kwargs)


def test_one_policy_serves_two_threads(clock: ManualClock) -> None:
    budget = Budget("b", 1000, 60, clock)
    policy = RetryPolicy(clock, random=Random(3))
    results: list[str] = []

    def work(name: str) -> None:
        for _ in range(50):
            call, _ = failing(TransientError("HTTP 503"), result=name)
            results.append(policy.call(call, budgets=[budget]))

    threads = [threading.Thread(target=work, args=(name,)) for name in ("reader", "writer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["reader"] * 50 + ["writer"] * 50
    assert budget.calls == 200
