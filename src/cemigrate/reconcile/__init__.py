"""Reconciliation: the checks that prove a migration, the report, sign-off and verify.

``Reconciliation(...).run()`` (or ``cemigrate.plan.open_plan(path).reconciliation().run()``)
compares the sources, the target read back and the ledger, and returns a
:class:`ReconcileReport` whose :meth:`~ReconcileReport.write` gives ``report.json``,
``report.md`` and ``report.html``.
:func:`sign_off` binds an approval to the report's digest; :func:`verify` shows any change made
after it.
"""

from cemigrate.adapters.profile import SlaFacts, TargetProfile
from cemigrate.adapters.registry import profile_for
from cemigrate.reconcile.findings import Area, Finding, Severity
from cemigrate.reconcile.report import REPORT_FILES, SCHEMA_VERSION, ReconcileReport
from cemigrate.reconcile.run import Reconciliation
from cemigrate.reconcile.signoff import SIGNOFF_FILE, Verification, sign_off, verify

__all__ = [
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "SIGNOFF_FILE",
    "Area",
    "Finding",
    "ReconcileReport",
    "Reconciliation",
    "Severity",
    "SlaFacts",
    "TargetProfile",
    "Verification",
    "profile_for",
    "sign_off",
    "verify",
]
