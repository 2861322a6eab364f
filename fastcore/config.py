"""Settings from code, the environment and a ``.env`` file, validated once at startup.

Every field can be given in code (``Settings(debug=True)``) or through an
environment variable named ``FASTCORE_<FIELD>`` (``FASTCORE_DEBUG=1``), which
may also be written in a ``.env`` file in the current directory (read with
python-dotenv; a variable already in the environment wins over the file, and
code wins over both). Subclass :class:`Settings` to add an app's own fields;
they get the same parsing and error messages.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["Settings", "read_env_file"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclasses.dataclass(kw_only=True)
class Settings:
    """The framework's settings; subclass it (as a dataclass) to add your own.

    Attributes:
        debug: Show tracebacks in error pages and reload templates on change.
        host: The address ``app.run()`` binds by default.
        port: The port ``app.run()`` binds by default.
        workers: Worker processes for ``app.run()``.
        redirect_slashes: Answer 308 to the canonical path when a request
            differs from a route only by a trailing slash.
        template_folders: Where ``app.render`` looks for templates.
        max_body_size: The largest request body accepted, in bytes (413 above).
        threadpool_size: Threads that run ``def`` handlers.
        secret_key: Signs sessions and other values; generate one with
            ``python -c "import secrets; print(secrets.token_urlsafe(48))"``.
            Required (and checked for strength) in production when the
            security stack is on; generated per process in debug mode.
        secret_key_fallbacks: Older keys that still verify (key rotation).
        allowed_hosts: Host names the app answers (``*.example.com`` for
            subdomains); required in production when the security stack is on.
        trusted_proxies: Addresses (or networks) whose X-Forwarded-* headers are believed.
        csrf_trusted_origins: Extra origins allowed to POST over https
            (``https://admin.example.com``).
        https: The app is served over https (redirect http, Secure cookies, HSTS).
        websocket_allowed_origins: Origins (``https://app.example.com``, or
            ``*``) whose pages may open a WebSocket that carries cookies,
            besides the app's own origin (cross-site WebSocket hijacking).
        websocket_max_message: The largest message a WebSocket client may
            send, in bytes (the socket closes with 1009 above; after
            permessage-deflate, the decompressed size counts).
        websocket_message_rate: Messages per second one WebSocket client may
            send, sustained, with bursts of up to one second's worth (the
            socket closes with 1008 above); 0 for no limit.
    """

    debug: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    redirect_slashes: bool = False
    template_folders: list[str] = dataclasses.field(default_factory=lambda: ["templates"])
    max_body_size: int = 16 * 1024 * 1024
    threadpool_size: int = 40
    # SECURITY: keys stay out of repr(), so they never reach logs or debug pages.
    secret_key: str = dataclasses.field(default="", repr=False)
    secret_key_fallbacks: list[str] = dataclasses.field(default_factory=list, repr=False)
    allowed_hosts: list[str] = dataclasses.field(default_factory=list)
    trusted_proxies: list[str] = dataclasses.field(default_factory=list)
    csrf_trusted_origins: list[str] = dataclasses.field(default_factory=list)
    https: bool = False
    websocket_allowed_origins: list[str] = dataclasses.field(default_factory=list)
    websocket_max_message: int = 1024 * 1024
    websocket_message_rate: float = 0.0

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        prefix: str = "FASTCORE_",
        *,
        env_file: str | os.PathLike[str] | None = ".env",
        **overrides: Any,
    ) -> Self:
        """Build settings from ``overrides`` and ``PREFIX<FIELD>`` environment variables.

        Args:
            environ: The variables to read (default: the process environment).
            prefix: The prefix of the variables' names.
            env_file: A ``.env`` file to read first, if it exists (None: none).
                Its variables go into the process environment, where the
                rest of the app (``DATABASE_URL``, say) reads them too, unless
                already set there; with an explicit ``environ`` they only
                fill in what that mapping lacks.
            overrides: Field values given in code.

        Raises:
            ImproperlyConfigured: naming the variable or field whose value is
                invalid, or the ``.env`` file and line that cannot be parsed.
        """
        if env_file is not None and os.path.isfile(env_file):
            from_file = read_env_file(env_file)
            if environ is None:
                for name, value in from_file.items():
                    os.environ.setdefault(name, value)
            else:
                environ = {**from_file, **environ}
        environ = os.environ if environ is None else environ
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - set(fields))
        if unknown:
            raise ImproperlyConfigured(f"unknown setting(s): {', '.join(unknown)}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name in fields:
            if name in overrides:
                values[name] = _check(name, hints[name], overrides[name])
                continue
            variable = prefix + name.upper()
            if variable in environ:
                values[name] = _parse(variable, hints[name], environ[variable])
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check values that types alone cannot; override to add checks (call super)."""
        if not 0 <= self.port <= 65535:
            raise ImproperlyConfigured(f"setting 'port' must be 0..65535, not {self.port}")
        if self.websocket_message_rate < 0:
            raise ImproperlyConfigured("setting 'websocket_message_rate' must be 0 (off) or more")
        for name in ("workers", "threadpool_size", "max_body_size", "websocket_max_message"):
            if getattr(self, name) < 1:
                raise ImproperlyConfigured(f"setting {name!r} must be at least 1")


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``.env`` file: ``NAME=value`` lines, comments, quotes, ``export`` prefixes.

    Raises:
        ImproperlyConfigured: naming the file and line of a line that is not
            an assignment (python-dotenv would skip it with a warning).
    """
    # PERF: python-dotenv's parser compiles its patterns on import; an app
    # without a .env file never pays for it (bench/startup).
    from dotenv.parser import parse_stream

    values: dict[str, str] = {}
    with Path(path).open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                text = binding.original.string.strip()
                raise ImproperlyConfigured(
                    f"{os.fspath(path)}:{binding.original.line}: not a NAME=value line: {text!r}"
                )
            if binding.key is not None:
                values[binding.key] = binding.value or ""
    return values


def _parse(variable: str, annotation: Any, raw: str) -> Any:
    kind = _base_type(annotation)
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(f"expected one of {sorted(_TRUE | _FALSE)}")
        if kind is list:
            return [item.strip() for item in raw.split(",") if item.strip()]
        if kind in (int, float):
            return kind(raw)
        return raw
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {variable}={raw!r}: {exc}") from exc


def _check(name: str, annotation: Any, value: Any) -> Any:
    kind = _base_type(annotation)
    if value is None and _is_optional(annotation):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise ImproperlyConfigured(f"setting {name!r} must be an int, not a bool")
    if kind is not Any and not isinstance(value, kind):
        raise ImproperlyConfigured(
            f"setting {name!r} must be {kind.__name__}, not {type(value).__name__}"
        )
    return value


def _base_type(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _base_type(args[0]) if len(args) == 1 else Any
    return origin or annotation


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)
