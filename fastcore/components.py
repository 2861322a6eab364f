"""What an app uses: its databases and Redis clients, found in its middleware and extensions.

The readiness checks (:mod:`fastcore.health`) and the server's metrics (the
database pools' connections in use) both need them. The core imports no
battery, so a database and a Redis client are recognised by their shape, not
their class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["app_databases", "app_objects", "app_redis_clients"]


def app_objects(app: Any) -> Iterator[Any]:
    """The options of the app's middleware (and of a stack's layers), and its extensions."""
    pending = [spec.options for spec in getattr(app, "middleware", ())]
    while pending:
        options = pending.pop()
        for value in options.values():
            yield value
            if isinstance(value, list):  # a SecurityStack's layers
                pending += [layer.options for layer in value if hasattr(layer, "options")]
            backend = getattr(value, "store", None)  # a session backend over a store
            if backend is not None:
                yield backend
    for extension in getattr(app, "extensions", {}).values():
        yield extension
        yield getattr(extension, "backend", None)  # the cache


def _redis_server(client: Any) -> object:
    """Where a redis-py client connects (host, port, database, socket path), else the client."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        return id(client)
    return tuple(kwargs.get(name) for name in ("host", "port", "db", "path"))


def app_databases(app: Any) -> dict[str, Any]:
    """The app's databases (:class:`fastcore.orm.Database`) named ``database``, ``database2``..."""
    found: list[Any] = []
    for item in app_objects(app):
        # A Database's engine property raises until it is connected, so only
        # the class is asked.
        is_database = isinstance(getattr(type(item), "engine", None), property)
        if is_database and hasattr(item, "session") and item not in found:
            found.append(item)
    return {"database" if i == 0 else f"database{i + 1}": db for i, db in enumerate(found)}


def app_redis_clients(app: Any) -> dict[str, Any]:
    """The Redis clients of the app's sessions, rate limits and cache, one per server.

    Named ``redis``, ``redis2``...
    """
    clients: dict[object, Any] = {}
    for item in app_objects(app):
        client = getattr(item, "client", None)
        if client is not None and hasattr(client, "ping"):
            clients.setdefault(_redis_server(client), client)
    return {
        "redis" if i == 0 else f"redis{i + 1}": client for i, client in enumerate(clients.values())
    }
