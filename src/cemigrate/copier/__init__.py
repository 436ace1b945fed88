"""The engine that moves records: dependency order, the pipelined run loop, batching, progress."""

from cemigrate.copier.report import KindTally, Problem, RunReport
from cemigrate.copier.run import Migration, Mode, Probe, match_key

__all__ = [
    "KindTally",
    "Migration",
    "Mode",
    "Probe",
    "Problem",
    "RunReport",
    "match_key",
]
