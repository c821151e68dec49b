"""The vocabularies of the outbox and the delivery ledger, in one place.

They are :class:`~enum.StrEnum` so they are stored as (and compare equal to) the plain strings
the database, older stores and the UI already hold: replacing a literal by its member changes
no behaviour. This module imports nothing from the store, so the models can use it for their
defaults (``tests/test_layering.py`` keeps bare copies of these strings out of the code).
"""

from __future__ import annotations

import enum


class DeliveryState(enum.StrEnum):
    """What the server has confirmed of a case, a photo or a track (the delivery ledger)."""

    PENDING = "pending"  # local changes (or the file) not yet confirmed
    SENDING = "sending"  # claimed by a push, or an upload exists on the server
    CONFIRMED = "confirmed"  # every change has the server's receipt (a photo: all its bytes)
    FAILED = "failed"  # a change or the photo was refused; ``delivery_error`` says why
    CONFLICT = "conflict"  # a change lost to the office's decision; kept for the inspector
    REMOTE = "remote"  # a photo of someone else's report, on the server, not downloaded yet
    UNAVAILABLE = "unavailable"  # such a photo the server will not give (gone, or not ours)


class OutboxState(enum.StrEnum):
    """Where one outbox entry is; nothing leaves ``pending``/``sending`` without a receipt."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"  # the server's receipt came back (applied, or a duplicate)
    FAILED = "failed"  # rejected: kept with the reason
    CONFLICT = "conflict"  # kept beside the server's version until the inspector resolves it
    RESOLVED = "resolved"  # replaced by the server's version, or withdrawn (a removed photo)


class OutboxEntity(enum.StrEnum):
    """What an outbox entry is about; how the sync sends it depends on this.

    A new kind of record that travels to the server (a handler's request, a scored inspection)
    is one more member here, queued with :func:`app.storage.changelog.enqueue`.
    """

    CASE = "case"  # an inspector's change to a case (pushed in batches, whole snapshots)
    PHOTO = "photo"  # a photo file (a resumable upload)
    DECISION = "decision"  # a supervisor's decision (sent one by one, in the order taken)
    TRACK = "track"  # a stopped patrol track
    SITE_CHECK = "site_check"  # a check recorded at a key site (a round done)
    INSPECTION = "inspection"  # a finished scored inspection (whole), or its publication
    INSPECTION_PHOTO = "inspection_photo"  # a deduction's photo (one request, whole file)


#: The photo role of a department's evidence of its handling (issue 15), beside the report's
#: "before" and the re-inspection's "after" photos (the server's tus ``role`` metadata).
HANDLED_PHOTO_ROLE = "handled"

#: Outbox states that still wait for the server.
OPEN_STATES = (OutboxState.PENDING, OutboxState.SENDING)
#: Outbox states that are settled for good (the server answered, or the change was withdrawn).
SETTLED_STATES = (OutboxState.SENT, OutboxState.RESOLVED)
#: Delivery states of a photo still to upload.
OPEN_DELIVERIES = (DeliveryState.PENDING, DeliveryState.SENDING)
#: Outbox entities of a case: an inspector's changes and a supervisor's decisions.
CASE_ENTITIES = (OutboxEntity.CASE, OutboxEntity.DECISION)
