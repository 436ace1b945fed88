"""The demo: a generated exchange help desk moved from one emulated platform into another (or
into a second account of the same one: a consolidation), then reconciled.

Steps: seed the source account, dry run (the fidelity plan: what carries over exactly, with a
change, or not at all), migrate, reconcile, and leave everything under the output folder: the
plan file (``cemigrate status`` reads its ledger), the ledger, ``dryrun.json``/``dryrun.md``
and ``report/report.html``.

Both accounts are in-process emulators sharing one simulated clock, so the demo runs in
seconds and can still say how long the same calls would take against real rate limits: the
budgets wait on that clock exactly as they would wait on a real one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import requests

from cemigrate.adapters import Source, Target, registry
from cemigrate.adapters.platform import AdapterSettings, Platform
from cemigrate.copier import Migration, RunReport
from cemigrate.copier.fidelity import FidelityPlan
from cemigrate.copier.watch import Recording
from cemigrate.errors import ConfigError
from cemigrate.ledger import Ledger
from cemigrate.mapping import RecordMapping, load_mapping, shipped_mapping
from cemigrate.ratelimit import Clock, ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import describe, generate
from cemigrate.sandbox.registry import EMULATORS
from cemigrate.sandbox.web import SandboxAccount
from cemigrate.schema import Kind

__all__ = [
    "DEFAULT_SOURCE",
    "DEFAULT_TARGET",
    "PLATFORMS",
    "DemoResult",
    "demo_pair",
    "fidelity_summary",
    "run_demo",
]

PLATFORMS = tuple(EMULATORS)
"""The platforms the demo can emulate, as source or as target."""
DEFAULT_SOURCE, DEFAULT_TARGET = "zendesk", "salesforce"

_INSTANCE = "exchange"
"""The source's instance name (part of every ledger key)."""

_MARK = "# Written by `cemigrate demo`"
"""How a demo's plan file begins: the folder is the demo's to empty."""
_HEADER = """\
# Written by `cemigrate demo`: {source} "exchange" -> {target}. Both accounts were in-process
# emulators; this plan records the run (`cemigrate status` reads its ledger). Against real
# accounts, replace the base_url lines with the accounts' addresses and set the variables.
ledger = "ledger.sqlite"
"""


@attrs.frozen(kw_only=True)
class DemoResult:
    """What the demo did and where it left its files."""

    source: str
    """The source platform."""
    target: str
    """The target platform (the same as ``source``: a consolidation of two instances)."""
    report: RunReport
    summary: dict[str, object]
    """The generated help desk's figures (counts, channel shares, median times)."""
    fidelity: FidelityPlan
    """The dry run's plan: what would carry over exactly, with a change, or not at all."""
    dryrun: Path
    """``dryrun.md``, the fidelity plan as a person reads it (``dryrun.json`` beside it)."""
    api_minutes: float
    """Simulated minutes the run's calls need under the accounts' rate limits."""
    journal_rows: int
    plan: Path
    ledger: Path
    findings: int
    """What reconciliation found (0: the target holds what the source held)."""
    reconciliation: ReconcileReport
    """The reconciliation's report (its summary, the findings kept)."""
    report_html: Path
    """The reconciliation report a manager signs (``cemigrate signoff``)."""


def _session(account: SandboxAccount[Any]) -> requests.Session:
    """A session reaching ``account`` in process. It ignores proxy settings in the environment:
    nothing leaves the process, and reading them costs ``requests`` a scan of every variable
    on each call (a fifth of the demo's time with a long environment)."""
    session = account.session(authenticated=False)
    session.trust_env = False
    return session


@attrs.frozen
class _Side:
    """One emulated account and its adapters, built as a plan naming it would build them."""

    account: SandboxAccount[Any]
    clock: Clock
    base_dir: Path

    @property
    def platform(self) -> Platform:
        return registry.platform(self.account.platform)

    def settings(self, name: str) -> AdapterSettings:
        """The plan's settings for the account (its :meth:`SandboxAccount.plan_section`)
        with its credentials, reaching it in process."""
        return AdapterSettings(
            name=name,
            options={"base_url": self.account.base_url},
            credentials=self.account.credentials(),
            base_dir=self.base_dir,
            clock=self.clock,
            session=_session(self.account),
        )

    def source(self, instance: str) -> Source:
        """A source adapter reading the account as the named instance."""
        return _built(self.platform.build_source, self.settings(instance))

    def target(self) -> Target:
        return _built(self.platform.build_target, self.settings("target"))

    def view(self) -> Source:
        """The account read back as a source (what reconciliation compares with)."""
        return _built(self.platform.build_target_view, self.settings("target"))


_T = TypeVar("_T")


def _built(build: Callable[[AdapterSettings], _T] | None, settings: AdapterSettings) -> _T:
    assert build is not None, "every emulated platform has a source, a target and a view"
    return build(settings)


def demo_pair(source: str, target: str) -> str:
    """What the demo moves: ``an emulated zendesk account into an emulated salesforce org``."""

    def noun(name: str) -> str:
        return f"{name} {EMULATORS[name].noun}"

    if source == target:
        return f"two emulated {noun(source)}s (a consolidation)"
    return f"an emulated {noun(source)} into an emulated {noun(target)}"


def fidelity_summary(plan: FidelityPlan, *, shown: int = 4) -> str:
    """A few lines of the fidelity plan: how many records of each kind carry over exactly, with
    a change (and the commonest changes), or not at all (and why); the fewest hours."""

    def tally(field: str) -> str:
        parts = [
            f"{kind} {getattr(k, field):,}" for kind, k in plan.kinds.items() if getattr(k, field)
        ]
        return ", ".join(parts) or "none"

    lines = [
        "fidelity plan (dry run, nothing written): "
        + (
            f"{plan.lost:,} record(s) would not carry over without a declared policy"
            if plan.lost
            else "every record carries over, exactly or under a declared policy"
        ),
        f"  exactly:       {tally('exactly')}",
        f"  with a change: {tally('changed')}",
    ]
    notes = sorted(plan.notes, key=lambda n: -n.count)
    lines += [f"    {n.kind}: {n.what} ({n.count:,})" for n in notes[:shown]]
    if len(notes) > shown:
        lines.append(f"    ... {len(notes) - shown} more kinds of change")
    lines.append(f"  not carried:   {tally('not_carried')}")
    problems = sorted(plan.report.problems, key=lambda p: -p.count)
    lines += [f"    {p.kind}: {p.reason} ({p.count:,})" for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"    ... {len(problems) - shown} more reasons")
    skipped = [f"{kind} {k.skipped:,}" for kind, k in plan.kinds.items() if k.skipped]
    if skipped:
        lines.append(f"    skipped by a named policy: {', '.join(skipped)}")
    hours = float(plan.estimate.get("hours", 0.0))
    lasts = (
        f"at least {hours:.1f} h"
        if hours >= 1
        else f"at least {hours * 60:.0f} min"
        if hours * 60 >= 1
        else "under a minute"
    )
    lines.append(f"  the run against real accounts' rate limits: {lasts}")
    return "\n".join(lines)


def _empty(out: Path) -> None:
    """Create ``out``, or empty it when an earlier demo wrote it; refuse any other folder
    that holds something (``--out .`` must not delete a project)."""
    if out.exists():
        written = out / "plan.toml"
        ours = written.is_file() and written.read_text("utf-8").startswith(_MARK)
        if not out.is_dir() or (any(out.iterdir()) and not ours):
            raise ConfigError(
                f"demo: {out} is not empty and not an earlier demo's folder; choose another --out"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)


def _close(*adapters: Source | Target) -> None:
    """Close adapters (those that hold files release them)."""
    for adapter in adapters:
        adapter.close()


def _plan_text(source: SandboxAccount[Any], target: SandboxAccount[Any], mapping: str) -> str:
    lines = [_HEADER.format(source=source.platform, target=target.platform).rstrip("\n")]
    lines.append(f'mapping = "{mapping}"  # beside this file: edit it and rerun')
    lines += ["", "[[source]]", f'name = "{_INSTANCE}"', f'platform = "{source.platform}"']
    lines += [f'{key} = "{value}"' for key, value in source.plan_section().items()]
    lines += ["", "[target]", f'platform = "{target.platform}"']
    lines += [f'{key} = "{value}"' for key, value in target.plan_section().items()]
    return "\n".join(lines) + "\n"


def run_demo(
    out: Path,
    *,
    source: str = DEFAULT_SOURCE,
    target: str = DEFAULT_TARGET,
    tickets: int = 2000,
    seed: int = 7,
    progress: bool | None = None,
    on_seeded: Callable[[dict[str, object]], None] | None = None,
    on_dry_run: Callable[[FidelityPlan, Path], None] | None = None,
    on_migrated: Callable[[RunReport], None] | None = None,
) -> DemoResult:
    """Seed an emulated ``source`` account with the generated help desk, dry run, migrate it
    into an emulated ``target`` account, reconcile; everything goes under ``out`` (emptied
    first). ``on_seeded`` is called with the desk's figures once the accounts exist, and
    ``on_dry_run`` with the fidelity plan and ``dryrun.md`` before the migration starts, and
    ``on_migrated`` with the run's report before reconciliation starts (the command line
    prints them)."""
    for side, platform in (("source", source), ("target", target)):
        if platform not in PLATFORMS:
            raise ConfigError(
                f"demo: {side} {platform!r} is not a platform (choose one of:"
                f" {', '.join(PLATFORMS)})"
            )
    if tickets < 1:
        raise ConfigError(f"demo: --tickets must be 1 or more, not {tickets}")
    _empty(out)
    clock = ManualClock()
    common = {"seed": seed, "instance": _INSTANCE, "clock": clock}
    old_account = EMULATORS[source].named(_INSTANCE, tickets=tickets, empty=False, **common)
    new_account = EMULATORS[target].named("new", tickets=0, empty=True, **common)
    old, new = _Side(old_account, clock, out), _Side(new_account, clock, out)
    desk = old_account.seeded_desk() or generate(tickets=tickets, seed=seed, instance=_INSTANCE)
    new_account.add_seats(desk)
    summary = describe(desk)
    if on_seeded is not None:
        on_seeded(summary)
    clock.advance(120)  # Zendesk leaves the last minute of changes out of its exports
    # The pair's shipped mapping, copied beside the plan so the user can edit and rerun it.
    mapping_file = out / f"{source}-to-{target}.toml"
    shutil.copyfile(shipped_mapping(source, target), mapping_file)
    mapping: RecordMapping = load_mapping(mapping_file)
    plan = out / "plan.toml"
    plan.write_text(_plan_text(old_account, new_account, mapping_file.name), "utf-8")
    ledger_path = out / "ledger.sqlite"

    def migration(
        ledger: Ledger, *, show: bool | None, recording: Recording | None = None
    ) -> tuple[Migration, Target]:
        writer = new.target()
        return Migration(
            sources=[old.source(_INSTANCE)],
            target=writer,
            ledger=ledger,
            mapping=mapping,
            progress=show,
            recording=recording,
        ), writer

    with Ledger.open(ledger_path) as ledger:
        dry, dry_target = migration(ledger, show=False)
        try:
            fidelity = dry.dry_run()
        finally:
            _close(*dry.sources, dry_target)
        _, dryrun_md = fidelity.write(out)
        if on_dry_run is not None:
            on_dry_run(fidelity, dryrun_md)
        # Someone reads the plan before saying go; the export windows it spent reset meanwhile.
        clock.advance(120)
        # What the dry run read is what `cemigrate status --watch` counts down from.
        read = {Kind(kind): tally.read for kind, tally in fidelity.report.kinds.items()}
        real, writer = migration(ledger, show=progress, recording=Recording(totals=read))
        started = clock.monotonic()
        report = real.run()
        api_minutes = (clock.monotonic() - started) / 60
        rows = ledger.verify_journal()
        if on_migrated is not None:
            on_migrated(report)
        clock.advance(120)  # the target's exports, too, leave out the last minute
        _close(*real.sources)
        reconciliation = Reconciliation(
            sources=[old.source(_INSTANCE)],
            target_view=new.view(),
            ledger=ledger,
            mapping=mapping,
            target=writer,
        )
        try:
            reconciled = reconciliation.run()
        finally:
            _close(*reconciliation.sources, reconciliation.target_view, writer)
        written = reconciled.write(out / "report")
    return DemoResult(
        source=source,
        target=target,
        report=report,
        summary=summary,
        fidelity=fidelity,
        dryrun=dryrun_md,
        api_minutes=api_minutes,
        journal_rows=rows,
        plan=plan,
        ledger=ledger_path,
        findings=int(reconciled.content["summary"]["findings"]),
        reconciliation=reconciled,
        report_html=written["report.html"],
    )
