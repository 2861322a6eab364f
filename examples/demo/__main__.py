"""Start the demo app on the bundled server: ``python -m examples.demo [--port N]``.

The demo runs in development mode unless ``FASTCORE_DEBUG`` says otherwise:
debug on, local hosts allowed and, without ``FASTCORE_SECRET_KEY``, a secret
key generated for this run (in the environment, so ``--workers`` share it). With
``FASTCORE_DEBUG=0`` it is a production app and refuses to start without a
strong key and ``FASTCORE_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import MutableMapping

from fastcore.exceptions import ImproperlyConfigured
from fastcore.security.keys import debug_from_env


def development_defaults(environ: MutableMapping[str, str]) -> str | None:
    """Turn debug on unless ``FASTCORE_DEBUG`` is set; in debug, make sure a key exists.

    Returns:
        A notice to print when a key was generated, else None.
    """
    environ.setdefault("FASTCORE_DEBUG", "1")
    if not debug_from_env(environ) or environ.get("FASTCORE_SECRET_KEY"):
        return None
    environ["FASTCORE_SECRET_KEY"] = secrets.token_urlsafe(48)
    return (
        "notice: development mode (FASTCORE_DEBUG=1): generated a secret key for this run; "
        "sessions and CSRF tokens end when it stops. Set FASTCORE_SECRET_KEY to keep them."
    )


def main() -> int:
    """Parse the command line and serve the demo app until interrupted."""
    parser = argparse.ArgumentParser(description="Run the fastcore demo app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    notice = development_defaults(os.environ)
    if notice:
        print(notice, file=sys.stderr, flush=True)
    # Imported after the environment is set: the app reads its settings on import.
    from examples.demo.app import app

    try:
        # The server logs "fastcore listening on http://HOST:PORT" once it is up.
        app.run(args.host, args.port, workers=args.workers, access_log=True)
    except ImproperlyConfigured as exc:
        print(f"fastcore demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
