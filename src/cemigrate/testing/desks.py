"""Demo desks shaped for a test: the generated desk without the account details it holds.

The demo data set (:func:`cemigrate.sandbox.dataset.generate`) gives every desk brands, ticket
forms, custom statuses, schedules, organization memberships, secondary identities, people's
details and how each ticket and comment arrived. A test that builds its own such records on
top of a generated desk starts from :func:`plain_desk`, so what it checks is only what it
added.
"""

from __future__ import annotations

import attrs

from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.schema import Comment

__all__ = ["plain_desk", "text_without_image_markers"]


def plain_desk(desk: HelpDesk) -> HelpDesk:
    """``desk`` without brands, forms, custom statuses, schedules and organization memberships,
    with tickets naming none of them and keeping no recipient, via, due date, problem or
    comment metadata, users with only their primary e-mail and phone identities and none of
    the details beyond the basics, organizations without notes, external ids, group or
    sharing, and every group public. Inline images stay (they are part of the bodies)."""
    tickets = tuple(
        attrs.evolve(
            ticket,
            brand=None,
            form=None,
            custom_status=None,
            recipient=None,
            via={},
            due_at=None,
            problem=None,
            external_id=None,
            comments=tuple(attrs.evolve(c, metadata={}) for c in ticket.comments),
        )
        for ticket in desk.tickets
    )
    users = tuple(
        attrs.evolve(
            user,
            identities=tuple(i for i in user.identities if i.primary),
            external_id=None,
            default_group=None,
            custom_role=None,
            ticket_restriction=None,
            only_private_comments=False,
            alias="",
            signature="",
            details="",
            notes="",
        )
        for user in desk.users
    )
    organizations = tuple(
        attrs.evolve(
            org,
            notes="",
            external_id=None,
            group=None,
            shared_tickets=False,
            shared_comments=False,
        )
        for org in desk.organizations
    )
    return attrs.evolve(
        desk,
        brands=(),
        ticket_forms=(),
        custom_statuses=(),
        schedules=(),
        organization_memberships=(),
        tickets=tickets,
        users=users,
        organizations=organizations,
        groups=tuple(attrs.evolve(g, public=True) for g in desk.groups),
    )


def text_without_image_markers(text: str, comment: Comment) -> str:
    """``text`` (a migrated comment's plain body) without the markers that stand where the
    source comment showed its inline images (``[image: <file name>]``): a target derives its
    plain text from the rewritten HTML, so the marker shows there, while the source's plain
    text never held the image. Raises ``AssertionError`` when a marker is missing."""
    for attachment in comment.attachments:
        if attachment.inline:
            marker = f"[image: {attachment.file_name}]"
            assert marker in text, f"comment {comment.id}: no {marker} in the migrated text"
            text = text.replace(marker, "", 1)
    return text
