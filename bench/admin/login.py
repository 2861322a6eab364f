"""Log in to the benchmark's fastcore admin and print the session cookie for wrk."""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

from bench.admin.fastcore_app import PASSWORD, USERNAME


def log_in(base: str, login: str, token_field: str, check: str, **fields: str) -> str:
    """Post ``login``'s form (with its CSRF token) and return the cookies, checked on ``check``."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + login, timeout=10).read().decode()
    match = re.search(rf'name="{token_field}" value="([^"]+)"', page)
    assert match is not None, f"no CSRF token on {login}"
    form = {token_field: match.group(1), **fields}
    request = urllib.request.Request(
        base + login, urllib.parse.urlencode(form).encode(), headers={"referer": base + login}
    )
    opener.open(request, timeout=10)
    answer = opener.open(base + check, timeout=10)
    assert answer.status == 200 and "Book 1" in answer.read().decode(), "not logged in"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def main(base: str) -> str:
    """The fastcore admin's cookies (``next``: the app has no home page)."""
    return log_in(
        base,
        "/accounts/login",
        "csrf_token",
        "/admin/bench/book",
        username=USERNAME,
        password=PASSWORD,
        next="/admin",
    )


if __name__ == "__main__":
    print(main(sys.argv[1]))
