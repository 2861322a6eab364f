"""The ``fastcore`` command line: commands gathered from the ``fastcore.commands`` entry points.

The core imports no command. Each installed package (fastcore's own batteries
included) lists, in its packaging metadata, callables that add their commands
to the parser, as Flask does with ``flask.commands``::

    [project.entry-points."fastcore.commands"]
    myext = "myext.cli:register"

``register(subparsers)`` receives argparse's subparsers object, adds its
commands, and sets on each a ``handler`` default: ``handler(args) -> int``
carries the command out and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from fastcore.app_loader import import_app
from fastcore.exceptions import ImproperlyConfigured

__all__ = ["ENTRY_POINT_GROUP", "build_parser", "main", "register_check"]

#: The entry-point group whose callables add commands to ``fastcore``.
ENTRY_POINT_GROUP = "fastcore.commands"

Register = Callable[[Any], object]


def _command_entry_points() -> list[EntryPoint]:
    # NOTE: a package visible twice on sys.path (an editable install beside a
    # built one) lists its entry points twice; each is registered once.
    unique = {(entry.name, entry.value): entry for entry in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(unique.values(), key=lambda entry: entry.name)


def build_parser() -> argparse.ArgumentParser:
    """The ``fastcore`` parser with every installed package's commands."""
    parser = argparse.ArgumentParser(prog="fastcore", description="The fastcore command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    found = _command_entry_points()
    if not found:
        # NOTE: a stale fastcore_web.egg-info folder on sys.path (left by
        # `setup.py build_py`) hides the installed metadata.
        parser.epilog = (
            f"No commands found in the {ENTRY_POINT_GROUP!r} entry points: "
            "install the package (pip install -e .) and remove any stale *.egg-info folder."
        )
    for entry in found:
        try:
            register: Register = entry.load()
            register(commands)
        except Exception as exc:  # one broken package must not take the others down
            print(
                f"fastcore: warning: commands of {entry.value!r} not loaded: {exc!r}",
                file=sys.stderr,
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastcore`` command line; return the process exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def register_check(subparsers: Any) -> None:
    """Add ``fastcore check APP``: run the app's startup checks without serving it."""
    check = subparsers.add_parser("check", help="run an app's startup checks without serving it")
    check.add_argument("app", help="the app, as module:attribute")
    check.add_argument(
        "--deploy",
        action="store_true",
        help="also judge the production settings (debug, keys, hosts, https, database)",
    )
    check.add_argument(
        "--workers",
        type=int,
        default=None,
        help="the workers it will run with (--deploy; default: FASTCORE_WORKERS)",
    )
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    try:
        app = import_app(args.app)
    except ImproperlyConfigured as exc:
        print(f"fastcore check: error: {exc}", file=sys.stderr)
        return 1
    if not hasattr(app, "run_checks"):
        # Another ASGI app (or a bare native one): importing it was the check.
        print(f"fastcore check: {args.app}: imported (not a fastcore App: no checks to run)")
        return 0
    if args.workers is not None:
        app.settings.workers = args.workers
    try:
        # Building the app runs its extensions' finalize steps and every
        # check; it raises on the first refusal, naming every failed check.
        app.build_dispatch()
    except ImproperlyConfigured as exc:
        print(f"fastcore check: error: {exc}", file=sys.stderr)
        if not args.deploy:
            return 1
        # The deployment checks name each setting with its fix: list them all.
        findings = [message for check in app.deploy_checks for message in check(app)]
        return _report(args.app, findings, failed=True)
    return _report(args.app, app.run_checks(deploy=args.deploy), failed=False)


def _report(spec: str, findings: list[Any], *, failed: bool) -> int:
    errors = [message for message in findings if message.level == "error"]
    for message in findings:
        print(f"fastcore check: {message}", file=sys.stderr)
    warnings = len(findings) - len(errors)
    print(f"fastcore check: {spec}: {len(errors)} error(s), {warnings} warning(s)")
    return 1 if errors or failed else 0
