"""The password policy: long enough, not the account's name, not a well-known password.

Applied where an administrator sets a password (``citypatrol-server user add`` and ``user
reset``); the demo accounts (``--demo``, loopback only) are the one exception. Length is the
rule that matters most (NIST SP 800-63B: no composition rules, a list of known passwords).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

MIN_LENGTH: Final = 10
_NAME_CONTAINED = 4
_COMMON_FILE = Path(__file__).with_name("common-passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (its source is named in the file), lower-cased."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` is refused for ``username``, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"the password is too short: at least {MIN_LENGTH} characters"
    folded, name = password.casefold(), username.strip().casefold()
    # Contained, for names long enough to matter ("li" is in many a good password).
    if name and (folded == name or (len(name) >= _NAME_CONTAINED and name in folded)):
        return "the password must not contain the user name"
    if folded in common_passwords():
        return "the password is a well-known one: choose another"
    return None


def check_password(username: str, password: str) -> None:
    """ValueError (the administration commands print it) unless the policy accepts it."""
    problem = password_problem(username, password)
    if problem is not None:
        raise ValueError(problem)
