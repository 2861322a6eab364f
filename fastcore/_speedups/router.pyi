"""The compiled radix-tree router: insert routes, then match requests.

Users never build a RadixTree themselves: :class:`fastcore.routing.Router`
parses and validates patterns and feeds this kernel at ``freeze()`` time.
"""

from typing import Any, final

@final
class RouteMatch:
    """The answer to one lookup.

    Attributes:
        status: 200 found, 308 redirect (trailing slash), 404 no path matched,
            405 the path matched but not the method.
        route: The matched Route (None unless status is 200 with a route).
        endpoint: The matched Route's endpoint, or None.
        params: Converted parameter values by name.
        allowed: Sorted allowed methods when the path matched (405 and
            automatic OPTIONS), else empty.
        redirect_to: The canonical raw path for a 308, else None.
        auto_options: True for OPTIONS on a path without an OPTIONS route:
            the App answers 204 with an ``Allow`` header built from ``allowed``.

    A match is read-only. Every 404 from a lookup is one shared object (a
    miss allocates nothing), so its empty ``params`` must not be filled in.
    """

    @property
    def status(self) -> int: ...
    @property
    def route(self) -> Any: ...
    @property
    def endpoint(self) -> Any: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def allowed(self) -> tuple[str, ...]: ...
    @property
    def redirect_to(self) -> str | None: ...
    @property
    def auto_options(self) -> bool: ...
    def __init__(
        self,
        status: int,
        route: object = None,
        endpoint: object = None,
        params: dict[str, Any] | None = None,
        allowed: tuple[str, ...] = (),
        redirect_to: str | None = None,
        auto_options: bool = False,
    ) -> None:
        """Build a match by hand (tests and the App's own answers)."""

@final
class RadixTree:
    """Static routes in a dict, dynamic routes in a tree of path segments.

    Args:
        redirect_slashes: Turn a 404 whose trailing-slash twin matches into a 308.
    """

    @property
    def redirect_slashes(self) -> bool: ...
    def __init__(self, redirect_slashes: bool = False) -> None: ...
    def insert(
        self,
        segments: tuple[str | tuple[str, int, str, object], ...],
        method: str,
        route: object,
        endpoint: object,
        names: tuple[str, ...],
        label: str,
    ) -> None:
        """Add one (route, method) at the place its segments lead to.

        Args:
            segments: Decoded static text, or ``(kind, weight, converter_name,
                convert)`` for a parameter: kind is one of ``str``, ``int``,
                ``float``, ``uuid``, ``slug``, ``path`` (compiled fast paths) or
                ``custom`` (then ``convert(segment)`` returns the value or
                raises ValueError).
            method: The upper-case method.
            route: Returned as ``RouteMatch.route``.
            endpoint: Returned as ``RouteMatch.endpoint``.
            names: The parameter names, in segment order.
            label: How :meth:`dump` shows the route.

        Raises:
            RuntimeError: After :meth:`finalize`.
            ValueError: The same method is already inserted at that place.
        """
    def finalize(self) -> None:
        """Order parameter edges by weight and name and compute ``allowed``."""
    def match(self, method: str, path: str) -> RouteMatch:
        """Look up a method and a raw percent-encoded path.

        Raises:
            RuntimeError: Before :meth:`finalize`.
        """
    def dump(self) -> str:
        """Render the static routes and the tree as indented text."""
