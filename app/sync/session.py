"""Signing in and out: ask the server, keep the token safe, record the account in the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.storage import LocalStore
from app.storage.handling import set_photos_needed
from app.storage.ledger import SyncLedger
from app.storage.store import Account
from app.sync.client import ServerClient
from app.sync.connection import ConnectionSettings, load_connection, save_connection
from app.sync.credentials import CredentialStore
from app.sync.errors import ErrorKind, SyncError

log = logging.getLogger("citypatrol.sync")


def sign_in(
    store: LocalStore,
    server_url: str,
    username: str,
    password: str,
    connection: ConnectionSettings | None = None,
) -> tuple[Account, str]:
    """Sign in to ``server_url``; returns the account and where the token was kept.

    ``connection`` (a CA bundle, plain HTTP allowed) is kept for later syncs when the sign-in
    succeeds; without it the stored one applies. The token of the previous sign-in is revoked
    on its server (another account's, or this account's older one), so a shared laptop keeps
    no live session of the one who left.
    """
    connection = connection or load_connection(store.data_dir)
    with ServerClient(server_url, connection=connection) as client:
        result = client.login(username, password)
    save_connection(store.data_dir, connection)
    previous = store.account()
    if previous is not None:
        # The session signed in before (another account's, or this one's older token after
        # the expired-session banner) ends on the server too, not only in the keyring.
        _revoke(store, previous, connection)
    where = CredentialStore(store.data_dir).save(server_url, username, result.token)
    if previous is not None and (
        previous.user_id != result.user.id or previous.server_url != server_url.rstrip("/")
    ):
        # Another account or server: its change feed starts from the beginning.
        SyncLedger(store).reset_cursor()
    account = store.set_account(
        Account(
            server_url=server_url.rstrip("/"),
            user_id=result.user.id,
            username=result.user.username,
            display_name=result.user.display_name,
            role=result.user.role,
            department_id=result.user.department_id,
            inspection_team=result.user.inspection_team,
        )
    )
    if result.user.after_photos_required is not None:
        set_photos_needed(store, result.user.after_photos_required)
    return account, where


@dataclass(frozen=True, slots=True)
class SignOut:
    #: The server revoked the token (False: it could not be reached or refused; the token was
    #: still forgotten here, and lapses on the server at its expiry).
    server_told: bool
    #: Someone was signed in at all.
    was_signed_in: bool
    reason: SyncError | None = None


def _revoke(store: LocalStore, account: Account, connection: ConnectionSettings) -> SignOut:
    credentials = CredentialStore(store.data_dir)
    token = credentials.load(account.server_url, account.username)
    told, reason = False, None
    if token:
        try:
            with ServerClient(account.server_url, token, connection=connection) as client:
                client.logout()
            told = True
        except SyncError as exc:
            # Offline, or the token had already expired: forget it here all the same.
            log.warning("the server was not told of the sign-out: %s", exc.message.en)
            # A 401 means the token was no longer valid there anyway.
            told, reason = exc.kind is ErrorKind.AUTH, exc
    credentials.delete(account.server_url, account.username)
    return SignOut(server_told=told, was_signed_in=True, reason=reason)


def sign_out(store: LocalStore) -> SignOut:
    """Revoke the token on the server (if it can be reached) and forget it and the account
    here. Nothing recorded locally is lost: unsent cases stay in the outbox for the next
    sign-in."""
    account = store.account()
    if account is None:
        return SignOut(server_told=False, was_signed_in=False)
    result = _revoke(store, account, load_connection(store.data_dir))
    store.clear_account()
    # Whoever signs in next (maybe someone else) reads the change feed from the start, as
    # after an account switch: the account they replace is no longer known to sign_in.
    SyncLedger(store).reset_cursor()
    return result
