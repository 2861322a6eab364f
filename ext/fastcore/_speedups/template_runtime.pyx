# cython: language_level=3
# The per-render half of the template engine: escaping, safe strings, output
# conversion, attribute/item lookup, undefined values, the render context, the
# loop object and macros. Compiled templates (fastcore/templating/compiler.py)
# call these names directly; docstrings live in template_runtime.pyi.

cimport cython

from cpython.dict cimport PyDict_GetItem
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from cpython.unicode cimport (
    Py_UNICODE_ISSPACE,
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
    PyUnicode_WRITE,
)

import html as _html
import string as _string

from fastcore.exceptions import UndefinedError


cdef extern from "Python.h":
    Py_UCS4 PyUnicode_MAX_CHAR_VALUE(object o)
    str PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    bint PyLong_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)


# --- escaping ----------------------------------------------------------------

# Extra output characters per special ASCII character: "&" -> "&amp;" adds 4, and
# so on. Zero for every other code point, so the sizing pass is one table load.
cdef unsigned char _EXTRA[128]
for _i in range(128):
    _EXTRA[_i] = 0
_EXTRA[ord("&")] = 4
_EXTRA[ord("<")] = 3
_EXTRA[ord(">")] = 3
_EXTRA[ord('"')] = 4
_EXTRA[ord("'")] = 4


cdef inline Py_ssize_t _write_ascii(int kind, void *data, Py_ssize_t pos, const char *text):
    while text[0] != 0:
        PyUnicode_WRITE(kind, data, pos, <Py_UCS4>text[0])
        pos += 1
        text += 1
    return pos


cdef object _escape_unicode(object s):
    # Escape & < > " ' exactly as MarkupSafe does (&#34; and &#39; for quotes).
    # PERF: a sizing pass first; the common case (nothing to escape) returns the
    # input object itself without allocating (bench: test_bench_templates table).
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(s)
    cdef int kind = PyUnicode_KIND(s)
    cdef void *data = PyUnicode_DATA(s)
    cdef const unsigned char *latin1
    cdef Py_ssize_t i, pos, extra = 0
    cdef Py_UCS4 c
    if kind == PyUnicode_1BYTE_KIND:
        latin1 = <const unsigned char *>data
        for i in range(length):
            if latin1[i] < 128:
                extra += _EXTRA[latin1[i]]
    else:
        for i in range(length):
            c = PyUnicode_READ(kind, data, i)
            if c < 128:
                extra += _EXTRA[c]
    if extra == 0:
        return s
    out = PyUnicode_New(length + extra, PyUnicode_MAX_CHAR_VALUE(s))
    cdef int out_kind = PyUnicode_KIND(out)
    cdef void *out_data = PyUnicode_DATA(out)
    pos = 0
    for i in range(length):
        c = PyUnicode_READ(kind, data, i)
        if c >= 128 or _EXTRA[c] == 0:
            PyUnicode_WRITE(out_kind, out_data, pos, c)
            pos += 1
        elif c == 38:
            pos = _write_ascii(out_kind, out_data, pos, b"&amp;")
        elif c == 60:
            pos = _write_ascii(out_kind, out_data, pos, b"&lt;")
        elif c == 62:
            pos = _write_ascii(out_kind, out_data, pos, b"&gt;")
        elif c == 34:
            pos = _write_ascii(out_kind, out_data, pos, b"&#34;")
        else:
            pos = _write_ascii(out_kind, out_data, pos, b"&#39;")
    return out


cpdef str escape_str(str s):
    if s is None:
        raise TypeError("escape_str() argument must be str, not None")
    return <str>_escape_unicode(s)


cpdef object escape(object s):
    if PyUnicode_CheckExact(s):
        return Markup(_escape_unicode(s))
    html = getattr(s, "__html__", None)
    if html is not None:
        return Markup(html())
    return Markup(_escape_unicode(str(s)))


def escape_silent(object s):
    if s is None:
        return Markup()
    return escape(s)


def soft_str(object s):
    if PyUnicode_Check(s):
        return s
    return str(s)


cpdef object render_escaped(object value):
    # The text written for {{ value }} when autoescaping. Markup (and anything
    # with __html__) goes through untouched; everything else is escaped.
    if PyUnicode_CheckExact(value):
        return _escape_unicode(value)
    if type(value) is Markup:
        # PERF: macro and block results are Markup; no __html__ call needed
        # (bench: blog_inheritance).
        return value
    if PyLong_CheckExact(value):
        # PERF: ints never need escaping (bench: fortunes ids).
        return str(value)
    if isinstance(value, Undefined):
        return _escape_unicode(str(value))
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_unicode(str(value))


cpdef object render_str(object value):
    # The text written for {{ value }} without autoescaping: str(value).
    if PyUnicode_CheckExact(value):
        return value
    return str(value)


def markup_join(seq):
    # Concatenation under autoescape: once any part is safe markup, the whole
    # result is Markup and the plain parts are escaped.
    buf = []
    iterator = iter(seq)
    for arg in iterator:
        if not PyUnicode_Check(arg):
            arg = str(arg)
        buf.append(arg)
        if hasattr(arg, "__html__"):
            for rest in iterator:
                buf.append(rest)
            return Markup("").join(buf)
    return "".join(buf)


def str_join(seq):
    return "".join([x if PyUnicode_CheckExact(x) else str(x) for x in seq])


# --- safe strings ------------------------------------------------------------

ctypedef fused text_unit:
    uint8_t
    uint16_t
    uint32_t


cdef Py_ssize_t _strip_tags_into(const text_unit *text, Py_ssize_t length, text_unit *out,
                                 bint *has_entity) noexcept:
    # The striptags pass over one string representation (fused: a tight loop
    # per kind); returns the length written to `out`.
    cdef Py_ssize_t i = 0, end, scan, pos = 0
    cdef bint stripping = True, pending_space = False
    cdef text_unit c
    while i < length:
        c = text[i]
        if c == 60 and stripping:  # "<"
            end = -1
            if i + 3 < length and text[i + 1] == 33 and text[i + 2] == 45 and text[i + 3] == 45:
                for scan in range(i + 4, length - 2):  # "<!--": to just past "-->"
                    if text[scan] == 45 and text[scan + 1] == 45 and text[scan + 2] == 62:
                        end = scan + 3
                        break
            else:
                for scan in range(i + 1, length):  # a tag: to just past ">"
                    if text[scan] == 62:
                        end = scan + 1
                        break
            if end >= 0:
                i = end
                continue
            stripping = False  # unclosed: MarkupSafe keeps the rest as it is
        if Py_UNICODE_ISSPACE(c):
            pending_space = pos > 0
        else:
            if pending_space:
                out[pos] = 32
                pos += 1
                pending_space = False
            out[pos] = c
            pos += 1
            if c == 38:  # "&"
                has_entity[0] = True
        i += 1
    return pos


cpdef str striptags(str s):
    # MarkupSafe's (3.0.4+) striptags, byte for byte: drop `<!-- ... -->`
    # comments and `< ... >` tags (keeping the rest verbatim from the first
    # one left open), collapse whitespace runs (str.split's) to one space,
    # unescape entities.
    # PERF: one pass writing straight into the result, instead of the parts
    # list, split and two joins (bench: test_bench_templates blog_index_filters).
    if s is None:
        raise TypeError("striptags() argument must be str, not None")
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(s), written
    cdef int kind = PyUnicode_KIND(s)
    cdef void *data = PyUnicode_DATA(s)
    cdef bint has_entity = False
    out = PyUnicode_New(length, PyUnicode_MAX_CHAR_VALUE(s))
    cdef void *out_data = PyUnicode_DATA(out)
    if kind == PyUnicode_1BYTE_KIND:
        written = _strip_tags_into(<uint8_t *>data, length, <uint8_t *>out_data, &has_entity)
    elif kind == PyUnicode_2BYTE_KIND:
        written = _strip_tags_into(<uint16_t *>data, length, <uint16_t *>out_data, &has_entity)
    else:
        written = _strip_tags_into(<uint32_t *>data, length, <uint32_t *>out_data, &has_entity)
    # A copy is a canonical str again: its widest character may be gone (a
    # removed tag, a collapsed "\u2003"), which `out` would still claim.
    result = PyUnicode_FromKindAndData(kind, out_data, written)
    if has_entity:
        return unescape_html(result)
    return result


# The entities escape() writes, and what html.unescape turns each into. With
# its semicolon each one is a complete match of html.unescape's pattern, so
# replacing them is the same as unescaping.
_SIMPLE_ENTITIES = (
    ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#34;", '"'),
    ("&#39;", "'"), ("&#x27;", "'"), ("&nbsp;", "\u00a0"),
)


cpdef str unescape_html(str s):
    # html.unescape(s), with a fast path for text whose only entities are the
    # escaping ones (PERF: html.unescape calls back into Python per entity;
    # bench: test_bench_templates blog_index_filters).
    cdef Py_ssize_t pos = 0, amp
    cdef list parts = []
    cdef bint known
    amp = s.find("&")
    if amp < 0:
        return s
    while amp >= 0:
        known = False
        for entity, char in _SIMPLE_ENTITIES:
            if s.startswith(entity, amp):
                parts.append(s[pos:amp])
                parts.append(char)
                pos = amp + len(entity)
                known = True
                break
        if not known:
            return _html.unescape(s)
        amp = s.find("&", pos)
    parts.append(s[pos:])
    return "".join(parts)


class Markup(str):
    __slots__ = ()

    def __new__(cls, base="", encoding=None, errors="strict"):
        if hasattr(base, "__html__"):
            base = base.__html__()
        if encoding is None:
            return super().__new__(cls, base)
        return super().__new__(cls, base, encoding, errors)

    def __html__(self):
        return self

    def __add__(self, other):
        if isinstance(other, str) or hasattr(other, "__html__"):
            return self.__class__(str.__add__(self, str(escape(other))))
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, str) or hasattr(other, "__html__"):
            return escape(other).__add__(self)
        return NotImplemented

    def __mul__(self, num):
        if isinstance(num, int):
            return self.__class__(str.__mul__(self, num))
        return NotImplemented

    __rmul__ = __mul__

    def __mod__(self, arg):
        if isinstance(arg, tuple):
            arg = tuple([_EscapeArgument(item) for item in arg])
        elif hasattr(type(arg), "__getitem__") and not isinstance(arg, str):
            arg = _EscapeArgument(arg)
        else:
            arg = (_EscapeArgument(arg),)
        return self.__class__(str.__mod__(self, arg))

    def __repr__(self):
        return f"{self.__class__.__name__}({str.__repr__(self)})"

    def join(self, seq):
        return self.__class__(str.join(self, [str(escape(item)) for item in seq]))

    def split(self, sep=None, maxsplit=-1):
        return [self.__class__(part) for part in str.split(self, sep, maxsplit)]

    def rsplit(self, sep=None, maxsplit=-1):
        return [self.__class__(part) for part in str.rsplit(self, sep, maxsplit)]

    def splitlines(self, keepends=False):
        return [self.__class__(part) for part in str.splitlines(self, keepends)]

    def partition(self, sep):
        left, middle, right = str.partition(self, str(escape(sep)))
        return self.__class__(left), self.__class__(middle), self.__class__(right)

    def rpartition(self, sep):
        left, middle, right = str.rpartition(self, str(escape(sep)))
        return self.__class__(left), self.__class__(middle), self.__class__(right)

    def unescape(self):
        return unescape_html(str(self))

    def striptags(self):
        return striptags(str(self))

    @classmethod
    def escape(cls, s):
        rv = escape(s)
        if rv.__class__ is not cls:
            return cls(rv)
        return rv

    def format(self, *args, **kwargs):
        return self.__class__(_EscapeFormatter().vformat(self, args, kwargs))

    def format_map(self, mapping):
        return self.__class__(_EscapeFormatter().vformat(self, (), mapping))

    def __html_format__(self, format_spec):
        if format_spec:
            raise ValueError("Unsupported format specification for Markup.")
        return self


def _markup_method(name, Py_ssize_t escaped=-1):
    # Wrap a str method so the result is Markup. As in MarkupSafe 3, only the
    # text a method inserts (replace's `new`, a fill character: the positional
    # argument `escaped`) is escaped; `old` and strip's characters are not.
    original = getattr(str, name)

    def method(self, *args, **kwargs):
        if 0 <= escaped < len(args):
            args = list(args)
            args[escaped] = escape(args[escaped])
        return self.__class__(original(self, *args, **kwargs))

    method.__name__ = name
    method.__doc__ = original.__doc__
    return method


for _name in (
    "__getitem__", "capitalize", "title", "lower", "upper", "lstrip", "rstrip", "strip",
    "translate", "expandtabs", "swapcase", "zfill", "removeprefix", "removesuffix", "casefold",
):
    setattr(Markup, _name, _markup_method(_name))
for _name in ("replace", "ljust", "rjust", "center"):
    setattr(Markup, _name, _markup_method(_name, 1))


class _EscapeArgument:
    # Wraps a %-format argument so %s/%r escape it (Markup.__mod__).
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __getitem__(self, key):
        return _EscapeArgument(self.obj[key])

    def __str__(self):
        return str(escape(self.obj))

    def __repr__(self):
        return str(escape(repr(self.obj)))

    def __int__(self):
        return int(self.obj)

    def __float__(self):
        return float(self.obj)


class _EscapeFormatter(_string.Formatter):
    # str.format for Markup: every replacement field is escaped.
    def format_field(self, value, format_spec):
        if hasattr(value, "__html_format__"):
            rv = value.__html_format__(format_spec)
        elif hasattr(value, "__html__"):
            if format_spec:
                raise ValueError(
                    f"Format specifier {format_spec} given, but {type(value)} does not"
                    " define __html__. A class that defines __html__ must define"
                    " __html_format__ to work with format specifiers."
                )
            rv = value.__html__()
        else:
            rv = _string.Formatter.format_field(self, value, str(format_spec))
        return str(escape(rv))


# --- undefined values --------------------------------------------------------

# The "no value" sentinel passed for macro arguments that were not given.
class _MissingType:
    __slots__ = ()

    def __repr__(self):
        return "missing"

    def __reduce__(self):
        return "missing"


missing = _MissingType()


def object_type_repr(obj):
    if obj is None:
        return "None"
    if obj is Ellipsis:
        return "Ellipsis"
    cls = type(obj)
    if cls.__module__ == "builtins":
        return f"{cls.__name__} object"
    return f"{cls.__module__}.{cls.__name__} object"


@cython.auto_pickle(False)
cdef class Undefined:
    # Lenient: renders as "", is falsy and iterates as empty; any other use raises.

    def __init__(self, hint=None, obj=missing, name=None, exc=None):
        self._undefined_hint = hint
        self._undefined_obj = obj
        self._undefined_name = name
        self._undefined_exception = exc if exc is not None else UndefinedError

    cdef str _message(self):
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"{self._undefined_name!r} is undefined"
        owner = object_type_repr(self._undefined_obj)
        if not isinstance(self._undefined_name, str):
            return f"{owner} has no element {self._undefined_name!r}"
        return f"{owner!r} has no attribute {self._undefined_name!r}"

    cdef object _fail(self):
        if type(self) is Undefined or type(self) is StrictUndefined:
            raise self._undefined_exception(self._message())
        # A Python subclass may override the Jinja hook (make_logging_undefined does).
        return self._fail_with_undefined_error()

    @property
    def _undefined_message(self):
        return self._message()

    def _fail_with_undefined_error(self, *args, **kwargs):
        raise self._undefined_exception(self._message())

    def __getattr__(self, name):
        if name[:2] == "__":
            raise AttributeError(name)
        self._fail()

    def __str__(self):
        return ""

    def __repr__(self):
        return "Undefined"

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return False

    def __eq__(self, other):
        return type(self) is type(other)

    def __ne__(self, other):
        return type(self) is not type(other)

    def __hash__(self):
        return id(type(self))

    def __lt__(self, other):
        self._fail()

    def __le__(self, other):
        self._fail()

    def __gt__(self, other):
        self._fail()

    def __ge__(self, other):
        self._fail()

    def __call__(self, *args, **kwargs):
        self._fail()

    def __getitem__(self, key):
        self._fail()

    def __add__(self, other):
        self._fail()

    def __radd__(self, other):
        self._fail()

    def __sub__(self, other):
        self._fail()

    def __rsub__(self, other):
        self._fail()

    def __mul__(self, other):
        self._fail()

    def __rmul__(self, other):
        self._fail()

    def __truediv__(self, other):
        self._fail()

    def __rtruediv__(self, other):
        self._fail()

    def __floordiv__(self, other):
        self._fail()

    def __rfloordiv__(self, other):
        self._fail()

    def __mod__(self, other):
        self._fail()

    def __rmod__(self, other):
        self._fail()

    def __pow__(self, other, modulo):
        self._fail()

    def __rpow__(self, other, modulo):
        self._fail()

    def __neg__(self):
        self._fail()

    def __pos__(self):
        self._fail()

    def __int__(self):
        self._fail()

    def __float__(self):
        self._fail()


@cython.auto_pickle(False)
cdef class StrictUndefined(Undefined):
    # Strict: anything but `is defined`, `default` and `is sameas` raises.

    def __str__(self):
        self._fail()

    def __iter__(self):
        self._fail()

    def __len__(self):
        self._fail()

    def __bool__(self):
        self._fail()

    def __eq__(self, other):
        self._fail()

    def __ne__(self, other):
        self._fail()

    def __hash__(self):
        self._fail()

    def __contains__(self, item):
        self._fail()


# --- lookup ------------------------------------------------------------------

cdef extern from *:
    """
    /* Attribute lookup that reports "no such attribute" without raising (and
       without building an AttributeError) on the common generic-getattr path. */
    #if PY_VERSION_HEX >= 0x030D0000
    #define fastcore_lookup_attr(obj, name, result) PyObject_GetOptionalAttr(obj, name, result)
    #else
    #define fastcore_lookup_attr(obj, name, result) _PyObject_LookupAttr(obj, name, result)
    #endif
    """
    int fastcore_lookup_attr(object obj, object name, PyObject **result) except -1
    bint PyDict_CheckExact(object o)


cpdef object lookup_attr(object obj, str attribute, object undefined):
    # {{ obj.attribute }}: attribute first, then item, as Jinja's Environment.getattr.
    # PERF: neither step raises on a miss for plain objects and dicts, so a dict
    # row's `row.name` costs two lookups, not a caught AttributeError
    # (bench: test_bench_templates table_1000_rows).
    cdef PyObject *found = NULL
    if fastcore_lookup_attr(obj, attribute, &found):
        result = <object>found
        Py_DECREF(result)  # the lookup returned a new reference; `result` holds its own
        return result
    if PyDict_CheckExact(obj):
        found = PyDict_GetItem(obj, attribute)
        if found is not NULL:
            return <object>found
        return undefined(obj=obj, name=attribute)
    try:
        return obj[attribute]
    except (TypeError, LookupError, AttributeError):
        return undefined(obj=obj, name=attribute)


cpdef object lookup_item(object obj, object key, object undefined):
    # {{ obj[key] }}: item first, then attribute (for str keys), as Jinja's getitem.
    cdef PyObject *found
    if PyDict_CheckExact(obj):
        try:
            found = PyDict_GetItem(obj, key)
        except TypeError:
            found = NULL  # an unhashable key: fall through to the attribute
        if found is not NULL:
            return <object>found
    else:
        try:
            return obj[key]
        except (AttributeError, TypeError, LookupError):
            pass
    if PyUnicode_Check(key):
        try:
            return getattr(obj, key)
        except AttributeError:
            pass
    return undefined(obj=obj, name=key)


# --- context -----------------------------------------------------------------

@cython.auto_pickle(False)
cdef class Context:
    # The variables of one render: `parent` (globals and render arguments) and
    # `vars` (top-level assignments), plus the block chains for inheritance.

    def __init__(self, environment, dict parent, name, dict blocks, undefined, bint autoescape):
        self.environment = environment
        self.parent = parent
        self.vars = {}
        self.exported_vars = set()
        self.name = name
        self.blocks = {key: [value] for key, value in blocks.items()} if blocks else {}
        self.undefined = undefined
        self.autoescape = autoescape

    cpdef object resolve(self, str key):
        cdef PyObject *found = PyDict_GetItem(self.vars, key)
        if found is NULL:
            found = PyDict_GetItem(self.parent, key)
            if found is NULL:
                return self.undefined(name=key)
        return <object>found

    def resolve_or_missing(self, str key):
        if key in self.vars:
            return self.vars[key]
        return self.parent.get(key, missing)

    def get_all(self):
        if not self.vars:
            return self.parent
        if not self.parent:
            return self.vars
        return {**self.parent, **self.vars}

    def get_exported(self):
        return {key: self.vars[key] for key in self.exported_vars}

    def derived(self, locals=None):
        data = dict(self.get_all())
        if locals:
            for key, value in locals.items():
                if value is not missing:  # a local not assigned yet
                    data[key] = value
        ctx = Context(self.environment, data, self.name, None, self.undefined, self.autoescape)
        ctx.blocks = {key: list(value) for key, value in self.blocks.items()}
        return ctx

    def get(self, key, default=None):
        value = self.resolve_or_missing(key)
        return default if value is missing else value

    def __contains__(self, key):
        return key in self.vars or key in self.parent

    def __getitem__(self, key):
        value = self.resolve_or_missing(key)
        if value is missing:
            raise KeyError(key)
        return value

    def keys(self):
        return self.get_all().keys()

    def __repr__(self):
        return f"<Context {self.get_all()!r} of {self.name!r}>"


def render_block(Context ctx, str name):
    # Render the most derived definition of a block into a string.
    buf = []
    ctx.blocks[name][0](ctx, buf.append)
    rendered = "".join(buf)
    return Markup(rendered) if ctx.autoescape else rendered


def render_super(Context ctx, str name, current):
    # {{ super() }} inside block `name` whose function is `current`.
    chain = ctx.blocks.get(name, ())
    index = -1
    for i, block in enumerate(chain):
        if block is current:
            index = i
            break
    if index < 0 or index + 1 >= len(chain):
        return ctx.undefined(f"there is no parent block called {name!r}.", name="super")
    buf = []
    chain[index + 1](ctx, buf.append)
    rendered = "".join(buf)
    return Markup(rendered) if ctx.autoescape else rendered


# --- loops -------------------------------------------------------------------

@cython.auto_pickle(False)
cdef class LoopContext:
    # The `loop` variable. The sequence is materialized once so length, last,
    # revindex and nextitem are plain index arithmetic.

    def __init__(self, iterable, undefined, recurse=None, Py_ssize_t depth0=0):
        self._items = list(iterable)
        self._length = len(self._items)
        self._index0 = -1
        self._undefined = undefined
        self._recurse = recurse
        self.depth0 = depth0
        self._last_changed = missing

    def __iter__(self):
        return self

    def __next__(self):
        self._index0 += 1
        if self._index0 >= self._length:
            raise StopIteration
        return self._items[self._index0]

    @property
    def length(self):
        return self._length

    @property
    def index0(self):
        return self._index0

    @property
    def index(self):
        return self._index0 + 1

    @property
    def revindex0(self):
        return self._length - self._index0 - 1

    @property
    def revindex(self):
        return self._length - self._index0

    @property
    def first(self):
        return self._index0 == 0

    @property
    def last(self):
        return self._index0 == self._length - 1

    @property
    def depth(self):
        return self.depth0 + 1

    @property
    def previtem(self):
        if self._index0 <= 0:
            return self._undefined("there is no previous item")
        return self._items[self._index0 - 1]

    @property
    def nextitem(self):
        if self._index0 + 1 >= self._length:
            return self._undefined("there is no next item")
        return self._items[self._index0 + 1]

    def cycle(self, *args):
        if not args:
            raise TypeError("no items for cycling given")
        return args[self._index0 % len(args)]

    def changed(self, *value):
        if self._last_changed != value:
            self._last_changed = value
            return True
        return False

    def __call__(self, iterable):
        if self._recurse is None:
            raise TypeError("The loop must be marked as 'recursive' to call it.")
        return self._recurse(iterable, self.depth0 + 1)

    def __repr__(self):
        return f"<LoopContext {self._index0 + 1}/{self._length}>"


# --- macros ------------------------------------------------------------------

@cython.auto_pickle(False)
cdef class Macro:
    # A template macro: binds call arguments the way Jinja does, then calls the
    # compiled body with one positional argument per parameter (`missing` when
    # not given, so the body evaluates defaults in order).

    def __init__(self, func, name, tuple arguments, bint catch_kwargs, bint catch_varargs,
                 bint caller, undefined, bint explicit_caller=False):
        self._func = func
        self.name = name
        self.arguments = arguments
        self.catch_kwargs = catch_kwargs
        self.catch_varargs = catch_varargs
        self.caller = caller
        self.explicit_caller = explicit_caller
        self._undefined = undefined
        self._argument_count = len(arguments)

    def __call__(self, *args, **kwargs):
        cdef Py_ssize_t count = self._argument_count
        cdef list bound = list(args[:count])
        cdef bint found_caller = False
        if len(bound) != count:
            for name in self.arguments[len(bound):]:
                bound.append(kwargs.pop(name, missing))
                if name == "caller":
                    found_caller = True
        else:
            found_caller = self.explicit_caller
        if self.caller and not found_caller:
            caller = kwargs.pop("caller", None)
            if caller is None:
                caller = self._undefined("No caller defined", name="caller")
            bound.append(caller)
        if self.catch_kwargs:
            bound.append(kwargs)
        elif kwargs:
            if "caller" in kwargs:
                raise TypeError(
                    f"macro {self.name!r} was invoked with two values for the special"
                    " caller argument. This is most likely a bug."
                )
            raise TypeError(f"macro {self.name!r} takes no keyword argument {next(iter(kwargs))!r}")
        if self.catch_varargs:
            bound.append(args[count:])
        elif len(args) > count:
            raise TypeError(f"macro {self.name!r} takes not more than {count} argument(s)")
        return self._func(*bound)

    def __repr__(self):
        return f"<Macro {'anonymous' if self.name is None else repr(self.name)}>"


def markup_if(Context ctx, str rendered):
    # The text of a macro, call block or block set: Markup when the render autoescapes.
    # PERF: str.__new__ skips Markup.__new__'s __html__ probe; `rendered` is a plain str.
    return str.__new__(Markup, rendered) if ctx.autoescape else rendered


def context_call(Context ctx, func, *args, **kwargs):
    # Call a global (url_for, csrf_token...) the way Jinja's Context.call does:
    # functions marked with pass_context / pass_environment get it first.
    cdef PyObject *found = NULL
    marker = None
    if fastcore_lookup_attr(func, "fastcore_pass_arg", &found):
        marker = <object>found
        Py_DECREF(marker)  # drop the lookup's new reference; the variable owns one
    elif fastcore_lookup_attr(func, "jinja_pass_arg", &found):
        jinja_marker = <object>found
        Py_DECREF(jinja_marker)  # drop the lookup's new reference; the variable owns one
        marker = getattr(jinja_marker, "name", None)
    if marker is None:
        return func(*args, **kwargs)
    if marker == "context" or marker == "eval_context":
        return func(ctx, *args, **kwargs)
    if marker == "environment":
        return func(ctx.environment, *args, **kwargs)
    return func(*args, **kwargs)
