# cython: autotestdict=False
# The default security stack's steps, compiled, for the connection protocol.
#
# fastcore.middleware.security_stack.SecurityStack runs the default layers
# (proxies, trusted hosts, https redirect, security headers, body and rate
# limits, sessions, CSRF) from one coroutine. A SecurityGate holds the same
# layer objects and takes the common request off that coroutine: a plain
# route match that no layer needs to await (a safe method, no session
# cookie, no rate rule, no body under a body limit). For it the protocol
# calls enter(), the handler, then leave(), all without a coroutine of ours;
# the checks that are one lookup (the Host verdict, the method, the Cookie
# line) and the security headers are done here in C, anything rarer is asked
# of the layer objects themselves, so each rule has one implementation.
#
# Docstrings live in fastcore/_speedups/security_gate.pyi; comments here say why.

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport PyObject
from cpython.set cimport PySet_Contains

from fastcore._speedups.http_parser cimport RequestHead
from fastcore._speedups.protocol cimport GATE_ANSWERED, GATE_CHAIN, GATE_PASS, Gate
from fastcore._speedups.response_writer cimport ResponseBase, check_header

cdef extern from "Python.h":
    object PyContextVar_Set(object var, object value)

cdef extern from "string.h":
    void* memmem(const void* haystack, size_t haystack_size, const void* needle,
                 size_t needle_size) noexcept

cdef bytes _COOKIE = b"cookie"
cdef bytes _CONTENT_TYPE = b"content-type"


cdef bytes _encode_lines(tuple pairs):
    # SECURITY: the layer refuses line breaks in its configuration; checked
    # again here (as the writer checks every header), where the lines skip the
    # writer's own check.
    for name, value in pairs:
        check_header(name, value)
    return b"".join([name + b": " + value + b"\r\n" for name, value in pairs])


@cython.final
@cython.auto_pickle(False)
cdef class SecurityGate(Gate):
    # See security_gate.pyi for the documented Python surface.

    cdef object stack               # the SecurityStack (its coroutines for the rare steps)
    cdef object proxies, hosts, https, headers, body_limit, rate_limit, sessions, csrf
    cdef object current_request     # the ContextVar template helpers read
    cdef object new_session         # the Session class, created on first read
    cdef bytes session_cookie       # the session cookie's name
    cdef frozenset unsafe_methods   # methods CSRF checks
    cdef dict host_verdicts         # raw Host -> allowed (the trusted-host layer's cache)
    cdef bint any_host
    cdef bytes allowed_host         # the last Host value found allowed
    cdef bint ready                 # every layer has done its first-request setup
    # The default security headers, as the headers layer encodes them.
    cdef tuple pairs                # the headers of a response whose page drew no nonce
    cdef tuple https_pairs          # the same with HSTS, for https
    cdef bytes lines                # `pairs` encoded as header lines
    cdef bytes https_lines
    cdef frozenset header_names     # any of these set by the handler: the layer decides

    def __init__(self, stack, *, current_request, new_session, unsafe_methods):
        self.stack = stack
        self.proxies = stack.proxies
        self.hosts = stack.hosts
        self.https = stack.https
        self.headers = stack.headers
        self.body_limit = stack.body_limit
        self.rate_limit = stack.rate_limit
        self.sessions = stack.sessions
        self.csrf = stack.csrf
        if self.sessions is not None:
            self.session_cookie = self.sessions.cookie_name.encode("latin-1")
        self.current_request = current_request
        self.new_session = new_session
        self.unsafe_methods = frozenset(unsafe_methods)
        self.any_host = self.hosts is None or self.hosts.allow_any
        self.host_verdicts = None if self.any_host else self.hosts._verdicts
        if self.headers is not None:
            default = self.headers.default
            self.pairs = tuple(default.without_nonce)
            self.https_pairs = self.pairs + tuple(default.hsts)
            self.lines = _encode_lines(self.pairs)
            self.https_lines = _encode_lines(self.https_pairs)
            self.header_names = default.names
        self.ready = False

    cdef bint _is_ready(self) except -1:
        # The layers install their template helpers and read their route
        # options on the first request they run: until then the stack does.
        if self.headers is not None and (
                not self.headers._globals_installed or self.headers._routes_override is None):
            return False
        if self.csrf is not None and not self.csrf._globals_installed:
            return False
        self.ready = True
        return True

    cdef int enter(self, RequestHead head) except -1:
        cdef PyObject* verdict
        cdef bytes host
        # First the requests that need the stack's coroutine (before any step
        # has changed the request, so that the stack starts from scratch).
        if not self.ready and not self._is_ready():
            return GATE_CHAIN
        if self.csrf is not None and PySet_Contains(self.unsafe_methods, head.method):
            return GATE_CHAIN  # the CSRF check reads the form body
        if self.body_limit is not None and (head.content_length != -1 or head.chunked):
            return GATE_CHAIN
        if self.rate_limit is not None and self.rate_limit.rules_for(head):
            return GATE_CHAIN  # counting may await a shared store
        if self.sessions is not None:
            cookies = head.first_header(_COOKIE)
            # Loading a session may await its backend. PERF: the name found
            # anywhere in the line is enough to leave the request to the
            # stack, which parses the line once (a request without the
            # session cookie never has the name in it).
            if cookies is not None and memmem(
                    PyBytes_AS_STRING(cookies), PyBytes_GET_SIZE(cookies),
                    PyBytes_AS_STRING(self.session_cookie),
                    PyBytes_GET_SIZE(self.session_cookie)) != NULL:
                # NOTE: memmem, not `in`: bytes.__contains__ first tries its
                # argument as an int, raising and clearing a TypeError.
                return GATE_CHAIN

        if self.proxies is not None:
            self.proxies.rewrite(head)
        if not self.any_host:
            host = head.host
            # PERF: most requests name the host the last one did: one compare
            # instead of hashing a new bytes object (bench/micro/test_bench_security_stack.py).
            if host is None or self.allowed_host is None or not host == self.allowed_host:
                verdict = PyDict_GetItem(self.host_verdicts, host) if host is not None else NULL
                if verdict != NULL and <object>verdict is True:
                    self.allowed_host = host
                else:
                    self.answer = self.hosts.refusal(head)  # decides, caches, logs
                    if self.answer is not None:
                        return GATE_ANSWERED
        if self.https is not None:
            self.answer = self.https.redirect_for(head)
            if self.answer is not None:
                return GATE_ANSWERED
        if self.headers is not None or self.csrf is not None:
            PyContextVar_Set(self.current_request, head)
        if self.headers is not None:
            head._csp_nonce = ""  # csp_nonce() draws one when a page asks
        if self.sessions is not None:
            # A visitor's new, empty session, made when the request reads it.
            head._session_factory = self.new_session
            head._session = None
        return GATE_PASS

    cdef object leave(self, RequestHead head, object response):
        cdef object nonce = None
        if self.sessions is not None:
            session = head._session
            if session is not None and self.sessions.touched(session, None):
                return self.stack.after_gate(head, response)  # saving may await
        if self.headers is None:
            return response
        nonce = head._csp_nonce or None
        head._csp_nonce = None
        if nonce is not None or self.headers._routes_override \
                or not isinstance(response, ResponseBase) \
                or not self._add_default_headers(head, <ResponseBase>response):
            self.headers.finish(head, response, nonce)
        return response

    cdef bint _add_default_headers(self, RequestHead head, ResponseBase response) except -1:
        # The headers layer's default set, added in place; False (nothing
        # done) when the handler set one of them itself: the layer merges.
        cdef bint https = head.scheme == "https"
        cdef object raw = response._raw_headers
        cdef tuple own = response._extra_pairs
        if own is not None:
            if raw is not None:
                return False
            # A prepared response (prepared_response: a static file) carries
            # encoded lines of its own: the set follows them unless the
            # response set one of its headers itself.
            for item in own:
                if PySet_Contains(self.header_names, (<tuple>item)[0]):
                    return False
            response._extra_lines = response._extra_lines + (
                self.https_lines if https else self.lines)
            response._extra_pairs = own + (self.https_pairs if https else self.pairs)
            return True
        if raw is None:
            # PERF: the common response (no header but its Content-Type) gets
            # the set as lines encoded once (bench/micro/test_bench_security_stack.py).
            response._extra_lines = self.https_lines if https else self.lines
            response._extra_pairs = self.https_pairs if https else self.pairs
            return True
        if type(raw) is not list:
            return False  # the writer refuses it; the layer's own code says why
        for item in <list>raw:
            if PySet_Contains(self.header_names, (<tuple>item)[0]):
                return False
        (<list>raw).extend(self.https_pairs if https else self.pairs)
        return True

    cdef object later(self, RequestHead head, object pending):
        return self.stack.after_gate_later(head, pending)
