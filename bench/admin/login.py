"""Log in to the benchmark's fastcore admin and print the session cookie for wrk."""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

from bench.admin.fastcore_app import PASSWORD, USERNAME


def main(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login", timeout=10).read().decode()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "no CSRF token on the login page"
    form = {"csrf_token": match.group(1), "username": USERNAME, "password": PASSWORD}
    form["next"] = "/admin"  # the app has no home page
    opener.open(base + "/accounts/login", urllib.parse.urlencode(form).encode(), timeout=10)
    check = opener.open(base + "/admin/bench/book", timeout=10)
    assert check.status == 200 and "Book 1" in check.read().decode(), "not logged in"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


if __name__ == "__main__":
    print(main(sys.argv[1]))
