"""Validators: callables that accept a cleaned value or raise ValidationError.

Any callable taking the value works as a validator; the classes here are the
common ones, with messages a user can act on::

    username = CharField(validators=[RegexValidator(r"[a-z0-9_]+", "Lower-case letters, ...")])
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sized
from typing import Any

__all__ = [
    "EmailValidator",
    "MaxLengthValidator",
    "MaxValueValidator",
    "MinLengthValidator",
    "MinValueValidator",
    "RegexValidator",
    "ValidationError",
    "Validator",
    "validate_email",
]

#: A validator: called with the cleaned value, raises ValidationError to refuse it.
Validator = Callable[[Any], None]


class ValidationError(Exception):
    """A value (or a whole form) is invalid; carries one or more user-facing messages."""

    def __init__(self, message: str | list[str]) -> None:
        self.messages = [message] if isinstance(message, str) else list(message)
        super().__init__("; ".join(self.messages))


class MinLengthValidator:
    """Refuse values shorter than ``limit`` characters (or items)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: Sized) -> None:
        if len(value) < self.limit:
            raise ValidationError(f"Enter at least {self.limit} characters (it has {len(value)}).")


class MaxLengthValidator:
    """Refuse values longer than ``limit`` characters (or items)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: Sized) -> None:
        if len(value) > self.limit:
            raise ValidationError(f"Enter at most {self.limit} characters (it has {len(value)}).")


class MinValueValidator:
    """Refuse values below ``limit`` (numbers, dates: anything comparable)."""

    def __init__(self, limit: Any) -> None:
        self.limit = limit

    def __call__(self, value: Any) -> None:
        if value < self.limit:
            raise ValidationError(f"Enter a value of at least {self.limit}.")


class MaxValueValidator:
    """Refuse values above ``limit`` (numbers, dates: anything comparable)."""

    def __init__(self, limit: Any) -> None:
        self.limit = limit

    def __call__(self, value: Any) -> None:
        if value > self.limit:
            raise ValidationError(f"Enter a value of at most {self.limit}.")


class RegexValidator:
    """Refuse text that does not match ``pattern`` as a whole.

    Args:
        pattern: A regular expression (string or compiled), matched against
            the whole value.
        message: What the user is told; say what is expected.
    """

    def __init__(
        self, pattern: str | re.Pattern[str], message: str = "Enter a valid value."
    ) -> None:
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.message = message

    def __call__(self, value: str) -> None:
        if self.pattern.fullmatch(value) is None:
            raise ValidationError(self.message)


# The dot-atom local part of RFC 5322 (no quoted strings, no comments): what
# real sign-up forms accept.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class EmailValidator:
    """Refuse text that is not an e-mail address ``local@domain.tld``.

    The domain may be internationalized (checked in its IDNA form); the
    local part is an RFC 5322 dot-atom. Whether the mailbox exists is only
    known by sending to it.
    """

    message = "Enter a valid e-mail address."

    def __call__(self, value: str) -> None:
        local, at, domain = value.rpartition("@")
        if not at or len(value) > 254 or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
            raise ValidationError(self.message)
        # SECURITY: the IDNA codec silently drops invisible characters (zero-width
        # space, soft hyphen), so "exa\u200bmple.com" would pass as example.com
        # while the stored text differs; only visible characters are accepted.
        if any(unicodedata.category(ch)[0] in "CZ" for ch in domain):
            raise ValidationError(self.message)
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValidationError(self.message) from None
        labels = ascii_domain.split(".")
        if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
            raise ValidationError(self.message)
        if labels[-1].isdigit():
            raise ValidationError(self.message)


#: An :class:`EmailValidator` instance.
validate_email = EmailValidator()
