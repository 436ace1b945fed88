"""``SELECT COUNT() ... WHERE field LIKE 'prefix%'`` as reconciliation counts a target's keyed
rows: the answer's ``totalSize`` is the number of rows and ``records`` is empty (SOQL and SOSL
Reference, "COUNT() and COUNT(fieldName)"); ``\\_`` and ``\\%`` match themselves, a bare
``_`` any one character, and LIKE ignores case."""

from __future__ import annotations

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox


def test_count_with_an_escaped_like_prefix_counts_only_that_prefix() -> None:
    org = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock())
    session = org.session()
    for subject in ("a_b:ticket:1", "a_b:ticket:2", "A_B:ticket:3", "axb:ticket:4", "a_b:user:5"):
        made = session.post(f"{org.data_url}/sobjects/Case", json={"Subject": subject})
        assert made.status_code == 201, made.text

    def count(pattern: str) -> int:
        reply = session.get(
            f"{org.data_url}/query",
            params={"q": f"SELECT COUNT() FROM Case WHERE Subject LIKE '{pattern}'"},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["records"] == []
        assert body["done"] is True
        total: int = body["totalSize"]
        return total

    assert count("a\\_b:ticket:%") == 3  # any case, the underscore itself
    assert count("a_b:ticket:%") == 4  # a bare underscore is any one character
    assert count("a\\_b:user:%") == 1
