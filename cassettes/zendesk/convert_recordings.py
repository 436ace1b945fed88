"""Turn the real Zendesk recordings beside this file into cassettes the Zendesk source replays.

The recordings (see NOTICE.md) were made with offset paging, before the cursor pages and
incremental exports cemigrate reads. For each kind below, this script records the requests the
Zendesk source makes today (against the loopback emulator, into a scratch folder), keeps those
requests, and answers each with the *real* records of the matching recording inside the paging
envelope the endpoint has today (``meta``/``links`` for cursor lists, ``end_of_stream`` for
exports). Endpoints with no recording are answered with an empty page. Long lists are trimmed
to a few records. Everything goes through the same :class:`~cemigrate.testing.cassettes.Scrubber`
as a live recording.

Run from the repository root: ``.venv/bin/python cassettes/zendesk/convert_recordings.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from vcr.request import Request as VcrRequest

from cemigrate.schema import Kind
from cemigrate.testing.cassettes import PLACEHOLDER_URLS, Scrubber, recording, vcr_config

HERE = Path(__file__).resolve().parent
REAL_HOST = "https://zendeskapi.zendesk-staging.com"
KEEP = 8
"""Records kept from a longer recorded list."""

RECORDINGS: Mapping[str, str] = {
    "groups": "ZendeskAPI_Group__read_ZendeskAPI_Client_groups",
    "group_memberships": "ZendeskAPI_GroupMembership__read_ZendeskAPI_Client_group_memberships",
    "organizations": "ZendeskAPI_Organization__read_ZendeskAPI_Client_organizations",
    "users": "ZendeskAPI_User__read_ZendeskAPI_Client_users",
    "identities": "ZendeskAPI_User_Identity__under_a_user__read_ZendeskAPI_User_identities",
    "ticket_fields": "ZendeskAPI_TicketField__read_ZendeskAPI_Client_ticket_fields",
    "custom_roles": "ZendeskAPI_CustomRole__read_ZendeskAPI_Client_custom_roles",
    "macros": "ZendeskAPI_Macro__read_ZendeskAPI_Client_macros",
    "views": "ZendeskAPI_View__read_ZendeskAPI_Client_views",
    "satisfaction_ratings": (
        "ZendeskAPI_SatisfactionRating__read_ZendeskAPI_Client_satisfaction_ratings"
    ),
}
"""Data key → the recording whose first (list) response holds its real records."""
CUSTOM_FIELD = "ZendeskAPI_TicketField__creation"
"""A recording of one custom ticket field (the list recording holds system fields only)."""

CASSETTES: Mapping[str, Sequence[Kind]] = {
    "real_zendesk_people_and_groups": (
        Kind.ORGANIZATION,
        Kind.USER,
        Kind.GROUP,
        Kind.GROUP_MEMBERSHIP,
    ),
    "real_zendesk_fields_rules_and_ratings": (Kind.FIELD, Kind.RULE, Kind.SATISFACTION_RATING),
}
"""Cassette name → the kinds the Zendesk source reads in it."""


def real_records(key: str) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The records of a recording's list response (trimmed) and its response headers."""
    data = json.loads((HERE / f"{RECORDINGS[key]}.json").read_text(encoding="utf-8"))
    first = data["interactions"][0]
    records: list[dict[str, Any]] = first["response_body"][key][:KEEP]
    if key == "ticket_fields":  # all system fields: add the custom one fetched in another
        created = json.loads((HERE / f"{CUSTOM_FIELD}.json").read_text(encoding="utf-8"))
        records.append(created["interactions"][0]["response_body"]["ticket_field"])
    headers = {k: v for k, v in first["response_headers"].items() if k.lower() != "status"}
    return records, headers


def _timestamp(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def real_body(path: str, emulated: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The real answer to the request the emulator answered with ``emulated``."""
    key = next(k for k, v in emulated.items() if isinstance(v, list))
    headers = {"Content-Type": ["application/json; charset=utf-8"]}
    records: list[dict[str, Any]] = []
    if key in RECORDINGS:
        records, headers = real_records(key)
    body: dict[str, Any] = {key: records}
    if key == "users":
        identities, _ = real_records("identities")
        ids = {u["id"] for u in records}
        body["identities"] = [i for i in identities if i["user_id"] in ids]
    if "/incremental/" in path and path.endswith("/cursor.json"):
        body.update(end_of_stream=True, after_cursor=None, before_cursor=None, after_url=None)
    elif "/incremental/" in path:
        latest = max((_timestamp(r["updated_at"]) for r in records), default=0)
        body.update(end_of_stream=True, end_time=latest, next_page=None, count=len(records))
    else:
        body.update(
            meta={"has_more": False, "after_cursor": None, "before_cursor": None},
            links={"prev": None, "next": None},
        )
    return body, headers


def convert(name: str, kinds: Sequence[Kind]) -> Path:
    """Write ``<name>.cassette.json``: the emulator's requests answered with real records."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {"CEMIGRATE_RECORD": "sandbox"}
        with recording("zendesk", name, directory=scratch, env=env) as rec:
            source = rec.source()
            for kind in kinds:
                for _ in source.read(kind):
                    pass
            emulated = list(rec.cassette.data)
    scrubber = Scrubber(placeholder=PLACEHOLDER_URLS["zendesk"], bases=(REAL_HOST,))
    config = vcr_config(scrubber, directory=HERE, record=True)
    with config.use_cassette(f"{name}.cassette.json") as cassette:
        for request, response in emulated:
            body, headers = real_body(request.path, json.loads(response["body"]["string"]))
            real = {
                "status": {"code": 200, "message": "OK"},
                "headers": headers,
                "body": {"string": json.dumps(body).encode()},
            }
            cassette.append(VcrRequest("GET", request.uri, None, {}), real)
    return HERE / f"{name}.cassette.json"


if __name__ == "__main__":
    for cassette_name, cassette_kinds in CASSETTES.items():
        print(convert(cassette_name, cassette_kinds))
