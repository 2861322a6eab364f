# The C-level contract of the response serializer.
#
# A fixed response (status, raw headers, body bytes) becomes ONE bytes buffer
# that the connection protocol writes at once. Streaming responses get their
# head from serialize_stream_head() and their body framed chunk by chunk.

cpdef enum BodyFraming:
    FRAMING_NONE = 0      # no body bytes at all (HEAD, 1xx, 204, 304)
    FRAMING_CHUNKED = 1   # Transfer-Encoding: chunked (HTTP/1.1)
    FRAMING_CLOSE = 2     # the body ends when the connection closes (HTTP/1.0)
    FRAMING_LENGTH = 3    # Content-Length stated by the response (a file of known size)


cdef class ResponseBase:
    # The data of a response; fastcore.responses.Response extends it.
    cdef public object status_code
    cdef public object body         # bytes, or None for a streaming response
    # The raw header pairs, built on first access of `raw_headers`; until then
    # None, with the whole header section being `_content_type` (or nothing).
    cdef object _raw_headers
    cdef bytes _content_type
    # Header lines added after the others, already encoded and checked
    # (each ends in CRLF), with the same headers as pairs: the security gate
    # sets them; reading `raw_headers` moves the pairs into the list.
    cdef bytes _extra_lines
    cdef tuple _extra_pairs

    cdef int _setup(self, object content, object status_code, object headers,
                    object media_type) except -1
    cdef int _renew(self) except -1


cdef class ResponseWriter:
    cdef bytes server_line    # b"server: fastcore\r\n", or b"" when disabled

    cpdef bytes serialize(self, object response, int version_minor, bint keep_alive,
                          bint head_request)
    cpdef bytes serialize_stream_head(self, object response, int version_minor,
                                      bint keep_alive, bint head_request,
                                      Py_ssize_t content_length=*)
    cpdef bytes error(self, int status_code, str detail, bint keep_alive=*)
    cdef bytes _build(self, int status_code, object headers, bytes content_type, bytes body,
                      int version_minor, bint keep_alive, bint head_request, int framing,
                      bint fixed, bytes extra_lines)


cpdef int stream_framing(int status_code, int version_minor, bint head_request)
cpdef bytes encode_chunk(bytes data)
cpdef str refresh_date()
cpdef list encode_headers(object headers)
cpdef check_header(bytes name, bytes value)
cpdef register_json_render(object render, object dumps, object default, object option)
