"""Inline images: a comment body's links to the source account's attachment URLs, rewritten.

A comment's HTML shows a pasted screenshot as ``<img src="https://acme.zendesk.com/attachments/
token/.../?name=screenshot.png">``: the address of one of the comment's attachments
(:attr:`~cemigrate.schema.Attachment.location`) in the *source* account. It dies with the
source, and no target can import a body pointing at its own copy of the file before the file
exists there. So every target gets the same treatment, before it sees the ticket: the image
stays an attachment of its comment (the copier carries the bytes, ``inline`` kept), and the tag
becomes a short text marker naming the file. Links to such a file (``<a href>``) and any other
address on the source account's attachment path (a file of another comment, a stale link) are
rewritten the same way, in the HTML and the plain body alike.

Markers (documented in ``docs/mapping.md``):

- ``[image: <file name>]`` for an ``<img>`` tag;
- ``[attachment: <file name>]`` for a link or a bare address.

The copier applies :func:`rewrite_inline` to every ticket after the mapping, in the dry run
and the run; reconciliation applies it to the mapped source ticket too, so all three agree.
Platform-neutral: it knows attachment locations, not platforms.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from cemigrate.schema import Attachment, Comment, Ticket

__all__ = ["attachment_prefix", "linked_prefixes", "rewrite_comment", "rewrite_inline"]

_IMG: Final = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ANCHOR: Final = re.compile(r"<a\b([^>]*)>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_ATTRIBUTE: Final = re.compile(
    r"""\b(src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)
_URL: Final = re.compile(r"""[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>()\[\]]+""")
_TAG: Final = re.compile(r"<[^>]*>")


def attachment_prefix(location: str) -> str | None:
    """The source account's attachment path a location lies on: scheme, host and the path up
    to its ``/attachments/`` segment (else the location's folder); None for a location that
    is not an absolute URL (a Salesforce ``sobjects/...`` path is not one a body shows)."""
    parts = urlsplit(location)
    if not parts.scheme or not parts.netloc:
        return None
    path = parts.path
    at = path.find("/attachments/")
    path = path[: at + len("/attachments/")] if at >= 0 else path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def linked_prefixes(body: str) -> set[str]:
    """The attachment paths (:func:`attachment_prefix`) of every absolute address in ``body``:
    what reconciliation checks a target's comment bodies with against the sources'."""
    found = set()
    for match in _URL.finditer(body):
        prefix = attachment_prefix(html.unescape(match.group(0)))
        if prefix is not None:
            found.add(prefix)
    return found


def _guess_name(url: str) -> str:
    """A file name for an address on the attachment path that no attachment has."""
    parts = urlsplit(url)
    named = parse_qs(parts.query).get("name")
    if named and named[0]:
        return named[0]
    segments = [s for s in parts.path.split("/") if s]
    return unquote(segments[-1]) if segments else "file"


@attrs.define
class _Rewriter:
    by_location: dict[str, Attachment]
    prefixes: tuple[str, ...]
    count: int = 0
    absolute: bool = attrs.field(init=False)
    """Every location it knows holds ``://`` (so does every prefix)."""

    def __attrs_post_init__(self) -> None:
        self.absolute = all("://" in location for location in self.by_location)

    def target(self, url: str) -> tuple[bool, str] | None:
        """``(known, name)`` of an address that must not survive, else None."""
        url = html.unescape(url).strip()
        found = self.by_location.get(url)
        if found is not None:
            return True, found.file_name
        if any(url.startswith(prefix) for prefix in self.prefixes):
            return False, _guess_name(url)
        return None

    def img(self, match: re.Match[str]) -> str:
        for attribute in _ATTRIBUTE.finditer(match.group(0)):
            if attribute.group(1).lower() != "src":
                continue
            hit = self.target(attribute.group(2) or attribute.group(3) or attribute.group(4) or "")
            if hit is not None:
                self.count += 1
                return html.escape(f"[image: {hit[1]}]", quote=False)
        return match.group(0)

    def anchor(self, match: re.Match[str]) -> str:
        for attribute in _ATTRIBUTE.finditer(match.group(1)):
            if attribute.group(1).lower() != "href":
                continue
            url = attribute.group(2) or attribute.group(3) or attribute.group(4) or ""
            hit = self.target(url)
            if hit is None:
                break
            self.count += 1
            inner = match.group(2)
            shown = html.unescape(_TAG.sub("", inner)).strip()
            marker = html.escape(f"[attachment: {hit[1]}]", quote=False)
            if not shown or shown == html.unescape(url).strip() or shown.startswith("[image: "):
                return inner if shown.startswith("[image: ") else marker
            return f"{inner} {marker}"
        return match.group(0)

    def bare(self, match: re.Match[str]) -> str:
        hit = self.target(match.group(0))
        if hit is None:
            return match.group(0)
        self.count += 1
        return f"[attachment: {hit[1]}]"

    def rewrite_html(self, body: str) -> str:
        body = _IMG.sub(self.img, body)
        body = _ANCHOR.sub(self.anchor, body)
        return _URL.sub(lambda m: html.escape(self.bare(m), quote=False), body)

    def rewrite_plain(self, body: str) -> str:
        return _URL.sub(self.bare, body)


def _rewriter(attachments: Iterable[Attachment]) -> _Rewriter:
    by_location: dict[str, Attachment] = {}
    prefixes: set[str] = set()
    for attachment in attachments:
        if not attachment.location:
            continue
        by_location.setdefault(attachment.location, attachment)
        prefix = attachment_prefix(attachment.location)
        if prefix is not None:
            prefixes.add(prefix)
    return _Rewriter(by_location, tuple(sorted(prefixes)))


def _untouched(rewriter: _Rewriter, *bodies: str) -> bool:
    """Whether no address in ``bodies`` can be one of ``rewriter``'s, without a regular
    expression: every location and path it rewrites holds ``://`` (else nothing is known), and a
    body without ``&`` has no character reference that could spell one."""
    if not rewriter.absolute:
        return False
    return not any("://" in body or "&" in body for body in bodies)


def rewrite_comment(
    comment: Comment, attachments: Iterable[Attachment] | _Rewriter
) -> tuple[Comment, int]:
    """``comment`` with every address of ``attachments`` (and of their attachment path) in its
    bodies replaced by a marker, and how many addresses were replaced (0: the same object).
    ``attachments``: the ticket's, so a link to another comment's file is caught too."""
    rewriter = attachments if isinstance(attachments, _Rewriter) else _rewriter(attachments)
    if not rewriter.by_location or _untouched(rewriter, comment.body_html, comment.body_plain):
        return comment, 0
    rewriter.count = 0
    body_html = rewriter.rewrite_html(comment.body_html)
    in_html = rewriter.count
    body_plain = rewriter.rewrite_plain(comment.body_plain)
    if not rewriter.count:
        return comment, 0
    # An address in both bodies is one image: the HTML count stands, unless only the plain
    # body carried it.
    counted = in_html or rewriter.count
    return attrs.evolve(comment, body_html=body_html, body_plain=body_plain), counted


def rewrite_inline(ticket: Ticket) -> tuple[Ticket, int]:
    """``ticket`` with no comment body linking to the source account's attachments, and the
    number of images and links rewritten (0: the same object, unchanged). The files stay
    attachments of their comments (``inline`` kept); the ticket's description, when it shows
    the first comment's body, is rewritten with it."""
    files = [a for c in ticket.comments for a in c.attachments]
    if not any(a.location for a in files):
        return ticket, 0
    comments: list[Comment] = []
    total = 0
    rewriter = _rewriter(files)  # once per ticket: every comment is looked at with it
    for comment in ticket.comments:
        rewritten, count = rewrite_comment(comment, rewriter)
        comments.append(rewritten)
        total += count
    description = ticket.description
    if not _untouched(rewriter, description):
        description = rewriter.rewrite_plain(description)
    if not total and description == ticket.description:
        return ticket, 0
    return attrs.evolve(ticket, comments=tuple(comments), description=description), total
