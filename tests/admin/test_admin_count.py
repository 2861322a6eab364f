"""The change list's count: exact on small tables, the planner's estimate on big PostgreSQL ones."""

from __future__ import annotations

import asyncio
import re

from fastcore.testing import TestClient
from tests.admin.conftest import Site
from tests.admin.support import BookAdmin, build_app
from tests.orm.orm_support import PG_URL, Target

BOOKS = "/admin/library/book"


class SmallThreshold(BookAdmin):
    count_estimate_above = 20


def _analyze(target: Target) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(
            PG_URL.replace("+asyncpg", ""), server_settings=target.connect_args["server_settings"]
        )
        try:
            await connection.execute("ANALYZE admin_test_books")
        finally:
            await connection.close()

    asyncio.run(run())


def test_past_the_threshold_postgresql_lists_by_the_estimate(target: Target) -> None:
    app, _ = build_app(target, book_admin=SmallThreshold)
    with TestClient(app) as client:
        site = Site(client)
        titles = [f"Book {number:03}" for number in range(60)]
        site.make_authors({"name": "Ann", "books": titles})
        site.make_user("root", is_superuser=True)
        site.log_in("root")
        if target.backend != "postgresql":
            page = client.get(BOOKS).text
            assert "60 books" in page and "Page 1 of 12" in page
            return
        _analyze(target)
        page = client.get(BOOKS).text
        count = re.search(r'<span class="count">About (\d+) books</span>', page)
        assert count is not None, page
        assert 50 <= int(count.group(1)) <= 70  # the planner's figure, not a count
        assert "Page 1</span>" in page and 'rel="next"' in page
        # Filtered: counted up to the threshold only.
        searched = client.get(BOOKS + "?q=Book").text
        assert "More than 20 books" in searched and 'rel="next"' in searched
        few = client.get(BOOKS + "?q=Book+00").text
        assert "10 books" in few and "Page 1 of 2" in few
        # The last page by the links still works; past it is 404.
        assert client.get(BOOKS + "?page=12").status_code == 200
        assert client.get(BOOKS + "?page=13").status_code == 404
