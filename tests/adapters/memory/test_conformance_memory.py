"""The reference adapters pass the conformance suite every adapter pair must pass."""

from cemigrate.testing import conformance_suite
from cemigrate.testing.memory import MemoryPair

TestMemoryPair = conformance_suite(MemoryPair(batch_size=10))
