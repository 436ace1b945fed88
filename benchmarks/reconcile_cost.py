"""Zendesk → Zendesk: what reconciling a migration costs, against what the migration read.

Prints one JSON line. A generated N-ticket account (the in-process emulator) is migrated into a
new one through :class:`cemigrate.copier.Migration` on a shared
:class:`~cemigrate.ratelimit.ManualClock`; then :class:`cemigrate.reconcile.Reconciliation`
reads both accounts afresh (new adapters, so nothing is cached) and compares everything,
attachments hashed on both sides.

- ``reconcile_calls``: calls per budget the reconciliation spent (its budgets' counters);
  ``migration_read_calls``: what the migration's source adapter spent reading the same source.
  ``source_ratio`` = reconciliation source calls / migration read calls per budget (≤ 1: the
  deep comparison costs no more than reading the data once).
- ``estimate``: :meth:`Reconciliation.estimate` before the run (pages only; downloads apart).
- ``seconds``: wall-clock seconds of the reconciliation (in process, so CPU: hashing, parsing);
  ``api_minutes``: simulated minutes the same calls take under the plan's rate limits.

    .venv/bin/python benchmarks/reconcile_cost.py --tickets 10000
"""

from __future__ import annotations

import argparse
import json
import time

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, default=None)
    args = parser.parse_args()
    clock = ManualClock()
    old = ZendeskSandbox(tickets=args.tickets, seed=args.seed, instance="emea", clock=clock)
    new = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new", empty=True)
    clock.advance(120)

    def source(account: ZendeskSandbox, instance: str, **options: bool) -> ZendeskSource:
        return ZendeskSource(
            instance=instance,
            base_url=account.base_url,
            credentials=CREDENTIALS,
            session=account.session(authenticated=False),
            clock=clock,
            **options,
        )

    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=CREDENTIALS,
        session=new.session(authenticated=False),
        clock=clock,
    )
    reader = source(old, "emea")
    with Ledger.open(":memory:") as ledger:
        migration_started = time.monotonic()
        Migration(sources=[reader], target=target, ledger=ledger, progress=False).run()
        migration_seconds = time.monotonic() - migration_started
        read_calls = {k: v["calls"] for k, v in reader.budgets.snapshot().items() if v["calls"]}
        reader.close()
        clock.advance(120)
        reconciliation = Reconciliation(
            sources=[source(old, "emea")],
            target_view=source(new, "target", sla_events=False),
            ledger=ledger,
            target=target,
        )
        estimate = reconciliation.estimate(args.sample)
        simulated = clock.monotonic()
        report = reconciliation.run(sample=args.sample)
        simulated = clock.monotonic() - simulated
        reconciliation.close()
    data = report.as_dict()
    calls = data["cost"]["calls"]
    print(
        json.dumps(
            {
                "tickets": args.tickets,
                "sample": args.sample,
                "findings": data["summary"]["findings"],
                "reconcile_calls": {k: int(v) for k, v in calls.items()},
                "migration_read_calls": {k: int(v) for k, v in read_calls.items()},
                "source_ratio": {
                    k: round(calls.get(k, 0) / v, 3) for k, v in read_calls.items() if v
                },
                "estimate": estimate["calls"],
                "attachments_hashed": data["deep"]["attachments_hashed"],
                "bytes_hashed": data["deep"]["bytes_hashed"],
                "seconds": data["cost"]["seconds"],
                "api_minutes": round(simulated / 60, 1),
                "migration_seconds": round(migration_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
