"""Request and response data structures: headers, query parameters, URLs, state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload
from urllib.parse import parse_qsl, unquote, urlencode

from fastcore._speedups.response_writer import check_header

if TYPE_CHECKING:
    from fastcore.uploads import UploadFile

__all__ = [
    "URL",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MutableHeaders",
    "QueryParams",
    "State",
    "parse_cookie_header",
]

V = TypeVar("V")


class Headers(Mapping[str, str]):
    """A case-insensitive, read-only multi-dict over raw header pairs.

    Names and values stay bytes until they are read; ``headers["X"]`` returns
    the first value, :meth:`getlist` every value in order.
    """

    __slots__ = ("_raw",)

    def __init__(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        raw: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        if raw is not None:
            self._raw = raw
        elif headers is None:
            self._raw = []
        else:
            items = headers.items() if isinstance(headers, Mapping) else headers
            self._raw = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in items
            ]

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The underlying (lower-cased name, value) byte pairs, in order."""
        return self._raw

    def __getitem__(self, name: str) -> str:
        key = name.lower().encode("latin-1")
        for raw_name, raw_value in self._raw:
            if raw_name == key:
                return raw_value.decode("latin-1")
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower().encode("latin-1")
        return any(raw_name == key for raw_name, _ in self._raw)

    def getlist(self, name: str) -> list[str]:
        """Return every value of a header, in the order received."""
        key = name.lower().encode("latin-1")
        return [value.decode("latin-1") for raw_name, value in self._raw if raw_name == key]

    def __iter__(self) -> Iterator[str]:
        seen: set[bytes] = set()
        for raw_name, _ in self._raw:
            if raw_name not in seen:
                seen.add(raw_name)
                yield raw_name.decode("latin-1")

    def __len__(self) -> int:
        return len({raw_name for raw_name, _ in self._raw})

    def multi_items(self) -> list[tuple[str, str]]:
        """Return every (name, value) pair, repeated names included."""
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._raw]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._raw) == sorted(other._raw)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.multi_items()!r})"


class MutableHeaders(Headers):
    """Headers that can be changed in place (the response's raw list is shared)."""

    __slots__ = ()

    def __setitem__(self, name: str, value: str) -> None:
        """Set a header, replacing every existing value of it.

        Raises:
            ValueError: The name is not a token, or the value holds a control
                character (a line break, say: header injection).
        """
        key, encoded = name.lower().encode("latin-1"), value.encode("latin-1")
        check_header(key, encoded)
        self._raw[:] = [(n, v) for n, v in self._raw if n != key]
        self._raw.append((key, encoded))

    def __delitem__(self, name: str) -> None:
        key = name.lower().encode("latin-1")
        if key not in (n for n, _ in self._raw):
            raise KeyError(name)
        self._raw[:] = [(n, v) for n, v in self._raw if n != key]

    def append(self, name: str, value: str) -> None:
        """Add a value for a header, keeping the existing ones (ValueError as ``[]=``)."""
        key, encoded = name.lower().encode("latin-1"), value.encode("latin-1")
        check_header(key, encoded)
        self._raw.append((key, encoded))

    def setdefault(self, name: str, value: str) -> str:
        """Set a header unless it is present; return its (first) value."""
        if name not in self:
            self[name] = value
        return self[name]


class ImmutableMultiDict(Mapping[str, V]):
    """A read-only multi-dict: ``d[key]`` is the last value, :meth:`getlist` all of them.

    The base of :class:`QueryParams` and :class:`FormData`; pairs keep the
    order they arrived in.
    """

    __slots__ = ("_items", "_last")

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._items: list[tuple[str, V]] = list(items)
        self._last: dict[str, V] = dict(self._items)

    def __getitem__(self, key: str) -> V:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, key: str) -> list[V]:
        """Return every value given for ``key``, in order."""
        return [value for name, value in self._items if name == key]

    def multi_items(self) -> list[tuple[str, V]]:
        """Return every (key, value) pair, repeated keys included."""
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImmutableMultiDict) or type(other) is not type(self):
            return NotImplemented
        return sorted(self._items, key=repr) == sorted(other._items, key=repr)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class QueryParams(ImmutableMultiDict[str]):
    """The query string as an immutable multi-dict; ``params["k"]`` is the last value."""

    __slots__ = ()

    def __init__(
        self, query: str | Mapping[str, str] | Iterable[tuple[str, str]] | None = None
    ) -> None:
        if query is None:
            items: list[tuple[str, str]] = []
        elif isinstance(query, str):
            items = parse_qsl(query, keep_blank_values=True)
        elif isinstance(query, Mapping):
            items = [(str(k), str(v)) for k, v in query.items()]
        else:
            items = [(str(k), str(v)) for k, v in query]
        super().__init__(items)

    def __str__(self) -> str:
        return urlencode(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class FormData(ImmutableMultiDict["str | UploadFile"]):
    """A parsed form body: field names to text values and uploaded files.

    Returned by :meth:`Request.form() <fastcore.requests.Request.form>`.
    ``form["k"]`` is the last value sent for ``k``, :meth:`getlist` every
    value (``<select multiple>``, repeated checkboxes).
    """

    __slots__ = ()

    def files(self) -> list[UploadFile]:
        """Return every uploaded file, in the order received."""
        from fastcore.uploads import UploadFile

        return [value for _, value in self._items if isinstance(value, UploadFile)]

    def close_files(self) -> None:
        """Close every uploaded file (their temporary storage is freed)."""
        for upload in self.files():
            upload.file.close()

    async def close(self) -> None:
        """Close every uploaded file (done for you when the request ends)."""
        self.close_files()


class URL(NamedTuple):
    """The parts of a request URL; ``str(url)`` gives the absolute URL."""

    scheme: str
    host: str
    path: str
    query: str = ""

    @property
    def hostname(self) -> str:
        """The host without the port."""
        host = self.host
        if host.startswith("["):
            return host[1 : host.index("]")] if "]" in host else host
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def port(self) -> int | None:
        """The explicit port, or ``None``."""
        host = self.host
        tail = host.rsplit("]", 1)[-1] if host.startswith("[") else host
        if ":" in tail:
            port = tail.rsplit(":", 1)[1]
            return int(port) if port.isdigit() else None
        return None

    def replace_query(self, **params: Any) -> URL:
        """Return the same URL with its query replaced by ``params``."""
        return self._replace(query=urlencode(params, doseq=True))

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{self.host}{self.path}{query}"


class State:
    """A namespace for arbitrary per-app or per-request values (``request.state.user``)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.__dict__.update(values or {})

    def __repr__(self) -> str:
        return f"State({self.__dict__!r})"


@overload
def parse_cookie_header(header: str) -> dict[str, str]: ...
@overload
def parse_cookie_header(header: None) -> dict[str, str]: ...


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """Parse a ``Cookie`` request header into a dict (first value of a name wins).

    Browsers send ``name=value`` pairs separated by ``;`` (RFC 6265 section 5.4);
    malformed pairs are skipped rather than failing the whole header.
    """
    # PERF: unquote is imported at module level: a function-level import from
    # urllib.parse calls its module __getattr__ (an AttributeError) every time.
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, unquote(value))
    return cookies
