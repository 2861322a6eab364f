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


cdef class RequestHead:
    # Fields set by the parser. Strings from the request line are ASCII
    # (the parser refuses anything else in a target); header names and values
    # stay bytes and are decoded lazily by fastcore.requests.Request.
    cdef public str method           # interned for the common methods
    cdef public str target           # the raw request-target as sent
    cdef public str path             # raw path, still percent-encoded ("/" for "*"/authority form)
    cdef public str query_string     # raw query after "?", "" when absent
    cdef public int version_minor    # 0 for HTTP/1.0, 1 for HTTP/1.1
    cdef public list headers         # [(lower-cased name bytes, value bytes), ...] in order
    cdef public bytes host           # the Host header value (or the absolute-form authority)
    cdef public long long content_length  # -1 when the request has no Content-Length
    cdef public bint chunked         # Transfer-Encoding: chunked
    cdef public bint keep_alive      # per version + Connection header
    cdef public bint expect_continue # Expect: 100-continue
    cdef public bint upgrade         # Connection: upgrade with an Upgrade header
    # Fields set by the connection protocol (or the test client / ASGI adapter).
    cdef public object body_reader   # the request body channel (see fastcore.types.BodyReader)
    cdef public object client        # (host, port) of the peer, or None
    cdef public str scheme           # "http" or "https"


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
        bytearray _buffer
        Py_ssize_t _pos
        int _state
        long long _body_remaining
        bint _dead

    cpdef feed(self, bytes data)
    cpdef int next_event(self) except -1
