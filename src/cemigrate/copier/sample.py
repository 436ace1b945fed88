"""A dry run over a sample of tickets chosen to include the awkward ones.

A dry run over millions of tickets reads them all, which on a rate-limited source takes as
long as the migration's reading. ``--sample N`` reads the first ``read_limit(N)`` tickets
instead (the source stops there) and checks the ``N`` most telling of them: the ones with the
most comments, the largest attachments, comments by deleted users and non-ASCII text, then the
first ones read. Records that hang off tickets (SLA events, metrics, ratings) are not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cemigrate.schema import Kind, Record, Ticket

__all__ = ["DEPENDENT_KINDS", "choose", "read_limit"]

DEPENDENT_KINDS = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS, Kind.SATISFACTION_RATING})
"""Kinds a sampled dry run leaves out: each refers to one ticket, mostly not sampled."""


def read_limit(sample: int) -> int:
    """How many tickets a sampled dry run reads to choose ``sample`` from."""
    return max(10 * sample, 1000)


def _largest_file(ticket: Ticket) -> int:
    return max((a.size for c in ticket.comments for a in c.attachments), default=0)


def _non_ascii(ticket: Ticket) -> bool:
    texts = [ticket.subject, *(c.body_plain for c in ticket.comments)]
    return any(not text.isascii() for text in texts)


def choose(tickets: Sequence[Record], sample: int, deleted_users: Iterable[str]) -> list[Record]:
    """``sample`` tickets: a quarter each by most comments, largest file, deleted authors and
    non-ASCII text, the rest in reading order; deterministic, each ticket once."""
    pool = [t for t in tickets if isinstance(t, Ticket)]
    gone = set(deleted_users)
    quarter = max(1, sample // 4)
    picks: dict[str, Ticket] = {}

    def take(candidates: Iterable[Ticket], count: int) -> None:
        for ticket in candidates:
            if count <= 0 or len(picks) >= sample:
                return
            if ticket.id not in picks:
                picks[ticket.id] = ticket
                count -= 1

    take(sorted(pool, key=lambda t: (-len(t.comments), t.id)), quarter)
    take(sorted(pool, key=lambda t: (-_largest_file(t), t.id)), quarter)
    take(
        (t for t in pool if any(c.author is not None and c.author.id in gone for c in t.comments)),
        quarter,
    )
    take((t for t in pool if _non_ascii(t)), quarter)
    take(pool, sample)
    order = {t.id: i for i, t in enumerate(pool)}
    return sorted(picks.values(), key=lambda t: order[t.id])
