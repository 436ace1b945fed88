"""The Salesforce target in orgs as service orgs hold them: Case record types, Person Accounts,
lookup fields, read-only (formula) fields, and files sent several to a request.

A Zendesk-shaped desk (a :class:`MemorySource`) is migrated through the copier into an emulated
org with two Case record types (one named like a ticket form) and Person Accounts switched on;
what arrived is read back from the org. Lookups are written by the target from the links the
copier hands it (``Ref(kind, source id)`` → target id).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.target import READ_ONLY_FIELD, SalesforceTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import (
    Attachment,
    Channel,
    Comment,
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Needs,
    Organization,
    Ref,
    Role,
    SourceKey,
    Ticket,
    TicketForm,
    User,
)
from cemigrate.testing.salesforce import org_target

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def blob(attachment: Attachment) -> bytes:
    return f"bytes of {attachment.id}".encode() * 10


def attachment(aid: str) -> Attachment:
    data = f"bytes of {aid}".encode() * 10
    return Attachment(
        id=aid,
        file_name=f"{aid}.txt",
        content_type="text/plain",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def person(uid: str, email: str, *, role: Role = Role.END_USER, org: str | None = None) -> User:
    return User(
        id=uid,
        name=f"Person {uid.title()}",
        email=email,
        role=role,
        organization=None if org is None else Ref(kind=Kind.ORGANIZATION, id=org),
        phone="+44 20 7946 0000" if uid == "alice" else None,
        created_at=T0,
        updated_at=T0,
    )


def ticket(tid: int, requester: str, form: str, files: int = 0) -> Ticket:
    note = Comment(
        id=f"c{tid}",
        author=Ref(kind=Kind.USER, id="agent"),
        public=False,
        body_html="",
        body_plain=f"note {tid}",
        created_at=T0,
        channel=Channel.WEB,
        attachments=tuple(attachment(f"t{tid}f{i}") for i in range(files)),
    )
    return Ticket(
        id=str(tid),
        subject=f"ticket {tid}",
        description="d",
        status="open",
        created_at=T0 + timedelta(minutes=tid),
        updated_at=T0 + timedelta(minutes=tid),
        requester=Ref(kind=Kind.USER, id=requester),
        assignee=Ref(kind=Kind.USER, id="agent"),
        form=Ref(kind=Kind.TICKET_FORM, id=form),
        comments=(note,),
    )


def org_with_record_types(clock: ManualClock) -> tuple[SalesforceSandbox, dict[str, str]]:
    """An org with Person Accounts and two active Case record types (and an inactive one)."""
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock, person_accounts=True)
    org.add_user(name="Agent Smith", email="agent@example.com", profile="Standard User")
    ids = {  # record types are made in Setup before a migration: the REST API cannot
        name: org.add_record_type(name, developer_name=developer, active=active)
        for name, developer, active in (
            ("Billing Request", "Billing_Request", True),
            ("Technical Support", "Technical_Support", True),
            ("Returns", "Returns", False),
        )
    }
    ids["person"] = next(
        str(r["Id"]) for r in org.backend.rows["RecordType"].values() if r.get("IsPersonType")
    )
    return org, ids


def desk() -> dict[Kind, list[object]]:
    forms = [
        TicketForm(id="f-billing", name="Billing Request"),
        TicketForm(id="f-tech", name="technical_support"),  # its DeveloperName, other case
        TicketForm(id="f-returns", name="Returns"),  # inactive: kept as a label
        TicketForm(id="f-other", name="Onboarding"),  # no record type: kept as a label
    ]
    users = [
        person("agent", "agent@example.com", role=Role.AGENT),
        person("alice", "alice@example.com"),  # no organization: a Person Account
        person("bob", "bob@example.com", org="acme"),  # an organization: a Contact under it
    ]
    tickets = [
        ticket(1, "alice", "f-billing", files=3),
        ticket(2, "bob", "f-tech", files=2),
        ticket(3, "alice", "f-returns", files=1),
        ticket(4, "bob", "f-other"),
    ]
    return {
        Kind.ORGANIZATION: [Organization(id="acme", name="Acme Ltd", created_at=T0, updated_at=T0)],
        Kind.USER: users,
        Kind.TICKET_FORM: forms,
        Kind.TICKET: tickets,
    }


def run(org: SalesforceSandbox, clock: ManualClock) -> tuple[str, int]:
    source = MemorySource(desk(), instance="zd", blobs=blob, clock=clock)  # type: ignore[arg-type]
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
        ).run()
        return report.status, len(ledger.failures())


@pytest.fixture(scope="module")
def migrated() -> tuple[SalesforceSandbox, dict[str, str]]:
    clock = ManualClock()
    org, ids = org_with_record_types(clock)
    status, failures = run(org, clock)
    assert (status, failures) == ("completed", 0)
    return org, ids


def cases(org: SalesforceSandbox) -> dict[str, dict[str, object]]:
    return {str(c["Subject"]): c for c in org.backend.table("Case")}


def test_cases_carry_the_record_type_their_form_names_and_others_keep_the_label(
    migrated: tuple[SalesforceSandbox, dict[str, str]],
) -> None:
    org, ids = migrated
    found = cases(org)
    assert found["ticket 1"]["RecordTypeId"] == ids["Billing Request"]
    assert found["ticket 1"]["Cemigrate_Form__c"] == "Billing Request"
    assert found["ticket 2"]["RecordTypeId"] == ids["Technical Support"]
    assert found["ticket 2"]["Cemigrate_Form__c"] == "Technical Support"
    # an inactive record type is never used; a form no record type names stays a label
    assert found["ticket 3"]["RecordTypeId"] is None
    assert found["ticket 3"]["Cemigrate_Form__c"] == "Returns"
    assert found["ticket 4"]["RecordTypeId"] is None
    assert found["ticket 4"]["Cemigrate_Form__c"] == "Onboarding"


def test_an_end_user_without_an_organization_becomes_a_person_account(
    migrated: tuple[SalesforceSandbox, dict[str, str]],
) -> None:
    org, ids = migrated
    accounts = [a for a in org.backend.table("Account") if a.get("IsPersonAccount")]
    assert len(accounts) == 1
    alice = accounts[0]
    assert alice["RecordTypeId"] == ids["person"]
    assert (alice["FirstName"], alice["LastName"]) == ("Person", "Alice")
    assert alice["PersonEmail"] == "alice@example.com"
    assert alice["Phone"] == "+44 20 7946 0000"
    contacts = {str(c["Email"]): c for c in org.backend.table("Contact")}
    # the person contact is the one cases name, and it is found by its source key
    assert alice["PersonContactId"] == contacts["alice@example.com"]["Id"]
    assert contacts["alice@example.com"]["Cemigrate_Id__c"] == "zd:user:alice"
    assert cases(org)["ticket 1"]["ContactId"] == alice["PersonContactId"]
    assert cases(org)["ticket 3"]["ContactId"] == alice["PersonContactId"]


def test_an_end_user_with_an_organization_stays_a_contact_under_its_account(
    migrated: tuple[SalesforceSandbox, dict[str, str]],
) -> None:
    org, _ = migrated
    acme = next(a for a in org.backend.table("Account") if a["Name"] == "Acme Ltd")
    assert not acme.get("IsPersonAccount")
    bob = next(c for c in org.backend.table("Contact") if c["Email"] == "bob@example.com")
    assert bob["AccountId"] == acme["Id"]
    assert cases(org)["ticket 2"]["ContactId"] == bob["Id"]


def test_files_go_several_to_a_request_and_arrive_whole(
    migrated: tuple[SalesforceSandbox, dict[str, str]],
) -> None:
    org, _ = migrated
    versions = org.backend.table("ContentVersion")
    assert sorted(v["PathOnClient"] for v in versions) == sorted(
        f"t{t}f{i}.txt" for t, n in ((1, 3), (2, 2), (3, 1)) for i in range(n)
    )
    for version in versions:
        aid = str(version["PathOnClient"]).removesuffix(".txt")
        assert org.backend.blob(version["Id"]) == f"bytes of {aid}".encode() * 10
    by_case = {str(c["Id"]): str(c["Subject"]) for c in org.backend.table("Case")}
    links = [
        by_case[str(link["LinkedEntityId"])]
        for link in org.backend.table("ContentDocumentLink")
        if str(link["LinkedEntityId"]) in by_case
    ]
    assert sorted(links) == ["ticket 1"] * 3 + ["ticket 2"] * 2 + ["ticket 3"]
    one_by_one = [p for m, p, _ in org.salesforce.requests if p.endswith("/ContentVersion")]
    assert one_by_one == []  # all six in one multipart collection, not one call each


def test_a_file_batch_the_org_refuses_whole_is_sent_one_by_one() -> None:
    clock = ManualClock()
    org, _ = org_with_record_types(clock)
    target = org_target(org, clock=clock)
    calls: list[int] = []

    def refuse(files: object) -> object:
        calls.append(1)
        from cemigrate.errors import RecordError

        raise RecordError("salesforce refused the files", platform_message="LIMIT_EXCEEDED")

    target.client.upload_content_versions = refuse  # type: ignore[method-assign]
    source = MemorySource(desk(), instance="zd", blobs=blob, clock=clock)  # type: ignore[arg-type]
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert (report.status, len(ledger.failures())) == ("completed", 0)
    assert calls  # the batch was tried
    assert len(org.backend.table("ContentVersion")) == 6
    singles = [p for m, p, _ in org.salesforce.requests if p.endswith("/ContentVersion")]
    assert len(singles) == 6


def test_a_person_the_org_has_by_email_is_adopted_not_created() -> None:
    clock = ManualClock()
    org, ids = org_with_record_types(clock)
    existing = org.backend.insert(
        "Account",
        {
            "RecordTypeId": ids["person"],
            "FirstName": "Alice",
            "LastName": "Existing",
            "PersonEmail": "Alice@Example.com",
        },
    )
    status, failures = run(org, clock)
    assert (status, failures) == ("completed", 0)
    persons = [a for a in org.backend.table("Account") if a.get("IsPersonAccount")]
    assert [a["Id"] for a in persons] == [existing]
    contact = org.backend.rows["Account"][existing]["PersonContactId"]
    assert cases(org)["ticket 1"]["ContactId"] == contact


def write(target: SalesforceTarget, kind: Kind, outgoing: list[Outgoing]) -> list[object]:
    source = MemorySource({}, instance="zd")
    return list(target.write(kind, outgoing, source))


def test_lookup_fields_are_created_to_their_object_and_written_with_target_ids() -> None:
    clock = ManualClock()
    org, _ = org_with_record_types(clock)
    target = org_target(org, clock=clock)
    parent = FieldDef(
        id="t.parent",
        object=FieldObject.TICKET,
        key="parent_ticket",
        title="Parent ticket",
        type=FieldType.LOOKUP,
        references=Kind.TICKET,
    )
    vendor = FieldDef(
        id="t.vendor",
        object=FieldObject.TICKET,
        key="vendor",
        title="Vendor",
        type=FieldType.LOOKUP,
        references=Kind.ORGANIZATION,
    )
    watcher = FieldDef(
        id="t.watcher",
        object=FieldObject.TICKET,
        key="watcher",
        title="Watcher",
        type=FieldType.LOOKUP,
        references=Kind.USER,
    )
    formula = FieldDef(
        id="t.age",
        object=FieldObject.TICKET,
        key="age_days",
        title="Age (days)",
        type=FieldType.DECIMAL,
        read_only=True,
        formula="TODAY() - DATEVALUE(CreatedDate)",
    )
    target.describe()  # as a run does first
    target.prepare(Needs(fields=(parent, vendor, watcher, formula)), dry_run=False)
    described = org.backend.spec("Case")
    parent_field, vendor_field = described.field("Parent_Ticket__c"), described.field("Vendor__c")
    assert parent_field is not None
    assert vendor_field is not None
    assert (parent_field.type, parent_field.reference_to) == ("reference", ("Case",))
    assert (vendor_field.type, vendor_field.reference_to) == ("reference", ("Account",))
    # a user may be a Contact or a User: the target id is kept as text
    watcher_field = described.field("Watcher__c")
    assert watcher_field is not None
    assert watcher_field.type == "string"
    assert described.field("Age_Days__c") is None  # never a writable field
    assert target.declines(Kind.FIELD, formula) == READ_ONLY_FIELD

    acme = org.backend.insert("Account", {"Name": "Acme Ltd"})
    first = org.backend.insert("Case", {"Subject": "first", "Status": "New", "Origin": "Web"})
    agent = next(u["Id"] for u in org.backend.table("User") if u["Email"] == "agent@example.com")
    item = Outgoing(
        key=SourceKey(instance="zd", kind=Kind.TICKET, id="9"),
        record=Ticket(
            id="9",
            subject="with lookups",
            description="d",
            status="open",
            created_at=T0,
            updated_at=T0,
            custom_fields={"parent_ticket": "1", "vendor": "acme", "watcher": "gone"},
        ),
        links={
            Ref(kind=Kind.TICKET, id="1"): first,
            Ref(kind=Kind.ORGANIZATION, id="acme"): acme,
            Ref(kind=Kind.USER, id="agent"): agent,
        },
    )
    [result] = write(target, Kind.TICKET, [item])
    assert result.ok  # type: ignore[attr-defined]
    case = cases(org)["with lookups"]
    assert case["Parent_Ticket__c"] == first
    assert case["Vendor__c"] == acme
    # a value whose record is not in the target is left empty (the copier counts it)
    assert case["Watcher__c"] is None


def test_a_value_the_record_type_does_not_offer_is_named_by_the_dry_run_and_the_run() -> None:
    clock = ManualClock()
    org, ids = org_with_record_types(clock)
    # the admin narrowed Billing Request's statuses: "Working" (an open ticket) is not one
    org.backend.record_type_values[ids["Billing Request"]] = {"Status": ("New", "Closed")}
    with Ledger.open(":memory:") as ledger:
        source = MemorySource(desk(), instance="zd", blobs=blob, clock=clock)  # type: ignore[arg-type]
        migration = Migration(
            sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
        )
        dry = migration.run(dry_run=True)
        assert dry.kinds["ticket"].invalid == 1
        assert dry.kinds["ticket_form"].matched == 2  # the two active record types
        report = Migration(
            sources=[MemorySource(desk(), instance="zd", blobs=blob, clock=clock)],  # type: ignore[arg-type]
            target=org_target(org, clock=clock),
            ledger=ledger,
            progress=False,
        ).run()
        [failure] = ledger.failures()
    assert report.kinds["ticket"].invalid + report.kinds["ticket"].failed == 1
    assert failure.key == "zd:ticket:1"
    assert "Status value 'Working' is not available for record type 'Billing Request'" in str(
        failure.reason
    )
    assert "ticket 1" not in cases(org)
    assert {"ticket 2", "ticket 3", "ticket 4"} <= set(cases(org))


def test_a_rollback_deletes_a_person_account_by_its_person_contact() -> None:
    clock = ManualClock()
    org, _ = org_with_record_types(clock)
    status, _ = run(org, clock)
    assert status == "completed"
    alice = next(a for a in org.backend.table("Account") if a.get("IsPersonAccount"))
    target = org_target(org, clock=clock)
    target.delete(Kind.USER, [str(alice["PersonContactId"])])
    assert all(not a.get("IsPersonAccount") for a in org.backend.table("Account"))
    assert "alice@example.com" not in {c["Email"] for c in org.backend.table("Contact")}
