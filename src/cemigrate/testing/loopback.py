"""Reach an emulator served on loopback with a client library that only knows public hosts.

zenpy, simple-salesforce and python-freshdesk always build ``https://{their host}/...`` URLs.
:class:`ForwardingAdapter`, mounted on the client's ``requests.Session``, re-sends each request
for one of the public hosts to the loopback server instead, as a reverse proxy would, and
answers as the public host: the library runs unmodified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

__all__ = ["ForwardingAdapter"]


class ForwardingAdapter(HTTPAdapter):
    """Sends each request for one of ``public`` to ``upstream`` instead, and answers as the
    public host; counts what it forwarded."""

    def __init__(self, public: str | Sequence[str], upstream: str) -> None:
        super().__init__()
        hosts = [public] if isinstance(public, str) else list(public)
        self.public = tuple(host.rstrip("/") for host in hosts)
        self.upstream = upstream.rstrip("/")
        self.forwarded = 0

    def mount_on(self, session: requests.Session) -> requests.Session:
        """Mount this adapter for every public host on ``session``; the session."""
        for host in self.public:
            session.mount(host + "/", self)
        return session

    def send(  # type: ignore[override]  # requests types the keyword arguments loosely
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Forward ``request`` to the loopback server; the answer carries the public URL."""
        url = request.url or ""
        host = next((h for h in self.public if url.startswith(h + "/")), None)
        if host is None:
            raise AssertionError(f"{url} is not for {', '.join(self.public)}")
        forwarded = request.copy()
        forwarded.url = self.upstream + url[len(host) :]
        response = super().send(forwarded, **kwargs)
        self.forwarded += 1
        response.url, response.request = url, request  # the client sees the URL it asked for
        return response
