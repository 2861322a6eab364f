"""Serving a site's files: static folders, downloads, compression and HTTP caching.

- :class:`StaticFiles` (``app.static("/static", "static")``): files with
  validators, conditional requests, ranges and precompressed variants;
  ``fastcore collectstatic`` fingerprints and precompresses them.
- :func:`send_file` and :func:`attachment`: file responses and downloads
  with an RFC 6266 ``Content-Disposition``.
- :class:`Compression`: gzip / brotli / zstd for responses as they are sent.
- :func:`cache_control`, :func:`never_cache` and :class:`ConditionalGet`:
  HTTP caching of dynamic responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports

if TYPE_CHECKING:
    from fastcore.static.caching import ConditionalGet as ConditionalGet
    from fastcore.static.caching import cache_control as cache_control
    from fastcore.static.caching import never_cache as never_cache
    from fastcore.static.collect import collect as collect
    from fastcore.static.compression import Compression as Compression
    from fastcore.static.compression import uncompressed as uncompressed
    from fastcore.static.extension import StaticFiles as StaticFiles
    from fastcore.static.files import attachment as attachment
    from fastcore.static.files import content_disposition as content_disposition
    from fastcore.static.files import send_file as send_file

__all__ = [
    "Compression",
    "ConditionalGet",
    "StaticFiles",
    "attachment",
    "cache_control",
    "collect",
    "content_disposition",
    "never_cache",
    "send_file",
    "uncompressed",
]

_MODULES = {
    "Compression": "fastcore.static.compression",
    "ConditionalGet": "fastcore.static.caching",
    "StaticFiles": "fastcore.static.extension",
    "attachment": "fastcore.static.files",
    "cache_control": "fastcore.static.caching",
    "collect": "fastcore.static.collect",
    "content_disposition": "fastcore.static.files",
    "never_cache": "fastcore.static.caching",
    "send_file": "fastcore.static.files",
    "uncompressed": "fastcore.static.compression",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES, __all__)
