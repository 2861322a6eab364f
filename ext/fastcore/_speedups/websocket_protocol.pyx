# cython: autotestdict=False
# The asyncio Protocol of one WebSocket connection, after the HTTP upgrade.
#
# HttpProtocol validates the handshake, hands the transport over to a
# WebSocketConnection (transport.set_protocol) and starts the App's websocket
# endpoint in a Task with it. Until the endpoint accepts, reading is paused:
# the endpoint may still refuse with an HTTP response. After the 101, every
# read is parsed at once by the frame kernel: pings are answered here, data
# messages are queued for the endpoint, and a protocol error closes the
# connection with the code the RFC requires. Flow control runs both ways: a
# queue the endpoint does not empty stops reading from the socket, and a
# full write buffer makes the endpoint's sends wait (and stops reading too,
# so a ping flood cannot fill our buffer with pongs).

cimport cython
from cpython.object cimport PyObject_Call

from fastcore._speedups.websocket_frames cimport (
    OP_BINARY,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    WS_BINARY,
    WS_CLOSE,
    WS_NEED_DATA,
    WS_PING,
    WS_PONG,
    WS_TEXT,
    FrameParser,
    build_frame,
)
from fastcore._speedups._clock cimport monotonic_now
from fastcore._speedups.response_writer cimport check_header

import collections
import logging
from asyncio import Future as _Future, InvalidStateError as _InvalidStateError

try:
    from _asyncio import current_task as _current_task  # Python 3.12+: in C
except ImportError:
    # NOTE: Python 3.11's asyncio.current_task() is a Python function over
    # this dict (a frame per call); the dict is the C module's own.
    from asyncio.tasks import _current_tasks
    _current_task = _current_tasks.get
import zlib as _zlib

from fastcore._speedups.websocket_frames import accept_key, build_close, negotiate_deflate
from fastcore.exceptions import WebSocketDisconnect, WebSocketProtocolError

CONNECTING = STATE_CONNECTING
OPEN = STATE_OPEN
CLOSING = STATE_CLOSING
CLOSED = STATE_CLOSED

cdef class _Messages


cdef object _log = logging.getLogger("fastcore.server")
cdef bytes _PONG_EMPTY = build_frame(OP_PONG, b"")


cdef inline bint _header_safe(str text):
    # SECURITY: no CR, LF or NUL may reach a response head (header injection,
    # RFC 9110 section 5.5).
    return "\r" not in text and "\n" not in text and "\0" not in text


@cython.final
@cython.auto_pickle(False)
cdef class WebSocketConnection:
    # See websocket_protocol.pyi for the documented Python surface.

    def __init__(self, transport, bytes leftover=b"", *, str key, loop, config=None,
                 on_close=None, bytes extensions=None):
        self.transport = transport
        self.loop = loop
        self.key = key
        max_message = getattr(config, "websocket_max_message", 1 << 20)
        self.parser = FrameParser(expect_masked=True, max_frame=max_message,
                                  max_message=max_message)
        self.parser.feed(leftover)
        self.messages = collections.deque()
        self.queued = 0
        self.high_water = getattr(config, "websocket_read_high_water", 1 << 20)
        self.ping_interval = getattr(config, "websocket_ping_interval", 20.0)
        self.ping_timeout = getattr(config, "websocket_ping_timeout", 20.0)
        self.close_timeout = getattr(config, "websocket_close_timeout", 5.0)
        self.state = STATE_CONNECTING
        self.close_code = 0
        self.close_reason = ""
        self.waiter = None
        self.drain_waiter = None
        self.closed_waiter = loop.create_future()
        self.timer = None
        self.last_seen = monotonic_now()
        self.ping_sent = -1.0
        self.read_paused = 0
        self.write_paused = False
        self.on_close = on_close
        self.handler_task = None
        self.failed = False
        # permessage-deflate: negotiated in accept() when the server allows it.
        self.extension_offer = extensions if getattr(config, "websocket_compression", False) \
            else None
        self.deflate = False
        self.deflate_reset = False
        self.deflate_bits = 15
        self.deflater = None
        self.message_rate = 0.0
        self.rate_tokens = 0.0
        self.rate_stamp = 0.0
        # Nothing is read before the endpoint decides (accept or reject).
        self.message_waiter = None
        self.waiter_iterating = False
        self.iterator = None
        self.drained = None
        self.future_options = {"loop": loop}
        self._pause(PAUSE_HANDSHAKE)

    # -- the endpoint's side ---------------------------------------------------

    def accept(self, subprotocol=None, headers=()):
        cdef list lines
        if self.state != STATE_CONNECTING:
            raise RuntimeError("the WebSocket was accepted or closed already")
        lines = [
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
            b"Sec-WebSocket-Accept: " + accept_key(self.key.encode("latin-1")).encode() + b"\r\n",
        ]
        if subprotocol is not None:
            if not _header_safe(subprotocol) or not subprotocol:
                raise ValueError(f"invalid subprotocol {subprotocol!r}")
            lines.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("latin-1") + b"\r\n")
        for name, value in headers:
            line = (name.encode("latin-1"), value.encode("latin-1"))
            check_header(line[0], line[1])
            lines.append(line[0] + b": " + line[1] + b"\r\n")
        if self.extension_offer:
            agreed = negotiate_deflate(self.extension_offer)
            if agreed is not None:
                response, self.deflate_reset, client_reset, self.deflate_bits = agreed
                self.deflate = True
                self.parser.enable_inflate(client_reset)
                lines.append(b"Sec-WebSocket-Extensions: " + response.encode("ascii") + b"\r\n")
        self.extension_offer = None
        lines.append(b"\r\n")
        self.state = STATE_OPEN
        self.transport.write(b"".join(lines))
        self._arm_timer(self.ping_interval)
        self._resume(PAUSE_HANDSHAKE)
        # Frames that came with the handshake's last read (the endpoint's
        # Task is running: it cannot be stepped from here).
        self._process(False)

    def set_limits(self, long long max_message, double message_rate=0.0):
        # The App's limits (Settings.websocket_*): a message size under the
        # server's own, and a message rate (a token bucket of one second's
        # worth, refilled continuously).
        if max_message <= 0 or message_rate < 0.0:
            raise ValueError("max_message must be positive and message_rate 0 or more")
        if max_message < self.parser.max_message:
            self.parser.max_message = max_message
        if max_message < self.parser.max_frame:
            self.parser.max_frame = max_message
        self.message_rate = message_rate
        self.rate_tokens = message_rate if message_rate > 1.0 else 1.0
        self.rate_stamp = self.loop.time()

    def reject(self, int status_code, bytes body=b"", str content_type="text/plain; charset=utf-8"):
        if self.state != STATE_CONNECTING:
            raise RuntimeError("only a WebSocket not yet accepted can be refused with HTTP")
        if not 400 <= status_code <= 599 or not _header_safe(content_type):
            raise ValueError("a refusal is a 4xx or 5xx response")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (status_code, _reason_phrase(status_code), content_type.encode("latin-1"), len(body))
            + body)
        self._finish(1006, "refused during the handshake")
        self.transport.close()

    def take(self):
        return self._take()

    def receive(self):
        return self._next_message(False)

    def iterate(self):
        cdef _Messages messages
        if self.iterator is None:
            messages = _Messages.__new__(_Messages)
            messages.connection = self
            self.iterator = messages
        return self.iterator

    cdef object _next_message(self, bint iterating):
        # PERF: the future the handler awaits is the one data_received gives
        # the message to (no wake-up then take(), no StopIteration raised by
        # us: bench/load/websocket_echo.py, callgrind_websocket.py).
        cdef object message
        try:
            message = self._take()
        except WebSocketDisconnect:
            if iterating:
                raise StopAsyncIteration from None
            raise
        # PERF: Future(loop=...) with a dict made once per connection:
        # Future() alone looks the running loop up, and on Python 3.11 that
        # calls getpid(), a syscall per message (websocket_echo.py
        # --breakdown); a keyword call would build a dict per message.
        future = PyObject_Call(_Future, (), self.future_options)
        if message is not None:
            future.set_result(message)
        else:
            self.message_waiter = future
            self.waiter_iterating = iterating
        return future

    cdef object _take(self):
        cdef object message
        if self.messages:
            message = self.messages.popleft()
            self.queued -= len(message)
            if self.read_paused & PAUSE_QUEUE and self.queued <= self.high_water // 2:
                self._resume(PAUSE_QUEUE)
            return message
        if self.state == STATE_CLOSED or self.state == STATE_CLOSING and self.close_code:
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        if self.state == STATE_CONNECTING:
            raise RuntimeError("accept the WebSocket before receiving")
        return None

    def wait(self):
        waiter = self.loop.create_future()
        if self.messages or self.state == STATE_CLOSED or self.close_code:
            waiter.set_result(None)
        else:
            self.waiter = waiter
        return waiter

    def send(self, object data):
        # True when the write buffer is full: the caller awaits drain().
        cdef int opcode = OP_TEXT if isinstance(data, str) else OP_BINARY
        if self.state != STATE_OPEN:
            if self.state == STATE_CONNECTING:
                raise RuntimeError("accept the WebSocket before sending")
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        if self.deflate:
            self.transport.write(build_frame(opcode, self._compress(data), True, None, True))
        else:
            self.transport.write(build_frame(opcode, data))
        return self.write_paused

    def drain(self):
        if not self.write_paused or self.state == STATE_CLOSED:
            # PERF: one done future serves every send that need not wait.
            if self.drained is None:
                self.drained = self.loop.create_future()
                self.drained.set_result(None)
            return self.drained
        waiter = self.loop.create_future()
        self.drain_waiter = waiter
        return waiter

    def ping(self, bytes data=b""):
        if self.state == STATE_OPEN:
            self.transport.write(build_frame(OP_PING, data))

    def close(self, int code=1000, str reason=""):
        # Start the closing handshake (RFC 6455 section 7.1.2); the transport
        # closes when the client answers, or after close_timeout.
        cdef bytes frame = build_close(code, reason)
        if self.state == STATE_CONNECTING:
            # Closing before accepting refuses the handshake (403).
            self.reject(403, b"WebSocket refused")
            return
        if self.state != STATE_OPEN:
            return
        self.state = STATE_CLOSING
        self.transport.write(frame)
        if not self.close_code:
            self.close_reason = reason
        self._arm_timer(self.close_timeout)

    def abort(self):
        # Drop the connection without a closing handshake.
        self.transport.abort()

    def wait_closed(self):
        return self.closed_waiter

    @property
    def closed(self):
        return self.state == STATE_CLOSED

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, bytes data):
        if self.failed:
            return  # after a protocol error: read and dropped until the peer closes
        self.last_seen = monotonic_now()
        self.ping_sent = -1.0
        self.parser.feed(data)
        if self.state != STATE_CONNECTING:
            self._process(True)

    def eof_received(self):
        # A half-close without a close frame: the connection is over.
        return False

    def connection_lost(self, exc):
        self._finish(1006, "")

    def pause_writing(self):
        self.write_paused = True
        # SECURITY: a client that does not read stops being read: its pings
        # cannot pile up pongs in our buffer (ping flood).
        self._pause(PAUSE_WRITE)

    def resume_writing(self):
        self.write_paused = False
        self._resume(PAUSE_WRITE)
        waiter = self.drain_waiter
        self.drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- internals -------------------------------------------------------------

    cdef int _process(self, bint from_loop) except -1:
        # from_loop: called by the transport, outside any Task, so a Task
        # waiting for a message can be stepped right here (_hand_over).
        cdef FrameParser parser = self.parser
        cdef int event
        while self.state == STATE_OPEN or self.state == STATE_CLOSING:
            try:
                event = parser.next_event()
            except WebSocketProtocolError as exc:
                return self._fail(exc.code, exc.reason)
            if event == WS_NEED_DATA:
                break
            if event == WS_TEXT or event == WS_BINARY:
                if self.state == STATE_CLOSING:
                    continue  # we are closing: data is dropped (section 1.4)
                if self.message_rate > 0.0 and self._over_rate():
                    # Section 7.4.1: 1008, a message that violates our policy.
                    return self._fail(1008, "message rate limit exceeded")
                waiter = self.message_waiter
                if waiter is not None:
                    self.message_waiter = None
                    # The handler awaits this very message (the queue is empty).
                    if self._hand_over(waiter, parser.message, from_loop):
                        continue
                    # else its Task was cancelled: the message is queued
                self.messages.append(parser.message)
                self.queued += len(parser.message)
                if self.queued > self.high_water:
                    # The endpoint lags: stop reading until it catches up.
                    self._pause(PAUSE_QUEUE)
                self._wake()
            elif event == WS_PING:
                if self.state == STATE_OPEN:
                    message = parser.message
                    self.transport.write(build_frame(OP_PONG, message) if message else _PONG_EMPTY)
            elif event == WS_PONG:
                pass  # any frame proves the peer alive (last_seen)
            elif event == WS_CLOSE:
                return self._on_close_frame(parser.close_code, parser.close_reason)
        return 0

    cdef bint _hand_over(self, object waiter, object message, bint from_loop) except -1:
        # Give a message to the future receive()/iterate() returned; False
        # when that future was cancelled (with its Task): the caller queues it.
        #
        # PERF: when the endpoint's Task awaits it and no Task is running
        # (we are in the transport's callback), that Task is stepped here, in
        # its own context, as the loop would do one pass later through
        # call_soon: the same asyncio Task step (current_task, contextvars,
        # cancellation unchanged), without a Handle and a ready-queue pass per
        # message (bench/load/callgrind_websocket.py: 600 instructions less).
        cdef object callbacks
        cdef object task = self.handler_task
        # The endpoint's Task awaits this very future (then its one callback
        # is that Task's wake-up; a cancelled future has none).
        if from_loop and task is not None and task._fut_waiter is waiter:
            callbacks = waiter._callbacks
            if callbacks is not None and len(callbacks) == 1 \
                    and _current_task(self.loop) is None:
                wakeup, context = callbacks[0]
                waiter.remove_done_callback(wakeup)
                waiter.set_result(message)
                try:
                    context.run(wakeup, waiter)
                except (KeyboardInterrupt, SystemExit) as exc:
                    # Out of a Handle these stop the loop: they still do.
                    self.loop.call_soon(_reraise, exc)
                except BaseException as exc:
                    self.loop.call_exception_handler({
                        "message": "exception while stepping a WebSocket handler's Task",
                        "exception": exc,
                    })
                return True
        try:
            waiter.set_result(message)
        except _InvalidStateError:
            return False
        return True

    cdef bytes _compress(self, object data):
        # RFC 7692 section 7.2.1: deflate, flush to a byte boundary and drop
        # the 0x00 0x00 0xff 0xff that ends the flush (the peer adds it back).
        cdef bytes raw = (<str>data).encode("utf-8") if isinstance(data, str) else bytes(data)
        cdef bytes out
        if self.deflater is None:
            self.deflater = _zlib.compressobj(6, _zlib.DEFLATED, -self.deflate_bits)
        out = self.deflater.compress(raw) + self.deflater.flush(_zlib.Z_SYNC_FLUSH)
        if self.deflate_reset:
            self.deflater = None  # server_no_context_takeover: each message afresh
        if out.endswith(b"\x00\x00\xff\xff"):
            out = out[:-4]
        return out

    cdef bint _over_rate(self) except -1:
        cdef double now = self.loop.time()
        cdef double burst = self.message_rate if self.message_rate > 1.0 else 1.0
        self.rate_tokens += (now - self.rate_stamp) * self.message_rate
        self.rate_stamp = now
        if self.rate_tokens > burst:
            self.rate_tokens = burst
        if self.rate_tokens < 1.0:
            return True
        self.rate_tokens -= 1.0
        return False

    cdef int _on_close_frame(self, int code, str reason) except -1:
        # Echo the code (section 5.5.1); a close without one (1005) is
        # answered without one (build_close(1005) sends an empty payload).
        return self._close_connection(code, reason, False)

    cdef int _fail(self, int code, str reason) except -1:
        # Section 7.1.7: send a close frame with the code, then drop the connection.
        return self._close_connection(code, reason, True)

    cdef int _close_connection(self, int code, str reason, bint send_reason) except -1:
        # Send a close frame if the connection is still open, record why, wake
        # the handler and close TCP: the server closes it first (section 7.1.1).
        cdef bint was_open = self.state == STATE_OPEN
        if was_open:
            self.transport.write(build_close(code, reason if send_reason else ""))
        self.close_code = code
        self.close_reason = reason
        self.state = STATE_CLOSING
        self._wake()
        if send_reason and was_open and self.transport.can_write_eof():
            # NOTE: closing at once would make the kernel answer the bytes the
            # peer still sends with a reset, which can destroy our close frame
            # before the peer reads it (and with it the code: 1009, 1008...).
            # So only our side is shut; what arrives is dropped until the peer
            # closes, or close_timeout runs out.
            self.failed = True
            if self.read_paused:
                self.read_paused = 0
                self.transport.resume_reading()
            self.transport.write_eof()
            self._arm_timer(self.close_timeout)
            return 0
        self.transport.close()
        return 0

    cdef int _finish(self, int code, str reason) except -1:
        if self.state == STATE_CLOSED:
            return 0
        self.state = STATE_CLOSED
        if not self.close_code:
            self.close_code = code
            self.close_reason = reason
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._wake()
        waiter = self.drain_waiter
        self.drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if not self.closed_waiter.done():
            self.closed_waiter.set_result(None)
        if self.on_close is not None:
            on_close = self.on_close
            self.on_close = None
            on_close(self)
        task = self.handler_task
        self.handler_task = None
        if task is not None and not task.done():
            # The endpoint sees WebSocketDisconnect on its next receive or
            # send first; whatever else it still awaits (a broadcast, a
            # sleep) is cancelled afterwards, so no Task outlives its socket.
            self.loop.call_soon(task.cancel)
        return 0

    cdef int _wake(self) except -1:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)
        waiter = self.message_waiter
        if waiter is not None and (self.state == STATE_CLOSED or self.close_code):
            # The end, as _take() would tell it (nothing is queued while a
            # handler awaits a message).
            self.message_waiter = None
            if not waiter.done():
                waiter.set_exception(
                    StopAsyncIteration() if self.waiter_iterating
                    else WebSocketDisconnect(self.close_code or 1006, self.close_reason))
        return 0

    cdef int _pause(self, int reason) except -1:
        if self.read_paused == 0 and self.state != STATE_CLOSED:
            self.transport.pause_reading()
        self.read_paused |= reason
        return 0

    cdef int _resume(self, int reason) except -1:
        if not self.read_paused & reason:
            return 0
        self.read_paused &= ~reason
        if self.read_paused == 0 and self.state != STATE_CLOSED:
            self.transport.resume_reading()
        return 0

    cdef int _arm_timer(self, double delay) except -1:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.loop.call_later(delay, self._on_timer)
        return 0

    def _on_timer(self):
        # One timer per connection: the idle ping, the pong deadline, or the
        # closing handshake's deadline.
        cdef double now = monotonic_now()
        self.timer = None
        if self.state == STATE_CLOSED:
            return
        if self.state == STATE_CLOSING:
            self.transport.abort()  # the client never answered our close frame
            return
        if self.ping_sent >= 0.0:
            # NOTE: data_received resets ping_sent, so any frame counts as the answer.
            self.close_code = 1011
            self.close_reason = "keepalive ping timeout"
            self.transport.abort()
            return
        if now - self.last_seen >= self.ping_interval:
            self.ping_sent = now
            self.transport.write(build_frame(OP_PING, b""))
            self._arm_timer(self.ping_timeout)
        else:
            self._arm_timer(self.ping_interval - (now - self.last_seen))


@cython.final
@cython.auto_pickle(False)
cdef class _Messages:
    # The async iterator of a connection's messages (iterate()): its
    # __anext__ is the connection's _next_message, with no Python frame.
    cdef WebSocketConnection connection

    def __aiter__(self):
        return self

    def __anext__(self):
        return self.connection._next_message(True)


def _reraise(exc):
    raise exc


@cython.final
@cython.auto_pickle(False)
cdef class _Done:
    # An awaitable that is done at once (its result is None): what a send
    # that need not wait returns. PERF: the await slot is C and hands out
    # one exhausted iterator, so `await ws.send_text(...)` allocates nothing
    # and runs no Python frame (bench/load/callgrind_websocket.py).

    def __await__(self):
        return _EXHAUSTED


cdef object _EXHAUSTED = iter(())
DONE = _Done()


cdef bytes _reason_phrase(int status_code):
    import http

    try:
        return http.HTTPStatus(status_code).phrase.encode("ascii")
    except ValueError:
        return b"Error"
