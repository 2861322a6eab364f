"""The manifest collectstatic writes: each asset's fingerprinted name and codings.

``staticfiles.json`` in the collected root::

    {"version": 1,
     "files": {"css/app.css": {"name": "css/app.5e2b7d0c41a9.css", "encodings": ["br", "gzip"]}}}

Both names are served; only the fingerprinted one is cached as immutable.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["ENCODINGS", "Manifest", "ManifestEntry"]

#: The file suffix of each precompressed coding, in order of preference.
ENCODINGS = {"br": ".br", "zstd": ".zst", "gzip": ".gz"}


class ManifestEntry(NamedTuple):
    """One collected asset: its fingerprinted name and the codings stored beside it."""

    name: str
    encodings: tuple[str, ...]


class Manifest:
    """Original asset names to :class:`ManifestEntry`, with the reverse lookup."""

    FILENAME = "staticfiles.json"

    def __init__(self, files: dict[str, ManifestEntry]) -> None:
        self.files = files
        self._by_name = {entry.name: entry for entry in files.values()}

    @classmethod
    def path_in(cls, root: str) -> str:
        """Where the manifest of ``root`` lives."""
        return os.path.join(root, cls.FILENAME)

    @classmethod
    def read(cls, root: str) -> Manifest:
        """Load the manifest of ``root``; a damaged one is a clear error naming the file."""
        path = cls.path_in(root)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            files = {
                str(original): ManifestEntry(
                    str(item["name"]),
                    tuple(coding for coding in item["encodings"] if coding in ENCODINGS),
                )
                for original, item in data["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ImproperlyConfigured(
                f"{path}: not a readable static files manifest ({exc}); "
                "run `fastcore collectstatic` again"
            ) from None
        if data.get("version") != 1:
            raise ImproperlyConfigured(f"{path}: unknown manifest version {data.get('version')!r}")
        return cls(files)

    def write(self, root: str) -> str:
        """Write the manifest into ``root`` (atomically) and return its path."""
        path = self.path_in(root)
        data = {
            "version": 1,
            "files": {
                original: {"name": entry.name, "encodings": list(entry.encodings)}
                for original, entry in sorted(self.files.items())
            },
        }
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.write("\n")
        os.replace(temporary, path)
        return path

    def fingerprinted(self, path: str) -> str:
        """The fingerprinted name of ``path`` (``path`` itself if it was not collected)."""
        entry = self.files.get(path)
        return entry.name if entry is not None else path

    def entry(self, name: str) -> ManifestEntry | None:
        """The entry of an original or a fingerprinted name."""
        return self.files.get(name) or self._by_name.get(name)

    def is_fingerprinted(self, name: str) -> bool:
        """Whether ``name`` is a fingerprinted name (safe to cache forever)."""
        return name in self._by_name
