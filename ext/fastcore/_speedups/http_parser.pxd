# The C-level contract of the incremental HTTP/1.1 request parser.
#
# The parser is I/O-free: the connection protocol feeds it bytes and pulls
# events until it answers EVENT_NEED_DATA. Every complete request in the
# buffer is parsed in that one pass (pipelining). Malformed or over-limit
# input raises fastcore.exceptions.ParserError(status_code, detail, offset);
# after that the parser is dead and the connection must be closed.

cdef enum ParseEvent:
    EVENT_NEED_DATA = 0   # nothing more can be parsed until more bytes arrive
    EVENT_HEAD = 1        # a request head is complete: read parser.head
    EVENT_BODY = 2        # a body chunk is ready: read parser.body_chunk (never empty)
    EVENT_END = 3         # the current request (head + body) is complete


cdef enum:
    LAZY_HEADERS = 16                # header lines a head can keep as spans
    LAZY_SOURCE_LIMIT = 4096         # largest read whose header lines are kept as spans


cdef class RequestHead:
    # Fields set by the parser. Strings from the request line are ASCII
    # (the parser refuses anything else in a target); header names and values
    # stay bytes and are decoded lazily by fastcore.requests.Request.
    cdef public str method           # interned for the common methods
    cdef public str target           # the raw request-target as sent
    cdef public str path             # raw, percent-encoded path ("*": OPTIONS *, "/": CONNECT)
    cdef public str query_string     # raw query after "?", "" when absent
    cdef public int version_minor    # 0 for HTTP/1.0, 1 for HTTP/1.1
    # `headers` ([(lower-cased name bytes, value bytes), ...] in order) is a
    # property: the pairs are built on first access from the spans below.
    cdef list _headers               # the built pairs; None while they are spans
    cdef bytes _span_source          # the read (immutable bytes) the spans point into
    cdef int _span_count             # header lines recorded as spans
    cdef unsigned short _spans[4 * LAZY_HEADERS]  # name start/end, value start/end
    cdef public bytes host           # the Host header value (or the absolute-form authority)
    cdef public long long content_length  # -1 when the request has no Content-Length
    cdef public bint chunked         # Transfer-Encoding: chunked
    cdef public bint keep_alive      # per version + Connection header
    cdef public bint expect_continue  # Expect: 100-continue
    cdef public bint upgrade         # Connection: upgrade with an Upgrade header
    # Fields set by the connection protocol (or the test client / ASGI adapter).
    cdef public object body_reader   # the request body channel (see fastcore.types.BodyReader)
    cdef public object client        # (host, port) of the peer, or None
    cdef public str scheme           # "http" or "https"
    # Fields set by the App's dispatch (documented on fastcore.requests.Request);
    # C fields so that the compiled dispatch sets them without attribute lookups.
    cdef public object app
    cdef public object route
    cdef object _path_params         # `path_params` is a property: None for a routed
                                     # request without parameters (made {} when read)
    # Fields set by the security middleware (documented on fastcore.requests.Request),
    # compiled so that the security gate reads and sets them in C. None until set.
    cdef public object _session           # the session (SessionMiddleware)
    cdef public object _session_factory   # makes the session on first read (a new visitor's)
    cdef public object _csp_nonce         # "" under SecurityHeadersMiddleware, the nonce once drawn

    cpdef object first_header(self, bytes name)
    cdef list _build_headers(self)
    cdef int _own_spans(self) except -1
    cdef int _recycle(self) except -1
    cdef object routed_params(self)


cdef class HttpRequestParser:
    cdef:
        object head_type             # RequestHead or a subclass, instantiated without __init__
        Py_ssize_t max_request_line
        Py_ssize_t max_header_bytes
        Py_ssize_t max_headers
        long long max_body
        readonly RequestHead head    # the head of the request being parsed / just parsed
        readonly bytes body_chunk    # the chunk of the last EVENT_BODY
        # Private state (buffer, offsets, body framing) is declared here too,
        # because cdef class layouts must be complete in the .pxd.
        bytearray _buffer            # accumulation buffer, used once a read is split
        bytes _data                  # the fed bytes, kept without copying while nothing is pending
        bint _in_bytearray           # which of _buffer / _data holds the unconsumed input
        Py_ssize_t _pos              # index of the first unconsumed byte in the active buffer
        long long _base_offset       # stream offset of the active buffer's first byte
        long long _scan_offset       # stream offset up to which the current line has no LF
        long long _section_start     # stream offset where the header/trailer section began
        int _state
        int _flags                   # per-request header bookkeeping (seen Host, CL, TE, ...)
        Py_ssize_t _field_count      # header (or trailer) lines in the current section
        int _empty_lines             # empty lines skipped before the request line
        long long _body_remaining
        long long _body_total        # chunked: data bytes seen so far (max_body check)
        bint _dead
        bint _busy                   # next_event is running: feed must not move the buffer
        object _error                # the ParserError that killed the parser, raised again
        str _last_target             # the previous origin-form target, and its path and query:
        str _last_path               # a keep-alive client asking for the same target again
        str _last_query              # gets these strings (and their cached hashes) back
        bytes _last_host             # the previous Host value, given again for the same host
        bint _recycle_heads          # head_type's heads can be reused (see _recycled_head)

    cpdef feed(self, bytes data)
    cpdef int next_event(self) except -1
    # Private helpers (cdef methods of a class declared here must be listed here).
    cdef int _fail(self, int status, str detail, Py_ssize_t index) except -1
    cdef int _release_consumed(self) except -1
    cdef int _advance(self) except -1
    cdef int _parse_request_line(self, const char* base, Py_ssize_t begin,
                                 Py_ssize_t end) except -1
    cdef RequestHead _recycled_head(self)
    cdef int _parse_field_line(self, const char* base, Py_ssize_t begin, Py_ssize_t end,
                               bint trailer) except -1
    cdef bytes _host_value(self, const char* v, Py_ssize_t n)
    cdef int _apply_header(self, int hid, const char* v, Py_ssize_t n, bytes value,
                           Py_ssize_t index) except -1
    cdef void _parse_connection(self, const char* v, Py_ssize_t n) noexcept
    cdef int _finish_head(self, Py_ssize_t index) except -1
    cdef int _read_fixed_body(self, object source, const char* base, Py_ssize_t length) except -1
    cdef int _read_chunked_body(self, const char* base, Py_ssize_t length) except -1
    cdef int _parse_chunk_size(self, const char* base, Py_ssize_t begin, Py_ssize_t end) except -1
    cdef const char* _skip_quoted_string(self, const char* base, const char* q,
                                         const char* e) except NULL
