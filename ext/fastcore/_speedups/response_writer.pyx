# cython: autotestdict=False
# Responses as data, and their serialization into one bytes buffer.
#
# ResponseBase holds what a fixed response is (status, headers, body); the
# Python classes of fastcore.responses extend it. The connection protocol calls
# ResponseWriter once per fixed response and writes the result with a single
# transport.write(). Every piece that does not depend on the response (status
# lines, the Date and Server lines, connection headers) is encoded once, ahead
# of time.

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItemWithError
from cpython.object cimport PyObject, PyTypeObject, Py_TYPE, newfunc
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8String
from libc.string cimport memcpy

from fastcore._speedups._recycling cimport renewable_type, unshared

from collections.abc import Mapping

# NOTE: the MRO lookup behind attribute access on a type, with CPython's
# per-type method cache; it returns a borrowed reference and sets no error.
cdef extern from "Python.h":
    PyObject* _PyType_Lookup(PyTypeObject* type, object name)
    PyObject* PyDict_GetItem(object mapping, object key)
    bint PyType_HasFeature(PyTypeObject* type, unsigned long feature)
    unsigned long Py_TPFLAGS_VALID_VERSION_TAG

cdef extern from *:
    """
    static inline unsigned int fastcore_type_version(PyTypeObject *type) {
        return type->tp_version_tag;
    }
    """
    unsigned int _type_version "fastcore_type_version"(PyTypeObject* type)

cdef extern from *:
    """
    /* dumps(*argv[:1], **kwnames) and, when that raises an Exception,
       render(response, content) instead (a Cython try costs every call). */
    static PyObject *fastcore_render_json(PyObject *dumps, PyObject **argv, PyObject *kwnames,
                                          PyObject *render, PyObject *response,
                                          PyObject *content) {
        PyObject *result = PyObject_Vectorcall(dumps, argv, 1, kwnames);
        if (result != NULL || !PyErr_ExceptionMatches(PyExc_Exception))
            return result;
        PyErr_Clear();
        return PyObject_CallFunctionObjArgs(render, response, content, NULL);
    }
    """
    object _dumps_or_render "fastcore_render_json"(
        object dumps, PyObject** argv, PyObject* kwnames, object render, object response,
        object content)

# PERF: calling a Python subclass of ResponseBase (`PlainTextResponse(text)`)
# goes through type_call: an argument tuple, tp_new, then tp_init parsing it
# again. A subclass that keeps ResponseBase's __new__ and __init__ gets a
# vectorcall of its own (installed by _class_info on its first response):
# with one positional argument it builds the response directly; any other
# call, or a class whose __init__/__new__ changed since, takes type_call.
cdef extern from *:
    """
    typedef PyObject *(*fastcore_construct_fn)(PyObject *, PyObject *);
    static fastcore_construct_fn fastcore_response_construct = NULL;
    static initproc fastcore_response_init = NULL;
    static newfunc fastcore_response_new = NULL;

    static PyObject *fastcore_response_vectorcall(PyObject *type, PyObject *const *args,
                                                  size_t nargsf, PyObject *kwnames) {
        PyTypeObject *tp = (PyTypeObject *)type;
        Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
        Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
        PyObject *tuple, *kwargs = NULL, *result;
        Py_ssize_t i;
        if (nargs == 1 && nkw == 0 && tp->tp_init == fastcore_response_init
                && tp->tp_new == fastcore_response_new) {
            return fastcore_response_construct(type, args[0]);
        }
        /* type_call itself (the metatype's tp_call) never looks at tp_vectorcall. */
        tuple = PyTuple_New(nargs);
        if (tuple == NULL) return NULL;
        for (i = 0; i < nargs; i++) {
            Py_INCREF(args[i]);
            PyTuple_SET_ITEM(tuple, i, args[i]);
        }
        if (nkw) {
            kwargs = PyDict_New();
            if (kwargs == NULL) { Py_DECREF(tuple); return NULL; }
            for (i = 0; i < nkw; i++) {
                if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
                    Py_DECREF(tuple); Py_DECREF(kwargs); return NULL;
                }
            }
        }
        result = Py_TYPE(type)->tp_call(type, tuple, kwargs);
        Py_DECREF(tuple);
        Py_XDECREF(kwargs);
        return result;
    }

    static void fastcore_response_setup(fastcore_construct_fn construct, PyTypeObject *base) {
        fastcore_response_construct = construct;
        fastcore_response_init = base->tp_init;
        fastcore_response_new = base->tp_new;
    }

    static int fastcore_response_install(PyTypeObject *tp) {
        /* Only heap subclasses that construct exactly as ResponseBase does. */
        if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || tp->tp_init != fastcore_response_init
                || tp->tp_new != fastcore_response_new || Py_TYPE(tp) != &PyType_Type) {
            return 0;
        }
        tp->tp_vectorcall = fastcore_response_vectorcall;
        return 1;
    }
    """
    ctypedef PyObject* (*construct_fn "fastcore_construct_fn")(object, object)
    void _response_setup "fastcore_response_setup"(construct_fn construct, PyTypeObject* base)
    int _response_install "fastcore_response_install"(PyTypeObject* tp)

import email.utils
from http import HTTPStatus

cdef bytes _CRLF = b"\r\n"
cdef bytes _CONNECTION_CLOSE = b"connection: close\r\n"
cdef bytes _CONNECTION_KEEP_ALIVE = b"connection: keep-alive\r\n"
cdef bytes _TRANSFER_CHUNKED = b"transfer-encoding: chunked\r\n"
cdef bytes _CONTENT_LENGTH = b"content-length: "
cdef bytes _TEXT_PLAIN = b"text/plain; charset=utf-8"
cdef bytes _CONTENT_TYPE = b"content-type"
cdef bytes _CONTENT_TYPE_PREFIX = b"content-type: "
cdef str _UTF8 = "utf-8"

# PERF: one pre-encoded status line per registered code (bench/micro/
# test_bench_response_writer.py); unregistered codes are encoded on first use
# and cached in the same table.
cdef list _status_lines = [None] * 1000
for _status in HTTPStatus:
    _status_lines[_status.value] = (
        f"HTTP/1.1 {_status.value} {_status.phrase}\r\n".encode("ascii")
    )
del _status

# The Date line, refreshed by refresh_date() from a once-per-second loop timer
# (fastcore.server), never computed per request.
cdef bytes _date_line = b""


cpdef str refresh_date():
    """Recompute the cached Date header line; return the new value."""
    global _date_line
    value = email.utils.formatdate(usegmt=True)
    _date_line = b"date: " + value.encode("ascii") + _CRLF
    return value


refresh_date()


cdef bytes _status_line(int status_code):
    if status_code < 100 or status_code > 999:
        raise ValueError(f"invalid HTTP status code {status_code}")
    line = _status_lines[status_code]
    if line is None:
        # NOTE: RFC 9112 section 4 allows an empty reason phrase.
        line = f"HTTP/1.1 {status_code} \r\n".encode("ascii")
        _status_lines[status_code] = line
    return <bytes>line


# What each byte may be part of in a response header, as bits:
# _IN_NAME for tchar (a field name is a token, RFC 9110 section 5.1 and
# 5.6.2), _IN_VALUE for field-vchar, SP and HTAB (section 5.5).
# SECURITY: a CR or LF splits the response (RFC 9112 section 2.2); a NUL or
# another control ends or alters the line for some recipients and not others;
# a space or colon in a name moves where the value starts. The writer only
# emits headers every byte of which passes.
cdef enum:
    _IN_NAME = 1
    _IN_VALUE = 2

cdef unsigned char _HEADER_BYTES[256]


cdef void _init_header_bytes() noexcept:
    cdef int c
    for c in range(256):
        _HEADER_BYTES[c] = _IN_VALUE if c == 0x09 or 0x20 <= c <= 0x7E or c >= 0x80 else 0
        if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
                or c in b"!#$%&'*+-.^_`|~"):
            _HEADER_BYTES[c] |= _IN_NAME


_init_header_bytes()


cdef inline bint _all_bytes(bytes data, unsigned char kind) noexcept:
    # PERF: a branch-free AND over the table, a few instructions a byte
    # (bench/load/callgrind_request.py); the error path finds the culprit.
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t i
    cdef unsigned char seen = kind
    for i in range(n):
        seen &= _HEADER_BYTES[p[i]]
    return seen != 0


cdef int _refuse_header(bytes name, bytes value, str where) except -1:
    # Raise the ValueError naming what is wrong with a header that failed.
    if PyBytes_GET_SIZE(name) == 0:
        raise ValueError(f"{where} name is empty")
    if b"\r" in name or b"\n" in name or b"\r" in value or b"\n" in value:
        raise ValueError(f"{where} {name!r} contains a line break")
    if not _all_bytes(name, _IN_NAME):
        raise ValueError(f"{where} name {name!r} is not a token (RFC 9110 section 5.1)")
    raise ValueError(f"{where} {name!r} contains a control character "
                     "(RFC 9110 section 5.5)")


cdef inline int _check_header(bytes name, bytes value, str where) except -1:
    if PyBytes_GET_SIZE(name) == 0 or not _all_bytes(name, _IN_NAME) \
            or not _all_bytes(value, _IN_VALUE):
        _refuse_header(name, value, where)
    return 0


cpdef check_header(bytes name, bytes value):
    """Raise ValueError unless ``name: value`` is a valid response header line.

    The name must be a non-empty token; the value may hold no control byte
    but HTAB (no NUL, CR or LF).
    """
    _check_header(name, value, "response header")


cdef inline int _check_value(bytes value, str what) except -1:
    if not _all_bytes(value, _IN_VALUE):
        if b"\r" in value or b"\n" in value:
            raise ValueError(f"{what} contains a line break")
        raise ValueError(f"{what} contains a control character (RFC 9110 section 5.5)")
    return 0


cdef inline bint _is_framing(bytes name, bint keep_length):
    # Whether a raw header is a framing header the writer drops: it frames
    # the body itself (Content-Length of the bytes it sends, or chunked), so a
    # second, possibly different length, or a Transfer-Encoding next to its
    # Content-Length, would let two recipients split the stream differently.
    cdef Py_ssize_t n = PyBytes_GET_SIZE(name)
    if n == 14:
        return not keep_length and name.lower() == b"content-length"
    if n == 17:
        return name.lower() == b"transfer-encoding"
    return False


cdef Py_ssize_t _headers_size(list headers, bint keep_length, bint* has_length) except -1:
    # Validate every raw header and return the bytes they take on the wire
    # (framing headers the writer drops excluded, see _is_framing).
    cdef Py_ssize_t total = 0
    cdef object name, value
    for item in headers:
        if type(item) is not tuple or PyTuple_GET_SIZE(item) != 2:
            raise TypeError("raw_headers must be a list of (name, value) bytes pairs")
        name = <object>PyTuple_GET_ITEM(item, 0)
        value = <object>PyTuple_GET_ITEM(item, 1)
        if type(name) is not bytes or type(value) is not bytes:
            raise TypeError("raw header names and values must be bytes")
        # SECURITY: see _HEADER_BYTES. Responses check at creation; this
        # also covers headers mutated later and those of hosted ASGI apps.
        _check_header(<bytes>name, <bytes>value, "response header")
        if _is_framing(<bytes>name, keep_length):
            continue
        if PyBytes_GET_SIZE(name) == 14 and (<bytes>name).lower() == b"content-length":
            has_length[0] = True
        total += PyBytes_GET_SIZE(name) + PyBytes_GET_SIZE(value) + 4
    return total


cdef inline int _decimal_digits(Py_ssize_t n) noexcept:
    cdef int digits = 1
    while n >= 10:
        n //= 10
        digits += 1
    return digits


cdef inline char* _put(char* out, bytes data) noexcept:
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    memcpy(out, PyBytes_AS_STRING(data), n)
    return out + n


cpdef list encode_headers(object headers):
    """Encode header pairs (a mapping or an iterable of pairs) as raw latin-1 pairs."""
    cdef list raw = []
    if not headers:
        return raw
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        encoded = (name.lower().encode("latin-1"), value.encode("latin-1"))
        # SECURITY: an invalid header (see _HEADER_BYTES) is refused where
        # it enters.
        _check_header(<bytes>encoded[0], <bytes>encoded[1], "header")
        raw.append(encoded)
    return raw


# media type -> Content-Type value, for the utf-8 charset (nearly every class).
cdef dict _utf8_content_types = {}


cdef bytes _content_type(str media_type, str charset):
    # The Content-Type value for a media type, with a charset for text types.
    cdef bytes value
    if charset is _UTF8 or charset == _UTF8:
        found = _utf8_content_types.get(media_type)
        if found is not None:
            return <bytes>found
    if media_type.startswith("text/") and "charset=" not in media_type:
        value = f"{media_type}; charset={charset}".encode("latin-1")
    else:
        value = media_type.encode("latin-1")
    # SECURITY: every Content-Type the writer emits on its own (the
    # `_content_type` of a response) is made here, so it is checked here, once
    # per media type and charset, not per response.
    _check_value(value, "the response's content-type")
    if (charset is _UTF8 or charset == _UTF8) and len(_utf8_content_types) < 256:
        _utf8_content_types[media_type] = value
    return value


cdef inline object _class_attribute(object instance, str name, object default):
    return _type_attribute(Py_TYPE(instance), name, default)


cdef inline object _type_attribute(PyTypeObject* tp, str name, object default):
    cdef PyObject* found = _PyType_Lookup(tp, name)
    return <object>found if found != NULL else default


cdef enum RenderKind:
    RENDER_TEXT = 0       # ResponseBase.render: str/bytes in C
    RENDER_JSON = 1       # the registered JSON render: orjson through vectorcall
    RENDER_METHOD = 2     # a subclass's own render(), called as a method


@cython.final
@cython.auto_pickle(False)
cdef class _ClassInfo:
    # What the constructor needs from a response class's attributes.
    cdef unsigned int version     # the type's version tag when this was read
    cdef str charset
    cdef object media_type
    cdef bytes content_type       # for `media_type` and `charset`, or None
    cdef int render_kind
    cdef bint renewable           # _construct may reuse its responses (see there)
    cdef PyTypeObject* owner      # the class this describes (compared, never dereferenced)


# Response class -> _ClassInfo (bounded: classes made on the fly are not kept).
cdef dict _class_infos = {}
# The last _ClassInfo found: responses of one class usually follow each other.
cdef _ClassInfo _recent_info = None


cdef _ClassInfo _class_info(PyTypeObject* tp):
    # PERF: one dict lookup instead of three MRO lookups and the Content-Type
    # cache per response (bench/load/callgrind_request.py). CPython gives a
    # type a new version tag whenever an attribute of it or of a base class
    # changes, so a changed media_type, charset or render is seen at once.
    global _recent_info
    cdef _ClassInfo info = _recent_info
    cdef PyObject* found
    cdef PyObject* render
    # (A version tag is never given to two types, so a type made later at a
    # freed owner's address cannot pass for it.)
    if info is not None and info.owner == tp and PyType_HasFeature(
            tp, Py_TPFLAGS_VALID_VERSION_TAG) and _type_version(tp) == info.version:
        return info
    found = PyDict_GetItemWithError(_class_infos, <object>tp)
    if found != NULL:
        info = <_ClassInfo>found
        if PyType_HasFeature(tp, Py_TPFLAGS_VALID_VERSION_TAG) and _type_version(tp) == info.version:
            _recent_info = info
            return info
    info = _ClassInfo.__new__(_ClassInfo)
    info.owner = tp
    charset = _type_attribute(tp, "charset", _UTF8)
    if charset is not _UTF8 and charset == _UTF8:
        charset = _UTF8  # the fast encoder checks identity
    info.charset = charset
    info.media_type = _type_attribute(tp, "media_type", None)
    info.content_type = _content_type(info.media_type, charset) if info.media_type else None
    render = _PyType_Lookup(tp, "render")
    if render == <PyObject*>_base_render:
        info.render_kind = RENDER_TEXT
    elif render == <PyObject*>_json_render:
        info.render_kind = RENDER_JSON
    else:
        info.render_kind = RENDER_METHOD
    info.renewable = renewable_type(<type>tp, ResponseBase)
    if PyType_HasFeature(tp, Py_TPFLAGS_VALID_VERSION_TAG):
        info.version = _type_version(tp)
        if found != NULL or len(_class_infos) < 256:
            _class_infos[<object>tp] = info
            _response_install(tp)
        _recent_info = info
    return info


cdef bytes _render_content(object response, object content, str charset):
    kind = type(content)
    if kind is str:
        if charset is _UTF8:
            return PyUnicode_AsUTF8String(content)
        return content.encode(charset)
    if kind is bytes:
        return content
    if content is None:
        return b""
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode(charset)
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content)
    raise TypeError(
        f"{type(response).__name__} content must be str or bytes, not {type(content)}")


# The JSON render method registered by register_json_render(), and what it
# calls: dumps(content, default=default, option=option).
cdef object _json_render = None
cdef object _json_dumps = None
cdef object _json_default = None
cdef object _json_option = None
cdef tuple _JSON_KEYWORDS = ("default", "option")


cpdef register_json_render(object render, object dumps, object default, object option):
    """Declare that ``render(self, content)`` returns ``dumps(content, default=..., option=...)``."""
    global _json_render, _json_dumps, _json_default, _json_option
    _json_render = render
    _json_dumps = dumps
    _json_default = default
    _json_option = option


cdef object _render_json(object response, object content):
    # PERF: the registered call through vectorcall, with no Python frame and
    # no keyword dict (bench/load/callgrind_request.py, /json).
    cdef PyObject* argv[3]
    argv[0] = <PyObject*>content
    argv[1] = <PyObject*>_json_default
    argv[2] = <PyObject*>_json_option
    # The registered render itself answers what the direct call refuses (it
    # may know a slower way, e.g. for integers beyond 64 bits), or raises.
    return _dumps_or_render(_json_dumps, argv, <PyObject*>_JSON_KEYWORDS, _json_render,
                            response, content)


@cython.auto_pickle(False)
cdef class ResponseBase:
    # See response_writer.pyi for the documented Python surface.

    def __init__(self, content=None, status_code=200, headers=None, media_type=None):
        self._setup(content, status_code, headers, media_type)

    cdef int _setup(self, object content, object status_code, object headers,
                    object media_type) except -1:
        return _fill(self, _class_info(Py_TYPE(self)), content, status_code, headers, media_type)

    cdef int _renew(self) except -1:
        # Back to the state ResponseBase's tp_new leaves (every field None),
        # for _construct. tp_clear sets the object fields to None and, for a
        # Python subclass, empties its __slots__; Cython leaves fields typed
        # bytes and tuple out of it.
        Py_TYPE(self).tp_clear(self)
        self._content_type = None
        self._extra_lines = None
        self._extra_pairs = None
        return 0

    def render(self, content):
        return _render_content(self, content, _class_attribute(self, "charset", _UTF8))

    @property
    def raw_headers(self):
        if self._raw_headers is None:
            self._raw_headers = (
                [(_CONTENT_TYPE, self._content_type)] if self._content_type is not None else [])
            self._content_type = None
        if self._extra_pairs is not None:
            self._raw_headers.extend(self._extra_pairs)
            self._extra_pairs = None
            self._extra_lines = None
        return self._raw_headers

    @raw_headers.setter
    def raw_headers(self, value):
        self._raw_headers = value
        self._content_type = None
        self._extra_pairs = None
        self._extra_lines = None


cdef int _fill(ResponseBase response, _ClassInfo info, object content, object status_code,
               object headers, object media_type) except -1:
    # ResponseBase.__init__'s work, with the class's _ClassInfo already found.
    cdef str charset = info.charset
    cdef list raw
    response.status_code = status_code
    # PERF: the common classes render in C; only a class that overrides
    # render() pays for a Python call (bench/load/callgrind_request.py).
    if info.render_kind == RENDER_TEXT:
        response.body = _render_content(response, content, charset)
    elif info.render_kind == RENDER_JSON:
        response.body = _render_json(response, content)
    else:
        response.body = response.render(content)
    if headers is None:
        # PERF: no list of header pairs until someone asks for one; the
        # writer emits the Content-Type line from the encoded value.
        response._raw_headers = None
        if media_type:
            response._content_type = _content_type(media_type, charset)
        else:
            response._content_type = info.content_type
        return 0
    if not media_type:
        media_type = info.media_type
    response._content_type = None
    response._raw_headers = raw = encode_headers(headers)
    if media_type is not None:
        for item in raw:
            if (<tuple>item)[0] == _CONTENT_TYPE:
                return 0
        raw.append((_CONTENT_TYPE, _content_type(media_type, charset)))
    return 0


cdef object _base_render = ResponseBase.__dict__["render"]
cdef tuple _NO_ARGS = ()


cdef newfunc _response_tp_new = (<PyTypeObject*>ResponseBase).tp_new


# The response _construct() made last, while its type allows reuse and its
# body is small: kept so that the next one of its class can be this object
# again once nobody else refers to it.
cdef ResponseBase _last_made = None
cdef Py_ssize_t _KEPT_BODY_LIMIT = 16 * 1024  # (a kept response holds its body)


cdef object _construct(object cls, object content):
    # `cls(content)` for a class with ResponseBase's own __new__ and __init__
    # (see fastcore_response_vectorcall).
    global _last_made
    cdef PyTypeObject* tp = <PyTypeObject*>cls
    cdef _ClassInfo info = _class_info(tp)
    cdef PyObject* last = <PyObject*>_last_made
    cdef ResponseBase response
    if last != <PyObject*>None and last.ob_type == tp and unshared(last):
        # PERF: the response made last is referenced by nothing but
        # _last_made (sent and dropped by everybody else): renewing it is the
        # same as freeing it and making a new one, without the allocation
        # and deallocation (bench/load/callgrind_request.py). Handlers make
        # one response after the other, so this is the common case.
        response = _last_made
        response._renew()
    else:
        response = <ResponseBase>_response_tp_new(<type>cls, <PyObject*>_NO_ARGS, NULL)
    _fill(response, info, content, 200, None, None)
    if info.renewable and type(response.body) is bytes \
            and PyBytes_GET_SIZE(response.body) <= _KEPT_BODY_LIMIT:
        _last_made = response
    else:
        _last_made = None
    return response


_response_setup(<construct_fn>_construct, <PyTypeObject*>ResponseBase)


@cython.final
@cython.auto_pickle(False)
cdef class PreparedHeaders:
    # See response_writer.pyi for the documented Python surface.
    cdef readonly bytes lines      # every header as "name: value\r\n", checked
    cdef readonly tuple pairs      # the same headers as (name, value) bytes pairs

    def __init__(self, headers):
        cdef list raw = encode_headers(headers)
        cdef list lines = []
        for name, value in raw:
            # SECURITY: the writer copies these lines as they are, after the
            # framing it wrote itself: a second Content-Length or a
            # Transfer-Encoding here would let two recipients split the
            # stream differently (request smuggling, response splitting).
            if (<bytes>name) == b"content-length" or (<bytes>name) == b"transfer-encoding":
                raise ValueError(f"{name.decode()} is framing, which the writer owns")
            lines.append(name + b": " + value + _CRLF)
        self.lines = b"".join(lines)
        self.pairs = tuple(raw)


cpdef object prepared_response(type cls, object status_code, bytes body,
                               PreparedHeaders headers):
    """A ``cls`` response of ``body`` whose headers are all ``headers`` (encoded once)."""
    cdef ResponseBase response
    if (<PyTypeObject*>cls).tp_new == _response_tp_new:
        if not issubclass(cls, ResponseBase):
            raise TypeError(f"{cls.__name__} is not a response class")
        # PERF: no constructor call, no rendering, no header encoding: the
        # head is copied by the writer from lines encoded and checked once
        # (bench/static/callgrind_static.py).
        response = <ResponseBase>_response_tp_new(cls, <PyObject*>_NO_ARGS, NULL)
    else:
        response = cls.__new__(cls)
    response.status_code = status_code
    response.body = body
    response._raw_headers = None
    response._content_type = None
    response._extra_lines = headers.lines
    response._extra_pairs = headers.pairs
    return response


@cython.final
@cython.auto_pickle(False)
cdef class ResponseWriter:
    # See response_writer.pyi for the documented Python surface.

    def __init__(self, server_header="fastcore"):
        if server_header:
            encoded = server_header.encode("latin-1")
            _check_value(encoded, "the server header")
            self.server_line = b"server: " + encoded + _CRLF
        else:
            self.server_line = b""

    cpdef bytes serialize(self, object response, int version_minor, bint keep_alive,
                          bint head_request):
        cdef ResponseBase fixed
        cdef bytes extra_lines = None
        if isinstance(response, ResponseBase):
            fixed = <ResponseBase>response
            body = fixed.body
            headers = fixed._raw_headers
            content_type = fixed._content_type
            extra_lines = fixed._extra_lines
        else:
            body = response.body
            headers = response.raw_headers
            content_type = None
        if type(body) is not bytes:
            if body is None:
                raise TypeError("a streaming response has no body buffer to serialize")
            body = bytes(body)
        return self._build(response.status_code, headers, content_type, <bytes>body,
                           version_minor, keep_alive, head_request, FRAMING_NONE, True,
                           extra_lines)

    cpdef bytes serialize_stream_head(self, object response, int version_minor,
                                      bint keep_alive, bint head_request,
                                      Py_ssize_t content_length=-1):
        cdef int status_code = response.status_code
        cdef int framing = stream_framing(status_code, version_minor, head_request)
        if framing != FRAMING_NONE and content_length >= 0:
            # FRAMING_LENGTH: the body's size is known (a file), so it goes
            # unframed after a Content-Length, on either HTTP version; a
            # Content-Length among the raw headers is dropped as usual.
            return self._build(status_code, response.raw_headers, None, b"", version_minor,
                               keep_alive, head_request, FRAMING_NONE, False,
                               b"content-length: %d\r\n" % content_length)
        if framing == FRAMING_CLOSE:
            keep_alive = False
        return self._build(status_code, response.raw_headers, None, b"", version_minor,
                           keep_alive, head_request, framing, False, None)

    cpdef bytes error(self, int status_code, str detail, bint keep_alive=False):
        return self._build(status_code, None, _TEXT_PLAIN, detail.encode("utf-8"), 1,
                           keep_alive, False, FRAMING_NONE, True, None)

    cdef bytes _build(self, int status_code, object headers, bytes content_type, bytes body,
                      int version_minor, bint keep_alive, bint head_request, int framing,
                      bint fixed, bytes extra_lines):
        # `headers` is the list of raw pairs, or None for a response that has
        # only its Content-Type (`content_type`, or None for none at all);
        # `extra_lines` (or None) follow them as they are (ResponseBase._extra_lines).
        cdef bytes status_line = _status_line(status_code)
        cdef bytes date_line = _date_line
        cdef bint has_length = False
        cdef bint keep_length = False
        cdef Py_ssize_t headers_size = 0
        # RFC 9110 sections 8.6 and 15: no body, and no Content-Length, for
        # 1xx and 204; a 304 keeps the (absent) length of the selected entity.
        cdef bint bodiless_status = status_code < 200 or status_code == 204 or status_code == 304
        cdef Py_ssize_t body_size = PyBytes_GET_SIZE(body)
        # A HEAD answer may state the length of the GET representation itself
        # (hosted ASGI apps do); otherwise the length of the body we skip.
        cdef bint send_length
        cdef bint send_body = fixed and not bodiless_status and not head_request
        cdef bytes connection_line
        cdef Py_ssize_t total
        cdef int digits = 0
        cdef Py_ssize_t n
        cdef char* out
        cdef char* end

        if headers is not None:
            if type(headers) is not list:
                raise TypeError("raw_headers must be a list of (name, value) bytes pairs")
            # A stated Content-Length is kept only where it describes the
            # representation, not the bytes sent: a HEAD answer and a 304
            # (never on 1xx and 204, RFC 9110 section 8.6).
            keep_length = (head_request or status_code == 304) and not (
                status_code < 200 or status_code == 204)
            headers_size = _headers_size(<list>headers, keep_length, &has_length)
            content_type = None
        elif content_type is not None:
            # (checked when it was made: _content_type)
            headers_size = PyBytes_GET_SIZE(_CONTENT_TYPE_PREFIX) + PyBytes_GET_SIZE(content_type) + 2
        send_length = fixed and not bodiless_status and not (head_request and has_length)
        if not keep_alive:
            connection_line = _CONNECTION_CLOSE
        elif version_minor == 0:
            connection_line = _CONNECTION_KEEP_ALIVE
        else:
            connection_line = b""

        if extra_lines is not None:
            headers_size += PyBytes_GET_SIZE(extra_lines)
        total = (PyBytes_GET_SIZE(status_line) + PyBytes_GET_SIZE(date_line)
                 + PyBytes_GET_SIZE(self.server_line) + PyBytes_GET_SIZE(connection_line)
                 + headers_size + 2)
        if send_length:
            digits = _decimal_digits(body_size)
            total += PyBytes_GET_SIZE(_CONTENT_LENGTH) + digits + 2
        if framing == FRAMING_CHUNKED:
            total += PyBytes_GET_SIZE(_TRANSFER_CHUNKED)
        if send_body:
            total += body_size

        # PERF: one allocation of the exact size, then memcpy of every piece;
        # no intermediate list/join (bench/micro/test_bench_response_writer.py).
        result = PyBytes_FromStringAndSize(NULL, total)
        out = PyBytes_AS_STRING(result)
        out = _put(out, status_line)
        out = _put(out, date_line)
        out = _put(out, self.server_line)
        if send_length:
            out = _put(out, _CONTENT_LENGTH)
            # Digits are written backwards from the end of their slot.
            end = out + digits
            n = body_size
            while True:
                end -= 1
                end[0] = <char>(48 + n % 10)
                n //= 10
                if n == 0:
                    break
            out += digits
            out[0] = b"\r"
            out[1] = b"\n"
            out += 2
        if framing == FRAMING_CHUNKED:
            out = _put(out, _TRANSFER_CHUNKED)
        out = _put(out, connection_line)
        if headers is not None:
            for item in <list>headers:
                if _is_framing(<bytes>PyTuple_GET_ITEM(item, 0), keep_length):
                    continue
                out = _put(out, <bytes>PyTuple_GET_ITEM(item, 0))
                out[0] = b":"
                out[1] = b" "
                out = _put(out + 2, <bytes>PyTuple_GET_ITEM(item, 1))
                out[0] = b"\r"
                out[1] = b"\n"
                out += 2
        elif content_type is not None:
            out = _put(out, _CONTENT_TYPE_PREFIX)
            out = _put(out, content_type)
            out[0] = b"\r"
            out[1] = b"\n"
            out += 2
        if extra_lines is not None:
            out = _put(out, extra_lines)
        out[0] = b"\r"
        out[1] = b"\n"
        out += 2
        if send_body:
            memcpy(out, PyBytes_AS_STRING(body), body_size)
        return result


cpdef int stream_framing(int status_code, int version_minor, bint head_request):
    """How a streaming body is delimited (a BodyFraming value)."""
    if head_request or status_code < 200 or status_code == 204 or status_code == 304:
        return FRAMING_NONE
    if version_minor >= 1:
        return FRAMING_CHUNKED
    # NOTE: an HTTP/1.0 client knows no chunked coding (RFC 9112 section 7.1):
    # the body is delimited by closing the connection.
    return FRAMING_CLOSE


cpdef bytes encode_chunk(bytes data):
    """Frame one chunk of a chunked body: size in hex, CRLF, data, CRLF."""
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t n = size
    cdef int digits = 1
    cdef char* out
    cdef char* end
    cdef int nibble
    while n >= 16:
        n >>= 4
        digits += 1
    result = PyBytes_FromStringAndSize(NULL, digits + size + 4)
    out = PyBytes_AS_STRING(result)
    end = out + digits
    n = size
    while True:
        end -= 1
        nibble = n & 15
        end[0] = <char>((48 + nibble) if nibble < 10 else (87 + nibble))
        n >>= 4
        if n == 0:
            break
    out += digits
    out[0] = b"\r"
    out[1] = b"\n"
    memcpy(out + 2, PyBytes_AS_STRING(data), size)
    out += 2 + size
    out[0] = b"\r"
    out[1] = b"\n"
    return result
