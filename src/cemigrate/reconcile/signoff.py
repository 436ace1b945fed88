"""Sign-off and verification: an approval bound to the report's digest, checked later.

``sign_off`` writes ``signoff.json`` beside the report: who approved it, in which role, when,
the report's content digest and the SHA-256 of each report file, and what was signed: the
verdict, the findings' digest (counts by severity and the SHA-256 of the finding list the
report holds), the checks that did not run, and the reason given for accepting a report that
is not clean (``--accept``; without one such a report is refused). Each of those is sealed by
its own SHA-256 in ``seal``. ``verify`` recomputes all of them and, when the ledger the report
was made from is given, checks that its journal has not moved on since: any change after the
sign-off is named, file by file and item by item.

The seal shows an edit made by hand or by a tool that does not know it; it is no signature (it
holds no key): keep ``signoff.json`` where the report's readers cannot write.
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
from cemigrate.textfile import write_text

__all__ = ["SIGNOFF_FILE", "NotClean", "Verification", "sign_off", "verify"]

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


class NotClean(ConfigError):
    """The report is not clean (findings, or checks that did not run) and no reason for
    accepting it was given: nothing was signed."""


_SIGNED: Final = ("verdict", "findings", "not_run", "accepted")
"""What an approval says it approved, each sealed (``seal``) and checked by :func:`verify`."""


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _what_was_signed(report: dict[str, Any]) -> dict[str, Any]:
    """The verdict, the findings' digest and the checks not run, as the report holds them."""
    summary = report.get("summary") or {}
    return {
        "verdict": summary.get("verdict"),
        "findings": {
            "count": summary.get("findings"),
            "by_severity": summary.get("by_severity"),
            "digest": _hash(report.get("findings", [])),
        },
        "not_run": [
            {"check": item.get("check"), "what": item.get("what")}
            for item in report.get("not_verified", [])
        ],
    }


def _is_clean(report: dict[str, Any]) -> bool:
    summary = report.get("summary") or {}
    return bool(summary.get("clean", not summary.get("findings")))


def sign_off(
    folder: str | Path,
    *,
    name: str,
    role: str,
    accept: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> Path:
    """Record ``name``'s approval (as ``role``) of the report in ``folder``; the path of
    ``signoff.json``. The report must be intact: a report edited after it was written is
    refused. A report that is not clean (findings, or checks that did not run) is refused
    (:class:`NotClean`) unless ``accept`` gives the reason it is approved as it is."""
    folder = Path(folder)
    if not name.strip() or not role.strip():
        raise ConfigError("signoff: --name and --role must not be empty")
    if accept is not None and not accept.strip():
        raise ConfigError("signoff: --accept needs a reason (why this report is approved as is)")
    report = _load_report(folder)
    if content_digest(report) != report["digest"]:
        raise ConfigError(f"{folder / 'report.json'}: changed since it was written; not signed")
    signed = _what_was_signed(report)
    if accept is None and not _is_clean(report):
        raise NotClean(
            f"signoff: the report's verdict is {signed['verdict']!r}; not signed (fix it and "
            'reconcile again, or give the reason it is approved as is: --accept "REASON")'
        )
    files = {}
    for file_name in REPORT_FILES:
        path = folder / file_name
        if not path.exists():
            raise ConfigError(f"{path}: missing; not signed")
        files[file_name] = _file_digest(path)
    signed["accepted"] = accept.strip() if accept is not None else None
    approval = {
        "approved_by": name.strip(),
        "role": role.strip(),
        "date": (now or (lambda: datetime.now(UTC)))().replace(microsecond=0).isoformat(),
        "report_digest": report["digest"],
        **signed,
        "files": files,
        "ledger": report.get("ledger", {}),
    }
    approval["seal"] = {key: _hash(approval[key]) for key in (*_SIGNED, *_PEOPLE)}
    path = folder / SIGNOFF_FILE
    text = json.dumps(approval, indent=2, ensure_ascii=False) + "\n"
    return write_text(path, text, what="the sign-off")


_PEOPLE: Final = ("approved_by", "role", "date", "report_digest")


def _seal_changes(path: Path, approval: dict[str, Any]) -> list[str]:
    """Each signed item edited in ``signoff.json`` after it was written."""
    seal = approval.get("seal")
    if not isinstance(seal, dict):
        return [f"{path}: records no verdict, findings or checks not run (no seal): sign again"]
    return [
        f"{path}: {key} changed after the sign-off"
        for key in (*_SIGNED, *_PEOPLE)
        if seal.get(key) != _hash(approval.get(key))
    ]


def _signed_is_not_the_report(
    path: Path, approval: dict[str, Any], report: dict[str, Any]
) -> list[str]:
    """Each signed item that is no longer what the report says."""
    now = _what_was_signed(report)
    return [
        f"{path}: {key} signed is not the report's ({_short(approval.get(key))} signed, "
        f"{_short(now[key])} in the report)"
        for key in ("verdict", "findings", "not_run")
        if approval.get(key) != now[key]
    ]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return repr(text if len(text) <= 80 else text[:77] + "...")


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
    problems = _seal_changes(path, approval)
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
            problems += _signed_is_not_the_report(path, approval, report)
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
