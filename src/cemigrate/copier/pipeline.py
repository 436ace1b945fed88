"""The reader side of a run: a thread that reads sources ahead of the writer.

Sources and targets spend different budgets, so reading runs concurrently with writing; a
bounded queue between them keeps memory flat whatever the size of the help desk. A run asked
to stop stops its reader too: the thread reads no further page, and the writer is not kept
waiting by a read in flight longer than :data:`STOP_GRACE` seconds.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Final

import attrs

from cemigrate.adapters import Batch, Source
from cemigrate.errors import Interrupted
from cemigrate.schema import Kind

STOP_GRACE: Final = 5.0
"""Seconds a stopped run waits for a read in flight (a slow page, a rate-limit wait); then the
reader thread (a daemon) is left to end on its own, its results unused."""


@attrs.frozen
class Stream:
    """One source instance's stream of one kind, and where to start reading it."""

    source: Source
    kind: Kind
    cursor: str | None
    limit: int | None = None
    """Stop after this many records (a sampled dry run); the source reads no further."""


@attrs.frozen
class StreamBatch:
    """A batch read from a stream."""

    stream: Stream
    batch: Batch


@attrs.frozen
class StreamEnd:
    """The stream has no more records."""

    stream: Stream


@attrs.frozen
class _Failed:
    error: BaseException


_END = object()


class Reader:
    """Reads every stream, in order, into a bounded queue; iterate it from the writer.

    ``stop``, once set, stops the thread's reading and makes the iteration raise
    :class:`~cemigrate.errors.Interrupted` instead of waiting for the next batch.
    """

    def __init__(
        self,
        streams: Sequence[Stream],
        *,
        depth: int = 4,
        stop: threading.Event | None = None,
    ) -> None:
        self._streams = streams
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._asked = stop or threading.Event()
        self._thread = threading.Thread(target=self._run, name="cemigrate-reader", daemon=True)

    def __enter__(self) -> Reader:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[StreamBatch | StreamEnd]:
        while True:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if self._asked.is_set():
                    raise Interrupted("asked to stop") from None
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            assert isinstance(item, StreamBatch | StreamEnd)
            yield item

    def close(self) -> None:
        """Stop reading and wait for the thread (the writer stopped, or finished)."""
        self._stop.set()
        deadline = time.monotonic() + STOP_GRACE
        while self._thread.is_alive():
            if self._asked.is_set() and time.monotonic() > deadline:
                return  # a read that does not end: the daemon thread is left behind
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            for stream in self._streams:
                read = 0
                batches = _reading(stream)
                for batch in batches:
                    if not self._put(StreamBatch(stream, batch)):
                        return
                    read += len(batch.records)
                    if stream.limit is not None and read >= stream.limit:
                        batches.close()  # the source stops reading here
                        break
                if not self._put(StreamEnd(stream)):
                    return
            self._put(_END)
        except BaseException as error:  # handed to the writer, which raises it
            self._put(_Failed(error))

    def _put(self, item: object) -> bool:
        while not (self._stop.is_set() or self._asked.is_set()):
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False


def _reading(stream: Stream) -> Generator[Batch, None, None]:
    """The stream's batches, as a generator the reader can close when it stops early: closing
    it closes the source's own iterator when that has a ``close`` (PEP 380), so a source
    reading in a generator stops where the reader stopped."""
    yield from stream.source.read(stream.kind, stream.cursor)
