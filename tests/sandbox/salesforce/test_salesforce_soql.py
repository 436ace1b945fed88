"""The emulator's SOQL engine: parsing, errors, filtering, ordering and the records it builds."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cemigrate.sandbox.salesforce.soql import (
    Order,
    Query,
    SoqlError,
    TableSchema,
    count,
    execute,
    parse,
)

NOW = datetime(2024, 6, 15, 12, 30, tzinfo=UTC)

FIELDS: dict[str, dict[str, str]] = {
    "Case": {
        "Id": "id",
        "Subject": "string",
        "Status": "picklist",
        "Description": "textarea",
        "Tags__c": "multipicklist",
        "SystemModstamp": "datetime",
        "Due__c": "date",
        "IsClosed": "boolean",
        "Hours__c": "double",
        "ParentId": "reference",
        "AccountId": "reference",
        "OwnerId": "reference",
    },
    "Account": {"Id": "id", "Name": "string", "Type": "picklist", "OwnerId": "reference"},
    "User": {"Id": "id", "Name": "string", "Email": "email"},
    "CaseComment": {"Id": "id", "ParentId": "reference", "CommentBody": "textarea"},
}
RELATIONSHIPS = {
    ("Case", "parent"): ("ParentId", "Case"),
    ("Case", "account"): ("AccountId", "Account"),
    ("Case", "owner"): ("OwnerId", "User"),
    ("Account", "owner"): ("OwnerId", "User"),
    ("CaseComment", "parent"): ("ParentId", "Case"),
}


def _case_id(n: int) -> str:
    return f"500{n:012d}AAA"  # 18 characters; the first 15 are the 15-character id


USERS: list[dict[str, Any]] = [
    {"Id": "005000000000001AAA", "Name": "Ada", "Email": "ada@example.com"},
    {"Id": "005000000000002AAA", "Name": "Bob", "Email": "bob@example.com"},
]
ACCOUNTS: list[dict[str, Any]] = [
    {"Id": "001000000000001AAA", "Name": "Acme", "Type": "Customer", "OwnerId": USERS[0]["Id"]},
    {"Id": "001000000000002AAA", "Name": "Globex", "Type": "Partner", "OwnerId": None},
]


def _case(n: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FIELDS["Case"])
    row.update(Id=_case_id(n), IsClosed=False)
    row.update(values)
    return row


CASES = [
    _case(
        1,
        Subject="Printer on fire",
        Status="New",
        Tags__c="Hardware;Urgent",
        SystemModstamp="2024-06-15T08:00:00.000+0000",
        Due__c="2024-06-15",
        Hours__c=1.5,
        AccountId=ACCOUNTS[0]["Id"],
        OwnerId=USERS[0]["Id"],
    ),
    _case(
        2,
        Subject="printer ON FIRE",
        Status="Closed",
        IsClosed=True,
        Tags__c="Hardware",
        SystemModstamp="2024-06-14T23:59:59.999+0000",
        Due__c="2024-06-14",
        Hours__c=3,
        ParentId=_case_id(1),
        AccountId=ACCOUNTS[1]["Id"],
        OwnerId=USERS[1]["Id"],
    ),
    _case(
        3,
        Subject="50% off: what_now?",
        Status="Working",
        Tags__c="Billing",
        SystemModstamp="2024-06-01T00:00:00.000+0000",
        Due__c="2024-07-01",
        Hours__c=0,
        ParentId=_case_id(1),
        AccountId=ACCOUNTS[0]["Id"],
    ),
    _case(4, Subject=None, Status="New", SystemModstamp="2024-06-16T00:00:00.000+0000"),
]
COMMENTS: list[dict[str, Any]] = [
    {"Id": "00a000000000001AAA", "ParentId": _case_id(2), "CommentBody": "hello"},
    {"Id": "00a000000000002AAA", "ParentId": _case_id(3), "CommentBody": "secret"},
]


class FakeSchema:
    """Describe data for four objects and their rows, as the emulator would offer them."""

    tables: Mapping[str, list[dict[str, Any]]] = {
        "Case": CASES,
        "Account": ACCOUNTS,
        "User": USERS,
        "CaseComment": COMMENTS,
    }

    def __init__(self) -> None:
        self.gets = 0

    def canonical_object(self, sobject: str) -> str | None:
        return next((name for name in FIELDS if name.lower() == sobject.lower()), None)

    def canonical_field(self, sobject: str, field: str) -> str | None:
        fields = FIELDS[sobject]
        return next((name for name in fields if name.lower() == field.lower()), None)

    def field_type(self, sobject: str, field: str) -> str | None:
        name = self.canonical_field(sobject, field)
        return None if name is None else FIELDS[sobject][name]

    def relationship(self, sobject: str, name: str) -> tuple[str, str] | None:
        return RELATIONSHIPS.get((sobject, name.lower()))

    def get(self, sobject: str, record_id: str) -> Mapping[str, Any] | None:
        self.gets += 1
        return next((r for r in self.tables[sobject] if r["Id"][:15] == record_id[:15]), None)

    def url(self, sobject: str, record_id: str) -> str:
        return f"/services/data/v59.0/sobjects/{sobject}/{record_id}"

    def rows(self, sobject: str) -> Iterable[Mapping[str, Any]]:
        return self.tables[sobject]


def run(text: str, rows: Iterable[Mapping[str, Any]] = CASES) -> list[dict[str, Any]]:
    return execute(parse(text), rows, FakeSchema(), now=NOW)


def ids(text: str, rows: Iterable[Mapping[str, Any]] = CASES) -> list[int]:
    """The case numbers a query returns, in order."""
    return [int(record["Id"][3:15]) for record in run(text, rows)]


def error(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        run(text)
    return caught.value


# --- parsing --------------------------------------------------------------------------------


def test_parse_keeps_names_as_written_and_fills_defaults() -> None:
    query = parse(
        "select Id, parent.id, Account.Owner.Name from case where Subject = 'x' "
        "order by SystemModstamp desc, Id nulls last limit 10 offset 5"
    )
    assert query.sobject == "case"
    assert query.fields == ("Id", "parent.id", "Account.Owner.Name")
    assert query.count is False
    assert query.order_by == (
        Order("SystemModstamp", descending=True, nulls_last=True),
        Order("Id", descending=False, nulls_last=True),
    )
    assert (query.limit, query.offset) == (10, 5)
    assert parse("SELECT Id FROM Case ORDER BY Id").order_by == (Order("Id", False, False),)
    assert parse("SELECT Id FROM Case ORDER BY Id DESC").order_by == (Order("Id", True, True),)


def test_parse_count() -> None:
    query = parse("SELECT COUNT() FROM Case")
    assert isinstance(query, Query)
    assert (query.count, query.fields, query.where) == (True, (), None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT Id FORM Case", "unexpected token: 'FORM'"),
        ("SELECT Id FROM Case WHERE", "unexpected token: '<EOF>'"),
        ("SELECT FROM Case", "unexpected token: 'FROM'"),
        ("SELECT Id, FROM Case", "unexpected token: 'FROM'"),
        (
            "SELECT Id FROM Case WHERE Status = 'New' AND IsClosed = false OR Hours__c > 1",
            "unexpected token: 'OR'",
        ),
        ("SELECT Id FROM Case WHERE Status = New", "unexpected token: 'New'"),
        ("SELECT Id FROM Case WHERE (Status = 'New'", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Case LIMIT 5 LIMIT 6", "unexpected token: 'LIMIT'"),
        ("SELECT Id FROM Case WHERE CreatedDate > LAST_N_DAYS", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Case ORDER BY Id NULLS", "unexpected token: '<EOF>'"),
    ],
)
def test_syntax_errors_are_malformed_query(text: str, message: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Case WHERE Subject = 'unterminated",
        "SELECT Id FROM Case WHERE SystemModstamp > 2024-01-02T03:04:05",  # no time zone
        "SELECT Id FROM Case WHERE Due__c = 2024-13-01",
        "SELECT Id FROM Case WHERE Subject = 'bad \\q escape'",
        "SELECT Id FROM Case WHERE Subject LIKE 5",
    ],
)
def test_bad_literals_are_malformed_query(text: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.error_code == "MALFORMED_QUERY"


def test_offset_over_2000_is_out_of_range() -> None:
    parse("SELECT Id FROM Case OFFSET 2000")
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Case OFFSET 2001")
    assert caught.value.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert caught.value.message == "Maximum SOQL offset allowed is 2000"


# --- names ----------------------------------------------------------------------------------


def test_unknown_object_is_invalid_type() -> None:
    caught = error("SELECT Id FROM Foo")
    assert caught.error_code == "INVALID_TYPE"
    assert caught.message == (
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object,"
        " be sure to append the '__c' after the entity name. Please reference your WSDL or the"
        " describe call for the appropriate names."
    )


@pytest.mark.parametrize(
    ("text", "column", "entity"),
    [
        ("SELECT Id, Foo FROM Case", "Foo", "Case"),
        ("SELECT Id FROM Case WHERE Foo = 'x'", "Foo", "Case"),
        ("SELECT Id FROM Case ORDER BY Foo", "Foo", "Case"),
        ("SELECT Account.Nmae FROM Case", "Nmae", "Account"),
        ("SELECT COUNT() FROM Case WHERE Foo = null", "Foo", "Case"),
    ],
)
def test_unknown_field_is_invalid_field(text: str, column: str, entity: str) -> None:
    caught = error(text)
    assert caught.error_code == "INVALID_FIELD"
    assert caught.message == (
        f"No such column '{column}' on entity '{entity}'. If you are attempting to use a custom"
        " field, be sure to append the '__c' after the custom field name. Please reference"
        " your WSDL or the describe call for the appropriate names."
    )


def test_unknown_relationship_is_invalid_field() -> None:
    caught = error("SELECT Acount.Name FROM Case")
    assert caught.error_code == "INVALID_FIELD"
    assert caught.message.startswith("Didn't understand relationship 'Acount' in field path.")


# --- records --------------------------------------------------------------------------------


def test_records_have_attributes_then_fields_in_describe_spelling_and_select_order() -> None:
    [record] = run("select subject, ID, isclosed from CASE where id = '500000000000001'")
    assert list(record) == ["attributes", "Subject", "Id", "IsClosed"]
    assert record == {
        "attributes": {
            "type": "Case",
            "url": f"/services/data/v59.0/sobjects/Case/{_case_id(1)}",
        },
        "Subject": "Printer on fire",
        "Id": _case_id(1),
        "IsClosed": False,
    }


def test_relationship_paths_nest_and_share_one_dict() -> None:
    records = run(
        "SELECT Id, account.Name, Parent.Subject, Account.Owner.Email, Account.Id "
        "FROM Case ORDER BY Id"
    )
    first, second = records[0], records[1]
    assert list(first) == ["attributes", "Id", "Account", "Parent"]
    assert first["Account"] == {
        "attributes": {
            "type": "Account",
            "url": f"/services/data/v59.0/sobjects/Account/{ACCOUNTS[0]['Id']}",
        },
        "Name": "Acme",
        "Owner": {
            "attributes": {
                "type": "User",
                "url": f"/services/data/v59.0/sobjects/User/{USERS[0]['Id']}",
            },
            "Email": "ada@example.com",
        },
        "Id": ACCOUNTS[0]["Id"],
    }
    assert first["Parent"] is None
    assert second["Parent"]["Subject"] == "Printer on fire"
    assert second["Account"]["Owner"] is None  # Globex has no owner
    assert records[3]["Account"] is None


def test_count_returns_no_records_and_count_gives_the_total() -> None:
    query = parse("SELECT COUNT() FROM Case WHERE Status = 'New'")
    assert execute(query, CASES, FakeSchema(), now=NOW) == []
    assert count(query, CASES, FakeSchema(), now=NOW) == 2
    assert count(parse("SELECT COUNT() FROM Case LIMIT 3"), CASES, FakeSchema(), now=NOW) == 3
    limited = parse("SELECT COUNT() FROM Case LIMIT 3 OFFSET 2")
    assert count(limited, CASES, FakeSchema(), now=NOW) == 2


def test_lookups_are_cached_within_a_query() -> None:
    schema = FakeSchema()
    rows = [_case(n, AccountId=ACCOUNTS[0]["Id"]) for n in range(50)]
    execute(
        parse("SELECT Account.Name FROM Case WHERE Account.Type = 'Customer'"),
        rows,
        schema,
        now=NOW,
    )
    assert schema.gets == 1


# --- WHERE ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Subject = 'PRINTER on fire'", [1, 2]),
        ("Subject != 'printer on fire'", [3, 4]),  # != matches nulls, as in SOQL
        ("Subject <> 'printer on fire'", [3, 4]),
        ("Subject = null", [4]),
        ("Subject != null", [1, 2, 3]),
        ("Status IN ('new', 'Working')", [1, 3, 4]),
        ("Status NOT IN ('New')", [2, 3]),
        ("Subject IN ('printer on fire', null)", [1, 2, 4]),
        ("NOT Status = 'New'", [2, 3]),
        ("NOT (Status = 'New' OR Status = 'Closed')", [3]),
        ("Status = 'New' AND (Hours__c > 1 OR Subject = null)", [1, 4]),
        ("(Status = 'New' AND Hours__c > 1) OR IsClosed = true", [1, 2]),
        ("Status = 'New' AND Subject != null AND Hours__c >= 1.5", [1]),
        ("IsClosed = false", [1, 3, 4]),
        ("IsClosed = TRUE", [2]),
        ("Hours__c < 2", [1, 3]),
        ("Hours__c <= 3", [1, 2, 3]),
        ("Hours__c = 3", [2]),
        ("Hours__c > -1", [1, 2, 3]),
        ("Hours__c = null", [4]),
        ("Subject > 'p'", [1, 2]),  # case-insensitive ordering of text
    ],
)
def test_where_conditions(where: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case WHERE {where} ORDER BY Id") == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Id = '500000000000002'", [2]),  # 15-character id matches the 18-character one
        ("Id = '500000000000002AAA'", [2]),
        ("Id = '500000000000002ZZZ'", [2]),  # the suffix is a checksum, not part of the id
        ("ParentId = '500000000000001AAA'", [2, 3]),
        ("ParentId IN ('500000000000001', '500000000000009')", [2, 3]),
        ("ParentId = null", [1, 4]),
        ("Id != '500000000000001'", [2, 3, 4]),
    ],
)
def test_ids_compare_on_their_first_15_characters(where: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case WHERE {where} ORDER BY Id") == expected


def test_ids_are_case_sensitive() -> None:
    rows = [_case(1, Id="500AbC000000001AAA"), _case(2, Id="500abc000000001AAA")]
    [record] = run("SELECT Id FROM Case WHERE Id = '500abc000000001'", rows)
    assert record["Id"] == "500abc000000001AAA"


def test_a_malformed_id_literal_is_refused() -> None:
    caught = error("SELECT Id FROM Case WHERE ParentId = 'nope'")
    assert (caught.error_code, caught.message) == (
        "INVALID_QUERY_FILTER_OPERATOR",
        "invalid ID field: nope",
    )


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("printer%", [1, 2]),
        ("%FIRE", [1, 2]),
        ("%on%", [1, 2]),
        ("printer_on_fire", [1, 2]),
        ("printer", []),
        ("50\\% off%", [3]),  # \% is a literal percent sign
        ("%what\\_now_", [3]),
        ("5_\\%%", [3]),
        ("%", [1, 2, 3]),  # null never matches
    ],
)
def test_like(pattern: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case WHERE Subject LIKE '{pattern}' ORDER BY Id") == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Tags__c INCLUDES ('Urgent')", [1]),
        ("Tags__c INCLUDES ('hardware')", [1, 2]),
        ("Tags__c INCLUDES ('Urgent;Hardware')", [1]),  # both, in any order
        ("Tags__c INCLUDES ('Urgent;Billing', 'Billing')", [3]),
        ("Tags__c EXCLUDES ('Urgent')", [2, 3, 4]),
        ("Tags__c EXCLUDES ('Hardware', 'Billing')", [4]),
        ("Tags__c = 'urgent;hardware'", [1]),
        ("Tags__c = 'Hardware'", [2]),
    ],
)
def test_multipicklists(where: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case WHERE {where} ORDER BY Id") == expected


def test_includes_on_a_plain_field_is_refused() -> None:
    assert error("SELECT Id FROM Case WHERE Status INCLUDES ('New')").error_code == "INVALID_FIELD"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("SystemModstamp > 2024-06-14T23:59:59Z", [1, 2, 4]),  # .999 is after :59
        ("SystemModstamp > 2024-06-14T23:59:59.999Z", [1, 4]),
        ("SystemModstamp >= 2024-06-14T23:59:59.999Z", [1, 2, 4]),
        ("SystemModstamp = 2024-06-15T08:00:00.000Z", [1]),
        ("SystemModstamp = 2024-06-15T10:00:00+02:00", [1]),  # the same instant
        ("SystemModstamp < 2024-06-15T00:00:00-08:00", [2, 3]),
        ("SystemModstamp = TODAY", [1]),
        ("SystemModstamp > TODAY", [4]),
        ("SystemModstamp >= TODAY", [1, 4]),
        ("SystemModstamp < TODAY", [2, 3]),
        ("SystemModstamp <= TODAY", [1, 2, 3]),
        ("SystemModstamp != TODAY", [2, 3, 4]),
        ("SystemModstamp = YESTERDAY", [2]),
        ("SystemModstamp = LAST_N_DAYS:1", [1, 2]),  # yesterday and today
        ("SystemModstamp = LAST_N_DAYS:14", [1, 2, 3]),
        ("SystemModstamp = NEXT_N_DAYS:1", [4]),  # tomorrow, not today
        ("SystemModstamp = THIS_MONTH", [1, 2, 3, 4]),
        ("SystemModstamp IN (YESTERDAY, TOMORROW)", [2, 4]),
        ("Due__c = 2024-06-15", [1]),
        ("Due__c > 2024-06-14", [1, 3]),
        ("Due__c = TODAY", [1]),
        ("Due__c > TODAY", [3]),
        ("Due__c = LAST_N_DAYS:1", [1, 2]),
        ("Due__c = NEXT_N_DAYS:30", [3]),
        ("Due__c = null", [4]),
        ("Due__c != null", [1, 2, 3]),
    ],
)
def test_dates_and_datetimes(where: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case WHERE {where} ORDER BY Id") == expected


def test_datetimes_in_other_formats_compare_as_instants() -> None:
    rows = [
        _case(1, SystemModstamp="2024-06-15T10:00:00.000+0200"),
        _case(2, SystemModstamp="2024-06-15T08:00:00Z"),
        _case(3, SystemModstamp=datetime(2024, 6, 15, 8, tzinfo=UTC)),
        _case(4, SystemModstamp="2024-06-15T08:00:01.000+0000"),
    ]
    query = "SELECT Id FROM Case WHERE SystemModstamp = 2024-06-15T08:00:00Z ORDER BY Id"
    assert ids(query, rows) == [1, 2, 3]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "SystemModstamp > 2024-06-01",
            "value of filter criterion for field 'SystemModstamp' must be of type dateTime and"
            " should not be enclosed in quotes",
        ),
        (
            "SystemModstamp > '2024-06-01T00:00:00Z'",
            "value of filter criterion for field 'SystemModstamp' must be of type dateTime and"
            " should not be enclosed in quotes",
        ),
        (
            "Due__c = 2024-06-01T00:00:00Z",
            "value of filter criterion for field 'Due__c' must be of type date and should not"
            " be enclosed in quotes",
        ),
        (
            "IsClosed = 'true'",
            "value of filter criterion for field 'IsClosed' must be of type boolean and should"
            " not be enclosed in quotes",
        ),
        (
            "Subject = 5",
            "value of filter criterion for field 'Subject' must be of type string and should be"
            " enclosed in quotes",
        ),
        (
            "Hours__c IN ('1')",
            "value of filter criterion for field 'Hours__c' must be of type double and should"
            " not be enclosed in quotes",
        ),
        (
            "Subject = TODAY",
            "value of filter criterion for field 'Subject' must be of type string and should be"
            " enclosed in quotes",
        ),
    ],
)
def test_values_of_the_wrong_type_are_invalid_field(where: str, message: str) -> None:
    caught = error(f"SELECT Id FROM Case WHERE {where}")
    assert (caught.error_code, caught.message) == ("INVALID_FIELD", message)


@pytest.mark.parametrize(
    ("literal", "subject"),
    [
        ("'It\\'s'", "It's"),
        ("'back\\\\slash'", "back\\slash"),
        ("'two\\nlines'", "two\nlines"),
        ("'tab\\there'", "tab\there"),
        ("'quote\\\"d'", 'quote"d'),
    ],
)
def test_string_escapes(literal: str, subject: str) -> None:
    rows = [_case(1, Subject=subject), _case(2, Subject="other")]
    assert ids(f"SELECT Id FROM Case WHERE Subject = {literal}", rows) == [1]


def test_where_on_relationship_paths() -> None:
    assert ids("SELECT Id FROM Case WHERE Account.Type = 'customer' ORDER BY Id") == [1, 3]
    assert ids("SELECT Id FROM Case WHERE Parent.Status = 'New' ORDER BY Id") == [2, 3]
    assert ids("SELECT Id FROM Case WHERE Account.Owner.Name = 'Ada' ORDER BY Id") == [1, 3]
    # An empty lookup makes the whole path null.
    assert ids("SELECT Id FROM Case WHERE Account.Owner.Name = null ORDER BY Id") == [2, 4]


def test_keywords_and_names_are_case_insensitive() -> None:
    assert ids(
        "sElEcT id FrOm cAsE wHeRe status In ('NEW') AnD subject NOT in ('x') "
        "OrDeR bY iD dEsC nUlLs FiRsT lImIt 1"
    ) == [4]


def test_semi_join() -> None:
    text = "SELECT Id FROM Case WHERE Id IN (SELECT ParentId FROM CaseComment WHERE {}) ORDER BY Id"
    assert ids(text.format("CommentBody LIKE '%'")) == [2, 3]
    assert ids(text.format("CommentBody = 'hello'")) == [2]
    assert ids(text.replace("Id IN", "Id NOT IN").format("CommentBody = 'hello'")) == [1, 3, 4]
    assert error(text.format("Nope = 1")).error_code == "INVALID_FIELD"
    assert isinstance(FakeSchema(), TableSchema)


# --- ORDER BY, LIMIT, OFFSET ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("Subject", [4, 3, 1, 2]),  # nulls first ascending; ties keep the table's order
        ("Subject DESC", [1, 2, 3, 4]),  # nulls last descending
        ("Subject NULLS LAST", [3, 1, 2, 4]),
        ("Subject DESC NULLS FIRST", [4, 1, 2, 3]),
        ("Status, Hours__c DESC", [2, 1, 4, 3]),
        ("Status DESC, SystemModstamp", [3, 1, 4, 2]),
        ("Account.Name, Id DESC", [4, 3, 1, 2]),
        ("Due__c DESC", [3, 1, 2, 4]),
        ("IsClosed DESC, Id", [2, 1, 3, 4]),
    ],
)
def test_order_by(order: str, expected: list[int]) -> None:
    assert ids(f"SELECT Id FROM Case ORDER BY {order}") == expected


def test_text_sorts_case_insensitively() -> None:
    rows = [_case(1, Subject="b"), _case(2, Subject="A"), _case(3, Subject="a"), _case(4)]
    assert ids("SELECT Id FROM Case WHERE Subject != null ORDER BY Subject", rows) == [2, 3, 1]


def test_limit_and_offset_apply_after_ordering() -> None:
    assert ids("SELECT Id FROM Case ORDER BY SystemModstamp DESC LIMIT 2") == [4, 1]
    assert ids("SELECT Id FROM Case ORDER BY SystemModstamp DESC LIMIT 2 OFFSET 1") == [1, 2]
    assert ids("SELECT Id FROM Case ORDER BY SystemModstamp OFFSET 3") == [4]
    assert ids("SELECT Id FROM Case LIMIT 2 OFFSET 1") == [2, 3]
    assert ids("SELECT Id FROM Case LIMIT 0") == []
    assert ids("SELECT Id FROM Case OFFSET 10") == []


# --- properties -----------------------------------------------------------------------------


def _like_reference(pattern: str, text: str) -> bool:
    """LIKE by dynamic programming over characters: % any run, _ any one, else equal (any case)."""
    pattern, text = pattern.lower(), text.lower()
    matched = [[False] * (len(text) + 1) for _ in range(len(pattern) + 1)]
    matched[0][0] = True
    for i, p in enumerate(pattern, 1):
        matched[i][0] = matched[i - 1][0] and p == "%"
        for j, t in enumerate(text, 1):
            if p == "%":
                matched[i][j] = matched[i - 1][j] or matched[i][j - 1]
            else:
                matched[i][j] = matched[i - 1][j - 1] and (p in ("_", t))
    return matched[-1][-1]


@given(
    pattern=st.text(alphabet="ab%_.*x", max_size=8),
    subject=st.text(alphabet="abAB.*x%_", min_size=1, max_size=8),
)
def test_like_agrees_with_a_reference_matcher(pattern: str, subject: str) -> None:
    rows = [_case(1, Subject=subject)]
    matched = ids(f"SELECT Id FROM Case WHERE Subject LIKE '{pattern}'", rows) == [1]
    assert matched == _like_reference(pattern, subject)


def _compare(a: dict[str, Any], b: dict[str, Any], orders: list[tuple[str, bool, bool]]) -> int:
    """Salesforce's order between two records: -1, 0 or 1."""
    for field, descending, nulls_last in orders:
        x, y = a[field], b[field]
        if x is None and y is None:
            continue
        if x is None or y is None:
            return (1 if nulls_last else -1) * (1 if x is None else -1)
        if isinstance(x, str):
            x, y = x.lower(), y.lower()
        if x != y:
            return (-1 if x < y else 1) * (-1 if descending else 1)
    return 0


@given(
    values=st.lists(
        st.tuples(st.none() | st.integers(-3, 3), st.none() | st.sampled_from(["a", "B", "c"])),
        max_size=25,
    ),
    first_desc=st.booleans(),
    second_desc=st.booleans(),
    nulls=st.sampled_from(["", " NULLS FIRST", " NULLS LAST"]),
)
def test_order_by_output_is_sorted(
    values: list[tuple[int | None, str | None]], first_desc: bool, second_desc: bool, nulls: str
) -> None:
    rows = [_case(n, Hours__c=h, Subject=s) for n, (h, s) in enumerate(values)]
    first = f"Hours__c{' DESC' if first_desc else ''}{nulls}"
    second = f"Subject{' DESC' if second_desc else ''}"
    records = run(f"SELECT Id, Hours__c, Subject FROM Case ORDER BY {first}, {second}", rows)
    assert sorted(r["Id"] for r in records) == sorted(r["Id"] for r in rows)
    nulls_last = {"": first_desc, " NULLS FIRST": False, " NULLS LAST": True}[nulls]
    orders = [("Hours__c", first_desc, nulls_last), ("Subject", second_desc, second_desc)]
    for before, after in itertools.pairwise(records):
        assert _compare(before, after, orders) <= 0


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
def test_any_string_round_trips_through_escaping(subject: str) -> None:
    escaped = (
        subject.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    # Salesforce stores blank text as null, and '' matches it.
    rows = [_case(1, Subject=subject or None), _case(2, Subject=subject + "!")]
    assert ids(f"SELECT Id FROM Case WHERE Subject = '{escaped}'", rows) == [1]


def test_a_large_table_filters_and_sorts(benchmark_rows: list[dict[str, Any]]) -> None:
    text = (
        "SELECT Id, SystemModstamp FROM Case WHERE SystemModstamp > 2024-01-01T00:00:00Z "
        "ORDER BY SystemModstamp, Id LIMIT 2000"
    )
    records = run(text, benchmark_rows)
    stamps = [(r["SystemModstamp"], r["Id"]) for r in records]
    assert len(stamps) == 2000
    assert stamps == sorted(stamps)
    assert all(stamp > "2024-01-01T00:00:00.000+0000" for stamp, _ in stamps)


@pytest.fixture
def benchmark_rows() -> list[dict[str, Any]]:
    return [
        _case(
            n,
            SystemModstamp=f"{2023 + n % 2}-{n % 12 + 1:02d}-{n % 28 + 1:02d}T"
            f"{n % 24:02d}:{n % 60:02d}:00.000+0000",
        )
        for n in range(20_000)
    ]


def test_group_names_an_object_and_a_relationship_but_group_by_is_refused() -> None:
    assert parse("SELECT Id FROM Group WHERE Type = 'Queue'").sobject == "Group"
    assert parse("SELECT Group.Name, UserOrGroupId FROM GroupMember").fields == (
        "Group.Name",
        "UserOrGroupId",
    )
    with pytest.raises(SoqlError) as refused:
        parse("SELECT Id FROM Case GROUP BY Status")
    assert refused.value.error_code == "MALFORMED_QUERY"
