"""Each platform's field ledger module prints its generated section, or writes it into the
page named on its command line (``make field-ledger`` runs them)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from cemigrate.adapters.field_ledger import FieldLedger, markers, render
from cemigrate.adapters.freshdesk import field_ledger as freshdesk
from cemigrate.adapters.salesforce import field_ledger as salesforce
from cemigrate.adapters.zendesk import field_ledger as zendesk

LEDGERS: dict[str, tuple[ModuleType, FieldLedger]] = {
    "zendesk": (zendesk, zendesk.ZENDESK_LEDGER),
    "freshdesk": (freshdesk, freshdesk.FRESHDESK_LEDGER),
    "salesforce": (salesforce, salesforce.SALESFORCE_LEDGER),
}


@pytest.mark.parametrize("platform", sorted(LEDGERS))
@pytest.mark.parametrize("argv", [[], ["--write"]], ids=["print", "write"])
def test_the_module_prints_or_writes_the_section(
    platform: str, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module, ledger = LEDGERS[platform]
    page = tmp_path / f"{platform}.md"
    begin, end = markers(ledger)
    page.write_text(f"{begin}\n{end}\n", encoding="utf-8")
    assert module._main([*argv, str(page)] if argv else []) == 0
    out = capsys.readouterr().out
    if argv:
        assert out == f"{page}: updated\n"
        assert render(ledger) in page.read_text(encoding="utf-8")
    else:
        assert out == render(ledger)
        assert page.read_text(encoding="utf-8") == f"{begin}\n{end}\n"  # printed, not written
