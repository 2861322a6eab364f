"""Password validators: length, common passwords, similarity to the user, all-numeric.

Each validator returns a message saying what is wrong, or None::

    problems = validate_password("letmein", username="alice")
    # ['This password is too short: it must have at least 8 characters.',
    #  'This password is too common.']

:func:`validate_password` runs a list of them (:func:`default_validators` by
default) and returns every message, so a form shows all problems at once.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from importlib import resources
from typing import Protocol

__all__ = [
    "CommonPasswordValidator",
    "MinimumLengthValidator",
    "NumericPasswordValidator",
    "PasswordValidator",
    "UserAttributeSimilarityValidator",
    "default_validators",
    "validate_password",
]


class PasswordValidator(Protocol):
    """Checks one property of a password."""

    def __call__(self, password: str, user_values: Sequence[str]) -> str | None:
        """Return what is wrong with ``password``, or None when it passes.

        ``user_values`` are the user's own attributes (username, email).
        """
        ...


class MinimumLengthValidator:
    """Refuse passwords shorter than ``min_length`` characters."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def __call__(self, password: str, user_values: Sequence[str]) -> str | None:
        """Check the length."""
        if len(password) < self.min_length:
            return (
                f"This password is too short: it must have at least {self.min_length} characters."
            )
        return None


@functools.cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("fastcore.auth").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


class CommonPasswordValidator:
    """Refuse passwords from a list of common ones (case-insensitive).

    The bundled list (``common-passwords.txt.gz``, ~11,000 entries) holds
    the passwords attackers try first: number runs, keyboard walks, and
    common words and names with the usual suffixes (``1``, ``123``, ``!``,
    years). ``passwords`` replaces it.
    """

    def __init__(self, passwords: Iterable[str] | None = None) -> None:
        self.passwords = frozenset(p.lower() for p in passwords) if passwords is not None else None

    def __call__(self, password: str, user_values: Sequence[str]) -> str | None:
        """Look the password up."""
        known = self.passwords if self.passwords is not None else _common_passwords()
        if password.lower().strip() in known:
            return "This password is too common."
        return None


class UserAttributeSimilarityValidator:
    """Refuse passwords too similar to the username or email (ratio >= ``max_similarity``)."""

    def __init__(self, max_similarity: float = 0.7) -> None:
        self.max_similarity = max_similarity

    def __call__(self, password: str, user_values: Sequence[str]) -> str | None:
        """Compare with each attribute and with each of its word-like parts."""
        lowered = password.lower()
        for value in user_values:
            if not value:
                continue
            value = value.lower()
            parts = {value, *re.split(r"\W+", value)}
            for part in parts:
                if len(part) < 3:
                    continue
                if part in lowered or (
                    SequenceMatcher(a=lowered, b=part).ratio() >= self.max_similarity
                ):
                    return "This password is too similar to your username or email."
        return None


class NumericPasswordValidator:
    """Refuse passwords made only of digits."""

    def __call__(self, password: str, user_values: Sequence[str]) -> str | None:
        """Check for a non-digit."""
        if password.isdigit():
            return "This password is entirely numeric."
        return None


def default_validators() -> list[PasswordValidator]:
    """The standard set: length 8, common passwords, similarity, all-numeric."""
    return [
        MinimumLengthValidator(),
        CommonPasswordValidator(),
        UserAttributeSimilarityValidator(),
        NumericPasswordValidator(),
    ]


def validate_password(
    password: str,
    *,
    username: str = "",
    email: str = "",
    validators: Sequence[PasswordValidator] | None = None,
) -> list[str]:
    """Run the validators; return every problem found (empty when the password is fine)."""
    checks = default_validators() if validators is None else validators
    user_values = [value for value in (username, email) if value]
    return [message for check in checks if (message := check(password, user_values)) is not None]
