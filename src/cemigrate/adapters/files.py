"""Attachment bytes on their way from a source: streamed, never whole in memory, and hashed
as they are read, for every platform's ``open_attachment``."""

from __future__ import annotations

import hashlib
import io
from typing import Any, BinaryIO, Final

import requests

from cemigrate.errors import RecordError
from cemigrate.schema import Attachment

__all__ = ["CHUNK", "HashingStream", "attachment_stream"]

CHUNK: Final = 1 << 16
"""Bytes read from a download at a time."""


class HashingStream(io.RawIOBase):
    """A streamed download that computes its SHA-256 and size as it is read."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_content(CHUNK)
        self._pending = b""
        self.digest = hashlib.sha256()
        self.size = 0

    @property
    def sha256(self) -> str:
        """The digest of the bytes read so far (all of them once read to the end)."""
        return self.digest.hexdigest()

    def readable(self) -> bool:
        """It is."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the download; 0 at the end."""
        if not self._pending:
            self._pending = next(self._chunks, b"")
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self.digest.update(self._pending[:count])
        self.size += count
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        """Release the connection."""
        self._response.close()
        super().close()


def attachment_stream(attachment: Attachment, response: requests.Response) -> BinaryIO:
    """The bytes of ``attachment`` from a streamed download, hashed as they are read; an
    error answer is the attachment's failure with the platform's status."""
    if response.status_code >= 400:
        response.close()
        raise RecordError(
            f"attachment {attachment.id} could not be downloaded",
            platform_message=f"{response.status_code} {response.reason}",
        )
    return io.BufferedReader(HashingStream(response), CHUNK)
