# cython: autotestdict=False
# The incremental, I/O-free HTTP/1.1 request parser (RFC 9112 framing, RFC 9110 fields).
#
# The connection protocol feeds bytes with feed() and pulls events with
# next_event() until it answers EVENT_NEED_DATA. The head is parsed one
# complete line at a time with memchr scans over the buffer; no Python code
# runs per header. Anything that could desynchronize framing between us and
# another HTTP processor (request smuggling) is refused with a ParserError
# carrying the status to answer; the parser is then dead.
#
# NOTE: bare LF line endings are refused (400). RFC 9112 section 2.2 lets a
# recipient accept them, but a front-end that does not would see different
# message boundaries than we do, which is exactly a smuggling vector.

cimport cython
from cpython.bytearray cimport (
    PyByteArray_AS_STRING,
    PyByteArray_FromStringAndSize,
    PyByteArray_GET_SIZE,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.object cimport Py_TYPE, PyObject, PyTypeObject, newfunc
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_GET_LENGTH, PyUnicode_New
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

from fastcore._speedups._recycling cimport renewable_type, unshared

from fastcore.exceptions import ParserError

NEED_DATA = EVENT_NEED_DATA
HEAD = EVENT_HEAD
BODY = EVENT_BODY
END = EVENT_END

cdef extern from "limits.h":
    const long long LLONG_MAX


# Parser states (private; the protocol only sees ParseEvent values).
cdef enum State:
    S_REQUEST_LINE = 0
    S_HEADERS = 1
    S_BODY_LENGTH = 2
    S_CHUNK_SIZE = 3
    S_CHUNK_DATA = 4
    S_CHUNK_DATA_END = 5
    S_TRAILERS = 6
    S_END_PENDING = 7
    S_PAUSED = 8

# Per-request bookkeeping bits in HttpRequestParser._flags.
cdef enum Flag:
    F_HOST = 1
    F_CONTENT_LENGTH = 2
    F_TRANSFER_ENCODING = 4
    F_CONN_CLOSE = 8
    F_CONN_KEEP_ALIVE = 16
    F_CONN_UPGRADE = 32
    F_UPGRADE = 64
    F_EXPECT_CONTINUE = 128
    F_ABSOLUTE_FORM = 256
    F_CONNECT = 512

# Header names the parser acts on.
cdef enum HeaderId:
    H_OTHER = 0
    H_HOST = 1
    H_CONTENT_LENGTH = 2
    H_TRANSFER_ENCODING = 3
    H_CONNECTION = 4
    H_EXPECT = 5
    H_UPGRADE = 6

# RFC 9112 section 2.2 asks servers to skip "at least one" empty line before
# a request line; a few cover clients that add CRLF after a POST body.
# A chunk-size line is a hex number plus optional extensions; nothing honest
# needs more than MAX_CHUNK_LINE bytes.
cdef enum:
    MAX_LEADING_EMPTY_LINES = 4
    MAX_CHUNK_LINE = 4096
    MAX_KNOWN_NAME = 32
    MAX_KNOWN_COUNT = 64
    # _read_chunked_body's answer when the trailer section is next.
    CONTINUE_WITH_TRAILERS = 4

# ---------------------------------------------------------------------------
# Character classes, filled once at import.

cdef unsigned char _TOKEN[256]   # tchar (RFC 9110 section 5.6.2)
cdef unsigned char _TARGET[256]  # bytes allowed in a request-target
cdef unsigned char _VALUE[256]   # field-content: VCHAR, obs-text, SP, HTAB
cdef unsigned char _HOST[256]    # uri-host [":" port] (RFC 3986 reg-name, IP-literal)
cdef unsigned char _LOWER[256]   # ASCII lower-casing
cdef signed char _HEX[256]       # hex digit value or -1


cdef void _init_tables() noexcept:
    cdef int c
    cdef bytes tchar_extra = b"!#$%&'*+-.^_`|~"
    cdef bytes host_extra = b"-._~%!$&'()*+,;=:[]"
    for c in range(256):
        _TOKEN[c] = 0
        _HOST[c] = 0
        _LOWER[c] = c + 32 if 65 <= c <= 90 else c
        # SECURITY: CTLs (NUL, CR, LF...), SP and DEL never appear in a target;
        # non-ASCII is refused too so that the target decodes as ASCII
        # (RFC 9112 section 3.2). "#" starts a fragment, which a request
        # never carries.
        _TARGET[c] = 1 if 0x21 <= c <= 0x7E and c != 0x23 else 0
        # SECURITY: every CTL except HTAB is refused in a field value: a bare
        # CR or a NUL is how header injection and smuggling slip through
        # (RFC 9110 section 5.5).
        _VALUE[c] = 1 if c == 0x09 or 0x20 <= c <= 0x7E or c >= 0x80 else 0
        _HEX[c] = -1
        if 48 <= c <= 57:
            _HEX[c] = c - 48
        elif 97 <= c <= 102:
            _HEX[c] = c - 87
        elif 65 <= c <= 70:
            _HEX[c] = c - 55
        if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122:
            _TOKEN[c] = 1
            _HOST[c] = 1
    for c in tchar_extra:
        _TOKEN[c] = 1
    for c in host_extra:
        _HOST[c] = 1


_init_tables()

# ---------------------------------------------------------------------------
# Interned header names: the lower-cased name objects of common headers are
# shared, so a browser request allocates no name bytes at all.
# PERF: bench/micro/test_bench_parser.py::test_fastcore_browser_request.

_KNOWN_NAMES = (
    (b"host", H_HOST),
    (b"content-length", H_CONTENT_LENGTH),
    (b"transfer-encoding", H_TRANSFER_ENCODING),
    (b"connection", H_CONNECTION),
    (b"expect", H_EXPECT),
    (b"upgrade", H_UPGRADE),
) + tuple((name, H_OTHER) for name in (
    b"accept", b"accept-charset", b"accept-encoding", b"accept-language", b"authorization",
    b"cache-control", b"content-encoding", b"content-type", b"cookie", b"dnt", b"forwarded",
    b"if-match", b"if-modified-since", b"if-none-match", b"if-range", b"keep-alive", b"origin",
    b"pragma", b"priority", b"range", b"referer", b"sec-ch-ua", b"sec-ch-ua-mobile",
    b"sec-ch-ua-platform", b"sec-fetch-dest", b"sec-fetch-mode", b"sec-fetch-site",
    b"sec-fetch-user", b"sec-websocket-extensions", b"sec-websocket-key",
    b"sec-websocket-protocol", b"sec-websocket-version", b"te", b"upgrade-insecure-requests",
    b"user-agent", b"via", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto",
    b"x-real-ip", b"x-request-id", b"x-requested-with",
))

# Word-at-a-time scans (8 bytes per step) for the long runs of a request: the
# target and the field values. A word that may hold a byte of interest falls
# back to the byte loop, which decides exactly.
# PERF: bench/micro/test_bench_parser.py::test_fastcore_browser_request
# (about 1.2 ns per header byte with the byte loop alone).
cdef enum:
    _ONES = 0x0101010101010101
cdef uint64_t _HIGH_BITS = 0x8080808080808080ULL


cdef inline uint64_t _has_less(uint64_t x, uint64_t n) noexcept:
    # Non-zero iff some byte of x is below n (n <= 128).
    return (x - <uint64_t>_ONES * n) & ~x & _HIGH_BITS


cdef inline uint64_t _has_byte(uint64_t x, uint64_t byte) noexcept:
    # Non-zero iff some byte of x equals `byte`.
    x ^= <uint64_t>_ONES * byte
    return (x - <uint64_t>_ONES) & ~x & _HIGH_BITS


cdef inline const char* _skip_value_bytes(const char* p, const char* e) noexcept:
    """Return the first byte of p[:e] not allowed in a field value, or e."""
    cdef uint64_t x
    if e - p >= 8:
        while True:
            if e - p <= 8:
                # The last word overlaps the previous one: no tail loop.
                memcpy(&x, e - 8, 8)
                if not (_has_less(x, 0x20) | _has_byte(x, 0x7F)):
                    return e
                break
            memcpy(&x, p, 8)
            # CTLs (HTAB included, which the byte loop then accepts) and DEL.
            if _has_less(x, 0x20) | _has_byte(x, 0x7F):
                break
            p += 8
    while p < e and _VALUE[<unsigned char>p[0]]:
        p += 1
    return p


cdef inline uint64_t _bad_target_word(uint64_t x) noexcept:
    # SP and CTLs, DEL, non-ASCII, "#".
    return _has_less(x, 0x21) | (x & _HIGH_BITS) | _has_byte(x, 0x7F) | _has_byte(x, 0x23)


cdef inline const char* _skip_target_bytes(const char* p, const char* e) noexcept:
    """Return the first byte of p[:e] not allowed in a request-target, or e."""
    cdef uint64_t x
    while e - p >= 8:
        memcpy(&x, p, 8)
        if _bad_target_word(x):
            break
        p += 8
    while p < e and _TARGET[<unsigned char>p[0]]:
        p += 1
    return p


_KNOWN_BY_LENGTH = sorted(_KNOWN_NAMES, key=lambda item: len(item[0]))
if len(_KNOWN_NAMES) > MAX_KNOWN_COUNT or len(_KNOWN_BY_LENGTH[-1][0]) > MAX_KNOWN_NAME:
    raise ImportError("http_parser: the known header name table outgrew its C arrays")


cdef struct KnownName:
    PyObject* name                           # borrowed: _KNOWN_NAMES keeps it alive
    int hid
    unsigned char text[MAX_KNOWN_NAME + 8]   # the lower-cased name, zero-padded
    unsigned char mask[MAX_KNOWN_NAME + 8]   # 0x20 where text has a letter


cdef KnownName _known[MAX_KNOWN_COUNT]
# Entries sorted by length: names of length n are _known_first[n] .. _known_first[n + 1] - 1.
cdef int _known_first[MAX_KNOWN_NAME + 2]


cdef void _init_known_names() noexcept:
    cdef int i = 0
    cdef int n, k
    cdef KnownName* entry
    for n in range(MAX_KNOWN_NAME + 2):
        _known_first[n] = -1
    for name, hid in _KNOWN_BY_LENGTH:
        n = len(name)
        entry = &_known[i]
        entry.name = <PyObject*>name
        entry.hid = hid
        memset(entry.text, 0, sizeof(entry.text))
        memset(entry.mask, 0, sizeof(entry.mask))
        for k in range(n):
            entry.text[k] = name[k]
            entry.mask[k] = 0x20 if 97 <= name[k] <= 122 else 0
        if _known_first[n] < 0:
            _known_first[n] = i
        i += 1
    # Make every length point at the first entry not shorter than itself, so
    # _known_first[n] .. _known_first[n + 1] spans exactly the names of length n.
    _known_first[MAX_KNOWN_NAME + 1] = i
    for n in range(MAX_KNOWN_NAME, -1, -1):
        if _known_first[n] < 0:
            _known_first[n] = _known_first[n + 1]


_init_known_names()


cdef inline bint _same_word(const char* p, const unsigned char* text,
                            const unsigned char* mask) noexcept:
    # (input | mask) == text holds exactly when every letter matches in either
    # case and every other byte matches as is, so a match also proves the
    # name is a valid token.
    cdef uint64_t x, t, m
    memcpy(&x, p, 8)
    memcpy(&t, text, 8)
    memcpy(&m, mask, 8)
    return (x | m) == t


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline PyObject* _known_name(const char* p, Py_ssize_t n, int* hid) noexcept:
    """Return the shared lower-cased name for p[:n] (any case), or NULL."""
    # PERF: compared 8 bytes at a time, case-insensitively, against the few
    # known names of the same length.
    # bench/micro/test_bench_parser.py::test_fastcore_browser_request.
    cdef int i
    cdef Py_ssize_t k
    cdef KnownName* entry
    cdef bint same
    if n > MAX_KNOWN_NAME:
        return NULL
    for i in range(_known_first[n], _known_first[n + 1]):
        entry = &_known[i]
        same = True
        if n >= 8:
            k = 0
            while k + 8 < n and same:
                same = _same_word(p + k, entry.text + k, entry.mask + k)
                k += 8
            # The last word overlaps the previous one instead of reading past p[n].
            same = same and _same_word(p + n - 8, entry.text + n - 8, entry.mask + n - 8)
        else:
            for k in range(n):
                if (<unsigned char>p[k] | entry.mask[k]) != entry.text[k]:
                    same = False
                    break
        if same:
            hid[0] = entry.hid
            return entry.name
    return NULL


cdef bytes _lowered_name(const char* p, Py_ssize_t n):
    cdef bytes name = PyBytes_FromStringAndSize(NULL, n)
    cdef char* out = PyBytes_AS_STRING(name)
    cdef Py_ssize_t k
    for k in range(n):
        out[k] = <char>_LOWER[<unsigned char>p[k]]
    return name


cdef inline str _ascii(const char* p, Py_ssize_t n):
    # PERF: the bytes were validated as ASCII, so a compact ASCII str is
    # filled with one memcpy instead of going through a codec.
    # bench/micro/test_bench_parser.py::test_fastcore_browser_request.
    cdef str s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_1BYTE_DATA(s), p, n)
    return s


cdef inline str _method_name(const char* p, Py_ssize_t n):
    # PERF: the common methods come back as shared constants, no allocation.
    if n == 3:
        if memcmp(p, b"GET", 3) == 0:
            return "GET"
        if memcmp(p, b"PUT", 3) == 0:
            return "PUT"
    elif n == 4:
        if memcmp(p, b"POST", 4) == 0:
            return "POST"
        if memcmp(p, b"HEAD", 4) == 0:
            return "HEAD"
    elif n == 5:
        if memcmp(p, b"PATCH", 5) == 0:
            return "PATCH"
        if memcmp(p, b"TRACE", 5) == 0:
            return "TRACE"
    elif n == 6:
        if memcmp(p, b"DELETE", 6) == 0:
            return "DELETE"
    elif n == 7:
        if memcmp(p, b"OPTIONS", 7) == 0:
            return "OPTIONS"
        if memcmp(p, b"CONNECT", 7) == 0:
            return "CONNECT"
    return _ascii(p, n)


cdef inline bint _equals_lower(const char* p, Py_ssize_t n,
                               const char* lower, Py_ssize_t m) noexcept:
    """Compare p[:n] case-insensitively with an already lower-cased literal."""
    cdef Py_ssize_t k
    if n != m:
        return False
    for k in range(n):
        if _LOWER[<unsigned char>p[k]] != <unsigned char>lower[k]:
            return False
    return True


cdef inline bint _is_ows(char c) noexcept:
    return c == b' ' or c == b'\t'


cdef inline bint _valid_host(const char* p, Py_ssize_t n) noexcept:
    # SECURITY: a Host with whitespace, "/", "@", "?" or a CTL is how cache
    # poisoning and routing confusion start (RFC 9110 section 7.2, RFC 3986
    # section 3.2.2); only reg-name / IP-literal characters and a port pass.
    cdef Py_ssize_t k
    for k in range(n):
        if not _HOST[<unsigned char>p[k]]:
            return False
    return True


# ---------------------------------------------------------------------------


# Heads and parsers hold per-connection state: they are never pickled.
@cython.auto_pickle(False)
@cython.freelist(32)
cdef class RequestHead:
    # The fields are declared in http_parser.pxd; docstrings live in the .pyi.

    @property
    def headers(self):
        if self._headers is None:
            return self._build_headers()
        return self._headers

    @headers.setter
    def headers(self, value):
        self._headers = value
        self._span_source = None
        self._span_count = 0

    @property
    def path_params(self):
        return self.routed_params()

    @path_params.setter
    def path_params(self, value):
        self._path_params = value

    cdef object routed_params(self):
        if self._path_params is None and self.route is not None:
            # PERF: a route without parameters leaves None, and the empty
            # dict is made only if somebody reads it (bench/load/callgrind_request.py).
            self._path_params = {}
        return self._path_params

    cpdef object first_header(self, bytes name):
        # PERF: one header read by a middleware on every request (the session
        # cookie) compares the recorded spans in place instead of building
        # every pair of `headers` (bench/micro/test_bench_security_stack.py).
        cdef const char* base
        cdef const char* wanted = PyBytes_AS_STRING(name)
        cdef Py_ssize_t length = PyBytes_GET_SIZE(name)
        cdef unsigned short* span
        cdef int i
        if name is None:
            raise TypeError("first_header() needs a lower-case header name as bytes")
        if self._headers is not None or self._span_count == 0:
            for pair in self._headers or ():
                if (<tuple>pair)[0] == name:
                    return (<tuple>pair)[1]
            return None
        base = PyBytes_AS_STRING(self._span_source)
        for i in range(self._span_count):
            span = &self._spans[4 * i]
            if span[1] - span[0] == length and _equals_lower(base + span[0], length, wanted, length):
                return PyBytes_FromStringAndSize(base + span[2], span[3] - span[2])
        return None

    cdef list _build_headers(self):
        # PERF: the parser records where each header line's name and value
        # are in the (immutable) read and builds the pairs only when asked:
        # most handlers never look at most headers (bench/load/callgrind_request.py).
        cdef list headers = []
        cdef const char* base
        cdef PyObject* known
        cdef int i, hid
        cdef unsigned short* span
        if self._span_count:
            base = PyBytes_AS_STRING(self._span_source)
            for i in range(self._span_count):
                span = &self._spans[4 * i]
                known = _known_name(base + span[0], span[1] - span[0], &hid)
                name = <object>known if known != NULL else _lowered_name(
                    base + span[0], span[1] - span[0])
                headers.append((name, PyBytes_FromStringAndSize(base + span[2], span[3] - span[2])))
        self._headers = headers
        self._span_source = None
        self._span_count = 0
        return headers

    cdef int _own_spans(self) except -1:
        # Replace the read the spans point into by a copy of just the header
        # lines (they are in order, so the first and last offsets bound them)
        # when that frees most of the read.
        cdef unsigned short first, last
        cdef int i
        if self._span_count == 0:
            return 0
        first = self._spans[0]
        last = self._spans[4 * self._span_count - 1]
        if (last - first) * 2 > PyBytes_GET_SIZE(self._span_source):
            # A copy already, or one that would keep most of the read anyway
            # (PERF: a read of one request is mostly its header lines).
            return 0
        self._span_source = PyBytes_FromStringAndSize(
            PyBytes_AS_STRING(self._span_source) + first, last - first)
        for i in range(4 * self._span_count):
            self._spans[i] -= first
        return 0

    cdef int _recycle(self) except -1:
        # Back to the state RequestHead's tp_new leaves: every field None, 0
        # or False, and a Python subclass's __slots__ unset. Only for a head
        # nobody else can see (HttpRequestParser._recycled_head).
        # tp_clear sets the object fields to None and, for a Python subclass
        # (subtype_clear), empties its __slots__ first; Cython leaves fields
        # typed str and bytes out of it (they cannot hold a cycle).
        Py_TYPE(self).tp_clear(self)
        self.method = None
        self.target = None
        self.path = None
        self.query_string = None
        self._span_source = None
        self.host = None
        self.scheme = None
        self.version_minor = 0
        self._span_count = 0
        self.content_length = 0
        self.chunked = False
        self.keep_alive = False
        self.expect_continue = False
        self.upgrade = False
        return 0

    def __repr__(self):
        return (
            f"<{type(self).__name__} {self.method} {self.target!r} "
            f"HTTP/1.{self.version_minor} headers={len(self.headers or ())}>"
        )


cdef tuple _EMPTY_TUPLE = ()
cdef newfunc _new_head = (<PyTypeObject*>RequestHead).tp_new


@cython.auto_pickle(False)
@cython.final
cdef class HttpRequestParser:
    def __init__(
        self,
        *,
        Py_ssize_t max_request_line=8192,
        Py_ssize_t max_header_bytes=65536,
        Py_ssize_t max_headers=100,
        long long max_body=16 * 1024 * 1024,
        head_type=RequestHead,
    ):
        if max_request_line <= 0 or max_header_bytes <= 0 or max_headers <= 0 or max_body < 0:
            raise ValueError("parser limits must be positive")
        if not isinstance(head_type, type) or not issubclass(head_type, RequestHead):
            raise TypeError("head_type must be RequestHead or a subclass of it")
        self.head_type = head_type
        # Decided per parser (per connection), so a class changed later (a
        # __del__ added) is seen by the next connection.
        self._recycle_heads = renewable_type(head_type, RequestHead)
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.max_body = max_body
        self.head = None
        self.body_chunk = None
        self._buffer = None
        self._data = b""
        self._in_bytearray = False
        self._pos = 0
        self._base_offset = 0
        self._scan_offset = 0
        self._section_start = 0
        self._state = S_REQUEST_LINE
        self._flags = 0
        self._field_count = 0
        self._empty_lines = 0
        self._body_remaining = 0
        self._body_total = 0
        self._dead = False
        self._busy = False
        self._error = None

    # -- input ---------------------------------------------------------------

    cpdef feed(self, bytes data):
        if self._busy:
            # NOTE: next_event holds raw pointers into the buffer; growing
            # it underneath would leave them dangling.
            raise RuntimeError("feed() called while next_event() is running")
        if PyBytes_GET_SIZE(data) == 0:
            return
        self._release_consumed()
        if not self._in_bytearray:
            if PyBytes_GET_SIZE(self._data) == 0:
                # PERF: nothing pending, so keep a reference to the caller's
                # bytes instead of copying them (the common case: each read
                # holds whole requests).
                # bench/micro/test_bench_parser.py::test_fastcore_pipeline.
                self._data = data
                return
            # A request is split across reads: switch to the accumulation buffer.
            self._buffer = PyByteArray_FromStringAndSize(
                PyBytes_AS_STRING(self._data) + self._pos,
                PyBytes_GET_SIZE(self._data) - self._pos,
            )
            self._base_offset += self._pos
            self._data = b""
            self._pos = 0
            self._in_bytearray = True
        elif self._pos:
            # Compact the consumed prefix (CPython deletes a bytearray prefix
            # by moving its start, without copying).
            self._base_offset += self._pos
            del self._buffer[:self._pos]
            self._pos = 0
        self._buffer += data

    cdef int _release_consumed(self) except -1:
        # Drop input that is fully parsed, so that an idle keep-alive
        # connection holds neither the last read nor a grown buffer.
        cdef Py_ssize_t size
        if self._in_bytearray:
            size = PyByteArray_GET_SIZE(self._buffer)
            if self._pos < size:
                return 0
            self._buffer = None
            self._in_bytearray = False
        else:
            size = PyBytes_GET_SIZE(self._data)
            if self._pos < size or size == 0:
                return 0
        self._base_offset += size
        self._data = b""
        self._pos = 0
        return 0

    def unconsumed(self):
        """Return the buffered bytes the parser has not consumed yet."""
        if self._in_bytearray:
            return bytes(self._buffer[self._pos:])
        return self._data[self._pos:]

    def resume(self):
        """Continue parsing HTTP after an Upgrade/CONNECT request was declined."""
        if self._state == S_PAUSED:
            self._state = S_REQUEST_LINE

    @property
    def paused(self):
        return self._state == S_PAUSED

    # -- events --------------------------------------------------------------

    cpdef int next_event(self) except -1:
        cdef int event
        if self._dead:
            raise ParserError(*self._error.args)
        self._busy = True
        try:
            event = self._advance()
            if event == EVENT_NEED_DATA:
                self._release_consumed()
        finally:
            self._busy = False
        return event

    cdef int _fail(self, int status, str detail, Py_ssize_t index) except -1:
        self._dead = True
        self._error = ParserError(status, detail, self._base_offset + index)
        raise self._error

    cdef int _advance(self) except -1:
        cdef object source
        cdef const char* base
        cdef Py_ssize_t length
        cdef const char* lf
        cdef Py_ssize_t start, eol
        cdef int event
        # Pointers are re-derived on every call from the active buffer, and
        # `source` keeps that buffer alive for the duration of the call.
        if self._in_bytearray:
            source = self._buffer
            base = PyByteArray_AS_STRING(source)
            length = PyByteArray_GET_SIZE(source)
        else:
            source = self._data
            base = PyBytes_AS_STRING(source)
            length = PyBytes_GET_SIZE(source)

        while True:
            if self._state == S_REQUEST_LINE:
                start = max(self._pos, <Py_ssize_t>(self._scan_offset - self._base_offset))
                lf = <const char*>memchr(base + start, b'\n', length - start)
                if lf == NULL:
                    self._scan_offset = self._base_offset + length
                    # SECURITY: refuse an endless request line as soon as it
                    # passes the limit, not at its CRLF (slowloris).
                    if length - self._pos > self.max_request_line + 1:
                        self._fail(414, "request line too long", self._pos + self.max_request_line)
                    return EVENT_NEED_DATA
                eol = lf - base
                # NOTE: each limit is checked on the bytes before the LF first,
                # exactly as while the line was incomplete, so the answer does
                # not depend on how the stream was split into reads.
                if eol - self._pos > self.max_request_line + 1:
                    self._fail(414, "request line too long", self._pos + self.max_request_line)
                if eol == self._pos or base[eol - 1] != b'\r':
                    self._fail(400, "bare LF line ending", eol)
                if eol - 1 == self._pos:
                    self._empty_lines += 1
                    if self._empty_lines > MAX_LEADING_EMPTY_LINES:
                        self._fail(400, "too many empty lines before the request line", self._pos)
                    self._pos = eol + 1
                    continue
                self._parse_request_line(base, self._pos, eol - 1)
                self._pos = eol + 1
                self._section_start = self._base_offset + self._pos
                self._state = S_HEADERS

            elif self._state == S_HEADERS or self._state == S_TRAILERS:
                start = max(self._pos, <Py_ssize_t>(self._scan_offset - self._base_offset))
                lf = <const char*>memchr(base + start, b'\n', length - start)
                if lf == NULL:
                    self._scan_offset = self._base_offset + length
                    # SECURITY: an endless header section is refused as soon
                    # as it passes the limit (RFC 9112 section 5, slowloris).
                    if self._base_offset + length - self._section_start > self.max_header_bytes + 2:
                        self._fail(431, "header section too large",
                                   self._section_start - self._base_offset + self.max_header_bytes)
                    return EVENT_NEED_DATA
                eol = lf - base
                if self._base_offset + eol - self._section_start > self.max_header_bytes + 2:
                    self._fail(431, "header section too large",
                               self._section_start - self._base_offset + self.max_header_bytes)
                if eol == self._pos or base[eol - 1] != b'\r':
                    self._fail(400, "bare LF line ending", eol)
                if self._base_offset + eol + 1 - self._section_start > self.max_header_bytes + 2:
                    self._fail(431, "header section too large",
                               self._section_start - self._base_offset + self.max_header_bytes)
                if eol - 1 == self._pos:
                    # The empty line ends the section.
                    self._pos = eol + 1
                    if self._state == S_HEADERS:
                        self._finish_head(eol)
                        return EVENT_HEAD
                    self._state = S_END_PENDING
                    continue
                self._field_count += 1
                if self._field_count > self.max_headers:
                    self._fail(431, "too many header fields", self._pos)
                self._parse_field_line(base, self._pos, eol - 1, self._state == S_TRAILERS)
                self._pos = eol + 1

            elif self._state == S_BODY_LENGTH:
                return self._read_fixed_body(source, base, length)

            elif self._state == S_END_PENDING:
                # The body was handed on with its BODY events; do not keep
                # the last chunk alive on an idle connection.
                self.body_chunk = None
                if self.head.upgrade or self._flags & F_CONNECT:
                    # The bytes after an upgrade/CONNECT request belong to
                    # another protocol: stop until the protocol decides.
                    self._state = S_PAUSED
                else:
                    self._state = S_REQUEST_LINE
                if self.head._span_count and self._pos >= length:
                    # An idle connection must not keep a read alive through
                    # the last head's header spans. PERF: while the read
                    # holds more requests the next head replaces this one in
                    # the parser, so only a read's last request pays for the
                    # copy (bench/load/callgrind_request.py, pipelined).
                    self.head._own_spans()
                self._empty_lines = 0
                return EVENT_END

            elif self._state == S_PAUSED:
                return EVENT_NEED_DATA

            else:
                event = self._read_chunked_body(base, length)
                if event != CONTINUE_WITH_TRAILERS:
                    return event

    # -- request line and fields ---------------------------------------------

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int _parse_request_line(self, const char* base, Py_ssize_t begin,
                                 Py_ssize_t end) except -1:
        cdef const char* p = base + begin
        cdef const char* e = base + end
        cdef const char* q = p
        cdef const char* target
        cdef const char* target_end
        cdef const char* question
        cdef const char* path_start
        cdef const char* authority_end
        cdef Py_ssize_t method_len
        cdef RequestHead head
        cdef int major, minor
        cdef str last

        # method SP request-target SP HTTP-version (RFC 9112 section 3), each
        # separated by exactly one SP.
        while q < e and _TOKEN[<unsigned char>q[0]]:
            q += 1
        method_len = q - p
        if method_len == 0 or q == e or q[0] != b' ':
            self._fail(400, "invalid method", q - base)
        q += 1
        target = q
        q = _skip_target_bytes(q, e)
        target_end = q
        if target_end == target:
            self._fail(400, "missing request target", q - base)
        if q == e or q[0] != b' ':
            self._fail(400, "invalid character in request target", q - base)
        q += 1
        # HTTP-version = "HTTP/" DIGIT "." DIGIT
        if (e - q != 8 or memcmp(q, b"HTTP/", 5) != 0 or q[6] != b'.'
                or not (b'0' <= q[5] <= b'9') or not (b'0' <= q[7] <= b'9')):
            self._fail(400, "malformed HTTP version", q - base)
        major = q[5] - 48
        minor = q[7] - 48
        if major != 1 or minor > 1:
            self._fail(505, "HTTP version not supported", q - base)

        head = self._recycled_head()
        if head is None:
            # PERF: RequestHead's tp_new is called directly, the C equivalent of
            # RequestHead.__new__(head_type): no __init__, no Python-level call.
            # bench/micro/test_bench_parser.py::test_fastcore_browser_request.
            head = <RequestHead>_new_head(<type>self.head_type, <PyObject*>_EMPTY_TUPLE, NULL)
        head.method = _method_name(p, method_len)
        head.version_minor = minor
        # (Header lines are kept as spans until `headers` is read.)
        head.content_length = -1
        head.scheme = "http"
        self._flags = 0
        self._field_count = 0
        self._body_total = 0

        # request-target forms (RFC 9112 section 3.2).
        if target[0] == b'/':
            last = self._last_target
            if last is not None and PyUnicode_GET_LENGTH(last) == target_end - target \
                    and memcmp(PyUnicode_1BYTE_DATA(last), target, target_end - target) == 0:
                # PERF: the same target as this connection's previous request
                # (polling clients, load generators): no new strings, and the
                # router's lookup finds the path's hash already computed.
                head.target = last
                head.path = self._last_path
                head.query_string = self._last_query
            else:
                head.target = _ascii(target, target_end - target)
                question = <const char*>memchr(target, b'?', target_end - target)
                if question == NULL:
                    head.path = head.target
                    head.query_string = ""
                else:
                    head.path = _ascii(target, question - target)
                    head.query_string = _ascii(question + 1, target_end - question - 1)
                self._last_target = head.target
                self._last_path = head.path
                self._last_query = head.query_string
        elif target_end - target == 1 and target[0] == b'*':
            if method_len != 7 or memcmp(p, b"OPTIONS", 7) != 0:
                self._fail(400, "asterisk-form target is only valid for OPTIONS", target - base)
            head.target = head.path = "*"
            head.query_string = ""
        elif method_len == 7 and memcmp(p, b"CONNECT", 7) == 0:
            # authority-form: host:port
            if (not _valid_host(target, target_end - target)
                    or memchr(target, b':', target_end - target) == NULL):
                self._fail(400, "invalid CONNECT target", target - base)
            head.target = _ascii(target, target_end - target)
            head.path = "/"
            head.query_string = ""
            head.host = PyBytes_FromStringAndSize(target, target_end - target)
            self._flags |= F_ABSOLUTE_FORM | F_CONNECT
        else:
            # absolute-form: http(s)://authority[/path][?query]
            if _equals_lower(target, min(7, target_end - target), b"http://", 7):
                q = target + 7
            elif _equals_lower(target, min(8, target_end - target), b"https://", 8):
                q = target + 8
            else:
                self._fail(400, "invalid request target", target - base)
            path_start = q
            while path_start < target_end and path_start[0] != b'/' and path_start[0] != b'?':
                path_start += 1
            authority_end = path_start
            # (_valid_host refuses "@": no userinfo in the authority.)
            if authority_end == q or not _valid_host(q, authority_end - q):
                self._fail(400, "invalid authority in request target", q - base)
            head.target = _ascii(target, target_end - target)
            head.host = PyBytes_FromStringAndSize(q, authority_end - q)
            question = <const char*>memchr(path_start, b'?', target_end - path_start)
            if question == NULL:
                question = target_end
                head.query_string = ""
            else:
                head.query_string = _ascii(question + 1, target_end - question - 1)
            head.path = _ascii(path_start, question - path_start) if question > path_start else "/"
            self._flags |= F_ABSOLUTE_FORM
        self.head = head
        return 0

    cdef RequestHead _recycled_head(self):
        # The previous request's head, emptied, when nothing but this parser
        # refers to it any more (its handler, middleware and response are
        # done with it, nobody kept it or a weak reference): reusing it is
        # then the same as freeing it and making a new one, without the
        # allocation and deallocation (PERF: bench/load/callgrind_request.py,
        # pipelined). Otherwise None, and a new head is made.
        cdef RequestHead head
        cdef PyObject* last = <PyObject*>self.head
        if not self._recycle_heads or last == <PyObject*>None or not unshared(last) \
                or last.ob_type != <PyTypeObject*>self.head_type:
            return None
        head = self.head
        head._recycle()
        return head

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int _parse_field_line(self, const char* base, Py_ssize_t begin, Py_ssize_t end,
                               bint trailer) except -1:
        cdef const char* p = base + begin
        cdef const char* e = base + end
        cdef const char* q = p
        cdef const char* v
        cdef const char* ve
        cdef const char* c
        cdef int hid = H_OTHER
        cdef PyObject* known
        cdef RequestHead head
        cdef object name
        cdef bytes value
        cdef unsigned short* span

        # SECURITY: obs-fold (a line starting with SP/HTAB) is refused; it
        # also covers whitespace between the start line and the first field
        # (RFC 9112 sections 2.2 and 5.2).
        if p[0] == b' ' or p[0] == b'\t':
            self._fail(400, "obsolete line folding", begin)
        # PERF: a known name is found by its colon and a word compare, which
        # also validates it; only other names are checked byte by byte.
        # bench/micro/test_bench_parser.py::test_fastcore_browser_request.
        q = <const char*>memchr(p, b':', e - p)
        known = NULL
        if q != NULL:
            known = _known_name(p, q - p, &hid)
        if known != NULL:
            name = <object>known
        else:
            q = p
            while q < e and _TOKEN[<unsigned char>q[0]]:
                q += 1
            if q == e or q[0] != b':':
                # SECURITY: whitespace between name and colon must be refused
                # (RFC 9112 section 5.1), or two parsers may disagree on the name.
                if q < e and _is_ows(q[0]):
                    self._fail(400, "whitespace between header name and colon", q - base)
                self._fail(400, "invalid character in header name", q - base)
            if q == p:
                self._fail(400, "empty header name", begin)
            name = None
        v = q + 1
        ve = e
        while v < ve and _is_ows(v[0]):
            v += 1
        while ve > v and _is_ows((ve - 1)[0]):
            ve -= 1
        c = _skip_value_bytes(v, ve)
        if c != ve:
            self._fail(400, "invalid character in header value", c - base)
        if trailer:
            # Trailer fields are validated and dropped: framing, routing and
            # authentication fields must never come from a trailer
            # (RFC 9110 section 6.5.1).
            return 0
        head = self.head
        value = None
        if (head._headers is None and head._span_count < LAZY_HEADERS
                and not self._in_bytearray
                and PyBytes_GET_SIZE(self._data) <= LAZY_SOURCE_LIMIT
                and (head._span_count == 0 or head._span_source is self._data)):
            # The line stays in the read, which is immutable and small
            # enough to keep: only its offsets are recorded (they fit the
            # unsigned shorts because the read is at most LAZY_SOURCE_LIMIT).
            head._span_source = self._data
            span = &head._spans[4 * head._span_count]
            span[0] = <unsigned short>(p - base)
            span[1] = <unsigned short>(q - base)
            span[2] = <unsigned short>(v - base)
            span[3] = <unsigned short>(ve - base)
            head._span_count += 1
        else:
            # NOTE: a bytearray buffer moves and is reused, so its lines (and
            # every line after too many) are built now, in order.
            if head._headers is None:
                head._build_headers()
            if name is None:
                name = _lowered_name(p, q - p)
            value = PyBytes_FromStringAndSize(v, ve - v)
            head._headers.append((name, value))
        if hid != H_OTHER:
            if hid == H_HOST:
                value = self._host_value(v, ve - v)
            self._apply_header(hid, v, ve - v, value, v - base)
        return 0

    cdef bytes _host_value(self, const char* v, Py_ssize_t n):
        # PERF: the requests of a connection name the same host: the previous
        # value is given again (no allocation, and an identity compare for
        # whoever checks it next; bench/load/callgrind_request.py).
        cdef bytes last = self._last_host
        if last is not None and PyBytes_GET_SIZE(last) == n \
                and memcmp(PyBytes_AS_STRING(last), v, n) == 0:
            return last
        last = PyBytes_FromStringAndSize(v, n)
        self._last_host = last
        return last

    cdef int _apply_header(self, int hid, const char* v, Py_ssize_t n, bytes value,
                           Py_ssize_t index) except -1:
        cdef RequestHead head = self.head
        cdef long long length = 0
        cdef Py_ssize_t k
        cdef int digit
        if hid == H_CONTENT_LENGTH:
            # SECURITY: one Content-Length, digits only (RFC 9112 section 6.3):
            # duplicates (even identical), lists, signs and overflow are all
            # ways to make two parsers disagree on where the body ends.
            if self._flags & F_CONTENT_LENGTH:
                self._fail(400, "duplicate Content-Length", index)
            if n == 0:
                self._fail(400, "empty Content-Length", index)
            for k in range(n):
                digit = v[k] - 48
                if digit < 0 or digit > 9:
                    self._fail(400, "malformed Content-Length", index + k)
                if length > (LLONG_MAX - digit) // 10:
                    self._fail(400, "Content-Length overflow", index + k)
                length = length * 10 + digit
            head.content_length = length
            self._flags |= F_CONTENT_LENGTH
        elif hid == H_TRANSFER_ENCODING:
            # SECURITY: the only coding accepted is a single, exact "chunked"
            # (RFC 9112 section 6.1): any other or additional coding is
            # where TE.TE obfuscation hides.
            if self._flags & F_TRANSFER_ENCODING:
                self._fail(400, "repeated Transfer-Encoding", index)
            if not _equals_lower(v, n, b"chunked", 7):
                self._fail(400, "unsupported Transfer-Encoding", index)
            self._flags |= F_TRANSFER_ENCODING
        elif hid == H_HOST:
            # SECURITY: exactly one valid Host (RFC 9112 section 3.2).
            if self._flags & F_HOST:
                self._fail(400, "repeated Host header", index)
            if not _valid_host(v, n):
                self._fail(400, "invalid Host header", index)
            self._flags |= F_HOST
            if not (self._flags & F_ABSOLUTE_FORM):
                head.host = value
        elif hid == H_CONNECTION:
            self._parse_connection(v, n)
        elif hid == H_EXPECT:
            if _equals_lower(v, n, b"100-continue", 12):
                self._flags |= F_EXPECT_CONTINUE
        elif hid == H_UPGRADE:
            self._flags |= F_UPGRADE
        return 0

    cdef void _parse_connection(self, const char* v, Py_ssize_t n) noexcept:
        # Connection = #connection-option: a comma-separated, case-insensitive list.
        cdef Py_ssize_t i = 0
        cdef Py_ssize_t start, stop
        while i < n:
            while i < n and (_is_ows(v[i]) or v[i] == b','):
                i += 1
            start = i
            while i < n and v[i] != b',':
                i += 1
            stop = i
            while stop > start and _is_ows(v[stop - 1]):
                stop -= 1
            if _equals_lower(v + start, stop - start, b"close", 5):
                self._flags |= F_CONN_CLOSE
            elif _equals_lower(v + start, stop - start, b"keep-alive", 10):
                self._flags |= F_CONN_KEEP_ALIVE
            elif _equals_lower(v + start, stop - start, b"upgrade", 7):
                self._flags |= F_CONN_UPGRADE

    cdef int _finish_head(self, Py_ssize_t index) except -1:
        cdef RequestHead head = self.head
        cdef int flags = self._flags
        if not (flags & F_HOST):
            if head.version_minor == 1:
                self._fail(400, "missing Host header", index)
            if head.host is None:
                # HTTP/1.0 without Host (and not absolute-form): an empty
                # host, as for an empty Host header, so that request.host,
                # request.url and the host checks see a value.
                head.host = b""
        if flags & F_TRANSFER_ENCODING:
            if flags & F_CONTENT_LENGTH:
                # SECURITY: CL.TE / TE.CL smuggling (RFC 9112 section 6.3).
                self._fail(400, "Content-Length with Transfer-Encoding", index)
            if head.version_minor == 0:
                # SECURITY: an HTTP/1.0 hop may not understand chunked framing
                # (RFC 9112 section 6.1).
                self._fail(400, "Transfer-Encoding on HTTP/1.0", index)
            head.chunked = True
            self._state = S_CHUNK_SIZE
        elif head.content_length > self.max_body:
            self._fail(413, "request body too large", index)
        elif head.content_length > 0:
            self._body_remaining = head.content_length
            self._state = S_BODY_LENGTH
        else:
            self._state = S_END_PENDING
        if flags & F_CONN_CLOSE:
            head.keep_alive = False
        else:
            head.keep_alive = head.version_minor == 1 or (flags & F_CONN_KEEP_ALIVE) != 0
        # RFC 9110 section 10.1.1: 100-continue from an HTTP/1.0 client is ignored.
        head.expect_continue = head.version_minor == 1 and (flags & F_EXPECT_CONTINUE) != 0
        head.upgrade = (flags & F_CONN_UPGRADE) != 0 and (flags & F_UPGRADE) != 0
        return 0

    # -- bodies ----------------------------------------------------------------

    cdef int _read_fixed_body(self, object source, const char* base, Py_ssize_t length) except -1:
        cdef Py_ssize_t available = length - self._pos
        cdef Py_ssize_t take
        if available == 0:
            return EVENT_NEED_DATA
        take = <Py_ssize_t>min(<long long>available, self._body_remaining)
        if take == length and not self._in_bytearray:
            # PERF: a body that arrived as its own read is handed on as is.
            self.body_chunk = <bytes>source
        else:
            self.body_chunk = PyBytes_FromStringAndSize(base + self._pos, take)
        self._pos += take
        self._body_remaining -= take
        if self._body_remaining == 0:
            self._state = S_END_PENDING
        return EVENT_BODY

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int _read_chunked_body(self, const char* base, Py_ssize_t length) except -1:
        # Every chunk already buffered is merged into one BODY event.
        cdef list pieces = None
        cdef bytes piece
        cdef Py_ssize_t available, take, start, eol
        cdef const char* lf
        while True:
            if self._state == S_CHUNK_SIZE:
                start = max(self._pos, <Py_ssize_t>(self._scan_offset - self._base_offset))
                lf = <const char*>memchr(base + start, b'\n', length - start)
                if lf == NULL:
                    self._scan_offset = self._base_offset + length
                    if length - self._pos > MAX_CHUNK_LINE:
                        self._fail(400, "chunk size line too long", self._pos + MAX_CHUNK_LINE)
                    break
                eol = lf - base
                # Same answer whether the line arrived whole or in pieces.
                if eol - self._pos > MAX_CHUNK_LINE:
                    self._fail(400, "chunk size line too long", self._pos + MAX_CHUNK_LINE)
                if eol == self._pos or base[eol - 1] != b'\r':
                    self._fail(400, "bare LF line ending", eol)
                self._parse_chunk_size(base, self._pos, eol - 1)
                self._pos = eol + 1
                if self._body_remaining == 0:
                    # last-chunk: the trailer section follows.
                    self._section_start = self._base_offset + self._pos
                    self._field_count = 0
                    self._state = S_TRAILERS
                    break
                self._state = S_CHUNK_DATA
            elif self._state == S_CHUNK_DATA:
                available = length - self._pos
                if available == 0:
                    break
                take = <Py_ssize_t>min(<long long>available, self._body_remaining)
                piece = PyBytes_FromStringAndSize(base + self._pos, take)
                if pieces is None:
                    pieces = [piece]
                else:
                    pieces.append(piece)
                self._pos += take
                self._body_remaining -= take
                if self._body_remaining == 0:
                    self._state = S_CHUNK_DATA_END
            else:  # S_CHUNK_DATA_END
                # SECURITY: chunk data must be followed by exactly CRLF
                # (RFC 9112 section 7.1); anything else is a framing mismatch.
                available = length - self._pos
                if available >= 1 and base[self._pos] != b'\r':
                    self._fail(400, "chunk data not followed by CRLF", self._pos)
                if available >= 2 and base[self._pos + 1] != b'\n':
                    self._fail(400, "chunk data not followed by CRLF", self._pos + 1)
                if available < 2:
                    break
                self._pos += 2
                self._state = S_CHUNK_SIZE
        if pieces is None:
            if self._state == S_TRAILERS:
                # The trailer section is line-based: the main loop parses it.
                return CONTINUE_WITH_TRAILERS
            return EVENT_NEED_DATA
        self.body_chunk = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        return EVENT_BODY

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int _parse_chunk_size(self, const char* base, Py_ssize_t begin, Py_ssize_t end) except -1:
        # chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG (RFC 9112 section 7.1).
        cdef const char* p = base + begin
        cdef const char* e = base + end
        cdef const char* q = p
        cdef const char* mark
        cdef long long size = 0
        cdef int digit
        while q < e:
            digit = _HEX[<unsigned char>q[0]]
            if digit < 0:
                break
            # SECURITY: an overflowing size would wrap to a small one.
            if size > (LLONG_MAX >> 4):
                self._fail(400, "chunk size overflow", q - base)
            size = (size << 4) | digit
            q += 1
        if q == p:
            self._fail(400, "invalid chunk size", q - base)
        # chunk-ext = *( ";" ext-name [ "=" ext-val ] )
        # SECURITY: RFC 9112 section 7.1.1 allows BWS around ";" and "=", but
        # parsers disagree on it (llhttp refuses it, others stop at it), and
        # any disagreement on where a chunk starts is a smuggling vector: no
        # whitespace is accepted.
        while q < e:
            if q[0] != b';':
                self._fail(400, "invalid chunk extension", q - base)
            q += 1
            mark = q
            while q < e and _TOKEN[<unsigned char>q[0]]:
                q += 1
            if q == mark:
                self._fail(400, "invalid chunk extension name", q - base)
            if q == e or q[0] != b'=':
                continue
            q += 1
            if q < e and q[0] == b'"':
                q = self._skip_quoted_string(base, q, e)
            else:
                mark = q
                while q < e and _TOKEN[<unsigned char>q[0]]:
                    q += 1
                if q == mark:
                    self._fail(400, "invalid chunk extension value", q - base)
        self._body_total += size
        if self._body_total > self.max_body:
            self._fail(413, "request body too large", begin)
        self._body_remaining = size
        return 0

    cdef const char* _skip_quoted_string(self, const char* base, const char* q,
                                         const char* e) except NULL:
        # quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 section 5.6.4)
        cdef unsigned char c
        q += 1
        while q < e:
            c = <unsigned char>q[0]
            if c == b'"':
                return q + 1
            if c == b'\\':
                q += 1
                if q == e or not _VALUE[<unsigned char>q[0]]:
                    break
            elif not _VALUE[c]:
                break
            q += 1
        self._fail(400, "invalid quoted string in chunk extension", q - base)
        return NULL


def parse_all(
    data,
    *,
    Py_ssize_t max_request_line=8192,
    Py_ssize_t max_header_bytes=65536,
    Py_ssize_t max_headers=100,
    long long max_body=16 * 1024 * 1024,
    head_type=RequestHead,
):
    """Parse complete requests from one buffer (a test and tooling helper)."""
    cdef HttpRequestParser parser = HttpRequestParser(
        max_request_line=max_request_line,
        max_header_bytes=max_header_bytes,
        max_headers=max_headers,
        max_body=max_body,
        head_type=head_type,
    )
    cdef list requests = []
    cdef list body = []
    cdef int event
    parser.feed(bytes(data))
    while True:
        event = parser.next_event()
        if event == EVENT_NEED_DATA:
            return requests
        if event == EVENT_HEAD:
            body = []
        elif event == EVENT_BODY:
            body.append(parser.body_chunk)
        else:
            requests.append((parser.head, b"".join(body)))
