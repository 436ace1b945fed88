"""The in-process target: the reference implementation of the target side of the contract."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import attrs

from cemigrate.adapters.contract import (
    Capability,
    Change,
    FileSource,
    Metadata,
    Needs,
    Outgoing,
    Target,
    WriteResult,
)
from cemigrate.adapters.memory.faults import MemoryFaults
from cemigrate.adapters.memory.limits import MEMORY_PLANS
from cemigrate.adapters.memory.store import MemoryStore, StoredRecord
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldValue,
    Kind,
    Organization,
    Ref,
    SourceKey,
    Ticket,
    User,
    canonical_json,
    field_owner,
    linked_refs,
    refs_of,
)

DEFAULT_BATCH_SIZE = 100
_CHUNK = 1 << 16


class MemoryTarget(Target):
    """A help desk kept in SQLite (in memory, or in a file that outlives the process).

    Records are stored with their source key as external id and every reference resolved to a
    target id; a reference the copier could not resolve refuses the record, as a platform
    would. Attachment bytes are streamed from the source and kept as size and SHA-256.
    """

    platform = "memory"

    def __init__(
        self,
        path: str | PathLike[str] = ":memory:",
        *,
        batch_size: int | Mapping[Kind, int] = DEFAULT_BATCH_SIZE,
        clock: Clock | None = None,
        faults: MemoryFaults | None = None,
        limits: Mapping[str, int] | None = None,
        keep_files: bool = False,
    ) -> None:
        self.store = MemoryStore(path)
        self.keep_files = keep_files
        """Whether attachment bytes are kept (not only their size and SHA-256), so the target
        can be read back and its files hashed (:class:`MemoryTargetView`)."""
        where = os.fspath(path)
        self._account = "" if where == ":memory:" else Path(where).resolve().as_uri()
        if isinstance(batch_size, int):
            self.batch_size: Mapping[Kind, int] = dict.fromkeys(Kind, batch_size)
        else:
            self.batch_size = {kind: batch_size.get(kind, DEFAULT_BATCH_SIZE) for kind in Kind}
        self.faults = faults or MemoryFaults()
        clock = clock or SystemClock()
        self.budgets: Budgets = budgets_for(MEMORY_PLANS, "default", clock=clock, prefix="target")
        self._retry = RetryPolicy(clock)
        self.limits: Mapping[str, int] = dict(limits or {"attachment": 50 * 1024 * 1024})
        self._prepared: list[FieldDef] = []
        self._fields: dict[tuple[FieldObject, str], FieldDef] | None = (
            None  # (object, key), cached between writes
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def account_url(self) -> str:
        """The store's file as a ``file://`` URL; empty for one held in memory."""
        return self._account

    def declines(self, kind: Kind, record: object) -> str:
        """Nothing: the memory target takes every record."""
        return ""

    def describe(self) -> Metadata:
        """All kinds writable; the fields are those written or prepared so far."""
        fields = [
            FieldDef(
                id=r.target_id,
                object=r.data["object"],
                key=r.data["key"],
                title=r.data["title"],
                type=r.data["type"],
                references=r.data.get("references"),
            )
            for r in self.store.records(Kind.FIELD)
        ]
        return Metadata(
            platform=self.platform,
            kinds=frozenset(Kind),
            fields=(*fields, *self._prepared),
            limits=self.limits,
            capabilities=frozenset(
                {
                    Capability.ORIGINAL_TIMESTAMPS,
                    Capability.ORIGINAL_AUTHORS,
                    Capability.BULK_WRITE,
                    Capability.FIND_BY_EXTERNAL_ID,
                    Capability.DELETE,
                    Capability.CREATE_FIELDS,
                }
            ),
        )

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """Create the fields the mapping needs that the target lacks."""
        have = {(f.object, f.key) for f in self.describe().fields}
        changes = []
        for field in needs.fields:
            if (field.object, field.key) in have:
                continue
            if not dry_run:
                self._prepared.append(field)
                self._fields = None
            changes.append(
                Change(
                    action="create field",
                    subject=f"{field.object} field {field.key} ({field.type})",
                    applied=not dry_run,
                )
            )
        return changes

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Store each record, or refuse it with a message; one call is one transaction."""
        self._call(f"write {len(batch)} {kind}")
        if kind is Kind.FIELD:
            self._fields = None
        results: list[WriteResult] = []
        # Read attachments before the transaction: a slow source must not hold the store.
        translated = [self._with_lookups(item) for item in batch]
        prepared = [(item, self._render(item, files)) for item in translated]
        with self.store.transaction() as store:
            for item, rendered in prepared:
                if isinstance(rendered, WriteResult):
                    results.append(rendered)
                    continue
                results.append(self._persist(store, kind, item, rendered))
                self.faults.record_persisted()
        return results

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """Target ids by source key, looked up through the stored external ids."""
        by_text = {str(key): key for key in keys}
        found = self.store.find(kind, list(by_text))
        return {by_text[external_id]: target_id for external_id, target_id in found.items()}

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """Delete records by target id."""
        self._call(f"delete {len(target_ids)} {kind}")
        with self.store.transaction() as store:
            store.delete(kind, target_ids)

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """None for each id the store no longer holds; the store keeps no change times, so
        a record it holds is not reported."""
        held = {r.target_id for r in self.store.records(kind)}
        return {i: None for i in target_ids if i not in held}

    def records(self, kind: Kind) -> list[StoredRecord]:
        """Everything stored of one kind (for tests, reconciliation and the demo)."""
        return list(self.store.records(kind))

    def _persist(
        self, store: MemoryStore, kind: Kind, item: Outgoing, extra: dict[str, Any]
    ) -> WriteResult:
        for sha256, content in extra.pop("_files", {}).items():
            store.put_file(sha256, content)
        data = canonical_json(item.record)
        if item.target_id is not None:
            if not store.replace(kind, item.target_id, data, extra):
                return WriteResult(
                    key=item.key,
                    error=f"{kind} {item.target_id} is not in the target",
                    platform_message="RecordNotFound",
                )
            return WriteResult(key=item.key, target_id=item.target_id)
        return WriteResult(
            key=item.key, target_id=store.insert(kind, item.external_id, data, extra)
        )

    def _render(self, item: Outgoing, files: FileSource) -> dict[str, Any] | WriteResult:
        refused = self.faults.reject.get(item.external_id)
        if refused is not None:
            return WriteResult(
                key=item.key, error="refused by the target", platform_message=refused
            )
        record = item.record
        owner = field_owner(record)
        if owner is not None:
            assert isinstance(record, Ticket | User | Organization)
            unknown = sorted(set(record.custom_fields) - self._field_keys(owner))
            if unknown:
                return WriteResult(
                    key=item.key,
                    error=f"{owner} field {unknown[0]!r} does not exist in the target",
                    platform_message=f"RecordInvalid: unknown field {unknown[0]}",
                )
        links: dict[str, str] = {}
        for ref in refs_of(item.record):
            target_id = item.links.get(ref)
            if target_id is None:
                return WriteResult(
                    key=item.key,
                    error=f"refers to {ref}, which is not in the target",
                    platform_message=f"RecordInvalid: {ref.kind} {ref.id} not found",
                )
            links[str(ref)] = target_id
        for ref in linked_refs(item.record):  # names a rule holds beside its references
            if str(ref) not in links and ref in item.links:
                links[str(ref)] = item.links[ref]
        extra: dict[str, Any] = {"links": links}
        if isinstance(item.record, Ticket):
            kept: dict[str, bytes] = {}
            stored = self._store_attachments(item, files, kept)
            if isinstance(stored, WriteResult):
                return stored
            extra["stored_attachments"] = stored
            if kept:
                extra["_files"] = kept  # stored with the record, in its transaction
        return extra

    def _field_keys(self, owner: FieldObject) -> set[str]:
        """Keys of the custom fields of ``owner`` records the target has (written or prepared)."""
        if self._fields is None:
            self._fields = {(f.object, f.key): f for f in self.describe().fields}
        return {key for field_owner, key in self._fields if field_owner == owner}

    def _with_lookups(self, item: Outgoing) -> Outgoing:
        """``item`` with the values of its lookup fields as the target ids of the records
        they name (``item.links``); a value whose record the target does not hold is left
        out, as a platform leaves a lookup empty."""
        record = item.record
        owner = field_owner(record)
        if owner is None:
            return item
        assert isinstance(record, Ticket | User | Organization)
        self._field_keys(owner)
        assert self._fields is not None
        values: dict[str, FieldValue] = {}
        for key, value in record.custom_fields.items():
            definition = self._fields.get((owner, key))
            if definition is None or definition.references is None or value is None:
                values[key] = value
                continue
            target_id = item.links.get(Ref(kind=definition.references, id=str(value)))
            if target_id is not None:
                values[key] = target_id
        if values == dict(record.custom_fields):
            return item
        return attrs.evolve(item, record=attrs.evolve(record, custom_fields=values))

    def _store_attachments(
        self, item: Outgoing, files: FileSource, kept: dict[str, bytes]
    ) -> dict[str, dict[str, Any]] | WriteResult:
        assert isinstance(item.record, Ticket)
        stored: dict[str, dict[str, Any]] = {}
        limit = self.limits.get("attachment")
        for comment in item.record.comments:
            for attachment in comment.attachments:
                if limit is not None and attachment.size > limit:
                    return WriteResult(
                        key=item.key,
                        error=f"attachment {attachment.file_name!r} is over {limit} bytes",
                        platform_message="AttachmentTooLarge",
                    )
                digest = hashlib.sha256()
                size = 0
                chunks: list[bytes] = []
                with files.open_attachment(attachment) as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        if self.keep_files:
                            chunks.append(chunk)
                stored[attachment.id] = {"size": size, "sha256": digest.hexdigest()}
                if self.keep_files:
                    kept[digest.hexdigest()] = b"".join(chunks)
        return stored

    def _call(self, what: str) -> None:
        self.faults.call(self._retry, self.budgets["memory.core"], what)
