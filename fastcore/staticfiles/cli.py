"""``fastcore collectstatic APP``: gather an app's static files for production.

Registered through the ``fastcore.commands`` entry-point group.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fastcore.app_loader import import_app
from fastcore.exceptions import ImproperlyConfigured

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``collectstatic`` to the ``fastcore`` command line."""
    parser = commands.add_parser(
        "collectstatic",
        help="copy static files into their root, fingerprinted and precompressed",
    )
    parser.add_argument("app", help="the app, as module:attribute")
    parser.add_argument(
        "--no-compress", action="store_true", help="write no .br / .zst / .gz variants"
    )
    parser.set_defaults(handler=_collectstatic)


def _collectstatic(args: argparse.Namespace) -> int:
    from fastcore.staticfiles.collect import collect
    from fastcore.staticfiles.extension import StaticFiles

    try:
        app = import_app(args.app)
    except ImproperlyConfigured as exc:
        print(f"fastcore collectstatic: error: {exc}", file=sys.stderr)
        return 1
    mounts = [ext for ext in app.extensions.values() if isinstance(ext, StaticFiles)]
    if not mounts:
        print(
            f"fastcore collectstatic: error: {args.app} serves no static files "
            '(add app.static("/static", "static", root="collected-static"))',
            file=sys.stderr,
        )
        return 1
    status = 0
    for mount in mounts:
        if mount.root is None:
            print(
                f"fastcore collectstatic: error: {mount.url} has no root to collect into "
                f'(pass root="..." to app.static("{mount.url}", ...))',
                file=sys.stderr,
            )
            status = 1
            continue
        result = collect(
            mount.sources,
            mount.root,
            encodings=() if args.no_compress else None,
            static_url=mount.url,
        )
        for reason in result.skipped_codings:
            print(f"fastcore collectstatic: skipped {reason}", file=sys.stderr)
        for warning in result.warnings:
            print(f"fastcore collectstatic: warning: {warning}", file=sys.stderr)
        print(
            f"fastcore collectstatic: {mount.url}: {result.copied} file(s) into {mount.root}, "
            f"{result.compressed} precompressed"
        )
    return status
