"""The ``cemigrate`` command: a thin layer over :class:`cemigrate.copier.Migration`.

Exit codes: 0 done; 1 done, but some records failed (or a dry run found problems, a
reconciliation found defects, a signed report changed since, a rollback kept or left records
in the target); 2 bad input (plan, mapping,
credentials, a report ``signoff`` refuses as not clean without ``--accept``) or a ledger
fault (read-only media, a damaged file: the step it stopped was rolled back),
nothing else changed; 3 stopped early (a budget ran out, a disk filled up under the ledger, a
spool or a report, or SIGINT or SIGTERM interrupted it): ``--resume`` continues it.

SIGINT (Ctrl-C) or SIGTERM during ``run`` or ``rules activate`` lets the write step under way
finish, marks the run ``interrupted``, removes the temporary spools and exits 3 with one line;
a second signal stops at once (a resume settles the cut step). Any other command stops at once
with one line and exit 3, as does Ctrl-C while cemigrate is still starting. Errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import signal
import sys


class _Terminated(BaseException):
    """SIGTERM before the command's own handlers are in place (Python's default would end
    the process without a word)."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def _catch_sigterm() -> object:
    """Turn SIGTERM into :class:`_Terminated`; the handler it replaces (None off the main
    thread, where handlers cannot be set)."""
    try:
        return signal.signal(signal.SIGTERM, _terminated)
    except ValueError:
        return None


def _restore_sigterm(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


# Ctrl-C or SIGTERM while Python is still loading cemigrate (a second or so): one line and the
# exit code of a stopped command, not a traceback from inside an import or a silent end.
# Nothing has been opened yet.
_before_import = _catch_sigterm()
try:
    import argparse
    import contextlib
    import logging
    import os
    import tempfile
    import threading
    from collections.abc import Iterator, Sequence
    from pathlib import Path
    from typing import Any

    from cemigrate._version import __version__
    from cemigrate.adapters.private import SPOOL_DIR_ENV
    from cemigrate.copier import Mode, RunReport
    from cemigrate.copier.watch import show_status
    from cemigrate.errors import (
        CemigrateError,
        ConfigError,
        Interrupted,
        LedgerError,
        OutOfSpace,
        no_space,
    )
    from cemigrate.ledger import Ledger
    from cemigrate.plan import load_plan, open_plan
    from cemigrate.sandbox.dataset import generate
    from cemigrate.sandbox.http import Latency
    from cemigrate.sandbox.registry import EMULATORS, serve_options
except (KeyboardInterrupt, _Terminated) as _stop:
    _name = "SIGINT" if isinstance(_stop, KeyboardInterrupt) else "SIGTERM"
    sys.stderr.write(f"cemigrate: interrupted by {_name} while starting; nothing was done\n")
    raise SystemExit(3) from None
finally:
    _restore_sigterm(_before_import)

EXIT_OK, EXIT_FAILURES, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    previous = _catch_sigterm()
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before the command's handlers are in place, or after
        print("cemigrate: interrupted by SIGINT; stopped at once", file=sys.stderr)
        return EXIT_STOPPED
    except _Terminated:
        print("cemigrate: interrupted by SIGTERM; stopped at once", file=sys.stderr)
        return EXIT_STOPPED
    finally:
        _restore_sigterm(previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        with _signals_stop_at_once():
            code: int = args.handler(args)
    except _Signalled as exc:
        print(f"cemigrate: interrupted by {exc.name}; {exc.hint}", file=sys.stderr)
        return EXIT_STOPPED
    except BrokenPipeError:  # `cemigrate status PLAN | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no flush error at exit)
        return EXIT_OK
    except OutOfSpace as exc:  # the ledger's disk too: resumable once there is space
        print(f"cemigrate: stopped: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    except OSError as exc:
        if not no_space(exc):
            raise
        # A write that names no file: the command's own output folder, else a temporary spool.
        out = getattr(args, "out", None) or (args.folder if args.command == "signoff" else None)
        where = exc.filename or (
            f"writing under {out}" if out else f"a temporary file under {_temporary_folder()}"
        )
        resumable = args.command == "run" and not args.dry_run
        then = "continue with --resume" if resumable else "run the command again"
        print(
            f"cemigrate: stopped: {where}: no space left on the disk ({exc.strerror});"
            f" free some space, then {then}",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    except (ConfigError, LedgerError) as exc:
        print(f"cemigrate: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CemigrateError as exc:
        print(f"cemigrate: stopped: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    return code


def _temporary_folder() -> str:
    """Where this process's private temporary folder is made (:mod:`cemigrate.adapters.private`)."""
    return os.environ.get(SPOOL_DIR_ENV) or tempfile.gettempdir()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cemigrate",
        description="Migrate help desks between Zendesk, Salesforce and Freshdesk, resumably.",
    )
    parser.add_argument("--version", action="version", version=f"cemigrate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each batch and wait")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="dry run, migrate and reconcile a generated help desk between two emulated accounts",
    )
    *others, last = EMULATORS
    emulated = f"{', '.join(others)} or {last}"
    for side, default in (("source", "zendesk"), ("target", "salesforce")):
        demo.add_argument(  # checked by the demo: a bad name is a one-line error
            f"--{side}",
            default=default,
            metavar="PLATFORM",
            help=f"{side} platform: {emulated} ({default});"
            " the same for both: a consolidation of two instances",
        )
    demo.add_argument("--tickets", type=int, default=2000, help="tickets to generate (2000)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated help desk (7)")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("cemigrate-demo"),
        help="folder for plan, ledger, dry run and report (cemigrate-demo; emptied first)",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run a plan (copy, resume, delta, dry run)")
    run.add_argument("plan", type=Path, help="the plan file (TOML)")
    how = run.add_mutually_exclusive_group()
    how.add_argument("--resume", action="store_true", help="continue the last unfinished run")
    how.add_argument("--delta", action="store_true", help="only what changed since the last run")
    how.add_argument("--only-failed", action="store_true", help="re-drive the failure rows only")
    run.add_argument(
        "--dry-run", action="store_true", help="read, map and validate; write nothing anywhere"
    )
    run.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="with --dry-run: check N tickets chosen to include the awkward ones",
    )
    run.add_argument(
        "--repoint",
        action="store_true",
        help="accept a source or target whose account differs from the one the ledger"
        " recorded (a renamed instance, a moved account) and record the new one",
    )
    run.add_argument(
        "--mask",
        action="store_true",
        help="a masked rehearsal: names, e-mails, phones, subjects, bodies and files replaced"
        " before the target sees them (key from $CEMIGRATE_MASK_KEY, or the plan's [mask])",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: when stderr is a terminal)",
    )
    run.set_defaults(handler=_run)

    status = commands.add_parser("status", help="per kind: done, failed, pending; cursors")
    status.add_argument("plan", type=Path, help="the plan file (TOML)")
    status.add_argument("--failures", action="store_true", help="list the failure rows")
    status.add_argument(
        "--watch",
        action="store_true",
        help="refresh until the run ends (Ctrl-C stops watching): per kind done, failed,"
        " pending and left; calls a minute per budget against its ceiling; the ETA",
    )
    status.add_argument(
        "--interval",
        type=float,
        default=10.0,
        metavar="S",
        help="with --watch: seconds between refreshes (10)",
    )
    status.add_argument(
        "--json", action="store_true", help="one JSON object (with --watch: one line a refresh)"
    )
    status.add_argument(
        "--csv",
        action="store_true",
        help="with --failures: the failure rows as CSV (a header row, quoted for spreadsheets)",
    )
    status.set_defaults(handler=_status)

    reconcile = commands.add_parser(
        "reconcile", help="prove a migration: compare sources, target and ledger; write a report"
    )
    reconcile.add_argument("plan", type=Path, help="the plan file (TOML)")
    reconcile.add_argument("--out", type=Path, required=True, help="folder for the report")
    reconcile.add_argument(
        "--sample", type=int, metavar="N", help="deep-compare N random tickets (counts stay exact)"
    )
    reconcile.add_argument("--seed", type=int, default=0, help="seed of the sample (0)")
    reconcile.add_argument("--prepared-by", default="", help="name shown as the report's author")
    reconcile.add_argument(
        "--mask",
        action="store_true",
        help="compare the sources masked, as a masked rehearsal (run --mask) wrote them",
    )
    reconcile.set_defaults(handler=_reconcile)

    undo = commands.add_parser(
        "rollback", help="delete from the target what the migration created (not what it matched)"
    )
    undo.add_argument("plan", type=Path, help="the plan file (its ledger and target)")
    undo.add_argument(
        "--run", type=int, metavar="N", help="only what run N and the runs after it created"
    )
    undo.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted and kept; change nothing"
    )
    undo.add_argument(
        "--force", action="store_true", help="delete records changed in the target since, too"
    )
    undo.set_defaults(handler=_rollback)
    signoff = commands.add_parser("signoff", help="record an approval of a report")
    signoff.add_argument("folder", type=Path, help="the report's folder")
    signoff.add_argument("--name", required=True, help="who approves")
    signoff.add_argument("--role", required=True, help="in which role")
    signoff.add_argument(
        "--accept",
        metavar="REASON",
        help="approve a report that is not clean (findings, or checks that did not run), "
        "for this reason; without it such a report is refused (exit 2)",
    )
    signoff.set_defaults(handler=_signoff)

    verify = commands.add_parser("verify", help="check a signed report has not changed since")
    verify.add_argument("folder", type=Path, help="the report's folder")
    verify.add_argument("--ledger", type=Path, help="also check the migration's ledger")
    verify.set_defaults(handler=_verify)

    rules = commands.add_parser("rules", help="business rules: audit them")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rules_audit = rules_commands.add_parser(
        "audit", help="find conflicting, looping, dead, duplicate and broken rules in the sources"
    )
    rules_audit.add_argument("plan", type=Path, help="the plan file (its sources are audited)")
    rules_audit.add_argument("--out", type=Path, default=Path("rules-audit"), help="folder")
    rules_audit.set_defaults(handler=_rules_audit)
    rules_activate = rules_commands.add_parser(
        "activate",
        help="after cutover: switch on the rules and SLA policies a migration wrote inactive",
    )
    rules_activate.add_argument("plan", type=Path, help="the plan file (its ledger and target)")
    rules_activate.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="ID",
        help="just these rules: source id, ledger key, target id or title",
    )
    rules_activate.add_argument(
        "--dry-run", action="store_true", help="read the rules' states and report; change nothing"
    )
    rules_activate.add_argument(
        "--force", action="store_true", help="even though the last migration run did not complete"
    )
    rules_activate.add_argument(
        "--out", type=Path, default=Path("rules-activation"), help="folder for the report"
    )
    rules_activate.set_defaults(handler=_rules_activate)
    rules_translate = rules_commands.add_parser(
        "translate", help="how each source rule translates for the plan's target (a report)"
    )
    rules_translate.add_argument("plan", type=Path, help="the plan file (sources and target)")
    rules_translate.add_argument(
        "--out", type=Path, default=Path("rules-translation"), help="folder for the report"
    )
    rules_translate.set_defaults(handler=_rules_translate)

    sandbox = commands.add_parser("sandbox", help="platform emulators for trials and tests")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", required=True, metavar="ACTION"
    )
    serve = sandbox_commands.add_parser(
        "serve", help="serve an emulator over HTTP until interrupted (Ctrl-C or SIGTERM)"
    )
    serve.add_argument("platform", choices=tuple(EMULATORS), help="the platform to emulate")
    serve.add_argument("--port", type=int, default=8001, help="port (8001; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--tickets",
        type=int,
        default=2000,
        help="tickets to generate (2000); 0: a new account holding only the seats (agents) an"
        " admin sets up before a migration",
    )
    serve.add_argument("--seed", type=int, default=7, help="seed of the generated help desk (7)")
    serve.add_argument("--instance", default="demo", help="name of the generated help desk (demo)")
    serve.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds every request waits before it is answered, as a real API's round trip"
        " (0; 0.3 is typical); requests overlap",
    )
    serve.add_argument(
        "--jitter",
        type=float,
        default=0.0,
        help="up to this many seconds more or less, drawn per request (0; at most --latency)",
    )
    for option in serve_options():  # each emulator's own, as its class declares them
        if isinstance(option.default, bool):
            serve.add_argument(option.flag, action="store_true", help=option.help)
        else:
            serve.add_argument(
                option.flag,
                type=type(option.default),
                default=option.default,
                choices=option.choices or None,
                help=option.help,
            )
    serve.set_defaults(handler=_sandbox_serve)
    _accept_global_flags(parser)
    return parser


def _accept_global_flags(parser: argparse.ArgumentParser) -> None:
    """Let ``-v`` follow any command too (``cemigrate run PLAN -v``), not only precede it.

    The commands' copy defaults to *absent*, so it never resets a ``-v`` given before them.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument(
                    "-v",
                    "--verbose",
                    action="store_true",
                    default=argparse.SUPPRESS,
                    help="log each batch and wait (as before the command)",
                )
                _accept_global_flags(child)


def _run(args: argparse.Namespace) -> int:
    if args.dry_run and (args.resume or args.only_failed):
        raise ConfigError("--dry-run goes with a full or --delta run only")
    if args.sample is not None and not args.dry_run:
        raise ConfigError("--sample goes with --dry-run")
    mode = Mode.DELTA if args.delta else Mode.ONLY_FAILED if args.only_failed else Mode.FULL
    opened = open_plan(args.plan)
    if args.resume and not opened.ledger_path.exists():
        raise ConfigError(
            f"{opened.ledger_path}: no ledger yet (nothing has run), nothing to resume;"
            " a run starts without --resume"
        )
    with _stop_on_signal(hard=True) as stop:
        migration = opened.migration(progress=args.progress, repoint=args.repoint, mask=args.mask)
        try:
            if args.dry_run:
                plan = migration.dry_run(mode=mode, sample=args.sample, stop=stop)
                report = plan.report
            else:
                report = migration.run(mode=mode, resume=args.resume, stop=stop)
        finally:
            migration.close()
    if stop.signal and report.status != "completed":
        if args.dry_run:
            print(
                f"cemigrate: dry run interrupted by {stop.signal}; nothing written", file=sys.stderr
            )
        elif report.run_id is None:
            print(
                f"cemigrate: interrupted by {stop.signal} before the copy began; run it again",
                file=sys.stderr,
            )
        else:
            written = sum(report.total(action) for action in ("created", "updated", "found"))
            print(
                f"cemigrate: interrupted by {stop.signal} after {written} records written"
                f" (run {report.run_id}); continue with --resume",
                file=sys.stderr,
            )
        return EXIT_STOPPED
    print(report.table())
    if args.dry_run:
        as_json, as_md = plan.write(opened.ledger_path.parent)
        for problem in report.problems:
            print(f"  would fail: {problem.count} {problem.kind}: {problem.reason}")
        print(f"estimated duration: at least {plan.estimate['hours']:.2f} h")
        print(f"fidelity plan written to {as_md} and {as_json}")
    return _exit_code(report)


def _exit_code(report: RunReport) -> int:
    if report.status != "completed":
        print(f"stopped early ({report.stopped_because}); continue with --resume")
        return EXIT_STOPPED
    if report.failed or report.total("invalid"):
        print(f"{report.failed + report.total('invalid')} records did not carry over; see status")
        return EXIT_FAILURES
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    if not plan.ledger.exists():
        raise ConfigError(f"{plan.ledger}: no ledger yet (nothing has run)")
    if args.csv and not args.failures:
        raise ConfigError("--csv goes with --failures: cemigrate status PLAN --failures --csv")
    if args.csv or args.watch or args.json:
        try:
            show_status(
                plan.ledger,
                watch=args.watch,
                interval=args.interval,
                as_json=args.json,
                failures_as_csv=args.csv,
            )
        except _Signalled:  # Ctrl-C ends the watching, not the run being watched
            print("stopped watching", file=sys.stderr)
        return EXIT_OK
    with Ledger.open(plan.ledger, read_only=True) as ledger:  # no lock, no write: any media
        last = ledger.last_run()
        if last is not None:
            finished = (
                f", finished {last.finished_at:%Y-%m-%d %H:%M:%S}" if last.finished_at else ""
            )
            print(f"last run: {last.id} ({last.mode}) {last.status}{finished}")
        print(f"{'kind':>20}  {'done':>7}  {'failed':>6}  {'pending':>7}  {'skipped':>7}")
        for kind, counts in ledger.counts().items():
            if any(counts.values()):
                print(
                    f"{kind:>20}  {counts['done']:>7}  {counts['failed']:>6}"
                    f"  {counts['pending']:>7}  {counts['skipped']:>7}"
                )
        cursors = ledger.cursors()
        for (instance, stream), cursor in sorted(cursors.items()):
            print(f"cursor {instance}/{stream}: {cursor or '(start)'}")
        rows = ledger.verify_journal()
        print(f"journal: {rows} rows, hash chain verifies")
        if args.failures:
            for failure in ledger.failures():
                print(f"failed {failure.key}: {failure.reason} [{failure.platform_message}]")
    return EXIT_OK


def _reconcile(args: argparse.Namespace) -> int:
    plan = open_plan(args.plan)
    undone = plan.rollback_check()
    if undone is not None:  # after a rollback: the target read back for what it deleted
        print(undone.table())
        print(f"verdict: {undone.verdict}")
        return EXIT_OK if undone.ok else EXIT_FAILURES
    reconciliation = plan.reconciliation(prepared_by=args.prepared_by, mask=args.mask)
    try:
        estimate = reconciliation.estimate(args.sample)
        print(
            "estimated calls: "
            + ", ".join(f"{name} {n}" for name, n in estimate["calls"].items())
            + " (plus one download per attachment per side)"
        )
        report = reconciliation.run(sample=args.sample, seed=args.seed)
    finally:
        reconciliation.close()
    paths = report.write(args.out)
    summary = report.content["summary"]
    print(f"{summary['findings']} finding(s) {summary['by_severity']}")
    for finding in report.findings[:10]:
        print(f"  {finding.severity}: {finding.source_key or finding.kind}: {finding.message}")
    print(f"digest {report.digest}")
    print(f"report: {paths['report.html']}")
    print(f"verdict: {summary['verdict']}")  # last: what the report proves, or does not
    return EXIT_FAILURES if summary["findings"] else EXIT_OK


def _rules_audit(args: argparse.Namespace) -> int:
    audits = open_plan(args.plan).audit_rules()
    for name, report in audits:
        paths = report.write(args.out / name if len(audits) > 1 else args.out)
        print(f"{name}: {report.rules} rules, {len(report.findings)} finding(s)")
        for finding in report.findings[:10]:
            print(f"  {finding.check}: {', '.join(finding.rule_ids)}: {finding.message}")
        print(f"report: {paths['audit.md']}")
    return EXIT_FAILURES if any(report.findings for _, report in audits) else EXIT_OK


def _rules_activate(args: argparse.Namespace) -> int:
    with _stop_on_signal(hard=True) as stop:
        try:
            report = open_plan(args.plan).activate(
                only=args.only, dry_run=args.dry_run, force=args.force, stop=stop
            )
        except Interrupted:
            print(
                f"cemigrate: interrupted by {stop.signal} before any rule was switched on;"
                " run it again to activate",
                file=sys.stderr,
            )
            return EXIT_STOPPED
    paths = report.write(args.out)
    print(report.table())
    print(f"report: {paths['activation.md']}")
    return EXIT_OK if report.ok else EXIT_FAILURES


def _rules_translate(args: argparse.Namespace) -> int:
    plan = open_plan(args.plan)
    translation = plan.translate_rules()
    if not translation.linked_from_ledger:
        print(
            "no run yet: every group, agent and field a rule names is taken as linked"
            " (run the plan for the target's own ids)"
        )
    where = (
        "links from the ledger"
        if translation.linked_from_ledger
        else "every reference taken as linked"
    )
    for name, count, report in translation.reports:
        _, as_md = report.write(args.out / name if len(translation.reports) > 1 else args.out)
        counts = ", ".join(f"{n} {status}" for status, n in report.counts.items())
        print(f"{name}: {count} rules for {plan.target.platform}: {counts} ({where})")
        print(f"report: {as_md}")
    return EXIT_OK


def _rollback(args: argparse.Namespace) -> int:
    with _stop_on_signal(hard=True) as stop:
        try:
            report = open_plan(args.plan).rollback(
                run=args.run, dry_run=args.dry_run, force=args.force, stop=stop
            )
        except Interrupted:
            print(
                f"cemigrate: rollback interrupted by {stop.signal}; run it again to finish",
                file=sys.stderr,
            )
            return EXIT_STOPPED
    print(report.table())
    return EXIT_OK if report.ok else EXIT_FAILURES


def _signoff(args: argparse.Namespace) -> int:
    from cemigrate.reconcile import sign_off

    path = sign_off(args.folder, name=args.name, role=args.role, accept=args.accept)
    accepted = f", accepted as is: {args.accept.strip()}" if args.accept is not None else ""
    print(f"approved by {args.name} ({args.role}){accepted}; recorded in {path}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from cemigrate.reconcile import verify

    result = verify(args.folder, ledger_path=args.ledger)
    approval = result.approval
    if result.ok:
        accepted = approval.get("accepted")
        print(
            f"intact: approved by {approval.get('approved_by')} ({approval.get('role')}) on "
            f"{approval.get('date')}, verdict {approval.get('verdict')!r}"
            + (f", accepted as is: {accepted}" if accepted else "")
            + f", digest {approval.get('report_digest')}"
        )
        return EXIT_OK
    for problem in result.problems:
        print(f"changed: {problem}")
    return EXIT_FAILURES


def start_sandbox(
    platform: str, *, tickets: int, seed: int, instance: str, **options: Any
) -> tuple[Any, Any]:
    """``cemigrate sandbox serve``'s account and its running server. With no tickets it is a
    migration's target: a new account holding only what an admin sets up first (the generated
    desk's agents as seats, where the platform sells them)."""
    empty = tickets == 0
    settings: dict[str, Any] = {"tickets": tickets, "seed": seed, "instance": instance}
    if empty:
        settings["empty"] = True
    sandbox, server = EMULATORS[platform].started(**settings, **options)
    if empty:
        sandbox.add_seats(generate(tickets=0, seed=seed, instance=instance))
    return sandbox, server


def _sandbox_serve(args: argparse.Namespace) -> int:
    if args.tickets < 0 or not 0 <= args.port <= 65535:
        raise ConfigError("--tickets must be 0 or more and --port between 0 and 65535")
    if not 0 <= args.jitter <= args.latency:
        raise ConfigError("--latency must be 0 or more and --jitter between 0 and --latency")
    common: dict[str, Any] = {
        "port": args.port,
        "tickets": args.tickets,
        "seed": args.seed,
        "host": args.host,
        "instance": args.instance,
    }
    account = EMULATORS[args.platform]
    options = {option.name: getattr(args, option.name) for option in account.serve_options}
    for option in account.serve_options:
        option.check(args.platform, options[option.name])
    if args.latency > 0:
        options["latency"] = Latency(seconds=args.latency, jitter=args.jitter, seed=args.seed)
    try:
        sandbox, server = start_sandbox(args.platform, **common, **options)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    try:
        with _stop_on_signal() as stop:
            print(
                f"{args.platform} sandbox on {server.url} ({args.tickets} tickets, seed"
                f" {args.seed}, {sandbox.limits()}): {sandbox.sign_in()};"
                f' plan key base_url = "{server.url}";'
                " Ctrl-C stops it",
                flush=True,
            )
            while not stop.wait(0.5):
                pass
    finally:
        server.shutdown()
    print(f"{args.platform} sandbox stopped", flush=True)
    return EXIT_OK


class _StopEvent(threading.Event):
    """Set by the first SIGINT or SIGTERM; :attr:`signal` names it."""

    signal = ""


class _Signalled(BaseException):
    """SIGINT or SIGTERM where nothing can finish first: stop at once (not an Exception, so
    no ``except Exception`` on the way swallows it; ``finally`` blocks still run)."""

    def __init__(self, signum: int, hint: str) -> None:
        super().__init__(signum)
        self.name = signal.Signals(signum).name
        self.hint = hint


def _handle(handler: Any) -> dict[int, Any]:
    """Install ``handler`` for SIGINT and SIGTERM (from the main thread only); the previous
    handlers, to put back."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@contextlib.contextmanager
def _signals_stop_at_once() -> Iterator[None]:
    """Any command: SIGINT or SIGTERM raises :class:`_Signalled`, so the ``finally`` blocks
    run (spools removed, ledger closed) and :func:`main` prints one line."""

    def stop(signum: int, _frame: object) -> None:
        raise _Signalled(signum, "stopped at once")

    previous = _handle(stop)
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def _stop_on_signal(*, hard: bool = False) -> Iterator[_StopEvent]:
    """An event set by SIGINT or SIGTERM while inside (the handlers are put back after). The
    handlers are installed on entry, so a signal sent as soon as the caller announces itself
    is caught, not fatal. With ``hard``, a second signal while the event is set stops at once
    (:class:`_Signalled`): a write step cut so is settled by ``--resume``."""
    stop = _StopEvent()

    def asked(signum: int, _frame: object) -> None:
        if hard and stop.is_set():
            raise _Signalled(signum, "stopped at once; continue with --resume")
        stop.signal = signal.Signals(signum).name
        stop.set()

    previous = _handle(asked)
    try:
        yield stop
    finally:
        _restore(previous)


def _demo(args: argparse.Namespace) -> int:
    from cemigrate.demo import demo_pair, fidelity_summary, run_demo

    def seeded(summary: dict[str, object]) -> None:
        print(f"demo: {demo_pair(args.source, args.target)}, on a simulated clock")
        print(_describe_desk(summary))
        print("dry run: reading everything, asking the target about each record ...", flush=True)

    def dry_run(plan: Any, path: Path) -> None:
        print(fidelity_summary(plan))
        print(f"  details: {path}")
        print("migrating ...", flush=True)

    def migrated(report: RunReport) -> None:
        print(report.table())
        print("reconciling: both accounts read back and compared with the ledger ...", flush=True)

    result = run_demo(
        args.out,
        source=args.source,
        target=args.target,
        tickets=args.tickets,
        seed=args.seed,
        progress=False if args.no_progress else None,
        on_seeded=seeded,
        on_dry_run=dry_run,
        on_migrated=migrated,
    )
    calls = {name: int(b["calls"]) for name, b in result.report.budgets.items() if b["calls"]}
    print(
        f"API time under the accounts' rate limits: {result.api_minutes:.1f} min"
        f" (simulated clock); calls: {calls}"
    )
    print(f"journal: {result.journal_rows} rows, hash chain verifies")
    print(f"plan: {result.plan}  ledger: {result.ledger}  next: cemigrate status {result.plan}")
    summary = result.reconciliation.content["summary"]
    for finding in result.reconciliation.findings[:5]:
        print(f"  {finding.severity}: {finding.source_key or finding.kind}: {finding.message}")
    accept = "" if result.reconciliation.clean else ' --accept "REASON" (it is not clean)'
    print(f"sign it: cemigrate signoff {result.report_html.parent} --name ... --role ...{accept}")
    print(f"report: {result.report_html}")
    counted = f" ({result.findings} finding(s))" if result.findings else ""
    print(f"reconciliation: {summary['verdict']}{counted}")  # last: what the report proves
    code = _exit_code(result.report)
    return code if code != EXIT_OK or not result.findings else EXIT_FAILURES


def _describe_desk(summary: dict[str, object]) -> str:
    counts, size = summary["counts"], summary["attachment_bytes"]
    assert isinstance(counts, dict)
    assert isinstance(size, int)
    channels = summary["channel_share"]
    assert isinstance(channels, dict)
    mix = ", ".join(f"{name} {share:.0%}" for name, share in channels.items())
    return (
        f"generated help desk {summary['instance']!r}: {counts['ticket']:,} tickets,"
        f" {summary['comments']:,} comments ({summary['private_notes']:,} private notes),"
        f" {summary['attachments']:,} attachments ({size / 1e6:,.0f} MB),"
        f" {counts['user']:,} users, {summary['locales']} languages\n"
        f"  channels: {mix}; median first reply {summary['median_first_reply_hours']} h,"
        f" resolution {summary['median_resolution_hours']} h;"
        f" good satisfaction {summary['good_satisfaction_share']:.0%}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
