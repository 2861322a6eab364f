"""The static files extension: a URL prefix served from folders, and ``static_url``.

``app.static("/static", "static")`` (:meth:`fastcore.App.static`) installs a
:class:`StaticFiles`. In development it serves the source folders as they
are. Once ``fastcore collectstatic`` has gathered them into ``root`` (with
fingerprinted names, precompressed variants and a manifest), it serves that
folder instead: ``static_url("css/app.css")`` in a template gives the
fingerprinted URL, which is cached for a year (``immutable``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from fastcore.checks import CheckMessage
from fastcore.concurrency import starts_without_a_task
from fastcore.exceptions import HTTPException, ImproperlyConfigured
from fastcore.extensions import Extension
from fastcore.requests import Request
from fastcore.responses import Response
from fastcore.staticfiles.files import (
    FileCache,
    file_response,
    guess_media_type,
    request_conditions,
)
from fastcore.staticfiles.finder import resolve_under
from fastcore.staticfiles.http import choose_encoding
from fastcore.staticfiles.manifest import ENCODINGS, Manifest
from fastcore.staticfiles.prepared import PreparedFile, PreparedFiles

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["IMMUTABLE", "StaticFiles"]

#: Cache-Control of fingerprinted files: their name changes with their content.
IMMUTABLE = "public, max-age=31536000, immutable"


class _Found(NamedTuple):
    path: str
    encodings: tuple[str, ...]
    immutable: bool


class StaticFiles(Extension):
    """Serve files under a URL prefix, from source folders or a collected root.

    Args:
        url: The URL prefix (``/static``).
        directory: The app's own static folder (more come from extensions
            through :meth:`add_source`).
        root: Where ``fastcore collectstatic`` writes; served (with the
            manifest) once it holds one.
        cache_control: ``Cache-Control`` of files that are not fingerprinted
            (``no-cache``: the browser revalidates, a 304 when unchanged).
        precompressed: Send a ``.br`` / ``.zst`` / ``.gz`` file next to the
            requested one when the client accepts that coding.
        allow_hidden: Serve names starting with a dot (``.well-known``).
        recheck_after: Once collected, how many seconds a small file
            answered from memory goes without a ``stat`` checking that it did
            not change (0: on every request). A file changed in place is
            served as it was (whole, with its old validators) until then.
        url_function: The template global that builds URLs (None for none).
    """

    name = "static"

    def __init__(
        self,
        url: str = "/static",
        directory: str | os.PathLike[str] | None = "static",
        *,
        root: str | os.PathLike[str] | None = None,
        cache_control: str = "no-cache",
        precompressed: bool = True,
        allow_hidden: bool = False,
        recheck_after: float = 1.0,
        url_function: str | None = "static_url",
    ) -> None:
        if not url.startswith("/") or url.endswith("/") and url != "/":
            raise ImproperlyConfigured(f"static url {url!r} must start and not end with '/'")
        self.url = url.rstrip("/")
        self.sources: list[str] = []
        if directory is not None:
            self.sources.append(os.fspath(directory))
        self.root = os.fspath(root) if root is not None else None
        self.cache_control = cache_control
        self.precompressed = precompressed
        self.allow_hidden = allow_hidden
        if not recheck_after >= 0:  # NaN compares false both ways
            raise ImproperlyConfigured("recheck_after must be 0 or more seconds")
        self.recheck_after = recheck_after
        self.url_function = url_function
        self.manifest: Manifest | None = None
        self._served: list[str] = []
        self._files = FileCache()
        self._prepared = PreparedFiles()
        if url != "/static":
            self.name = f"static:{self.url}"

    def add_source(self, directory: str | os.PathLike[str]) -> None:
        """Add a folder of assets (an extension's own), searched after the earlier ones."""
        self.sources.append(os.fspath(directory))

    def init_app(self, app: App) -> None:
        """Add the route, the ``static_url`` global and the folder checks."""
        app.add_route(
            self.url + "/{path:path}",
            self.serve,
            methods=("GET",),
            name=self.name.replace(":", "_").replace("/", "_"),
            include_in_schema=False,
        )
        if self.url_function is not None:
            app.template_global(self.url_function)(self.url_for)
        app.add_check(self.check)
        app.on_startup(self.load)

    def load(self) -> None:
        """Read the manifest of ``root`` if collectstatic wrote one; pick the served folders."""
        if self.root is not None and os.path.isfile(Manifest.path_in(self.root)):
            self.manifest = Manifest.read(self.root)
            self._served = [os.path.realpath(self.root)]
        else:
            self.manifest = None
            self._served = [os.path.realpath(source) for source in self.sources]

    def check(self, app: App) -> list[CheckMessage]:
        """Warn about source folders that do not exist."""
        return [
            CheckMessage(
                "warning",
                "static.W001",
                f"static folder {source!r} does not exist",
                "create it or pass the right directory to app.static()",
            )
            for source in self.sources
            if not os.path.isdir(source)
        ]

    def url_for(self, path: str) -> str:
        """The URL of an asset: fingerprinted once collected (``/static/css/app.3f9c2b.css``)."""
        if self.manifest is None and not self._served:
            self.load()
        name = self.manifest.fingerprinted(path) if self.manifest is not None else path
        return f"{self.url}/{name.lstrip('/')}"

    def _find(self, path: str) -> _Found | None:
        if not self._served:
            self.load()
        if self.manifest is not None:
            # PERF and SECURITY: once collected, only what collectstatic wrote
            # is served; a name is looked up, never resolved on the disk (no
            # realpath walk, no probing for variants).
            entry = self.manifest.entry(path)
            if entry is None:
                return None
            collected = os.path.join(self._served[0], *path.split("/"))
            return _Found(collected, entry.encodings, self.manifest.is_fingerprinted(path))
        for folder in self._served:
            real = resolve_under(folder, path, allow_hidden=self.allow_hidden)
            if real is None:
                continue
            if self.precompressed:
                return _Found(real, _variants_beside(real), False)
            return _Found(real, (), False)
        return None

    # PERF: no asyncio Task per request (bench/static/callgrind_static.py): the
    # handler's only await that can suspend is the thread pool's file read.
    @starts_without_a_task
    async def serve(self, request: Request, path: str) -> Response:
        """Answer a GET or HEAD for one file under the prefix."""
        conditions = request_conditions(request)
        key = None
        if self.manifest is not None and request.method == "GET":
            # PERF: a collected name answered before from memory is answered
            # again from its encoded head (prepared.py, bench/static). Only
            # once collected: a name maps to one file, with no resolution.
            key = (path, conditions.get("accept-encoding"))
            prepared = self._prepared.get(key)
            if prepared is not None:
                answer = prepared.answer(conditions)
                if answer is not None:
                    return answer
        found = self._find(path)
        if found is None:
            raise HTTPException(404)
        headers = {"cache-control": IMMUTABLE if found.immutable else self.cache_control}
        opened = None
        served = found.path
        if found.encodings:
            headers["vary"] = "Accept-Encoding"
            coding = choose_encoding(conditions.get("accept-encoding"), found.encodings)
            if coding is not None:
                served = found.path + ENCODINGS[coding]
                opened = await self._files.open(served)
                if opened is not None:
                    headers["content-encoding"] = coding
        if opened is None:
            served = found.path
            opened = await self._files.open(served)
            if opened is None:
                raise HTTPException(404)
        media_type = guess_media_type(found.path)
        if key is not None and opened.data is not None:
            self._prepared.put(
                key, PreparedFile(served, opened, media_type, headers, self.recheck_after)
            )
        return await file_response(request, opened, media_type, headers, conditions)


def _variants_beside(path: str) -> tuple[str, ...]:
    return tuple(coding for coding, suffix in ENCODINGS.items() if os.path.isfile(path + suffix))


def sources_of(apps_extensions: Iterable[Extension]) -> list[StaticFiles]:
    """The :class:`StaticFiles` extensions among an app's extensions."""
    return [extension for extension in apps_extensions if isinstance(extension, StaticFiles)]
