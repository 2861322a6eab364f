# cython: autotestdict=False
# The asyncio Protocol of one HTTP/1.1 connection, on uvloop.
#
# Bytes go to the incremental parser; every complete request of a read is
# dispatched in that same pass. A handler coroutine is first driven
# synchronously; most finish there and their response is serialized at once.
# Responses leave strictly in request order, merged into one write per pass.
# Timeouts are not per-request timers: ServerState ticks a few times a second
# and closes the connections whose deadline passed.

cimport cython

from fastcore._speedups._clock cimport monotonic_now
from cpython.dict cimport PyDict_GetItemWithError
from libc.stdlib cimport calloc, free
from cpython.ref cimport PyObject, Py_XDECREF

from fastcore._speedups.http_parser cimport (
    EVENT_BODY,
    EVENT_HEAD,
    EVENT_NEED_DATA,
    HttpRequestParser,
    RequestHead,
)
from fastcore._speedups.router cimport MATCH_FOUND, RadixTree, RouteMatch, _Target
from fastcore._speedups.response_writer cimport (
    FRAMING_CHUNKED,
    ResponseBase,
    FRAMING_CLOSE,
    FRAMING_LENGTH,
    FRAMING_NONE,
    ResponseWriter,
    encode_chunk,
    refresh_date,
    stream_framing,
)

import asyncio
import logging
import time
import types

from fastcore._speedups.eager import as_coroutine, resume
from fastcore._speedups.websocket_frames import valid_key as _valid_ws_key
from fastcore._speedups.websocket_protocol import WebSocketConnection as _WebSocketConnection
from fastcore.exceptions import ClientDisconnect, ParserError

# NOTE: PyIter_Send (CPython 3.10+) is not in Cython's bundled declarations.
# It finishes a coroutine without raising StopIteration.
cdef extern from "Python.h":
    ctypedef enum PySendResult:
        PYGEN_RETURN
        PYGEN_ERROR
        PYGEN_NEXT
    PySendResult PyIter_Send(object iterator, object arg, PyObject** presult) except? PYGEN_ERROR
    object PyContext_CopyCurrent()
    int PyContext_Enter(object context) except -1
    int PyContext_Exit(object context) except -1

cdef bytes _CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
cdef bytes _LAST_CHUNK = b"0\r\n\r\n"
cdef bytes _CRLF = b"\r\n"
cdef bytes _WS_VERSION_REQUIRED = (
    b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n")
cdef bytes _TEXT_PLAIN = b"text/plain; charset=utf-8"
cdef bytes _RETRY_AFTER = b"retry-after: 1\r\n"
cdef double _FIRST_REQUEST_GRACE = 1.0  # seconds a quiet connection has at shutdown

# Upper bounds (seconds) of the request duration histogram of ServerState.
REQUEST_DURATION_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
cdef enum:
    _BUCKET_COUNT = 13
cdef double _BUCKET_BOUNDS[_BUCKET_COUNT]
for _index, _bound in enumerate(REQUEST_DURATION_BUCKETS):
    _BUCKET_BOUNDS[_index] = _bound
del _index, _bound

# The methods and statuses the metrics count in C arrays; others (rare) in a dict.
cdef tuple _COUNTED_METHODS = ("GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")
cdef enum:
    _METHOD_COUNT = 7
    _FIRST_STATUS = 100
    _STATUS_SLOTS = 500  # 100..599


cdef inline int _method_slot(str method):
    cdef int index
    for index in range(_METHOD_COUNT):
        if _is_method(method, <str>_COUNTED_METHODS[index]):
            return index
    return -1


@cython.final
@cython.internal
cdef class _RouteStats:
    """One route's answered requests by method and status, and its latency histogram."""
    cdef long long* counts[_METHOD_COUNT]      # per method, _STATUS_SLOTS counters (lazily)
    cdef long long buckets[_BUCKET_COUNT + 1]  # per histogram bucket, then +Inf
    cdef double seconds                        # the sum of the durations

    def __dealloc__(self):
        cdef int index
        for index in range(_METHOD_COUNT):
            free(self.counts[index])

    cdef int count(self, int method, int status, double seconds) except -1:
        cdef long long* row = self.counts[method]
        if row == NULL:
            row = <long long*>calloc(_STATUS_SLOTS, sizeof(long long))
            if row == NULL:
                raise MemoryError()
            self.counts[method] = row
        row[status - _FIRST_STATUS] += 1
        return self.record_time(seconds)

    cdef int record_time(self, double seconds) except -1:
        cdef int bucket = 0
        while bucket < _BUCKET_COUNT and seconds > _BUCKET_BOUNDS[bucket]:
            bucket += 1
        self.buckets[bucket] += 1
        self.seconds += seconds
        return 0

    cdef int export(self, object route, dict counts) except -1:
        cdef int method, slot
        cdef long long* row
        for method in range(_METHOD_COUNT):
            row = self.counts[method]
            if row == NULL:
                continue
            for slot in range(_STATUS_SLOTS):
                if row[slot]:
                    key = (route, _COUNTED_METHODS[method], slot + _FIRST_STATUS)
                    counts[key] = counts.get(key, 0) + row[slot]
        return 0

    cdef list histogram(self):
        cdef int bucket
        return [self.buckets[bucket] for bucket in range(_BUCKET_COUNT + 1)] + [self.seconds]
cdef Py_ssize_t _COPY_CHUNK_LIMIT = 64 * 1024
cdef object _log = logging.getLogger("fastcore.server")
cdef object _CoroutineType = types.CoroutineType
cdef object _CancelledError = asyncio.CancelledError
# Marks an exchange whose handler failed: it is answered 500.
cdef object _FAILED = object()
# Returned by HttpProtocol._start when the handler suspended.
cdef object _SUSPENDED = object()
# Returned by HttpProtocol._start_gated for a request the gate leaves to the chain.
cdef object _UNGATED = object()


cdef inline bint _is_method(str method, str name):
    # PERF: the parser interns the common methods, so identity usually
    # decides; different lengths rule out the rest before a full compare
    # (bench/micro/test_bench_protocol.py).
    if method is name:
        return True
    return len(method) == len(name) and method == name


@cython.auto_pickle(False)
cdef class Gate:
    # See protocol.pyi for the documented Python surface. This base class
    # leaves every request to the middleware's chain; compiled subclasses
    # (fastcore._speedups.security_gate) override the three steps.

    cdef int enter(self, RequestHead head) except -1:
        return GATE_CHAIN

    cdef object leave(self, RequestHead head, object response):
        return response

    cdef object later(self, RequestHead head, object pending):
        return pending


@cython.final
@cython.auto_pickle(False)
cdef class _Endpoint:
    pass


cdef _Endpoint _describe_endpoint(object endpoint):
    # An endpoint that offers `direct_call` (HandlerPlan: an async handler
    # whose invoke would only call it) is called without invoke's frame.
    cdef _Endpoint entry = _Endpoint.__new__(_Endpoint)
    direct = getattr(endpoint, "direct_call", None)
    if direct is not None:
        entry.call, takes_request = direct
        entry.shape = CALL_REQUEST if takes_request else CALL_BARE
    else:
        entry.call = endpoint.invoke
        entry.shape = CALL_INVOKE
    entry.inline = getattr(endpoint, "inline", False) is True
    return entry


@cython.final
@cython.auto_pickle(False)
cdef class RouteMatcher:
    # See protocol.pyi for the documented Python surface.

    def __init__(self, match):
        # PERF: the compiled tree behind a frozen Router's match, called at C
        # speed; any other matcher is called as a Python callable.
        tree = getattr(match, "__self__", None)
        self.tree = tree if isinstance(tree, RadixTree) else None
        self.match = match

    cdef RouteMatch lookup(self, RequestHead head):
        if self.tree is not None:
            return self.tree.match(head.method, head.path)
        return self.match(head.method, head.path)

    cdef RouteMatch remember(self, RequestHead head):
        # Match `head` and keep the result for match_request() while this
        # request's first step runs (PERF: the App's routing step, under its
        # middleware, does not match a second time).
        cdef RouteMatch found = self.lookup(head)
        self.head = head
        self.found = found
        self.path = head.path
        self.method = head.method
        return found

    cdef void forget(self) noexcept:
        self.head = None
        self.found = None
        self.path = None
        self.method = None

    cpdef RouteMatch match_request(self, RequestHead request):
        cdef RouteMatch found = self.found
        # A middleware may have rewritten the path or method: then, and for
        # any other request, match again.
        if found is not None and request is self.head and request.path is self.path \
                and request.method is self.method:
            self.forget()
            return found
        return self.lookup(request)


@cython.final
@cython.auto_pickle(False)
cdef class RoutedDispatch:
    # See protocol.pyi for the documented Python surface.

    def __init__(self, dispatch, match, app, finish, fail, convert, response_class, *,
                 direct=True, chain_inline=True, errors_inline=True, chain=None, gate=None):
        if gate is not None and (direct or chain is None):
            raise ValueError("a gate stands for the middleware chain: give the chain too")
        self.dispatch = dispatch
        self.chain = None if direct else chain
        self.gate = gate
        self.direct = direct
        self.chain_inline = chain_inline
        self.errors_inline = errors_inline
        self.begun_inline = False
        self.endpoints = {}
        self.matcher = match if isinstance(match, RouteMatcher) else RouteMatcher(match)
        self.app = app
        self.finish = finish
        self.fail = fail
        self.convert = convert
        self.response_class = response_class
        self.websocket = None

    def __call__(self, request):
        return self.dispatch(request)

    cdef _Endpoint route(self, RequestHead head):
        # Route the request: its endpoint (with the route and path parameters
        # set on the request), or None when the request is not a plain match
        # (404, 405, redirect, automatic OPTIONS), which the Python dispatch
        # then answers from the start.
        cdef RouteMatch found
        cdef _Target target
        head.app = self.app
        if self.matcher.tree is not None:
            # PERF: a static route needs no RouteMatch (bench/load/callgrind_request.py).
            target = self.matcher.tree.static_target(head.method, head.path)
            if target is not None and target.endpoint is not None:
                head.route = target.route
                head._path_params = None  # no parameters: see RequestHead.path_params
                return self._entry_for(target.endpoint)
        found = self.matcher.lookup(head)
        if found.status != MATCH_FOUND or found.endpoint is None:
            return None
        head.route = found.route
        head._path_params = found.params
        return self._entry_for(found.endpoint)

    cdef object call(self, _Endpoint entry, RequestHead head):
        # The endpoint's coroutine for a request route() matched.
        if entry.shape == CALL_BARE:
            return entry.call()
        if entry.shape == CALL_REQUEST:
            return entry.call(head)
        return entry.call(head, head.routed_params())

    cdef object begin(self, RequestHead head):
        # Route the request and call its handler (None: see route()).
        cdef _Endpoint entry = self.route(head)
        if entry is None:
            return None
        self.begun_inline = entry.inline
        return self.call(entry, head)

    cdef bint starts_inline(self, RequestHead head) except -1:
        # Whether the complete dispatch may start outside an asyncio Task:
        # only the framework's code and user code that cannot suspend runs
        # before its first suspension (see HandlerPlan.inline).
        cdef RouteMatch found
        if not self.errors_inline:
            return False
        if self.direct:
            return True  # begin() found no plain match: the framework answers
        if not self.chain_inline:
            return False
        found = self.matcher.remember(head)
        if found.status != MATCH_FOUND or found.endpoint is None:
            return True  # answered by the framework (404, 405, redirect, OPTIONS)
        return self._entry_for(found.endpoint).inline

    cdef _Endpoint _entry_for(self, object endpoint):
        # PERF: what to call and whether it may start inline are read from
        # the endpoint once, not per request (bench/load/callgrind_request.py).
        cdef PyObject* cached
        cdef _Endpoint entry
        try:
            cached = PyDict_GetItemWithError(self.endpoints, endpoint)
        except TypeError:
            return _describe_endpoint(endpoint)  # unhashable: described on every request
        if cached != NULL:
            return <_Endpoint>cached
        entry = _describe_endpoint(endpoint)
        try:
            self.endpoints[endpoint] = entry
        except TypeError:
            pass  # an unhashable endpoint is described on every request
        return entry


@cython.final
@cython.auto_pickle(False)
cdef class ServerState:
    # See protocol.pyi for the documented Python surface.

    def __init__(self, config, loop=None):
        self.config = config
        self.loop = loop if loop is not None else asyncio.get_running_loop()
        self.writer = ResponseWriter(config.server_header)
        self.connections = set()
        self.websockets = set()
        self.websocket_tasks = set()
        self.keep_alive_timeout = config.keep_alive_timeout
        self.header_timeout = config.header_timeout
        self.body_timeout = config.body_timeout
        self.max_request_line = config.max_request_line
        self.max_header_bytes = config.max_header_bytes
        self.max_headers = config.max_headers
        self.max_body = config.max_body
        self.body_high_water = config.body_high_water
        self.max_pipeline = config.max_pipeline
        self.max_discard = config.max_discard
        self.eager_dispatch = config.eager_dispatch
        self.tick_interval = config.tick_interval
        # A callable of fastcore.server.access_log (formats, then logs), or None.
        self.access_logger = config.access_logger
        self.count_requests = config.request_metrics
        self.route_counts = {}
        self.route_stats = {}
        self.last_route = self.last_stats = None
        self.timed = self.access_logger is not None or self.count_requests
        self.now = self.loop.time()
        self.date_second = -1
        self.tick_handle = None
        self.shutting_down = False
        self.scheme = "http"
        self.forwarded = None
        self.request_count = 0
        self.active = 0
        self.limit_concurrency = config.limit_concurrency or 0
        self.max_connections = config.max_connections or 0

    @property
    def connection_count(self):
        return len(self.connections) + len(self.websockets)

    def request_metrics(self):
        """``({(route, method, status): count}, {route: [per bucket..., +Inf, seconds]})``."""
        cdef _RouteStats stats
        counts = dict(self.route_counts)
        durations = {}
        for route, stats in self.route_stats.items():
            stats.export(route, counts)
            durations[route] = stats.histogram()
        return counts, durations

    cdef int _count(self, RequestHead head, int status, double seconds) except -1:
        # PERF: counted here, in C arrays, with one dict lookup (the route's
        # counters), not through a Python callback per request
        # (bench/load/callgrind_request.py --subject fastcore-metrics).
        cdef object route = head.route
        cdef int method = _method_slot(head.method)
        cdef _RouteStats stats
        if route is self.last_route and self.last_stats is not None:  # (None: no route)
            # PERF: a request to the route of the one before (a busy
            # endpoint, a keep-alive client's burst) skips the dict lookup,
            # a third of this function's cost.
            stats = <_RouteStats>self.last_stats
        else:
            stats = self.route_stats.get(route)
            if stats is None:
                stats = _RouteStats.__new__(_RouteStats)
                self.route_stats[route] = stats
            self.last_route = route
            self.last_stats = stats
        if method < 0 or status < _FIRST_STATUS or status >= _FIRST_STATUS + _STATUS_SLOTS:
            key = (route, head.method, status)  # no slot for it: counted in the dict
            self.route_counts[key] = self.route_counts.get(key, 0) + 1
            return stats.record_time(seconds)
        return stats.count(method, status, seconds)

    def start(self):
        if self.tick_handle is None:
            self._on_tick()

    def close(self):
        if self.tick_handle is not None:
            self.tick_handle.cancel()
            self.tick_handle = None

    def shutdown(self):
        cdef HttpProtocol connection
        self.shutting_down = True
        for connection in list(self.connections):
            connection._begin_shutdown()
        for websocket in list(self.websockets):
            websocket.close(1001, "server shutting down")

    def abort_all(self):
        cdef HttpProtocol connection
        for connection in list(self.connections):
            if not connection.closed:
                connection.transport.abort()
        for websocket in list(self.websockets):
            websocket.abort()
        for task in list(self.websocket_tasks):
            task.cancel()

    def _on_tick(self):
        try:
            self._tick()
        except BaseException:
            _log.exception("error in the server timer tick")
        self.tick_handle = self.loop.call_later(self.tick_interval, self._on_tick)

    cdef int _tick(self) except -1:
        cdef HttpProtocol connection
        cdef list expired = None
        cdef long long second = <long long>time.time()
        self.now = self.loop.time()
        if second != self.date_second:
            self.date_second = second
            refresh_date()
        # PERF: one pass over the open connections per tick instead of one
        # timer handle created and cancelled per request.
        for item in self.connections:
            connection = <HttpProtocol>item
            if connection.deadline_kind != DEADLINE_NONE and connection.deadline <= self.now:
                if expired is None:
                    expired = []
                expired.append(connection)
        if expired is not None:
            for connection in expired:
                try:
                    connection._on_deadline()
                except BaseException:
                    _log.exception("error while closing a timed-out connection")
                    if not connection.closed:
                        connection.transport.abort()
        return 0


@cython.final
@cython.auto_pickle(False)
cdef class _EmptyBody:
    # The body channel of the requests without a body: one per connection
    # (made on its first such request), so that it can tell whether that
    # connection is gone (request.is_disconnected()).
    cdef bint lost

    def disconnected(self):
        return self.lost

    def read_nowait(self):
        return b""

    def wait(self):
        waiter = asyncio.get_running_loop().create_future()
        waiter.set_result(None)
        return waiter


cdef _EmptyBody _EMPTY_BODY = _EmptyBody()


@cython.final
@cython.auto_pickle(False)
@cython.freelist(16)
cdef class _BodyChannel:
    # The request-body channel (fastcore.types.BodyReader) of one request.

    @staticmethod
    cdef _BodyChannel new(HttpProtocol protocol, _Exchange exchange, bint continue_pending):
        cdef _BodyChannel channel = _BodyChannel.__new__(_BodyChannel)
        channel.protocol = protocol
        channel.exchange = exchange
        channel.chunks = []
        channel.buffered = 0
        channel.received = 0
        channel.discard_limit = 0
        channel.waiter = None
        channel.complete = False
        channel.failed = False
        channel.discarding = False
        channel.continue_pending = continue_pending
        return channel

    def read_nowait(self):
        cdef bytes data
        if self.continue_pending:
            self.continue_pending = False
            self.protocol._send_continue(self.exchange)
        if self.chunks:
            # PERF: hand over everything buffered at once; a single chunk is
            # returned without a copy.
            if len(self.chunks) == 1:
                data = self.chunks[0]
            else:
                data = b"".join(self.chunks)
            self.chunks = []
            self.buffered = 0
            self.protocol._resume(PAUSE_BODY)
            return data
        if self.failed:
            raise ClientDisconnect("the client closed the connection mid-body")
        if self.complete:
            return b""
        return None

    def disconnected(self):
        return self.failed or self.protocol.closed

    def wait(self):
        if self.continue_pending:
            self.continue_pending = False
            self.protocol._send_continue(self.exchange)
        waiter = self.protocol.loop.create_future()
        if self.chunks or self.complete or self.failed:
            waiter.set_result(None)
        else:
            self.waiter = waiter
        return waiter

    cdef int _push(self, bytes chunk) except -1:
        self.received += len(chunk)
        if self.discarding:
            if self.received > self.discard_limit:
                # The response went out already; the rest of this body is
                # more than we agreed to read for nothing.
                self.protocol._close()
            return 0
        if self.failed:
            return 0
        self.chunks.append(chunk)
        self.buffered += len(chunk)
        if self.buffered >= self.protocol.state.body_high_water:
            # Backpressure: stop reading until the handler takes the data.
            self.protocol._pause(PAUSE_BODY)
        return self._wake()

    cdef int _finish(self) except -1:
        self.complete = True
        return self._wake()

    cdef int _fail(self) except -1:
        if not self.complete:
            self.failed = True
            self.chunks = []
            self.buffered = 0
        return self._wake()

    cdef int _wake(self) except -1:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return 0


@cython.final
@cython.auto_pickle(False)
@cython.freelist(64)
cdef class _Exchange:
    # One request of a connection, from its head to its last response byte.

    @staticmethod
    cdef _Exchange new(HttpProtocol protocol, RequestHead head, bint keep_alive, double started):
        cdef _Exchange exchange = _Exchange.__new__(_Exchange)
        exchange.protocol = protocol
        exchange.head = head
        exchange.body = None
        exchange.task = None
        exchange.response = None
        exchange.raw = None
        exchange.started = started
        exchange.body_bytes = 0
        exchange.done = False
        exchange.sent = False
        exchange.keep_alive = keep_alive
        exchange.streaming = False
        exchange.continue_wanted = False
        return exchange

    def _task_done(self, task):
        cdef HttpProtocol protocol = self.protocol
        protocol.state.active -= 1
        if task is not self.task or protocol.closed or task.cancelled():
            return
        self.task = None
        exc = task.exception()
        if exc is not None:
            _log.error("unhandled error while dispatching %s %s", self.head.method,
                       self.head.path, exc_info=exc)
            self.response = _FAILED
        else:
            self.response = task.result()
        self.done = True
        try:
            protocol._flush()
        except BaseException:
            _log.exception("error while writing a response")
            protocol.transport.abort()


@cython.final
@cython.auto_pickle(False)
cdef class HttpProtocol:
    # See protocol.pyi for the documented Python surface.

    def __init__(self, dispatch, ServerState state, request_class=RequestHead):
        self.state = state
        self.writer = state.writer
        self.dispatch = dispatch
        # The handler-calling fast path needs the synchronous first step.
        self.routed = dispatch if type(dispatch) is RoutedDispatch and state.eager_dispatch else None
        # Any other dispatch (an ASGI app, say) starts each request in a Task
        # unless it declares `inline = True`: nothing in its first step needs
        # the current Task.
        self.dispatch_inline = (
            state.eager_dispatch and type(dispatch) is not RoutedDispatch
            and getattr(dispatch, "inline", False) is True)
        self.suspended = None
        self.loop = state.loop
        self.parser = HttpRequestParser(
            max_request_line=state.max_request_line,
            max_header_bytes=state.max_header_bytes,
            max_headers=state.max_headers,
            max_body=state.max_body,
            head_type=request_class,
        )
        self.transport = None
        self.write = None
        self.peer = None
        # PERF/memory: a list, not a deque: an empty deque costs ~760 bytes
        # per idle connection, and pipelines are short (max_pipeline).
        self.pipeline = []
        self.body_exchange = None
        self.out = []
        self.out_first = None
        self.drain_waiter = None
        self.deadline = 0.0
        self.deadline_kind = DEADLINE_NONE
        self.read_paused = 0
        self.batching = False
        self.write_paused = False
        self.closed = False
        self.close_pending = False
        self.no_more_requests = False
        self.stopped = False
        self.parse_blocked = False

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        # PERF: the bound write method, looked up once per connection.
        self.write = transport.write
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) > 2:
            peer = peer[:2]  # IPv6: drop flowinfo and scope id
        self.peer = peer
        if self.state.max_connections and \
                len(self.state.connections) >= self.state.max_connections:
            # Over --max-connections: answered at once, never read.
            self.stopped = True
            self.closed = True
            transport.write(self.writer._build(
                503, None, _TEXT_PLAIN, b"too many connections", 1, False, False,
                FRAMING_NONE, True, _RETRY_AFTER))
            transport.close()
            return
        self.state.connections.add(self)
        self._set_idle()
        if self.state.shutting_down:
            self._begin_shutdown()

    def connection_lost(self, exc):
        cdef _Exchange exchange
        self.closed = True
        if self.empty_body is not None:
            (<_EmptyBody>self.empty_body).lost = True
        self.state.connections.discard(self)
        self.deadline_kind = DEADLINE_NONE
        exchange = self.body_exchange
        self.body_exchange = None
        if exchange is not None and not exchange.body.complete:
            exchange.body._fail()
            if exchange.task is not None:
                # Let the handler see ClientDisconnect on its next read
                # first; cancel whatever else it still awaits afterwards.
                self.loop.call_soon(exchange.task.cancel)
                exchange.task = None
        for item in self.pipeline:
            exchange = <_Exchange>item
            if exchange.task is not None:
                exchange.task.cancel()
                exchange.task = None
        self.pipeline.clear()
        waiter = self.drain_waiter
        self.drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.cancel()

    def data_received(self, bytes data):
        if self.stopped:
            # NOTE: bytes after the connection's last request are ignored.
            return
        if self.deadline_kind == DEADLINE_IDLE:
            # A new request head starts: it has header_timeout to complete,
            # counted from this first byte, not from each read (slowloris).
            self.deadline_kind = DEADLINE_HEAD
            self.deadline = self.state.now + self.state.header_timeout
        self.parser.feed(data)
        self.batching = True
        try:
            self._process()
        except BaseException:
            _log.exception("unexpected error on an HTTP connection")
            self._drop_out()
            self.closed = True
            self.transport.abort()
        finally:
            self.batching = False
        self._write_out()

    def eof_received(self):
        cdef _Exchange exchange = self.body_exchange
        if exchange is not None and not exchange.body.complete:
            self.body_exchange = None
            exchange.body._fail()
        self.no_more_requests = True
        self._stop_reading()
        if self.pipeline:
            # Half-closed by the client: answer what it already sent, then close.
            return True
        return False

    def pause_writing(self):
        self.write_paused = True
        # A client that does not read its responses gets no more requests
        # parsed either (pipelining flood).
        self._pause(PAUSE_WRITE)

    def resume_writing(self):
        self.write_paused = False
        waiter = self.drain_waiter
        self.drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._resume(PAUSE_WRITE)

    # -- parsing -------------------------------------------------------------

    cdef int _process(self) except -1:
        cdef HttpRequestParser parser = self.parser
        cdef int event
        while not self.stopped and not self.parse_blocked:
            try:
                event = parser.next_event()
            except ParserError as exc:
                return self._on_parser_error(exc)
            if event == EVENT_NEED_DATA:
                break
            elif event == EVENT_HEAD:
                if self.no_more_requests:
                    self._stop_reading()
                    break
                self._on_head(parser.head)
            elif event == EVENT_BODY:
                self._on_body(parser.body_chunk)
            else:
                self._on_end()
        return 0

    def _continue_parsing(self):
        # Requests left in the parser when the in-flight limit was reached.
        if self.closed or self.parse_blocked:
            return
        self.batching = True
        try:
            self._process()
        except BaseException:
            _log.exception("unexpected error on an HTTP connection")
            self._drop_out()
            self.closed = True
            self.transport.abort()
        finally:
            self.batching = False
        self._write_out()

    cdef int _on_head(self, RequestHead head) except -1:
        cdef ServerState state = self.state
        cdef _Exchange exchange = None
        cdef bint has_body = head.chunked or head.content_length > 0
        cdef bint keep_alive = head.keep_alive and not state.shutting_down
        cdef double started = 0.0
        cdef ResponseBase fixed
        cdef bytes data

        state.request_count += 1
        head.client = self.peer
        head.scheme = state.scheme
        if state.forwarded is not None:
            state.forwarded(head)
        if state.limit_concurrency and state.active >= state.limit_concurrency:
            return self._overloaded(head)
        if head.upgrade or _is_method(head.method, "CONNECT"):
            if head.upgrade and not self.pipeline and self._upgrade_websocket(head):
                return 0
            # NOTE: no protocol switch is supported here: the request is
            # answered as plain HTTP and the connection closes, so bytes of
            # another protocol are never parsed as requests.
            keep_alive = False
        if not keep_alive:
            self.no_more_requests = True
        if state.timed:
            started = monotonic_now()

        if has_body:
            exchange = _Exchange.new(self, head, keep_alive, started)
            exchange.body = _BodyChannel.new(
                self, exchange, head.expect_continue and head.version_minor == 1)
            head.body_reader = exchange.body
            self.body_exchange = exchange
            # Listed before the handler runs, so that 100 Continue knows
            # whether earlier responses are still owed.
            self.pipeline.append(exchange)
            if exchange.body.continue_pending:
                self.deadline_kind = DEADLINE_NONE  # the client waits for us
            else:
                self.deadline_kind = DEADLINE_BODY
                self.deadline = state.now + state.body_timeout
        else:
            if self.empty_body is None:
                self.empty_body = _EmptyBody()
            head.body_reader = self.empty_body
            self.deadline_kind = DEADLINE_NONE

        # Each request runs in its own copy of the context, as a Task would
        # run it: context variables set by the handler (or middleware) stay
        # with that request, before and after its first suspension.
        context = PyContext_CopyCurrent()
        PyContext_Enter(context)
        try:
            response = self._start(head)
        finally:
            PyContext_Exit(context)
        if response is _SUSPENDED:
            if exchange is None:
                exchange = _Exchange.new(self, head, keep_alive, started)
                self.pipeline.append(exchange)
            exchange.task = self.loop.create_task(self.suspended, context=context)
            state.active += 1
            self.suspended = None
            exchange.task.add_done_callback(exchange._task_done)
            return 0

        if exchange is None:
            if not self.pipeline and isinstance(response, ResponseBase) \
                    and type((<ResponseBase>response).body) is bytes:
                # PERF: the common case (no body, nothing pending, finished
                # synchronously, a fixed response) skips the exchange object
                # and the Python-level serialize() wrapper.
                fixed = <ResponseBase>response
                try:
                    data = self.writer._build(
                        fixed.status_code, fixed._raw_headers, fixed._content_type,
                        <bytes>fixed.body, head.version_minor, keep_alive,
                        _is_method(head.method, "HEAD"), FRAMING_NONE, True,
                        fixed._extra_lines)
                except BaseException:
                    _log.exception("cannot serialize the response to %s %s",
                                   head.method, head.path)
                else:
                    self._emit(data)
                    if started:
                        self._log_access(head, fixed.status_code, len(fixed.body), started)
                    if not keep_alive:
                        self._close()
                    return 0
                response = _FAILED
            exchange = _Exchange.new(self, head, keep_alive, started)
            self.pipeline.append(exchange)
        exchange.response = response
        exchange.done = True
        return self._flush()

    cdef bint _upgrade_websocket(self, RequestHead head) except -1:
        # An Upgrade: websocket request (RFC 6455 section 4.2.1) to a dispatch
        # that serves WebSockets: answer a bad handshake here, or hand the
        # connection to a WebSocketConnection and start the dispatch's
        # `websocket(request, connection)` in a Task. False: not ours, the
        # request goes on as plain HTTP (and the connection closes after it).
        cdef bytes data
        endpoint = getattr(self.dispatch, "websocket", None)
        if endpoint is None:
            return False
        upgrade = head.first_header(b"upgrade")
        if upgrade is None or b"websocket" not in [
                token.strip().lower() for token in (<bytes>upgrade).split(b",")]:
            return False
        if not _is_method(head.method, "GET") or head.version_minor != 1 \
                or head.chunked or head.content_length > 0:
            data = self.writer.error(400, "WebSocket handshake must be a GET without a body", False)
        elif head.first_header(b"sec-websocket-version") != b"13":
            # Section 4.4: name the versions we speak.
            data = _WS_VERSION_REQUIRED
        else:
            key = head.first_header(b"sec-websocket-key")
            if key is None or not _valid_ws_key(key):
                data = self.writer.error(400, "invalid Sec-WebSocket-Key", False)
            else:
                self._switch_to_websocket(head, endpoint, key)
                return True
        self._emit(data)
        self._close()
        return True

    cdef int _switch_to_websocket(self, RequestHead head, object endpoint, bytes key) except -1:
        cdef ServerState state = self.state
        # The bytes after the head (a client may send frames right behind
        # it) belong to the WebSocket; HTTP parsing stops for good.
        leftover = self.parser.unconsumed()
        self.stopped = True
        self.no_more_requests = True
        self.deadline_kind = DEADLINE_NONE
        state.connections.discard(self)
        head.body_reader = _EMPTY_BODY
        # NOTE: the first Sec-WebSocket-Extensions header only (browsers send one).
        connection = _WebSocketConnection(
            self.transport, leftover, key=key.decode("latin-1"), loop=self.loop,
            config=state.config, on_close=state.websockets.discard,
            extensions=head.first_header(b"sec-websocket-extensions"))
        state.websockets.add(connection)
        self.transport.set_protocol(connection)
        task = self.loop.create_task(endpoint(head, connection))
        # NOTE: the loop keeps only a weak reference to a Task: the server
        # keeps this one until it ends (the endpoint handles its own errors).
        state.websocket_tasks.add(task)
        task.add_done_callback(state.websocket_tasks.discard)
        connection.handler_task = task
        return 0

    cdef object _start(self, RequestHead head):
        # Run the request's handler up to its first real suspension. Returns
        # the response (_FAILED when dispatch failed), or _SUSPENDED with the
        # coroutine a Task must run to the end in self.suspended.
        cdef RoutedDispatch routed = self.routed
        cdef bint inline = False
        coro = None
        if routed is not None and routed.gate is not None:
            response = self._start_gated(routed, head)
            if response is not _UNGATED:
                return response
        if routed is not None and routed.direct:
            try:
                coro = routed.begin(head)
            except Exception as exc:
                return self._start_error(routed, head, exc)
            if coro is not None and not routed.begun_inline:
                # The handler may need the current Task from its first line.
                self.suspended = routed.finish(head, coro)
                return _SUSPENDED
        if coro is None and routed is not None and routed.chain is not None:
            # An App with middleware: its chain is called here, as the App's
            # dispatch would, with the App's error handling done by the
            # protocol as for a handler (PERF: no dispatch coroutine).
            head.app = routed.app
            try:
                inline = routed.starts_inline(head)
                try:
                    coro = routed.chain(head)
                    if type(coro) is not _CoroutineType:
                        coro = as_coroutine(coro)
                except Exception as exc:
                    return self._start_error(routed, head, exc)
                if not inline:
                    self.suspended = routed.finish(head, coro)
                    return _SUSPENDED
                return self._drive(routed, head, coro)
            finally:
                routed.matcher.forget()
        if coro is None:
            if routed is None:
                inline = self.dispatch_inline
                dispatch = self.dispatch
            else:
                inline = routed.starts_inline(head)
                dispatch = routed.dispatch  # PERF: not through RoutedDispatch.__call__
            routed = None
            try:
                coro = dispatch(head)
                if type(coro) is not _CoroutineType:
                    coro = as_coroutine(coro)
            except BaseException:
                _log.exception("unhandled error while dispatching %s %s", head.method, head.path)
                return _FAILED
            if not inline:
                self.suspended = coro
                return _SUSPENDED
        return self._drive(routed, head, coro)

    cdef object _start_gated(self, RoutedDispatch routed, RequestHead head):
        # The App's only middleware offers a gate (see Gate): for a plain
        # match the gate's steps run around the handler, which is called here
        # as in an App without middleware (PERF: no coroutine of the
        # middleware's or of the App's routing around the handler's,
        # bench/micro/test_bench_security_stack.py). Any other request, and
        # any the gate turns down, returns _UNGATED and takes the chain.
        cdef Gate gate = routed.gate
        cdef _Endpoint entry
        cdef int verdict
        try:
            entry = routed.route(head)
            if entry is None:
                return _UNGATED
            verdict = gate.enter(head)
        except Exception as exc:
            return self._start_error(routed, head, exc)
        if verdict == GATE_CHAIN:
            return _UNGATED
        if verdict == GATE_ANSWERED:
            response = gate.answer
            gate.answer = None
            return response
        try:
            coro = routed.call(entry, head)
        except Exception as exc:
            # Answered by the App's error handlers, and still passed to leave()
            # as the routing step under the middleware would pass it.
            response = self._start_error(routed, head, exc)
        else:
            if not entry.inline:
                # The handler may need the current Task from its first line.
                self.suspended = gate.later(head, routed.finish(head, coro))
                return _SUSPENDED
            response = self._drive(routed, head, coro)
        if response is _SUSPENDED:
            self.suspended = gate.later(head, self.suspended)
            return _SUSPENDED
        if response is _FAILED:
            return response
        try:
            response = gate.leave(head, response)
        except Exception as exc:
            return self._start_error(routed, head, exc)
        if isinstance(response, routed.response_class):
            return response
        # leave() has asynchronous work to do (a session to save): its
        # coroutine gives the response.
        return self._drive(routed, head, response)

    cdef object _drive(self, RoutedDispatch routed, RequestHead head, object coro):
        # Run `coro` up to its first real suspension (see _start); `routed`
        # (None for a plain dispatch) answers its errors and finishes it.
        cdef PyObject* result = NULL
        cdef PySendResult status
        try:
            # PERF: drive the handler synchronously; only a real suspension
            # costs a Task (bench/micro/test_bench_protocol.py).
            # NOTE: until that first suspension asyncio.current_task() is None
            # (Python 3.11 has no eager tasks). Only code that cannot need it
            # runs here: the framework's, and user code that cannot suspend
            # (HandlerPlan.inline, Middleware.inline_safe); everything else
            # started in a Task above.
            status = PyIter_Send(coro, None, &result)
        except Exception as exc:
            if routed is not None:
                return self._start_error(routed, head, exc)
            _log.exception("unhandled error while dispatching %s %s", head.method, head.path)
            return _FAILED
        except BaseException:
            _log.exception("unhandled error while dispatching %s %s", head.method, head.path)
            return _FAILED
        response = <object>result
        Py_XDECREF(result)
        if status == PYGEN_NEXT:
            # `response` is what the coroutine yielded: the Task waits on it.
            pending = resume(coro, response)
            self.suspended = routed.finish(head, pending) if routed is not None else pending
            return _SUSPENDED
        if routed is not None and not isinstance(response, routed.response_class):
            try:
                response = routed.convert(response)
            except Exception as exc:
                return self._start_error(routed, head, exc)
        return response

    cdef object _start_error(self, RoutedDispatch routed, RequestHead head, object exc):
        # The App's error handlers answer what the handler raised, exactly as
        # its Python dispatch would (called inside the except clause, so the
        # exception context is the same).
        cdef PyObject* result = NULL
        cdef PySendResult status
        try:
            coro = routed.fail(head, exc)
            if not routed.errors_inline:
                # A user's error handler may need the current Task.
                self.suspended = coro
                return _SUSPENDED
            status = PyIter_Send(coro, None, &result)
        except BaseException:
            _log.exception("unhandled error while dispatching %s %s", head.method, head.path)
            return _FAILED
        response = <object>result
        Py_XDECREF(result)
        if status == PYGEN_NEXT:
            self.suspended = resume(coro, response)
            return _SUSPENDED
        return response

    cdef int _on_body(self, bytes chunk) except -1:
        cdef _Exchange exchange = self.body_exchange
        if exchange is None:
            return 0
        exchange.body._push(chunk)
        if not self.read_paused & PAUSE_BODY and not exchange.body.discarding:
            self.deadline_kind = DEADLINE_BODY
            self.deadline = self.state.now + self.state.body_timeout
        return 0

    cdef int _on_end(self) except -1:
        cdef _Exchange exchange = self.body_exchange
        if exchange is not None:
            self.body_exchange = None
            exchange.body._finish()
            # The whole body is in: nothing more to hold back for it.
            self._resume(PAUSE_BODY)
        if len(self.pipeline) >= self.state.max_pipeline:
            self.parse_blocked = True
            self._pause(PAUSE_PIPELINE)
        if self.pipeline:
            self.deadline_kind = DEADLINE_NONE
        else:
            self._set_idle()
        return 0

    cdef int _overloaded(self, RequestHead head) except -1:
        # Over --limit-concurrency: 503 with Retry-After and close, before
        # the handler or any body; what is still in flight is answered first.
        cdef _Exchange exchange = _Exchange.new(self, head, False, 0.0)
        self._stop_reading()
        self.no_more_requests = True
        self.deadline_kind = DEADLINE_NONE
        exchange.raw = self.writer._build(
            503, None, _TEXT_PLAIN, b"the server is busy, retry later", head.version_minor,
            False, _is_method(head.method, "HEAD"), FRAMING_NONE, True, _RETRY_AFTER)
        exchange.done = True
        self.pipeline.append(exchange)
        return self._flush()

    cdef int _on_parser_error(self, object exc) except -1:
        cdef _Exchange exchange = self.body_exchange
        cdef bytes data = self.writer.error(exc.status_code, exc.detail, False)
        # SECURITY: once framing is in doubt nothing after this point is
        # parsed or answered (RFC 9112 section 11.2, request smuggling).
        self._stop_reading()
        self.no_more_requests = True
        self.deadline_kind = DEADLINE_NONE
        if exchange is not None:
            self.body_exchange = None
            exchange.body._fail()
            if not exchange.sent:
                # The request itself was malformed (a bad chunk): its answer
                # is the parser's status, whatever its handler was doing.
                if exchange.task is not None:
                    # ClientDisconnect first (the failed body), then cancel.
                    self.loop.call_soon(exchange.task.cancel)
                    exchange.task = None
                exchange.raw = data
                exchange.done = True
                exchange.keep_alive = False
                return self._flush()
            if not self.pipeline:
                self._close()
            return 0
        exchange = _Exchange.new(self, None, False, 0.0)
        exchange.raw = data
        exchange.done = True
        self.pipeline.append(exchange)
        return self._flush()

    # -- responses -----------------------------------------------------------

    cdef int _flush(self) except -1:
        cdef _Exchange exchange
        cdef bint outer = not self.batching
        self.batching = True
        try:
            while self.pipeline and not self.closed and not self.close_pending:
                exchange = <_Exchange>self.pipeline[0]
                if exchange.streaming:
                    break
                if not exchange.done:
                    if exchange.continue_wanted:
                        self._send_continue(exchange)
                    break
                self.pipeline.pop(0)
                self._send(exchange)
        finally:
            if outer:
                self.batching = False
        if outer:
            self._write_out()
        if self.closed or self.close_pending:
            return 0
        if self.parse_blocked and len(self.pipeline) < self.state.max_pipeline:
            self.parse_blocked = False
            self._resume(PAUSE_PIPELINE)
            self.loop.call_soon(self._continue_parsing)
        if not self.pipeline and self.body_exchange is None:
            if self.no_more_requests:
                # The last request was answered (a streamed one, say, when a
                # shutdown began mid-stream): nothing will come after it.
                return self._close()
            self._set_idle()
        return 0

    cdef int _send(self, _Exchange exchange) except -1:
        cdef RequestHead head = exchange.head
        cdef bint keep = exchange.keep_alive
        cdef bint head_request
        cdef int status_code = 500
        cdef int framing
        cdef bytes data
        cdef Py_ssize_t size = 0
        cdef Py_ssize_t length = -1
        exchange.sent = True
        if self.no_more_requests and not self.pipeline:
            keep = False  # the connection's last request
        if exchange.raw is not None:
            self._emit(exchange.raw)
            self._close()
            return 0
        head_request = _is_method(head.method, "HEAD")
        response = exchange.response
        try:
            if response is _FAILED:
                raise RuntimeError("dispatch failed")  # logged where it happened
            status_code = response.status_code
            if response.body is None:
                # NOTE: the unread body is settled when the stream ends: the
                # body iterator may well be reading the request body.
                framing = stream_framing(status_code, head.version_minor, head_request)
                if framing != FRAMING_NONE:
                    # A body of known size (a file) is sent with its length.
                    declared = getattr(response, "content_length", None)
                    if declared is not None:
                        length = declared
                        framing = FRAMING_LENGTH
                if framing == FRAMING_CLOSE:
                    keep = False
                data = self.writer.serialize_stream_head(
                    response, head.version_minor, keep, head_request, length)
                self._emit(data)
                exchange.keep_alive = keep
                exchange.streaming = True
                self.pipeline.insert(0, exchange)
                exchange.task = self.loop.create_task(
                    self._stream(exchange, response, framing, length))
                return 0
            if exchange.body is not None and not exchange.body.complete \
                    and not self._settle_body(exchange):
                keep = False
            data = self.writer.serialize(response, head.version_minor, keep, head_request)
            size = len(response.body)
        except BaseException as exc:
            if response is not _FAILED:
                _log.error("invalid response to %s %s", head.method, head.path, exc_info=exc)
            status_code = 500
            if exchange.body is not None and not exchange.body.complete \
                    and not exchange.body.discarding and not self._settle_body(exchange):
                keep = False
            data = self.writer.error(500, "Internal Server Error", keep)
        self._emit(data)
        if exchange.started:
            self._log_access(head, status_code, size, exchange.started)
        if not keep:
            self._close()
        return 0

    cdef int _settle_body(self, _Exchange exchange) except -1:
        # The response is ready but the request body is not all read: drop
        # the rest if that is cheap and safe, else close (return 0).
        cdef _BodyChannel channel = exchange.body
        cdef RequestHead head = exchange.head
        if channel.continue_pending or exchange.continue_wanted:
            # The client may still be waiting for 100 Continue, or may send
            # the body anyway: only closing keeps the framing certain.
            return 0
        if not head.chunked and head.content_length - channel.received > self.state.max_discard:
            return 0
        channel.discarding = True
        channel.discard_limit = channel.received + self.state.max_discard
        channel.chunks = []
        channel.buffered = 0
        self._resume(PAUSE_BODY)
        return 1

    async def _stream(self, _Exchange exchange, object response, int framing,
                      Py_ssize_t length):
        # `length` is the declared size of a FRAMING_LENGTH body (else -1).
        cdef bytes chunk
        cdef Py_ssize_t size
        iterator = response.body_iterator
        transport = self.transport
        try:
            if framing == FRAMING_NONE:
                close = getattr(iterator, "aclose", None)
                if close is not None:
                    await close()
            else:
                async for item in iterator:
                    chunk = item if type(item) is bytes else bytes(item)
                    size = len(chunk)
                    if size == 0:
                        continue
                    if self.closed:
                        return
                    exchange.body_bytes += size
                    if framing == FRAMING_LENGTH:
                        if exchange.body_bytes > length:
                            raise RuntimeError(f"the body is longer than its {length} bytes")
                        transport.write(chunk)
                    elif framing == FRAMING_CLOSE:
                        transport.write(chunk)
                    elif size <= _COPY_CHUNK_LIMIT:
                        transport.write(encode_chunk(chunk))
                    else:
                        # PERF: a large chunk is not copied into a framed buffer.
                        transport.writelines([b"%x\r\n" % size, chunk, _CRLF])
                    if self.write_paused:
                        if self.drain_waiter is None:
                            self.drain_waiter = self.loop.create_future()
                        await self.drain_waiter
                if framing == FRAMING_CHUNKED and not self.closed:
                    transport.write(_LAST_CHUNK)
                elif framing == FRAMING_LENGTH and exchange.body_bytes != length \
                        and not self.closed:
                    raise RuntimeError(f"the body ended after {exchange.body_bytes} "
                                       f"of its {length} bytes")
        except _CancelledError:
            raise
        except BaseException:
            _log.exception("error while streaming the response to %s %s",
                           exchange.head.method, exchange.head.path)
            # NOTE: the head is gone already; only a cut-off body (no last
            # chunk) can tell the client that the response is incomplete.
            if not self.closed:
                self.closed = True
                self.transport.abort()
            return
        if not self.closed:
            exchange.task = None
            self._stream_done(exchange)

    cdef int _stream_done(self, _Exchange exchange) except -1:
        self.pipeline.pop(0)
        exchange.streaming = False
        if exchange.keep_alive and exchange.body is not None and not exchange.body.complete \
                and not self._settle_body(exchange):
            exchange.keep_alive = False  # the response is complete: closing is clean
        if exchange.started:
            self._log_access(exchange.head, exchange.response.status_code,
                             exchange.body_bytes, exchange.started)
        if not exchange.keep_alive:
            return self._close()
        return self._flush()

    cdef int _send_continue(self, _Exchange exchange) except -1:
        if self.closed or self.close_pending or exchange.sent or exchange.done:
            return 0
        if self.pipeline and self.pipeline[0] is not exchange:
            # An earlier response is still owed: 100 Continue waits its turn.
            exchange.continue_wanted = True
            return 0
        exchange.continue_wanted = False
        self._emit(_CONTINUE)
        if self.body_exchange is exchange and not self.read_paused & PAUSE_BODY:
            self.deadline_kind = DEADLINE_BODY
            self.deadline = self.state.now + self.state.body_timeout
        return 0

    # -- output and connection state -----------------------------------------

    cdef int _emit(self, bytes data) except -1:
        if self.batching:
            # PERF: the only buffer of a pass (the usual case) skips the list
            # (bench/load/callgrind_request.py).
            if self.out_first is None and not self.out:
                self.out_first = data
            else:
                if self.out_first is not None:
                    self.out.append(self.out_first)
                    self.out_first = None
                self.out.append(data)
        elif not self.closed:
            self.write(data)
        return 0

    cdef int _drop_out(self) except -1:
        self.out_first = None
        self.out.clear()
        return 0

    cdef int _write_out(self) except -1:
        cdef list out = self.out
        cdef bytes first = self.out_first
        if self.closed:
            return self._drop_out()
        if first is not None:
            self.out_first = None
            self.write(first)
        elif out:
            # PERF: one write per pass, pipelined responses merged.
            self.write(b"".join(out))
            out.clear()
        if self.close_pending:
            self.closed = True
            self.transport.close()
        return 0

    cdef int _close(self) except -1:
        self._stop_reading()
        self.no_more_requests = True
        self.deadline_kind = DEADLINE_NONE
        self.close_pending = True
        if not self.batching:
            self._write_out()
        return 0

    cdef int _stop_reading(self) except -1:
        if not self.stopped:
            self.stopped = True
            self._pause(PAUSE_STOPPED)
        return 0

    cdef int _pause(self, int reason) except -1:
        if self.read_paused == 0 and not self.closed and not self.close_pending:
            self.transport.pause_reading()
        self.read_paused |= reason
        if reason == PAUSE_BODY and self.deadline_kind == DEADLINE_BODY:
            self.deadline_kind = DEADLINE_NONE  # we stopped reading, not the client
        return 0

    cdef int _resume(self, int reason) except -1:
        if not self.read_paused & reason:
            return 0
        self.read_paused &= ~reason
        if self.read_paused == 0 and not self.closed and not self.close_pending:
            self.transport.resume_reading()
        if reason == PAUSE_BODY and self.body_exchange is not None \
                and not self.body_exchange.body.continue_pending:
            self.deadline_kind = DEADLINE_BODY
            self.deadline = self.state.now + self.state.body_timeout
        return 0

    cdef int _set_idle(self) except -1:
        if not self.no_more_requests:
            self.deadline_kind = DEADLINE_IDLE
            self.deadline = self.state.now + self.state.keep_alive_timeout
        return 0

    cdef int _on_deadline(self) except -1:
        cdef int kind = self.deadline_kind
        self.deadline_kind = DEADLINE_NONE
        if self.closed:
            return 0
        if kind == DEADLINE_IDLE and not self.parser.unconsumed():
            # A quiet keep-alive connection: close it without a word.
            return self._close()
        return self._timeout_response()

    cdef int _timeout_response(self) except -1:
        # 408 where a response is still possible (RFC 9110 section 15.5.9).
        cdef _Exchange exchange = self.body_exchange
        cdef bytes data = self.writer.error(408, "Request Timeout", False)
        self._stop_reading()
        self.no_more_requests = True
        if exchange is not None:
            self.body_exchange = None
            exchange.body._fail()
        if not self.pipeline:
            self._emit(data)
            return self._close()
        if exchange is not None and self.pipeline[0] is exchange and not exchange.sent:
            if exchange.task is not None:
                # ClientDisconnect first (the failed body), then cancel.
                self.loop.call_soon(exchange.task.cancel)
                exchange.task = None
            exchange.raw = data
            exchange.done = True
            return self._flush()
        # A response is being written already: cutting it off is all we can do.
        self.closed = True
        self.transport.abort()
        return 0

    cdef int _begin_shutdown(self) except -1:
        if self.closed:
            return 0
        if self.pipeline or self.body_exchange is not None:
            self.no_more_requests = True
            return 0  # answered, with connection: close, once done
        if self.deadline_kind == DEADLINE_HEAD or self.parser.unconsumed():
            # A request head is arriving: _on_head sees shutting_down and
            # answers it with connection: close (or the header timeout cuts it).
            return 0
        # NOTE: a new connection whose first request is not read yet, or a
        # quiet keep-alive one: its client may be sending a request this
        # instant. Closed now, that request would be lost, and a proxy
        # pooling connections to this server (nginx, under load) cannot
        # retry it if it is a POST. So the connection gets a moment: a
        # request that comes is answered like the case above (with
        # connection: close); one still quiet afterwards is closed.
        self.deadline_kind = DEADLINE_IDLE
        self.deadline = self.state.now + _FIRST_REQUEST_GRACE
        return 0

    cdef int _log_access(self, RequestHead head, int status, Py_ssize_t size,
                         double started) except -1:
        cdef object logger = self.state.access_logger
        cdef double seconds
        if head is None:
            return 0
        seconds = monotonic_now() - started
        if self.state.count_requests:
            self.state._count(head, status, seconds)
        if logger is not None:
            logger(head, self.peer, status, size, seconds)
        return 0
