"""The local store: SQLAlchemy models, migrations, the case store API and the photo folder.

No Qt here: the GUI, the CLI and the tests all use this package directly.
"""

from app.storage.db import StoreError
from app.storage.states import DeliveryState, OutboxEntity, OutboxState
from app.storage.store import CaseQuery, CaseRow, Changes, Created, LocalStore, Page

__all__ = [
    "CaseQuery",
    "CaseRow",
    "Changes",
    "Created",
    "DeliveryState",
    "LocalStore",
    "OutboxEntity",
    "OutboxState",
    "Page",
    "StoreError",
]
