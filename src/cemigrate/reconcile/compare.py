"""The per-ticket deep comparison: a source ticket (mapped) against its target ticket.

Comments are paired by position when both sides have as many; otherwise by their time, and
the comments left over are named. A private comment that became public is a data leak
(critical). Files are compared per ticket: count, total bytes and the multiset of SHA-256
digests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypeAlias

from cemigrate.adapters.profile import TargetProfile
from cemigrate.reconcile.facts import CommentFacts, TicketFacts
from cemigrate.reconcile.findings import Area, Finding, Severity

__all__ = ["compare_tickets"]

_Make: TypeAlias = Callable[[Severity, str, str], Finding]


def _pairs(
    source: tuple[CommentFacts, ...], target: tuple[CommentFacts, ...]
) -> tuple[list[tuple[int, CommentFacts, CommentFacts]], list[tuple[int, CommentFacts]], int]:
    """Paired comments (source position, source, target), unpaired source comments, and the
    number of unpaired target comments."""
    if len(source) == len(target):
        return [(i, s, t) for i, (s, t) in enumerate(zip(source, target, strict=True))], [], 0
    by_time: dict[object, list[CommentFacts]] = {}
    for comment in target:
        by_time.setdefault(comment.created_at, []).append(comment)
    pairs, alone = [], []
    for index, comment in enumerate(source):
        same = by_time.get(comment.created_at)
        if same:
            pairs.append((index, comment, same.pop(0)))
        else:
            alone.append((index, comment))
    return pairs, alone, sum(len(rest) for rest in by_time.values())


def compare_tickets(
    source: TicketFacts,
    target: TicketFacts,
    *,
    key: str,
    profile: TargetProfile,
    deep_files: bool,
) -> Iterator[Finding]:
    """Every difference between a mapped source ticket and the ticket read back."""

    def finding(severity: Severity, check: str, message: str) -> Finding:
        return Finding(
            severity=severity,
            area=Area.TICKET,
            check=check,
            kind="ticket",
            message=message,
            source_key=key,
            source_id=source.id,
            target_id=target.id,
        )

    for attribute, severity in (
        ("status", Severity.MAJOR),
        ("priority", Severity.MAJOR),
        ("type", Severity.MINOR),
    ):
        expected = profile.expected_value(attribute, getattr(source, attribute))
        got = getattr(target, attribute)
        if expected != got:
            yield finding(
                severity,
                f"ticket.{attribute}",
                f"{attribute} is {got!r} in the target, {expected!r} expected",
            )
    if source.created_at != target.created_at:
        shift = (target.created_at - source.created_at).total_seconds()
        yield finding(
            Severity.MAJOR,
            "ticket.created_at",
            f"created at {target.created_at.isoformat()} in the target, "
            f"{source.created_at.isoformat()} in the source ({shift:+.0f} s)",
        )
    if source.tags != target.tags:
        lost, added = sorted(source.tags - target.tags), sorted(target.tags - source.tags)
        yield finding(
            Severity.MINOR,
            "ticket.tags",
            f"tags differ: {len(lost)} missing ({', '.join(lost[:5])}), "
            f"{len(added)} added ({', '.join(added[:5])})",
        )
    for field in sorted(source.custom.keys() | target.custom.keys()):
        before, after = source.custom.get(field), target.custom.get(field)
        if not _same_value(before, after):
            yield finding(
                Severity.MAJOR,
                "ticket.custom_field",
                f"custom field {field!r} differs: {_short(before)} in the source, "
                f"{_short(after)} in the target",
            )
    yield from _comments(source, target, finding)
    yield from _files(source, target, finding, deep_files=deep_files)


def _comments(source: TicketFacts, target: TicketFacts, make: _Make) -> Iterator[Finding]:
    src, dst = source.comments, target.comments
    src_public = sum(c.public for c in src)
    dst_public = sum(c.public for c in dst)
    if len(src) != len(dst):
        yield make(
            Severity.MAJOR,
            "comment.count",
            f"{len(src)} comments in the source ({src_public} public, {len(src) - src_public} "
            f"private), {len(dst)} in the target ({dst_public} public, "
            f"{len(dst) - dst_public} private)",
        )
    pairs, alone, extra = _pairs(src, dst)
    for index, comment in alone:
        yield make(
            Severity.MAJOR,
            "comment.missing",
            f"comment {comment.id} (#{index + 1}, {'public' if comment.public else 'private'}, "
            f"{comment.created_at.isoformat()}) is not in the target",
        )
    if extra:
        yield make(
            Severity.MAJOR, "comment.extra", f"{extra} comments in the target have no source"
        )
    for index, before, after in pairs:
        where = f"comment {before.id} (#{index + 1}) → {after.id}"
        if not before.public and after.public:
            yield make(
                Severity.CRITICAL,
                "comment.leak",
                f"{where}: a private comment is public in the target (data leak)",
            )
        elif before.public and not after.public:
            yield make(Severity.MAJOR, "comment.hidden", f"{where}: a public comment is private")
        if before.author != after.author:
            yield make(
                Severity.MAJOR,
                "comment.author",
                f"{where}: author is user {after.author} in the target, user {before.author} "
                "expected",
            )
        if before.created_at != after.created_at:
            shift = (after.created_at - before.created_at).total_seconds()
            yield make(
                Severity.MAJOR,
                "comment.time",
                f"{where}: written at {after.created_at.isoformat()} in the target, "
                f"{before.created_at.isoformat()} in the source ({shift:+.0f} s)",
            )


def _files(
    source: TicketFacts, target: TicketFacts, make: _Make, *, deep_files: bool
) -> Iterator[Finding]:
    before, after = source.files, target.files
    if len(before) != len(after):
        yield make(
            Severity.MAJOR,
            "attachment.count",
            f"{len(before)} attachments in the source, {len(after)} in the target",
        )
    size_before, size_after = sum(f.size for f in before), sum(f.size for f in after)
    if size_before != size_after:
        yield make(
            Severity.MAJOR,
            "attachment.bytes",
            f"attachments hold {size_before} bytes in the source, {size_after} in the target",
        )
    if deep_files:
        digests_before = Counter(f.sha256 for f in before)
        digests_after = Counter(f.sha256 for f in after)
        if digests_before != digests_after:
            changed = sorted(f.name for f in before if f.sha256 in (digests_before - digests_after))
            yield make(
                Severity.MAJOR,
                "attachment.digest",
                f"{sum((digests_before - digests_after).values())} attachment(s) differ in "
                f"content (SHA-256): {', '.join(changed[:5])}",
            )


def _short(value: object) -> str:
    """A field value as a finding shows it: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _same_value(before: object, after: object) -> bool:
    """Equal, both empty, or the same number written as a number on one side and as text on
    the other (a target whose API hands every custom value back as a string)."""
    if before == after or (before in (None, "", ()) and after in (None, "", ())):
        return True
    numbers = []
    for value in (before, after):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return False
        try:
            numbers.append(float(value))
        except ValueError:
            return False
    return numbers[0] == numbers[1]
