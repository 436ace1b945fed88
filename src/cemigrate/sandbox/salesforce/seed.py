"""Seeding the Salesforce emulator from the demo dataset, by the model of ``docs/salesforce.md``.

:func:`seed_desk` returns the function the backend runs on every ``reset()``: it generates the
help desk once and writes it as native Salesforce data (accounts, contacts, users, queues,
custom fields, cases, e-mails, case comments, files, entitlements and milestones). Every
choice is listed in ``README.md``. Rows are stored directly (no per-field checks) so 2,000
tickets seed in about a second; attachment bytes are rebuilt on demand and their MD5
``Checksum`` computed on first read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from cemigrate.sandbox._dataset_fidelity import FOREIGN_LOOKUPS
from cemigrate.sandbox.dataset import SUPPORT_DOMAIN, HelpDesk, add_business, generate
from cemigrate.sandbox.salesforce.models import SalesforceBackend, sf_datetime
from cemigrate.sandbox.salesforce.objects import WEEKDAYS, FieldSpec
from cemigrate.schema import (
    Attachment,
    Channel,
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Role,
    RuleKind,
    SlaEventKind,
    SlaMetric,
    Status,
    Ticket,
    User,
)

__all__ = [
    "MILESTONES",
    "ORIGINS",
    "PRIORITIES",
    "STATUSES",
    "TYPES",
    "key_to_api_name",
    "seed_desk",
]

STATUSES: Final = {
    Status.NEW: "New",
    Status.OPEN: "Working",
    Status.PENDING: "Waiting on Customer",
    Status.HOLD: "On Hold",
    Status.SOLVED: "Resolved",
    Status.CLOSED: "Closed",
}
"""Ticket status → Case ``Status``."""
PRIORITIES: Final = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Critical"}
"""Ticket priority → Case ``Priority``."""
TYPES: Final = {
    "question": "Question",
    "incident": "Incident",
    "problem": "Problem",
    "task": "Task",
}
"""Ticket type → Case ``Type``."""
ORIGINS: Final = {
    Channel.EMAIL: "Email",
    Channel.WEB: "Web",
    Channel.CHAT: "Chat",
    Channel.PHONE: "Phone",
    Channel.API: "API",
    Channel.SOCIAL: "Social",
    Channel.OTHER: "Other",
}
"""Channel → Case ``Origin``."""
MILESTONES: Final = {
    SlaMetric.FIRST_REPLY_TIME: "First Response",
    SlaMetric.NEXT_REPLY_TIME: "Next Response",
    SlaMetric.RESOLUTION_TIME: "Resolution Time",
    SlaMetric.PERIODIC_UPDATE_TIME: "Periodic Update",
    SlaMetric.REQUESTER_WAIT_TIME: "Requester Wait Time",
    SlaMetric.AGENT_WORK_TIME: "Agent Work Time",
}
"""SLA metric → MilestoneType ``Name``."""
CASE_COMMENT_BYTES: Final = 4000
"""A CaseComment body's limit; longer private notes are seeded as FeedItems."""

_FIELD_TYPES: Final[dict[FieldType, tuple[str, int, int]]] = {
    FieldType.TEXT: ("string", 255, 0),
    FieldType.REGEXP: ("string", 255, 0),
    FieldType.TEXTAREA: ("textarea", 32768, 0),
    FieldType.INTEGER: ("double", 0, 0),
    FieldType.DECIMAL: ("double", 0, 2),
    FieldType.CHECKBOX: ("boolean", 0, 0),
    FieldType.DATE: ("date", 0, 0),
    FieldType.DROPDOWN: ("picklist", 255, 0),
    FieldType.MULTISELECT: ("multipicklist", 4099, 0),
}
_LOOKUP_OBJECTS: Final = {
    Kind.USER: "Contact",
    Kind.ORGANIZATION: "Account",
    Kind.TICKET: "Case",
    Kind.GROUP: "Group",
}
"""The object a lookup to a kind points to (a person the desk's tickets name is a Contact)."""
_OBJECTS: Final = {
    FieldObject.TICKET: "Case",
    FieldObject.USER: "Contact",
    FieldObject.ORGANIZATION: "Account",
}


def key_to_api_name(key: str) -> str:
    """A field key as a custom field API name: ``order_id`` → ``Order_Id__c``."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", key) if p]
    name = "_".join(p[:1].upper() + p[1:] for p in parts) or "Field"
    if name[0].isdigit():
        name = "X" + name
    return name + "__c"


def seed_desk(*, tickets: int, seed: int, instance: str) -> Callable[[SalesforceBackend], None]:
    """The seeding function for a backend: the desk is generated once, written each reset."""
    desk: list[HelpDesk] = []

    def run(backend: SalesforceBackend) -> None:
        if not desk:
            desk.append(generate(tickets=tickets, seed=seed, instance=instance))
        _Seeder(backend, desk[0]).run()

    return run


def seed_from(desk: HelpDesk) -> Callable[[SalesforceBackend], None]:
    """The seeding function for a backend holding ``desk`` as given (a desk a test built)."""

    def run(backend: SalesforceBackend) -> None:
        _Seeder(backend, desk).run()

    return run


def _phones(user: User) -> tuple[str | None, str | None, str | None]:
    """A contact's ``Phone``, ``MobilePhone`` and ``OtherPhone``: the person's phone (empty for
    someone whose only number is a mobile one), then its other phone numbers in order (a
    Contact has no further place for one)."""
    main = user.phone if user.phone and len(user.phone) <= 40 else None
    found: list[str] = []
    for value in (i.value for i in user.identities if i.type == "phone_number"):
        if value and value != main and value not in found and len(value) <= 40:
            found.append(value)
    padded = [*found[:2], None, None]
    return main, padded[0], padded[1]


def _split(name: str) -> tuple[str | None, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first or None), (last or name or "Unknown")


def _stamp(moment: datetime | None) -> str | None:
    return sf_datetime(moment)


class _Seeder:
    def __init__(self, backend: SalesforceBackend, desk: HelpDesk) -> None:
        self.b = backend
        self.desk = desk
        self.accounts: dict[str, str] = {}
        self.contacts: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.emails: dict[str, str | None] = {}
        self.queues: dict[str, str] = {}
        self.fields: dict[tuple[FieldObject, str], tuple[str, FieldDef]] = {}
        self.cases: dict[str, str] = {}
        self.record_type_ids: dict[str, str] = {}

    def run(self) -> None:
        self.custom_fields()
        self.b.person_twins()
        self.record_types()
        self.organizations()
        self.people()
        self.relations()
        self.schedules()
        self.groups()
        self.rules()
        self.sla_setup()
        self.tickets()
        self.milestones()

    # --- metadata ----------------------------------------------------------------------

    def custom_fields(self) -> None:
        native = (
            ("Account", FieldSpec("Tags__c", "textarea", label="Tags", length=131072, custom=True)),
            (
                "Account",
                FieldSpec("Domains__c", "textarea", label="Domains", length=32768, custom=True),
            ),
            ("Contact", FieldSpec("Tags__c", "textarea", label="Tags", length=131072, custom=True)),
            (
                "Contact",
                FieldSpec("Suspended__c", "boolean", label="Suspended", custom=True, default=False),
            ),
            ("Case", FieldSpec("Tags__c", "textarea", label="Tags", length=131072, custom=True)),
        )
        for sobject, spec in native:
            self.b.objects[sobject].add(spec)
        for field in self.desk.fields:
            sobject = _OBJECTS[field.object]
            name = key_to_api_name(field.key)
            target = _LOOKUP_OBJECTS.get(field.references) if field.references else None
            target = target or FOREIGN_LOOKUPS.get(field.key)
            length = 0
            if target is not None:
                # A custom lookup: ``reference`` to one object, its relationship ``X__r``
                # (Object Reference: Relationships Among Objects; recorded describes).
                self.b.objects[sobject].add(
                    FieldSpec(
                        name,
                        "reference",
                        label=field.title,
                        length=18,
                        reference_to=(target,),
                        relationship_name=name[:-3] + "__r",
                        custom=True,
                        help_text=field.description or None,
                    )
                )
            else:
                kind, length, scale = _FIELD_TYPES[field.type]
                self.b.objects[sobject].add(
                    FieldSpec(
                        name,
                        kind,
                        label=field.title,
                        length=length,
                        scale=scale,
                        precision=18 if kind == "double" else 0,
                        picklist=tuple(o.value for o in field.options),
                        picklist_labels=tuple(o.name for o in field.options),
                        restricted=kind in ("picklist", "multipicklist"),
                        custom=True,
                        default=False if kind == "boolean" else None,
                        # A formula field: ``calculated``, never createable nor updateable.
                        formula=field.formula or None if field.read_only else None,
                        createable=not field.read_only,
                        updateable=not field.read_only,
                    )
                )
            self.fields[(field.object, field.key)] = (name, field)
            field_id = self.b.new_id("00N")
            self.b.tooling["CustomField"][field_id] = {
                "Id": field_id,
                "DeveloperName": name[:-3],
                "TableEnumOrId": sobject,
                "FullName": f"{sobject}.{name}",
                "NamespacePrefix": None,
                "Description": field.description,
                "Length": length or None,
                "CreatedDate": _stamp(field.created_at),
                "LastModifiedDate": _stamp(field.updated_at),
                "IsDeleted": False,
            }

    def record_types(self) -> None:
        """Each ticket form is a Case record type offering the Status, Origin and Type values
        its tickets use (in the picklist's order; ``New`` always), so every record type has
        its own subset, as service orgs' record types do."""
        used: dict[str, dict[str, set[str]]] = {}
        for ticket in self.desk.tickets:
            if ticket.form is None:
                continue
            values = used.setdefault(
                ticket.form.id, {"Status": {"New"}, "Origin": set(), "Type": set()}
            )
            values["Status"].add(STATUSES[ticket.status])
            values["Origin"].add(ORIGINS[ticket.channel])
            if ticket.type:
                values["Type"].add(TYPES[ticket.type.value])
        case = self.b.objects["Case"]
        for form in self.desk.ticket_forms:
            offered = used.get(form.id, {})
            self.record_type_ids[form.id] = self.b.add_record_type(
                "Case",
                form.name[:80],
                values={
                    name: tuple(v for v in case.fields[name].picklist if v in chosen)
                    for name, chosen in offered.items()
                },
                active=form.active,
                description=(form.display_name or None),
                created=_stamp(form.created_at),
            )

    def values(self, owner: FieldObject, custom: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in custom.items():
            found = self.fields.get((owner, key))
            if found is None or value is None:
                continue
            name, field = found
            if field.type is FieldType.LOOKUP:
                out[name] = self.lookup_id(field, str(value))
            elif field.type is FieldType.MULTISELECT and isinstance(value, tuple | list):
                out[name] = ";".join(str(v) for v in value)
            elif field.type in (FieldType.INTEGER, FieldType.DECIMAL):
                out[name] = float(value)
            elif field.type is FieldType.CHECKBOX:
                out[name] = bool(value)
            else:
                out[name] = str(value)
        return out

    def lookup_id(self, field: FieldDef, value: str) -> str | None:
        """The org's id of the record a lookup value (the desk's id) names."""
        found = (
            {
                Kind.USER: self.contacts,
                Kind.ORGANIZATION: self.accounts,
                Kind.TICKET: self.cases,
                Kind.GROUP: self.queues,
            }.get(field.references)
            if field.references
            else None
        )
        return None if found is None else found.get(value)

    # --- people and organizations --------------------------------------------------------

    def organizations(self) -> None:
        for org in self.desk.organizations:
            values = {
                "Name": org.name,
                "Description": org.details or None,
                "Website": org.domains[0] if org.domains else None,
                "Domains__c": "\n".join(org.domains[1:]) or None,
                "Tags__c": " ".join(org.tags) or None,
                **self.values(FieldObject.ORGANIZATION, dict(org.custom_fields)),
            }
            self.accounts[org.id] = self.b.put(
                "Account",
                values,
                created=_stamp(org.created_at),
                modified=_stamp(org.updated_at),
            )

    def people(self) -> None:
        profiles = self.b.profiles
        for user in self.desk.users:
            first, last = _split(user.name)
            created, modified = _stamp(user.created_at), _stamp(user.updated_at)
            self.emails[user.id] = user.email
            if user.role is Role.END_USER:
                phones = _phones(user)
                values = {
                    "FirstName": first,
                    "LastName": last,
                    "Email": user.email,
                    "Phone": phones[0],
                    "MobilePhone": phones[1],
                    "OtherPhone": phones[2],
                    "AccountId": self.accounts.get(user.organization.id)
                    if user.organization
                    else None,
                    "Tags__c": " ".join(user.tags) or None,
                    "Suspended__c": user.suspended,
                    **self.values(FieldObject.USER, dict(user.custom_fields)),
                }
                if self.b.person_accounts and user.organization is None:
                    self.contacts[user.id] = self.person(values, created, modified, user.deleted)
                    continue
                self.contacts[user.id] = self.b.put(
                    "Contact", values, created=created, modified=modified, deleted=user.deleted
                )
            else:
                profile = "System Administrator" if user.role is Role.ADMIN else "Standard User"
                email = user.email or f"user{user.id}@{SUPPORT_DOMAIN}"
                values = {
                    "Username": email.lower(),
                    "FirstName": first,
                    "LastName": last,
                    "Email": email,
                    "Alias": ((first or "")[:1] + last)[:8].lower(),
                    "ProfileId": profiles[profile],
                    "IsActive": not (user.suspended or user.deleted),
                    "UserType": "Standard",
                    "TimeZoneSidKey": user.time_zone,
                    "LocaleSidKey": user.locale.replace("-", "_"),
                    "EmailEncodingKey": "UTF-8",
                    "LanguageLocaleKey": user.locale.replace("-", "_"),
                    "Phone": user.phone,
                }
                self.users[user.id] = self.b.put("User", values, created=created, modified=modified)

    def person(
        self, values: dict[str, Any], created: str | None, modified: str | None, deleted: bool
    ) -> str:
        """An end user without an organization in an org with Person Accounts: a Person
        Account (its person fields from the contact's values) whose person contact also
        holds the contact's custom fields; the contact's id (what cases name)."""
        account = self.b.put(
            "Account",
            {
                "RecordTypeId": self.b.person_record_type,
                "FirstName": values["FirstName"],
                "LastName": values["LastName"],
                "PersonEmail": values["Email"],
                "Phone": values["Phone"],
                "PersonMobilePhone": values["MobilePhone"],
                "PersonOtherPhone": values["OtherPhone"],
            },
            created=created,
            modified=modified,
            deleted=deleted,
        )
        row = self.b.rows["Account"][account]
        self.b.make_person(row)
        contact = self.b.rows["Contact"][row["PersonContactId"]]
        contact.update({k: v for k, v in values.items() if k.endswith("__c")})
        row.update({k[:-3] + "__pc": v for k, v in values.items() if k.endswith("__c")})
        contact["IsDeleted"] = deleted
        contact["LastModifiedDate"] = contact["SystemModstamp"] = modified or created
        return str(contact["Id"])

    def relations(self) -> None:
        """Contacts to Multiple Accounts, switched on when the desk has memberships: every
        contact with an account has its direct relation, other memberships are indirect."""
        if not self.desk.organization_memberships:
            return
        made: set[tuple[str, str]] = set()
        for user in self.desk.users:
            contact = self.contacts.get(user.id)
            account = self.accounts.get(user.organization.id) if user.organization else None
            if contact and account and not user.deleted:
                made.add((account, contact))
                self.b.put(
                    "AccountContactRelation",
                    {
                        "AccountId": account,
                        "ContactId": contact,
                        "IsActive": True,
                        "IsDirect": True,
                    },
                )
        for membership in self.desk.organization_memberships:
            contact = self.contacts.get(membership.user.id)
            account = self.accounts.get(membership.organization.id)
            if contact and account and (account, contact) not in made:
                made.add((account, contact))
                self.b.put(
                    "AccountContactRelation",
                    {"AccountId": account, "ContactId": contact, "IsActive": True},
                    created=_stamp(membership.created_at),
                )

    def schedules(self) -> None:
        """Business hours (the days a schedule is open, one interval a day) and all-day
        holidays, which an org links to business hours in Setup, out of the API's sight."""
        for schedule in self.desk.schedules:
            values: dict[str, Any] = {
                "Name": schedule.name[:80],
                "IsActive": True,
                "IsDefault": schedule.default,
                "TimeZoneSidKey": schedule.time_zone,
            }
            for interval in schedule.intervals:
                day, start = divmod(interval.start, 24 * 60)
                end = min(interval.end - day * 24 * 60, 24 * 60) % (24 * 60)
                if day < len(WEEKDAYS) and f"{WEEKDAYS[day]}StartTime" not in values:
                    values[f"{WEEKDAYS[day]}StartTime"] = (
                        f"{start // 60:02d}:{start % 60:02d}:00.000Z"
                    )
                    values[f"{WEEKDAYS[day]}EndTime"] = f"{end // 60:02d}:{end % 60:02d}:00.000Z"
            self.b.put("BusinessHours", values, created=_stamp(schedule.created_at))
            for holiday in schedule.holidays:
                moment = datetime.fromisoformat(holiday.start_date)
                last = datetime.fromisoformat(holiday.end_date)
                while moment <= last:
                    self.b.put(
                        "Holiday",
                        {
                            "Name": holiday.name[:80],
                            "ActivityDate": moment.date().isoformat(),
                            "IsAllDay": True,
                        },
                    )
                    moment += timedelta(days=1)

    def groups(self) -> None:
        for group in self.desk.groups:
            if group.deleted:
                continue
            queue = self.b.put(
                "Group",
                {"Name": group.name[:40], "Type": "Queue"},
                created=_stamp(group.created_at),
                modified=_stamp(group.updated_at),
            )
            self.queues[group.id] = queue
            self.b.put(
                "QueueSobject",
                {"QueueId": queue, "SobjectType": "Case"},
                created=_stamp(group.created_at),
            )
        for membership in self.desk.memberships:
            member = self.users.get(membership.user.id)
            home = self.queues.get(membership.group.id)
            if member and home:
                self.b.put(
                    "GroupMember",
                    {"GroupId": home, "UserOrGroupId": member},
                    created=_stamp(membership.created_at),
                )

    # --- assignment and escalation rules -----------------------------------------------

    def rules(self) -> None:
        """The ``AssignmentRules`` and ``EscalationRules`` metadata on Case, from the desk's
        routing: the *Standard Case Assignment* rule (the backend's ``AssignmentRule`` row)
        gets one entry per routing trigger (a trigger on creation that sets a group, its
        category condition as a criteria item, the group's queue by name), then the first
        entry again (a duplicate left behind, as in orgs edited by hand); the *Standard Case
        Escalation* rule escalates a Critical case still open an hour after creation to the
        queue of the desk's urgent-escalation trigger, and reminds the owner of a case left
        New for a day."""
        by_id = {field.id: name for (_, _), (name, field) in self.fields.items()}
        queue_names = {
            g.id: g.name[:40] for g in self.desk.groups if not g.deleted and g.id in self.queues
        }
        entries: list[dict[str, Any]] = []
        urgent_queue: str | None = None
        for rule in self.desk.rules:
            if rule.kind is not RuleKind.TRIGGER:
                continue
            groups = [str(a.value) for a in rule.actions if a.field == "group_id"]
            if not groups or groups[0] not in queue_names:
                continue
            if any(c.field == "priority" and c.value == "urgent" for c in rule.conditions_all):
                urgent_queue = urgent_queue or queue_names[groups[0]]
            created = any(
                c.field == "update_type" and c.value == "Create" for c in rule.conditions_all
            )
            items = [
                {
                    "field": f"Case.{by_id[c.field.removeprefix('custom_fields_')]}",
                    "operation": "equals",
                    "value": str(c.value),
                }
                for c in rule.conditions_all
                if c.field.removeprefix("custom_fields_") in by_id and c.operator == "is"
            ]
            if created and items:
                entries.append(
                    {
                        "assignedTo": queue_names[groups[0]],
                        "assignedToType": "Queue",
                        "criteriaItems": items,
                        "overrideExistingTeams": False,
                    }
                )
        if entries:
            entries.append(dict(entries[0]))
        self.b.metadata["AssignmentRules"] = {
            "case": {
                "fullName": "Case",
                "assignmentRule": [
                    {"fullName": "Standard Case Assignment", "active": True, "ruleEntry": entries}
                ],
            }
        }
        escalations: list[dict[str, Any]] = []
        if urgent_queue is not None:
            escalations.append(
                {
                    "businessHoursSource": "None",
                    "criteriaItems": [
                        {
                            "field": "Case.Priority",
                            "operation": "equals",
                            "value": PRIORITIES["urgent"],
                        },
                        {
                            "field": "Case.Status",
                            "operation": "notEqual",
                            "value": f"{STATUSES[Status.SOLVED]},{STATUSES[Status.CLOSED]}",
                        },
                    ],
                    "escalationAction": [
                        {
                            "assignedTo": urgent_queue,
                            "assignedToType": "Queue",
                            "minutesToEscalation": 60,
                            "notifyCaseOwner": True,
                        }
                    ],
                    "escalationStartTime": "CaseCreation",
                }
            )
        escalations.append(
            {
                "businessHoursSource": "None",
                "criteriaItems": [
                    {"field": "Case.Status", "operation": "equals", "value": STATUSES[Status.NEW]}
                ],
                "escalationAction": [{"minutesToEscalation": 1440, "notifyCaseOwner": True}],
                "escalationStartTime": "CaseLastModified",
            }
        )
        self.b.metadata["EscalationRules"] = {
            "case": {
                "fullName": "Case",
                "escalationRule": [
                    {
                        "fullName": "Standard Case Escalation",
                        "active": True,
                        "ruleEntry": escalations,
                    }
                ],
            }
        }

    # --- SLA -----------------------------------------------------------------------------

    def sla_setup(self) -> None:
        self.processes: dict[str, str] = {}
        self.entitlements: dict[str, str] = {}
        self.milestone_types = {
            metric: self.b.put(
                "MilestoneType",
                {
                    "Name": name,
                    "RecurrenceType": "recursChained"
                    if metric is SlaMetric.NEXT_REPLY_TIME
                    else "none",
                },
            )
            for metric, name in MILESTONES.items()
        }
        account = next(iter(self.accounts.values()), None)
        for policy in self.desk.sla_policies:
            process = self.b.put(
                "SlaProcess",
                {
                    "Name": policy.title,
                    "Description": policy.description or None,
                    "IsActive": policy.active,
                    "SobjectType": "Case",
                    "IsVersionDefault": True,
                    "VersionNumber": 1,
                },
                created=_stamp(policy.created_at),
                modified=_stamp(policy.updated_at),
            )
            self.processes[policy.id] = process
            if account is not None:
                self.entitlements[policy.id] = self.b.put(
                    "Entitlement",
                    {
                        "Name": f"{policy.title} support",
                        "AccountId": account,
                        "SlaProcessId": process,
                        "Status": "Active",
                        "StartDate": policy.created_at.date().isoformat()
                        if policy.created_at
                        else None,
                    },
                    created=_stamp(policy.created_at),
                )

    def milestones(self) -> None:
        open_: dict[tuple[str, SlaMetric], dict[str, Any]] = {}
        now = self.b.now()
        for event in self.desk.sla_events:
            case = self.cases.get(event.ticket.id)
            if case is None:
                continue
            key = (event.ticket.id, event.metric)
            if event.kind is SlaEventKind.APPLY:
                minutes = event.target_minutes or 0
                start = event.time
                if event.business_hours:
                    target = datetime.fromtimestamp(
                        add_business(int(start.timestamp()), minutes * 60), start.tzinfo
                    )
                else:
                    target = start + timedelta(minutes=minutes)
                row: dict[str, Any] = {
                    "CaseId": case,
                    "MilestoneTypeId": self.milestone_types[event.metric],
                    "StartDate": _stamp(start),
                    "TargetDate": _stamp(target),
                    "TargetResponseInMins": minutes,
                    "IsCompleted": False,
                    "IsViolated": False,
                    "CompletionDate": None,
                    "ElapsedTimeInMins": int((now - start).total_seconds() // 60),
                }
                id = self.b.put("CaseMilestone", row, created=_stamp(start))
                open_[key] = self.b.rows["CaseMilestone"][id]
            else:
                current = open_.get(key)
                if current is None:
                    continue
                if event.kind is SlaEventKind.BREACH:
                    current["IsViolated"] = True
                elif event.kind is SlaEventKind.FULFILL:
                    current["IsCompleted"] = True
                    current["CompletionDate"] = _stamp(event.time)
                    began = str(current["StartDate"]).replace("+0000", "+00:00")
                    elapsed = event.time - datetime.fromisoformat(began)
                    current["ElapsedTimeInMins"] = int(elapsed.total_seconds() // 60)
                    open_.pop(key)
                current["LastModifiedDate"] = current["SystemModstamp"] = _stamp(event.time)

    # --- tickets -------------------------------------------------------------------------

    def tickets(self) -> None:
        policies = {
            e.ticket.id: e.policy.id
            for e in self.desk.sla_events
            if e.policy is not None and e.kind is SlaEventKind.APPLY
        }
        for ticket in self.desk.tickets:
            self.case(ticket, policies.get(ticket.id))

    def owner(self, ticket: Ticket) -> str:
        if ticket.assignee is not None and ticket.assignee.id in self.users:
            return self.users[ticket.assignee.id]
        if ticket.group is not None and ticket.group.id in self.queues:
            return self.queues[ticket.group.id]
        return self.b.admin_id

    def case(self, ticket: Ticket, policy: str | None) -> None:
        requester = ticket.requester.id if ticket.requester else None
        contact = self.contacts.get(requester) if requester else None
        author = self.users.get(ticket.submitter.id) if ticket.submitter else None
        status = STATUSES[ticket.status]
        values = {
            "Subject": ticket.subject[:255],
            "Description": ticket.description[:32000],
            "Status": status,
            "Priority": PRIORITIES[ticket.priority.value] if ticket.priority else None,
            "Type": TYPES[ticket.type.value] if ticket.type else None,
            "Origin": ORIGINS[ticket.channel],
            "ContactId": contact,
            "AccountId": self.accounts.get(ticket.organization.id) if ticket.organization else None,
            "OwnerId": self.owner(ticket),
            "SuppliedEmail": None if contact else self.emails.get(requester or ""),
            "ClosedDate": _stamp(ticket.solved_at) if status in ("Resolved", "Closed") else None,
            "Tags__c": " ".join(ticket.tags) or None,
            "EntitlementId": self.entitlements.get(policy) if policy else None,
            "RecordTypeId": self.record_type_ids.get(ticket.form.id) if ticket.form else None,
            **self.values(FieldObject.TICKET, dict(ticket.custom_fields)),
        }
        case = self.b.put(
            "Case",
            values,
            created=_stamp(ticket.created_at),
            modified=_stamp(ticket.updated_at),
            created_by=author or self.b.admin_id,
            deleted=ticket.deleted,
        )
        self.cases[ticket.id] = case
        for comment in ticket.comments:
            author_id = comment.author.id if comment.author else None
            agent = self.users.get(author_id) if author_id else None
            when = _stamp(comment.created_at)
            linked = case
            if comment.public and comment.channel is Channel.EMAIL:
                incoming = agent is None
                from_address = self.emails.get(author_id or "") or f"support@{SUPPORT_DOMAIN}"
                message = self.b.put(
                    "EmailMessage",
                    {
                        "ParentId": case,
                        "RelatedToId": case,
                        "Subject": ticket.subject[:3000],
                        "TextBody": comment.body_plain[:32000],
                        "HtmlBody": comment.body_html[:32000],
                        "FromAddress": from_address,
                        "ToAddress": f"support@{SUPPORT_DOMAIN}"
                        if incoming
                        else self.emails.get(requester or ""),
                        "Incoming": incoming,
                        "MessageDate": when,
                        "Status": "1" if incoming else "3",
                        "HasAttachment": bool(comment.attachments),
                    },
                    created=when,
                    created_by=agent or self.b.admin_id,
                    deleted=ticket.deleted,
                )
                linked = message
            elif comment.public and agent is None:
                contact_id = self.contacts.get(author_id or "") or author_id or "unknown"
                body = f"[Originally by {contact_id} at {when}]\n{comment.body_plain}"
                self.comment(case, body, True, when, self.b.admin_id, ticket.deleted)
            else:
                self.comment(
                    case,
                    comment.body_plain,
                    comment.public,
                    when,
                    agent or self.b.admin_id,
                    ticket.deleted,
                )
            for attachment in comment.attachments:
                self.file(attachment, linked, when, agent or self.b.admin_id, ticket.deleted)

    def comment(
        self, case: str, body: str, public: bool, when: str | None, by: str, deleted: bool
    ) -> None:
        if len(body.encode("utf-8")) > CASE_COMMENT_BYTES:
            self.b.put(
                "FeedItem",
                {
                    "ParentId": case,
                    "Body": body[:10000],
                    "Type": "TextPost",
                    "Visibility": "AllUsers" if public else "InternalUsers",
                },
                created=when,
                created_by=by,
                deleted=deleted,
            )
            return
        self.b.put(
            "CaseComment",
            {"ParentId": case, "CommentBody": body, "IsPublished": public},
            created=when,
            created_by=by,
            deleted=deleted,
        )

    def file(
        self, attachment: Attachment, linked: str, when: str | None, by: str, deleted: bool
    ) -> None:
        name = attachment.file_name
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else None
        version = self.b.new_id("068")
        document = self.b.new_id("069")
        common = {
            "Title": name.rsplit(".", 1)[0],
            "FileExtension": extension,
            "FileType": (extension or "UNKNOWN").upper(),
            "ContentSize": attachment.size,
        }
        self.b.put(
            "ContentVersion",
            {
                **common,
                "ContentDocumentId": document,
                "PathOnClient": name,
                "VersionData": self.b.version_data_url(version),
                "FirstPublishLocationId": linked,
                "Checksum": None,
                "IsLatest": True,
                "VersionNumber": "1",
            },
            id=version,
            created=when,
            created_by=by,
        )
        self.b.put(
            "ContentDocument",
            {**common, "LatestPublishedVersionId": version},
            id=document,
            created=when,
            created_by=by,
        )
        self.b.put(
            "ContentDocumentLink",
            {
                "ContentDocumentId": document,
                "LinkedEntityId": linked,
                "ShareType": "I",
                "Visibility": "AllUsers",
            },
            created=when,
            created_by=by,
            deleted=deleted,
        )
        desk = self.desk
        self.b.blobs[version] = lambda: desk.blob(attachment)
        self.b.mark_checksum_pending(version)
