"""Domain errors carry a reason a person can read, in Chinese and in English.

The library never imports Qt, so it cannot use Qt's translation machinery; instead every
message is written in both languages here and the UI picks one with :meth:`Message.text`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One human-readable sentence in both supported languages."""

    zh: str
    en: str

    def text(self, language: str = "en") -> str:
        """The message in ``language`` (a locale name such as ``zh_CN`` or ``en``)."""
        return self.zh if language.lower().startswith("zh") else self.en

    def __str__(self) -> str:
        return f"{self.en} / {self.zh}"


class CityPatrolError(Exception):
    """Base of the errors the app reports to a person: a stable ``code`` and a bilingual message."""

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message

    def text(self, language: str = "en") -> str:
        return self.message.text(language)


class DomainError(CityPatrolError):
    """A rule of the domain was broken."""


class TransitionError(DomainError):
    """A workflow transition that the case lifecycle does not allow."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """A validation failure attached to one field of a case, for display next to that field."""

    field: str
    code: str
    message: Message


class ValidationError(DomainError):
    """A case that breaks one or more validation rules; ``errors`` lists them per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0].message if errors else Message("数据无效", "Invalid data")
        summary = Message(
            "；".join(e.message.zh for e in errors) or first.zh,
            "; ".join(e.message.en for e in errors) or first.en,
        )
        super().__init__("invalid_case", summary)
