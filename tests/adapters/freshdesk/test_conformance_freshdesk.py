"""The Freshdesk pair passes the conformance suite every adapter pair must pass."""

from cemigrate.testing import conformance_suite
from cemigrate.testing.freshdesk import FreshdeskPair

SEED = 11

TestFreshdeskPair = conformance_suite(FreshdeskPair(seed=SEED), seed=SEED)
