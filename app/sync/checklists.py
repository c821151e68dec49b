"""Publishing a checklist template from the app (an admin's editor): ``POST
/api/v1/checklists`` with the template's document, then the stored version kept on this
laptop at once — as its feed entry would (:func:`app.storage.checklists.store_template_version`)
— so the editor and the Inspections tab show it before the next sync.

A refusal says why in both languages: a document the server finds wrong
(:class:`~app.domain.checklists.ChecklistError` with every problem and its path, as the editor's
own check), a version already taken (:class:`ChecklistVersionError`, with the version it needs
now); offline or signed out is the :class:`~app.sync.errors.SyncError` of any request.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.checklists import (
    ChecklistError,
    ChecklistTemplate,
    Problem,
    parse_template,
    template_document,
)
from app.domain.errors import Message
from app.storage.checklists import store_template_version
from app.storage.rows import Changes
from app.storage.store import LocalStore
from app.sync.client import ServerClient
from app.sync.connection import load_connection
from app.sync.credentials import CredentialStore
from app.sync.errors import ErrorKind, SyncError, refusal


class ChecklistVersionError(SyncError):
    """The server has this template at ``latest`` already (with other content): the edit
    needs version ``latest + 1``."""

    def __init__(self, message: Message, latest: int) -> None:
        super().__init__(ErrorKind.CONFLICT, "checklist_version", message)
        self.latest = latest


@dataclass(frozen=True, slots=True)
class Published:
    #: The version the server stored (the one sent).
    template: ChecklistTemplate
    #: False when exactly this version was on the server already (nothing changed there).
    new: bool
    changes: Changes


def _not_signed_in() -> SyncError:
    return SyncError(
        ErrorKind.AUTH,
        "not_signed_in",
        Message("尚未登录服务器，请先登录", "Not signed in to a server; sign in first"),
    )


def send_template(
    client: ServerClient, template: ChecklistTemplate
) -> tuple[ChecklistTemplate, bool]:
    """Send ``template``; the version the server stored and whether it is new there."""
    response = client.send(
        "POST",
        "/api/v1/checklists",
        json=template_document(template),
        expect=frozenset({409, 422}),
    )
    body = response.json() if response.content else None
    if response.status_code in (409, 422):
        detail = body.get("detail") if isinstance(body, dict) else None
        detail = detail if isinstance(detail, dict) else {}
        _code, message = refusal(body, response.status_code, response.text[:300])
        if response.status_code == 409:
            latest = detail.get("latest")
            raise ChecklistVersionError(message, latest if isinstance(latest, int) else 0)
        problems = [
            Problem(str(p.get("path", "$")), Message(str(p.get("zh", "")), str(p.get("en", ""))))
            for p in detail.get("problems") or []
            if isinstance(p, dict)
        ]
        raise ChecklistError(problems or [Problem("$", message)])
    if not isinstance(body, dict) or not isinstance(body.get("document"), dict):
        raise SyncError(
            ErrorKind.RETRYABLE,
            "garbled",
            Message("服务器的回答无法解读", "The server's answer could not be read"),
        )
    return parse_template(body["document"]), body.get("outcome") == "applied"


def publish_template(store: LocalStore, template: ChecklistTemplate) -> Published:
    """Publish ``template`` with the signed-in account and keep the stored version here.
    Raises :class:`ChecklistError`, :class:`ChecklistVersionError` or :class:`SyncError`
    (offline, signed out, not an admin); nothing is stored here then."""
    account = store.account()
    if account is None:
        raise _not_signed_in()
    token = CredentialStore(store.data_dir).load(account.server_url, account.username)
    if not token:
        raise _not_signed_in()
    with ServerClient(
        account.server_url, token, connection=load_connection(store.data_dir)
    ) as client:
        stored, new = send_template(client, template)
    return Published(stored, new, store_template_version(store, stored))
