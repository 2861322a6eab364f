"""Log in to Django's admin through its login form and print the cookies for wrk."""

from __future__ import annotations

import sys

from bench.admin.django_site import PASSWORD, USERNAME
from bench.admin.login import log_in


def main(base: str) -> str:
    """Django's session and CSRF cookies."""
    return log_in(
        base,
        "/admin/login/",
        "csrfmiddlewaretoken",
        "/admin/bench/book/",
        username=USERNAME,
        password=PASSWORD,
        next="/admin/",
    )


if __name__ == "__main__":
    print(main(sys.argv[1]))
