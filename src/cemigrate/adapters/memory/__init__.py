"""In-process source and target: the reference implementation of the adapter contract."""

from cemigrate.adapters.memory.faults import MemoryFaults, SimulatedCrash
from cemigrate.adapters.memory.source import MemorySource
from cemigrate.adapters.memory.store import MemoryStore, StoredRecord
from cemigrate.adapters.memory.target import MemoryTarget
from cemigrate.adapters.memory.view import MemoryTargetView

__all__ = [
    "MemoryFaults",
    "MemorySource",
    "MemoryStore",
    "MemoryTarget",
    "MemoryTargetView",
    "SimulatedCrash",
    "StoredRecord",
]
