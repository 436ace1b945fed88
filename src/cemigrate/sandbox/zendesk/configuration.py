"""The Zendesk emulator's account configuration: brands, ticket forms, custom ticket statuses
and business-hours schedules with their holidays.

:class:`AccountConfig` holds them as the JSON Zendesk sends and checks what a ticket names
(``brand_id``, ``ticket_form_id``, ``custom_status_id``); ``config_routes.ConfigResponses``
answers their endpoints. Facts from the API reference (developer.zendesk.com, "Brands", "Ticket
Forms", "Custom Ticket Statuses", "Schedules"):

* Brands: ``GET /api/v2/brands`` pages by cursor or offset and sorts by name; a brand needs
  a ``name`` and a ``subdomain`` (unique across Zendesk); tickets from an unbranded channel
  belong to the default brand.
* Ticket forms: ``GET /api/v2/ticket_forms`` is not paginated (filters ``active``,
  ``end_user_visible``); ``show_many?ids=``; a form lists its fields in
  ``ticket_field_ids`` (system fields too) and its brands in ``restricted_brand_ids`` unless
  ``in_all_brands``.
* Custom statuses: ``GET /api/v2/custom_statuses`` lists every undeleted one, "no pagination
  is provided" (filters ``status_categories``, ``active``, ``default``); categories are new,
  open, pending, hold and solved (a closed ticket is in the solved category); each category
  has a default status, always active. Creating one needs the account to have activated
  custom statuses.
* Schedules: ``GET /api/v2/business_hours/schedules`` (not paginated); intervals are minutes
  from Sunday 00:00 and cannot span calendar days; they are written only with ``PUT
  .../{id}/workweek``; holidays at ``.../{id}/holidays`` with ``start_date``/``end_date``
  (``YYYY-MM-DD``).

Wording of error descriptions is not in the reference: the emulator uses Zendesk's usual
``RecordInvalid`` shape with a plain description per attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from cemigrate.sandbox.zendesk.exceptions import (
    Forbidden,
    RecordInvalid,
    RecordNotFound,
)
from cemigrate.schema import Brand, CustomStatus, Schedule, TicketForm

if TYPE_CHECKING:
    from cemigrate.sandbox.dataset import HelpDesk

__all__ = ["CATEGORIES", "AccountConfig"]

Json = dict[str, Any]

BASE: Final = "https://zendesk.sandbox.invalid"
"""The placeholder host of stored URLs (as in :mod:`.models`)."""

CATEGORIES: Final = ("new", "open", "pending", "hold", "solved")
"""The status categories, one per built-in status (closed tickets are in ``solved``)."""

_DEFAULT_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "new": ("New", "Open"),
    "open": ("Open", "Open"),
    "pending": ("Pending", "Awaiting your reply"),
    "hold": ("On-hold", "Open"),
    "solved": ("Solved", "Solved"),
}
"""The default status of each category a new account has: agent label, end-user label."""

_DEFAULT_WORKWEEK: Final = tuple(
    {"start_time": day * 1440 + 9 * 60, "end_time": day * 1440 + 17 * 60} for day in range(1, 6)
)
"""A new schedule's hours until its workweek is set: Monday to Friday, 09:00 to 17:00."""

_LIST_PAGE: Final = 100
"""Most records a cursor page holds."""
_SYSTEM_FIELD_TYPES: Final[Mapping[str, str]] = {
    "subject": "subject",
    "description": "description",
    "status": "status",
    "custom_status": "custom_status",
    "type": "tickettype",
    "priority": "priority",
    "group": "group",
    "assignee": "assignee",
    "brand": "brand",
    "form": "ticket_form",
}
"""A form's built-in field (the schema's name) → the type of Zendesk's field for it."""
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WEEK_MINUTES: Final = 7 * 1440

_BRAND_BASE, _FORM_BASE, _STATUS_BASE = 365_000_000_000, 366_000_000_000, 367_000_000_000
_SCHEDULE_BASE, _HOLIDAY_BASE = 368_000_000_000, 369_000_000_000


def _invalid(attribute: str, description: str) -> RecordInvalid:
    return RecordInvalid({attribute: [{"description": description}]})


def _iso(moment: datetime | None, now: str) -> str:
    return now if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _flag(value: object, default: bool) -> bool:
    return default if value is None else bool(value)


def _day(value: object, attribute: str) -> str:
    if not isinstance(value, str):
        raise _invalid(attribute, f"{attribute}: is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _invalid(attribute, f"{attribute}: is not a date (YYYY-MM-DD)") from None


class AccountConfig:
    """An account's brands, ticket forms, custom statuses and schedules (with holidays)."""

    def __init__(
        self,
        *,
        subdomain: str,
        now: Callable[[], str],
        custom_statuses_enabled: bool = True,
    ) -> None:
        self.subdomain = subdomain
        """The account's own subdomain (taken: no brand may use it)."""
        self._now = now
        self.custom_statuses_enabled = custom_statuses_enabled
        """Whether the account has activated custom ticket statuses (creating one needs it)."""
        self.brands: dict[int, Json] = {}
        self.ticket_forms: dict[int, Json] = {}
        self.custom_statuses: dict[int, Json] = {}
        self.schedules: dict[int, Json] = {}
        self.holidays: dict[int, dict[int, Json]] = {}
        """Holidays by schedule id, then holiday id."""
        self._system_ids: dict[str, int] = {}
        self._next = {
            "brand": _BRAND_BASE,
            "form": _FORM_BASE,
            "status": _STATUS_BASE,
            "schedule": _SCHEDULE_BASE,
            "holiday": _HOLIDAY_BASE,
        }

    def _id(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]

    # -- seeding -----------------------------------------------------------------------------

    def seed(
        self,
        desk: HelpDesk | None,
        *,
        field_ids: Sequence[int],
        system_fields: Mapping[str, int] | None = None,
    ) -> None:
        """What the account holds from the start: the desk's brands, forms, statuses and
        schedules, else what a new account holds (one default brand named after the account,
        one default form of ``field_ids``, the five default statuses, no schedule).
        ``system_fields`` (field type → id) places a desk form's built-in fields."""
        self._system_ids = dict(system_fields or {})
        now = self._now()
        brands = desk.brands if desk is not None else ()
        for brand in brands:
            self._store_brand(brand, now)
        if not self.brands:
            self._store_brand(
                Brand(id=str(self._id("brand")), name=self.subdomain, default=True), now
            )
            self.brands[max(self.brands)]["subdomain"] = self.subdomain
        if not any(b["default"] for b in self.brands.values()):
            self.brands[min(self.brands)]["default"] = True  # an account always has one
        statuses = desk.custom_statuses if desk is not None else ()
        for status in statuses:
            self._store_status(status, now)
        for category in CATEGORIES:
            if not any(s["status_category"] == category and s["default"] for s in self._live()):
                agent, end_user = _DEFAULT_LABELS[category]
                status = CustomStatus(
                    id=str(self._id("status")),
                    category=category,
                    agent_label=agent,
                    end_user_label=end_user,
                    default=True,
                )
                self._store_status(status, now)
        forms = desk.ticket_forms if desk is not None else ()
        for form in forms:
            self._store_form(form, now)
        if not any(f["default"] for f in self.ticket_forms.values()):
            form = TicketForm(id=str(self._id("form")), name="Default Ticket Form", default=True)
            self._store_form(form, now)
            self.ticket_forms[max(self.ticket_forms)]["ticket_field_ids"] = list(field_ids)
        for schedule in desk.schedules if desk is not None else ():
            self._store_schedule(schedule, now)
        for kind, table in (
            ("brand", self.brands),
            ("form", self.ticket_forms),
            ("status", self.custom_statuses),
            ("schedule", self.schedules),
        ):
            self._next[kind] = max([self._next[kind], *table])
        self._next["holiday"] = max(
            [self._next["holiday"], *(h for hs in self.holidays.values() for h in hs)]
        )

    def _store_brand(self, brand: Brand, now: str) -> None:
        bid = int(brand.id)
        subdomain = brand.subdomain or re.sub(r"[^a-z0-9]+", "-", brand.name.lower()).strip("-")
        self.brands[bid] = {
            "url": f"{BASE}/api/v2/brands/{bid}.json",
            "id": bid,
            "name": brand.name,
            "brand_url": f"https://{subdomain}.zendesk.com",
            "subdomain": subdomain,
            "host_mapping": brand.host_mapping or None,
            "has_help_center": False,
            "help_center_state": "disabled",
            "active": brand.active,
            "default": brand.default,
            "is_deleted": False,
            "logo": None,
            "signature_template": brand.signature_template or "{{agent.signature}}",
            "created_at": _iso(brand.created_at, now),
            "updated_at": _iso(brand.updated_at, now),
        }

    def _store_status(self, status: CustomStatus, now: str) -> None:
        sid = int(status.id)
        category = "solved" if status.category.value == "closed" else status.category.value
        self.custom_statuses[sid] = {
            "url": f"{BASE}/api/v2/custom_statuses/{sid}.json",
            "id": sid,
            "status_category": category,
            "agent_label": status.agent_label,
            "raw_agent_label": status.agent_label,
            "end_user_label": status.end_user_label or status.agent_label,
            "raw_end_user_label": status.end_user_label or status.agent_label,
            "description": status.description,
            "raw_description": status.description,
            "end_user_description": status.end_user_description,
            "raw_end_user_description": status.end_user_description,
            "active": status.active or status.default,  # a default status is always active
            "default": status.default,
            "created_at": _iso(status.created_at, now),
            "updated_at": _iso(status.updated_at, now),
        }

    def _store_form(self, form: TicketForm, now: str) -> None:
        fid = int(form.id)
        self.ticket_forms[fid] = {
            "url": f"{BASE}/api/v2/ticket_forms/{fid}.json",
            "id": fid,
            "name": form.name,
            "raw_name": form.name,
            "display_name": form.display_name or form.name,
            "raw_display_name": form.display_name or form.name,
            "end_user_visible": form.end_user_visible,
            "position": form.position,
            "ticket_field_ids": [
                *(
                    self._system_ids[_SYSTEM_FIELD_TYPES[name]]
                    for name in form.system_fields
                    if _SYSTEM_FIELD_TYPES.get(name) in self._system_ids
                ),
                *(int(r.id) for r in form.fields),
            ],
            "active": form.active,
            "default": form.default,
            "in_all_brands": form.in_all_brands,
            "restricted_brand_ids": [] if form.in_all_brands else [int(r.id) for r in form.brands],
            "agent_conditions": list(form.conditions.get("agent_conditions") or []),  # type: ignore[arg-type]
            "end_user_conditions": list(form.conditions.get("end_user_conditions") or []),  # type: ignore[arg-type]
            "created_at": _iso(form.created_at, now),
            "updated_at": _iso(form.updated_at, now),
        }

    def _store_schedule(self, schedule: Schedule, now: str) -> None:
        sid = int(schedule.id)
        self.schedules[sid] = {
            "id": sid,
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "intervals": [{"start_time": i.start, "end_time": i.end} for i in schedule.intervals],
            "created_at": _iso(schedule.created_at, now),
            "updated_at": _iso(schedule.updated_at, now),
        }
        self.holidays[sid] = {}
        for holiday in schedule.holidays:
            hid = int(holiday.id) if holiday.id.isdigit() else self._id("holiday")
            self.holidays[sid][hid] = {
                "id": hid,
                "name": holiday.name,
                "start_date": holiday.start_date,
                "end_date": holiday.end_date,
            }

    # -- reading -----------------------------------------------------------------------------

    def _live(self) -> list[Json]:
        return list(self.custom_statuses.values())

    def default_brand(self) -> int:
        """The id of the account's default brand."""
        return int(next(b["id"] for b in self.brands.values() if b["default"]))

    def default_form(self) -> int:
        """The id of the account's default ticket form."""
        return int(next(f["id"] for f in self.ticket_forms.values() if f["default"]))

    def default_status(self, status: str) -> int:
        """The default custom status of the category a ticket ``status`` belongs to."""
        category = "solved" if status == "closed" else status
        return int(
            next(
                s["id"]
                for s in self.custom_statuses.values()
                if s["status_category"] == category and s["default"]
            )
        )

    def brand_view(self, brand: Json) -> Json:
        """A brand as the API shows it: with the forms offered on it."""
        forms = [
            f["id"]
            for f in self.ticket_forms.values()
            if f["in_all_brands"] or brand["id"] in f["restricted_brand_ids"]
        ]
        return {**brand, "ticket_form_ids": sorted(forms)}

    def ticket_refs(
        self, body: Mapping[str, Any], *, status: str, current: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, int], str]:
        """The ``brand_id``, ``ticket_form_id`` and ``custom_status_id`` a ticket created (or
        updated, ``current``) with ``body`` holds, and its status: what is not given stays
        (or is the default; a custom status follows the status's category), an id the account
        lacks is refused with 422. A custom status given sets the status to its category
        (a closed ticket stays closed in the solved category)."""
        held = dict(current or {})
        refs: dict[str, int] = {}
        for key, table, default in (
            ("brand_id", self.brands, self.default_brand),
            ("ticket_form_id", self.ticket_forms, self.default_form),
        ):
            given = body.get(key)
            if given is None:
                refs[key] = int(held.get(key) or default())
            elif not str(given).isdigit() or int(given) not in table:
                raise _invalid(key, f"{key}: {given} is not one of the account's")
            else:
                refs[key] = int(given)
        given = body.get("custom_status_id")
        if given is None:
            kept = held.get("custom_status_id")
            keep = kept is not None and "status" not in body
            refs["custom_status_id"] = int(str(kept)) if keep else self.default_status(status)
            return refs, status
        found = self.custom_statuses.get(int(given)) if str(given).isdigit() else None
        if found is None:
            raise _invalid("custom_status_id", f"custom_status_id: {given} is not a status")
        if not found["active"]:
            raise _invalid("custom_status_id", f"custom_status_id: {given} is not active")
        refs["custom_status_id"] = int(str(given))
        category = found["status_category"]
        return refs, "closed" if status == "closed" and category == "solved" else category

    # -- writing -----------------------------------------------------------------------------

    def create_brand(self, body: Mapping[str, Any]) -> Json:
        """A new brand: ``name`` and ``subdomain`` required; the subdomain must be free."""
        name = str(body.get("name") or "").strip()
        if not name:
            raise _invalid("name", "Name: cannot be blank")
        subdomain = str(body.get("subdomain") or "").strip().lower()
        if not subdomain:
            raise _invalid("subdomain", "Subdomain: cannot be blank")
        self._check_subdomain(subdomain, None)
        bid = self._id("brand")
        now = self._now()
        brand = Brand(
            id=str(bid),
            name=name,
            subdomain=subdomain,
            host_mapping=str(body.get("host_mapping") or ""),
            active=_flag(body.get("active"), True),
            signature_template=str(body.get("signature_template") or ""),
        )
        self._store_brand(brand, now)
        return self.brand_view(self.brands[bid])

    def _check_subdomain(self, subdomain: str, own: int | None) -> None:
        if not _SUBDOMAIN.match(subdomain):
            raise _invalid("subdomain", "Subdomain: is invalid")
        taken = {self.subdomain} | {
            b["subdomain"] for b in self.brands.values() if b["id"] != own and not b["is_deleted"]
        }
        if subdomain in taken:
            raise _invalid("subdomain", "Subdomain: has already been taken")

    def update_brand(self, bid: int, body: Mapping[str, Any]) -> Json:
        """Change a brand's name, subdomain, active flag, host mapping or signature."""
        brand = self.brands.get(bid)
        if brand is None or brand["is_deleted"]:
            raise RecordNotFound()
        if "subdomain" in body:
            subdomain = str(body.get("subdomain") or "").strip().lower()
            self._check_subdomain(subdomain, bid)
            brand["subdomain"] = subdomain
            brand["brand_url"] = f"https://{subdomain}.zendesk.com"
        if "name" in body:
            if not str(body.get("name") or "").strip():
                raise _invalid("name", "Name: cannot be blank")
            brand["name"] = str(body["name"])
        for key in ("active", "host_mapping", "signature_template"):
            if key in body:
                brand[key] = body[key]
        brand["updated_at"] = self._now()
        return self.brand_view(brand)

    def create_form(self, body: Mapping[str, Any], *, ticket_field_ids: set[int]) -> Json:
        """A new ticket form: ``name`` required; its fields and brands must exist."""
        name = str(body.get("name") or "").strip()
        if not name:
            raise _invalid("name", "Name: cannot be blank")
        fields = [int(i) for i in body.get("ticket_field_ids") or []]
        unknown = [i for i in fields if i not in ticket_field_ids]
        if unknown:
            raise _invalid("ticket_field_ids", f"Ticket field ids: {unknown[0]} is not a field")
        brands = [int(i) for i in body.get("restricted_brand_ids") or []]
        if any(i not in self.brands for i in brands):
            raise _invalid("restricted_brand_ids", "Restricted brand ids: is invalid")
        fid = self._id("form")
        now = self._now()
        in_all = _flag(body.get("in_all_brands"), not brands)
        display = str(body.get("display_name") or name)
        self.ticket_forms[fid] = {
            "url": f"{BASE}/api/v2/ticket_forms/{fid}.json",
            "id": fid,
            "name": name,
            "raw_name": name,
            "display_name": display,
            "raw_display_name": display,
            "end_user_visible": _flag(body.get("end_user_visible"), False),
            "position": int(body.get("position") or len(self.ticket_forms)),
            "ticket_field_ids": fields,
            "active": _flag(body.get("active"), True),
            "default": False,  # the default form changes only by updating one [not emulated]
            "in_all_brands": in_all,
            "restricted_brand_ids": [] if in_all else brands,
            "agent_conditions": list(body.get("agent_conditions") or []),
            "end_user_conditions": list(body.get("end_user_conditions") or []),
            "created_at": now,
            "updated_at": now,
        }
        return self.ticket_forms[fid]

    def create_status(self, body: Mapping[str, Any]) -> Json:
        """A new custom status: ``status_category`` and ``agent_label`` required, the label
        unique within its category; 403 when the account has not activated them."""
        if not self.custom_statuses_enabled:
            raise Forbidden("Custom ticket statuses are not activated on this account")
        category = body.get("status_category")
        if category not in CATEGORIES:
            raise _invalid("status_category", "Status category: is invalid")
        label = str(body.get("agent_label") or "").strip()
        if not label:
            raise _invalid("agent_label", "Agent label: cannot be blank")
        same = [s for s in self.custom_statuses.values() if s["status_category"] == category]
        if any(s["agent_label"].casefold() == label.casefold() for s in same):
            raise _invalid("agent_label", "Agent label: has already been taken")
        sid = self._id("status")
        status = CustomStatus(
            id=str(sid),
            category=str(category),
            agent_label=label,
            end_user_label=str(body.get("end_user_label") or ""),
            description=str(body.get("description") or ""),
            end_user_description=str(body.get("end_user_description") or ""),
            active=_flag(body.get("active"), True),
        )
        self._store_status(status, self._now())
        return self.custom_statuses[sid]

    def create_schedule(self, body: Mapping[str, Any]) -> Json:
        """A new schedule: ``name`` and ``time_zone`` required; Monday to Friday 9 to 5
        until its workweek is set."""
        name = str(body.get("name") or "").strip()
        if not name:
            raise _invalid("name", "Name: cannot be blank")
        zone = str(body.get("time_zone") or "").strip()
        if not zone:
            raise _invalid("time_zone", "Time zone: cannot be blank")
        sid = self._id("schedule")
        now = self._now()
        self.schedules[sid] = {
            "id": sid,
            "name": name,
            "time_zone": zone,
            "intervals": [dict(i) for i in _DEFAULT_WORKWEEK],
            "created_at": now,
            "updated_at": now,
        }
        self.holidays[sid] = {}
        return self.schedules[sid]

    def set_workweek(self, sid: int, intervals: object) -> list[Json]:
        """Replace a schedule's intervals (each within one day of the week)."""
        schedule = self.schedules.get(sid)
        if schedule is None:
            raise RecordNotFound()
        if not isinstance(intervals, list):
            raise _invalid("intervals", "Intervals: is invalid")
        checked: list[Json] = []
        for item in intervals:
            start = item.get("start_time") if isinstance(item, Mapping) else None
            end = item.get("end_time") if isinstance(item, Mapping) else None
            if not (isinstance(start, int) and isinstance(end, int)):
                raise _invalid("intervals", "Intervals: start_time and end_time are minutes")
            if not 0 <= start < end <= _WEEK_MINUTES or start // 1440 != (end - 1) // 1440:
                raise _invalid("intervals", "Intervals: an interval cannot span calendar days")
            checked.append({"start_time": start, "end_time": end})
        schedule["intervals"] = sorted(checked, key=lambda i: i["start_time"])
        schedule["updated_at"] = self._now()
        return list(schedule["intervals"])

    def create_holiday(self, sid: int, body: Mapping[str, Any]) -> Json:
        """A new holiday of a schedule: ``name``, ``start_date`` and ``end_date`` (not before
        the start)."""
        if sid not in self.schedules:
            raise RecordNotFound()
        name = str(body.get("name") or "").strip()
        if not name:
            raise _invalid("name", "Name: cannot be blank")
        start = _day(body.get("start_date"), "start_date")
        end = _day(body.get("end_date"), "end_date")
        if end < start:
            raise _invalid("end_date", "End date: cannot be before the start date")
        hid = self._id("holiday")
        self.holidays[sid][hid] = {"id": hid, "name": name, "start_date": start, "end_date": end}
        return self.holidays[sid][hid]
