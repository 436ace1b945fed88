"""A memory target read back as a source: what reconciliation compares the sources with.

Every stored record is served as the record the target holds: its id is the target id, every
reference is the target id it was resolved to when written, and each ticket attachment is
served from the bytes the target kept (``MemoryTarget(keep_files=True)``), so the deep
comparison hashes the target's copy, not the source's.
"""

from __future__ import annotations

import io
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import Any, BinaryIO, Final

import attrs

from cemigrate.adapters.contract import Batch, Metadata, Source
from cemigrate.adapters.memory.limits import MEMORY_PLANS
from cemigrate.adapters.memory.target import MemoryTarget
from cemigrate.errors import RecordError
from cemigrate.ratelimit import Budgets, Clock, SystemClock, budgets_for
from cemigrate.schema import Attachment, FieldDef, Kind, Record, Ref, Ticket, records

__all__ = ["MemoryTargetView", "decode_record", "record_class"]

_FILE_PREFIX: Final = "memory-file:"


@cache
def _classes() -> dict[Kind, type[Any]]:
    return {cls.KIND: cls for cls in typing.get_args(records.Record)}


def record_class(kind: Kind) -> type[Any]:
    """The record class of ``kind``."""
    return _classes()[kind]


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(records))


def _decode(hint: Any, value: Any, links: Mapping[str, str]) -> Any:
    """``value`` as JSON holds it, back as ``hint`` (references through ``links``)."""
    if value is None:
        return None
    if hint is Ref:
        ref = Ref(kind=value["kind"], id=value["id"])
        return attrs.evolve(ref, id=links.get(str(ref), ref.id))
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and attrs.has(hint):
        return _build(hint, value, links)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if args and type(None) in args:
        members = [arg for arg in args if arg is not type(None)]
        if len(members) == 1:
            return _decode(members[0], value, links)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], item, links) for item in value)
    if isinstance(value, dict) and len(args) == 2 and "tuple[str, ...]" in str(args[1]):
        # Custom values: several option values are a tuple in the schema, a list in JSON.
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def _build(cls: Any, data: Mapping[str, Any], links: Mapping[str, str]) -> Any:
    hints = _hints(cls)
    values = {
        field.name: _decode(hints.get(field.name, Any), data[field.name], links)
        for field in attrs.fields(cls)
        if field.name in data
    }
    return cls(**values)


def decode_record(kind: Kind, data: Mapping[str, Any], links: Mapping[str, str]) -> Record:
    """A record of ``kind`` from its canonical JSON data (``canonical_json``), every
    reference replaced by ``links[str(ref)]`` where the target resolved it."""
    record: Record = _build(_classes()[kind], data, links)
    return record


class MemoryTargetView(Source):
    """A :class:`MemoryTarget` read as a source (instance ``target``): target ids, resolved
    references, the target's own copy of each file."""

    platform = "memory"

    def __init__(
        self,
        target: MemoryTarget,
        *,
        instance: str = "target",
        page_size: int = 100,
        clock: Clock | None = None,
    ) -> None:
        self.target = target
        self.instance = instance
        self.page_size = page_size
        self.budgets: Budgets = budgets_for(
            MEMORY_PLANS, "default", clock=clock or SystemClock(), prefix=instance
        )
        self._note: Callable[[Kind, str, str], None] | None = None

    def report_external_ids(self, note: Callable[[Kind, str, str], None]) -> bool:
        """Every record read is noted with the source key it was stored under."""
        self._note = note
        return True

    def describe(self) -> Metadata:
        """Every kind is readable; the fields are the target's."""
        held = self.target.describe()
        return Metadata(platform=self.platform, kinds=frozenset(Kind), fields=held.fields)

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Every stored record of ``kind``, in target id order (the cursor is ignored: a view
        is read whole)."""
        page: list[Record] = []
        for stored in self.target.store.records(kind):
            data = dict(stored.data)
            links = data.pop("links", {})
            files = data.pop("stored_attachments", {})
            record = decode_record(kind, {**data, "id": stored.target_id}, links)
            if self._note is not None and stored.external_id:
                self._note(kind, stored.target_id, stored.external_id)
            if isinstance(record, Ticket):
                record = _with_target_files(record, files)
            page.append(record)
            if len(page) == self.page_size:
                self.budgets["memory.core"].acquire()
                yield Batch(records=tuple(page), cursor=None)
                page = []
        if page:
            self.budgets["memory.core"].acquire()
            yield Batch(records=tuple(page), cursor=None)

    def read_fields(self) -> tuple[FieldDef, ...]:
        """The field definitions the target holds."""
        return tuple(r for b in self.read(Kind.FIELD) for r in b.records if isinstance(r, FieldDef))

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The bytes the target kept for this file."""
        if not attachment.location.startswith(_FILE_PREFIX):
            raise RecordError(f"attachment {attachment.id}: not a file this target holds")
        content = self.target.store.file(attachment.location.removeprefix(_FILE_PREFIX))
        if content is None:
            raise RecordError(
                f"attachment {attachment.id}: the memory target kept no bytes "
                "(build it with keep_files=True to read it back)"
            )
        return io.BytesIO(content)

    def close(self) -> None:
        """Nothing to release: the target owns the store."""


def _with_target_files(ticket: Ticket, stored: Mapping[str, Mapping[str, Any]]) -> Ticket:
    """Each attachment as the target stored it: its size and a location naming its bytes."""
    comments = []
    for comment in ticket.comments:
        files = []
        for attachment in comment.attachments:
            held = stored.get(attachment.id, {})
            files.append(
                attrs.evolve(
                    attachment,
                    size=int(held.get("size", attachment.size)),
                    sha256=held.get("sha256", attachment.sha256),
                    location=f"{_FILE_PREFIX}{held.get('sha256', '')}",
                )
            )
        comments.append(attrs.evolve(comment, attachments=tuple(files)))
    return attrs.evolve(ticket, comments=tuple(comments))
