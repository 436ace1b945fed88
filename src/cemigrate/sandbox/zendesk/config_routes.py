"""The handlers of the Zendesk emulator's configuration endpoints: brands, ticket forms,
custom ticket statuses, business-hours schedules and their holidays, over the account's
:class:`~cemigrate.sandbox.zendesk.configuration.AccountConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cemigrate.sandbox.web import Reply
from cemigrate.sandbox.zendesk.configuration import AccountConfig
from cemigrate.sandbox.zendesk.exceptions import BadRequest, RecordNotFound

if TYPE_CHECKING:
    from cemigrate.sandbox.zendesk.responses import Request, ZendeskResponses

__all__ = ["ConfigResponses"]


def _bool_query(req: Request, name: str) -> bool | None:
    value = req.query.get(name)
    return None if value is None else value.lower() == "true"


def _body(req: Request, key: str) -> Mapping[str, Any]:
    body = req.json_object().get(key)
    if not isinstance(body, dict):
        raise BadRequest("InvalidValue", f"{key} is required")
    return body


def _number(raw: str) -> int:
    if not raw.isdigit():
        raise RecordNotFound()
    return int(raw)


class ConfigResponses:
    """The handlers of the configuration endpoints."""

    def __init__(self, responses: ZendeskResponses) -> None:
        self._responses = responses

    @property
    def config(self) -> AccountConfig:
        """The account's configuration (re-made when the backend resets)."""
        return self._responses.backend.config

    # -- brands ------------------------------------------------------------------------------

    def list_brands(self, req: Request) -> Reply:
        """``GET /api/v2/brands``: sorted by name, cursor (``page[size]``) or offset pages."""
        c = self.config
        brands = sorted(
            (c.brand_view(b) for b in c.brands.values() if not b["is_deleted"]),
            key=lambda b: (b["name"].casefold(), b["id"]),
        )
        keys = [(brand["name"].casefold(), brand["id"]) for brand in brands]
        return self._responses.list_page(req, "brands", brands, keys=keys)

    def show_brand(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/brands/{id}``."""
        brand = self.config.brands.get(_number(id))
        if brand is None or brand["is_deleted"]:
            raise RecordNotFound()
        return Reply(200, {"brand": self.config.brand_view(brand)})

    def create_brand(self, req: Request) -> Reply:
        """``POST /api/v2/brands``: 201, or 422 (blank name, taken subdomain)."""
        return Reply(201, {"brand": self.config.create_brand(_body(req, "brand"))})

    def update_brand(self, req: Request, id: str) -> Reply:
        """``PUT /api/v2/brands/{id}``."""
        return Reply(200, {"brand": self.config.update_brand(_number(id), _body(req, "brand"))})

    # -- ticket forms ------------------------------------------------------------------------

    def list_forms(self, req: Request) -> Reply:
        """``GET /api/v2/ticket_forms``: every form (not paginated), filtered by ``active``
        and ``end_user_visible`` when given."""
        forms = sorted(self.config.ticket_forms.values(), key=lambda f: (f["position"], f["id"]))
        for name in ("active", "end_user_visible"):
            wanted = _bool_query(req, name)
            if wanted is not None:
                forms = [f for f in forms if f[name] is wanted]
        return Reply(200, {"ticket_forms": forms})

    def show_many_forms(self, req: Request) -> Reply:
        """``GET /api/v2/ticket_forms/show_many?ids=``: the forms the account has."""
        raw = req.query.get("ids") or ""
        ids = [int(i) for i in raw.split(",") if i.strip().isdigit()]
        if not ids:
            raise BadRequest("InvalidValue", "ids is required")
        found = [self.config.ticket_forms[i] for i in ids if i in self.config.ticket_forms]
        return Reply(200, {"ticket_forms": found})

    def show_form(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/ticket_forms/{id}``."""
        form = self.config.ticket_forms.get(_number(id))
        if form is None:
            raise RecordNotFound()
        return Reply(200, {"ticket_form": form})

    def create_form(self, req: Request) -> Reply:
        """``POST /api/v2/ticket_forms``: 201, or 422 (blank name, unknown field or brand)."""
        fields = set(self._responses.backend.fields["ticket"])
        form = self.config.create_form(_body(req, "ticket_form"), ticket_field_ids=fields)
        return Reply(201, {"ticket_form": form})

    # -- custom statuses ---------------------------------------------------------------------

    def list_statuses(self, req: Request) -> Reply:
        """``GET /api/v2/custom_statuses``: every status (no pagination), filtered by
        ``status_categories``, ``active`` and ``default`` when given."""
        statuses = sorted(self.config.custom_statuses.values(), key=lambda s: s["id"])
        categories = req.query.get("status_categories")
        if categories:
            wanted = set(categories.split(","))
            statuses = [s for s in statuses if s["status_category"] in wanted]
        for name in ("active", "default"):
            flag = _bool_query(req, name)
            if flag is not None:
                statuses = [s for s in statuses if s[name] is flag]
        return Reply(200, {"custom_statuses": statuses})

    def show_status(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/custom_statuses/{id}``."""
        status = self.config.custom_statuses.get(_number(id))
        if status is None:
            raise RecordNotFound()
        return Reply(200, {"custom_status": status})

    def create_status(self, req: Request) -> Reply:
        """``POST /api/v2/custom_statuses``: 201, 422 (category, blank or taken label) or
        403 (custom statuses not activated)."""
        return Reply(201, {"custom_status": self.config.create_status(_body(req, "custom_status"))})

    # -- schedules ---------------------------------------------------------------------------

    def list_schedules(self, req: Request) -> Reply:
        """``GET /api/v2/business_hours/schedules``: every schedule (not paginated)."""
        schedules = sorted(self.config.schedules.values(), key=lambda s: s["id"])
        return Reply(200, {"schedules": schedules})

    def show_schedule(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/business_hours/schedules/{id}``."""
        schedule = self.config.schedules.get(_number(id))
        if schedule is None:
            raise RecordNotFound()
        return Reply(200, {"schedule": schedule})

    def create_schedule(self, req: Request) -> Reply:
        """``POST /api/v2/business_hours/schedules``: 201 with the default workweek."""
        return Reply(201, {"schedule": self.config.create_schedule(_body(req, "schedule"))})

    def update_workweek(self, req: Request, id: str) -> Reply:
        """``PUT /api/v2/business_hours/schedules/{id}/workweek`` with
        ``{"workweek": {"intervals": [...]}}``."""
        body = _body(req, "workweek")
        intervals = self.config.set_workweek(_number(id), body.get("intervals"))
        return Reply(200, {"workweek": {"intervals": intervals}})

    def list_holidays(self, req: Request, id: str) -> Reply:
        """``GET /api/v2/business_hours/schedules/{id}/holidays``."""
        held = self.config.holidays.get(_number(id))
        if held is None:
            raise RecordNotFound()
        return Reply(200, {"holidays": sorted(held.values(), key=lambda h: h["id"])})

    def create_holiday(self, req: Request, id: str) -> Reply:
        """``POST /api/v2/business_hours/schedules/{id}/holidays``: 201, or 422."""
        holiday = self.config.create_holiday(_number(id), _body(req, "holiday"))
        return Reply(201, {"holiday": holiday})
