"""Attachment bytes of the demo help desk, made on demand from a (template, variant) pair.

Small files are a cached template (a real PNG, PDF, CSV or text file) plus a short tail that
depends on the variant (a PNG ``tEXt`` chunk, a PDF info object and cross-reference table, a
few CSV or log lines), so their size and SHA-256 cost only the tail: the template's hash state
is computed once and copied. The few multi-megabyte files are rebuilt from a seeded pattern;
their digest is computed once per distinct file and cached.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hashlib import _Hash


class BlobSpec(NamedTuple):
    """How to rebuild an attachment's bytes: a template name and a variant number."""

    template: str
    variant: int


class Template(NamedTuple):
    """A kind of file the demo customers and agents attach."""

    content_type: str
    extension: str
    large: bool = False


TEMPLATES: dict[str, Template] = {
    "id_card_png": Template("image/png", "png"),
    "passport_png": Template("image/png", "png"),
    "selfie_png": Template("image/png", "png"),
    "screenshot_png": Template("image/png", "png"),
    "id_scan_pdf": Template("application/pdf", "pdf"),
    "statement_pdf": Template("application/pdf", "pdf"),
    "receipt_pdf": Template("application/pdf", "pdf"),
    "trades_csv": Template("text/csv", "csv"),
    "log_txt": Template("text/plain", "txt"),
    "large_png": Template("image/png", "png", large=True),
    "large_pdf": Template("application/pdf", "pdf", large=True),
    "large_csv": Template("text/csv", "csv", large=True),
}
"""Every template by name."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PAD = b"cemigrate demo attachment padding 0123456789 " * 100


def _padding(variant: int) -> bytes:
    return _PAD[: (variant * 2654435761) % 4093]


def _table(low: int, levels: int) -> bytes:
    """A translation table squeezing random bytes into ``low .. low + levels - 1``."""
    return bytes(low + i % levels for i in range(256))


# --- PNG -------------------------------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def _png_head(width: int, height: int, color: int, rows: Sequence[bytes], level: int) -> bytes:
    """Signature, header and image data of a PNG (filter 0 on every row), without IEND."""
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, level))


def _png_tail(variant: int) -> bytes:
    text = b"Comment\x00cemigrate demo attachment %d\n" % variant + _padding(variant)
    return _chunk(b"tEXt", text) + _chunk(b"IEND", b"")


def _document_rows(rng: random.Random, width: int, height: int, passport: bool) -> list[bytes]:
    """Grey rows that look like a scanned identity document: photo, text lines, MRZ."""
    paper, ink = _table(196, 24), _table(40, 48)
    rows = []
    photo_x, photo_w = width // 16, width // 4
    for y in range(height):
        row = rng.randbytes(width).translate(paper)
        if height // 5 <= y < height * 3 // 4:
            row = row[:photo_x] + rng.randbytes(photo_w).translate(ink) + row[photo_x + photo_w :]
        if height // 6 <= y < height * 5 // 6 and y % 28 < 9:
            start = photo_x + photo_w + 40
            length = 80 + (y * 37) % (width - start - 100)
            row = row[:start] + b"\x20" * length + row[start + length :]
        if passport and y >= height - 70 and y % 30 < 14:
            row = row[:30] + bytes(30 + (x * 7) % 20 for x in range(width - 60)) + row[-30:]
        rows.append(row)
    return rows


def _id_card_png(rng: random.Random) -> bytes:
    return _png_head(640, 404, 0, _document_rows(rng, 640, 404, False), 6)


def _passport_png(rng: random.Random) -> bytes:
    return _png_head(880, 620, 0, _document_rows(rng, 880, 620, True), 6)


def _selfie_png(rng: random.Random) -> bytes:
    skin, background = _table(150, 8), _table(60, 8)
    rows = []
    for y in range(480):
        half = max(0, 150 - abs(y - 200) // 2) if y < 420 else 170
        left = 180 - half
        row = rng.randbytes(1080).translate(background)
        face = rng.randbytes(6 * half).translate(skin)
        rows.append(row[: 3 * left] + face + row[3 * left + len(face) :])
    return _png_head(360, 480, 2, rows, 6)


def _screenshot_png(rng: random.Random) -> bytes:
    width, height = 750, 1334
    white, bar = b"\xff\xff\xff" * width, b"\x1e\x23\x30" * width
    rows = []
    for y in range(height):
        if y < 140:
            rows.append(bar)
        elif y % 48 < 14 and 180 <= y < 1200:
            words = bytearray(white)
            x = 40
            while x < width - 120:
                length = rng.randrange(30, 110)
                words[3 * x : 3 * (x + length)] = b"\x33\x33\x33" * length
                x += length + rng.randrange(12, 24)
            rows.append(bytes(words))
        else:
            rows.append(white)
    return _png_head(width, height, 2, rows, 6)


# --- PDF -------------------------------------------------------------------------------------


def _pdf_head(objects: Sequence[bytes]) -> tuple[bytes, tuple[int, ...]]:
    """The PDF header and numbered objects, with each object's byte offset."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    return bytes(out), tuple(offsets)


def _pdf_tail(head_size: int, offsets: tuple[int, ...], variant: int) -> bytes:
    """An info object naming the variant, then the cross-reference table and trailer."""
    number = len(offsets) + 1
    info = (
        b"%d 0 obj\n<< /Producer (cemigrate demo) /Subject (attachment %d) /Keywords (%s) >>"
        b"\nendobj\n" % (number, variant, _padding(variant))
    )
    xref_at = head_size + len(info)
    entries = b"".join(b"%010d 00000 n \n" % offset for offset in (*offsets, head_size))
    return (
        info
        + b"xref\n0 %d\n0000000000 65535 f \n" % (number + 1)
        + entries
        + b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (number + 1, number, xref_at)
    )


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def _pdf_objects(lines: Sequence[str], image: bytes | None) -> list[bytes]:
    text = b"BT /F1 10 Tf 14 TL 50 800 Td " + b" ".join(
        b"(%s) '" % line.encode("ascii") for line in lines
    )
    content = text + b" ET"
    resources = b"/Font << /F1 5 0 R >>"
    if image is not None:
        content += b" q 400 0 0 252 97 420 cm /Im1 Do Q"
        resources += b" /XObject << /Im1 6 0 R >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << " + resources + b" >> >>",
        _stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if image is not None:
        objects.append(image)
    return objects


def _gray_image(width: int, height: int, pixels: bytes, compress: bool) -> bytes:
    head = b"/Type /XObject /Subtype /Image /Width %d /Height %d" % (width, height)
    head += b" /ColorSpace /DeviceGray /BitsPerComponent 8"
    if compress:
        return _stream(head + b" /Filter /FlateDecode", zlib.compress(pixels, 6))
    return _stream(head, pixels)


def _statement_lines(rng: random.Random, rows: int) -> list[str]:
    lines = ["Account statement - Example Bank", "Date        Reference          Amount"]
    for day in range(rows):
        amount = rng.randrange(100, 500000) / 100
        lines.append(
            f"2024-{1 + day % 12:02d}-{1 + day % 28:02d}  EX{rng.randrange(10**9):09d}"
            f"   {amount:>10.2f}"
        )
    return lines


def _id_scan_pdf(rng: random.Random) -> tuple[bytes, tuple[int, ...]]:
    pixels = b"".join(_document_rows(rng, 640, 404, False))
    image = _gray_image(640, 404, pixels, compress=True)
    return _pdf_head(_pdf_objects(["Identity document - scan"], image))


def _statement_pdf(rng: random.Random) -> tuple[bytes, tuple[int, ...]]:
    return _pdf_head(_pdf_objects(_statement_lines(rng, 48), None))


def _receipt_pdf(rng: random.Random) -> tuple[bytes, tuple[int, ...]]:
    lines = ["Transfer receipt", f"Reference EX{rng.randrange(10**9):09d}", "Status: executed"]
    return _pdf_head(_pdf_objects(lines, None))


# --- CSV and text ----------------------------------------------------------------------------

_PAIRS = ("BTC-USDT", "ETH-USDT", "SOL-USDT", "ETH-BTC", "XRP-USDT", "BTC-EUR", "DOGE-USDT")


def _trade_row(rng: random.Random, n: int) -> str:
    side = "buy" if rng.random() < 0.5 else "sell"
    price = rng.randrange(10, 7_000_000) / 100
    amount = rng.randrange(1, 10**7) / 10**5
    return (
        f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z,"
        f"{_PAIRS[n % len(_PAIRS)]},{side},{price:.2f},{amount:.5f},{price * amount * 0.001:.6f}\n"
    )


_CSV_HEADER = "time,pair,side,price,amount,fee\n"


def _trades_csv(rng: random.Random) -> bytes:
    return (_CSV_HEADER + "".join(_trade_row(rng, n) for n in range(400))).encode()


def _csv_tail(variant: int) -> bytes:
    rng = random.Random(variant)
    rows = 1 + len(_padding(variant)) // 256
    return "".join(_trade_row(rng, variant + n) for n in range(rows)).encode()


_LOG_EVENTS = (
    "INFO  app.start version=5.12.{n}",
    "INFO  auth.login.attempt method=password",
    "WARN  auth.2fa.rejected reason=code_expired",
    "INFO  wallet.deposit.pending confirmations={n}",
    "ERROR api.request failed status=502 retry={n}",
    "INFO  session.refresh ok",
)


def _log_line(n: int) -> str:
    event = _LOG_EVENTS[n % len(_LOG_EVENTS)].format(n=n % 40)
    return f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00 {event}\n"


def _log_txt(rng: random.Random) -> bytes:
    return "".join(_log_line(rng.randrange(10**6)) for _ in range(160)).encode()


def _log_tail(variant: int) -> bytes:
    rows = 1 + len(_padding(variant)) // 256
    return "".join(_log_line(variant + n) for n in range(rows)).encode()


# --- small templates: cached head and hash state ---------------------------------------------


class _Small(NamedTuple):
    head: bytes
    state: _Hash
    offsets: tuple[int, ...]
    tail: Callable[[int], bytes]


def _pdf_small(
    build: Callable[[random.Random], tuple[bytes, tuple[int, ...]]],
) -> Callable[[random.Random], tuple[bytes, tuple[int, ...], Callable[[int], bytes]]]:
    def make(rng: random.Random) -> tuple[bytes, tuple[int, ...], Callable[[int], bytes]]:
        head, offsets = build(rng)
        return head, offsets, lambda variant: _pdf_tail(len(head), offsets, variant)

    return make


def _plain_small(
    build: Callable[[random.Random], bytes], tail: Callable[[int], bytes]
) -> Callable[[random.Random], tuple[bytes, tuple[int, ...], Callable[[int], bytes]]]:
    def make(rng: random.Random) -> tuple[bytes, tuple[int, ...], Callable[[int], bytes]]:
        return build(rng), (), tail

    return make


_SMALL_BUILDERS: dict[
    str, Callable[[random.Random], tuple[bytes, tuple[int, ...], Callable[[int], bytes]]]
] = {
    "id_card_png": _plain_small(_id_card_png, _png_tail),
    "passport_png": _plain_small(_passport_png, _png_tail),
    "selfie_png": _plain_small(_selfie_png, _png_tail),
    "screenshot_png": _plain_small(_screenshot_png, _png_tail),
    "id_scan_pdf": _pdf_small(_id_scan_pdf),
    "statement_pdf": _pdf_small(_statement_pdf),
    "receipt_pdf": _pdf_small(_receipt_pdf),
    "trades_csv": _plain_small(_trades_csv, _csv_tail),
    "log_txt": _plain_small(_log_txt, _log_tail),
}


@cache
def _small(template: str) -> _Small:
    head, offsets, tail = _SMALL_BUILDERS[template](random.Random(f"cemigrate:{template}"))
    return _Small(head, hashlib.sha256(head), offsets, tail)


# --- large files -----------------------------------------------------------------------------


def _large_png(rng: random.Random) -> bytes:
    width, height = 1400, 1000
    noise = _table(96, 8)
    rows = [rng.randbytes(3 * width).translate(noise) for _ in range(height)]
    return _png_head(width, height, 2, rows, 0) + _chunk(b"IEND", b"")


def _large_pdf(rng: random.Random) -> bytes:
    width, height = 2000, 1700
    pixels = rng.randbytes(width * height).translate(_table(180, 32))
    lines = ["Account statement - full year, scanned"]
    head, offsets = _pdf_head(_pdf_objects(lines, _gray_image(width, height, pixels, False)))
    return head + _pdf_tail(len(head), offsets, rng.randrange(10**6))


def _large_csv(rng: random.Random) -> bytes:
    block = [_trade_row(rng, n) for n in range(512)]
    rows = "".join(f"{n},{block[n % 512]}" for n in range(50_000))
    return ("n," + _CSV_HEADER + rows).encode()


_LARGE_BUILDERS: dict[str, Callable[[random.Random], bytes]] = {
    "large_png": _large_png,
    "large_pdf": _large_pdf,
    "large_csv": _large_csv,
}


def _large(spec: BlobSpec) -> bytes:
    return _LARGE_BUILDERS[spec.template](
        random.Random(f"cemigrate:{spec.template}:{spec.variant}")
    )


@lru_cache(maxsize=64)
def _large_measure(spec: BlobSpec) -> tuple[int, str]:
    data = _large(spec)
    return len(data), hashlib.sha256(data).hexdigest()


# --- public ----------------------------------------------------------------------------------


def render(spec: BlobSpec) -> bytes:
    """The bytes of one attachment."""
    if TEMPLATES[spec.template].large:
        return _large(spec)
    small = _small(spec.template)
    return small.head + small.tail(spec.variant)


def measure(spec: BlobSpec) -> tuple[int, str]:
    """Size and SHA-256 (hex) of :func:`render` ``(spec)``, without building small files."""
    if TEMPLATES[spec.template].large:
        return _large_measure(spec)
    small = _small(spec.template)
    tail = small.tail(spec.variant)
    state = small.state.copy()
    state.update(tail)
    return len(small.head) + len(tail), state.hexdigest()
