# The C-level layout of the RFC 6455 frame parser (see websocket_frames.pyx).

cdef enum FrameEvent:
    WS_NEED_DATA = 0
    WS_TEXT = 1                     # a complete text message: `message` is a str
    WS_BINARY = 2                   # a complete binary message: `message` is bytes
    WS_PING = 3                     # `message` is the ping's payload (bytes)
    WS_PONG = 4                     # `message` is the pong's payload (bytes)
    WS_CLOSE = 5                    # `close_code` and `close_reason` are set


cdef enum Opcode:
    OP_CONTINUATION = 0x0
    OP_TEXT = 0x1
    OP_BINARY = 0x2
    OP_CLOSE = 0x8
    OP_PING = 0x9
    OP_PONG = 0xA


cdef class FrameParser:
    cdef readonly bint expect_masked        # frames from a client must be masked (server side)
    cdef readonly long long max_frame       # the largest frame payload accepted (1009 above)
    cdef readonly long long max_message     # the largest reassembled message accepted
    cdef bytearray _buffer
    cdef Py_ssize_t _pos                    # first unconsumed byte of _buffer
    cdef int _message_opcode                # OP_TEXT/OP_BINARY while a message is open, else 0
    cdef list _fragments                    # payloads of the open message's earlier frames
    cdef long long _message_size
    cdef int _utf8_need                     # continuation bytes still owed by a UTF-8 sequence
    cdef unsigned char _utf8_lo             # the range the next continuation byte must fall in
    cdef unsigned char _utf8_hi
    cdef bint _failed
    cdef bint _compressed                   # the open message has RSV1 (permessage-deflate)
    cdef readonly bint inflate              # permessage-deflate negotiated (enable_inflate)
    cdef readonly bint inflate_reset        # the peer does not take its context over
    cdef object _inflater                   # a zlib decompressobj, None until needed
    cdef readonly object message            # the payload of the last event
    cdef readonly int close_code            # of the last WS_CLOSE event
    cdef readonly str close_reason

    cpdef feed(self, bytes data)
    cpdef int next_event(self) except -1
    cdef int _fail(self, int code, str reason) except -1
    cdef int _check_utf8(self, const unsigned char* p, Py_ssize_t n) except -1
    cdef bytes _inflate(self, bytes payload)
    cdef int _read_close(self, bytes payload) except -1


cpdef bytes build_frame(int opcode, object payload, bint fin=*, bytes mask_key=*, bint rsv1=*)
