"""The reconciliation report: ``report.json`` (versioned), ``report.md`` and ``report.html``.

The report's *content* is everything in ``report.json`` but its ``digest``; the digest is the
SHA-256 of the content as canonical JSON (keys sorted, no spaces), printed in all three files
and bound to the approval by ``cemigrate signoff``. Findings name records by key and id; no
ticket or comment body is ever written.

The summary's ``verdict`` is ``clean: no finding`` only when nothing was found and every check
ran (``clean`` true, ``not_run`` empty); the checks that did not run are the data's
``not_verified`` list (:mod:`cemigrate.reconcile.coverage`), each named in the verdict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.reconcile.coverage import verdict
from cemigrate.reconcile.findings import Finding, Findings, Severity
from cemigrate.textfile import write_text

__all__ = ["REPORT_FILES", "SCHEMA_VERSION", "ReconcileReport", "content_digest"]

SCHEMA_VERSION: Final = 1
"""The version of ``report.json``'s shape."""

REPORT_FILES: Final = ("report.json", "report.md", "report.html")
"""The files a report is written as, in the folder given."""


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 of a report's content (``report.json`` without its ``digest``)."""
    text = json.dumps(
        {k: v for k, v in content.items() if k != "digest"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class ReconcileReport:
    """What a reconciliation found, ready to be written and signed."""

    content: Mapping[str, Any]
    """``report.json`` without its digest."""
    findings: tuple[Finding, ...]
    """The findings kept (every one is counted in ``content["summary"]``)."""

    @classmethod
    def build(cls, data: Mapping[str, Any], findings: Findings) -> ReconcileReport:
        """The report of a run's data and findings."""
        kept = tuple(findings.kept)
        not_run = list(data.get("not_verified", ()))
        content = {
            "schema_version": SCHEMA_VERSION,
            **data,
            "summary": {
                "findings": len(findings),
                "by_severity": {s.value: findings.by_severity.get(s.value, 0) for s in Severity},
                "by_check": dict(sorted(findings.by_check.items())),
                "left_out": findings.truncated,
                "verdict": _verdict(findings, not_run),
                "not_run": [item["check"] for item in not_run],
                "clean": not len(findings) and not not_run,
            },
            "findings": [f.as_dict() for f in kept],
        }
        return cls(content=content, findings=kept)

    @property
    def digest(self) -> str:
        """SHA-256 of the content."""
        return content_digest(self.content)

    @property
    def clean(self) -> bool:
        """True when nothing was found and every check ran."""
        return bool(self.content["summary"]["clean"])

    def as_dict(self) -> dict[str, Any]:
        """``report.json``: the content and its digest."""
        return {**self.content, "digest": self.digest}

    def markdown(self) -> str:
        """``report.md``."""
        from cemigrate.reconcile.render import markdown

        return markdown(self.as_dict())

    def html(self) -> str:
        """``report.html``: one self-contained page with inline SVG charts."""
        from cemigrate.reconcile.render import html_page

        return html_page(self.as_dict())

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write the three files into ``folder`` (created if needed); their paths by name."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        texts = {
            "report.json": json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n",
            "report.md": self.markdown(),
            "report.html": self.html(),
        }
        paths = {}
        for name, text in texts.items():
            path = folder / name
            paths[name] = write_text(path, text, what=f"the reconciliation's {name}")
        return paths


def _verdict(findings: Findings, not_run: list[Mapping[str, Any]]) -> str:
    """The worst severity found, then every check that did not run (``data["not_verified"]``,
    :mod:`cemigrate.reconcile.coverage`); ``clean: no finding`` only with neither."""
    return verdict(findings.by_severity, not_run)
