"""The built-in tests (``{% if x is defined %}``), with Jinja's names and semantics."""

from __future__ import annotations

import operator
from collections import abc
from collections.abc import Callable
from numbers import Number
from typing import TYPE_CHECKING, Any

from .filters import pass_environment
from .runtime import Undefined

if TYPE_CHECKING:
    from .environment import Environment

__all__ = ["DEFAULT_TESTS"]


def test_odd(value: int) -> bool:
    """Tell whether the number is odd."""
    return value % 2 == 1


def test_even(value: int) -> bool:
    """Tell whether the number is even."""
    return value % 2 == 0


def test_divisibleby(value: int, num: int) -> bool:
    """Tell whether the number is divisible by ``num``."""
    return value % num == 0


def test_defined(value: Any) -> bool:
    """Tell whether the variable is defined."""
    return not isinstance(value, Undefined)


def test_undefined(value: Any) -> bool:
    """Tell whether the variable is undefined."""
    return isinstance(value, Undefined)


def test_none(value: Any) -> bool:
    """Tell whether the value is None."""
    return value is None


def test_boolean(value: Any) -> bool:
    """Tell whether the value is True or False."""
    return value is True or value is False


def test_false(value: Any) -> bool:
    """Tell whether the value is False."""
    return value is False


def test_true(value: Any) -> bool:
    """Tell whether the value is True."""
    return value is True


def test_integer(value: Any) -> bool:
    """Tell whether the value is an int (not a bool)."""
    return isinstance(value, int) and value is not True and value is not False


def test_float(value: Any) -> bool:
    """Tell whether the value is a float."""
    return isinstance(value, float)


def test_lower(value: Any) -> bool:
    """Tell whether the string is lowercase."""
    return str(value).islower()


def test_upper(value: Any) -> bool:
    """Tell whether the string is uppercase."""
    return str(value).isupper()


def test_string(value: Any) -> bool:
    """Tell whether the value is a string."""
    return isinstance(value, str)


def test_mapping(value: Any) -> bool:
    """Tell whether the value is a mapping (a dict, say)."""
    return isinstance(value, abc.Mapping)


def test_number(value: Any) -> bool:
    """Tell whether the value is a number."""
    return isinstance(value, Number)


def test_sequence(value: Any) -> bool:
    """Tell whether the value is a sequence (has a length and items)."""
    try:
        len(value)
        value.__getitem__  # noqa: B018 - probing for the method is the test
    except Exception:
        return False
    return True


def test_iterable(value: Any) -> bool:
    """Tell whether the value can be iterated over."""
    try:
        iter(value)
    except TypeError:
        return False
    return True


def test_callable(value: Any) -> bool:
    """Tell whether the value can be called."""
    return callable(value)


def test_sameas(value: Any, other: Any) -> bool:
    """Tell whether the value is the very same object as ``other``."""
    return value is other


def test_escaped(value: Any) -> bool:
    """Tell whether the value is marked safe (has ``__html__``)."""
    return hasattr(value, "__html__")


@pass_environment
def test_filter(environment: Environment, value: str) -> bool:
    """Tell whether a filter of this name exists."""
    return value in environment.filters


@pass_environment
def test_test(environment: Environment, value: str) -> bool:
    """Tell whether a test of this name exists."""
    return value in environment.tests


def test_in(value: Any, seq: Any) -> bool:
    """Tell whether the value is in ``seq``."""
    return value in seq


#: Tests every Environment starts with.
DEFAULT_TESTS: dict[str, Callable[..., bool]] = {
    "odd": test_odd,
    "even": test_even,
    "divisibleby": test_divisibleby,
    "defined": test_defined,
    "undefined": test_undefined,
    "none": test_none,
    "boolean": test_boolean,
    "false": test_false,
    "true": test_true,
    "integer": test_integer,
    "float": test_float,
    "lower": test_lower,
    "upper": test_upper,
    "string": test_string,
    "mapping": test_mapping,
    "number": test_number,
    "sequence": test_sequence,
    "iterable": test_iterable,
    "callable": test_callable,
    "sameas": test_sameas,
    "escaped": test_escaped,
    "in": test_in,
    "filter": test_filter,
    "test": test_test,
    "==": operator.eq,
    "eq": operator.eq,
    "equalto": operator.eq,
    "!=": operator.ne,
    "ne": operator.ne,
    ">": operator.gt,
    "gt": operator.gt,
    "greaterthan": operator.gt,
    ">=": operator.ge,
    "ge": operator.ge,
    "<": operator.lt,
    "lt": operator.lt,
    "lessthan": operator.lt,
    "<=": operator.le,
    "le": operator.le,
}
