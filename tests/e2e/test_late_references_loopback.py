"""A run started the moment the emulators are up: users updated in the last minute are not in
the user export yet, while their tickets are in the ticket export. Every ticket still arrives
once, read back through the target's own API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from cemigrate.ledger import Ledger
from cemigrate.testing.kill import (
    ZENDESK_EMAIL,
    ZENDESK_ENV,
    ZENDESK_TOKEN,
    ShiftedClock,
    run_copier,
    zendesk_source_account,
    zendesk_source_plan,
    zendesk_target_account,
    zendesk_target_plan,
)


def zendesk_tickets(url: str) -> list[dict[str, object]]:
    """Every live ticket of the account at ``url``, from its incremental ticket export."""
    session = requests.Session()
    session.auth = (f"{ZENDESK_EMAIL}/token", ZENDESK_TOKEN)
    tickets: list[dict[str, object]] = []
    params: dict[str, object] = {"start_time": 0, "exclude_deleted": "true", "per_page": 1000}
    while True:
        answer = session.get(f"{url}/api/v2/incremental/tickets/cursor.json", params=params)
        answer.raise_for_status()
        body = answer.json()
        tickets.extend(body["tickets"])
        if body["end_of_stream"]:
            return tickets
        params = {"cursor": body["after_cursor"], "exclude_deleted": "true", "per_page": 1000}


@pytest.mark.slow
def test_a_run_started_at_once_carries_every_ticket_of_users_updated_in_the_last_minute(
    tmp_path: Path,
) -> None:
    clock = ShiftedClock()
    old = zendesk_source_account(clock, tickets=300, seed=5)
    new = zendesk_target_account(clock, seed=5)
    now = old.backend.now_ts()
    recent = {uid for uid, at in old.backend.user_ts.items() if at > now - 60}
    live = {t.id for t in old.backend.desk.tickets if not t.deleted}
    assert any(
        t.requester is not None and int(t.requester.id) in recent
        for t in old.backend.desk.tickets
        if t.id in live
    ), "the seeded help desk has no ticket of a recently updated user: nothing is tested"
    with old.serve() as old_server, new.serve() as new_server:
        plan = tmp_path / "plan.toml"
        plan.write_text(
            'ledger = "ledger.sqlite"\n'
            + zendesk_source_plan(old_server.url)
            + zendesk_target_plan(new_server.url),
            encoding="utf-8",
        )
        # No waiting: the run starts while those users are inside the export's last minute.
        code, log = run_copier(plan, env=ZENDESK_ENV, resume=False, kill_at=None)
        assert code == 0, log

        clock.ahead = 120  # later: the target's own export serves what was written
        arrived = zendesk_tickets(new_server.url)
    external = [str(t["external_id"]) for t in arrived]
    assert len(external) == len(set(external)), "a ticket was written twice"
    assert set(external) == {f"exchange:ticket:{i}" for i in live}
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.failures() == []
        summary = json.dumps([run.mode for run in ledger.runs()])
    assert summary == '["full"]'
