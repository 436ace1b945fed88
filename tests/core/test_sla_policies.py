"""SLA policies: translated per priority and metric, created inactive, adopted on a re-run,
switched on by activation; what a target cannot express is listed with the original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.freshdesk import convert as freshdesk_convert
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.rules import FRESHDESK_PLACEHOLDER_SECONDS
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.rule_dialects import dialect_of, rule_dialect
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk import convert as zendesk_convert
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.rules import SLA_INACTIVE_TAG, ZENDESK_INACTIVE_GUARD
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.ratelimit import ManualClock
from cemigrate.rules.sla import (
    sla_refs,
    sla_report,
    translate_sla,
)
from cemigrate.rules.translate import EVERY_LINK, TranslationStatus
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import (
    Kind,
    Priority,
    Ref,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    SourceKey,
)

ZENDESK = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
FRESHDESK_KEY = "sandbox-api-key"
NO_FILES: Any = None

PRIORITIES = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def zendesk_policy(
    metrics: list[dict[str, Any]],
    *,
    all_of: list[dict[str, Any]] | None = None,
    any_of: list[dict[str, Any]] | None = None,
    title: str = "Gold customers",
) -> SlaPolicy:
    """A policy as the Zendesk source reads it."""
    return zendesk_convert.sla_policy(
        {
            "id": 360001,
            "title": title,
            "description": "Gold tier",
            "position": 1,
            "filter": {"all": all_of or [], "any": any_of or []},
            "policy_metrics": metrics,
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": "2024-01-02T03:04:05Z",
        }
    )


def freshdesk_policy(**overrides: Any) -> SlaPolicy:
    """A policy as the Freshdesk source reads it."""
    data: dict[str, Any] = {
        "id": 77,
        "name": "Enterprise accounts",
        "description": "Contract SLA",
        "active": True,
        "is_default": False,
        "position": 2,
        "sla_target": {
            "priority_4": {
                "respond_within": 1800,
                "next_respond_within": 3600,
                "resolve_within": 14400,
                "business_hours": False,
                "escalation_enabled": True,
            },
            "priority_3": {
                "respond_within": 3600,
                "resolve_within": 28800,
                "business_hours": True,
                "escalation_enabled": False,
            },
            "priority_2": {
                "respond_within": 7200,
                "resolve_within": 86400,
                "business_hours": True,
                "escalation_enabled": False,
            },
            "priority_1": {
                "respond_within": 14400,
                "resolve_within": 172800,
                "business_hours": True,
                "escalation_enabled": False,
            },
        },
        "applicable_to": {"company_ids": [501], "group_ids": [601, 602]},
        "escalation": {"response": {"escalation_time": 0, "agent_ids": [-1]}},
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02T03:04:05Z",
    }
    data.update(overrides)
    return freshdesk_convert.sla_policy(data)


def metric(priority: str, name: str, minutes: int, business: bool = True) -> dict[str, Any]:
    return {"priority": priority, "metric": name, "target": minutes, "business_hours": business}


# --- translation per pair ------------------------------------------------------------------


def test_zendesk_to_freshdesk_keeps_each_priority_and_lists_what_freshdesk_lacks() -> None:
    policy = zendesk_policy(
        [
            metric("urgent", "first_reply_time", 30, business=False),
            metric("urgent", "next_reply_time", 60, business=False),
            metric("urgent", "total_resolution_time", 240, business=False),
            metric("high", "first_reply_time", 120),
            metric("high", "resolution_time", 960),
            metric("urgent", "requester_wait_time", 480, business=False),
        ],
        all_of=[{"field": "group_id", "operator": "is", "value": 11}],
        any_of=[
            {"field": "organization_id", "operator": "is", "value": 21},
            {"field": "organization_id", "operator": "is", "value": 22},
        ],
    )
    links = {
        Ref(kind=Kind.GROUP, id="11"): "9011",
        Ref(kind=Kind.ORGANIZATION, id="21"): "9021",
        Ref(kind=Kind.ORGANIZATION, id="22"): "9022",
    }

    done = translate_sla(
        policy, source=rule_dialect("zendesk"), target=rule_dialect("freshdesk"), links=links
    )

    assert done.status is TranslationStatus.PARTIAL
    assert done.payload["active"] is False
    targets = done.payload["sla_target"]
    assert targets["priority_4"] == {
        "respond_within": 1800,
        "next_respond_within": 3600,
        "resolve_within": 14400,
        "business_hours": False,
        "escalation_enabled": False,
    }
    assert targets["priority_3"]["respond_within"] == 7200
    assert targets["priority_3"]["resolve_within"] == 960 * 60
    assert done.payload["applicable_to"] == {"group_ids": [9011], "company_ids": [9021, 9022]}
    reasons = {g.original: g.reason for g in done.gaps}
    assert reasons["urgent requester_wait_time 480 min (calendar hours)"] == (
        "Freshdesk SLA policies have no requester wait time target"
    )
    # Freshdesk needs both targets for all four priorities: the absent ones are placeholders
    assert targets["priority_1"]["respond_within"] == FRESHDESK_PLACEHOLDER_SECONDS
    assert "low first_reply_time: none" in reasons


def test_freshdesk_to_zendesk_writes_a_guarded_filter_and_every_target() -> None:
    policy = freshdesk_policy()
    links = {
        Ref(kind=Kind.ORGANIZATION, id="501"): "7501",
        Ref(kind=Kind.GROUP, id="601"): "7601",
        Ref(kind=Kind.GROUP, id="602"): "7602",
    }

    done = translate_sla(
        policy, source=rule_dialect("freshdesk"), target=rule_dialect("zendesk"), links=links
    )

    assert done.payload["filter"] == {
        "all": [
            dict(ZENDESK_INACTIVE_GUARD),
            {"field": "organization_id", "operator": "is", "value": "7501"},
        ],
        "any": [
            {"field": "group_id", "operator": "is", "value": "7601"},
            {"field": "group_id", "operator": "is", "value": "7602"},
        ],
    }
    metrics = {(m["priority"], m["metric"]): m for m in done.payload["policy_metrics"]}
    assert metrics[("urgent", "first_reply_time")] == {
        "priority": "urgent",
        "metric": "first_reply_time",
        "target": 30,
        "business_hours": False,
    }
    assert metrics[("urgent", "next_reply_time")]["target"] == 60
    assert metrics[("low", "total_resolution_time")]["target"] == 172800 // 60
    assert len(metrics) == 9  # 4 priorities x (first reply, resolution) + urgent's next reply
    # Zendesk policies do not escalate: said so, with the original escalation
    assert [g.part for g in done.gaps] == ["escalation"]
    assert "priority_4" in done.gaps[0].original
    assert done.status is TranslationStatus.PARTIAL


def test_zendesk_to_zendesk_keeps_pausable_updates_and_remaps_ids() -> None:
    policy = zendesk_policy(
        [
            metric("normal", "pausable_update_time", 90),
            metric("normal", "agent_work_time", 300),
            metric("low", "periodic_update_time", 600, business=False),
        ],
        all_of=[
            {"field": "group_id", "operator": "is", "value": 11},
            {"field": "current_tags", "operator": "includes", "value": "vip"},
        ],
    )

    done = translate_sla(
        policy,
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        links={Ref(kind=Kind.GROUP, id="11"): "42"},
    )

    assert done.status is TranslationStatus.TRANSLATED
    assert done.payload["filter"]["all"] == [
        dict(ZENDESK_INACTIVE_GUARD),
        {"field": "group_id", "operator": "is", "value": "42"},
        {"field": "current_tags", "operator": "includes", "value": "vip"},
    ]
    assert sorted(
        (m["priority"], m["metric"], m["target"]) for m in done.payload["policy_metrics"]
    ) == [
        ("low", "periodic_update_time", 600),
        ("normal", "agent_work_time", 300),
        ("normal", "pausable_update_time", 90),
    ]


def test_a_group_not_in_the_target_is_a_gap_naming_it() -> None:
    policy = zendesk_policy(
        [metric("high", "first_reply_time", 60)],
        all_of=[{"field": "group_id", "operator": "is", "value": 11}],
    )

    done = translate_sla(
        policy,
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        links={Ref(kind=Kind.USER, id="1"): "2"},
    )

    assert done.status is TranslationStatus.PARTIAL
    assert [(g.part, g.original) for g in done.gaps] == [("filter", 'group_id is "11"')]
    assert "group 11 is not in the target" in done.gaps[0].reason
    assert sla_refs(policy, dialect_of(policy)) == [Ref(kind=Kind.GROUP, id="11")]


def test_priorities_go_through_the_mappings_value_table() -> None:
    policy = zendesk_policy(
        [metric("normal", "first_reply_time", 60), metric("low", "first_reply_time", 600)]
    )

    done = translate_sla(
        policy,
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        mapping={"priority": {"normal": "high"}},
    )

    assert {(m["priority"], m["target"]) for m in done.payload["policy_metrics"]} == {
        ("high", 60),
        ("low", 600),
    }


def test_a_policy_freshdesk_cannot_scope_is_untranslated_with_its_reason_and_original(
    tmp_path: Path,
) -> None:
    everyone = zendesk_policy([metric("high", "first_reply_time", 60)], title="Everyone")
    tagged = zendesk_policy(
        [metric("high", "first_reply_time", 60)],
        all_of=[{"field": "current_tags", "operator": "includes", "value": "vip"}],
        title="VIP",
    )

    report = sla_report(
        [everyone, tagged], source=rule_dialect("zendesk"), target=rule_dialect("freshdesk")
    )
    json_path, md_path = report.write(tmp_path)

    first, second = report.translations
    assert first.status is TranslationStatus.UNTRANSLATED
    assert "only the default policy does" in first.reason
    assert second.status is TranslationStatus.UNTRANSLATED
    assert "current_tags includes" in second.gaps[0].reason
    data = json.loads(json_path.read_text())
    assert data["counts"] == {"translated": 0, "partial": 0, "untranslated": 2}
    assert data["active"] is False
    assert data["policies"][1]["original"]["filter"]["all"][0]["value"] == "vip"
    markdown = md_path.read_text()
    assert "## VIP (SLA policy 360001): untranslated" in markdown
    assert '"value": "vip"' in markdown  # the original is printed, never dropped


def test_salesforce_writes_an_inactive_entitlement_process_and_lists_what_it_cannot_say() -> None:
    policy = freshdesk_policy()

    done = translate_sla(
        policy,
        source=rule_dialect("freshdesk"),
        target=rule_dialect("salesforce"),
        links=EVERY_LINK,
    )
    target = SalesforceTarget(
        instance_url="https://example.my.salesforce.com",
        credentials=SalesforceCredentials(access_token="unused"),
    )

    assert done.status is TranslationStatus.PARTIAL
    assert target.declines(Kind.SLA_POLICY, policy) == ""
    assert done.payload["active"] is False
    assert done.payload["SObjectType"] == "Case"
    milestones = done.payload["milestones"]
    assert isinstance(milestones, list)
    assert len(milestones) == 9  # respond and resolve for 4 priorities, next reply for urgent
    reasons = " ".join(g.reason for g in done.gaps)
    assert "entitlements are assigned per account or contact" in reasons  # company_ids
    assert "calendar hours" in reasons  # priority_4 is not business hours
    assert any(g.part == "escalation" for g in done.gaps)


def test_freshdesks_default_policy_is_not_copied_over_another_freshdesk_default() -> None:
    policy = freshdesk_policy(is_default=True, applicable_to={})

    done = translate_sla(policy, source=rule_dialect("freshdesk"), target=rule_dialect("freshdesk"))

    assert done.status is TranslationStatus.UNTRANSLATED
    assert "cannot_update_default_sla" in done.reason


# --- the Zendesk target on the emulator ----------------------------------------------------


def zendesk_account() -> tuple[ZendeskSandbox, ManualClock]:
    clock = ManualClock()
    return ZendeskSandbox(tickets=0, seed=4, instance="t", clock=clock, empty=True), clock


def zendesk_target(account: ZendeskSandbox, clock: ManualClock) -> ZendeskTarget:
    return ZendeskTarget(
        base_url=account.base_url,
        credentials=ZENDESK,
        session=account.session(authenticated=False),
        clock=clock,
    )


def read_zendesk_policies(account: ZendeskSandbox, clock: ManualClock) -> list[SlaPolicy]:
    view = ZendeskSource(
        instance="view",
        base_url=account.base_url,
        credentials=ZENDESK,
        session=account.session(authenticated=False),
        clock=clock,
    )
    found = [r for batch in view.read(Kind.SLA_POLICY) for r in batch.records]
    assert all(isinstance(r, SlaPolicy) for r in found)
    return found  # type: ignore[return-value]


def outgoing(policy: SlaPolicy, links: dict[Ref, str] | None = None) -> Outgoing:
    key = SourceKey("src", Kind.SLA_POLICY, policy.id)
    return Outgoing(key=key, record=policy, links=links or {})


def test_zendesk_target_creates_inactive_policies_with_every_target_and_adopts_on_rerun() -> None:
    account, clock = zendesk_account()
    policy = freshdesk_policy(applicable_to={})

    first = zendesk_target(account, clock).write(Kind.SLA_POLICY, [outgoing(policy)], NO_FILES)
    again = zendesk_target(account, clock).write(Kind.SLA_POLICY, [outgoing(policy)], NO_FILES)

    assert first[0].target_id is not None
    assert first[0].target_id.startswith("sla_policies/")
    assert again[0].target_id == first[0].target_id
    (stored,) = read_zendesk_policies(account, clock)
    assert stored.title == "Enterprise accounts"
    assert stored.active is False  # the guard: it applies to no ticket
    assert stored.raw["filter"]["all"] == [dict(ZENDESK_INACTIVE_GUARD)]
    kept = {(t.priority, t.metric): (t.minutes, t.business_hours) for t in stored.targets}
    assert kept == {(t.priority, t.metric): (t.minutes, t.business_hours) for t in policy.targets}


def test_activation_removes_the_zendesk_guard_and_nothing_else() -> None:
    account, clock = zendesk_account()
    target = zendesk_target(account, clock)
    policy = zendesk_policy(
        [metric("urgent", "first_reply_time", 15)],
        all_of=[{"field": "current_tags", "operator": "includes", "value": "vip"}],
    )
    (written,) = target.write(Kind.SLA_POLICY, [outgoing(policy)], NO_FILES)
    assert written.target_id is not None

    before = target._sla_policy_states([written.target_id, "sla_policies/1"])
    switched = target._activate_sla_policies([written.target_id])
    after = target._sla_policy_states([written.target_id])

    assert before == {written.target_id: False}  # an unknown id is absent
    assert switched == {written.target_id: ""}
    assert after == {written.target_id: True}
    (stored,) = read_zendesk_policies(account, clock)
    assert stored.active is True
    assert stored.raw["filter"]["all"] == [
        {"field": "current_tags", "operator": "includes", "value": "vip"}
    ]


def test_the_zendesk_emulator_refuses_an_unknown_metric_as_zendesk_does() -> None:
    account, _ = zendesk_account()
    session = account.session()
    body = {
        "sla_policy": {
            "title": "Bad",
            "filter": {"all": [], "any": []},
            "policy_metrics": [metric("critical", "reply_time", 10)],
        }
    }

    answer = session.post(f"{account.base_url}/api/v2/slas/policies.json", json=body)

    assert answer.status_code == 422
    details = answer.json()["details"]["policy_metrics"]
    assert [d["description"] for d in details] == [
        "Priority: 'critical' is not a valid priority",
        "Metric: 'reply_time' is not a valid metric",
    ]


# --- the Freshdesk target on the emulator --------------------------------------------------


def freshdesk_account() -> tuple[FreshdeskSandbox, ManualClock]:
    clock = ManualClock()
    account = FreshdeskSandbox(
        api_key=FRESHDESK_KEY, tickets=0, seed=4, instance="t", clock=clock, empty=True
    )
    return account, clock


def freshdesk_target(account: FreshdeskSandbox, clock: ManualClock) -> FreshdeskTarget:
    return FreshdeskTarget(
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=FRESHDESK_KEY),
        session=account.session(authenticated=False),
        clock=clock,
    )


def freshdesk_group(account: FreshdeskSandbox, name: str) -> str:
    answer = account.session().post(f"{account.base_url}/api/v2/groups", json={"name": name})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def read_freshdesk_policies(account: FreshdeskSandbox, clock: ManualClock) -> list[SlaPolicy]:
    view = FreshdeskSource(
        instance="view",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=FRESHDESK_KEY),
        session=account.session(authenticated=False),
        clock=clock,
    )
    return [r for batch in view.read(Kind.SLA_POLICY) for r in batch.records]  # type: ignore[misc]


def test_freshdesk_target_keeps_targets_per_priority_inactive_and_adopts_on_rerun() -> None:
    account, clock = freshdesk_account()
    group = freshdesk_group(account, "Tier 2")
    policy = zendesk_policy(
        [
            metric(p, name, minutes, business=False)
            for p, base in (("low", 480), ("normal", 240), ("high", 120), ("urgent", 30))
            for name, minutes in (
                ("first_reply_time", base),
                ("next_reply_time", base * 2),
                ("total_resolution_time", base * 8),
            )
        ],
        all_of=[{"field": "group_id", "operator": "is", "value": 11}],
    )
    links = {Ref(kind=Kind.GROUP, id="11"): group}

    first = freshdesk_target(account, clock).write(
        Kind.SLA_POLICY, [outgoing(policy, links)], NO_FILES
    )
    again = freshdesk_target(account, clock).write(
        Kind.SLA_POLICY, [outgoing(policy, links)], NO_FILES
    )

    assert not first[0].error, first[0].platform_message
    assert first[0].target_id is not None
    assert first[0].target_id.startswith("sla_policies/")
    assert again[0].target_id == first[0].target_id
    (stored,) = [p for p in read_freshdesk_policies(account, clock) if p.title == policy.title]
    assert stored.active is False
    assert stored.raw["applicable_to"] == {"group_ids": [int(group)]}
    kept = {(t.priority, t.metric): (t.minutes, t.business_hours) for t in stored.targets}
    assert kept == {
        (t.priority, SlaMetric(t.metric)): (t.minutes, t.business_hours) for t in policy.targets
    }


def test_freshdesk_activation_sets_the_active_flag() -> None:
    account, clock = freshdesk_account()
    group = freshdesk_group(account, "Tier 1")
    target = freshdesk_target(account, clock)
    policy = freshdesk_policy(applicable_to={"group_ids": [601]}, escalation={})
    (written,) = target.write(
        Kind.SLA_POLICY, [outgoing(policy, {Ref(kind=Kind.GROUP, id="601"): group})], NO_FILES
    )
    assert written.target_id is not None

    before = target._sla_policy_states([written.target_id])
    switched = target._activate_sla_policies([written.target_id])
    after = target._sla_policy_states([written.target_id])

    assert (before, switched, after) == (
        {written.target_id: False},
        {written.target_id: ""},
        {written.target_id: True},
    )


def test_a_policy_freshdesk_refuses_is_a_failure_row_with_its_message() -> None:
    account, clock = freshdesk_account()
    policy = freshdesk_policy(applicable_to={"group_ids": [601]}, escalation={})
    missing_group = {Ref(kind=Kind.GROUP, id="601"): "999999"}

    (result,) = freshdesk_target(account, clock).write(
        Kind.SLA_POLICY, [outgoing(policy, missing_group)], NO_FILES
    )

    assert result.target_id is None
    assert result.platform_message is not None
    assert "There are no records matching the ids: '999999'" in result.platform_message


def test_an_untranslatable_policy_is_skipped_under_its_named_policy() -> None:
    account, clock = freshdesk_account()
    target = freshdesk_target(account, clock)
    policy = zendesk_policy([metric("high", "requester_wait_time", 60)])

    (result,) = target.write(Kind.SLA_POLICY, [outgoing(policy)], NO_FILES)

    assert result.skipped.startswith("untranslatable-sla-policy: ")
    assert result.skipped == target.declines(Kind.SLA_POLICY, policy)  # the dry run agrees
    assert read_freshdesk_policies(account, clock) == []


# --- round trip ----------------------------------------------------------------------------

_COMMON = (SlaMetric.FIRST_REPLY_TIME, SlaMetric.NEXT_REPLY_TIME, SlaMetric.RESOLUTION_TIME)


@st.composite
def zendesk_policies(draw: st.DrawFn) -> SlaPolicy:
    """Zendesk policies over both platforms' common metrics and some only Zendesk has."""
    targets = []
    for priority in PRIORITIES:
        business = draw(st.booleans())
        for name in (*_COMMON, SlaMetric.REQUESTER_WAIT_TIME, SlaMetric.AGENT_WORK_TIME):
            if draw(st.booleans()):
                targets.append(
                    SlaTarget(
                        priority=priority,
                        metric=name,
                        minutes=draw(st.integers(min_value=1, max_value=60 * 24 * 60)),
                        business_hours=business if name in _COMMON else draw(st.booleans()),
                    )
                )
    group = draw(st.integers(min_value=1, max_value=10**9))
    return zendesk_policy(
        [
            metric(
                str(t.priority),
                "total_resolution_time" if t.metric is SlaMetric.RESOLUTION_TIME else str(t.metric),
                t.minutes,
                t.business_hours,
            )
            for t in targets
        ],
        all_of=[{"field": "group_id", "operator": "is", "value": group}],
    )


@settings(max_examples=150, deadline=None)
@given(zendesk_policies())
def test_zendesk_to_freshdesk_to_zendesk_keeps_the_targets_both_platforms_express(
    policy: SlaPolicy,
) -> None:
    there = translate_sla(
        policy, source=rule_dialect("zendesk"), target=rule_dialect("freshdesk"), links=_EVERY_GROUP
    )
    if there.status is TranslationStatus.UNTRANSLATED:
        assert not any(t.metric in _COMMON for t in policy.targets)
        return
    stored = freshdesk_convert.sla_policy({**there.payload, "id": 5})
    back = translate_sla(
        stored, source=rule_dialect("freshdesk"), target=rule_dialect("zendesk"), links=_EVERY_GROUP
    )
    returned = zendesk_convert.sla_policy({**back.payload, "id": 6})

    expressible = {
        (t.priority, t.metric, t.minutes, t.business_hours)
        for t in policy.targets
        if t.metric in _COMMON and t.minutes >= 15
    }
    came_back = {(t.priority, t.metric, t.minutes, t.business_hours) for t in returned.targets}
    assert expressible <= came_back
    # whatever was not kept exactly is listed on the way there
    listed = {g.original for g in there.gaps}
    for t in policy.targets:
        if (t.priority, t.metric, t.minutes, t.business_hours) not in came_back:
            assert f"{t.priority} {t.metric} {t.minutes} min" in " ".join(listed)
    assert returned.active is False
    ((group,),) = [[c["value"] for c in policy.raw["filter"]["all"]]]
    assert returned.raw["filter"]["all"][1:] == [
        {"field": "group_id", "operator": "is", "value": str(group)}
    ]


class _Groups(dict[Ref, str]):
    """Every group linked to itself (the round trip's two accounts share ids)."""

    def __missing__(self, ref: Ref) -> str:
        return ref.id

    def get(self, ref: Ref, default: Any = None) -> Any:  # type: ignore[override]
        return ref.id if ref.kind is Kind.GROUP else default

    def __bool__(self) -> bool:
        return True


_EVERY_GROUP = _Groups()


def test_the_inactive_tag_is_one_no_ticket_of_the_dataset_carries() -> None:
    from cemigrate.sandbox.dataset import generate

    desk = generate(tickets=200, seed=2)
    assert not any(SLA_INACTIVE_TAG in t.tags for t in desk.tickets)


@pytest.mark.parametrize("source", ["zendesk", "freshdesk"])
def test_every_translation_is_inactive(source: str) -> None:
    policy = (
        zendesk_policy([metric("high", "first_reply_time", 60)])
        if source == "zendesk"
        else freshdesk_policy()
    )
    links = {r: r.id for r in sla_refs(policy, dialect_of(policy))}
    for target in ("zendesk", "freshdesk"):
        done = translate_sla(
            policy, source=rule_dialect(source), target=rule_dialect(target), links=links
        )
        if done.status is TranslationStatus.UNTRANSLATED:
            continue
        if target == "freshdesk":
            assert done.payload["active"] is False
        else:
            assert done.payload["filter"]["all"][0] == dict(ZENDESK_INACTIVE_GUARD)
