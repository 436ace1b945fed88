"""Platform adapters: one package per platform, all behind the contract in :mod:`.contract`."""

from cemigrate.adapters.contract import (
    Batch,
    Capability,
    Change,
    FileSource,
    Metadata,
    Needs,
    Outgoing,
    RuleSwitch,
    SlaHistory,
    SlaHistorySource,
    Source,
    Target,
    WriteResult,
)

__all__ = [
    "Batch",
    "Capability",
    "Change",
    "FileSource",
    "Metadata",
    "Needs",
    "Outgoing",
    "RuleSwitch",
    "SlaHistory",
    "SlaHistorySource",
    "Source",
    "Target",
    "WriteResult",
]
