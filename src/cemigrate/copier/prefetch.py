"""What a target batch reads from its source, fetched before the target's writer asks for it.

A target's ``write`` reads two things beside the records, through the
:class:`~cemigrate.adapters.contract.FileSource` it is handed: the bytes of every attachment
(``open_attachment``) and, on the targets that carry it inside the ticket, the source's SLA
history (``sla_history``). Read where the writer asks, both put the source's round trips (and,
for a Zendesk source, its export budget of 10 calls a minute) in the middle of the target's
calls. :class:`Prefetch` starts them when the batch is handed over instead:

- **attachments** go to a small pool of downloader threads (:data:`DOWNLOADERS`), each file
  spooled whole into the process's private folder (:mod:`cemigrate.adapters.private`) and
  handed to the writer from there, so memory holds a chunk at a time, as before. At most
  :data:`SPOOL_BYTES` wait on disk at once across the batches in flight; a file that would go
  over, or is larger than :data:`LARGEST_SPOOLED`, is read by the writer from the source as
  before. A download that fails fails where the writer opens the file, as it did.
- **SLA history** is asked of the source for the batch's tickets on one thread of its own, in
  the order batches are handed over, once the target has shown it asks for it (its first
  batch): a target that never does costs the source nothing more.

Spooled files a writer did not open (a record dropped, a batch that failed) are deleted when
the batch is done (:meth:`BatchFiles.close`), and those of a batch never handed to its writer
(the run stopped on an earlier error first) when the run stops (:meth:`Prefetch.close`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Final

from cemigrate.adapters.contract import FileSource, SlaHistory
from cemigrate.adapters.private import private_file
from cemigrate.schema import Attachment, FieldDef, Ticket

__all__ = ["DOWNLOADERS", "LARGEST_SPOOLED", "SPOOL_BYTES", "BatchFiles", "Prefetch"]

log = logging.getLogger("cemigrate.copier")

DOWNLOADERS: Final = 4
"""Downloads from the source at once."""
SPOOL_BYTES: Final = 256 * 1024 * 1024
"""Bytes downloaded ahead of the writer, at most, across the batches in flight."""
LARGEST_SPOOLED: Final = 64 * 1024 * 1024
"""A larger file is streamed from the source by the writer itself, never spooled ahead."""


class Prefetch:
    """The downloader pool and the SLA history thread of one run's writer."""

    def __init__(
        self,
        *,
        downloaders: int = DOWNLOADERS,
        spool_bytes: int = SPOOL_BYTES,
        largest: int = LARGEST_SPOOLED,
    ) -> None:
        self.downloaders = downloaders
        self.spool_bytes = spool_bytes
        self.largest = largest
        self._lock = threading.Lock()
        self._spooled = 0
        self._downloads: concurrent.futures.ThreadPoolExecutor | None = None
        self._history: concurrent.futures.ThreadPoolExecutor | None = None
        self.wants_files = False
        """Whether the target opened an attachment (from then on they are fetched ahead)."""
        self.wants_history = False
        """Whether the target asked a batch for SLA history (from then on it is fetched
        ahead)."""
        self.threads: set[str] = set()
        """Names of the threads that downloaded (what tests look at)."""
        self._open: set[BatchFiles] = set()

    def batch(self, source: FileSource, records: Sequence[object]) -> BatchFiles:
        """Start fetching what ``records`` will need; the files to hand the target. Nothing
        is fetched ahead from a source whose calls take no time (in process: reading ahead
        would only copy) or that the target has not yet asked for it (a target that never
        opens a file costs no download)."""
        files = BatchFiles(self, source)
        with self._lock:
            self._open.add(files)
        if not _remote(source):
            return files
        tickets = [r for r in records if isinstance(r, Ticket) and not r.deleted]
        if self.wants_history and tickets:
            files.history_for(tickets)
        if self.downloaders > 0 and self.wants_files:
            for ticket in tickets:
                for comment in ticket.comments:
                    for attachment in comment.attachments:
                        files.download(attachment)
        return files

    def close(self) -> None:
        """Stop the threads (pending downloads are dropped) and delete what batches not
        closed yet had spooled: a run that stopped on an error leaves nothing on disk."""
        for pool in (self._downloads, self._history):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._downloads = self._history = None
        with self._lock:
            left = list(self._open)
        for files in left:
            files.close()

    # -- for BatchFiles ----------------------------------------------------------------------

    def _reserve(self, size: int) -> bool:
        if size > self.largest:
            return False
        with self._lock:
            if self._spooled + size > self.spool_bytes:
                return False
            self._spooled += size
            return True

    def _release(self, size: int) -> None:
        with self._lock:
            self._spooled -= size

    def _download_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._downloads is None:
                self._downloads = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.downloaders, thread_name_prefix="cemigrate-download"
                )
            return self._downloads

    def _history_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._history is None:
                self._history = concurrent.futures.ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="cemigrate-sla-history"
                )
            return self._history


class BatchFiles(FileSource):
    """The :class:`FileSource` one batch's writer gets: its attachments from the spool when
    they were fetched ahead (else from the source), its SLA history from what was asked
    ahead (else from the source)."""

    def __init__(self, prefetch: Prefetch, source: FileSource) -> None:
        self._prefetch = prefetch
        self._source = source
        self._files: dict[str, tuple[concurrent.futures.Future[Path], int]] = {}
        self._history: concurrent.futures.Future[Mapping[str, SlaHistory]] | None = None
        self._history_ids: frozenset[str] = frozenset()
        self._closing = threading.Lock()

    def download(self, attachment: Attachment) -> None:
        """Spool ``attachment`` ahead when there is room."""
        if attachment.id in self._files or not self._prefetch._reserve(attachment.size):
            return
        future = self._prefetch._download_pool().submit(self._spool, attachment)
        self._files[attachment.id] = (future, attachment.size)

    def history_for(self, tickets: Sequence[Ticket]) -> None:
        """Ask the source for the SLA history of ``tickets`` on the history thread."""
        self._history_ids = frozenset(t.id for t in tickets)
        self._history = self._prefetch._history_pool().submit(
            self._source.sla_history, list(tickets)
        )

    def _spool(self, attachment: Attachment) -> Path:
        self._prefetch.threads.add(threading.current_thread().name)
        path = private_file("download-")
        try:
            with self._source.open_attachment(attachment) as stream, path.open("wb") as out:
                shutil.copyfileobj(stream, out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The attachment's bytes: the spooled copy (waiting for its download), or the
        source's stream."""
        self._prefetch.wants_files = True
        held = self._files.pop(attachment.id, None)
        if held is None:
            return self._source.open_attachment(attachment)
        future, size = held
        try:
            path = future.result()  # a failed download raises its error here
        except concurrent.futures.CancelledError:
            self._prefetch._release(size)
            return self._source.open_attachment(attachment)
        except BaseException:
            self._prefetch._release(size)
            raise
        try:
            stream = path.open("rb")
        finally:
            path.unlink(missing_ok=True)  # the open handle keeps the bytes until it is closed
            self._prefetch._release(size)
        return stream

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """The history asked ahead for these tickets; the source is asked for any others."""
        self._prefetch.wants_history = True
        found: dict[str, SlaHistory] = {}
        if self._history is not None:
            ahead = self._history.result()
            found.update((t.id, ahead[t.id]) for t in tickets if t.id in ahead)
        rest = [t for t in tickets if t.id not in self._history_ids]
        if rest:
            found.update(self._source.sla_history(rest))
        return found

    def read_fields(self) -> tuple[FieldDef, ...]:
        """The source's field definitions."""
        return tuple(self._source.read_fields())

    def close(self) -> None:
        """Delete what was spooled and never opened (waits for downloads under way); a second
        call does nothing."""
        with self._closing:
            held = list(self._files.values())
            self._files.clear()
            for future, size in held:
                if future.cancel():
                    self._prefetch._release(size)
                    continue
                with contextlib.suppress(BaseException):
                    future.result().unlink(missing_ok=True)
                self._prefetch._release(size)
            if self._history is not None:
                self._history.cancel()
            with self._prefetch._lock:
                self._prefetch._open.discard(self)


REMOTE_LATENCY: Final = 0.005
"""A source whose calls take longer than this (seconds, as its budgets observed) is remote."""


def _remote(source: FileSource) -> bool:
    """Whether ``source``'s calls take time (a round trip its budgets observed)."""
    budgets = getattr(source, "budgets", None)
    if budgets is None:
        return False
    return any(budget.latency > REMOTE_LATENCY for budget in budgets.values())
