# cython: autotestdict=False
# RFC 6455 frames, I/O-free: an incremental parser and a frame writer.
#
# The connection feeds bytes with feed() and pulls events with next_event()
# until it answers WS_NEED_DATA, as with the HTTP parser. Fragments are
# reassembled into whole messages; control frames may arrive between the
# fragments of a message and are reported at once. Text is validated as
# UTF-8 fragment by fragment, so a bad byte fails the connection without
# waiting for the end of the message. Every rule the RFC attaches a close
# code to raises WebSocketProtocolError(code, reason); the parser is then
# dead and the connection must close with that code.

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_DecodeUTF8
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

import base64
import hashlib
import zlib as _zlib

from fastcore.exceptions import WebSocketProtocolError

NEED_DATA = WS_NEED_DATA
TEXT = WS_TEXT
BINARY = WS_BINARY
PING = WS_PING
PONG = WS_PONG
CLOSE = WS_CLOSE

OPCODE_CONTINUATION = OP_CONTINUATION
OPCODE_TEXT = OP_TEXT
OPCODE_BINARY = OP_BINARY
OPCODE_CLOSE = OP_CLOSE
OPCODE_PING = OP_PING
OPCODE_PONG = OP_PONG

# RFC 6455 section 1.3: the GUID appended to the client's key.
cdef bytes _ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
cdef uint64_t _HIGH_BITS = 0x8080808080808080ULL


cdef inline uint64_t _mask_word(const unsigned char* key) noexcept:
    # The 4-byte key repeated over a 64-bit word, in memory order, so that a
    # word XOR masks 8 payload bytes that start at a key-aligned offset.
    cdef unsigned char repeated[8]
    cdef uint64_t word
    memcpy(repeated, key, 4)
    memcpy(repeated + 4, key, 4)
    memcpy(&word, repeated, 8)
    return word


cdef void _xor_copy(unsigned char* out, const unsigned char* data, Py_ssize_t n,
                    const unsigned char* key) noexcept:
    # out[i] = data[i] ^ key[i % 4], a word at a time.
    # PERF: memcpy into a uint64_t compiles to a plain (unaligned) load/store;
    # bench/micro/test_bench_websocket.py measures this against the byte loop.
    cdef uint64_t word = _mask_word(key)
    cdef uint64_t x
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&x, data + i, 8)
        x ^= word
        memcpy(out + i, &x, 8)
        i += 8
    while i < n:
        out[i] = data[i] ^ key[i & 3]
        i += 1


cdef inline bint _valid_close_code(int code) noexcept:
    # RFC 6455 section 7.4 and the IANA registry: the codes an endpoint may
    # send. 1005, 1006 and 1015 are reserved for reporting, never sent.
    if 1000 <= code <= 1003 or 1007 <= code <= 1014:
        return True
    return 3000 <= code <= 4999


@cython.final
@cython.auto_pickle(False)
cdef class FrameParser:
    # See websocket_frames.pyi for the documented Python surface.

    def __init__(self, *, bint expect_masked=True, long long max_frame=1 << 20,
                 long long max_message=1 << 20):
        if max_frame <= 0 or max_message <= 0:
            raise ValueError("max_frame and max_message must be positive")
        self.expect_masked = expect_masked
        self.max_frame = max_frame
        self.max_message = max_message
        self._buffer = bytearray()
        self._pos = 0
        self._message_opcode = 0
        self._fragments = []
        self._message_size = 0
        self._utf8_need = 0
        self._utf8_lo = 0x80
        self._utf8_hi = 0xBF
        self._failed = False
        self._compressed = False
        self.inflate = False
        self.inflate_reset = False
        self._inflater = None
        self.message = None
        self.close_code = 0
        self.close_reason = ""

    cpdef feed(self, bytes data):
        cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
        if self._pos == PyByteArray_GET_SIZE(self._buffer):
            # PERF: all was parsed (the usual case: a read holds whole
            # frames). The bytes go over the old ones, in the allocation the
            # buffer has (a resize to a size near it does not reallocate),
            # instead of deleting a prefix and growing again.
            PyByteArray_Resize(self._buffer, size)
            memcpy(PyByteArray_AS_STRING(self._buffer), PyBytes_AS_STRING(data), <size_t>size)
            self._pos = 0
            return
        if self._pos:
            # Compact the consumed prefix (CPython moves a bytearray's start
            # instead of copying when a prefix is deleted).
            del self._buffer[:self._pos]
            self._pos = 0
        self._buffer += data

    def enable_inflate(self, bint no_context_takeover=False):
        # permessage-deflate was negotiated (RFC 7692): RSV1 marks a compressed
        # message. With no_context_takeover the peer starts each message
        # afresh, so the inflater is dropped between messages (less memory
        # held by an idle connection).
        self.inflate = True
        self.inflate_reset = no_context_takeover

    @property
    def buffered(self):
        return PyByteArray_GET_SIZE(self._buffer) - self._pos

    cdef int _fail(self, int code, str reason) except -1:
        self._failed = True
        self._buffer = bytearray()
        self._pos = 0
        self._fragments = []
        raise WebSocketProtocolError(code, reason)

    cdef int _check_utf8(self, const unsigned char* p, Py_ssize_t n) except -1:
        # Incremental UTF-8 validation (RFC 3629 table 3-7): the state
        # (_utf8_need and the allowed range of the next byte) carries over
        # from one fragment to the next.
        cdef Py_ssize_t i = 0
        cdef unsigned char b
        cdef uint64_t x
        cdef int need = self._utf8_need
        cdef unsigned char lo = self._utf8_lo
        cdef unsigned char hi = self._utf8_hi
        while i < n:
            if need == 0:
                # PERF: ASCII runs are skipped 8 bytes at a time.
                while i + 8 <= n:
                    memcpy(&x, p + i, 8)
                    if x & _HIGH_BITS:
                        break
                    i += 8
                if i >= n:
                    break
                b = p[i]
                i += 1
                if b < 0x80:
                    continue
                lo = 0x80
                hi = 0xBF
                if 0xC2 <= b <= 0xDF:
                    need = 1
                elif b == 0xE0:
                    need = 2
                    lo = 0xA0  # no overlong 3-byte forms
                elif b == 0xED:
                    need = 2
                    hi = 0x9F  # no UTF-16 surrogates
                elif 0xE1 <= b <= 0xEF:
                    need = 2
                elif b == 0xF0:
                    need = 3
                    lo = 0x90  # no overlong 4-byte forms
                elif 0xF1 <= b <= 0xF3:
                    need = 3
                elif b == 0xF4:
                    need = 3
                    hi = 0x8F  # nothing above U+10FFFF
                else:
                    return self._fail(1007, "invalid UTF-8 in a text message")
            else:
                b = p[i]
                i += 1
                if b < lo or b > hi:
                    return self._fail(1007, "invalid UTF-8 in a text message")
                need -= 1
                lo = 0x80
                hi = 0xBF
        self._utf8_need = need
        self._utf8_lo = lo
        self._utf8_hi = hi
        return 0

    cpdef int next_event(self) except -1:
        cdef const unsigned char* base
        cdef const unsigned char* key
        cdef unsigned char* text
        cdef Py_ssize_t available, header
        cdef unsigned char b0, b1
        cdef int opcode, length7, code
        cdef bint fin, masked
        cdef int i
        cdef uint64_t length64
        cdef long long length
        cdef bytes payload
        cdef str reason
        if self._failed:
            raise RuntimeError("the WebSocket frame parser failed already")
        while True:
            available = PyByteArray_GET_SIZE(self._buffer) - self._pos
            if available < 2:
                return WS_NEED_DATA
            base = <const unsigned char*>PyByteArray_AS_STRING(self._buffer) + self._pos
            b0 = base[0]
            b1 = base[1]
            fin = (b0 & 0x80) != 0
            opcode = b0 & 0x0F
            masked = (b1 & 0x80) != 0
            length7 = b1 & 0x7F
            # SECURITY: every check that needs only the header runs before the
            # payload is awaited, so a peer cannot make us buffer a frame we
            # are going to refuse (RFC 6455 section 10.4).
            if b0 & 0x70:
                # RSV1-3 must be 0 (section 5.2), but RSV1 on the first frame
                # of a data message once permessage-deflate is negotiated
                # (RFC 7692 section 6.1: never on control or continuation frames).
                if (b0 & 0x30) or not self.inflate or not (
                        opcode == OP_TEXT or opcode == OP_BINARY):
                    return self._fail(1002, "reserved bits set")
            if opcode >= 8:
                if opcode > OP_PONG:
                    return self._fail(1002, "unknown opcode")
                if not fin:
                    return self._fail(1002, "fragmented control frame")
                if length7 > 125:
                    return self._fail(1002, "control frame longer than 125 bytes")
            elif opcode > OP_BINARY:
                return self._fail(1002, "unknown opcode")
            if masked != self.expect_masked:
                # Section 5.1: a client masks every frame, a server none.
                return self._fail(1002, "unmasked client frame" if self.expect_masked
                                  else "masked server frame")
            if opcode == OP_CONTINUATION and self._message_opcode == 0:
                return self._fail(1002, "continuation frame without a message to continue")
            if (opcode == OP_TEXT or opcode == OP_BINARY) and self._message_opcode != 0:
                return self._fail(1002, "new message before the last one finished")
            header = 2
            if length7 == 126:
                if available < 4:
                    return WS_NEED_DATA
                length = (base[2] << 8) | base[3]
                header = 4
            elif length7 == 127:
                if available < 10:
                    return WS_NEED_DATA
                length64 = 0
                for i in range(8):
                    length64 = (length64 << 8) | base[2 + i]
                if length64 >> 63:
                    return self._fail(1002, "frame length with the most significant bit set")
                length = <long long>length64
                header = 10
            else:
                length = length7
            if length > self.max_frame:
                return self._fail(1009, "frame too big")
            if opcode < 8 and self._message_size + length > self.max_message:
                return self._fail(1009, "message too big")
            if masked:
                header += 4
            if available < header + length:
                return WS_NEED_DATA

            if fin and opcode == OP_TEXT and not (b0 & 0x40):
                # A whole text message in one frame (the usual case). PERF: it
                # is unmasked in place, in our buffer, and decoded from there:
                # no bytes object in between (bench/load/callgrind_websocket.py).
                text = <unsigned char*>base + header
                if masked:
                    _xor_copy(text, text, <Py_ssize_t>length, base + header - 4)
                self._pos += header + <Py_ssize_t>length
                self._utf8_need = 0
                self._check_utf8(text, <Py_ssize_t>length)
                if self._utf8_need:
                    return self._fail(1007, "text message ends inside a UTF-8 sequence")
                # Validated already: the decode cannot fail.
                self.message = PyUnicode_DecodeUTF8(<const char*>text, <Py_ssize_t>length, NULL)
                return WS_TEXT

            payload = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>length)
            if masked:
                key = base + header - 4
                _xor_copy(<unsigned char*>PyBytes_AS_STRING(payload), base + header,
                          <Py_ssize_t>length, key)
            else:
                memcpy(PyBytes_AS_STRING(payload), base + header, <size_t>length)
            self._pos += header + <Py_ssize_t>length

            if opcode == OP_PING:
                self.message = payload
                return WS_PING
            if opcode == OP_PONG:
                self.message = payload
                return WS_PONG
            if opcode == OP_CLOSE:
                return self._read_close(payload)

            if opcode != OP_CONTINUATION:
                self._message_opcode = opcode
                self._utf8_need = 0
                self._compressed = (b0 & 0x40) != 0
            self._message_size += length
            if self._message_opcode == OP_TEXT and not self._compressed:
                self._check_utf8(<const unsigned char*>PyBytes_AS_STRING(payload), length)
                if fin and self._utf8_need:
                    return self._fail(1007, "text message ends inside a UTF-8 sequence")
            if not fin:
                self._fragments.append(payload)
                continue
            if self._fragments:
                self._fragments.append(payload)
                payload = b"".join(self._fragments)
                self._fragments = []
            opcode = self._message_opcode
            self._message_opcode = 0
            self._message_size = 0
            if self._compressed:
                self._compressed = False
                payload = self._inflate(payload)
                if opcode == OP_TEXT:
                    self._check_utf8(<const unsigned char*>PyBytes_AS_STRING(payload),
                                     PyBytes_GET_SIZE(payload))
                    if self._utf8_need:
                        return self._fail(1007, "text message ends inside a UTF-8 sequence")
            if opcode == OP_TEXT:
                # Already validated: the decode cannot fail.
                self.message = PyUnicode_DecodeUTF8(
                    PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload), NULL)
                return WS_TEXT
            self.message = payload
            return WS_BINARY

    cdef bytes _inflate(self, bytes payload):
        # RFC 7692 section 7.2.2: append the 0x00 0x00 0xff 0xff the sender
        # removed, and inflate. SECURITY: at most max_message bytes come out
        # (a zip bomb of a few KB would otherwise inflate to gigabytes).
        cdef bytes data
        if self._inflater is None:
            self._inflater = _zlib.decompressobj(-15)
        inflater = self._inflater
        try:
            data = inflater.decompress(payload + b"\x00\x00\xff\xff", self.max_message + 1)
        except _zlib.error:
            self._fail(1007, "invalid compressed data")
        if PyBytes_GET_SIZE(data) > self.max_message or inflater.unconsumed_tail:
            self._fail(1009, "message too big once decompressed")
        if self.inflate_reset:
            self._inflater = None
        return data

    cdef int _read_close(self, bytes payload) except -1:
        # Section 5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
        cdef Py_ssize_t n = PyBytes_GET_SIZE(payload)
        cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(payload)
        cdef int code
        self.message = payload
        if n == 0:
            self.close_code = 1005  # no status code was present
            self.close_reason = ""
            return WS_CLOSE
        if n == 1:
            return self._fail(1002, "close frame with a 1-byte payload")
        code = (p[0] << 8) | p[1]
        if not _valid_close_code(code):
            return self._fail(1002, f"invalid close code {code}")
        try:
            self.close_reason = PyUnicode_DecodeUTF8(<const char*>p + 2, n - 2, "strict")
        except UnicodeDecodeError:
            return self._fail(1007, "close reason is not valid UTF-8")
        self.close_code = code
        return WS_CLOSE


cpdef bytes build_frame(int opcode, object payload, bint fin=True, bytes mask_key=None,
                        bint rsv1=False):
    cdef bytes data = None
    cdef bytes frame
    cdef Py_ssize_t n, header
    cdef unsigned char* out
    cdef const char* source
    cdef int i
    if type(payload) is bytes:
        data = <bytes>payload
    elif isinstance(payload, str):
        # PERF: the str's own UTF-8 (an ASCII str's characters, or the UTF-8
        # copy CPython keeps with the str): no bytes object per message.
        # Lone surrogates raise UnicodeEncodeError, as encode() does.
        source = PyUnicode_AsUTF8AndSize(payload, &n)
    else:
        data = bytes(payload)
    if data is not None:
        source = PyBytes_AS_STRING(data)
        n = PyBytes_GET_SIZE(data)
    if opcode < 0 or opcode > 0xF or (0x3 <= opcode <= 0x7) or opcode > OP_PONG:
        raise ValueError(f"invalid opcode {opcode}")
    if opcode >= 8 and (n > 125 or not fin or rsv1):
        raise ValueError("a control frame carries at most 125 bytes and is never fragmented")
    if mask_key is not None and PyBytes_GET_SIZE(mask_key) != 4:
        raise ValueError("mask_key must be 4 bytes")
    header = 2 if n < 126 else (4 if n < 65536 else 10)
    if mask_key is not None:
        header += 4
    frame = PyBytes_FromStringAndSize(NULL, header + n)
    out = <unsigned char*>PyBytes_AS_STRING(frame)
    out[0] = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    if n < 126:
        out[1] = <unsigned char>n
    elif n < 65536:
        out[1] = 126
        out[2] = (n >> 8) & 0xFF
        out[3] = n & 0xFF
    else:
        out[1] = 127
        for i in range(8):
            out[2 + i] = (<uint64_t>n >> (56 - 8 * i)) & 0xFF
    if mask_key is None:
        memcpy(out + header, source, n)
    else:
        out[1] |= 0x80
        memcpy(out + header - 4, PyBytes_AS_STRING(mask_key), 4)
        _xor_copy(out + header, <const unsigned char*>source, n,
                  <const unsigned char*>PyBytes_AS_STRING(mask_key))
    return frame


def build_close(int code=1000, str reason="", bytes mask_key=None):
    if code == 1005:
        return build_frame(OP_CLOSE, b"", True, mask_key)
    if not _valid_close_code(code):
        raise ValueError(f"{code} is not a close code an endpoint may send")
    data = bytes(((code >> 8) & 0xFF, code & 0xFF)) + reason.encode("utf-8")
    if len(data) > 125:
        raise ValueError("the close reason is longer than 123 bytes of UTF-8")
    return build_frame(OP_CLOSE, data, True, mask_key)


def apply_mask(bytes data, bytes mask_key):
    cdef bytes out
    if PyBytes_GET_SIZE(mask_key) != 4:
        raise ValueError("mask_key must be 4 bytes")
    out = PyBytes_FromStringAndSize(NULL, PyBytes_GET_SIZE(data))
    _xor_copy(<unsigned char*>PyBytes_AS_STRING(out),
              <const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
              <const unsigned char*>PyBytes_AS_STRING(mask_key))
    return out


def valid_close_code(int code):
    return _valid_close_code(code)


def accept_key(bytes key):
    # Section 4.2.2: base64(SHA-1(key + GUID)).
    return base64.b64encode(hashlib.sha1(key + _ACCEPT_GUID).digest()).decode("ascii")


def valid_key(bytes key):
    # Section 4.1: the base64 encoding of 16 random bytes (24 characters).
    if len(key) != 24:
        return False
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


# RFC 7692 section 7.1.2: window bits are 8..15, written without leading zeros.
_WINDOW_BITS = {str(bits).encode(): bits for bits in range(8, 16)}


def negotiate_deflate(bytes offers):
    # RFC 7692 section 7: accept the first permessage-deflate offer whose
    # parameters are all known, valid and not repeated (others are declined,
    # as section 7.1 requires). NOTE: parameter values are digits, so a comma
    # always separates offers.
    cdef dict params
    for offer in offers.split(b","):
        parts = [part.strip() for part in offer.split(b";")]
        if parts[0].lower() != b"permessage-deflate":
            continue
        params = {}
        for part in parts[1:]:
            name, equals, value = part.partition(b"=")
            name = name.strip().lower()
            value = value.strip()
            if len(value) >= 2 and value[:1] == b'"' and value[-1:] == b'"':
                value = value[1:-1]
            if name in params:
                break
            if name == b"server_no_context_takeover" or name == b"client_no_context_takeover":
                if equals:
                    break
            elif name == b"server_max_window_bits":
                if value not in _WINDOW_BITS:
                    break
            elif name == b"client_max_window_bits":
                if equals and value not in _WINDOW_BITS:
                    break
            else:
                break
            params[name] = value if equals else None
        else:
            server_bits = _WINDOW_BITS.get(params.get(b"server_max_window_bits"), 15)
            if server_bits == 8:
                continue  # zlib cannot deflate within a 256-byte window
            server_reset = b"server_no_context_takeover" in params
            client_reset = b"client_no_context_takeover" in params
            response = ["permessage-deflate"]
            if server_reset:
                response.append("server_no_context_takeover")
            if client_reset:
                response.append("client_no_context_takeover")
            if b"server_max_window_bits" in params:
                response.append(f"server_max_window_bits={server_bits}")
            return "; ".join(response), server_reset, client_reset, server_bits
    return None
