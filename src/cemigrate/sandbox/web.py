"""What the three emulators share above the wire: request, reply, routing and the account.

- :class:`SandboxRequest` is werkzeug's request with the readings every emulator's handlers
  use (the body, the query string with the last value of a name winning, the host the client
  called, JSON through werkzeug's ``get_json``); each platform subclasses it to raise its own
  errors (``on_json_loading_failed``, :meth:`SandboxRequest.not_a_json_object`).
- :class:`Reply` is what a handler returns; :meth:`SandboxApp.render` turns it into a
  werkzeug response (JSON dumped, reason phrase from :class:`http.HTTPStatus`).
- :class:`SandboxApp` routes with a werkzeug :class:`~werkzeug.routing.Map` built from the
  platform's route table, each rule's endpoint being the bound handler itself.
- :class:`SandboxAccount` is one emulated account: the app (behind optional faults), a
  :class:`requests.Session` that reaches it in process, ``reset()``, ``serve()``. Its class is
  also the emulator's descriptor: what the front door (``cemigrate sandbox serve``, the demo,
  the cassette recorder) needs to know of the platform, so that none of them branches on its
  name: its noun, the options it is served with (:class:`ServeOption`), how it describes
  itself once served, a plan's section for it, the seats it wants before a migration.

The wire itself (in-process transport, loopback server, faults, rate limits) is
:mod:`cemigrate.sandbox.http`.
"""

from __future__ import annotations

import abc
import contextlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, Self, TypeAlias, TypeVar
from urllib.parse import urlencode

import attrs
import requests
from werkzeug.exceptions import BadRequest, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from cemigrate.errors import ConfigError
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import (
    FaultMiddleware,
    Latency,
    SandboxClock,
    SandboxServer,
    StartResponse,
    WireFaults,
    WSGIApp,
    make_environ,
    mount_sandbox,
    serve,
    status_line,
)
from cemigrate.schema import Role, User

__all__ = [
    "Backend",
    "Handler",
    "NoRoute",
    "Reply",
    "RouteLike",
    "SandboxAccount",
    "SandboxApp",
    "SandboxRequest",
    "ServeOption",
    "rule_path",
    "seats",
]


class SandboxRequest(Request):
    """One HTTP request, as an emulator's handlers see it (a werkzeug request)."""

    # The emulators answer their platform's own size limits in the platform's shape (Freshdesk's
    # 20 MB of attachments, Salesforce's JSON body cap); werkzeug's form limits would refuse a
    # large description or a thousand tags first, with a 413 no platform sends.
    max_form_memory_size = None
    max_form_parts = None  # type: ignore[assignment]  # the parser takes None: no limit

    empty_json: ClassVar[bytes] = b"{}"
    """What an empty body reads as in :meth:`json_value` (JSON text, parsed afresh each time)."""

    @property
    def body(self) -> bytes:
        """The raw body (read once and kept, so JSON and form parsing can read it again)."""
        return self.get_data(cache=True)

    @cached_property
    def query(self) -> dict[str, str]:
        """The query parameters; the last value wins when a name repeats."""
        return {name: values[-1] for name, values in self.args.lists()}

    @cached_property
    def base(self) -> str:
        """Scheme and host the client used (``https://demo.zendesk.com``, ``http://127.0.0.1:P``).

        The ``Host`` header as sent (werkzeug's :attr:`host` drops a default port): the links
        an emulator writes must lead back exactly where the client came from.
        """
        host = self.headers.get("Host")
        if not host:
            host = f"{self.environ.get('SERVER_NAME')}:{self.environ.get('SERVER_PORT')}"
        return f"{self.scheme}://{host}"

    def json_value(self) -> Any:
        """The body as JSON (:attr:`empty_json` when empty), whatever its ``Content-Type``.

        A body that is not JSON goes to werkzeug's ``on_json_loading_failed``, which each
        emulator's request overrides to raise its platform's error.
        """
        if not self.body:
            return json.loads(self.empty_json)
        return self.get_json(force=True, cache=False)  # handlers may change what they get

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (:meth:`not_a_json_object` raised for anything else)."""
        value = self.json_value()
        if not isinstance(value, dict):
            raise self.not_a_json_object()
        return value

    def not_a_json_object(self) -> Exception:
        """The error for a JSON body that is not an object (each platform says it its way)."""
        return BadRequest("The request body must be a JSON object")

    def with_query(self, query: Mapping[str, str]) -> Self:
        """This request with other query parameters and no body (to reuse a pager)."""
        environ = {
            **self.environ,
            "QUERY_STRING": urlencode(query),
            "CONTENT_LENGTH": "0",
            "wsgi.input": io.BytesIO(b""),
        }
        return type(self)(environ)

    def subrequest(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A request made on this one's behalf (a composite call's part), on the same host.

        ``path`` and ``query`` are taken as written (not percent-decoded); ``headers`` are all
        it carries.
        """
        environ = make_environ(
            method,
            _wsgi_str(path),
            query=_wsgi_str(query),
            body=body,
            headers=(headers or {}).items(),
            scheme=self.scheme,
            server=(str(self.environ.get("SERVER_NAME")), int(self.environ["SERVER_PORT"])),
        )
        return type(self)(environ)


def _wsgi_str(text: str) -> str:
    """``text`` as a WSGI environ carries it: its UTF-8 bytes, each as one character."""
    return text.encode("utf-8").decode("latin-1")


@attrs.frozen
class Reply:
    """A handler's answer: status, JSON ``body`` (or ``raw`` bytes) and extra headers."""

    status: int = 200
    body: object = None
    """Dumped as JSON (``None``: an empty body, as for 204)."""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    raw: bytes | None = None
    """Sent as is instead of ``body`` (files, CSV, XML)."""
    content_type: str | None = None
    """The ``Content-Type``; the app's JSON or raw default when ``None``."""


Handler: TypeAlias = Callable[..., Reply]
"""A request handler: called with the request and the path's parameters by name."""


class RouteLike(Protocol):
    """What :class:`SandboxApp` reads of a platform's route: the method and path template."""

    @property
    def method(self) -> str:
        """``GET``, ``POST``, ..."""
        ...

    @property
    def path(self) -> str:
        """The template, with ``{name}`` for a path segment handed to the handler as ``name``."""
        ...


class Backend(Protocol):
    """What :class:`SandboxApp` needs of an emulator's state: its lock and a way back."""

    @property
    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """Held while a request reads or changes the state."""
        ...

    def reset(self) -> None:
        """Back to the freshly seeded state."""
        ...


RouteT = TypeVar("RouteT", bound=RouteLike)
RequestT = TypeVar("RequestT", bound=SandboxRequest)
BackendT = TypeVar("BackendT", bound=Backend)


@attrs.frozen(eq=False)
class _Endpoint(Generic[RouteT]):
    """A werkzeug rule's endpoint: the route and its handler, bound to this app's state."""

    route: RouteT
    handler: Handler


class NoRoute(Exception):
    """No route serves the request: ``allowed`` names the methods its path takes (405), or is
    empty when no route has the path (404). Each emulator answers it in its own shape."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = tuple(sorted(set(allowed)))
        super().__init__(", ".join(self.allowed) or "no such path")


def rule_path(template: str) -> str:
    """A route template as a werkzeug rule: ``/tickets/{id}`` → ``/tickets/<id>``."""
    return template.replace("{", "<").replace("}", ">")


class SandboxApp(Generic[BackendT, RouteT, RequestT], abc.ABC):
    """An emulator as a WSGI application: werkzeug request in, werkzeug response out.

    A subclass gives its request class, serves each request in :meth:`answer` (authentication,
    limits, its errors' shapes) with :meth:`match` and :meth:`render`, and says how its limits
    fill up again (:meth:`reset_limits`); :meth:`reset` is shared.
    """

    request_class: type[RequestT]
    """The request the handlers get."""
    strict_slashes: ClassVar[bool] = False
    """Whether a path must end with a slash exactly when its template does (werkzeug's
    ``strict_slashes``); when ``False`` a trailing slash is optional everywhere."""
    converters: ClassVar[Mapping[str, type[BaseConverter]]] = {}
    """werkzeug converters the rule paths name (``<version:v>``)."""
    json_content_type: ClassVar[str] = "application/json; charset=utf-8"
    """``Content-Type`` of a JSON reply."""
    raw_content_type: ClassVar[str] = "application/octet-stream"
    """``Content-Type`` of raw bytes replied without one."""
    canonical_base: ClassVar[str | None] = None
    """The base URL the state writes links with; replaced by the one the client called in JSON
    bodies and header values (``None``: left as written)."""

    def __init__(self, backend: BackendT, routes: Iterable[tuple[RouteT, Handler]]) -> None:
        self.backend = backend
        self.requests: list[Any] = []
        """Every request answered, as the platform logs it (tests count calls with it)."""
        rules = [
            rule
            for route, handler in routes
            for rule in self.rules(route, _Endpoint(route, handler))
        ]
        self.url_map = Map(
            rules,
            strict_slashes=self.strict_slashes,
            merge_slashes=False,  # werkzeug would redirect "//"; the platforms answer 404
            redirect_defaults=False,
            converters=dict(self.converters),
        )
        """The routing table as werkzeug rules, in the route table's order."""
        self._urls = self.url_map.bind("sandbox")

    def rules(self, route: RouteT, endpoint: object) -> Iterable[Rule]:
        """The werkzeug rules that serve ``route`` (one; Zendesk adds a ``.json`` twin)."""
        return [Rule(rule_path(route.path), methods=[route.method], endpoint=endpoint)]

    def match(self, request: SandboxRequest) -> tuple[RouteT, Handler, dict[str, str]]:
        """The route serving ``request``, its handler and the path's parameters.

        Raises :class:`NoRoute` when none does.
        """
        if request.method == "HEAD":
            # werkzeug lets HEAD reach every GET rule; no emulator serves HEAD.
            raise NoRoute(m for m in self._urls.allowed_methods(request.path) if m != "HEAD")
        try:
            endpoint, params = self._urls.match(request.path, method=request.method)
        except MethodNotAllowed as refused:
            raise NoRoute(m for m in refused.valid_methods or () if m != "HEAD") from None
        except NotFound:
            raise NoRoute(()) from None
        assert isinstance(endpoint, _Endpoint)
        return endpoint.route, endpoint.handler, {k: str(v) for k, v in params.items()}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        request = self.request_class(environ)
        try:
            response = self.answer(request)
        finally:
            request.close()  # files werkzeug spooled from a multipart body
        return response(environ, start_response)

    @abc.abstractmethod
    def answer(self, request: RequestT) -> Response:
        """Serve one request: authenticate, spend the limits, call the handler, :meth:`render`."""

    def render(self, request: SandboxRequest, reply: Reply) -> Response:
        """The werkzeug response for ``reply``, with the standard reason phrase."""
        if reply.raw is not None:
            data = reply.raw
            content_type = reply.content_type or self.raw_content_type
        else:
            data = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
            if self.canonical_base is not None:
                data = data.replace(self.canonical_base.encode(), request.base.encode())
            content_type = reply.content_type or self.json_content_type
        response = Response(data, status=status_line(reply.status), content_type=content_type)
        for name, value in reply.headers.items():
            if self.canonical_base is not None:
                value = value.replace(self.canonical_base, request.base)
            response.headers.add(name, value)
        return response

    @abc.abstractmethod
    def reset_limits(self) -> None:
        """Fill every rate-limit bucket again."""

    def reset(self) -> None:
        """Back to the freshly seeded state, with full limits and an empty request log."""
        with self.backend.lock:
            self.backend.reset()
            self.reset_limits()
            self.requests.clear()


AppT = TypeVar("AppT", bound=SandboxApp[Any, Any, Any])


@attrs.frozen(kw_only=True)
class ServeOption:
    """An option ``cemigrate sandbox serve <platform>`` takes: a keyword of the account's
    constructor (``plan``, ``high_volume``), given as ``--plan``, ``--high-volume``.

    Emulators that take an option of the same name share it on the command line; each checks
    the value it is given (:meth:`check`).
    """

    name: str
    default: str | int | bool
    """Also the option's type: a flag when ``bool``, a number when ``int``."""
    help: str
    choices: tuple[str, ...] = ()
    """The values this emulator takes (any when empty)."""
    minimum: int | None = None
    """The smallest number this emulator takes (any when ``None``)."""

    @property
    def flag(self) -> str:
        """``--high-volume`` for ``high_volume``."""
        return "--" + self.name.replace("_", "-")

    def check(self, platform: str, value: Any) -> None:
        """Raise :class:`~cemigrate.errors.ConfigError` when ``platform``'s emulator does not
        take ``value``."""
        if self.choices and value not in self.choices:
            raise ConfigError(f"{self.flag} for {platform} is one of {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{self.flag} must be {self.minimum} or more")


def seats(desk: HelpDesk) -> Iterator[User]:
    """The desk's agents and admins with an e-mail address, once each (by e-mail, any case):
    those who would hold a paid seat."""
    seen: set[str] = set()
    for person in desk.users:
        email = (person.email or "").lower()
        if person.role is Role.END_USER or not email or email in seen:
            continue
        seen.add(email)
        yield person


class SandboxAccount(Generic[AppT], abc.ABC):
    """One emulated account: its app, behind faults if asked, reachable in process or served.

    A subclass builds its state and app, then calls ``__init__`` here; it says where the
    account lives (:attr:`base_url`), how a session signs in (:meth:`authenticate`) and what
    its ``repr`` tells (:meth:`summary`).

    The class is the emulator's descriptor too: :attr:`platform`, :attr:`noun`,
    :attr:`serve_options`, :meth:`named`, :meth:`limits` and :meth:`sign_in` (the line
    ``sandbox serve`` prints), :meth:`credentials` and :attr:`credential_env` (a plan's
    section for the account), :attr:`public_url`, :meth:`seeded_desk` and :meth:`add_seats`.
    """

    platform: ClassVar[str]
    """The platform's name, as a plan and the command line spell it."""
    noun: ClassVar[str] = "account"
    """What the platform calls one account (Salesforce: ``org``)."""
    serve_options: ClassVar[tuple[ServeOption, ...]] = ()
    """The options ``cemigrate sandbox serve`` builds the account with (beside ``tickets``,
    ``seed`` and ``instance``, which every emulator takes)."""
    credential_env: ClassVar[Mapping[str, str]] = {}
    """Plan credential key → the environment variable a written plan names for it
    (``token`` → ``ZENDESK_TOKEN``: the plan says ``token_env = "ZENDESK_TOKEN"``)."""
    login_urls: ClassVar[tuple[str, ...]] = ()
    """More base URLs the in-process session reaches the account at (Salesforce's login
    hosts)."""

    def __init__(self, emulator: AppT, *, clock: SandboxClock, faults: WireFaults | None) -> None:
        self.clock: SandboxClock = clock
        """Drives the account's time, limits and jobs."""
        self.emulator: AppT = emulator
        """The emulator without faults (routing, authentication, limits)."""
        self.faults: FaultMiddleware | None = (
            None if faults is None else faults.wrap(emulator, clock=clock)
        )
        """The fault injection in front of it, if any (``faults.injected`` counts)."""
        self.app: WSGIApp = emulator if self.faults is None else self.faults
        """The WSGI application to mount or serve."""

    @property
    @abc.abstractmethod
    def base_url(self) -> str:
        """Where the in-process session reaches the account."""

    @abc.abstractmethod
    def authenticate(self, session: requests.Session) -> None:
        """Give ``session`` the account's default credentials."""

    @abc.abstractmethod
    def summary(self) -> str:
        """A few words for ``repr``: where the account is and how much it holds."""

    @classmethod
    @abc.abstractmethod
    def named(cls, name: str, **options: Any) -> Self:
        """An account whose address is made of ``name`` (``https://{name}.zendesk.com``),
        built with the constructor's other ``options``."""

    @abc.abstractmethod
    def limits(self) -> str:
        """What sets the account's rate limits, in a few words (``plan enterprise``)."""

    @abc.abstractmethod
    def sign_in(self) -> str:
        """How a client signs in, as ``cemigrate sandbox serve`` tells it."""

    @abc.abstractmethod
    def credentials(self, *, login: bool = False) -> dict[str, str]:
        """The account's credentials by plan key (``token`` for ``token_env``), as the
        variables a plan names would hold them. ``login``: those a client logs in with
        where the platform also hands out ready tokens (Salesforce's username, password and
        security token rather than an access token)."""

    def plan_section(self) -> dict[str, str]:
        """The keys of a plan's side for this account reached at :attr:`base_url`: the
        ``base_url`` and the ``*_env`` keys naming the variables that hold
        :meth:`credentials` (never the secrets)."""
        section = {"base_url": self.base_url}
        section.update({f"{key}_env": self.credential_env[key] for key in self.credentials()})
        return section

    @property
    def public_url(self) -> str | None:
        """The address clients must call when the account is served on loopback, forwarded to
        the server (Salesforce: its login answers with the instance URL); ``None``: the
        server's own address."""
        return None

    def seeded_desk(self) -> HelpDesk | None:
        """The generated help desk the account was seeded from, where it keeps it (``None``:
        empty, or not kept; generate it again from the same parameters)."""
        return None

    def add_seats(self, desk: HelpDesk) -> None:
        """Give ``desk``'s agents (:func:`seats`) the seats an administrator creates before a
        migration, where the platform has them (a migration matches agents by e-mail). By
        default nothing: the platform creates its agents as it receives them (Zendesk)."""

    def session(self, *, authenticated: bool = True) -> requests.Session:
        """A session with the account mounted at :attr:`base_url` (and :attr:`login_urls`),
        signed in with the default credentials unless ``authenticated`` is false."""
        session = mount_sandbox(requests.Session(), self.base_url, self.app)
        for url in self.login_urls:
            mount_sandbox(session, url, self.app)
        if authenticated:
            self.authenticate(session)
        return session

    def reset(self) -> None:
        """Back to the freshly seeded state, with full limits and an empty request log."""
        self.emulator.reset()

    def serve(
        self, *, port: int = 0, host: str = "127.0.0.1", latency: Latency | None = None
    ) -> SandboxServer:
        """Serve this account over loopback HTTP from a background thread (``latency``: each
        request waits as a real API's round trip would)."""
        return serve(self.app, host=host, port=port, latency=latency)

    @classmethod
    def started(
        cls,
        *,
        port: int,
        host: str = "127.0.0.1",
        latency: Latency | None = None,
        **options: Any,
    ) -> tuple[Self, SandboxServer]:
        """A new account built from ``options``, served on ``host:port``, and its server."""
        account = cls(**options)
        return account, account.serve(port=port, host=host, latency=latency)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.summary()})"
