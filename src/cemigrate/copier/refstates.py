"""One ledger query per target batch for the records it refers to.

Before a batch is written the copier asks the ledger twice about what its records name: which
of them it holds at all (the late references, fetched by id when it holds nothing) and, once
those are written, their states and target ids (the links). :class:`RefStates` asks once, for
every key the batch names, and answers the second question from the first answer unless the
ledger recorded anything in between (a late reference written, a record skipped or matched):
then it asks again, so the links are what the ledger holds when the batch is sent, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from cemigrate.ledger import EntryState, Ledger

__all__ = ["RefStates"]

_States = dict[str, tuple[EntryState, str | None]]


class RefStates:
    """The ledger's ``key → (state, target id)`` of what the batch being prepared refers to."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._keys: frozenset[str] = frozenset()
        self._answer: _States | None = None
        self._seq = -1

    def expect(self, keys: Iterable[str]) -> None:
        """The keys the next batch names (its links); forgets the previous batch's answer."""
        self._keys = frozenset(keys)
        self._answer = None

    def held(self, keys: Sequence[str]) -> _States:
        """The states of those of ``keys`` the ledger holds; asks about every expected key at
        once."""
        if not self._keys.issuperset(keys):
            return self._ledger.states(keys)
        self._seq = self._ledger.journal_seq  # before the query: a write meanwhile asks again
        self._answer = answer = self._ledger.states(sorted(self._keys))
        return {key: answer[key] for key in keys if key in answer}

    def states(self, keys: Sequence[str], own: Collection[str]) -> _States:
        """The states of ``keys`` now: the earlier answer if nothing was recorded since and
        none of them is among ``own`` (the batch's keys, just marked pending), else a query."""
        answer, self._answer = self._answer, None
        if (
            answer is None
            or self._seq != self._ledger.journal_seq
            or not self._keys.issuperset(keys)
            or any(key in own for key in keys)
        ):
            return self._ledger.states(keys)
        return {key: answer[key] for key in keys if key in answer}
