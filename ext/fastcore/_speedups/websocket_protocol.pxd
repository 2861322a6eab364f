# The C-level layout of one WebSocket connection (see websocket_protocol.pyx).

from fastcore._speedups.websocket_frames cimport FrameParser


cdef enum ConnectionState:
    STATE_CONNECTING = 0            # the handshake waits for accept() or reject()
    STATE_OPEN = 1
    STATE_CLOSING = 2               # a close frame was sent or received
    STATE_CLOSED = 3                # the transport is gone


cdef enum WsReadPause:
    PAUSE_HANDSHAKE = 1             # not accepted yet
    PAUSE_QUEUE = 2                 # received messages above the high-water mark
    PAUSE_WRITE = 4                 # the transport's write buffer is full


cdef class WebSocketConnection:
    cdef object transport
    cdef object loop
    cdef str key                    # the client's Sec-WebSocket-Key
    cdef FrameParser parser
    cdef object messages            # a deque of received str/bytes messages
    cdef Py_ssize_t queued          # bytes in `messages`
    cdef Py_ssize_t high_water
    cdef double ping_interval
    cdef double ping_timeout
    cdef double close_timeout
    cdef readonly int state
    cdef readonly int close_code    # 0 while open
    cdef readonly str close_reason
    cdef object waiter              # wait(): a message or the close
    cdef object drain_waiter
    cdef object closed_waiter
    cdef object timer               # the idle ping / pong / close deadline
    cdef double last_seen           # monotonic time of the last bytes received
    cdef double ping_sent           # monotonic time of the unanswered ping, -1 when none
    cdef int read_paused            # WsReadPause bits
    cdef bint write_paused
    cdef bytes extension_offer      # Sec-WebSocket-Extensions of the handshake (compression on)
    cdef bint deflate               # permessage-deflate negotiated: our messages are compressed
    cdef bint deflate_reset         # server_no_context_takeover: a new compressor per message
    cdef int deflate_bits           # our window (server_max_window_bits)
    cdef object deflater            # a zlib compressobj, None until needed
    cdef bint failed                # we closed over a protocol error: input is dropped
    cdef object on_close            # called once with the connection when it ends
    cdef public object handler_task # the endpoint's Task: cancelled soon after the end
    cdef double message_rate        # messages per second allowed (set_limits), 0: no limit
    cdef double rate_tokens         # the token bucket of that rate
    cdef double rate_stamp          # loop time the bucket was last refilled
    cdef object message_waiter      # the future of receive()/iterate() that awaits a message
    cdef bint waiter_iterating      # ... for iterate(): the close ends it (StopAsyncIteration)
    cdef object iterator            # iterate()'s async iterator, made on first use
    cdef object drained             # a done future: drain() when there is room
    cdef dict future_options        # {"loop": loop}: the keywords of each receive()'s Future

    cdef object _take(self)
    cdef object _next_message(self, bint iterating)
    cdef bint _over_rate(self) except -1
    cdef bytes _compress(self, object data)
    cdef int _process(self, bint from_loop) except -1
    cdef bint _hand_over(self, object waiter, object message, bint from_loop) except -1
    cdef int _on_close_frame(self, int code, str reason) except -1
    cdef int _fail(self, int code, str reason) except -1
    cdef int _close_connection(self, int code, str reason, bint send_reason) except -1
    cdef int _finish(self, int code, str reason) except -1
    cdef int _wake(self) except -1
    cdef int _pause(self, int reason) except -1
    cdef int _resume(self, int reason) except -1
    cdef int _arm_timer(self, double delay) except -1
