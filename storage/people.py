"""People's segment values as HR imported them (`pulse people import`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import PersonSegment


def set_values(
    session: Session, *, workspace_id: int, values: Mapping[str, Mapping[str, str | None]]
) -> int:
    """For each Slack user id, set (or with None, clear) the given attributes' values;
    attributes not given keep theirs. Returns how many stored values changed."""
    users = list(values)
    current = {
        (row.slack_user_id, row.attribute): row
        for start in range(0, len(users), 500)
        for row in session.exec(
            select(PersonSegment).where(
                PersonSegment.workspace_id == workspace_id,
                col(PersonSegment.slack_user_id).in_(users[start : start + 500]),
            )
        )
    }
    changed = 0
    for user, attributes in values.items():
        for attribute, value in attributes.items():
            row = current.get((user, attribute))
            if value is None:
                if row is not None:
                    session.exec(
                        delete(PersonSegment).where(
                            col(PersonSegment.workspace_id) == workspace_id,
                            col(PersonSegment.slack_user_id) == user,
                            col(PersonSegment.attribute) == attribute,
                        )
                    )
                    changed += 1
            elif row is None:
                session.add(
                    PersonSegment(
                        workspace_id=workspace_id,
                        slack_user_id=user,
                        attribute=attribute,
                        value=value,
                    )
                )
                changed += 1
            elif row.value != value:
                row.value = value
                session.add(row)
                changed += 1
    session.flush()
    return changed


def values_of(session: Session, *, workspace_id: int) -> dict[str, dict[str, str]]:
    """Slack user id -> attribute -> stored value, for the whole workspace."""
    out: dict[str, dict[str, str]] = {}
    for row in session.exec(
        select(PersonSegment).where(PersonSegment.workspace_id == workspace_id)
    ):
        out.setdefault(row.slack_user_id, {})[row.attribute] = row.value
    return out
