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
    from fastcore.staticfiles.caching import ConditionalGet as ConditionalGet
    from fastcore.staticfiles.caching import cache_control as cache_control
    from fastcore.staticfiles.caching import never_cache as never_cache
    from fastcore.staticfiles.collect import collect as collect
    from fastcore.staticfiles.compression import Compression as Compression
    from fastcore.staticfiles.compression import uncompressed as uncompressed
    from fastcore.staticfiles.extension import StaticFiles as StaticFiles
    from fastcore.staticfiles.files import attachment as attachment
    from fastcore.staticfiles.files import content_disposition as content_disposition
    from fastcore.staticfiles.files import send_file as send_file

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
    "Compression": "fastcore.staticfiles.compression",
    "ConditionalGet": "fastcore.staticfiles.caching",
    "StaticFiles": "fastcore.staticfiles.extension",
    "attachment": "fastcore.staticfiles.files",
    "cache_control": "fastcore.staticfiles.caching",
    "collect": "fastcore.staticfiles.collect",
    "content_disposition": "fastcore.staticfiles.files",
    "never_cache": "fastcore.staticfiles.caching",
    "send_file": "fastcore.staticfiles.files",
    "uncompressed": "fastcore.staticfiles.compression",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES, __all__)
