"""Plan files: which sources go into which target, through which mapping, with which ledger.

:func:`open_plan` reads and checks a plan file and returns a :class:`Plan`, the one place that
builds adapters from a plan: the copier (:meth:`Plan.migration`), reconciliation
(:meth:`Plan.reconciliation`), rules activation (:meth:`Plan.activate`) and every command of
the command line go through it.

::

    ledger = "acme.ledger.sqlite"
    mapping = "mappings/zendesk-to-salesforce.toml"   # optional: identity when absent

    [[source]]
    name = "emea"               # instance name: part of every key
    platform = "zendesk"
    token_env = "ZENDESK_TOKEN" # names of environment variables, never the secrets

    [target]
    platform = "salesforce"

Every error names the file, the line and the key, in one line, and is raised before a ledger
is opened or created.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.platform import AdapterSettings, Platform
from cemigrate.adapters.registry import PLATFORMS
from cemigrate.adapters.rule_dialects import dialect_of
from cemigrate.copier import Migration
from cemigrate.copier.activate import ActivationReport, activate, describe_rules
from cemigrate.copier.inflight import AUTO, MAX_IN_FLIGHT
from cemigrate.copier.rollback import RollbackCheck, RollbackReport, check_rolled_back, rollback
from cemigrate.copier.watch import Recording
from cemigrate.errors import CemigrateError, ConfigError, CredentialError, PlanError
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import IDENTITY, MappingFile, RecordMapping, load_mapping
from cemigrate.mapping.mask import Mask, MaskSettings
from cemigrate.ratelimit import Clock, SystemClock
from cemigrate.reconcile import Reconciliation
from cemigrate.reconcile.counts import source_totals
from cemigrate.rules import AuditReport, TranslationReport, audit, translation_report
from cemigrate.rules.translate import EVERY_LINK
from cemigrate.schema import FieldDef, Group, Kind, Record, Ref, Rule, User
from cemigrate.tomlfile import KeyPath, TomlFile

__all__ = [
    "Plan",
    "PlanFile",
    "RulesTranslation",
    "SideSpec",
    "close_all",
    "load_plan",
    "open_plan",
]

_log = logging.getLogger(__name__)

_TOP_KEYS = {
    "ledger": str,
    "mapping": str,
    "source": list,
    "target": dict,
    "in_flight": object,  # "auto" or a number: checked by _in_flight
    "mask": dict,  # a masked rehearsal: checked by _mask_settings
}
_COMMON_KEYS: Mapping[str, type] = {
    "platform": str,
    "plan": str,
    "base_url": str,
    "daily_quota_share": float,
}
_INSTANCE = re.compile(r"^[A-Za-z0-9_.\-]+$")


@attrs.frozen(kw_only=True)
class SideSpec:
    """One ``[[source]]`` or the ``[target]`` of a plan."""

    name: str
    platform: str
    options: Mapping[str, Any]
    """Every key but ``name``, ``platform`` and the ``*_env`` ones."""
    credential_env: Mapping[str, str]
    """Plan key → name of the environment variable that holds the secret."""
    where: KeyPath


@attrs.frozen(kw_only=True)
class PlanFile:
    """A parsed, validated plan file (nothing built, no environment read)."""

    path: Path
    ledger: Path
    mapping: Path | None
    sources: tuple[SideSpec, ...]
    target: SideSpec
    digest: str
    """SHA-256 of the plan file, kept with each run in the ledger."""
    _file: TomlFile = attrs.field(alias="file", repr=False, eq=False)
    in_flight: int | None = None
    """Target batches written at once (``in_flight = 4``, or ``"auto"``: as many as the target's
    budgets take at the latency its calls show); None when the plan does not say: ``"auto"``,
    the copier's default (``in_flight = 1`` writes one batch at a time)."""
    mask: MaskSettings | None = None
    """The ``[mask]`` section: every run, dry run and reconciliation of the plan is masked."""

    @property
    def base_dir(self) -> Path:
        """Relative paths in the plan are relative to this folder."""
        return self.path.parent

    def settings(
        self, side: SideSpec, *, clock: Clock, env: Mapping[str, str] | None = None
    ) -> AdapterSettings:
        """The settings to build one side's adapter, with credentials read from ``env``."""
        env = os.environ if env is None else env
        credentials = {}
        for key, variable in side.credential_env.items():
            value = env.get(variable)
            if not value:
                raise self._file.error(
                    (*side.where, key),
                    f"environment variable {variable} is not set",
                    error=CredentialError,
                )
            credentials[key.removesuffix("_env")] = value
        return AdapterSettings(
            name=side.name,
            options=side.options,
            credentials=credentials,
            base_dir=self.base_dir,
            clock=clock,
        )


class Plan:
    """A plan file opened for work: its mapping loaded, its adapters built from it.

    Made by :func:`open_plan`. Credentials are read from ``env`` (the process environment by
    default) when an adapter is built. Each job (:meth:`migration`, :meth:`reconciliation`,
    :meth:`activate`) builds the adapters it needs and closes them when it is done.
    """

    def __init__(
        self,
        file: PlanFile,
        *,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.file = file
        """The parsed plan file."""
        self.env: Mapping[str, str] = os.environ if env is None else env
        """Where credentials are read from."""
        self.clock: Clock = clock or SystemClock()
        """The clock every adapter built from this plan waits on."""
        self.mapping: RecordMapping = load_mapping(file.mapping) if file.mapping else IDENTITY
        """The plan's mapping (the identity when it names none)."""

    def __repr__(self) -> str:
        return f"<Plan {self.file.path}>"

    @property
    def path(self) -> Path:
        """The plan file."""
        return self.file.path

    @property
    def ledger_path(self) -> Path:
        """Where the plan's ledger is (or will be)."""
        return self.file.ledger

    @property
    def sources(self) -> tuple[SideSpec, ...]:
        """The ``[[source]]`` entries, in order."""
        return self.file.sources

    @property
    def target(self) -> SideSpec:
        """The ``[target]`` entry."""
        return self.file.target

    # -- building adapters -----------------------------------------------------------------

    def build_source(self, side: SideSpec) -> Source:
        """One ``[[source]]``'s adapter."""
        build = PLATFORMS[side.platform].build_source
        assert build is not None  # the plan loader checked it
        return build(self._settings(side))

    def build_sources(self) -> list[Source]:
        """Every source's adapter, in plan order."""
        return _built_all(self.build_source, self.file.sources)

    def build_target(self) -> Target:
        """The target's adapter."""
        build = PLATFORMS[self.target.platform].build_target
        assert build is not None  # the plan loader checked it
        return build(self._settings(self.target))

    def build_target_view(self) -> Source:
        """The target account read back as a source: what reconciliation compares with."""
        build = PLATFORMS[self.target.platform].build_target_view
        if build is None:
            raise ConfigError(f"{self.target.platform}: cannot read a target account back")
        return build(self._settings(self.target))

    def _settings(self, side: SideSpec) -> AdapterSettings:
        return self.file.settings(side, clock=self.clock, env=self.env)

    def masking(self, mask: bool = False) -> Mask | None:
        """The mask of a masked rehearsal: when the plan has a ``[mask]`` section, or ``mask``
        asks for one (``--mask``: the section's defaults). Its key is read from the variable
        the section names (:data:`~cemigrate.mapping.mask.DEFAULT_KEY_ENV` by default); one
        that is not set, or too short, is a :class:`ConfigError` raised before any call."""
        settings = self.file.mask
        if settings is None and not mask:
            return None
        settings = settings or MaskSettings()
        key = self.env.get(settings.key_env)
        if not key:
            raise ConfigError(
                f"{self.path}: a masked rehearsal needs its key: environment variable"
                f" {settings.key_env} is not set (mask.key_env)"
            )
        try:
            return Mask(key, settings)
        except ValueError as exc:
            raise ConfigError(f"{self.path}: {settings.key_env}: {exc}") from None

    def _existing_ledger(self) -> Path:
        """The ledger's path, which a job that reads what ran needs to exist."""
        if not self.ledger_path.exists():
            raise ConfigError(f"{self.ledger_path}: no ledger yet (nothing has run)")
        return self.ledger_path

    # -- jobs ------------------------------------------------------------------------------

    def migration(
        self, *, progress: bool | None = None, repoint: bool = False, mask: bool = False
    ) -> Migration:
        """The plan's migration, ready to run (or resume, or dry run). Every check that can
        fail runs before the ledger is opened, so bad input leaves it untouched. ``repoint``
        accepts sources or a target whose account differs from the one the ledger recorded
        (a deliberate re-point; without it such a run is refused, see
        :func:`cemigrate.copier.identity.check_accounts`). ``mask``: a masked rehearsal even
        without a ``[mask]`` section (:meth:`masking`)."""
        masked = self.masking(mask)
        sources = self.build_sources()
        with _closed_on_error(sources) as built:
            target = built(self.build_target())
            ledger = Ledger.open(self.ledger_path, exclusive=True)
        return Migration(
            sources=sources,
            target=target,
            ledger=ledger,
            mapping=self.mapping,
            progress=progress,
            plan_digest=self.file.digest,
            repoint=repoint,
            concurrency=self.file.in_flight,
            recording=Recording(counter=source_totals),
            mask=masked,
        )

    def reconciliation(self, *, prepared_by: str = "", mask: bool = False) -> Reconciliation:
        """The reconciliation of the plan's sources with its target read back, through its
        ledger (which must exist) and its mapping; masked as the run was (``mask``, or the
        plan's ``[mask]`` section)."""
        ledger_path = self._existing_ledger()
        masked = self.masking(mask)
        sources = self.build_sources()
        with _closed_on_error(sources) as built:
            view = built(self.build_target_view())
            target = built(self.build_target())
            ledger = Ledger.open(ledger_path)
        return Reconciliation(
            sources=sources,
            target_view=view,
            ledger=ledger,
            mapping=self.mapping,
            target=target,
            plan_digest=self.file.digest,
            prepared_by=prepared_by,
            mask=masked,
        )

    def activate(
        self,
        *,
        only: Collection[str] | None = None,
        dry_run: bool = False,
        force: bool = False,
        stop: threading.Event | None = None,
    ) -> ActivationReport:
        """Switch on the rules and SLA policies the plan's migration wrote inactive, after
        cutover (:func:`cemigrate.copier.activate.activate`): the target is built, the ledger
        opened and the sources read for the rules' titles and skip policies. ``stop``: as
        for :func:`~cemigrate.copier.activate.activate`."""
        target = self.build_target()
        try:
            if target.rule_switch() is None:
                raise ConfigError(
                    f"{self.path}: the {self.target.platform} target cannot switch rules on:"
                    " cemigrate has no activation for it"
                )
            ledger_path = self._existing_ledger()
            sources = self.build_sources()
            try:
                titles, policies = describe_rules(sources, target)
            except CemigrateError as exc:
                # The sources may be gone after cutover: the rules are still in the ledger.
                _log.warning("the sources could not be read, so rules have no titles: %s", exc)
                titles, policies = {}, {}
            finally:
                close_all(sources)
            with Ledger.open(ledger_path, exclusive=True) as ledger:
                return activate(
                    target,
                    ledger,
                    only=only,
                    dry_run=dry_run,
                    force=force,
                    titles=titles,
                    policies=policies,
                    plan_digest=self.file.digest,
                    stop=stop,
                )
        finally:
            close_all([target])

    def rollback(
        self,
        *,
        run: int | None = None,
        dry_run: bool = False,
        force: bool = False,
        stop: threading.Event | None = None,
    ) -> RollbackReport:
        """Delete from the target what the plan's migration created (``run``: that run and
        later ones), as :func:`cemigrate.copier.rollback.rollback` does; ``dry_run`` opens
        the ledger read-only and writes nothing anywhere."""
        ledger_path = self._existing_ledger()
        target = self.build_target()
        try:
            with Ledger.open(ledger_path, read_only=dry_run, exclusive=not dry_run) as ledger:
                return rollback(
                    target,
                    ledger,
                    since_run=run,
                    dry_run=dry_run,
                    force=force,
                    plan_digest=self.file.digest,
                    stop=stop,
                )
        finally:
            close_all([target])

    def rollback_check(self) -> RollbackCheck | None:
        """After a completed rollback, the target read back for what it deleted
        (:func:`cemigrate.copier.rollback.check_rolled_back`); None otherwise."""
        ledger_path = self._existing_ledger()
        with Ledger.open(ledger_path, read_only=True) as ledger:
            last = ledger.last_run()
            if last is None or last.mode != "rollback":
                return None
            target = self.build_target()
            try:
                return check_rolled_back(target, ledger)
            finally:
                close_all([target])

    def audit_rules(self) -> list[tuple[str, AuditReport]]:
        """Each source's rules audited against its own groups, users and fields
        (``cemigrate rules audit``): (source name, report), in plan order."""
        audits = []
        for side in self.sources:
            source = self.build_source(side)
            try:
                read = {kind: _records(source, kind) for kind in _AUDITED}
            finally:
                close_all([source])
            report = audit(
                # Each rule in its own words: a memory source holds Zendesk's, for one.
                [dialect_of(r).normalise(r) for r in read[Kind.RULE] if isinstance(r, Rule)],
                groups=[g for g in read[Kind.GROUP] if isinstance(g, Group)],
                users=[u for u in read[Kind.USER] if isinstance(u, User)],
                fields=[f for f in read[Kind.FIELD] if isinstance(f, FieldDef)],
            )
            audits.append((side.name, report))
        return audits

    def translate_rules(self) -> RulesTranslation:
        """Each source's rules translated for the target (``cemigrate rules translate``),
        with the target ids the ledger holds when the plan has run, else every reference
        taken as linked. Nothing is written."""
        target = self.build_target()
        sources: list[Source] = []
        try:
            sources = self.build_sources()
            mapping = self.mapping
            if isinstance(mapping, MappingFile):  # which source field ids option tables are for
                mapping.bind(target.describe(), [source.describe() for source in sources])
            needs = mapping.needs()
            writes = PLATFORMS[self.target.platform].rules
            if writes is None:
                raise ConfigError(
                    f"{self.target.platform} targets keep rules as read: nothing to translate"
                )
            ledger = Ledger.open(self.ledger_path) if self.ledger_path.exists() else None
            try:
                ran = ledger is not None and ledger.last_run() is not None
                reports = []
                for side, source in zip(self.sources, sources, strict=True):
                    rules = [r for r in _records(source, Kind.RULE) if isinstance(r, Rule)]
                    links: Mapping[Ref, str] = EVERY_LINK
                    if ledger is not None and ran:
                        links = _ledger_links(ledger, side.name)
                    # The rules' own words: a memory source holds Zendesk's, for one.
                    reads = dialect_of(rules[0]) if rules else PLATFORMS[side.platform].rules
                    report = translation_report(
                        rules,
                        source=reads or writes,
                        target=writes,
                        links=links,
                        mapping=needs.values,
                        field_names=target.rule_field_names(),
                        options=needs.options,
                        target_options=target.rule_field_options(),
                    )
                    reports.append((side.name, len(rules), report))
            finally:
                if ledger is not None:
                    ledger.close()
        finally:
            close_all([*sources, target])
        return RulesTranslation(linked_from_ledger=ran, reports=tuple(reports))


@attrs.frozen
class RulesTranslation:
    """What :meth:`Plan.translate_rules` found: per source, its rules' translation report."""

    linked_from_ledger: bool
    """Whether references were linked through the ledger (else all taken as linked)."""
    reports: tuple[tuple[str, int, TranslationReport], ...]
    """(source name, rules read, report), in plan order."""


_AUDITED: Final = (Kind.RULE, Kind.GROUP, Kind.USER, Kind.FIELD)


def _records(source: Source, kind: Kind) -> list[Record]:
    return [record for batch in source.read(kind) for record in batch.records]


def _ledger_links(ledger: Ledger, instance: str) -> dict[Ref, str]:
    known = {kind.value for kind in Kind}
    return {
        Ref(kind=Kind(e.kind), id=e.source_id): e.target_id
        for e in ledger.entries(state=EntryState.DONE, instance=instance)
        if e.target_id is not None and e.kind in known
    }


def open_plan(
    path: str | Path, *, env: Mapping[str, str] | None = None, clock: Clock | None = None
) -> Plan:
    """Read and check a plan file and its mapping; raises a one-line :class:`PlanError` (or
    :class:`~cemigrate.errors.MappingError`) naming the file, the line and the key."""
    return Plan(load_plan(path), env=env, clock=clock)


def close_all(adapters: Iterable[Source | Target]) -> None:
    """Close adapters (those that hold files release them)."""
    for adapter in adapters:
        adapter.close()


def _built_all(build: Callable[[SideSpec], Source], sides: Iterable[SideSpec]) -> list[Source]:
    with _closed_on_error([]) as built:
        return [built(build(side)) for side in sides]


_A = TypeVar("_A", Source, Target)


@contextlib.contextmanager
def _closed_on_error(
    adapters: Iterable[Source | Target],
) -> Iterator[Callable[[_A], _A]]:
    """Adapters built one after the other: if building the next one (or anything else in the
    block) fails, those built so far are closed. The block gets a function that registers
    each new adapter and returns it."""
    held: list[Source | Target] = list(adapters)

    def built(adapter: _A) -> _A:
        held.append(adapter)
        return adapter

    try:
        yield built
    except BaseException:
        close_all(held)
        raise


def load_plan(path: str | Path) -> PlanFile:
    """Read and validate a plan file; raises :class:`PlanError` naming file, line and key."""
    file = TomlFile.load(path, error=PlanError, what="plan")
    data = file.data
    for key, value in data.items():
        _check_type(file, (key,), value, _TOP_KEYS.get(key))
    for required in ("ledger", "source", "target"):
        if required not in data:
            raise file.error((required,), "missing (every plan names it)", error=PlanError)
    base = file.path.parent
    sources = tuple(
        _side(file, ("source", index), entry, role="source")
        for index, entry in enumerate(data["source"])
    )
    if not sources:
        raise file.error(("source",), "at least one [[source]] is needed", error=PlanError)
    seen: dict[str, int] = {}
    for index, source in enumerate(sources):
        if source.name in seen:
            raise file.error(
                ("source", index, "name"),
                f"{source.name!r} is already the name of source[{seen[source.name]}]",
                error=PlanError,
            )
        seen[source.name] = index
    target = _side(file, ("target",), data["target"], role="target")
    mapping = data.get("mapping")
    in_flight = _in_flight(file, data.get("in_flight"))
    mask = _mask_settings(file, data["mask"]) if "mask" in data else None
    return PlanFile(
        path=file.path,
        ledger=base / data["ledger"],
        mapping=base / mapping if mapping else None,
        sources=sources,
        target=target,
        digest=hashlib.sha256(file.path.read_bytes()).hexdigest(),
        file=file,
        in_flight=in_flight,
        mask=mask,
    )


_MASK_KEYS: Final[Mapping[str, type]] = {
    "key_env": str,
    "fields": list,
    "keep_fields": list,
    "free_text_fields": bool,
    "keep_agents": bool,
}


def _mask_settings(file: TomlFile, section: Mapping[str, Any]) -> MaskSettings:
    """A plan's ``[mask]`` section (:class:`~cemigrate.mapping.mask.MaskSettings`); a wrong
    key or value is a :class:`PlanError` naming the file, the line and the key."""
    for key, value in section.items():
        expected = _MASK_KEYS.get(key)
        if expected is None:
            raise file.error(
                ("mask", key),
                f"unknown key (known: {', '.join(sorted(_MASK_KEYS))})",
                error=PlanError,
            )
        _check_type(file, ("mask", key), value, expected)
        if expected is list and not all(isinstance(v, str) for v in value):
            raise file.error(("mask", key), "must be a list of field keys", error=PlanError)
    key_env = section.get("key_env", MaskSettings().key_env)
    if not key_env:
        raise file.error(("mask", "key_env"), "must name a variable", error=PlanError)
    return MaskSettings(
        key_env=key_env,
        fields=tuple(section.get("fields", ())),
        keep_fields=tuple(section.get("keep_fields", ())),
        free_text_fields=section.get("free_text_fields", True),
        keep_agents=section.get("keep_agents", False),
    )


def _in_flight(file: TomlFile, value: object) -> int | None:
    """A plan's ``in_flight``: a number of target batches (1 to :data:`MAX_IN_FLIGHT`), or
    ``"auto"`` (:data:`~cemigrate.copier.inflight.AUTO`); absent, None (the copier's default,
    ``"auto"``)."""
    if value is None:
        return None
    if value == "auto":
        return AUTO
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IN_FLIGHT:
        raise file.error(
            ("in_flight",),
            f'must be "auto" or a number between 1 and {MAX_IN_FLIGHT}, not {value!r}',
            error=PlanError,
        )
    return value


def _side(file: TomlFile, where: KeyPath, entry: object, *, role: str) -> SideSpec:
    if not isinstance(entry, dict):
        raise file.error(
            where,
            f"must be a table ([[source]] or [target]), not {type(entry).__name__}",
            error=PlanError,
        )
    platform_name = entry.get("platform")
    if platform_name is None:
        raise file.error((*where, "platform"), "missing", error=PlanError)
    platform = PLATFORMS.get(platform_name) if isinstance(platform_name, str) else None
    if platform is None:
        raise file.error(
            (*where, "platform"),
            f"{platform_name!r} is not a platform (choose one of: {', '.join(sorted(PLATFORMS))})",
            error=PlanError,
        )
    own = _own_keys(platform, role)
    if own is None:
        raise file.error(
            (*where, "platform"), f"{platform.name} cannot be a {role}", error=PlanError
        )
    allowed = {**_COMMON_KEYS, **own}
    if role == "source":
        allowed["name"] = str
    name = entry.get("name", "target")
    options: dict[str, Any] = {}
    credential_env: dict[str, str] = {}
    for key, value in entry.items():
        if key.endswith("_env"):
            _check_type(file, (*where, key), value, str)
            credential_env[key] = value
            continue
        if key not in allowed:
            raise file.error(
                (*where, key),
                f"unknown key for a {platform.name} {role}"
                f" (known: {', '.join(sorted(allowed))}, and *_env)",
                error=PlanError,
            )
        _check_type(file, (*where, key), value, allowed[key])
        if key not in ("name", "platform"):
            options[key] = value
    if role == "source":
        if "name" not in entry:
            raise file.error(
                (*where, "name"),
                "missing (the instance name is part of every key)",
                error=PlanError,
            )
        if not _INSTANCE.match(name):
            raise file.error(
                (*where, "name"),
                f"{name!r}: use letters, digits, '.', '_' or '-' only",
                error=PlanError,
            )
    chosen = options.get("plan")
    plans = platform.plans.plans if platform.plans is not None else None
    if chosen is not None and plans is not None and chosen not in plans:
        raise file.error(
            (*where, "plan"),
            f"{chosen!r} is not a {platform.name} plan (choose one of: {', '.join(sorted(plans))})",
            error=PlanError,
        )
    share = options.get("daily_quota_share")
    if share is not None and not 0 < share <= 1:
        raise file.error(
            (*where, "daily_quota_share"), f"{share} is not in (0, 1]", error=PlanError
        )
    return SideSpec(
        name=name,
        platform=platform.name,
        options=options,
        credential_env=credential_env,
        where=where,
    )


def _own_keys(platform: Platform, role: str) -> Mapping[str, type] | None:
    if role == "source":
        return platform.source_keys if platform.build_source else None
    return platform.target_keys if platform.build_target else None


def _check_type(file: TomlFile, where: KeyPath, value: object, expected: type | None) -> None:
    if expected is None:
        raise file.error(where, f"unknown key (known: {', '.join(_TOP_KEYS)})", error=PlanError)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        names = {
            str: "a string",
            int: "an integer",
            float: "a number",
            bool: "true or false",
            list: "an array of tables",
            dict: "a table",
        }
        raise file.error(
            where,
            f"must be {names.get(expected, expected.__name__)}, not {value!r}",
            error=PlanError,
        )
