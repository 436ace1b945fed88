"""Turn python-freshdesk's sample API payloads into a cassette the Freshdesk source replays.

The samples (see NOTICE.md) are bare response bodies, not exchanges. This script records the
requests the Freshdesk source makes today for a few kinds (against the loopback emulator, into a
scratch folder), keeps those requests, and answers each with the sample body for its endpoint
(an empty list where no sample exists: blocked and deleted contacts). The source views each
listed contact, agent and group (the lists leave out what only a record's view holds): each
view is answered with the sample of that record where there is one (``contact.json``,
``group_1.json``), else with the record's list entry. Everything goes through the same
:class:`~cemigrate.testing.cassettes.Scrubber` as a live recording.

Run from the repository root: ``.venv/bin/python cassettes/freshdesk/convert_samples.py``
(the samples are in ``samples/`` beside this file; another folder may be given as the argument).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl

from vcr.request import Request as VcrRequest

from cemigrate.schema import Kind
from cemigrate.testing.cassettes import PLACEHOLDER_URLS, Scrubber, recording, vcr_config

HERE = Path(__file__).resolve().parent
NAME = "real_freshdesk_companies_people_and_groups"
KINDS = (Kind.ORGANIZATION, Kind.USER, Kind.GROUP, Kind.GROUP_MEMBERSHIP)
SAMPLES: Mapping[str, str] = {
    "/api/v2/companies": "companies.json",
    "/api/v2/contacts": "contacts.json",
    "/api/v2/agents": "agents.json",
    "/api/v2/roles": "roles.json",
    "/api/v2/groups": "groups.json",
}
"""Path → the sample holding its list page."""
VIEWS: Mapping[str, Mapping[int, str]] = {
    "/api/v2/contacts": {1: "contact.json"},
    "/api/v2/agents": {},
    "/api/v2/groups": {1: "group_1.json"},
}
"""Listed path → record id → the sample holding that record's view (``GET {path}/{id}``)."""


def _answer(body: object) -> dict[str, object]:
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json; charset=utf-8"]},
        "body": {"string": json.dumps(body).encode()},
    }


def convert(samples: Path) -> Path:
    """Write ``<NAME>.cassette.json``: the emulator's requests answered with the samples."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {"CEMIGRATE_RECORD": "sandbox"}
        with recording("freshdesk", NAME, directory=scratch, env=env) as rec:
            source = rec.source()
            for kind in KINDS:
                for _ in source.read(kind):
                    pass
            emulated = list(rec.cassette.data)
    scrubber = Scrubber(placeholder=PLACEHOLDER_URLS["freshdesk"])
    config = vcr_config(scrubber, directory=HERE, record=True)
    with config.use_cassette(f"{NAME}.cassette.json") as cassette:
        for request, _ in emulated:
            if request.path not in SAMPLES:
                continue  # a view of one of the emulator's records: the samples' are below
            query = dict(parse_qsl(request.query and request.uri.split("?", 1)[1]))
            sample = SAMPLES[request.path]
            body = [] if "state" in query else json.loads((samples / sample).read_text())
            cassette.append(VcrRequest("GET", request.uri, None, {}), _answer(body))
            if request.path not in VIEWS:
                continue
            base = request.uri.split("/api/v2/", 1)[0]
            for entry in body:
                named = VIEWS[request.path].get(entry["id"])
                view = json.loads((samples / named).read_text()) if named else entry
                uri = f"{base}{request.path}/{entry['id']}"
                cassette.append(VcrRequest("GET", uri, None, {}), _answer(view))
    return HERE / f"{NAME}.cassette.json"


if __name__ == "__main__":
    print(convert(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "samples"))
