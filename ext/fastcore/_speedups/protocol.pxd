# The C-level layout of the connection protocol.
#
# ServerState is shared by every connection of one listening server (limits,
# the response writer, the timer tick, the set of open connections for the
# graceful drain). HttpProtocol is the asyncio Protocol of one connection.

from fastcore._speedups.http_parser cimport HttpRequestParser, RequestHead
from fastcore._speedups.response_writer cimport ResponseWriter
from fastcore._speedups.router cimport RadixTree, RouteMatch


cdef enum DeadlineKind:
    DEADLINE_NONE = 0     # a handler is busy: no read deadline
    DEADLINE_IDLE = 1     # waiting for the next request (keep-alive timeout)
    DEADLINE_HEAD = 2     # a request head has started (header timeout)
    DEADLINE_BODY = 3     # waiting for request-body bytes (body timeout)


cdef enum ReadPause:
    PAUSE_BODY = 1        # buffered request body above the high-water mark
    PAUSE_WRITE = 2       # the transport's write buffer is full
    PAUSE_PIPELINE = 4    # too many requests of this connection in flight
    PAUSE_STOPPED = 8     # no more requests will be read on this connection


cdef enum CallShape:
    CALL_INVOKE = 0                 # endpoint.invoke(request, params)
    CALL_BARE = 1                   # the async handler itself, no arguments
    CALL_REQUEST = 2                # the async handler itself, given the request


cdef enum GateVerdict:
    GATE_PASS = 0                   # the gate's steps ran: call the handler, then leave()
    GATE_CHAIN = 1                  # the request needs the middleware itself: call its chain
    GATE_ANSWERED = 2               # the gate answered the request: the response is in `answer`


cdef class Gate:
    # Synchronous steps an App's only middleware may offer, which the
    # protocol runs around a handler it calls itself (see protocol.pyi).
    cdef object answer              # the response of a GATE_ANSWERED verdict

    cdef int enter(self, RequestHead head) except -1
    cdef object leave(self, RequestHead head, object response)
    cdef object later(self, RequestHead head, object pending)


cdef class _Endpoint:
    # How begin() starts one route's endpoint, worked out on its first request.
    cdef object call
    cdef CallShape shape
    cdef bint inline


cdef class RouteMatcher:
    # A router's match, and the match the protocol made for the request whose
    # first step is running (see protocol.pyi).
    cdef RadixTree tree             # the compiled tree behind `match`, or None
    cdef object match               # (method, raw path) -> RouteMatch
    cdef RequestHead head           # the request `found` is for, None when unset
    cdef object found               # its RouteMatch
    cdef str path                   # the raw path and method it was made with
    cdef str method

    cdef RouteMatch lookup(self, RequestHead head)
    cdef RouteMatch remember(self, RequestHead head)
    cdef void forget(self) noexcept
    cpdef RouteMatch match_request(self, RequestHead request)


cdef class RoutedDispatch:
    # An App's dispatch with its routing open to the protocol (see protocol.pyi).
    cdef object dispatch            # the Python dispatch: async (request) -> Response
    cdef object chain               # the App's middleware chain, or None (see protocol.pyi)
    cdef RouteMatcher matcher
    cdef object app
    cdef object finish              # async (request, awaitable) -> Response
    cdef object fail                # async (request, exception) -> Response
    cdef object convert             # handler return value -> Response
    cdef object response_class      # what needs no conversion
    cdef bint direct                # no middleware: the protocol may call handlers itself
    cdef bint chain_inline          # every middleware may start outside a Task
    cdef bint errors_inline         # every error handler may run outside a Task
    cdef bint begun_inline          # begin(): the matched route may start outside a Task
    cdef dict endpoints             # endpoint -> _Endpoint, filled as routes are first used
    cdef readonly Gate gate         # the steps of the App's only middleware, or None
    cdef public object websocket    # async (request, WebSocketConnection) -> None, or None

    cdef _Endpoint route(self, RequestHead head)
    cdef object call(self, _Endpoint entry, RequestHead head)
    cdef object begin(self, RequestHead head)
    cdef bint starts_inline(self, RequestHead head) except -1
    cdef _Endpoint _entry_for(self, object endpoint)


cdef class ServerState:
    cdef readonly object config
    cdef object loop
    cdef ResponseWriter writer
    cdef set connections
    cdef set websockets             # the WebSocketConnections this server upgraded to
    cdef set websocket_tasks        # their endpoints' Tasks, while they run
    cdef double now
    cdef double tick_interval
    cdef double keep_alive_timeout
    cdef double header_timeout
    cdef double body_timeout
    cdef Py_ssize_t max_request_line
    cdef Py_ssize_t max_header_bytes
    cdef Py_ssize_t max_headers
    cdef long long max_body
    cdef Py_ssize_t body_high_water
    cdef Py_ssize_t max_pipeline
    cdef long long max_discard
    cdef bint eager_dispatch        # drive handlers synchronously first
    cdef object access_logger       # fastcore.server.access_log.AccessLog, or None
    cdef bint count_requests        # config.request_metrics: count by route and status
    cdef dict route_counts          # (route, method, status) -> answered requests, for
                                    #   methods and statuses _RouteStats has no slot for
    cdef dict route_stats           # route -> _RouteStats (C counters and histogram)
    cdef object last_route          # the route of the last counted request, and
    cdef object last_stats          #   its _RouteStats (no dict lookup for a repeat)
    cdef bint timed                 # access log or metrics: time each request
    cdef object tick_handle
    cdef long long date_second
    cdef readonly bint shutting_down
    cdef public str scheme          # "http", or "https" behind TLS
    cdef public object forwarded    # the proxy-headers hook (head) -> None, or None
    cdef readonly long long request_count  # requests started (--max-requests)
    cdef readonly Py_ssize_t active # requests running in a Task (--limit-concurrency)
    cdef Py_ssize_t limit_concurrency  # 0: no limit
    cdef Py_ssize_t max_connections    # 0: no limit

    cdef int _tick(self) except -1
    cdef int _count(self, RequestHead head, int status, double seconds) except -1


cdef class HttpProtocol:
    cdef ServerState state
    cdef object empty_body          # the _EmptyBody of this connection's bodiless requests
    cdef ResponseWriter writer
    cdef object dispatch
    cdef RoutedDispatch routed      # `dispatch` when it is one and dispatch is eager, else None
    cdef bint dispatch_inline       # another dispatch that says it may start outside a Task
    cdef object suspended           # _start: the coroutine a Task must finish
    cdef object loop
    cdef object transport
    cdef object write               # transport.write, bound once
    cdef object peer
    cdef HttpRequestParser parser
    cdef list pipeline              # _Exchange objects, in request order
    cdef _Exchange body_exchange    # the exchange whose body is arriving
    cdef bytes out_first            # the first buffer of a data_received pass, while alone
    cdef list out                   # the buffers of a pass once there are several
    cdef object drain_waiter
    cdef double deadline
    cdef int deadline_kind
    cdef int read_paused            # ReadPause bits
    cdef bint batching              # inside data_received: merge writes
    cdef bint write_paused
    cdef bint closed
    cdef bint close_pending         # close once the buffers are written
    cdef bint no_more_requests      # the current request is the connection's last
    cdef bint stopped               # parsing stopped for good
    cdef bint parse_blocked         # pipeline full: events left in the parser

    cdef int _process(self) except -1
    cdef int _on_head(self, RequestHead head) except -1
    cdef bint _upgrade_websocket(self, RequestHead head) except -1
    cdef int _switch_to_websocket(self, RequestHead head, object endpoint, bytes key) except -1
    cdef int _overloaded(self, RequestHead head) except -1
    cdef object _start(self, RequestHead head)
    cdef object _start_gated(self, RoutedDispatch routed, RequestHead head)
    cdef object _drive(self, RoutedDispatch routed, RequestHead head, object coro)
    cdef object _start_error(self, RoutedDispatch routed, RequestHead head, object exc)
    cdef int _on_body(self, bytes chunk) except -1
    cdef int _on_end(self) except -1
    cdef int _on_parser_error(self, object exc) except -1
    cdef int _flush(self) except -1
    cdef int _send(self, _Exchange exchange) except -1
    cdef int _settle_body(self, _Exchange exchange) except -1
    cdef int _timeout_response(self) except -1
    cdef int _stream_done(self, _Exchange exchange) except -1
    cdef int _emit(self, bytes data) except -1
    cdef int _write_out(self) except -1
    cdef int _drop_out(self) except -1
    cdef int _close(self) except -1
    cdef int _stop_reading(self) except -1
    cdef int _pause(self, int reason) except -1
    cdef int _resume(self, int reason) except -1
    cdef int _send_continue(self, _Exchange exchange) except -1
    cdef int _set_idle(self) except -1
    cdef int _on_deadline(self) except -1
    cdef int _begin_shutdown(self) except -1
    cdef int _log_access(self, RequestHead head, int status, Py_ssize_t size,
                         double started) except -1


cdef class _BodyChannel:
    cdef HttpProtocol protocol
    cdef _Exchange exchange
    cdef list chunks
    cdef Py_ssize_t buffered
    cdef long long received
    cdef long long discard_limit
    cdef object waiter
    cdef bint complete
    cdef bint failed
    cdef bint discarding
    cdef bint continue_pending

    @staticmethod
    cdef _BodyChannel new(HttpProtocol protocol, _Exchange exchange, bint continue_pending)
    cdef int _push(self, bytes chunk) except -1
    cdef int _finish(self) except -1
    cdef int _fail(self) except -1
    cdef int _wake(self) except -1


cdef class _Exchange:
    cdef HttpProtocol protocol
    cdef RequestHead head
    cdef _BodyChannel body
    cdef object task
    cdef object response
    cdef bytes raw                  # a pre-serialized answer (errors)
    cdef double started
    cdef long long body_bytes       # streamed body bytes (access log)
    cdef bint done
    cdef bint sent
    cdef bint keep_alive
    cdef bint streaming
    cdef bint continue_wanted

    @staticmethod
    cdef _Exchange new(HttpProtocol protocol, RequestHead head, bint keep_alive, double started)
