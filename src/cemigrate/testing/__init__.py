"""Testing support: the conformance suite every adapter pair passes, and the pytest plugin."""

from cemigrate.testing.conformance import CRASH_POINTS, Crasher, Harness, conformance_suite
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

__all__ = [
    "CRASH_POINTS",
    "AdapterPair",
    "Crasher",
    "Faults",
    "Harness",
    "Snapshot",
    "conformance_suite",
]
