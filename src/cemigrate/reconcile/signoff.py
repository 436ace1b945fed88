"""Sign-off and verification: an approval bound to the report's digest, checked later.

``sign_off`` writes ``signoff.json`` beside the report: who approved it, in which role, when,
the report's content digest and the SHA-256 of each report file. ``verify`` recomputes all of
them and, when the ledger the report was made from is given, checks that its journal has not
moved on since: any change after the sign-off is named, file by file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.errors import ConfigError
from cemigrate.reconcile.report import REPORT_FILES, content_digest

__all__ = ["SIGNOFF_FILE", "Verification", "sign_off", "verify"]

SIGNOFF_FILE: Final = "signoff.json"
"""The approval, written beside the report."""

_CHUNK: Final = 1 << 16


def _file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _load_report(folder: Path) -> dict[str, Any]:
    path = folder / "report.json"
    if not path.exists():
        raise ConfigError(f"{folder}: no report.json (run cemigrate reconcile first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable report ({exc})") from exc
    if not isinstance(data, dict) or "digest" not in data:
        raise ConfigError(f"{path}: not a reconciliation report")
    return data


def sign_off(
    folder: str | Path,
    *,
    name: str,
    role: str,
    now: Callable[[], datetime] | None = None,
) -> Path:
    """Record ``name``'s approval (as ``role``) of the report in ``folder``; the path of
    ``signoff.json``. The report must be intact: a report edited after it was written is
    refused."""
    folder = Path(folder)
    if not name.strip() or not role.strip():
        raise ConfigError("signoff: --name and --role must not be empty")
    report = _load_report(folder)
    if content_digest(report) != report["digest"]:
        raise ConfigError(f"{folder / 'report.json'}: changed since it was written; not signed")
    files = {}
    for file_name in REPORT_FILES:
        path = folder / file_name
        if not path.exists():
            raise ConfigError(f"{path}: missing; not signed")
        files[file_name] = _file_digest(path)
    approval = {
        "approved_by": name.strip(),
        "role": role.strip(),
        "date": (now or (lambda: datetime.now(UTC)))().replace(microsecond=0).isoformat(),
        "report_digest": report["digest"],
        "files": files,
        "ledger": report.get("ledger", {}),
    }
    path = folder / SIGNOFF_FILE
    path.write_text(json.dumps(approval, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@attrs.frozen
class Verification:
    """What ``verify`` found: the approval, and every change since (empty when intact)."""

    approval: dict[str, Any]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing changed after the sign-off."""
        return not self.problems


def verify(folder: str | Path, *, ledger_path: str | Path | None = None) -> Verification:
    """Check the signed report in ``folder``: each file against its digest at sign-off, the
    report's content against its own digest, and (with ``ledger_path``) the ledger's journal
    against the one the report was made from."""
    folder = Path(folder)
    path = folder / SIGNOFF_FILE
    if not path.exists():
        raise ConfigError(f"{folder}: not signed off (no {SIGNOFF_FILE})")
    try:
        approval = json.loads(path.read_text(encoding="utf-8"))
        files = dict(approval["files"])
        signed_digest = str(approval["report_digest"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable sign-off ({exc})") from exc
    problems = []
    for file_name in REPORT_FILES:
        file_path = folder / file_name
        if not file_path.exists():
            problems.append(f"{file_path}: missing since the sign-off")
        elif _file_digest(file_path) != files.get(file_name):
            problems.append(f"{file_path}: changed after the sign-off")
    report_path = folder / "report.json"
    if report_path.exists():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
            if (
                content_digest(report) != report.get("digest")
                or report.get("digest") != signed_digest
            ):
                problems.append(f"{report_path}: its content no longer matches the signed digest")
        except (ValueError, UnicodeDecodeError, AttributeError):
            problems.append(f"{report_path}: no longer a readable report")
    if ledger_path is not None:
        problems += _ledger_changes(Path(ledger_path), approval.get("ledger") or {})
    return Verification(approval=approval, problems=tuple(dict.fromkeys(problems)))


def _ledger_changes(path: Path, signed: dict[str, Any]) -> list[str]:
    from cemigrate.errors import CemigrateError
    from cemigrate.ledger import Ledger

    if not path.exists():
        return [f"{path}: the ledger the report was made from is gone"]
    try:
        with Ledger.open(path) as ledger:
            rows = ledger.verify_journal()
            head = ""
            for row in ledger.journal():
                head = row.hash
    except CemigrateError as exc:
        return [f"{path}: {exc}"]
    if rows != signed.get("journal_rows") or head != signed.get("journal_head"):
        return [
            f"{path}: the migration's data changed after the sign-off (journal: "
            f"{signed.get('journal_rows')} rows then, {rows} now)"
        ]
    return []
