"""Inline images on a real platform pair: Zendesk → Zendesk between two emulated accounts.

Zendesk shows a pasted screenshot in a comment's ``html_body`` as an ``<img>`` whose address
is the attachment's ``content_url`` on the source account. After the migration no comment
body in the target points at the source account's attachments: the image is an attachment of
its comment with the same bytes, the tag a marker naming the file, and the run report counts
it. (The memory pair is covered in ``test_reconcile_fields.py``.)
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import rewrite_inline
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Attachment, Comment, Status, Ticket

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


def _show_inline(account: ZendeskSandbox) -> tuple[int, dict[str, Any], bytes]:
    """Make one comment show its first attachment inline, as Zendesk's agent editor does: the
    ticket id, the attachment's JSON and its bytes."""
    backend = account.backend
    for tid in sorted(backend.tickets):
        if backend.ticket_state[tid].deleted:
            continue
        for comment in backend.comments[tid]:
            if comment["attachments"]:
                attachment = comment["attachments"][0]
                url = attachment["content_url"]
                attachment["inline"] = True
                comment["html_body"] += f'<p><img src="{url}" alt="{attachment["file_name"]}"></p>'
                comment["plain_body"] += f"\n{url}"
                comment["body"] = comment["plain_body"]
                backend.touch()
                token = url.split("/attachments/token/")[1].split("/")[0]
                _, data = backend.attachment_bytes(token)
                return tid, attachment, data
    raise AssertionError("no ticket with an attachment")


def test_a_zendesk_inline_image_arrives_as_an_attachment_with_no_link_to_the_source() -> None:
    clock = ManualClock()
    old = ZendeskSandbox(tickets=30, seed=3, instance="emea", clock=clock)
    # Empty: a seeded account holds the source's rules and an agent under the source admin's
    # e-mail, which the migration would adopt as they are (and reconciliation rightly flag).
    new = ZendeskSandbox(tickets=0, empty=True, seed=9, instance="t", clock=clock, subdomain="new")
    for role in old.backend.custom_roles.values():  # an admin defines the roles beforehand
        if new.backend.custom_role_id(role["name"]) is None:
            new.backend.add_custom_role(role["name"])
    tid, attachment, data = _show_inline(old)
    clock.advance(120)

    def source() -> ZendeskSource:
        return ZendeskSource(
            instance="emea",
            base_url=old.base_url,
            credentials=CREDENTIALS,
            session=old.session(authenticated=False),
            clock=clock,
        )

    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=CREDENTIALS,
        session=new.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source()], target=target, ledger=ledger, progress=False).run()
        assert report.status == "completed"
        assert report.kinds["ticket"].inline_images == 1
        key = f"emea:ticket:{tid}"
        target_id = ledger.lookup([key])[key].target_id
        assert target_id is not None

        for comments in new.backend.comments.values():
            for comment in comments:
                for body in ("html_body", "plain_body"):
                    assert attachment["content_url"] not in comment[body]
                    assert "/attachments/token/" not in comment[body]
        arrived = next(
            c
            for c in new.backend.comments[int(target_id)]
            if f"[image: {attachment['file_name']}]" in c["html_body"]
        )
        copy = next(a for a in arrived["attachments"] if a["file_name"] == attachment["file_name"])
        _, copied = new.backend.attachment_bytes(
            copy["content_url"].split("/token/")[1].split("/")[0]
        )
        assert hashlib.sha256(copied).hexdigest() == hashlib.sha256(data).hexdigest()

        # The reconciliation compares the rewritten source with the target: nothing differs.
        clock.advance(120)
        view = ZendeskSource(
            instance="target",
            base_url=new.base_url,
            credentials=CREDENTIALS,
            session=new.session(authenticated=False),
            clock=clock,
            sla_events=False,
        )
        checked = Reconciliation(
            sources=[source()], target_view=view, ledger=ledger, target=target
        ).run()
        assert [f.message for f in checked.findings] == [], [f.message for f in checked.findings]


# -- the rewrite itself ------------------------------------------------------------------------

HOST = "https://acme.zendesk.example"


def _ticket(html: str, plain: str = "", *, files: int = 1) -> Ticket:
    when = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    attachments = tuple(
        Attachment(
            id=str(n),
            file_name=f"shot {n}.png",
            content_type="image/png",
            size=10,
            location=f"{HOST}/attachments/token/T{n}/?name=shot%20{n}.png",
            inline=n == 1,
        )
        for n in range(1, files + 1)
    )
    comment = Comment(
        id="c1",
        author=None,
        public=True,
        body_html=html,
        body_plain=plain,
        created_at=when,
        attachments=attachments,
    )
    return Ticket(
        id="1",
        subject="s",
        description=plain,
        status=Status.OPEN,
        created_at=when,
        updated_at=when,
        comments=(comment,),
    )


def test_an_image_a_link_and_a_stray_address_become_markers() -> None:
    url = f"{HOST}/attachments/token/T1/?name=shot%201.png"
    html = (
        f'<p>See <img alt="x" src="{url}"></p>'
        f'<p><a href="{HOST}/attachments/token/T2/?name=shot%202.png">the log</a></p>'
        f"<p>old: {HOST}/attachments/token/GONE/?name=notes.txt&amp;x=1</p>"
        '<p><a href="https://example.org/help">help</a> <img src="https://cdn.example/logo.png"></p>'
    )
    ticket, count = rewrite_inline(_ticket(html, f"See {url}", files=2))
    body = ticket.comments[0].body_html
    assert count == 3
    assert HOST not in body
    assert "[image: shot 1.png]" in body
    assert "the log [attachment: shot 2.png]" in body
    assert "[attachment: notes.txt]" in body
    assert '<a href="https://example.org/help">help</a>' in body  # other addresses stay
    assert '<img src="https://cdn.example/logo.png">' in body
    assert ticket.comments[0].body_plain == "See [attachment: shot 1.png]"
    assert ticket.description == "See [attachment: shot 1.png]"
    assert [a.inline for a in ticket.comments[0].attachments] == [True, False]


def test_a_ticket_without_such_addresses_is_left_as_it_was() -> None:
    ticket = _ticket("<p>Hello</p>", "Hello")
    assert rewrite_inline(ticket) == (ticket, 0)
    assert rewrite_inline(ticket)[0] is ticket
