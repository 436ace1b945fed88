"""Masked rehearsals: personal data replaced before anything reaches the target.

A rehearsal into a vendor's trial or sandbox account need not carry real customers. With a
:class:`Mask` (a plan's ``[mask]`` section, or ``cemigrate run --mask``), every record the
copier writes and every record reconciliation compares passes through :meth:`Mask.record`
after the mapping, and every attachment a target reads through :meth:`Mask.files`:

- people (users and contacts): name, alias, e-mail, phone, every identity, signature,
  details, notes, postal address, external id; organizations: name, domains, details, notes,
  external id;
- tickets: subject, description, recipient, the ``via`` record and each comment's metadata
  (addresses, names, IP address, location, client), every comment body (plain, and HTML with
  its markup kept), attachment file names (the extension kept) and bytes (the size kept, a
  header of the file's type where one is cheap: PNG, JPEG, GIF, PDF, ZIP);
- satisfaction comments; free-text custom fields (text, textarea, pattern) and the fields
  the plan names.

Kept as they are: ids, times, statuses, priorities, channels, tags, dropdown values, groups,
brands, forms, fields, SLA policies and rules (the account's configuration, which rules and
views depend on).

The mask is deterministic: HMAC-SHA256 keyed by a secret read from an environment variable,
so the same source value always gives the same mask (references, matching users by e-mail,
a delta and the reconciliation all agree), and a different key gives a different one. A word
becomes a pseudo-word of the same length in the same Unicode script (Latin vowels stay
vowels, Cyrillic stays Cyrillic, kanji stays kanji, digits stay digits), with its case;
whitespace, punctuation and line breaks are kept, so sizes and rendering stay realistic. The
key is held in memory only: never in the ledger, the plan, a log or a report.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import struct
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, BinaryIO, Final, Protocol

import attrs

from cemigrate.errors import ConfigError
from cemigrate.mapping._seam import RecordMapping
from cemigrate.schema import (
    Attachment,
    Comment,
    FieldDef,
    FieldType,
    FieldValue,
    Identity,
    JsonValue,
    Kind,
    Organization,
    Record,
    Role,
    SatisfactionRating,
    Ticket,
    User,
)

__all__ = [
    "DEFAULT_KEY_ENV",
    "MIN_KEY_LENGTH",
    "Mask",
    "MaskSettings",
    "MaskedFiles",
    "check_ledger",
]

DEFAULT_KEY_ENV: Final = "CEMIGRATE_MASK_KEY"
"""The environment variable the key is read from when the plan names none."""
MIN_KEY_LENGTH: Final = 16
"""Fewest characters a key may have: a short key could be guessed from the masks."""
MASKED_DOMAIN: Final = "example"
"""The top-level domain every masked address is under: reserved for examples and never
delegated (RFC 2606, https://www.rfc-editor.org/rfc/rfc2606.html, section 2)."""

_FREE_TEXT: Final = frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.REGEXP})
_CACHE_LIMIT: Final = 200_000
_CHUNK: Final = 1 << 16

_VOWELS: Final = "aeiouy"
_CONSONANTS: Final = "bcdfghjklmnpqrstvwxz"
_LATIN_VOWELS: Final = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěīįıōőœūůűų")

_WORD: Final = re.compile(r"[^\W_]+")
"""A run of letters and digits (combining marks split it: they are kept as they are)."""
_EMAIL: Final = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_URL: Final = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://|(?:mailto|tel|cid):)([^\s\"'<>]+)")
_MARKER: Final = re.compile(r"\[(image|attachment): ([^\]\n]+)\]")
_HTML: Final = re.compile(
    r"(<!--.*?-->|<(style|script)\b.*?</\2\s*>|</?[A-Za-z][^>]*>|<![^>]*>"
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)",
    re.DOTALL | re.IGNORECASE,
)
_ATTRIBUTE: Final = re.compile(
    r"""(\b(?:alt|title|href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)
_KEPT_JSON_KEYS: Final = frozenset({"channel", "rel", "type", "kind", "method"})
"""Keys of a ``via`` or comment metadata record whose values are vocabulary, not people."""
_ADDRESS_KEYS: Final = frozenset({"ip_address", "ip"})
_COORDINATE_KEYS: Final = frozenset({"latitude", "longitude"})


@attrs.frozen(kw_only=True)
class MaskSettings:
    """A plan's ``[mask]`` section (nothing secret: the key stays in its variable)."""

    key_env: str = DEFAULT_KEY_ENV
    """The environment variable holding the key."""
    fields: tuple[str, ...] = ()
    """Custom field keys masked whatever their type (a dropdown that names a person)."""
    keep_fields: tuple[str, ...] = ()
    """Free-text custom field keys kept as they are (a reference number of the desk's own)."""
    free_text_fields: bool = True
    """Mask every text, textarea and pattern custom field the sources describe."""
    keep_agents: bool = False
    """Keep agents' and admins' names, e-mails and phones (staff, not customers), so that they
    match the seats the target account already has. Customers are masked either way."""


class _Files(Protocol):
    """What a target reads beside the records (:class:`cemigrate.adapters.FileSource`)."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO: ...

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, Any]: ...

    def read_fields(self) -> tuple[FieldDef, ...]: ...


class Mask:
    """Replaces personal data in records and attachment bytes, deterministically under a key.

    ``key``: the secret (at least :data:`MIN_KEY_LENGTH` characters), held in memory only.
    """

    def __init__(self, key: str | bytes, settings: MaskSettings | None = None) -> None:
        secret = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(secret) < MIN_KEY_LENGTH:
            raise ValueError(f"a masking key needs at least {MIN_KEY_LENGTH} characters")
        self._key = secret
        self.settings = settings or MaskSettings()
        """What is masked beyond the fixed list."""
        self._words: dict[str, str] = {}
        self._free: set[str] = set()
        self._known: set[str] = set()
        self._pools: dict[tuple[str, str, int], str] = {}

    def __repr__(self) -> str:
        return "<Mask (key not shown)>"

    def check(self) -> str:
        """A value that tells this mask's key from another (a keyed digest of a constant,
        never the key): what a masked rehearsal's ledger records."""
        return self._digest(b"check", "cemigrate masked rehearsal")[:8].hex()

    # -- what to mask ------------------------------------------------------------------------

    def learn(self, fields: Iterable[FieldDef], mapping: RecordMapping | None = None) -> None:
        """The custom fields a source describes: their types say which are free text. With
        the run's ``mapping`` (bound), a field it renames is known under its new key too. A
        value of a field no description named is masked (when in doubt, nothing leaks)."""
        for definition in fields:
            keys = {definition.key}
            mapped = mapping.apply(Kind.FIELD, definition) if mapping is not None else None
            if isinstance(mapped, FieldDef):
                keys.add(mapped.key)
            self._known |= keys
            if definition.type in _FREE_TEXT:
                self._free |= keys

    def record(self, record: Record) -> Record:
        """``record`` with its personal data masked (records without any come back as is)."""
        if isinstance(record, FieldDef):
            self.learn((record,))
            return record
        if isinstance(record, User):
            return self._user(record)
        if isinstance(record, Organization):
            return attrs.evolve(
                record,
                name=self.text(record.name),
                domains=tuple(self.domain(d) for d in record.domains),
                details=self.text(record.details),
                notes=self.text(record.notes),
                external_id=self._optional(record.external_id),
                custom_fields=self._custom(record.custom_fields),
            )
        if isinstance(record, Ticket):
            return self._ticket(record)
        if isinstance(record, SatisfactionRating):
            return attrs.evolve(record, comment=self.text(record.comment))
        return record

    def files(self, files: _Files) -> MaskedFiles:
        """``files`` (a source) with every attachment's bytes masked as they are read."""
        return MaskedFiles(files, self)

    def _user(self, user: User) -> User:
        if self.settings.keep_agents and user.role is not Role.END_USER:
            return attrs.evolve(user, custom_fields=self._custom(user.custom_fields))
        return attrs.evolve(
            user,
            name=self.text(user.name),
            email=None if user.email is None else self.email(user.email),
            phone=None if user.phone is None else self.phone(user.phone),
            identities=tuple(self._identity(i) for i in user.identities),
            alias=self.text(user.alias),
            signature=self.text(user.signature),
            details=self.text(user.details),
            notes=self.text(user.notes),
            external_id=self._optional(user.external_id),
            address=self._optional(user.address),
            custom_fields=self._custom(user.custom_fields),
        )

    def _identity(self, identity: Identity) -> Identity:
        kind = identity.type.lower()
        if "mail" in kind or "@" in identity.value:
            value = self.email(identity.value)
        elif "phone" in kind:
            value = self.phone(identity.value)
        else:
            value = self.text(identity.value)
        return attrs.evolve(identity, value=value)

    def _ticket(self, ticket: Ticket) -> Ticket:
        return attrs.evolve(
            ticket,
            subject=self.text(ticket.subject),
            description=self.text(ticket.description),
            recipient=None if ticket.recipient is None else self.email(ticket.recipient),
            via=self._json_map(ticket.via),
            custom_fields=self._custom(ticket.custom_fields),
            comments=tuple(self._comment(c) for c in ticket.comments),
        )

    def _comment(self, comment: Comment) -> Comment:
        return attrs.evolve(
            comment,
            body_plain=self.text(comment.body_plain),
            body_html=self.html(comment.body_html),
            metadata=self._json_map(comment.metadata),
            attachments=tuple(self._attachment(a) for a in comment.attachments),
        )

    def _attachment(self, attachment: Attachment) -> Attachment:
        # The source's checksum is of the real bytes: the masked file carries none, and
        # reconciliation hashes the masked bytes on both sides.
        return attrs.evolve(attachment, file_name=self.file_name(attachment.file_name), sha256=None)

    def _custom(self, values: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
        settings = self.settings
        out: dict[str, FieldValue] = {}
        for key, value in values.items():
            masked = key in settings.fields or (
                settings.free_text_fields
                and key not in settings.keep_fields
                and (key in self._free or key not in self._known)
            )
            if not masked:
                out[key] = value
            elif isinstance(value, str):
                out[key] = self.text(value)
            elif isinstance(value, tuple):
                out[key] = tuple(self.text(v) for v in value)
            else:
                out[key] = value
        return out

    def _optional(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def _json_map(self, data: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
        return {key: self._json(key, value) for key, value in data.items()}

    def _json(self, key: str, value: JsonValue) -> JsonValue:
        if isinstance(value, dict):
            return self._json_map(value)
        if isinstance(value, list):
            return [self._json(key, v) for v in value]
        if key in _COORDINATE_KEYS and isinstance(value, int | float):
            return float(round(value))  # a city's whereabouts, not a street's
        if not isinstance(value, str) or key in _KEPT_JSON_KEYS:
            return value
        if _EMAIL.fullmatch(value):
            return self.email(value)
        if key in _ADDRESS_KEYS:
            return self._digits_only(value)
        return self.text(value)

    # -- values ------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """Plain text masked word by word: e-mail addresses as :meth:`email`, an address's
        scheme and a file marker's word kept, everything between words kept."""
        if not text:
            return text
        if "@" not in text:  # the common case, without the address search
            return self._text_urls(text)
        out: list[str] = []
        last = 0
        for match in _EMAIL.finditer(text):
            before = text[last : match.start()]
            cut = len(before) - (7 if before.lower().endswith("mailto:") else 0)
            out.append(self._text_urls(before[:cut]) + before[cut:])
            out.append(self.email(match.group(0)))
            last = match.end()
        out.append(self._text_urls(text[last:]))
        return "".join(out)

    def _text_urls(self, text: str) -> str:
        if ":" not in text:
            return self._text_markers(text)
        out: list[str] = []
        last = 0
        for match in _URL.finditer(text):
            out.append(self._text_markers(text[last : match.start()]))
            out.append(match.group(1) + self._words_of(match.group(2)))
            last = match.end()
        out.append(self._text_markers(text[last:]))
        return "".join(out)

    def _text_markers(self, text: str) -> str:
        if "[" not in text:
            return self._words_of(text)
        out: list[str] = []
        last = 0
        for match in _MARKER.finditer(text):
            out.append(self._words_of(text[last : match.start()]))
            out.append(f"[{match.group(1)}: {self.file_name(match.group(2))}]")
            last = match.end()
        out.append(self._words_of(text[last:]))
        return "".join(out)

    def html(self, body: str) -> str:
        """An HTML body with its text masked and its markup kept (tags, entities, styles);
        the ``alt``, ``title``, ``href`` and ``src`` attributes are masked like text."""
        if not body:
            return body
        out: list[str] = []
        for index, part in enumerate(_HTML.split(body)):
            # split() yields text, the whole match, then the style/script group (or None).
            if part is None or index % 3 == 2:
                continue
            if index % 3 == 0:
                out.append(self.text(part))
            elif part.startswith("<!--"):
                out.append(f"<!--{self.text(part[4:-3])}-->")
            elif part.startswith("<") and not _is_raw(part):
                out.append(_ATTRIBUTE.sub(self._attribute, part))
            else:
                out.append(part)
        return "".join(out)

    def _attribute(self, match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return f'{match.group(1)}"{self.text(match.group(2))}"'
        if match.group(3) is not None:
            return f"{match.group(1)}'{self.text(match.group(3))}'"
        return f"{match.group(1)}{self.text(match.group(4))}"

    def email(self, address: str) -> str:
        """An e-mail address masked to a valid one: the same local part always gives the
        same local mask (plus a short tag, so that two short parts do not collide), the same
        domain the same domain, under the reserved ``.example``."""
        local, at, domain = address.strip().lower().rpartition("@")
        if not at or not local or not domain:
            return self.text(address)
        tag = self._digest(b"local", local)[:3].hex()[:5]
        masked_local = self._words_of(local)
        return f"{masked_local}.{tag}@{self.domain(domain)}"

    def domain(self, domain: str) -> str:
        """A domain masked label by label, its top-level label replaced by ``example``."""
        labels = domain.strip().lower().split(".")
        kept = labels[:-1] if len(labels) > 1 else labels
        return ".".join([*(self._words_of(label) for label in kept), MASKED_DOMAIN])

    def phone(self, number: str) -> str:
        """A phone number with its digits masked (its ``+``, spaces and dashes kept)."""
        return self._digits_only(number)

    def file_name(self, name: str) -> str:
        """A file name masked, its extension kept (``passport.png`` → ``bemtuxoc.png``)."""
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 8 and extension.isalnum():
            return f"{self._words_of(stem)}.{extension}"
        return self._words_of(name)

    def _digits_only(self, value: str) -> str:
        digits = "".join(c for c in value if c.isdigit())
        if not digits:
            return self.text(value)
        stream = self._stream(b"digits", digits, len(digits))
        it = iter(stream)
        return "".join(str(next(it) % 10) if c.isdigit() else c for c in value)

    # -- the word machinery ------------------------------------------------------------------

    def _digest(self, label: bytes, value: str) -> bytes:
        return hmac.new(self._key, label + b"\0" + value.encode("utf-8"), hashlib.sha256).digest()

    def _stream(self, label: bytes, value: str, count: int) -> bytes:
        """``count`` bytes drawn from the keyed digest of ``value``."""
        return hashlib.shake_256(self._digest(label, value)).digest(max(count, 1))

    def _words_of(self, text: str) -> str:
        return _WORD.sub(self._word_match, text)

    def _word_match(self, match: re.Match[str]) -> str:
        return self._word(match.group(0))

    def _word(self, word: str) -> str:
        cached = self._words.get(word)
        if cached is not None:
            return cached
        lowered = word.lower()
        if len(lowered) != len(word):
            lowered = word  # a letter whose lower case is longer (İ): keyed as written
        draws = self._stream(b"word", lowered, 2 * len(word))
        chars = []
        for index, char in enumerate(word):
            (draw,) = struct.unpack_from(">H", draws, 2 * index)
            chars.append(self._char(char, draw))
        masked = "".join(chars)
        if len(self._words) >= _CACHE_LIMIT:
            self._words.clear()
        self._words[word] = masked
        return masked

    def _char(self, char: str, draw: int) -> str:
        category = unicodedata.category(char)
        if category == "Nd":
            zero = ord(char) - unicodedata.digit(char)
            return chr(zero + draw % 10)
        if category[0] != "L":
            return char  # marks and other numbers: kept
        name = unicodedata.name(char, "")
        script = name.split(" ", 1)[0]
        if script == "LATIN" or not name:
            pool = _VOWELS if char.lower() in _LATIN_VOWELS else _CONSONANTS
            picked = pool[draw % len(pool)]
            return picked.upper() if category == "Lu" else picked
        pool = self._pool(char, script, category)
        return pool[draw % len(pool)]

    def _pool(self, char: str, script: str, category: str) -> str:
        """Letters of ``char``'s script and category near it (a window of its block: the
        common letters of an alphabet sit together, its historic ones further away)."""
        window = ord(char) >> 5
        key = (script, category, window)
        pool = self._pools.get(key)
        if pool is None:
            found = []
            for code in range(max(0, (window << 5) - 48), (window << 5) + 32 + 48):
                candidate = chr(code)
                if (
                    unicodedata.category(candidate) == category
                    and unicodedata.name(candidate, "").split(" ", 1)[0] == script
                ):
                    found.append(candidate)
            pool = self._pools[key] = "".join(found) or char
        return pool

    # -- bytes -------------------------------------------------------------------------------

    def filler(self, attachment: Attachment) -> Callable[[int, int], bytes]:
        """The masked bytes of ``attachment``: ``filler(offset, count)``. They depend on the
        key, the attachment's id and type only; a header of the file's type begins them."""
        seed = self._digest(b"file", attachment.id)
        head, tail = _header(attachment)
        text = attachment.content_type.startswith("text/") or _extension(attachment) in (
            "txt",
            "csv",
            "log",
            "json",
            "xml",
            "html",
            "htm",
            "eml",
            "md",
        )
        block = hashlib.shake_256(seed).digest(4096)
        if text:
            letters = (_VOWELS + _CONSONANTS + "    \n").encode()
            block = bytes(letters[b % len(letters)] for b in block)
        size = attachment.size
        length = len(block)

        def fill(offset: int, count: int) -> bytes:
            start = offset % length
            out = bytearray((block * ((start + count) // length + 1))[start : start + count])
            if offset < len(head):  # the type's header
                part = head[offset : offset + count]
                out[: len(part)] = part
            if tail and offset + count > size - len(tail) and offset < size:  # its trailer
                begin = max(size - len(tail), offset)
                end = min(size, offset + count)
                out[begin - offset : end - offset] = tail[
                    begin - (size - len(tail)) : end - (size - len(tail))
                ]
            return bytes(out)

        return fill


def _is_raw(part: str) -> bool:
    lowered = part[:8].lower()
    return lowered.startswith(("<style", "<script"))


def _extension(attachment: Attachment) -> str:
    _stem, dot, extension = attachment.file_name.rpartition(".")
    return extension.lower() if dot else ""


def _png_header() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    )


_HEADERS: Final[Mapping[str, tuple[bytes, bytes]]] = {
    "png": (_png_header(), b""),
    "jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", b"\xff\xd9"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", b"\x3b"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"),
    "zip": (b"PK\x03\x04", b""),
}
_TYPES: Final[Mapping[str, str]] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "gif": "gif",
    "pdf": "pdf",
    "zip": "zip",
    "docx": "zip",
    "xlsx": "zip",
    "pptx": "zip",
}


def _header(attachment: Attachment) -> tuple[bytes, bytes]:
    """The bytes a file of the attachment's type begins and ends with (none if unknown)."""
    kind = _TYPES.get(attachment.content_type.lower()) or _TYPES.get(_extension(attachment))
    return _HEADERS.get(kind or "", (b"", b""))


class MaskedFiles:
    """A source's files with their bytes masked as a target (or reconciliation) reads them.

    The source's own download still happens, chunk by chunk (a rehearsal spends the source's
    budget as the migration will), and each chunk is replaced by masked bytes of its length,
    so a file keeps its exact size and is never whole in memory."""

    def __init__(self, files: _Files, mask: Mask) -> None:
        self._files = files
        self._mask = mask

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The attachment's masked bytes, streamed; the caller closes it."""
        inner = self._files.open_attachment(attachment)
        return io.BufferedReader(_MaskedStream(inner, self._mask.filler(attachment)), _CHUNK)

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, Any]:
        """The source's SLA history (times and targets: nothing to mask)."""
        return self._files.sla_history(tickets)

    def read_fields(self) -> tuple[FieldDef, ...]:
        """The source's field definitions."""
        return self._files.read_fields()


class _MaskedStream(io.RawIOBase):
    def __init__(self, inner: BinaryIO, fill: Callable[[int, int], bytes]) -> None:
        super().__init__()
        self._inner = inner
        self._fill = fill
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(len(buffer))
        if not chunk:
            return 0
        count = len(chunk)
        buffer[:count] = self._fill(self._offset, count)
        self._offset += count
        return count

    def close(self) -> None:
        self._inner.close()
        super().close()


def check_ledger(
    recorded: str | None, mask: Mask | None, *, has_runs: bool, ledger: str, doing: str
) -> None:
    """Refuse (a :class:`~cemigrate.errors.ConfigError`) to mix masked and real data in one
    ledger: ``recorded`` is the mask check the ledger holds (None: its runs were not masked),
    ``mask`` the mask of this run or reconciliation (``doing``: ``"run"`` or
    ``"reconcile"``). A masked run on a ledger of real runs would overwrite real records
    with masks; a run without the mask on a rehearsal's ledger would carry real data into the
    rehearsal account; another key would rewrite every record."""
    if recorded is None and mask is not None and has_runs:
        raise ConfigError(
            f"{ledger}: this ledger's runs were not masked: a masked rehearsal needs a plan"
            " and a ledger of its own"
            + (" (reconcile without --mask)" if doing == "reconcile" else "")
        )
    if recorded is not None and mask is None:
        raise ConfigError(
            f"{ledger}: this ledger is a masked rehearsal's: {doing} it with the plan's [mask]"
            " section (or --mask) and its key"
        )
    if recorded is not None and mask is not None and recorded != mask.check():
        raise ConfigError(
            f"{ledger}: this ledger's rehearsal was masked with another key than the one in"
            f" {mask.settings.key_env}"
        )
