"""The journal's hash chain: how a row is hashed, and how a whole journal is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Final

from cemigrate.errors import JournalBroken

#: The ``prev_hash`` of the first row.
GENESIS: Final = "0" * 64

#: The stored columns a row's hash covers, in order (``hash`` itself excluded).
HASHED_COLUMNS: Final = ("seq", "run_id", "kind", "key", "target_id", "action", "at", "prev_hash")

_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _fields_writer() -> Callable[[list[object]], str]:
    """``_ENCODER.encode`` for a row's list of plain values: the same bytes from the C encoder
    built once, without the set-up ``encode`` repeats on every call (a row is hashed per
    record written)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    chunks = make(None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda fields: "".join(chunks(fields, 0))


_FIELDS: Final = _fields_writer()

RawRow = tuple[object, ...]
"""A journal row as stored: ``HASHED_COLUMNS`` followed by ``hash``."""


def row_hash(
    prev_hash: str,
    seq: object,
    run_id: object,
    kind: object,
    key: object,
    target_id: object,
    action: object,
    at: object,
) -> str:
    """SHA-256 of ``prev_hash`` and a canonical encoding of the row's stored fields.

    JSON keeps types apart (``1`` vs ``"1"``, ``null`` vs ``""``), and ``seq`` is part of it, so
    an edited, removed, inserted or reordered row breaks the chain.
    """
    fields = _FIELDS([seq, run_id, kind, key, target_id, action, at])
    return hashlib.sha256(f"{prev_hash}\n{fields}".encode()).hexdigest()


def verify(rows: Iterable[RawRow], head: tuple[int, str] | None, path: str) -> int:
    """Check the chain of ``rows`` (ordered by seq) against the stored ``head``; return the count.

    Raises JournalBroken naming the first row that is edited, missing or out of place.
    """
    expected_seq, prev, count = 1, GENESIS, 0
    for seq, run_id, kind, key, target_id, action, at, prev_hash, stored_hash in rows:
        if seq != expected_seq:
            # Rows ahead of the expected seq mean the expected one is gone; a seq below it
            # (or not an integer) is a row that does not belong.
            bad = expected_seq if isinstance(seq, int) and seq > expected_seq else seq
            raise JournalBroken(
                f"{path}: journal row {bad} is missing or out of place", seq=_as_seq(bad)
            )
        if prev_hash != prev:
            raise JournalBroken(
                f"{path}: journal row {seq} does not follow the row before it", seq=expected_seq
            )
        if row_hash(prev, seq, run_id, kind, key, target_id, action, at) != stored_hash:
            raise JournalBroken(
                f"{path}: journal row {seq} was changed after it was written", seq=expected_seq
            )
        prev = str(stored_hash)
        expected_seq += 1
        count += 1
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    if count < head_seq:
        raise JournalBroken(f"{path}: journal row {count + 1} is missing", seq=count + 1)
    if count > head_seq:
        raise JournalBroken(
            f"{path}: journal row {head_seq + 1} was added outside cemigrate", seq=head_seq + 1
        )
    if prev != head_hash:
        raise JournalBroken(
            f"{path}: journal row {count} does not match the recorded head", seq=count
        )
    return count


def _as_seq(value: object) -> int:
    return value if isinstance(value, int) else -1
