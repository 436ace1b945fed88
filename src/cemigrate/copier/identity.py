"""Which accounts a migration's two sides are, checked against its ledger before a run writes.

The ledger keys every record by ``<instance>:<kind>:<id>`` and holds the target ids it wrote.
A source instance renamed in the plan makes every key look new (everything would be copied
again); a plan pointed at another target makes every target id stale. So the ledger records
each side's account (:class:`~cemigrate.ledger.SideAccount`, from the adapters'
``account()``), and a run whose sides differ from it stops with one line
(:func:`check_accounts`) unless the operator re-points on purpose (``--repoint``). A target
that has lost what the ledger wrote there (an emptied or replaced account under the same
address) is noticed by a small sample of ``find`` calls (:func:`check_target_holds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import attrs

from cemigrate.adapters import Source, Target
from cemigrate.errors import ConfigError, RecordError
from cemigrate.ledger import Entry, Ledger, SideAccount
from cemigrate.schema import Kind, SourceKey

__all__ = ["AccountCheck", "check_accounts", "check_target_holds", "sides_of"]

SAMPLE_SIZE: Final = 20
"""Ledger entries a run asks the target for before it writes."""
SAMPLED_KINDS: Final = (Kind.TICKET, Kind.ORGANIZATION)
"""Kinds every target finds by external id (users may be matched to another key's record)."""


def sides_of(sources: Sequence[Source], target: Target) -> list[SideAccount]:
    """The account of each source (by instance name) and of the target, as adapters say."""
    sides = [
        SideAccount(
            side="source", instance=source.instance, platform=source.platform, account=account
        )
        for source in sources
        for account in [source.account_url()]
    ]
    sides.append(
        SideAccount(
            side="target", instance="target", platform=target.platform, account=target.account_url()
        )
    )
    return sides


@attrs.frozen
class AccountCheck:
    """What :func:`check_accounts` found: the sides to record, and those re-pointed."""

    record: tuple[SideAccount, ...]
    """Sides the ledger does not hold as they are (new, or re-pointed)."""
    repointed: tuple[SideAccount, ...]
    """Sides whose account differs from the ledger's, accepted by ``repoint``."""


def check_accounts(
    known: Sequence[SideAccount], wanted: Sequence[SideAccount], *, repoint: bool
) -> AccountCheck:
    """Compare the plan's sides (``wanted``) with what the ledger recorded (``known``).

    A source instance name the ledger does not know whose account it knows under another
    name, a source whose account changed, or another target: :class:`ConfigError` naming
    what changed, unless ``repoint``. A side without an address (an in-memory one) is
    compared by platform only.
    """
    by_side = {(a.side, a.instance): a for a in known}
    known_as = {a.account: a.instance for a in known if a.side == "source" and a.account}
    in_plan = {a.instance for a in wanted if a.side == "source"}
    record: list[SideAccount] = []
    repointed: list[SideAccount] = []
    for side in wanted:
        was = by_side.get((side.side, side.instance))
        problem = ""
        if was is None:
            other = known_as.get(side.account) if side.account else None
            if side.side == "source" and other is not None and other not in in_plan:
                problem = (
                    f"source {side.instance!r} is {side.account}, which this ledger knows as"
                    f" {other!r} (its records are keyed by that name): rename it back, or"
                    " re-point with --repoint"
                )
            record.append(side)
        elif (was.platform, was.account) != (side.platform, side.account):
            if side.side == "target":
                problem = (
                    f"the target is {_address(side)}, but this ledger wrote to {_address(was)}:"
                    " point the plan back at that account, start a new ledger for this one, or"
                    " re-point with --repoint"
                )
            else:
                problem = (
                    f"source {side.instance!r} is {_address(side)}, but this ledger read it from"
                    f" {_address(was)}: check its base_url, or re-point with --repoint"
                )
            record.append(side)
        if problem:
            if not repoint:
                raise ConfigError(problem)
            repointed.append(side)
    return AccountCheck(record=tuple(record), repointed=tuple(repointed))


def _address(side: SideAccount) -> str:
    return f"{side.platform} {side.account}" if side.account else f"{side.platform} (in memory)"


def _missing(target: Target, entries: Sequence[Entry]) -> list[Entry]:
    """Those of ``entries`` the target does not find by their source key (one ``find`` per
    kind). A kind the target cannot look up at all (it lacks the external id field) finds
    nothing."""
    missing: list[Entry] = []
    for kind in SAMPLED_KINDS:
        group = [entry for entry in entries if entry.kind == kind.value]
        if not group:
            continue
        keys = [SourceKey.parse(entry.key) for entry in group]
        try:
            found = target.find(kind, keys)
        except RecordError:
            found = {}
        missing.extend(entry for entry, key in zip(group, keys, strict=True) if key not in found)
    return missing


def check_target_holds(ledger: Ledger, target: Target) -> None:
    """Ask the target for a sample of what the ledger says it wrote there; when most of it
    is missing, :class:`ConfigError` in one line (the target was emptied or replaced, and
    writing on would fail on, or duplicate, every record). Nothing to sample: nothing asked."""
    sample = ledger.sample_done([kind.value for kind in SAMPLED_KINDS], SAMPLE_SIZE)
    if not sample:
        return
    missing = _missing(target, sample)
    if len(missing) * 2 <= len(sample):
        return
    example = missing[0]
    where = target.account_url() or f"({target.platform})"
    raise ConfigError(
        f"the target {where} does not have {len(missing)} of {len(sample)} records this"
        f" ledger wrote there (e.g. {example.key} → {example.target_id}): is it the same"
        " account? Point the plan at the account the ledger wrote to, or start a new ledger"
    )
