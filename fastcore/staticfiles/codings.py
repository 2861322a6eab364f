"""Content codings: gzip always, brotli and zstd when their packages are installed.

gzip comes with Python (``zlib``); ``br`` needs the ``brotli`` package and
``zstd`` the ``zstandard`` package (``pip install "fastcore-web[compression]"``).
A coding whose package is missing is simply not offered: responses and
collectstatic fall back to the others, and :func:`missing` says why.
"""

from __future__ import annotations

import importlib
import zlib
from typing import Any, Protocol

__all__ = ["PREFERENCE", "Encoder", "available", "compress", "encoder", "missing"]

#: The codings in the server's order of preference (smallest output first).
PREFERENCE = ("br", "zstd", "gzip")

_PACKAGES = {"br": "brotli", "zstd": "zstandard"}
_modules: dict[str, Any] = {}


def _module(coding: str) -> Any:
    package = _PACKAGES[coding]
    if package not in _modules:
        try:
            _modules[package] = importlib.import_module(package)
        except ImportError:
            _modules[package] = None
    return _modules[package]


def available() -> tuple[str, ...]:
    """The codings this process can produce, in order of preference."""
    return tuple(coding for coding in PREFERENCE if coding == "gzip" or _module(coding))


def missing(coding: str) -> str | None:
    """Why ``coding`` cannot be produced (the package to install), or None if it can."""
    if coding == "gzip" or coding in _PACKAGES and _module(coding) is not None:
        return None
    if coding in _PACKAGES:
        return f"{coding}: the {_PACKAGES[coding]!r} package is not installed"
    return f"{coding}: not a content coding fastcore produces"


class Encoder(Protocol):
    """An incremental compressor of one response body."""

    def compress(self, data: bytes) -> bytes:
        """Compress ``data`` and flush, so what was given so far can be decoded."""

    def finish(self) -> bytes:
        """The end of the compressed stream."""


class _Gzip:
    def __init__(self, level: int) -> None:
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._compressor.flush(zlib.Z_FINISH)


class _Brotli:
    def __init__(self, level: int) -> None:
        self._compressor = _module("br").Compressor(quality=level)

    def compress(self, data: bytes) -> bytes:
        compressor = self._compressor
        return bytes(compressor.process(data) + compressor.flush())

    def finish(self) -> bytes:
        return bytes(self._compressor.finish())


class _Zstd:
    def __init__(self, level: int) -> None:
        zstandard = _module("zstd")
        self._flush_block = zstandard.COMPRESSOBJ_FLUSH_BLOCK
        self._compressor = zstandard.ZstdCompressor(level=level).compressobj()

    def compress(self, data: bytes) -> bytes:
        compressor = self._compressor
        return bytes(compressor.compress(data) + compressor.flush(self._flush_block))

    def finish(self) -> bytes:
        return bytes(self._compressor.flush())


# Levels for responses compressed as they are sent: fast, most of the gain.
_STREAM_LEVELS = {"gzip": 6, "br": 4, "zstd": 3}
_ENCODERS: dict[str, type[_Gzip] | type[_Brotli] | type[_Zstd]] = {
    "gzip": _Gzip,
    "br": _Brotli,
    "zstd": _Zstd,
}


def encoder(coding: str, level: int | None = None) -> Encoder:
    """A new incremental encoder for ``coding`` (which must be :func:`available`)."""
    reason = missing(coding)
    if reason is not None:
        raise ValueError(reason)
    return _ENCODERS[coding](_STREAM_LEVELS[coding] if level is None else level)


def compress(coding: str, data: bytes) -> bytes:
    """``data`` compressed at the best level (for files compressed once, ahead of time)."""
    reason = missing(coding)
    if reason is not None:
        raise ValueError(reason)
    if coding == "gzip":
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        return compressor.compress(data) + compressor.flush()
    if coding == "br":
        return bytes(_module("br").compress(data, quality=11))
    return bytes(_module("zstd").ZstdCompressor(level=19).compress(data))
