"""Accounts: adding them, their passwords, enabling and disabling them, ending their sessions.

Every change of an account reaches every client through the change feed (kind ``user``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, UserPayload
from app.domain.ids import new_id
from app.domain.lifecycle import Role
from server.accounts.auth import hash_password
from server.accounts.passwords import check_password
from server.feed import append_feed
from server.models import ApiToken, Department, User


def add_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    *,
    policy: bool = True,
    department: str | None = None,
    inspection_team: bool = False,
) -> User:
    """Add an account; its password must pass the policy (server.accounts.passwords) unless
    ``policy`` is False — only for the demo accounts, served on loopback only (server.api).

    A handler belongs to one department, by its code (``department``); no other role has one.
    Only an inspector can be in the inspection team (督导检查组, ``inspection_team``).
    """
    if not username.strip() or len(username) > 100:
        raise ValueError("a user name is 1 to 100 characters")
    if policy:
        check_password(username, password)
    elif not password:
        raise ValueError("the password is empty")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    department_id = _department_of(session, role, department)
    check_team(role, inspection_team)
    user = User(
        id=new_id(),
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password),
        disabled=False,
        created_at=datetime.now(UTC),
        department_id=department_id,
        inspection_team=inspection_team,
    )
    session.add(user)
    announce_user(session, user)
    return user


def _department_of(session: Session, role: Role, code: str | None) -> str | None:
    if role is not Role.HANDLER:
        if code is not None:
            raise ValueError(f"only a handler belongs to a department, not a {role.value}")
        return None
    if not code:
        raise ValueError("a handler needs its department: --department CODE")
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None or not department.active:
        raise ValueError(f"no active department with code {code!r}")
    return department.id


def check_team(role: Role, inspection_team: bool) -> None:
    if inspection_team and role is not Role.INSPECTOR:
        raise ValueError(f"only an inspector can be in the inspection team, not a {role.value}")


def announce_user(session: Session, user: User) -> None:
    """Tell every client about an account (name, role, enabled) through the change feed."""
    payload: UserPayload = {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": not user.disabled,
    }
    append_feed(session, FeedKind.USER, user.id, dict(payload))


def set_password(user: User, password: str) -> None:
    check_password(user.username, password)
    user.password_hash = hash_password(password)


def find_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise ValueError(f"no user {name!r}")
    return user


def end_sessions(session: Session, user: User) -> None:
    """Revoke every live token of ``user`` (disabled, or a new password)."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
