"""How values read on screen: one function per kind of value, used by every window.

Qt-free apart from the translated "Unexpected error" and the two QDateTime conversions at the
end, so the words a window shows are the words a test can compute.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime

from app.domain.errors import CityPatrolError
from app.domain.lifecycle import ACTION_NAMES, ROLE_NAMES, STATUS_NAMES, Action, CaseStatus, Role
from app.domain.taxonomy import Taxonomy

#: What a figure without a value (a rate with no denominator) shows.
NO_VALUE = "—"


def action_text(action: Action | str, language: str) -> str:
    """The action's name in ``language``, capitalised in English (for buttons and titles)."""
    try:
        text = ACTION_NAMES[Action(action)].text(language)
    except ValueError:
        return str(action)
    return text[:1].upper() + text[1:]


def status_text(status: CaseStatus | str, language: str) -> str:
    try:
        return STATUS_NAMES[CaseStatus(status)].text(language)
    except ValueError:
        return str(status)


def role_text(role: str, language: str) -> str:
    try:
        return ROLE_NAMES[Role(role)].text(language)
    except ValueError:
        return role


def error_text(exc: BaseException, language: str) -> str:
    """An error in words: the bilingual text of our own errors, else the exception's message
    (its type when it has none, so a failure never shows as an empty line)."""
    if isinstance(exc, CityPatrolError):
        return exc.text(language)
    return str(exc) or type(exc).__name__


def unexpected_error_text(exc: BaseException, language: str) -> str:
    """A failure as a window reports it on its own: our own errors in their bilingual words,
    anything else as "Unexpected error: …" (in the translation context ``ErrorText``), so a
    bug reads as one and not as a refusal."""
    if isinstance(exc, CityPatrolError):
        return exc.text(language)
    return QCoreApplication.translate("ErrorText", "Unexpected error: %1").replace(
        "%1", error_text(exc, language)
    )


def reason_text(raw: str | dict[str, Any] | None, language: str) -> str:
    """A refusal reason (``{"code","zh","en"}``, or that as JSON text) in ``language``.

    Text that is not such JSON is shown as it is.
    """
    if not raw:
        return ""
    if isinstance(raw, dict):
        reason: Any = raw
    else:
        try:
            reason = json.loads(raw)
        except ValueError:
            return raw
    if not isinstance(reason, dict):
        return str(raw)
    zh = language.lower().startswith("zh")
    text = reason.get("zh" if zh else "en") or reason.get("en" if zh else "zh") or ""
    return str(text or reason.get("code") or "")


def category_text(taxonomy: Taxonomy, code: str | None, language: str) -> str:
    """``"06010 暴露垃圾"``; an unknown code as it is, none as ""."""
    category = taxonomy.matter(code or "")
    if category is None:
        return code or ""
    return f"{category.code} {category.display_name(language)}"


def local_time(value: datetime) -> str:
    """An instant in this computer's time zone, to the minute (lists, histories, deadlines)."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def local_seconds(value: datetime | None) -> str:
    """An instant in this computer's time zone, to the second ("" for none): delivery records,
    where two attempts a few seconds apart must read apart."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def percent(fraction: float) -> str:
    """The part of a time limit used: ``0.853`` → ``"85"`` (a limit of no length, deadline at or
    before the start: "—")."""
    if not math.isfinite(fraction):
        return NO_VALUE
    return str(round(max(fraction, 0.0) * 100))


def rate_text(rate: float | None) -> str:
    """An indicator's rate: ``0.8754`` → ``87.5%``; ``None`` (no denominator) → ``—``."""
    return NO_VALUE if rate is None else f"{rate * 100:.1f}%"


def to_qdatetime(value: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(value.timestamp()))


def from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)
