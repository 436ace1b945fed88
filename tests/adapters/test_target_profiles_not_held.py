"""Every target's profile names real attributes: what it keeps and what it does not hold
(each with a reason) never overlap, and what it compares for a matched record is kept."""

from __future__ import annotations

import typing

import attrs
import pytest

from cemigrate.adapters.registry import profile_for
from cemigrate.schema import Kind, Record


def _attributes(kind: Kind) -> set[str]:
    for cls in typing.get_args(Record):
        if cls.KIND is kind:
            return {f.name for f in attrs.fields(cls)}
    raise AssertionError(kind)


@pytest.mark.parametrize("platform", ["salesforce", "zendesk", "freshdesk"])
def test_a_target_keeps_or_explains_real_attributes_never_both(platform: str) -> None:
    profile = profile_for(platform)
    assert profile.not_held, platform
    for kind, reasons in profile.not_held.items():
        assert kind in profile.read_back, (platform, kind)
        assert set(reasons) <= _attributes(kind), (platform, kind)
        assert not set(reasons) & profile.keeps.get(kind, frozenset()), (platform, kind)
        assert all(why.strip() for why in reasons.values()), (platform, kind)
    for kind, names in profile.keeps.items():
        assert names <= _attributes(kind), (platform, kind)
    for kind, names in profile.keeps_matched.items():
        assert names <= profile.keeps.get(kind, frozenset()), (platform, kind)
