"""The Salesforce pair passes the conformance suite every adapter pair must pass."""

from cemigrate.testing import conformance_suite
from cemigrate.testing.salesforce import SalesforcePair

SEED = 11

TestSalesforcePair = conformance_suite(SalesforcePair(seed=SEED), seed=SEED)
