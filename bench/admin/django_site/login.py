"""Log in to Django's admin through its login form and print the cookies for wrk."""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

from bench.admin.django_site import PASSWORD, USERNAME


def main(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/admin/login/", timeout=10).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None, "no CSRF token on Django's login page"
    form = {
        "csrfmiddlewaretoken": match.group(1),
        "username": USERNAME,
        "password": PASSWORD,
        "next": "/admin/",
    }
    request = urllib.request.Request(
        base + "/admin/login/", urllib.parse.urlencode(form).encode(), headers={"referer": base}
    )
    opener.open(request, timeout=10)
    check = opener.open(base + "/admin/bench/book/", timeout=10)
    assert check.status == 200 and "Book 1" in check.read().decode(), "not logged in"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


if __name__ == "__main__":
    print(main(sys.argv[1]))
