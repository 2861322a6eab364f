"""The fast path: parameterized SQL run as prepared statements on the raw driver.

For the few endpoints where the ORM's per-row object building and unit of
work dominate the page, the fast path skips them::

    WORLD = "SELECT id, randomnumber FROM world WHERE id = :id"
    row = await db.fetch_one(WORLD, {"id": 42})     # row.id, row["randomnumber"], row[1]

- A query is SQL text with ``:name`` parameters or a SQLAlchemy Core
  statement. It is compiled once by the dialect (``$1`` for asyncpg, ``?``
  for SQLite) and cached; values always travel separately, as driver
  parameters, so they never become SQL text.
- PostgreSQL: each pooled asyncpg connection keeps its prepared statements,
  so a hot query is parsed and planned once per connection; ``fetch_many``
  and ``execute_many`` pipeline every parameter set in one round trip
  (asyncpg's ``fetchmany`` / ``executemany``), for N-query pages.
- SQLite: the sqlite3 module's per-connection statement cache plays the same
  role; each call is one hop to aiosqlite's thread.
- Rows are light tuples that also answer ``row.name`` and ``row["name"]``.
  Values are what the driver returns (no SQLAlchemy type processing).

The fast path has its own small pool of driver connections, separate from the
ORM's: a fast-path write is not part of ``request.db``'s transaction. Of the
engine's ``connect_args``, asyncpg's ``server_settings`` (``search_path``,
``application_name``) apply to it too.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, TypeVar

import sqlalchemy.exc
from sqlalchemy import text
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["FastConnection", "FastPath", "Query", "Row"]

#: SQL text with ``:name`` parameters, or a SQLAlchemy Core statement.
Query = str | ClauseElement

_CACHE_LIMIT = 1024
T = TypeVar("T")


class Row(tuple[Any, ...]):
    """A result row: a tuple that also answers ``row.column`` and ``row["column"]``."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return tuple.__getitem__(self, self._index[name])
        except KeyError:
            raise AttributeError(f"row has no column {name!r}") from None

    def __getitem__(self, key: Any) -> Any:
        if type(key) is str:
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def as_dict(self) -> dict[str, Any]:
        """The row as ``{column: value}`` (for JSON responses)."""
        return dict(zip(self._index, self, strict=False))

    def __json__(self) -> dict[str, Any]:
        """JSON responses serialize a row as an object (fastcore's JSON hook)."""
        return self.as_dict()

    def __repr__(self) -> str:
        return f"Row({', '.join(f'{k}={v!r}' for k, v in zip(self._index, self, strict=False))})"


_row_classes: dict[tuple[str, ...], type[Row]] = {}


def row_class(names: Sequence[str]) -> type[Row]:
    """The Row subclass for a result shape (one per distinct column list)."""
    key = tuple(names)
    cls = _row_classes.get(key)
    if cls is None:
        if len(_row_classes) > _CACHE_LIMIT:
            _row_classes.clear()
        cls = type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(key)}})
        _row_classes[key] = cls
    return cls


class Compiled(NamedTuple):
    """A query compiled for one dialect: SQL with placeholders and how to order values."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    generated: dict[str, Callable[[], Any]]

    def args(self, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """The positional driver arguments for ``params`` (values stay out of the SQL)."""
        if params is None:
            params = {}
        if self.generated:
            # Python-side column defaults (a timestamp, a UUID) of Core inserts
            # and updates, computed per call as the ORM would.
            params = {**{k: make() for k, make in self.generated.items()}, **params}
        try:
            if not self.defaults:
                # PERF: the common case (text SQL) is one list comprehension.
                return tuple([params[name] for name in self.names])
            defaults = self.defaults
            return tuple([params[n] if n in params else defaults[n] for n in self.names])
        except KeyError as exc:
            raise sqlalchemy.exc.ArgumentError(
                f"missing value for query parameter {exc.args[0]!r}"
            ) from None


class Compiler:
    """Compiles queries once per dialect and caches the result."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._cache: dict[Any, Compiled] = {}

    def __call__(self, query: Query) -> Compiled:
        compiled = self._cache.get(query)
        if compiled is None:
            compiled = self._compile(query)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()  # NOTE: queries built per request; keep memory bounded
            self._cache[query] = compiled
        return compiled

    def _compile(self, query: Query) -> Compiled:
        clause = text(query) if isinstance(query, str) else query
        result = clause.compile(dialect=self.dialect)
        sql = result.string
        if "__[POSTCOMPILE_" in sql:
            raise sqlalchemy.exc.ArgumentError(
                "the fast path cannot expand IN (...) lists: pass an array parameter "
                "(PostgreSQL: 'id = ANY(:ids)') or use the ORM"
            )
        names = tuple(getattr(result, "positiontup", None) or ())
        defaults = {name: value for name, value in result.params.items() if value is not None}
        generated: dict[str, Callable[[], Any]] = {}
        prefetch = [(column, column.default) for column in getattr(result, "insert_prefetch", ())]
        prefetch += [(column, column.onupdate) for column in getattr(result, "update_prefetch", ())]
        for column, default in prefetch:
            if default is None:
                continue
            if default.is_scalar:
                defaults[column.key] = default.arg
            elif default.is_callable:
                generated[column.key] = functools.partial(default.arg, None)
        return Compiled(sql, names, defaults, generated)


class _Driver:
    """One raw driver connection and what it caches (subclassed per driver)."""

    async def fetch(self, compiled: Compiled, args: tuple[Any, ...]) -> list[Row]:
        raise NotImplementedError

    async def fetch_first(self, compiled: Compiled, args: tuple[Any, ...]) -> Row | None:
        raise NotImplementedError

    async def fetch_val(self, compiled: Compiled, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    async def execute(self, compiled: Compiled, args: tuple[Any, ...]) -> int:
        raise NotImplementedError

    async def fetch_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> list[Row]:
        raise NotImplementedError

    async def execute_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def begin(self) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def rollback(self) -> None:
        raise NotImplementedError

    def is_closed(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _AsyncpgDriver(_Driver):
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        # PERF: prepared once per connection and query; a hit skips asyncpg's
        # own LRU lookup and the row-class lookup.
        self.statements: dict[str, tuple[Any, type[Row]]] = {}

    async def _prepare(self, sql: str) -> tuple[Any, type[Row]]:
        statement = await self.connection.prepare(sql)
        names = [attribute.name for attribute in statement.get_attributes()]
        entry = (statement, row_class(names))
        if len(self.statements) >= _CACHE_LIMIT:
            self.statements.clear()
        self.statements[sql] = entry
        return entry

    async def fetch(self, compiled: Compiled, args: tuple[Any, ...]) -> list[Row]:
        statement, cls = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        return [cls(record) for record in await statement.fetch(*args)]

    async def fetch_first(self, compiled: Compiled, args: tuple[Any, ...]) -> Row | None:
        statement, cls = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        record = await statement.fetchrow(*args)
        return None if record is None else cls(record)

    async def fetch_val(self, compiled: Compiled, args: tuple[Any, ...]) -> Any:
        statement, _ = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        return await statement.fetchval(*args)

    async def execute(self, compiled: Compiled, args: tuple[Any, ...]) -> int:
        statement, _ = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        await statement.fetch(*args)
        # The status is like "UPDATE 3" or "INSERT 0 1": the count comes last.
        status = statement.get_statusmsg() or ""
        tail = status.rpartition(" ")[2]
        return int(tail) if tail.isdigit() else -1

    async def fetch_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> list[Row]:
        statement, cls = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        # PERF: every Bind/Execute goes out before one Sync: one round trip for
        # the batch (bench/db/run.py, queries-20 and updates-20).
        return [cls(record) for record in await statement.fetchmany(args)]

    async def execute_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> None:
        statement, _ = self.statements.get(compiled.sql) or await self._prepare(compiled.sql)
        await statement.executemany(args)

    async def begin(self) -> None:
        await self.connection.execute("BEGIN")

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")

    def is_closed(self) -> bool:
        return bool(self.connection.is_closed())

    async def close(self) -> None:
        await self.connection.close()


class _SqliteDriver(_Driver):
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def _cursor(self, compiled: Compiled, args: tuple[Any, ...]) -> Any:
        return await self.connection.execute(compiled.sql, args)

    async def fetch(self, compiled: Compiled, args: tuple[Any, ...]) -> list[Row]:
        cursor = await self._cursor(compiled, args)
        rows = await cursor.fetchall()
        cls = row_class([column[0] for column in cursor.description or ()])
        await cursor.close()
        return [cls(row) for row in rows]

    async def fetch_first(self, compiled: Compiled, args: tuple[Any, ...]) -> Row | None:
        cursor = await self._cursor(compiled, args)
        row = await cursor.fetchone()
        cls = row_class([column[0] for column in cursor.description or ()])
        await cursor.close()
        return None if row is None else cls(row)

    async def fetch_val(self, compiled: Compiled, args: tuple[Any, ...]) -> Any:
        row = await self.fetch_first(compiled, args)
        return None if row is None else row[0]

    async def execute(self, compiled: Compiled, args: tuple[Any, ...]) -> int:
        cursor = await self._cursor(compiled, args)
        count = int(cursor.rowcount)
        await cursor.close()
        return count

    async def fetch_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> list[Row]:
        # SQLite runs in-process: there is no round trip to save, so one call each.
        rows: list[Row] = []
        for one in args:
            rows += await self.fetch(compiled, one)
        return rows

    async def execute_many(self, compiled: Compiled, args: list[tuple[Any, ...]]) -> None:
        # One transaction for the batch, as asyncpg's executemany is atomic too.
        in_transaction = self.connection.in_transaction
        if not in_transaction:
            await self.connection.execute("BEGIN")
        try:
            await self.connection.executemany(compiled.sql, args)
        except BaseException:
            if not in_transaction:
                await self.connection.execute("ROLLBACK")
            raise
        if not in_transaction:
            await self.connection.execute("COMMIT")

    async def begin(self) -> None:
        await self.connection.execute("BEGIN")

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")

    def is_closed(self) -> bool:
        return self.connection._connection is None  # aiosqlite has no public flag

    async def close(self) -> None:
        await self.connection.close()


async def in_task(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` inside an asyncio Task, making one only when there is none.

    NOTE: the server runs a handler outside any Task until its first real
    suspension (eager dispatch), and ``asyncio.timeout()`` (asyncpg's connect,
    ``wait_for`` on Python 3.12+) refuses to run there. Only the rare calls
    that need it (opening a connection, waiting for a free one) pay for a Task.
    """
    if asyncio.current_task() is None:
        return await asyncio.ensure_future(awaitable)
    return await awaitable


def connect_in_task(connect: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Wrap a driver's ``connect`` so it always runs inside a Task (see :func:`in_task`)."""

    async def connect_within_task(*args: Any, **kwargs: Any) -> T:
        return await in_task(connect(*args, **kwargs))

    return connect_within_task


async def _connect(url: URL, connect_args: Mapping[str, Any]) -> _Driver:
    if url.get_backend_name() == "postgresql":
        import asyncpg  # type: ignore[import-untyped]

        connection = await in_task(
            asyncpg.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password=url.password,
                database=url.database,
                # NOTE: asyncpg's own statement cache stays on: with it off
                # (statement_cache_size=0) every prepared execution measured
                # ~2x slower (bench/db/overhead.py).
                server_settings=connect_args.get("server_settings"),
            )
        )
        return _AsyncpgDriver(connection)
    import aiosqlite

    # isolation_level=None: autocommit, with explicit BEGIN in transaction().
    # timeout: how long a statement waits for another connection's write lock,
    # the same connect_args key as the ORM's engine.
    connection = await aiosqlite.connect(
        url.database or "", isolation_level=None, timeout=connect_args.get("timeout", 5.0)
    )
    await connection.execute("PRAGMA journal_mode=WAL")
    return _SqliteDriver(connection)


class FastConnection:
    """One fast-path connection: the query methods, bound to a held driver connection."""

    def __init__(self, driver: _Driver, compile: Compiler) -> None:
        self._driver = driver
        self._compile = compile

    async def fetch_all(self, query: Query, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Every row of ``query``."""
        compiled = self._compile(query)
        return await self._driver.fetch(compiled, compiled.args(params))

    async def fetch_one(self, query: Query, params: Mapping[str, Any] | None = None) -> Row | None:
        """The first row of ``query``, or None."""
        compiled = self._compile(query)
        return await self._driver.fetch_first(compiled, compiled.args(params))

    async def fetch_val(self, query: Query, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        compiled = self._compile(query)
        return await self._driver.fetch_val(compiled, compiled.args(params))

    async def fetch_each(
        self, query: Query, params_list: Iterable[Mapping[str, Any]]
    ) -> list[Row | None]:
        """The first row of ``query`` for each parameter set, in order, on this connection."""
        compiled = self._compile(query)
        fetch_first = self._driver.fetch_first
        return [await fetch_first(compiled, compiled.args(params)) for params in params_list]

    async def fetch_many(self, query: Query, params_list: Iterable[Mapping[str, Any]]) -> list[Row]:
        """Every row of ``query`` run once per parameter set, in order, pipelined."""
        compiled = self._compile(query)
        return await self._driver.fetch_many(compiled, [compiled.args(p) for p in params_list])

    async def execute(self, query: Query, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; the number of rows it affected (-1 when unknown)."""
        compiled = self._compile(query)
        return await self._driver.execute(compiled, compiled.args(params))

    async def execute_many(self, query: Query, params_list: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement for every parameter set, in one batch, atomically."""
        compiled = self._compile(query)
        await self._driver.execute_many(compiled, [compiled.args(p) for p in params_list])


class _Pool:
    """A bounded LIFO pool of driver connections with an acquire timeout."""

    def __init__(
        self, url: URL, size: int, timeout: float, connect_args: Mapping[str, Any]
    ) -> None:
        self.url = url
        self.connect_args = connect_args
        self.size = size
        self.timeout = timeout
        self._free = size  # slots not held by a caller
        self._idle: list[_Driver] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._all: set[_Driver] = set()

    @property
    def in_use(self) -> int:
        """Connections held by callers now."""
        return self.size - self._free

    def take(self) -> _Driver | None:
        """An idle connection right away, or None (then ``await acquire()``)."""
        # PERF: the common case under load costs no coroutine at all.
        if self._free > 0 and self._idle:
            driver = self._idle.pop()
            if not driver.is_closed():
                self._free -= 1
                return driver
            self._all.discard(driver)
        return None

    async def acquire(self) -> _Driver:
        """A connection: idle, newly opened, or the next one released."""
        if self._free > 0:
            self._free -= 1
        else:
            await self._wait_for_slot()
        try:
            while self._idle:
                driver = self._idle.pop()
                if not driver.is_closed():
                    return driver
                self._all.discard(driver)
            driver = await _connect(self.url, self.connect_args)
            self._all.add(driver)
            return driver
        except BaseException:
            self._give_back_slot()
            raise

    async def _wait_for_slot(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await in_task(asyncio.wait_for(waiter, self.timeout))
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return  # handed a slot just as the timeout fired
            raise sqlalchemy.exc.TimeoutError(
                f"no fast-path connection free after {self.timeout:g}s (pool size {self.size})"
            ) from None
        finally:
            if not waiter.done() or waiter.cancelled():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def _give_back_slot(self) -> None:
        # A slot goes straight to the longest waiter, or back to the free count.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def release(self, driver: _Driver) -> None:
        if driver.is_closed():
            self._all.discard(driver)
        else:
            self._idle.append(driver)
        self._give_back_slot()

    async def discard(self, driver: _Driver) -> None:
        self._all.discard(driver)
        self._give_back_slot()
        with contextlib.suppress(Exception):
            await driver.close()

    async def close(self) -> None:
        drivers, self._all, self._idle = list(self._all), set(), []
        for driver in drivers:
            with contextlib.suppress(Exception):
                await driver.close()


class FastPath(FastConnection):
    """The fast path of a :class:`~fastcore.orm.Database`: each call borrows a connection."""

    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        pool_size: int,
        pool_timeout: float,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self._pool = _Pool(url, pool_size, pool_timeout, connect_args or {})
        self._compile = Compiler(dialect)

    @property
    def connections_in_use(self) -> int:
        """The fast path's connections held by a query or transaction now."""
        return self._pool.in_use

    async def _run(self, method: str, query: Query, params: Any, many: bool = False) -> Any:
        compiled = self._compile(query)
        # Arguments are built before a connection is taken: a missing value
        # fails without touching the pool.
        args = [compiled.args(p) for p in params] if many else compiled.args(params)
        pool = self._pool
        driver = pool.take() or await pool.acquire()
        try:
            result = await getattr(driver, method)(compiled, args)
        except Exception:
            pool.release(driver)
            raise
        except BaseException:
            # NOTE: cancelled mid-query, the driver's protocol state is unknown.
            await pool.discard(driver)
            raise
        pool.release(driver)
        return result

    async def fetch_all(self, query: Query, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Every row of ``query``."""
        result: list[Row] = await self._run("fetch", query, params)
        return result

    async def fetch_one(self, query: Query, params: Mapping[str, Any] | None = None) -> Row | None:
        """The first row of ``query``, or None."""
        result: Row | None = await self._run("fetch_first", query, params)
        return result

    async def fetch_val(self, query: Query, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        return await self._run("fetch_val", query, params)

    async def fetch_each(
        self, query: Query, params_list: Iterable[Mapping[str, Any]]
    ) -> list[Row | None]:
        """The first row of ``query`` per parameter set, in order, on one connection."""
        async with self.connection() as connection:
            return await connection.fetch_each(query, params_list)

    async def fetch_many(self, query: Query, params_list: Iterable[Mapping[str, Any]]) -> list[Row]:
        """Every row of ``query`` run once per parameter set, in order, pipelined."""
        result: list[Row] = await self._run("fetch_many", query, params_list, many=True)
        return result

    async def execute(self, query: Query, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; the number of rows it affected (-1 when unknown)."""
        result: int = await self._run("execute", query, params)
        return result

    async def execute_many(self, query: Query, params_list: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement for every parameter set, in one batch, atomically."""
        await self._run("execute_many", query, params_list, many=True)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[FastConnection]:
        """Hold one connection for several statements (each commits on its own)."""
        pool = self._pool
        driver = await pool.acquire()
        try:
            yield FastConnection(driver, self._compile)
        except Exception:
            pool.release(driver)
            raise
        except BaseException:
            await pool.discard(driver)
            raise
        pool.release(driver)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[FastConnection]:
        """One connection in a transaction: committed on success, rolled back on error."""
        pool = self._pool
        driver = await pool.acquire()
        try:
            await driver.begin()
        except BaseException:
            await pool.discard(driver)
            raise
        try:
            yield FastConnection(driver, self._compile)
        except BaseException:
            try:
                await driver.rollback()
            except BaseException:
                await pool.discard(driver)
                raise
            pool.release(driver)
            raise
        try:
            await driver.commit()
        except BaseException:
            # NOTE: a failed COMMIT leaves the connection in an unknown state.
            await pool.discard(driver)
            raise
        pool.release(driver)

    async def close(self) -> None:
        """Close every connection of the fast-path pool."""
        await self._pool.close()
