"""Signing in: ask the server, keep the token safe, record the account in the local store."""

from __future__ import annotations

from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.store import Account
from app.sync.client import ServerClient
from app.sync.credentials import CredentialStore


def sign_in(
    store: LocalStore, server_url: str, username: str, password: str
) -> tuple[Account, str]:
    """Sign in to ``server_url``; returns the account and where the token was kept."""
    with ServerClient(server_url) as client:
        result = client.login(username, password)
    where = CredentialStore(store.data_dir).save(server_url, username, result.token)
    previous = store.account()
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
        )
    )
    return account, where
