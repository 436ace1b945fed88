"""Switch migrated rules on after cutover: ``cemigrate rules activate``.

A migration writes every rule (and SLA policy) **inactive**, so nothing fires on imported
history. Activation is a separate, explicit step: :func:`activate` reads from the ledger which
rules and SLA policies were written, asks the target (a :class:`~cemigrate.adapters.contract.
RuleSwitch`) which of them are active now, switches on those still off and records each switch
in the ledger's journal, in a run of its own (mode ``activate``): one row per rule, action
``activated`` (or ``activation_refused``), with the rule's ledger key and target id, in the
same hash chain as the migration's rows. No rule body, title or credential is stored.

:func:`activated_ids` reads those rows back: the target ids an activation switched on.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.adapters.contract import Source, Target
from cemigrate.errors import ConfigError, Interrupted
from cemigrate.ledger import Entry, EntryState, Ledger
from cemigrate.schema import JsonValue, Kind, Ref, SourceKey
from cemigrate.textfile import write_text

__all__ = [
    "ACTIVATED",
    "ACTIVATE_MODE",
    "REFUSED",
    "ActivationReport",
    "ActivationRow",
    "Result",
    "activate",
    "activated_ids",
    "describe_rules",
]

ACTIVATE_MODE: Final = "activate"
"""The ledger run mode of an activation."""
ACTIVATED: Final = "activated"
"""The journal action of a rule an activation switched on."""
REFUSED: Final = "activation_refused"
"""The journal action of a rule the target refused to switch on (the report has its message)."""

_log = logging.getLogger(__name__)

#: The kinds an activation switches on.
KINDS: Final = (Kind.RULE, Kind.SLA_POLICY)
_KIND_VALUES: Final = frozenset(str(k) for k in KINDS)
#: Outcomes after which a key's target record may be another one than the one switched on.
_WRITES: Final = frozenset({"created", "updated", "found", "matched"})


def activated_ids(ledger: Ledger) -> set[str]:
    """The target ids of the rules and SLA policies an activation switched on.

    Read from the journal's ``activated`` rows; a rule written again afterwards under another
    target id (re-created by a later run) no longer counts, since what it names now is new and
    inactive.
    """
    by_key: dict[str, str] = {}
    for row in ledger.journal():
        if row.kind not in _KIND_VALUES or row.target_id is None:
            continue
        if row.action == ACTIVATED:
            by_key[row.key] = row.target_id
        elif row.action in _WRITES and by_key.get(row.key, row.target_id) != row.target_id:
            del by_key[row.key]
    return set(by_key.values())


class Result(enum.StrEnum):
    """What an activation did with one rule."""

    ACTIVATED = "activated"
    """Switched on, and read back active."""
    ALREADY_ACTIVE = "already active"
    """Active before the step (switched on earlier, or by a person)."""
    WOULD_ACTIVATE = "would activate"
    """Inactive, and a dry run: nothing was changed."""
    REFUSED = "refused"
    """The target refused (the message is its own), or does not hold the rule any more."""
    NOT_WRITTEN = "not written"
    """The migration did not write it (skipped by a policy, or failed): nothing to switch on."""
    HELD_BEFORE = "the target's own"
    """The target held it before the migration (the run matched it by its title): left as it
    is, unless ``only`` names it."""


@attrs.frozen(kw_only=True)
class ActivationRow:
    """One rule or SLA policy in an activation report."""

    key: str
    """The ledger key, ``<instance>:<kind>:<source id>``."""
    kind: str
    """``rule`` or ``sla_policy``."""
    source_id: str
    title: str
    """The source's title, when the source was read ("" otherwise)."""
    target_id: str | None
    before: bool | None
    """Active before the step; ``None`` when the target does not hold it."""
    after: bool | None
    """Active after the step, read back from the target."""
    result: Result
    message: str = ""
    """The platform's message for a refusal, or the policy a rule was skipped under."""

    def as_json(self) -> dict[str, JsonValue]:
        """The row as JSON."""
        return {
            "key": self.key,
            "kind": self.kind,
            "source_id": self.source_id,
            "title": self.title,
            "target_id": self.target_id,
            "before": self.before,
            "after": self.after,
            "result": str(self.result),
            "message": self.message,
        }


@attrs.frozen(kw_only=True)
class ActivationReport:
    """What ``cemigrate rules activate`` found and did, rule by rule."""

    target: str
    """The target platform."""
    dry_run: bool
    rows: tuple[ActivationRow, ...]
    run_id: int | None = None
    """The ledger run that recorded the step (``None`` for a dry run)."""

    @property
    def counts(self) -> dict[str, int]:
        """Rows per result (every result present)."""
        out = {str(r): 0 for r in Result}
        for row in self.rows:
            out[str(row.result)] += 1
        return out

    @property
    def ok(self) -> bool:
        """True when every written, selected rule is active now (a dry run: can be switched
        on). Rules the migration did not write do not count against it."""
        return all(row.result is not Result.REFUSED for row in self.rows)

    def as_json(self) -> dict[str, JsonValue]:
        """The report as JSON (``version`` 1)."""
        return {
            "version": 1,
            "target": self.target,
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "ok": self.ok,
            "counts": dict(self.counts),
            "rules": [row.as_json() for row in self.rows],
        }

    def table(self, limit: int = 40) -> str:
        """A short plain-text table: one line per rule (the first ``limit``), then the counts."""
        lines = [f"{'result':<15} {'target id':<28} {'before':<7} {'after':<7} title / message"]
        for row in self.rows[:limit]:
            text = " / ".join(part for part in (row.title or row.key, row.message) if part)
            lines.append(
                f"{row.result:<15} {row.target_id or '-':<28} {_state(row.before):<7}"
                f" {_state(row.after):<7} {text}"
            )
        if len(self.rows) > limit:
            lines.append(f"... and {len(self.rows) - limit} more (see activation.md)")
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        lines.append(f"{'dry run: ' if self.dry_run else ''}{counts or 'no rules in the ledger'}")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report as Markdown."""
        title = "Rule activation (dry run)" if self.dry_run else "Rule activation"
        lines = [f"# {title}: {self.target}", ""]
        if self.run_id is not None:
            lines += [f"Recorded in the ledger as run {self.run_id} (mode `{ACTIVATE_MODE}`).", ""]
        lines += [
            "| " + " | ".join(Result) + " |",
            "|" + "---|" * len(Result),
            "| " + " | ".join(str(n) for n in self.counts.values()) + " |",
            "",
            "| result | key | title | target id | before | after | message |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            cells = (
                str(row.result),
                f"`{row.key}`",
                row.title,
                f"`{row.target_id}`" if row.target_id else "",
                _state(row.before),
                _state(row.after),
                row.message,
            )
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"

    def write(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``activation.json`` and ``activation.md`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        as_json, as_md = out / "activation.json", out / "activation.md"
        text = json.dumps(self.as_json(), indent=2, sort_keys=True) + "\n"
        write_text(as_json, text, what="the activation report")
        write_text(as_md, self.markdown(), what="the activation report")
        return {"activation.json": as_json, "activation.md": as_md}


def _state(active: bool | None) -> str:
    return "-" if active is None else "on" if active else "off"


def describe_rules(
    sources: Iterable[Source], target: Target | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Read the sources' rules and SLA policies: titles by ledger key, and the policy under
    which ``target`` does not take each one (for rules the ledger has as skipped: the ledger
    keeps no reasons)."""
    titles: dict[str, str] = {}
    policies: dict[str, str] = {}
    for source in sources:
        for kind in KINDS:
            for batch in source.read(kind):
                for record in batch.records:
                    key = str(SourceKey.of(source.instance, Ref(kind=kind, id=record.id)))
                    titles[key] = str(getattr(record, "title", "") or "")
                    policy = target.declines(kind, record) if target is not None else ""
                    if policy:
                        policies[key] = policy
    return titles, policies


def activate(
    target: Target,
    ledger: Ledger,
    *,
    only: Collection[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    titles: Mapping[str, str] | None = None,
    policies: Mapping[str, str] | None = None,
    plan_digest: str = "",
    stop: threading.Event | None = None,
) -> ActivationReport:
    """Switch on the rules and SLA policies a migration wrote, after cutover.

    From a plan, :meth:`cemigrate.plan.Plan.activate` builds the target, opens the ledger and
    reads the sources for ``titles`` and skip ``policies``. The rules are those the ledger has
    as done (kinds ``rule`` and ``sla_policy``, with a target id); their state is read from
    the target; those still off are switched on and read back (but a rule the target held
    before the migration, matched by the run, only when ``only`` names it), and each switch is
    recorded in the ledger's journal (a run of mode ``activate``). ``only``: just the rules
    named by source id, ledger key, target id or title. ``dry_run``: read and report, change
    nothing. ``force``: go ahead although the last migration run did not complete. ``stop``: once
    set, no switching starts (:class:`~cemigrate.errors.Interrupted`); switching under way
    finishes and is recorded (it is one step).

    Raises ConfigError for a target that cannot switch rules on, an unfinished migration (without
    ``force``), or an ``only`` that names no rule.
    """
    rules = target.rule_switch()
    if rules is None:
        raise ConfigError(
            f"the {target.platform} target cannot switch rules on: cemigrate has no activation"
            " for it"
        )
    _check_cutover(ledger, force=force)
    titles = titles or {}
    policies = policies or {}
    entries = [e for kind in KINDS for e in ledger.entries(kind=str(kind))]
    selected = _select(entries, only, titles)
    # A rule the target held before the migration is the account's own: switching it on is
    # its owner's call, so it is only switched on when ``only`` names it.
    held = set() if only else _held_before(ledger)
    done = [e for e in selected if e.state is EntryState.DONE and e.target_id]
    written = [e for e in done if e.key not in held]
    ids = [e.target_id for e in done if e.target_id]
    before = dict(rules.rule_states(ids)) if ids else {}
    switch = [e.target_id for e in written if e.target_id and before.get(e.target_id) is not True]
    messages: dict[str, str] = {}
    after = before
    run_id: int | None = None
    if stop is not None and stop.is_set():
        raise Interrupted("asked to stop before switching rules on")
    if switch and not dry_run:
        # An activation killed half way left its run open: what it switched on is read back
        # from the target now, so that run ended interrupted.
        for stale in ledger.runs():
            if stale.mode == ACTIVATE_MODE and stale.status == "running":
                ledger.finish_run(stale.id, "interrupted")
        run_id = ledger.start_run(ACTIVATE_MODE, plan_digest)
        status = "failed"
        try:
            answered = False
            try:
                messages = dict(rules.activate_rules(switch))
                answered = True
            finally:
                # Read back even when the calls stopped half way, so what did change is recorded.
                after = {**before, **rules.rule_states(switch)}
                _record(ledger, run_id, written, switch, messages, after, answered=answered)
            status = "completed"
        finally:
            ledger.finish_run(run_id, status)
    rows = [
        _row(e, titles, policies, before, after, messages, switch, held, dry_run=dry_run)
        for e in selected
    ]
    return ActivationReport(
        target=target.platform, dry_run=dry_run, rows=tuple(rows), run_id=run_id
    )


def _held_before(ledger: Ledger) -> set[str]:
    """Keys of rules and SLA policies whose last write the journal records as ``matched``
    and that no run created: the target held them before the migration (a rule a run created
    and a later run found again, a delta's, stays the migration's)."""
    last: dict[str, str] = {}
    created: set[str] = set()
    for row in ledger.journal():
        if row.kind in _KIND_VALUES and row.action in _WRITES:
            last[row.key] = row.action
            if row.action in ("created", "found"):
                created.add(row.key)
    return {key for key, action in last.items() if action == "matched" and key not in created}


def _check_cutover(ledger: Ledger, *, force: bool) -> None:
    """Refuse to activate before a migration run completed (the activation's own runs aside)."""
    runs = [r for r in ledger.runs() if r.mode != ACTIVATE_MODE]
    if not runs:
        raise ConfigError(
            f"{ledger.path}: no migration has run yet, so there is nothing to activate"
        )
    last = runs[-1]
    if last.status != "completed" and not force:
        raise ConfigError(
            f"run {last.id} ({last.mode}) is {last.status}, not completed: activate rules after"
            " cutover (finish the run, or pass --force)"
        )


def _select(
    entries: Sequence[Entry], only: Collection[str] | None, titles: Mapping[str, str]
) -> list[Entry]:
    """The entries ``only`` names (all of them without it); a name that matches none is an
    error, so a typo never passes as "nothing to do"."""
    if not only:
        return list(entries)
    wanted = set(only)
    matched: set[str] = set()
    picked = []
    for entry in entries:
        names = {entry.key, entry.source_id, entry.target_id or "", titles.get(entry.key, "")}
        hits = wanted & names
        if hits:
            matched |= hits
            picked.append(entry)
    unknown = sorted(wanted - matched)
    if unknown:
        raise ConfigError(
            f"--only {', '.join(unknown)}: no rule in the ledger has that source id, key,"
            " target id or title"
        )
    return picked


def _record(
    ledger: Ledger,
    run_id: int,
    written: Sequence[Entry],
    switch: Sequence[str],
    messages: Mapping[str, str],
    after: Mapping[str, bool],
    *,
    answered: bool,
) -> None:
    """One journal row per rule the step tried to switch on: ``activated`` when it is on now,
    else ``activation_refused`` (only ids and keys: never a title or a body). When the target
    stopped before it answered, only what is on now is recorded."""
    tried = set(switch)
    events: list[tuple[str, str, str | None, str]] = []
    for entry in written:
        if entry.target_id not in tried:
            continue
        on = after.get(entry.target_id) is True and not messages.get(entry.target_id)
        if not on and not answered:
            continue
        events.append((entry.kind, entry.key, entry.target_id, ACTIVATED if on else REFUSED))
    ledger.record_events(run_id, events)


def _row(
    entry: Entry,
    titles: Mapping[str, str],
    policies: Mapping[str, str],
    before: Mapping[str, bool],
    after: Mapping[str, bool],
    messages: Mapping[str, str],
    switch: Sequence[str],
    held: Collection[str],
    *,
    dry_run: bool,
) -> ActivationRow:
    common: dict[str, Any] = {
        "key": entry.key,
        "kind": entry.kind,
        "source_id": entry.source_id,
        "title": titles.get(entry.key, ""),
        "target_id": entry.target_id,
    }
    target_id = entry.target_id
    if entry.state is not EntryState.DONE or not target_id:
        if entry.state is EntryState.SKIPPED:
            why = policies.get(entry.key) or "skipped by a policy during the migration"
        elif entry.state is EntryState.FAILED:
            why = "the migration could not write it (see cemigrate status --failures)"
        else:
            why = f"the migration left it {entry.state.value}"
        return ActivationRow(
            **common, before=None, after=None, result=Result.NOT_WRITTEN, message=why
        )
    was, now = before.get(target_id), after.get(target_id)
    if entry.key in held:
        return ActivationRow(
            **common,
            before=was,
            after=now,
            result=Result.HELD_BEFORE,
            message="the target held it before the migration: left as it is (name it in"
            " --only to switch it on)",
        )
    if target_id not in switch:
        return ActivationRow(**common, before=was, after=now, result=Result.ALREADY_ACTIVE)
    if dry_run:
        if was is None:
            return ActivationRow(
                **common,
                before=None,
                after=None,
                result=Result.REFUSED,
                message="the target no longer holds it",
            )
        return ActivationRow(**common, before=was, after=was, result=Result.WOULD_ACTIVATE)
    message = messages.get(target_id, "")
    if now is True and not message:
        return ActivationRow(**common, before=was, after=now, result=Result.ACTIVATED)
    if not message:
        message = (
            "the target no longer holds it"
            if now is None
            else "the target accepted the change but still reports it inactive"
        )
    return ActivationRow(**common, before=was, after=now, result=Result.REFUSED, message=message)
