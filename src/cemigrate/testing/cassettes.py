"""Cassettes: recorded platform exchanges that adapter contract tests replay without a network.

A contract test opens a :func:`recording` for one platform and builds the real adapter on it
(:meth:`Recording.source`). What happens on the wire depends on the environment:

- **replay** (the default): vcrpy answers every request from
  ``cassettes/<platform>/<test>.cassette.json`` (``record_mode="none"``). A request that is not on
  tape fails the test loudly; nothing reaches a network. Requests are matched on method, path
  and query, never on the host, so a cassette replays wherever the base URL points.
- **sandbox** (``CEMIGRATE_RECORD=sandbox``): the platform's emulator is served on loopback and
  the cassette is rewritten from what it answers (``record_mode="all"``).
- **live** (``CEMIGRATE_LIVE=1`` and the platform's credentials, tests marked ``live``): the
  cassette is rewritten from a real account. The variables are those of :data:`LIVE_ENV`, the
  names the example plans use.

Nothing is written before it is scrubbed (:class:`Scrubber`): Authorization, cookie and session
headers are dropped; tokens, session ids, passwords and secrets are replaced in JSON, form and
SOAP bodies and in query strings; every e-mail address becomes a stable fake
(``user1@example.com``, the same fake for the same address throughout a cassette); the account's
real base URL (or the loopback emulator's) becomes a fixed placeholder (:data:`PLACEHOLDER_URLS`);
and the credentials given are removed wherever they appear. The small functions that do each of
these are public and tested one by one.

Cassettes are JSON with each JSON body stored parsed (``"json": {...}``), so that a person can
review one before committing it.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import enum
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs
import pytest
import requests
import vcr
from vcr.request import Request as VcrRequest

from cemigrate.adapters.contract import Source
from cemigrate.adapters.platform import AdapterSettings
from cemigrate.adapters.registry import PLATFORMS
from cemigrate.ratelimit import Clock, ManualClock, SystemClock
from cemigrate.sandbox.http import SandboxServer
from cemigrate.sandbox.registry import EMULATORS
from cemigrate.testing.loopback import ForwardingAdapter

__all__ = [
    "FILTERED",
    "LIVE_ENV",
    "PLACEHOLDER_URLS",
    "RECORD_ENV",
    "SANDBOX_TICKETS",
    "SECRET_KEYS",
    "Mode",
    "Recording",
    "Scrubber",
    "fake_emails",
    "live_settings",
    "mode_for",
    "recording",
    "redact_form",
    "redact_json",
    "redact_literals",
    "redact_query",
    "redact_signed_urls",
    "redact_xml",
    "replace_bases",
    "vcr_config",
]

FILTERED: Final = "FILTERED"
"""What a secret is replaced with (plain letters: it stays valid in XML, JSON, forms, URLs)."""

_PLATFORMS: Final = ("zendesk", "salesforce", "freshdesk")

PLACEHOLDER_URLS: Final[Mapping[str, str]] = {
    "zendesk": "https://cassette.zendesk.com",
    "salesforce": "https://cassette.my.salesforce.com",
    "freshdesk": "https://cassette.freshdesk.com",
}
"""The base URL every recorded exchange is rewritten to, and the one replay points at (the
Salesforce one ends in ``.salesforce.com`` because simple-salesforce logs in on that domain)."""

RECORD_ENV: Final = "CEMIGRATE_RECORD"
"""``CEMIGRATE_RECORD=sandbox`` re-records the cassettes against the loopback emulators."""

LIVE_ENV: Final[Mapping[str, Mapping[str, str]]] = {
    "zendesk": {
        "subdomain": "ZENDESK_SUBDOMAIN",
        "base_url": "ZENDESK_BASE_URL",
        "email": "ZENDESK_EMAIL",
        "token": "ZENDESK_TOKEN",
        "oauth_token": "ZENDESK_OAUTH_TOKEN",
    },
    "salesforce": {
        "instance_url": "SALESFORCE_INSTANCE_URL",
        "access_token": "SALESFORCE_ACCESS_TOKEN",
        "username": "SALESFORCE_USERNAME",
        "password": "SALESFORCE_PASSWORD",
        "security_token": "SALESFORCE_SECURITY_TOKEN",
    },
    "freshdesk": {
        "domain": "FRESHDESK_DOMAIN",
        "base_url": "FRESHDESK_BASE_URL",
        "api_key": "FRESHDESK_API_KEY",
    },
}
"""Per platform, plan key → the environment variable a live recording reads it from (the names
the example plans give their ``*_env`` keys)."""

_OPTION_KEYS: Final = frozenset({"subdomain", "base_url", "instance_url", "domain"})

SECRET_KEYS: Final = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "client_secret",
        "id_token",
        "oauth_token",
        "password",
        "refresh_token",
        "security_token",
        "session_id",
        "sessionid",
        "signature",
        "token",
    }
)
"""Names (compared case-insensitively) of JSON keys, form fields, query parameters and SOAP
elements whose values are secrets."""

_DROPPED_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-sfdc-session"}
)
_KEPT_REQUEST_HEADERS: Final = frozenset({"content-type", "accept"})
_NOISY_RESPONSE_HEADERS: Final = frozenset({"date", "server", "connection", "keep-alive"})

SANDBOX_TICKETS: Final = 3
"""Tickets in the emulated account a sandbox recording reads (cassettes stay small)."""

# --- scrubbing, one small function a concern ----------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9][\w.+-]*)(@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b"
)
_FAKE = re.compile(r"user\d+@example\.com", re.IGNORECASE)


def fake_emails(text: str, aliases: dict[str, str]) -> str:
    """``text`` with every e-mail address replaced by ``user<N>@example.com``.

    ``aliases`` maps each real address (lower case) to its fake and is extended in place, so
    the same address gets the same fake throughout a cassette. Addresses already fake are kept
    (scrubbing twice changes nothing); a URL-encoded ``%40`` stays encoded.
    """

    def swap(match: re.Match[str]) -> str:
        local, at, domain = match.groups()
        address = f"{local}@{domain}".lower()
        if _FAKE.fullmatch(address):
            return match.group(0)
        fake = aliases.setdefault(address, f"user{len(aliases) + 1}@example.com")
        return fake.replace("@", at)

    return _EMAIL.sub(swap, text)


def redact_json(value: Any, keys: frozenset[str] = SECRET_KEYS) -> Any:
    """A copy of a JSON value with the value of every key in ``keys`` replaced by
    :data:`FILTERED` (a null or empty value is kept: it gives nothing away)."""
    if isinstance(value, dict):
        return {
            key: FILTERED
            if key.lower() in keys and item not in (None, "")
            else redact_json(item, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item, keys) for item in value]
    return value


def redact_form(text: str, keys: frozenset[str] = SECRET_KEYS) -> str:
    """An ``application/x-www-form-urlencoded`` body with the secret fields' values filtered."""
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, FILTERED if k.lower() in keys else v) for k, v in pairs])


def redact_query(uri: str, keys: frozenset[str] = SECRET_KEYS) -> str:
    """A URL whose secret query parameters (``access_token=...``) are filtered."""
    parts = urlsplit(uri)
    if not parts.query or not any(
        name.lower() in keys for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    ):
        return uri
    return parts._replace(query=redact_form(parts.query, keys)).geturl()


_XML_SECRET = re.compile(r"<((?:\w+:)?(\w+))(\s[^>]*)?>([^<]*)</\1>")


def redact_xml(text: str, keys: frozenset[str] = SECRET_KEYS) -> str:
    """A SOAP/XML body with the text of secret elements (``<sessionId>``, ``<n1:password>``)
    filtered."""

    def swap(match: re.Match[str]) -> str:
        tag, local, attributes, content = match.groups()
        if local.lower() not in keys or not content:
            return match.group(0)
        return f"<{tag}{attributes or ''}>{FILTERED}</{tag}>"

    return _XML_SECRET.sub(swap, text)


_SIGNED = re.compile(
    r"([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|Key-Pair-Id"
    r"|Policy|sig|token|access_token|api_key)=)[^&\"'\s<>]+"
    r"|(/attachments/token/)[^/\"'\s<>?]+",
    re.IGNORECASE,
)


def redact_signed_urls(text: str) -> str:
    """``text`` with the signatures and tokens of the URLs in it filtered: pre-signed
    attachment links (``X-Amz-Signature=...``), ``?token=`` links, and Zendesk's
    ``/attachments/token/<token>/`` paths."""

    def swap(match: re.Match[str]) -> str:
        return (match.group(1) or match.group(2)) + FILTERED

    return _SIGNED.sub(swap, text)


def replace_bases(text: str, bases: Sequence[str], placeholder: str) -> str:
    """``text`` with each real base URL (``https://acme.zendesk.com``,
    ``http://127.0.0.1:8080``) replaced by ``placeholder``, and its bare host name as well
    (JSON-escaped ``\\/`` forms too)."""
    host = urlsplit(placeholder).netloc
    for base in bases:
        base = base.rstrip("/")
        if not base:
            continue
        text = text.replace(base, placeholder).replace(
            base.replace("/", "\\/"), placeholder.replace("/", "\\/")
        )
        real_host = urlsplit(base).netloc
        if real_host:
            text = text.replace(real_host, host)
    return text


def redact_literals(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every occurrence of each known secret (the credentials the recording was
    made with) replaced by :data:`FILTERED`: the backstop for places no rule names."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, FILTERED)
    return text


@attrs.define
class Scrubber:
    """Everything filtered out of one cassette before it is written.

    One scrubber serves one cassette, so e-mail fakes are consistent within it. Its
    :meth:`request` and :meth:`response` are vcrpy's ``before_record_request`` and
    ``before_record_response`` hooks; both are idempotent (vcrpy also runs them on requests
    it replays, to match them).
    """

    placeholder: str
    """The base URL that replaces the real one."""
    bases: Sequence[str] = ()
    """Real base URLs to hide (the account's, the loopback emulator's)."""
    secrets: Sequence[str] = attrs.field(default=(), repr=False)
    """Credentials to remove wherever they appear."""
    aliases: dict[str, str] = attrs.field(factory=dict, repr=False)
    """Real e-mail address → fake, filled as addresses are met."""

    def text(self, text: str) -> str:
        """Hosts, known secrets and e-mail addresses out of one piece of text."""
        text = redact_literals(text, self.secrets)
        text = redact_signed_urls(text)
        text = replace_bases(text, self.bases, self.placeholder)
        return fake_emails(text, self.aliases)

    def body(self, body: bytes | str | None, content_type: str) -> bytes | str | None:
        """A request or response body with secrets, hosts and e-mail addresses scrubbed."""
        if not body:
            return body
        raw = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
        kind = content_type.lower()
        text = raw
        stripped = raw.lstrip()
        if "json" in kind or stripped.startswith(("{", "[")):
            with contextlib.suppress(ValueError):
                text = json.dumps(redact_json(json.loads(raw)), ensure_ascii=False)
        elif "x-www-form-urlencoded" in kind:
            text = redact_form(raw)
        elif "xml" in kind or stripped.startswith("<"):
            text = redact_xml(raw)
        text = self.text(text)
        if text == raw:
            return body
        return text.encode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else text

    def request(self, request: VcrRequest) -> VcrRequest:
        """vcrpy's ``before_record_request``: a scrubbed copy of ``request``."""
        request = copy.deepcopy(request)
        for name in list(request.headers):
            if name.lower() not in _KEPT_REQUEST_HEADERS:
                del request.headers[name]  # credentials, cookies, and noise nothing matches on
            else:
                request.headers[name] = self.text(str(request.headers[name]))
        request.uri = self.text(redact_query(request.uri))
        content_type = str(request.headers.get("Content-Type", ""))
        if isinstance(request.body, bytes | str):
            request.body = self.body(request.body, content_type)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy's ``before_record_response``: ``response`` scrubbed (vcrpy passes a copy)."""
        headers: dict[str, list[str]] = response.get("headers") or {}
        for name in list(headers):
            if name.lower() in _DROPPED_HEADERS | _NOISY_RESPONSE_HEADERS:
                del headers[name]
            else:
                headers[name] = [self.text(str(v)) for v in headers[name]]
        content_type = next(
            (v[0] for k, v in headers.items() if k.lower() == "content-type" and v), ""
        )
        body = response.get("body") or {}
        if "string" in body:
            body["string"] = self.body(body["string"], content_type)
        return response


# --- the cassette file format ---------------------------------------------------------------


class _Serializer:
    """vcrpy's JSON cassettes, with JSON bodies stored parsed so that a reviewer reads them
    (and bodies that are not text as ``"base64"``)."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        cassette = copy.deepcopy(cassette)  # vcrpy hands over the exchanges it still holds
        for interaction in cassette.get("interactions", ()):
            for part in (interaction["request"], interaction["response"].get("body") or {}):
                key = "body" if "uri" in part else "string"
                value = part.get(key)
                if isinstance(value, bytes):
                    part["base64"] = base64.b64encode(value).decode("ascii")
                    del part[key]
                elif isinstance(value, str) and value.lstrip().startswith(("{", "[")):
                    try:
                        part["json"] = json.loads(value)
                    except ValueError:
                        continue
                    del part[key]
            headers = interaction["response"].get("headers") or {}
            interaction["response"]["headers"] = {  # sorted: a re-recording diffs cleanly
                name: headers[name]
                for name in sorted(headers, key=str.lower)
                # recomputed on load: a reviewer may trim a body
                if name.lower() not in ("content-length", "transfer-encoding")
            }
        return json.dumps(cassette, indent=1, ensure_ascii=False, sort_keys=False) + "\n"

    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        cassette: dict[str, Any] = json.loads(text)
        for interaction in cassette.get("interactions", ()):
            request = interaction["request"]
            if "json" in request:
                request["body"] = json.dumps(request.pop("json"))
            if "base64" in request:
                request["body"] = base64.b64decode(request.pop("base64"))
            response = interaction["response"]
            body = response.setdefault("body", {})
            if "json" in body:
                body["string"] = json.dumps(body.pop("json"), ensure_ascii=False)
            if "base64" in body:
                body["string"] = base64.b64decode(body.pop("base64"))
            raw = body.get("string") or b""
            size = len(raw.encode() if isinstance(raw, str) else raw)
            response.setdefault("headers", {})["Content-Length"] = [str(size)]
        return cassette


def vcr_config(scrubber: Scrubber, *, directory: str | os.PathLike[str], record: bool) -> vcr.VCR:
    """The vcrpy configuration contract tests use: replay only unless ``record`` (then the
    cassette is rewritten whole), matched on method, path and query, scrubbed before writing."""
    config = vcr.VCR(
        cassette_library_dir=str(directory),
        serializer="cemigrate",
        record_mode="all" if record else "none",
        match_on=("method", "path", "query"),
        before_record_request=scrubber.request,
        before_record_response=scrubber.response,
        decode_compressed_response=True,
        record_on_exception=False,  # a failed recording never replaces a good cassette
        drop_unused_requests=record,  # a recording replaces the old exchanges, all of them
    )
    config.register_serializer("cemigrate", _Serializer)
    return config


# --- where the exchanges come from --------------------------------------------------------


class Mode(enum.Enum):
    """Where a recording's exchanges come from."""

    REPLAY = "replay"
    """From the cassette on disk; nothing reaches a network."""
    SANDBOX = "sandbox"
    """From the platform's emulator on loopback; the cassette is rewritten."""
    LIVE = "live"
    """From a real account; the cassette is rewritten."""


def mode_for(*, live: bool, env: Mapping[str, str] | None = None) -> Mode:
    """The mode of a test: ``live`` ones record a real account when ``CEMIGRATE_LIVE=1`` (the
    plugin skips them otherwise); the others replay, or record the loopback emulator when
    ``CEMIGRATE_RECORD=sandbox``."""
    env = os.environ if env is None else env
    if live:
        return Mode.LIVE if env.get("CEMIGRATE_LIVE") == "1" else Mode.REPLAY
    recording_from = env.get(RECORD_ENV, "")
    if recording_from == "sandbox":
        return Mode.SANDBOX
    if recording_from:
        raise ValueError(f"{RECORD_ENV}={recording_from!r}: the only value is 'sandbox'")
    return Mode.REPLAY


def live_settings(platform: str, env: Mapping[str, str] | None = None) -> AdapterSettings | None:
    """The settings of the real account named by the environment (:data:`LIVE_ENV`), or None
    when its variables are not set."""
    env = os.environ if env is None else env
    names = LIVE_ENV[platform]
    options = {k: env[v] for k, v in names.items() if k in _OPTION_KEYS and env.get(v)}
    credentials = {k: env[v] for k, v in names.items() if k not in _OPTION_KEYS and env.get(v)}
    if not options or not credentials:
        return None
    return AdapterSettings(
        name="live",
        options=options,
        credentials=credentials,
        base_dir=Path.cwd(),
        clock=SystemClock(),
    )


@attrs.define
class Recording:
    """One cassette in use: the account the adapter is built for, and the exchanges on tape."""

    platform: str
    mode: Mode
    base_url: str
    """Where the adapter sends its requests."""
    credentials: Mapping[str, str] = attrs.field(repr=False)
    """Plan key → secret (``token``, ``api_key``, ``username``...)."""
    cassette: Any
    """The vcrpy cassette (its ``data`` holds the scrubbed exchanges)."""
    scrubber: Scrubber
    """What filters this cassette (its e-mail fakes so far)."""
    session_factory: Callable[[], requests.Session] = requests.Session
    """Makes the session the adapter sends through (vcrpy intercepts below it)."""
    clock: Clock = attrs.field(factory=ManualClock)
    """The adapter's clock: a manual one on replay (budgets never wait), the real one when
    recording."""
    first: int = 0
    """Where this run's exchanges start in ``cassette.data`` (a recording loads the old ones
    too, then drops them when it saves)."""

    def settings(self, **options: Any) -> AdapterSettings:
        """Adapter settings as a plan would give them, for this account."""
        return AdapterSettings(
            name="cassette",
            options={"base_url": self.base_url, **options},
            credentials=self.credentials,
            base_dir=Path.cwd(),
            clock=self.clock,
        )

    def source(self, **options: Any) -> Source:
        """The platform's source adapter on this account, built as a plan would build it
        (extra keyword arguments are plan keys of the source)."""
        build = PLATFORMS[self.platform].build_source
        assert build is not None
        return build(attrs.evolve(self.settings(**options), session=self.session_factory()))

    def scrub(self, text: str) -> str:
        """``text`` as it is written on tape: what an adapter read while recording (a real
        e-mail address, a real URL) compares with the tape through this."""
        return self.scrubber.text(text)

    def exchanges(self, path: str) -> list[tuple[VcrRequest, dict[str, Any]]]:
        """The (request, response) pairs on tape whose request path matches the regular
        expression ``path`` (so far, when recording)."""
        pattern = re.compile(path)
        return [(q, r) for q, r in self.cassette.data[self.first :] if pattern.fullmatch(q.path)]

    def texts(self, path: str) -> list[str]:
        """The bodies of the responses to requests whose path matches ``path``, as text."""
        found = []
        for _, response in self.exchanges(path):
            raw = (response.get("body") or {}).get("string") or b""
            found.append(raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw)
        return found

    def bodies(self, path: str) -> list[Any]:
        """The JSON bodies of the responses to requests whose path matches ``path``."""
        return [json.loads(text) for text in self.texts(path)]


_REPLAY_CREDENTIALS: Final[Mapping[str, Mapping[str, str]]] = {
    "zendesk": {"email": "user1@example.com", "token": "replayed"},
    "salesforce": {"username": "user1@example.com", "password": "replayed", "security_token": ""},
    "freshdesk": {"api_key": "replayed"},
}
"""Credentials replay builds adapters with: never sent anywhere (the host is a placeholder
and nothing reaches a network), only there because the adapters require some."""


@contextlib.contextmanager
def recording(
    platform: str,
    name: str,
    *,
    directory: str | os.PathLike[str],
    live: bool = False,
    replay_only: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[Recording]:
    """Replay (or record) ``<directory>/<platform>/<name>.cassette.json`` around the block.

    ``live=True`` is the ``live`` variant of a test: with ``CEMIGRATE_LIVE=1`` it records the
    real account :data:`LIVE_ENV` names (skipping the test when its variables are not set).
    ``replay_only=True`` is for cassettes made some other way (converted from historical
    recordings): they are never re-recorded.
    """
    if platform not in _PLATFORMS:
        raise ValueError(f"no cassettes for {platform!r}; one of {', '.join(_PLATFORMS)}")
    mode = Mode.REPLAY if replay_only else mode_for(live=live, env=env)
    placeholder = PLACEHOLDER_URLS[platform]
    folder = Path(directory) / platform
    with contextlib.ExitStack() as stack:
        if mode is Mode.LIVE:
            settings = live_settings(platform, env)
            if settings is None:
                needed = ", ".join(LIVE_ENV[platform].values())
                pytest.skip(f"no {platform} account to record: set some of {needed}")
            base_url = _live_base_url(platform, settings)
            credentials = dict(settings.credentials)
            factory: Callable[[], requests.Session] = requests.Session
            bases: tuple[str, ...] = (base_url,)
            clock: Clock = SystemClock()
        elif mode is Mode.SANDBOX:
            server, public, credentials = _serve_sandbox(platform)
            stack.callback(server.shutdown)
            base_url = public or server.url
            factory = _forwarding(public, server.url) if public else requests.Session
            bases = tuple(b for b in (server.url, public) if b)
            clock = SystemClock()
        else:
            base_url = placeholder
            credentials = dict(_REPLAY_CREDENTIALS[platform])
            factory, bases, clock = requests.Session, (), ManualClock()
        secrets = [v for k, v in credentials.items() if k not in ("username", "email")]
        scrubber = Scrubber(placeholder=placeholder, bases=bases, secrets=secrets)
        config = vcr_config(scrubber, directory=folder, record=mode is not Mode.REPLAY)
        cassette = stack.enter_context(config.use_cassette(f"{name}.cassette.json"))
        if mode is Mode.REPLAY and not cassette.data:
            raise FileNotFoundError(
                f"no cassette {folder / (name + '.cassette.json')}: record it with"
                f" {RECORD_ENV}=sandbox (emulator) or CEMIGRATE_LIVE=1 (real account)"
            )
        yield Recording(
            platform=platform,
            mode=mode,
            base_url=base_url,
            credentials=credentials,
            cassette=cassette,
            scrubber=scrubber,
            session_factory=factory,
            clock=clock,
            first=len(cassette.data) if mode is not Mode.REPLAY else 0,
        )


def _live_base_url(platform: str, settings: AdapterSettings) -> str:
    account_url = PLATFORMS[platform].account_url
    assert account_url is not None
    return account_url(settings)


def _forwarding(public: str, upstream: str) -> Callable[[], requests.Session]:
    def session() -> requests.Session:
        return ForwardingAdapter(public, upstream).mount_on(requests.Session())

    return session


def _serve_sandbox(platform: str) -> tuple[SandboxServer, str, dict[str, str]]:
    """A small emulated account on loopback: its server, the public base URL clients must use
    (Salesforce logs in on a ``*.salesforce.com`` host, forwarded to loopback; the others use
    the loopback URL itself: empty), and the credentials a client logs in with, by plan key."""
    account = EMULATORS[platform].named("demo", tickets=SANDBOX_TICKETS, seed=7)
    return account.serve(), account.public_url or "", account.credentials(login=True)
