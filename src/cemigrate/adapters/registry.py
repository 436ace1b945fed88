"""Which platforms exist: the list of their descriptors.

Each platform's folder exports its :class:`~cemigrate.adapters.platform.Platform` as
``PLATFORM``; adding a platform is one more line here. The plan loader validates a plan against
these descriptors, so a typo in a plan names its line before anything runs; the plan builds the
adapters from them, reconciliation reads their target profiles and read costs.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from cemigrate.adapters.freshdesk.platform import PLATFORM as FRESHDESK
from cemigrate.adapters.memory.platform import PLATFORM as MEMORY
from cemigrate.adapters.platform import AdapterSettings, Platform, ReadPage
from cemigrate.adapters.profile import TargetProfile
from cemigrate.adapters.salesforce.platform import PLATFORM as SALESFORCE
from cemigrate.adapters.zendesk.platform import PLATFORM as ZENDESK

__all__ = ["PLATFORMS", "AdapterSettings", "Platform", "ReadPage", "platform", "profile_for"]

PLATFORMS: Mapping[str, Platform] = {
    descriptor.name: descriptor for descriptor in (MEMORY, ZENDESK, SALESFORCE, FRESHDESK)
}
"""Every platform cemigrate can read from or write to, by the name a plan uses."""


def platform(name: str) -> Platform:
    """The descriptor of ``name``; one without a descriptor (a third party's adapter used
    directly) is costed and compared as plain: 100 a page on its core budget, all native."""
    return PLATFORMS.get(name) or Platform(name=name)


def profile_for(name: str) -> TargetProfile:
    """The target profile of platform ``name`` (everything native where it has none)."""
    own = platform(name).profile
    if own is not None:
        return own
    native = MEMORY.profile
    assert native is not None
    return attrs.evolve(native, platform=name)
