"""A masked Zendesk → Salesforce rehearsal: the dry run, the run and the reconciliation work on
masked data, the reconciliation is clean, and no e-mail, name, subject or body sentence of the
source reaches the target, the ledger, the logs or the reports."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.mapping.mask import Mask, MaskSettings
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.web import seats
from cemigrate.schema import Kind, Organization, Role, Ticket, User
from cemigrate.testing.accounts import empty_target, zendesk_source

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 30, 11
KEY = "rehearsal-key-0123456789abcdef"


def _org(clock: ManualClock, desk: HelpDesk, mask: Mask) -> SalesforceSandbox:
    """The rehearsal org: its agents' seats hold the masked names and addresses (the sandbox
    a team rehearses in never held the real staff)."""
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    for person in seats(desk):
        masked = mask.record(person)
        assert isinstance(masked, User)
        org.add_user(
            name=masked.name,
            email=masked.email or "",
            profile="System Administrator" if person.role is Role.ADMIN else "Standard User",
            active=not person.suspended,
        )
    return org


def _sentences(text: str) -> set[str]:
    """Sentences and lines of at least 20 characters."""
    return {
        part.strip()
        for part in re.split(r"[.!?。！？\n]+", text)
        if len(part.strip()) >= 20 and "://" not in part
    }


def _personal(desk: HelpDesk) -> set[str]:
    """What must not leave the source: e-mails, names, subjects and body sentences."""
    found: set[str] = set()
    for user in desk.records(Kind.USER):
        assert isinstance(user, User)
        found.add(user.name)
        if user.email:
            found.add(user.email.lower())
        found.update(i.value for i in user.identities)
    for org in desk.records(Kind.ORGANIZATION):
        assert isinstance(org, Organization)
        found.add(org.name)
    for ticket in desk.records(Kind.TICKET):
        assert isinstance(ticket, Ticket)
        found.add(ticket.subject)
        for comment in ticket.comments:
            found |= _sentences(comment.body_plain)
            found.update(a.file_name.rsplit(".", 1)[0] for a in comment.attachments)
    return {s for s in found if len(s) >= 5}


def _dump(org: SalesforceSandbox) -> str:
    """Everything the org stores: every row of every object, the tooling rows and the files."""
    backend = org.backend
    parts = [json.dumps(backend.rows, default=str, ensure_ascii=False)]
    parts.append(json.dumps(backend.tooling, default=str, ensure_ascii=False))
    for blob in backend.blobs.values():
        data = blob() if callable(blob) else blob
        parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0] if char.isalpha() else "?"


def _leaks(haystack: str, needles: set[str], before: str = "") -> list[str]:
    low = haystack.lower()
    return sorted(n for n in needles if n.lower() in low and n.lower() not in before.lower())


@pytest.mark.slow
def test_a_masked_rehearsal_reconciles_clean_and_leaves_no_source_string_anywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    mask = Mask(KEY)
    org = _org(clock, desk, mask)
    before = _dump(org)
    personal = _personal(desk)
    assert len(personal) > 100
    assert not _leaks(before, personal)  # the empty org holds none of them to begin with
    mapping = ROOT / "mappings" / "zendesk-to-salesforce.toml"
    credentials = SalesforceCredentials(access_token=org.access_token)
    target = SalesforceTarget(
        credentials=credentials,
        session=org.session(authenticated=False),
        instance_url=org.base_url,
        clock=clock,
    )
    ledger_path = tmp_path / "ledger.sqlite"
    with Ledger.open(ledger_path) as ledger:
        migration = Migration(
            sources=[zendesk_source(clock, tickets=TICKETS, seed=SEED)],
            target=target,
            ledger=ledger,
            mapping=load_mapping(mapping),
            progress=False,
            mask=mask,
        )
        plan = migration.dry_run()
        assert plan.report.failed == 0
        plan.write(tmp_path / "dryrun")
        report = migration.run()
        assert report.status == "completed"
        assert report.failed == 0
        assert report.total("created") > 100
        clock.advance(120)
        reconciliation = Reconciliation(
            sources=[zendesk_source(clock, tickets=TICKETS, seed=SEED)],
            target_view=SalesforceSource(
                instance="target",
                credentials=credentials,
                session=org.session(authenticated=False),
                target_view=True,
                instance_url=org.base_url,
                clock=clock,
            ),
            ledger=ledger,
            target=target,
            mapping=load_mapping(mapping),
            mask=mask,
        )
        checked = reconciliation.run()
        checked.write(tmp_path / "report")
    summary = checked.content["summary"]
    assert summary["findings"] == 0, [f.message for f in checked.findings[:5]]
    assert summary["verdict"].startswith("clean"), summary["verdict"]
    assert checked.as_dict()["fields"]["ticket_checks"]  # compared ticket by ticket
    held = _dump(org)
    assert len(held) > len(before) + 1_000_000  # the tickets, comments and files are there
    assert not _leaks(held, personal, before)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.sqlite*"))
    assert not _leaks(stored.decode("utf-8", "replace"), personal)
    reports = "".join(
        p.read_text(encoding="utf-8")
        for p in tmp_path.rglob("*")
        if p.suffix in (".md", ".json", ".html")
    )
    assert "ticket" in reports
    assert not _leaks(reports, personal)
    assert not _leaks(caplog.text, personal)
    # Subjects kept their lengths, and the bodies their scripts (Hangul stays Hangul ...).
    tickets = [t for t in desk.records(Kind.TICKET) if isinstance(t, Ticket)]
    cases = org.backend.rows["Case"].values()
    lengths = Counter(len(c["Subject"]) for c in cases)
    assert sum(lengths.values()) >= len(tickets) - 2  # a deleted ticket is skipped
    assert not lengths - Counter(len(t.subject) for t in tickets)
    written = {_script(ch) for ch in held if ch.isalpha()}
    spoken = {_script(ch) for t in tickets for c in t.comments for ch in c.body_plain}
    assert len(spoken - {"?"}) >= 4
    assert spoken - {"?"} <= written
    # Each file kept its extension, its exact size and a header of its type.
    files = sorted(
        (a.file_name.rsplit(".", 1)[-1], a.size)
        for t in desk.records(Kind.TICKET)
        if isinstance(t, Ticket)
        for c in t.comments
        for a in c.attachments
    )
    versions = org.backend.rows["ContentVersion"].values()
    assert (
        sorted((v["PathOnClient"].rsplit(".", 1)[-1], v["ContentSize"]) for v in versions) == files
    )
    for version in versions:
        blob = org.backend.blobs[version["Id"]]
        data = blob() if callable(blob) else blob
        assert len(data) == version["ContentSize"]
        if version["PathOnClient"].endswith(".png"):
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        if version["PathOnClient"].endswith(".pdf"):
            assert data.startswith(b"%PDF-")
            assert data.rstrip().endswith(b"%%EOF")
    assert KEY not in held + stored.decode("utf-8", "replace") + reports + caplog.text


@pytest.mark.parametrize("platform", ["zendesk", "freshdesk"])
def test_a_masked_rehearsal_keeping_agents_reconciles_clean_on_the_other_targets(
    platform: str,
) -> None:
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    made = empty_target(platform, clock, desk)  # Freshdesk: the staff's real seats are kept
    target, view = made.target, made.view()
    name = f"zendesk-to-{platform}"
    mask = Mask(KEY, MaskSettings(keep_agents=True))
    mapping = ROOT / "mappings" / f"{name}.toml"
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[zendesk_source(clock, tickets=TICKETS, seed=SEED)],
            target=target,
            ledger=ledger,
            mapping=load_mapping(mapping),
            progress=False,
            mask=mask,
        ).run()
        assert report.status == "completed"
        assert report.failed == 0
        clock.advance(120)
        checked = Reconciliation(
            sources=[zendesk_source(clock, tickets=TICKETS, seed=SEED)],
            target_view=view,
            ledger=ledger,
            target=target,
            mapping=load_mapping(mapping),
            mask=mask,
        ).run()
    assert checked.content["summary"]["verdict"].startswith("clean")
    # Read back: customers masked, the staff as they are.
    people = [u for b in view.read(Kind.USER) for u in b.records if isinstance(u, User)]
    names = {u.name for u in people}
    for user in desk.records(Kind.USER):
        assert isinstance(user, User)
        if user.role is Role.END_USER:
            assert user.name not in names
            assert mask.text(user.name) in names
        elif not user.suspended and user.email:
            assert user.name in names
