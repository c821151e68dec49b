"""The admin's settings of the year-end assessment (年终考核) and of contractors' payment.

Set on the server per year (``citypatrol-server assessment weights --year YYYY …``) and sent to
every laptop through the feed (kind ``assessment``); a year without settings uses
:data:`DEFAULT_SETTINGS`. Keeping them per year is what makes a past year recompute
identically: changing next year's weights never touches last year's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.domain.errors import DomainError, Message
from app.domain.scoring import Component, Weights


@dataclass(frozen=True, slots=True)
class PaymentRule:
    """市场化保洁: full payment at ``full_at`` % or above, ``per_point`` % less per point below,
    at most ``most`` % withheld (app.domain.scoring.payment_deduction)."""

    full_at: Decimal = Decimal(90)
    per_point: Decimal = Decimal(1)
    most: Decimal = Decimal(30)


@dataclass(frozen=True, slots=True)
class AssessmentSettings:
    weights: Weights = field(
        default_factory=lambda: Weights(
            {
                Component.ON_TIME: 30,
                Component.CLOSURE: 20,
                Component.REWORK: 10,
                Component.SIGN_FOR: 10,
                Component.INSPECTION: 30,
            }
        )
    )
    #: Units scoring below this are listed for 通报批评 (None: no threshold).
    criticise_below: Decimal | None = Decimal(60)
    #: The last N ranked are listed for 通报批评 too (0: none).
    criticise_last: int = 1
    payment: PaymentRule = field(default_factory=PaymentRule)
    #: The sign-for limit the year's 签收及时率 is measured with, in whole hours (1–72).
    sign_for_hours: int = 2


DEFAULT_SETTINGS = AssessmentSettings()


def settings_document(settings: AssessmentSettings) -> dict[str, Any]:
    return {
        "weights": {str(c): w for c, w in settings.weights.values.items()},
        "criticise_below": None
        if settings.criticise_below is None
        else str(settings.criticise_below),
        "criticise_last": settings.criticise_last,
        "payment": {
            "full_at": str(settings.payment.full_at),
            "per_point": str(settings.payment.per_point),
            "most": str(settings.payment.most),
        },
        "sign_for_hours": settings.sign_for_hours,
    }


def read_settings(raw: Any) -> AssessmentSettings:
    """Settings from their JSON (:func:`settings_document`), or a DomainError saying why not."""
    try:
        weights = Weights({Component(k): int(v) for k, v in dict(raw["weights"]).items()})
        below = raw.get("criticise_below")
        payment = raw.get("payment") or {}
        last = int(raw.get("criticise_last", 0))
        if last < 0:
            raise ValueError(last)
        # Settings written before the limit was one of them: the 2 hours used then.
        hours = int(raw.get("sign_for_hours", 2))
        if not 1 <= hours <= 72:
            raise ValueError(f"sign_for_hours {hours} is not 1 to 72")
        return AssessmentSettings(
            weights=weights,
            criticise_below=None if below is None else Decimal(str(below)),
            criticise_last=last,
            payment=PaymentRule(
                Decimal(str(payment.get("full_at", 90))),
                Decimal(str(payment.get("per_point", 1))),
                Decimal(str(payment.get("most", 30))),
            ),
            sign_for_hours=hours,
        )
    except DomainError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise DomainError(
            "invalid_assessment_settings",
            Message(f"考核设置无效：{exc}", f"invalid assessment settings: {exc}"),
        ) from exc
