"""The Zendesk pair passes the conformance suite every adapter pair must pass."""

from cemigrate.testing import conformance_suite
from cemigrate.testing.zendesk import ZendeskPair

SEED = 11

TestZendeskPair = conformance_suite(ZendeskPair(seed=SEED), seed=SEED)
