"""The year-end assessment's settings on the server: ``citypatrol-server assessment weights``
sets one year's (checked by app.domain.assessment), and every laptop receives them through
the feed (kind ``assessment``). The feed entries are the record: the latest for a year wins."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.assessment import read_settings, settings_document
from app.domain.contract import AssessmentPayload, FeedKind
from app.domain.errors import DomainError, Message
from server.feed import append_feed
from server.models import FeedEntry


def set_weights(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    if not 2000 <= args.year <= 2100:
        raise DomainError("invalid_year", Message("年份无效", "not a year"))
    below = None if str(args.criticise_below).lower() in ("", "none") else args.criticise_below
    settings = read_settings(
        {
            "weights": {
                "on_time": args.on_time,
                "closure": args.closure,
                "rework": args.rework,
                "sign_for": args.sign_for,
                "inspection": args.inspection,
            },
            "criticise_below": below,
            "criticise_last": args.criticise_last,
            "payment": {
                "full_at": args.payment_full_at,
                "per_point": args.payment_per_point,
                "most": args.payment_most,
            },
            "sign_for_hours": args.sign_for_hours,
        }
    )
    document = settings_document(settings)
    payload: AssessmentPayload = {"year": args.year, "settings": document}
    append_feed(session, FeedKind.ASSESSMENT, f"assessment-{args.year}", payload)
    return document


def all_settings(session: Session, year: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """The settings in force for each year (the latest entry of each)."""
    latest: dict[int, dict[str, Any]] = {}
    for payload in session.scalars(
        select(FeedEntry.payload)
        .where(FeedEntry.kind == FeedKind.ASSESSMENT.value)
        .order_by(FeedEntry.seq)
    ):
        latest[int(payload["year"])] = payload["settings"]
    return sorted((y, d) for y, d in latest.items() if year is None or y == year)
