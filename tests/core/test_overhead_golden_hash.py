"""Content hashes are what the ledger compares to decide a record is unchanged: any byte of the
canonical JSON that moves makes every record of every ledger look changed. These pin the bytes
for a generated desk of every kind, so making the encoding faster cannot change them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import attrs

from cemigrate.ledger._journal import row_hash
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind, Record, Status
from cemigrate.schema.serialize import canonical_json, content_hash, to_dict

# Computed with the encoder as it was before it was made faster (commit 121e5bf).
GOLDEN_CONTENT_HASHES = "e68c2d13eeb19d5171db21bf17ce29e6dd0e132d6c3ff225e8b03e9625115ecf"
GOLDEN_DICTS = "8125359fc103025895a4fa7353c9121c7f3f19880e2f8f243711432141527bef"


def _desk_records() -> list[Record]:
    desk = generate(tickets=60, seed=20, instance="golden")
    assert all(desk.records(kind) for kind in Kind)  # records of every kind
    return [record for kind in Kind for record in desk.records(kind)]


def test_every_kind_hashes_to_the_pinned_bytes() -> None:
    digest = hashlib.sha256()
    for record in _desk_records():
        text = canonical_json(record)
        assert content_hash(record) == hashlib.sha256(text.encode()).hexdigest()
        digest.update(content_hash(record).encode())
    assert digest.hexdigest() == GOLDEN_CONTENT_HASHES


def test_plain_dicts_are_unchanged() -> None:
    digest = hashlib.sha256()
    for record in _desk_records():
        digest.update(json.dumps(to_dict(record), sort_keys=True).encode())
    assert digest.hexdigest() == GOLDEN_DICTS


def test_values_off_the_common_path_write_what_the_plain_dict_says() -> None:
    """The canonical text is written straight from the record; whatever a field holds, it is
    the plain dict's JSON (fields in class order, mapping keys sorted at every level)."""
    desk = generate(tickets=5, seed=3, instance="odd")
    ticket = desk.tickets[0]
    comment = attrs.evolve(
        ticket.comments[0],
        public=1,  # not a bool: written as the number, as the plain dict holds it
        metadata={
            "z": [{"b": 1, "a": (2, 3)}, None, 1.5, float("inf")],
            "a": {"nested": {"y": 'é\u2028"\\', "x": True}},
            "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # not JSON: the general path
            "kind": Kind.USER,
            "status": Status.OPEN,
        },
    )
    odd = attrs.evolve(
        ticket,
        custom_fields={"b": ("x", "y"), "a": 3, "c": None, "d": False, "e": 2.25},
        via={},
        comments=(comment, ticket.comments[0]),
    )
    for record in (odd, comment):
        text = canonical_json(record)
        assert text == json.dumps(to_dict(record), separators=(",", ":"), ensure_ascii=False)
        assert '"public":1,' in canonical_json(comment)
        assert '"when":"2026-01-02T03:04:05+00:00"' in text


def test_journal_rows_hash_as_before() -> None:
    """Ledgers written before the row encoding was made faster still verify: pinned with the
    encoder as it was (commit 302f353)."""
    first = row_hash(
        "0" * 64,
        7,
        2,
        "ticket",
        'zd:ticket:7 é\u2028"',
        None,
        "created",
        "2026-12-07T14:00:00.000001+00:00",
    )
    second = row_hash(
        "f" * 64, 8, 2, "user", "zd:user:1", "0051", "matched", "2026-12-07T14:00:00.000002+00:00"
    )
    assert first == "59efb96bc78c5ae52a1c124a85ec03b8c87a7a3a3f9aa8a6a663c8380a58b9b9"
    assert second == "89a618b97c885d5c84ee81c8790c1317c6a329d165e34b3a4f30df41ff60639a"
