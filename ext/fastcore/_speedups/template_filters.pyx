# cython: language_level=3
# The hot built-in template filters: the ones a page calls once per item
# (title, truncate, striptags, join, default...), with Jinja 3.1's arguments
# and output byte for byte. fastcore.templating.filters registers them, adding
# the pass_context / pass_environment markers, beside the rarely-hot filters
# it keeps in Python. Docstrings live in template_filters.pyi.

cimport cython

from cpython.unicode cimport (
    Py_UNICODE_ISALNUM,
    PyUnicode_1BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
)

from fastcore._speedups.template_runtime cimport (
    Context,
    Undefined,
    escape,
    lookup_item,
    striptags as strip_text_tags,
)

import math as _math
import re as _re

from fastcore._speedups.template_runtime import Markup
from fastcore.exceptions import FilterArgumentError


cdef extern from "Python.h":
    Py_UCS4 PyUnicode_MAX_CHAR_VALUE(object o)
    bint PyLong_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyList_CheckExact(object o)
    bint PyTuple_CheckExact(object o)


cdef inline object _soft_str(object s):
    if PyUnicode_Check(s):
        return s
    return str(s)


cdef inline bint _has_html(object value):
    # PERF: a plain str never has __html__; skip the attribute probe.
    return not PyUnicode_CheckExact(value) and hasattr(value, "__html__")


# --- case --------------------------------------------------------------------

def upper(s):
    return _soft_str(s).upper()


def lower(s):
    return _soft_str(s).lower()


def capitalize(s):
    return _soft_str(s).capitalize()


# Which ASCII characters start a new word for the title filter: exactly the
# characters Jinja's word-splitting pattern [-\s({\[<] matches.
_WORD_BEGINNING_SPLIT_RE = _re.compile(r"([-\s({\[<]+)")
cdef unsigned char _TITLE_SEPARATOR[128]
for _i in range(128):
    _TITLE_SEPARATOR[_i] = 1 if _WORD_BEGINNING_SPLIT_RE.match(chr(_i)) else 0


cdef object _title_ascii(str s):
    # Jinja's title for ASCII text in one pass: the first character of each
    # word uppercased, the rest lowercased. None for non-ASCII text.
    # PERF: the regex split + per-word join dominates blog_inheritance.
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(s)
    if PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND or PyUnicode_MAX_CHAR_VALUE(s) >= 128:
        return None
    cdef const unsigned char *data = <const unsigned char *>PyUnicode_DATA(s)
    out = PyUnicode_New(length, 127)
    cdef unsigned char *target = <unsigned char *>PyUnicode_DATA(out)
    cdef bint word_start = True
    cdef unsigned char c
    cdef Py_ssize_t i
    for i in range(length):
        c = data[i]
        if _TITLE_SEPARATOR[c]:
            word_start = True
        elif word_start:
            if 97 <= c <= 122:
                c -= 32
            word_start = False
        elif 65 <= c <= 90:
            c += 32
        target[i] = c
    return out


def title(s):
    text = _soft_str(s)
    if PyUnicode_CheckExact(text):
        fast = _title_ascii(text)
        if fast is not None:
            return fast
    # Jinja's algorithm verbatim: non-ASCII case mappings may change lengths,
    # and a Markup's pieces stay Markup until the final plain join.
    return "".join(
        [item[0].upper() + item[1:].lower() for item in _WORD_BEGINNING_SPLIT_RE.split(text) if item]
    )


# --- text --------------------------------------------------------------------

def trim(value, chars=None):
    return _soft_str(value).strip(chars)


def percent_format(value, *args, **kwargs):
    if args and kwargs:
        raise FilterArgumentError("can't handle positional and keyword arguments at the same time")
    return _soft_str(value) % (kwargs or args)


def replace(Context eval_ctx not None, s, old, new, count=None):
    if count is None:
        count = -1
    if not eval_ctx.autoescape:
        return str(s).replace(str(old), str(new), count)
    # Jinja's precedence: a safe `old` always escapes `s`.
    if _has_html(old) or (_has_html(new) and not _has_html(s)):
        s = escape(s)
    else:
        s = _soft_str(s)
    return s.replace(_soft_str(old), _soft_str(new), count)


def truncate(environment, s, length=255, killwords=False, end="...", leeway=None):
    cdef Py_ssize_t size, limit, cut, space
    if leeway is None:
        leeway = environment.policies["truncate.leeway"]
    if length < len(end):
        raise FilterArgumentError(f"expected length >= {len(end)}, got {length}")
    if leeway < 0:
        raise FilterArgumentError(f"expected leeway >= 0, got {leeway}")
    if PyUnicode_CheckExact(s) and PyUnicode_CheckExact(end) and PyLong_CheckExact(length) \
            and PyLong_CheckExact(leeway) and length + leeway < 0x7FFFFFFF:
        # PERF: plain text and int bounds: index arithmetic and one rfind
        # instead of a slice, an rsplit and its list (bench: blog_index_filters).
        size = PyUnicode_GET_LENGTH(s)
        limit = length + leeway
        if size <= limit:
            return s
        cut = length - PyUnicode_GET_LENGTH(end)
        if not killwords:
            space = (<str>s).rfind(" ", 0, cut)
            if space >= 0:
                cut = space
        return s[:cut] + end
    if len(s) <= length + leeway:
        return s
    if killwords:
        return s[: length - len(end)] + end
    return s[: length - len(end)].rsplit(" ", 1)[0] + end


cdef inline bint _is_word_character(Py_UCS4 c):
    # What `\w` matches in a str pattern (the re module's SRE_UNI_IS_WORD).
    return c == 95 or Py_UNICODE_ISALNUM(c)


def wordcount(s):
    # len(re.findall(r"\w+", soft_str(s))), without building the list.
    cdef str text = str(_soft_str(s))
    cdef Py_ssize_t i, count = 0, length = PyUnicode_GET_LENGTH(text)
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef bint in_word = False, word
    for i in range(length):
        word = _is_word_character(PyUnicode_READ(kind, data, i))
        if word and not in_word:
            count += 1
        in_word = word
    return count


def striptags(value):
    if PyUnicode_CheckExact(value):
        return strip_text_tags(value)
    if hasattr(value, "__html__"):
        value = value.__html__()
    return strip_text_tags(str(value))


# --- joining -----------------------------------------------------------------

@cython.final
@cython.auto_pickle(False)
cdef class AttributeGetter:
    # Looks up a dotted attribute path ("author.name", "0.title") item-first,
    # as Jinja's make_attrgetter does; digit parts are integer indexes.
    cdef tuple _parts
    cdef object _undefined
    cdef object _postprocess
    cdef object _default

    def __init__(self, undefined, attribute, postprocess=None, default=None):
        if attribute is None:
            parts = ()
        elif not PyUnicode_Check(attribute):
            parts = (attribute,)
        else:
            parts = tuple([int(part) if part.isdigit() else part for part in attribute.split(".")])
        self._parts = parts
        self._undefined = undefined
        self._postprocess = postprocess
        self._default = default

    def __call__(self, item):
        for part in self._parts:
            item = lookup_item(item, part, self._undefined)
            if self._default is not None and isinstance(item, Undefined):
                item = self._default
        if self._postprocess is not None:
            item = self._postprocess(item)
        return item


cdef object _join_plain(object value, str separator):
    # separator.join(value) for a list or tuple of exact str, else None.
    if not PyList_CheckExact(value) and not PyTuple_CheckExact(value):
        return None
    for item in value:
        if not PyUnicode_CheckExact(item):
            return None
    return separator.join(value)


def join(Context eval_ctx not None, value, d="", attribute=None):
    if attribute is None and PyUnicode_CheckExact(d):
        # PERF: plain strings joined by a plain separator need no escaping
        # decision (bench: test_bench_templates blog_index_filters).
        joined = _join_plain(value, d)
        if joined is not None:
            return joined
    if attribute is not None:
        value = map(AttributeGetter(eval_ctx.environment.undefined, attribute), value)
    if not eval_ctx.autoescape:
        return str(d).join(map(str, value))
    if not hasattr(d, "__html__"):
        items = list(value)
        needs_escape = False
        for index, item in enumerate(items):
            if _has_html(item):
                needs_escape = True
            else:
                items[index] = str(item)
        separator = escape(d) if needs_escape else str(d)
        return separator.join(items)
    return _soft_str(d).join(map(_soft_str, value))


# --- values ------------------------------------------------------------------

def default(value, default_value="", boolean=False):
    if isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


def first(environment, seq):
    if (PyList_CheckExact(seq) or PyTuple_CheckExact(seq)) and len(seq):
        return seq[0]
    try:
        return next(iter(seq))
    except StopIteration:
        return environment.undefined("No first item, sequence was empty.")


def last(environment, seq):
    if (PyList_CheckExact(seq) or PyTuple_CheckExact(seq)) and len(seq):
        return seq[-1]
    try:
        return next(iter(reversed(seq)))
    except StopIteration:
        return environment.undefined("No last item, sequence was empty.")


def to_int(value, default=0, base=10):
    try:
        if PyUnicode_Check(value):
            return int(value, base)
        return int(value)
    except (TypeError, ValueError):
        # "42.23"|int is 42, as in Jinja.
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


def to_float(value, default=0.0):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


_ROUND_METHODS = frozenset({"common", "ceil", "floor"})


def round_number(value, precision=0, method="common"):
    if method not in _ROUND_METHODS:
        raise FilterArgumentError("method must be common, ceil or floor")
    if method == "common":
        return round(value, precision)
    function = _math.ceil if method == "ceil" else _math.floor
    return function(value * (10**precision)) / (10**precision)
