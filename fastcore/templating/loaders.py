"""Template loaders: find a template's source by name (filesystem, package, dict)."""

from __future__ import annotations

import importlib.util
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .exceptions import TemplateNotFound

if TYPE_CHECKING:
    from .environment import Environment

__all__ = [
    "BaseLoader",
    "ChoiceLoader",
    "DictLoader",
    "FileSystemLoader",
    "FunctionLoader",
    "PackageLoader",
    "PrefixLoader",
    "split_template_path",
]

#: ``(source, filename or None, uptodate callable or None)``
Source = tuple[str, str | None, Callable[[], bool] | None]


def split_template_path(template: str) -> list[str]:
    """Split a ``/``-separated template name into safe path segments.

    Raises:
        TemplateNotFound: The name climbs out of the search path (``..``).
    """
    pieces = []
    for piece in template.split("/"):
        # SECURITY: refuse path traversal ("..", absolute parts, OS separators).
        if os.path.sep in piece or (os.path.altsep and os.path.altsep in piece) or piece == "..":
            raise TemplateNotFound(template)
        if piece and piece != ".":
            pieces.append(piece)
    return pieces


class BaseLoader:
    """Base of the loaders: subclasses implement :meth:`get_source`."""

    #: Whether :meth:`get_source` returns file names and uptodate checks.
    has_source_access = True

    def get_source(self, environment: Environment, template: str) -> Source:
        """Return ``(source, filename, uptodate)`` for ``template``.

        Raises:
            TemplateNotFound: No such template.
        """
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """List every template name the loader can find."""
        raise TypeError("this loader cannot iterate over all templates")


class FileSystemLoader(BaseLoader):
    """Load templates from one or more directories, searched in order.

    Args:
        searchpath: A directory or a list of directories.
        encoding: The encoding of the template files.
        followlinks: Follow symbolic links when listing templates.
    """

    def __init__(
        self,
        searchpath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        encoding: str = "utf-8",
        followlinks: bool = False,
    ) -> None:
        if isinstance(searchpath, (str, os.PathLike)):
            searchpath = [searchpath]
        self.searchpath = [os.fspath(path) for path in searchpath]
        self.encoding = encoding
        self.followlinks = followlinks

    def get_source(self, environment: Environment, template: str) -> Source:
        """Read the first file named ``template`` under the search path."""
        pieces = split_template_path(template)
        for searchpath in self.searchpath:
            filename = posixpath.join(searchpath, *pieces)
            if os.path.isfile(filename):
                break
        else:
            raise TemplateNotFound(template)
        with open(filename, encoding=self.encoding) as file:
            contents = file.read()
        mtime = os.path.getmtime(filename)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return contents, os.path.normpath(filename), uptodate

    def list_templates(self) -> list[str]:
        """List the template files under every search path."""
        found = set()
        for searchpath in self.searchpath:
            for dirpath, _, filenames in os.walk(searchpath, followlinks=self.followlinks):
                for filename in filenames:
                    path = os.path.join(dirpath, filename)[len(searchpath) :].strip(os.path.sep)
                    found.add(path.replace(os.path.sep, "/"))
        return sorted(found)


class PackageLoader(FileSystemLoader):
    """Load templates from a directory inside an installed Python package.

    Args:
        package_name: The importable package (``"myapp"``).
        package_path: The directory inside the package (``"templates"``).
        encoding: The encoding of the template files.
    """

    def __init__(
        self, package_name: str, package_path: str = "templates", encoding: str = "utf-8"
    ) -> None:
        spec = importlib.util.find_spec(package_name)
        if spec is None:
            raise ValueError(f"package {package_name!r} was not found")
        roots: Iterable[str]
        if spec.submodule_search_locations:
            roots = list(spec.submodule_search_locations)
        elif spec.origin:
            roots = [os.path.dirname(spec.origin)]
        else:
            roots = []
        package_path = os.path.normpath(package_path).rstrip(os.path.sep)
        directories = [os.path.join(root, package_path) for root in roots]
        directories = [directory for directory in directories if os.path.isdir(directory)]
        if not directories:
            raise ValueError(
                f"The {package_name!r} package has no {package_path!r} directory"
                " (zipped packages are not supported)."
            )
        super().__init__(directories, encoding)
        self.package_name = package_name
        self.package_path = package_path


class DictLoader(BaseLoader):
    """Load templates from a dict of name to source (handy in tests).

    Args:
        mapping: Template name to template source.
    """

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def get_source(self, environment: Environment, template: str) -> Source:
        """Return the mapped source; it is up to date while the mapping holds it."""
        if template in self.mapping:
            source = self.mapping[template]
            return source, None, lambda: source == self.mapping.get(template)
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """List the mapping's keys."""
        return sorted(self.mapping)


class FunctionLoader(BaseLoader):
    """Load templates through a function returning a source, a Source tuple or None.

    Args:
        load_func: Called with the template name.
    """

    def __init__(self, load_func: Callable[[str], str | Source | None]) -> None:
        self.load_func = load_func

    def get_source(self, environment: Environment, template: str) -> Source:
        """Call the function; None means not found."""
        rv = self.load_func(template)
        if rv is None:
            raise TemplateNotFound(template)
        if isinstance(rv, str):
            return rv, None, None
        return rv


class ChoiceLoader(BaseLoader):
    """Try several loaders in order (an app's templates before a package's).

    Args:
        loaders: The loaders, first match wins.
    """

    def __init__(self, loaders: Sequence[BaseLoader]) -> None:
        self.loaders = list(loaders)

    def get_source(self, environment: Environment, template: str) -> Source:
        """Return the source from the first loader that has the template."""
        for loader in self.loaders:
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                pass
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """List the templates of every loader."""
        found: set[str] = set()
        for loader in self.loaders:
            found.update(loader.list_templates())
        return sorted(found)


class PrefixLoader(BaseLoader):
    """Route ``prefix/name`` to the loader of ``prefix`` (one per app or plugin).

    Args:
        mapping: Prefix to loader: ``{"admin": PackageLoader("myadmin")}``.
        delimiter: What separates the prefix from the name in the loader's names.
    """

    def __init__(self, mapping: Mapping[str, BaseLoader], delimiter: str = "/") -> None:
        self.mapping = mapping
        self.delimiter = delimiter

    def get_loader(self, template: str) -> tuple[BaseLoader, str]:
        """Return the loader of ``template``'s prefix and the name it knows it by."""
        prefix, found, name = template.partition(self.delimiter)
        loader = self.mapping.get(prefix) if found else None
        if loader is None:
            raise TemplateNotFound(template)
        return loader, name

    def get_source(self, environment: Environment, template: str) -> Source:
        """Ask the prefix's loader for the rest of the name."""
        loader, name = self.get_loader(template)
        try:
            return loader.get_source(environment, name)
        except TemplateNotFound:
            # The error names the template as the application asked for it.
            raise TemplateNotFound(template) from None

    def list_templates(self) -> list[str]:
        """List every loader's templates under its prefix."""
        return sorted(
            prefix + self.delimiter + name
            for prefix, loader in self.mapping.items()
            for name in loader.list_templates()
        )
