"""Plan files: which sources go into which target, through which mapping, with which ledger.

::

    ledger = "acme.ledger.sqlite"
    mapping = "mappings/zendesk-to-salesforce.toml"   # optional: identity when absent

    [[source]]
    name = "emea"               # instance name: part of every key
    platform = "zendesk"
    token_env = "ZENDESK_TOKEN" # names of environment variables, never the secrets

    [target]
    platform = "salesforce"

Every error names the file, the line and the key, in one line.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from cemigrate.adapters.registry import PLATFORMS, AdapterSettings, Platform
from cemigrate.errors import CredentialError, PlanError
from cemigrate.ratelimit import Clock
from cemigrate.tomlfile import KeyPath, TomlFile

_TOP_KEYS = {"ledger": str, "mapping": str, "source": list, "target": dict}
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
class Plan:
    """A parsed, validated plan file."""

    path: Path
    ledger: Path
    mapping: Path | None
    sources: tuple[SideSpec, ...]
    target: SideSpec
    digest: str
    """SHA-256 of the plan file, kept with each run in the ledger."""
    _file: TomlFile = attrs.field(alias="file", repr=False, eq=False)

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


def load_plan(path: str | Path) -> Plan:
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
    return Plan(
        path=file.path,
        ledger=base / data["ledger"],
        mapping=base / mapping if mapping else None,
        sources=sources,
        target=target,
        digest=hashlib.sha256(file.path.read_bytes()).hexdigest(),
        file=file,
    )


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
