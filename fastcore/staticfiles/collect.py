"""collectstatic: gather assets into one folder, fingerprinted and precompressed.

Every source folder is walked in order (the app's first, then the
extensions'); the first file with a given relative path wins, as in
Django. Each file is copied twice into the root: under its own name and
under a fingerprinted one (``app.css`` -> ``app.5e2b7d0c41a9.css``, twelve
hex digits of its BLAKE2b hash). In the fingerprinted copy of a stylesheet,
``url(...)`` and ``@import`` references point at fingerprinted names too
(:mod:`fastcore.staticfiles.stylesheets`), and its own fingerprint is taken
after that rewrite, so a changed image changes the name of every stylesheet
that uses it. Compressible files get ``.br``, ``.zst`` and ``.gz`` siblings
for every coding whose package is installed, kept only when smaller.
``staticfiles.json`` records it all.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fastcore.staticfiles import codings, stylesheets
from fastcore.staticfiles.files import guess_media_type
from fastcore.staticfiles.manifest import ENCODINGS, Manifest, ManifestEntry

__all__ = ["CollectResult", "collect", "fingerprint_name"]

# Already compressed: a second coding only costs CPU.
_INCOMPRESSIBLE_PREFIXES = ("image/", "video/", "audio/", "font/woff")
_COMPRESSIBLE_IMAGES = ("image/svg+xml", "image/x-icon", "image/bmp")
_INCOMPRESSIBLE = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/pdf",
        "application/wasm",
        "application/octet-stream",
    }
)
#: Files smaller than this are not precompressed (headers outweigh the gain).
MIN_COMPRESS_SIZE = 256


@dataclass
class CollectResult:
    """What :func:`collect` did."""

    manifest: Manifest
    copied: int = 0
    compressed: int = 0
    skipped_codings: list[str] = field(default_factory=list)
    #: References left as written, each naming the stylesheet, line and URL
    #: (``css/app.css:3: url(img/gone.png): no such static file``).
    warnings: list[str] = field(default_factory=list)


def fingerprint_name(relative: str, data: bytes) -> str:
    """``relative`` with a content hash before its extension (``css/app.1f2e3d4c5b6a.css``)."""
    digest = hashlib.blake2b(data, digest_size=6).hexdigest()
    folder, name = os.path.split(relative)
    stem, dot, extension = name.partition(".")
    hashed = f"{stem}.{digest}.{extension}" if dot else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def _is_stylesheet(relative: str) -> bool:
    return guess_media_type(relative).partition(";")[0] == "text/css"


class _Fingerprinter:
    """Fingerprinted names and contents; stylesheets after what they reference."""

    def __init__(self, contents: dict[str, bytes], static_url: str | None) -> None:
        self.contents = contents
        self.static_url = static_url
        self.names: dict[str, str] = {}
        self.hashed_contents: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self._in_progress: list[str] = []

    def name(self, relative: str) -> str:
        """The fingerprinted name of ``relative`` (a collected file)."""
        if relative not in self.names:
            data = self.contents[relative]
            if _is_stylesheet(relative):
                self._in_progress.append(relative)
                # surrogateescape: bytes that are not UTF-8 come back out unchanged.
                text = data.decode("utf-8", "surrogateescape")
                rewritten = stylesheets.rewrite(
                    text,
                    relative,
                    lambda target, ref: self._reference(relative, target, ref),
                    self.static_url,
                )
                data = rewritten.encode("utf-8", "surrogateescape")
                self._in_progress.pop()
            self.hashed_contents[relative] = data
            self.names[relative] = fingerprint_name(relative, data)
        return self.names[relative]

    def _reference(
        self, stylesheet: str, target: str, reference: stylesheets.Reference
    ) -> str | None:
        where = f"{stylesheet}:{reference.line}: {reference.url}"
        if target not in self.contents:
            self.warnings.append(f"{where}: no such static file (left as written)")
            return None
        if target in self._in_progress:
            # A stylesheet cannot hold the fingerprint of one that holds its own.
            cycle = " -> ".join([*self._in_progress[self._in_progress.index(target) :], target])
            self.warnings.append(f"{where}: import cycle {cycle} (left as written)")
            return None
        return self.name(target)


def _compressible(name: str) -> bool:
    media_type = guess_media_type(name).partition(";")[0]
    if media_type in _COMPRESSIBLE_IMAGES:
        return True
    return not media_type.startswith(_INCOMPRESSIBLE_PREFIXES) and media_type not in _INCOMPRESSIBLE


def _walk(sources: Sequence[str]) -> Iterable[tuple[str, str]]:
    # (relative name with "/", absolute path), first source first, no hidden names.
    seen: set[str] = set()
    for source in sources:
        for folder, folders, files in os.walk(source):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, source).replace(os.sep, "/")
                if relative not in seen and os.path.isfile(path):
                    seen.add(relative)
                    yield relative, path


def _write(root: str, relative: str, data: bytes) -> None:
    target = os.path.join(root, *relative.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = target + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)


def collect(
    sources: Sequence[str],
    root: str,
    *,
    encodings: Sequence[str] | None = None,
    static_url: str | None = None,
) -> CollectResult:
    """Collect ``sources`` into ``root`` and write its manifest.

    ``encodings`` (default: br, zstd and gzip) whose package is missing are
    skipped and listed in :attr:`CollectResult.skipped_codings` with the reason.
    ``static_url`` (``/static``) lets stylesheets' absolute references to it
    be fingerprinted as well as relative ones.
    """
    if encodings is None:
        encodings = codings.PREFERENCE
    for coding in encodings:
        if coding not in ENCODINGS:
            raise ValueError(f"unknown coding {coding!r}; known: {', '.join(ENCODINGS)}")
    usable = [coding for coding in encodings if codings.missing(coding) is None]
    result = CollectResult(Manifest({}))
    result.skipped_codings = [
        reason for coding in encodings if (reason := codings.missing(coding)) is not None
    ]
    root = os.path.abspath(root)
    contents: dict[str, bytes] = {}
    for relative, path in _walk([os.path.abspath(source) for source in sources]):
        if os.path.commonpath([path, root]) == root:
            continue  # the root inside a source: never collect the output again
        with open(path, "rb") as handle:
            contents[relative] = handle.read()
    fingerprints = _Fingerprinter(contents, static_url)
    files: dict[str, ManifestEntry] = {}
    for relative, data in contents.items():
        hashed = fingerprints.name(relative)
        hashed_data = fingerprints.hashed_contents[relative]
        packed = _precompress(relative, data, usable)
        if hashed_data != data:  # a rewritten stylesheet: its own variants
            hashed_packed = _precompress(relative, hashed_data, usable)
            # A variant is served for either name, so list only the shared ones.
            packed = {c: v for c, v in packed.items() if c in hashed_packed}
            hashed_packed = {c: v for c, v in hashed_packed.items() if c in packed}
        else:
            hashed_packed = packed
        for name, copy, variants in (
            (relative, data, packed),
            (hashed, hashed_data, hashed_packed),
        ):
            _write(root, name, copy)
            for coding, variant in variants.items():
                _write(root, name + ENCODINGS[coding], variant)
        result.copied += 1
        result.compressed += bool(packed)
        files[relative] = ManifestEntry(hashed, tuple(packed))
    result.warnings = fingerprints.warnings
    result.manifest = Manifest(files)
    os.makedirs(root, exist_ok=True)
    result.manifest.write(root)
    return result


def _precompress(relative: str, data: bytes, usable: Sequence[str]) -> dict[str, bytes]:
    # Each coding's bytes, for the codings that save at least 5%.
    if len(data) < MIN_COMPRESS_SIZE or not _compressible(relative):
        return {}
    packed = {coding: codings.compress(coding, data) for coding in usable}
    return {coding: value for coding, value in packed.items() if len(value) < len(data) * 0.95}
