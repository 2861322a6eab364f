"""collectstatic: gather assets into one folder, fingerprinted and precompressed.

Every source folder is walked in order (the app's first, then the
extensions'); the first file with a given relative path wins, as in
Django. Each file is copied twice into the root: under its own name and
under a fingerprinted one (``app.css`` -> ``app.5e2b7d0c41a9.css``, twelve
hex digits of its BLAKE2b hash). Compressible files get ``.br``, ``.zst``
and ``.gz`` siblings for every coding whose package is installed, kept only
when smaller. ``staticfiles.json`` records it all.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fastcore.staticfiles import codings
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


def fingerprint_name(relative: str, data: bytes) -> str:
    """``relative`` with a content hash before its extension (``css/app.1f2e3d4c5b6a.css``)."""
    digest = hashlib.blake2b(data, digest_size=6).hexdigest()
    folder, name = os.path.split(relative)
    stem, dot, extension = name.partition(".")
    hashed = f"{stem}.{digest}.{extension}" if dot else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


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
) -> CollectResult:
    """Collect ``sources`` into ``root`` and write its manifest.

    ``encodings`` (default: br, zstd and gzip) whose package is missing are
    skipped and listed in :attr:`CollectResult.skipped_codings` with the reason.
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
    files: dict[str, ManifestEntry] = {}
    for relative, path in _walk([os.path.abspath(source) for source in sources]):
        if os.path.commonpath([path, root]) == root:
            continue  # the root inside a source: never collect the output again
        with open(path, "rb") as handle:
            data = handle.read()
        hashed = fingerprint_name(relative, data)
        _write(root, relative, data)
        _write(root, hashed, data)
        result.copied += 1
        stored: list[str] = []
        if len(data) >= MIN_COMPRESS_SIZE and _compressible(relative):
            for coding in usable:
                packed = codings.compress(coding, data)
                if len(packed) < len(data) * 0.95:
                    _write(root, relative + ENCODINGS[coding], packed)
                    _write(root, hashed + ENCODINGS[coding], packed)
                    stored.append(coding)
            result.compressed += bool(stored)
        files[relative] = ManifestEntry(hashed, tuple(stored))
    result.manifest = Manifest(files)
    os.makedirs(root, exist_ok=True)
    result.manifest.write(root)
    return result
