"""Records carried over twice under two instance names, and counts the ledger or the target
hold above what the sources have.

The ledger keys every record ``<instance>:<kind>:<id>``. A source instance renamed in the plan
(the same account under another name) makes every key new, so a run after the rename copies
everything again: the target then holds each record twice, once under each name, and the
ledger says "done" for twice the records the source has. The copier refuses such a run unless
the operator re-points on purpose (:mod:`cemigrate.copier.identity`); reconciliation still
checks, whatever happened:

- :func:`renamed_instances` finds the ledger's instance names that are a plan source's account
  under another name: the ledger's record of the accounts (``accounts``) holds the old name
  with the same address, or no longer holds it because a plan source re-pointed to its
  account took it over (the ledger removes a source's account row then and journals the
  re-point).
- :func:`check` names each record done under both names with two target records
  (``record.duplicate_instance``, critical, both target ids), and per kind the ledger's done
  count above the source's (``count.done_above_source``) and the target's records carrying
  this migration's keys above it (``count.target_above_source``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from cemigrate.adapters.contract import Source
from cemigrate.ledger import EntryState, Ledger
from cemigrate.reconcile.findings import Area, Finding, Findings, Severity
from cemigrate.schema import Kind, SourceKey

__all__ = ["check", "check_comment_keys", "comment_key", "renamed_instances"]

_COMMENT: Final = ":comment:"
"""In a key a target gives a comment's own record (Salesforce's ``EmailMessage``):
``<ticket key>:comment:<comment id>[:part<i>]``."""


def renamed_instances(ledger: Ledger, sources: Sequence[Source]) -> dict[str, str]:
    """The ledger's instance names (not in the plan) that are a plan source under another
    name: old name → the plan's name. Instances of another account are not named."""
    plan = {source.instance: source for source in sources}
    recorded = {a.instance: a.account for a in ledger.accounts() if a.side == "source"}
    addresses = {
        name: source.account_url() or recorded.get(name, "") for name, source in plan.items()
    }
    repointed = [
        row.key.removeprefix("source:")
        for row in ledger.journal()
        if row.kind == "account" and row.action == "repointed" and row.key.startswith("source:")
    ]
    repointed = [name for name in dict.fromkeys(repointed) if name in plan]
    renamed: dict[str, str] = {}
    for instance in _instances(ledger):
        if instance in plan:
            continue
        address = recorded.get(instance)
        if address:
            same = [name for name, at in addresses.items() if at and at == address]
            if len(same) == 1:
                renamed[instance] = same[0]
        elif address is None and recorded and len(repointed) == 1:
            # Its account row is gone: a plan source recorded with the same account took it
            # over (``Ledger.record_accounts``), and only one of them was re-pointed.
            renamed[instance] = repointed[0]
    return renamed


def _instances(ledger: Ledger) -> list[str]:
    """Every instance name the ledger holds entries under (one streamed pass)."""
    seen: dict[str, None] = {}
    for entry in ledger.entries(state=EntryState.DONE):
        seen.setdefault(entry.instance, None)
    return list(seen)


def check(
    ledger: Ledger,
    renamed: Mapping[str, str],
    counts: Mapping[str, Mapping[str, Any]],
    read_kinds: Iterable[str],
    external: Mapping[Kind, Mapping[str, list[str]]],
    instances: Iterable[str],
    findings: Findings,
) -> None:
    """Name records done under a renamed instance's old name and again under its new one,
    and counts above the source's: ``counts`` is the report's counts table (per kind:
    ``source``, ``done``, ``gone_from_source``), ``read_kinds`` the kinds the sources were
    read for, ``external`` the target's records by the source key they carry, ``instances``
    the plan's instance names."""
    for old, new in sorted(renamed.items()):
        _duplicates(ledger, old, new, findings)
    ours = set(instances) | set(renamed)
    read = set(read_kinds)
    for kind_name, row in sorted(counts.items()):
        if kind_name not in read:
            continue
        source, done = int(row.get("source") or 0), int(row.get("done") or 0)
        gone = int(row.get("gone_from_source") or 0)
        if done - gone > source:
            elsewhere = done - gone - source
            why = "".join(
                f"; '{old}' is source '{new}' under a former name"
                for old, new in sorted(renamed.items())
            )
            findings.add(
                Finding(
                    severity=Severity.MAJOR,
                    area=Area.COUNTS,
                    check="count.done_above_source",
                    kind=kind_name,
                    message=f"the ledger says {done} {kind_name} done, the source has {source}"
                    f" ({gone} gone from it since): {elsewhere} more than it holds{why}",
                )
            )
        keyed = _keyed_records(external.get(Kind(kind_name), {}), ours, kind_name)
        if keyed > source:
            findings.add(
                Finding(
                    severity=Severity.MAJOR,
                    area=Area.COUNTS,
                    check="count.target_above_source",
                    kind=kind_name,
                    message=f"the target holds {keyed} {kind_name} records carrying this "
                    f"migration's keys, the source has {source}",
                )
            )


def _keyed_records(by_key: Mapping[str, list[str]], instances: set[str], kind: str) -> int:
    """Distinct target records carrying a key of one of ``instances`` and of ``kind``."""
    held: set[str] = set()
    for external_id, target_ids in by_key.items():
        if ":comment:" in external_id:
            continue  # a comment's own record, noted with its ticket's
        try:
            key = SourceKey.parse(external_id)
        except ValueError:
            continue
        if key.instance in instances and key.kind.value == kind:
            held.update(target_ids)
    return len(held)


def _duplicates(ledger: Ledger, old: str, new: str, findings: Findings) -> None:
    """Records done under both names with different target records: each a critical finding
    naming the source id, both keys and both target ids."""
    entries = list(ledger.entries(state=EntryState.DONE, instance=old))
    for start in range(0, len(entries), 500):
        chunk = entries[start : start + 500]
        again = ledger.lookup([f"{new}:{e.kind}:{e.source_id}" for e in chunk])
        for entry in chunk:
            twin = again.get(f"{new}:{entry.kind}:{entry.source_id}")
            if twin is None or twin.state is not EntryState.DONE or twin.target_id is None:
                continue
            if entry.target_id is None or entry.target_id == twin.target_id:
                continue  # one target record (matched, or merged): nothing written twice
            findings.add(
                Finding(
                    severity=Severity.CRITICAL,
                    area=Area.COUNTS,
                    check="record.duplicate_instance",
                    kind=entry.kind,
                    message=f"{entry.kind} {entry.source_id} was carried over twice: as "
                    f"{twin.key} → {twin.target_id}, and under the instance's former name as "
                    f"{entry.key} → {entry.target_id} (source '{new}' is the account once "
                    f"named '{old}')",
                    source_key=twin.key,
                    source_id=entry.source_id,
                    target_id=entry.target_id,
                )
            )


def comment_key(external_id: str) -> str | None:
    """The ticket key of a comment's key (``old:ticket:40:comment:7`` → ``old:ticket:40``);
    ``None`` for any other key."""
    head, found, _ = external_id.partition(_COMMENT)
    return head if found and head.count(":") >= 2 else None


def check_comment_keys(
    ledger: Ledger,
    by_key: Mapping[str, list[str]],
    instances: Iterable[str],
    findings: Findings,
) -> None:
    """Comments a target keeps as records of their own, reported with the ticket record they
    hang on (``by_key``: comment key → target ticket ids): each must hang on the ticket
    record the ledger maps its ticket to (``comment.elsewhere``, major, else), and its ticket
    must be done (``record.extra``, major, else)."""
    wanted = set(instances)
    tickets: dict[str, list[tuple[str, str]]] = {}
    for external_id, target_ids in by_key.items():
        ticket = comment_key(external_id)
        if ticket is None:
            continue
        try:
            key = SourceKey.parse(ticket)
        except ValueError:
            continue
        if key.instance in wanted and key.kind is Kind.TICKET:
            for target_id in target_ids:
                tickets.setdefault(ticket, []).append((external_id, target_id))
    entries = ledger.lookup(sorted(tickets))
    for ticket, held in sorted(tickets.items()):
        entry = entries.get(ticket)
        source_id = ticket.split(":", 2)[2]
        for external_id, target_id in sorted(set(held)):
            if entry is None or entry.state is not EntryState.DONE:
                check = "record.extra"
                message = (
                    f"a comment record keyed {external_id} hangs on {target_id} in the target,"
                    f" but the ledger does not record {ticket} as carried over"
                )
            elif entry.target_id != target_id:
                check = "comment.elsewhere"
                message = (
                    f"the comment record keyed {external_id} hangs on {target_id};"
                    f" the ledger maps its ticket to {entry.target_id}"
                )
            else:
                continue
            findings.add(
                Finding(
                    severity=Severity.MAJOR,
                    area=Area.COUNTS,
                    check=check,
                    kind=Kind.TICKET.value,
                    message=message,
                    source_key=ticket,
                    source_id=source_id,
                    target_id=target_id,
                )
            )
