"""Passwords (Argon2id) and opaque bearer tokens stored only as hashes: signing in, sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from server.models import ApiToken, User

# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so a missing account costs the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The account, if it exists, is enabled and ``password`` is its password.

    Every refusal costs one Argon2 verification, so the time taken does not tell a missing or a
    disabled account from a wrong password (a disabled one used to answer 5× faster). Commits
    the caller's transaction before verifying (the user stays readable: no expiry on commit).
    """
    user = session.scalar(select(User).where(User.username == username))
    # End the read before Argon2's tens of milliseconds: on SQLite every transaction holds the
    # write lock from BEGIN, and sign-ins (and everything else) would queue behind the hash.
    session.commit()
    if user is None or user.disabled:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return user


def issue_token(session: Session, user: User, lifetime: timedelta) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    session.add(
        ApiToken(
            token_hash=token_digest(token), user_id=user.id, created_at=now, expires_at=expires
        )
    )
    return token, expires


_TOKENS = ApiToken.__table__
_USER_COLUMNS = {attr.key: attr.columns[0] for attr in inspect(User).column_attrs}
# One Core statement, built once (no ORM loading, no identity map): the token's row joined to
# its user's.
_TOKEN_USER = (
    select(
        _TOKENS.c.expires_at.label("token_expires_at"),
        _TOKENS.c.revoked_at.label("token_revoked_at"),
        _TOKENS.c.created_at.label("token_created_at"),
        _TOKENS.c.last_used_at.label("token_last_used_at"),
        *(column.label(key) for key, column in _USER_COLUMNS.items()),
    )
    .join_from(_TOKENS, User.__table__, _TOKENS.c.user_id == _USER_COLUMNS["id"])
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)


#: How precisely a token's last use is recorded: at most one write per token per this long.
LAST_USE_PRECISION = timedelta(hours=1)
#: Idle expiry when the caller names none (the default of Settings.token_idle_days).
DEFAULT_IDLE = timedelta(days=14)


def user_for_token(session: Session, token: str, idle: timedelta = DEFAULT_IDLE) -> User | None:
    """The user of a live bearer token, or None (unknown, revoked, expired, unused for longer
    than ``idle``, or user disabled).

    One query in the caller's transaction on every call. Nothing is cached: a logout, an
    expiry or a ``user disable`` (from any process or worker) takes effect on the very next
    request. The user comes back detached (as if loaded and then the session closed): it is
    read, never changed, and holds every column.
    """
    digest = token_digest(token)
    row = session.execute(_TOKEN_USER, {"token_hash": digest}).first()
    now = datetime.now(UTC)
    if row is None or row.token_revoked_at is not None or row.token_expires_at <= now:
        return None
    last_use = row.token_last_used_at or row.token_created_at
    if last_use <= now - idle:
        return None
    values = row._mapping
    if values["disabled"]:
        return None
    if last_use <= now - LAST_USE_PRECISION:
        # Cheap: one small UPDATE per token per hour, in the request's own transaction.
        session.execute(
            update(ApiToken).where(ApiToken.token_hash == digest).values(last_used_at=now)
        )
    user = User(**{key: values[key] for key in _USER_COLUMNS})
    make_transient_to_detached(user)
    return user


def revoke_token(session: Session, token: str) -> None:
    row = session.get(ApiToken, token_digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
