"""What a masked rehearsal does to values: deterministic under its key, a different key a
different mask, the script, length, case and layout of text kept, e-mails still e-mails,
markup kept, files of the same type, extension and size."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime

import attrs
import pytest

from cemigrate.mapping.mask import Mask, MaskSettings
from cemigrate.schema import (
    Attachment,
    Comment,
    FieldDef,
    Identity,
    Organization,
    Ref,
    Role,
    SatisfactionRating,
    Ticket,
    User,
)

KEY = "a-masking-key-for-tests-only-0001"
OTHER = "another-masking-key-for-tests-02"

SAMPLES = {
    "LATIN": "Hello Jane Doe, your withdrawal of 1500 EUR is on hold.",
    "CYRILLIC": "Здравствуйте, Иван Петров! Ваш вывод средств задержан.",
    "GREEK": "Καλημέρα Μαρία, η ανάληψή σας είναι σε αναμονή.",
    "ARABIC": "مرحبا أحمد، تم تعليق طلب السحب الخاص بك.",
    "HEBREW": "שלום דוד, המשיכה שלך בהמתנה.",
    "HANGUL": "안녕하세요 김민수 고객님, 출금이 보류되었습니다.",
    "THAI": "สวัสดีครับ คุณสมชาย การถอนเงินของคุณถูกระงับ",
    "DEVANAGARI": "नमस्ते राहुल, आपकी निकासी रोकी गई है।",
}
JAPANESE = "田中様、お問い合わせありがとうございます。出金は保留中です。"


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0]


def _layout(text: str) -> str:
    """Everything but letters and digits, in place (spaces, punctuation, line breaks)."""
    return re.sub(r"[^\W_]", "x", text)


@pytest.mark.parametrize("script", sorted(SAMPLES))
def test_text_keeps_its_script_length_case_and_punctuation(script: str) -> None:
    text = SAMPLES[script]
    masked = Mask(KEY).text(text)
    assert masked != text
    assert len(masked) == len(text)
    assert _layout(masked) == _layout(text)
    for before, after in zip(text, masked, strict=True):
        if unicodedata.category(before).startswith("L"):
            assert _script(after) == _script(before), (before, after)
            assert before.isupper() == after.isupper()
        if before.isdigit():
            assert after.isdigit()
    # No word of four letters or more survives.
    for word in re.findall(r"[^\W\d_]{4,}", text):
        assert word not in masked


def test_japanese_keeps_kanji_hiragana_and_katakana_apart() -> None:
    masked = Mask(KEY).text(JAPANESE)
    assert len(masked) == len(JAPANESE)
    assert [_script(c) for c in masked] == [_script(c) for c in JAPANESE]
    assert masked != JAPANESE


def test_the_same_value_masks_the_same_and_another_key_masks_it_otherwise() -> None:
    one, again, other = Mask(KEY), Mask(KEY), Mask(OTHER)
    for text in SAMPLES.values():
        assert one.text(text) == again.text(text)
        assert one.text(text) != other.text(text)
    assert one.email("jane.doe@acme.com") == again.email("Jane.Doe@ACME.com")
    assert one.email("jane.doe@acme.com") != other.email("jane.doe@acme.com")
    # A name masks the same wherever it is: in a name and in a body.
    assert one.text("Jane Doe") in one.text("Thanks, Jane Doe.")


def test_emails_stay_valid_consistent_by_local_part_and_domain_and_distinct() -> None:
    mask = Mask(KEY)
    masked = mask.email("jane.doe@acme.com")
    local, _, domain = masked.partition("@")
    assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.\-]+\.example", masked), masked
    assert "jane" not in masked
    assert "acme" not in masked
    assert abs(len(masked) - len("jane.doe@acme.com")) <= 10
    # The same domain masks the same, so matching by domain still works.
    assert mask.email("bob@acme.com").split("@")[1] == domain
    assert mask.domain("acme.com") == domain
    # The same local part gives the same local mask under another domain.
    assert mask.email("jane.doe@other.org").split("@")[0] == local
    # Short local parts do not collide.
    shorts = {mask.email(f"{a}{b}@x.com") for a in "abcdefghij" for b in "abcdefghij"}
    assert len(shorts) == 100


def test_phones_keep_their_form() -> None:
    masked = Mask(KEY).phone("+44 (20) 7946-0958")
    assert masked != "+44 (20) 7946-0958"
    assert re.sub(r"\d", "9", masked) == "+99 (99) 9999-9999"


def test_html_keeps_its_markup_and_masks_text_and_addresses() -> None:
    body = (
        '<p class="greeting" style="color:#333">Dear <b>Jane Doe</b>,&nbsp;thanks.</p>'
        '<a href="mailto:jane.doe@acme.com" title="Jane">write</a><!-- from Jane -->'
        "<style>p { margin: 0 }</style>"
    )
    mask = Mask(KEY)
    masked = mask.html(body)
    assert re.findall(r"<[^>!]+?[\s>]", masked) == re.findall(r"<[^>!]+?[\s>]", body)
    assert 'class="greeting" style="color:#333"' in masked
    assert "&nbsp;" in masked
    assert "<style>p { margin: 0 }</style>" in masked
    assert "Jane" not in masked
    assert "acme" not in masked
    assert "thanks" not in masked
    assert f"mailto:{mask.email('jane.doe@acme.com')}" in masked
    assert f"<b>{mask.text('Jane Doe')}</b>" in masked


def test_file_markers_and_names_keep_their_extension() -> None:
    mask = Mask(KEY)
    assert mask.file_name("passport_scan.PNG").endswith(".PNG")
    assert "passport" not in mask.file_name("passport_scan.PNG")
    assert len(mask.file_name("passport_scan.PNG")) == len("passport_scan.PNG")
    assert mask.text("see [image: passport_scan.png]") == (
        f"{mask.text('see')} [image: {mask.file_name('passport_scan.png')}]"
    )


def _attachment(name: str, content_type: str, size: int, id: str = "77") -> Attachment:
    return Attachment(id=id, file_name=name, content_type=content_type, size=size)


class _Files:
    """A source's files: every attachment's bytes are the letter ``s``, ``size`` of them."""

    opened = 0

    def open_attachment(self, attachment: Attachment) -> io.BytesIO:
        self.opened += 1
        return io.BytesIO(b"s" * attachment.size)

    def sla_history(self, tickets: object) -> dict[str, object]:
        return {}

    def read_fields(self) -> tuple[FieldDef, ...]:
        return ()


@pytest.mark.parametrize(
    ("name", "content_type", "head", "tail"),
    [
        ("passport.png", "image/png", b"\x89PNG\r\n\x1a\n", b""),
        ("selfie.jpg", "image/jpeg", b"\xff\xd8\xff", b"\xff\xd9"),
        ("statement.pdf", "application/pdf", b"%PDF-", b"%%EOF\n"),
        ("contract.docx", "application/octet-stream", b"PK\x03\x04", b""),
    ],
)
def test_attachment_bytes_keep_size_and_type_and_read_the_source_through(
    name: str, content_type: str, head: bytes, tail: bytes
) -> None:
    size = 200_003
    files = _Files()
    attachment = _attachment(name, content_type, size)
    with Mask(KEY).files(files).open_attachment(attachment) as stream:
        data = stream.read()
    assert files.opened == 1  # the download happens: a rehearsal spends its budget
    assert len(data) == size
    assert data.startswith(head)
    assert data.endswith(tail)
    assert b"s" * 16 not in data
    with Mask(KEY).files(files).open_attachment(attachment) as again:
        assert again.read() == data
    with Mask(OTHER).files(files).open_attachment(attachment) as other:
        assert other.read() != data


def test_text_attachments_are_text_and_read_in_chunks_the_same() -> None:
    attachment = _attachment("trades.csv", "text/csv", 70_000)
    mask = Mask(KEY)
    with mask.files(_Files()).open_attachment(attachment) as stream:
        whole = stream.read()
    with mask.files(_Files()).open_attachment(attachment) as stream:
        pieces = b"".join(iter(lambda: stream.read(999), b""))
    assert whole == pieces
    assert whole.decode("ascii").replace("\n", " ").replace(" ", "").isalpha()


NOW = datetime(2025, 5, 1, tzinfo=UTC)


def _ticket() -> Ticket:
    attachment = Attachment(
        id="5",
        file_name="passport.png",
        content_type="image/png",
        size=10,
        sha256="a" * 64,
        location="https://old.zendesk.com/attachments/token/x/?name=passport.png",
    )
    comment = Comment(
        id="9",
        author=None,
        public=True,
        body_html="<p>My passport, Jane Doe</p>",
        body_plain="My passport, Jane Doe",
        created_at=NOW,
        attachments=(attachment,),
        metadata={
            "via": {"channel": "email", "source": {"from": {"address": "jane@acme.com"}}},
            "system": {"ip_address": "203.0.113.7", "location": "Lisbon, Portugal"},
        },
    )
    return Ticket(
        id="1",
        subject="Withdrawal blocked for Jane",
        description="My passport, Jane Doe",
        status="open",
        created_at=NOW,
        updated_at=NOW,
        tags=("kyc", "withdrawal"),
        custom_fields={"wallet": "bc1qxy2kgdygjrsqtzq2n0yrf", "category": "kyc", "note": "Jane"},
        recipient="support@exchange.com",
        via={"channel": "email", "source": {"from": {"name": "Jane Doe"}}},
        comments=(comment,),
    )


def test_a_ticket_is_masked_where_people_write_and_kept_where_the_desk_decides() -> None:
    mask = Mask(KEY, MaskSettings(fields=("wallet",), keep_fields=("category",)))
    mask.learn(
        [
            FieldDef(id="1", object="ticket", key="note", title="Note", type="text"),
            FieldDef(id="2", object="ticket", key="category", title="C", type="text"),
        ]
    )
    ticket = _ticket()
    masked = mask.record(ticket)
    assert isinstance(masked, Ticket)
    assert masked.subject != ticket.subject
    assert len(masked.subject) == len(ticket.subject)
    assert masked.tags == ticket.tags
    assert masked.status == ticket.status
    assert masked.custom_fields["category"] == "kyc"
    assert masked.custom_fields["wallet"] != "bc1qxy2kgdygjrsqtzq2n0yrf"
    assert masked.custom_fields["note"] == mask.text("Jane")
    assert masked.recipient == mask.email("support@exchange.com")
    assert masked.via["channel"] == "email"
    comment = masked.comments[0]
    assert "Jane" not in repr(comment)
    assert "acme" not in repr(comment)
    assert "Lisbon" not in repr(comment)
    assert "203.0.113.7" not in repr(comment)
    assert comment.metadata["via"]["channel"] == "email"  # type: ignore[index,call-overload]
    file = comment.attachments[0]
    assert file.file_name.endswith(".png")
    assert "passport" not in file.file_name
    assert file.size == 10
    assert file.location == ticket.comments[0].attachments[0].location
    assert file.sha256 is None  # the source's checksum is of the real bytes
    assert mask.record(ticket) == masked


def test_people_organizations_and_ratings_are_masked_agents_kept_when_asked() -> None:
    user = User(
        id="3",
        name="Jane Doe",
        email="jane.doe@acme.com",
        phone="+1 415 555 0100",
        identities=(
            Identity(type="email", value="jane.doe@acme.com"),
            Identity(type="phone_number", value="+1 415 555 0100"),
            Identity(type="twitter", value="janedoe"),
        ),
        notes="VIP since 2019",
        address="1 Main Street, Springfield",
        external_id="CUST-0042",
    )
    mask = Mask(KEY)
    masked = mask.record(user)
    assert isinstance(masked, User)
    text = repr(masked)
    for secret in ("Jane", "Doe", "acme", "415 555", "janedoe", "Springfield", "0042", "VIP"):
        assert secret not in text, secret
    assert masked.email == mask.email("jane.doe@acme.com") == masked.identities[0].value
    agent = User(id="4", name="Mei Lin", email="mei.lin@exchange.com", role=Role.AGENT)
    assert mask.record(agent) != agent
    assert Mask(KEY, MaskSettings(keep_agents=True)).record(agent) == agent
    customer = Mask(KEY, MaskSettings(keep_agents=True)).record(user)
    assert customer == masked
    org = Organization(id="8", name="Orion Markets", domains=("orion.com",), notes="Big one")
    masked_org = mask.record(org)
    assert isinstance(masked_org, Organization)
    assert masked_org.domains == (mask.domain("orion.com"),)
    assert "Orion" not in repr(masked_org)
    assert "Big" not in repr(masked_org)
    rating = SatisfactionRating(
        id="1", ticket=Ref(kind="ticket", id="1"), score="bad", comment="Very slow answer"
    )
    masked_rating = mask.record(rating)
    assert isinstance(masked_rating, SatisfactionRating)
    assert "slow" not in masked_rating.comment
    assert masked_rating.score == rating.score


def test_a_short_key_is_refused_and_the_key_never_shows() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Mask("short")
    mask = Mask(KEY)
    assert KEY not in repr(mask)
    assert KEY not in repr(mask.settings)


class _Renames:
    """A mapping that gives the ticket field ``note`` the key ``Note__c``."""

    def apply(self, kind: object, record: object) -> object:
        if isinstance(record, FieldDef) and record.key == "note":
            return attrs.evolve(record, key="Note__c")
        return record


def test_renamed_free_text_fields_are_masked_under_their_new_key_and_unknown_ones_too() -> None:
    mask = Mask(KEY)
    mask.learn(
        [
            FieldDef(id="1", object="ticket", key="note", title="Note", type="textarea"),
            FieldDef(id="2", object="ticket", key="tier", title="Tier", type="dropdown"),
        ],
        _Renames(),  # type: ignore[arg-type]
    )
    values = {"Note__c": "Call Jane", "tier": "gold", "unheard_of": "Jane Doe"}
    masked = mask.record(attrs.evolve(_ticket(), custom_fields=values))
    assert isinstance(masked, Ticket)
    assert masked.custom_fields == {
        "Note__c": mask.text("Call Jane"),
        "tier": "gold",
        "unheard_of": mask.text("Jane Doe"),  # no description named it: masked, to be safe
    }
