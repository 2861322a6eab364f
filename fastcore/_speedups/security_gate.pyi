"""The default security stack's steps, compiled, for the connection protocol (kernel).

:class:`SecurityGate` is the :class:`~fastcore._speedups.protocol.Gate` of
:class:`fastcore.middleware.security_stack.SecurityStack`, which builds it.
For a plain route match that no layer needs to await (a safe method, no
session cookie, no rate rule, no body under a body limit), the server runs
its steps around the handler instead of the stack's coroutine:

- before: the trusted proxies' rewrite, the Host check, the https redirect
  (a refusal answers the request), the current request for the template
  helpers, the CSP nonce slot and a deferred session for the visitor;
- after: the session saved when the handler wrote it (through
  :meth:`SecurityStack.after_gate`), then the security headers; a response
  with no header but its Content-Type gets the default set as lines encoded
  once.

Each rule the gate does not do in C is asked of the layer object itself, so
the two paths give the same answers.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, final

from fastcore._speedups.protocol import Gate

@final
class SecurityGate(Gate):
    """The compiled steps of one SecurityStack.

    Args:
        stack: The SecurityStack whose layer objects the gate runs.
        current_request: The context variable the template helpers read.
        new_session: Makes a visitor's session when a request first reads it.
        unsafe_methods: The methods the CSRF layer checks (they take the stack).
    """

    def __init__(
        self,
        stack: Any,
        *,
        current_request: ContextVar[Any],
        new_session: Any,
        unsafe_methods: Iterable[str],
    ) -> None: ...
