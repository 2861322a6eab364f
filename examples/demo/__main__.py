"""Start the demo app on the bundled server: ``python -m examples.demo [--port N]``."""

from __future__ import annotations

import argparse

from examples.demo.app import app


def main() -> None:
    """Parse the command line and serve the demo app until interrupted."""
    parser = argparse.ArgumentParser(description="Run the fastcore demo app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app.run(args.host, args.port, workers=args.workers, access_log=True)


if __name__ == "__main__":
    main()
