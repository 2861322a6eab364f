"""Template rendering: fastcore vs Jinja2 on the same templates, in the same run.

Run: taskset -c 1 python -m pytest bench/micro/test_bench_templates.py --benchmark-only
Each scenario is one benchmark group; compare the medians of its two rows.
Templates are compiled once, outside the timed loop.
"""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import jinja2
import pytest

from fastcore import templating

TEMPLATES = pathlib.Path(__file__).parent / "templates"


class Fortune:
    def __init__(self, id: int, message: str) -> None:
        self.id = id
        self.message = message


FORTUNES = [
    Fortune(1, "fortune: No such file or directory"),
    Fortune(2, "A computer scientist is someone who fixes things that aren't broken."),
    Fortune(3, "After enough decimal places, nobody gives a damn."),
    Fortune(4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    Fortune(5, "A computer program does what you tell it to do, not what you want it to do."),
    Fortune(6, "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen"),
    Fortune(7, "Any program that runs right is obsolete."),
    Fortune(8, "A list is only as strong as its weakest link. — Donald Knuth"),
    Fortune(9, "Feature: A bug with seniority."),
    Fortune(10, "Computers make very fast, very accurate mistakes."),
    Fortune(11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    Fortune(12, "フレームワークのベンチマーク"),
    Fortune(0, "Additional fortune added at request time."),
]
FORTUNES.sort(key=lambda fortune: fortune.message)

ROWS = [
    {
        "id": i,
        "name": f"User <{i}>",
        "email": f"user{i}@example.com",
        "score": i * 7 % 100,
        "note": 'Tom & Jerry\'s "show"' if i % 3 == 0 else "plain note",
    }
    for i in range(1000)
]

BLOG = {
    "site_name": "Fast & Furious Blog",
    "year": 2026,
    "section": "Posts",
    "current": "/posts",
    "nav": [
        {"href": href, "label": label}
        for href, label in [
            ("/", "Home"),
            ("/posts", "Posts"),
            ("/about", "About <us>"),
            ("/contact", "Contact"),
        ]
    ],
    "posts": [
        {
            "id": i,
            "slug": f"post-{i}",
            "title": f"the story of post number {i}",
            "author": None if i % 5 == 0 else f"author{i % 7}",
            "comments": list(range(i % 4)),
            "tags": ["Python", "Web", f"Tag{i % 3}"],
            "body": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
            "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam. " * 2,
            "featured": i % 10 == 0,
        }
        for i in range(50)
    ],
}

# The filter-heavy page of issue 21: striptags|truncate on HTML bodies, title, join, a date.
BLOG_INDEX = {
    **BLOG,
    "posts": [
        {
            **post,
            "published": datetime.date(2026, 1 + post["id"] % 12, 1 + post["id"] % 28),
            "html": f"<p>Post <b>{post['id']}</b> is about <a href='/t'>templates</a> &amp; "
            "speed.</p>\n<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
            "eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>\n<!-- draft -->"
            "<p>Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</p>",
        }
        for post in BLOG["posts"]
    ],
}

TINY = "Hello {{ name }}!"

SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "fortunes": ("fortunes.html", {"fortunes": FORTUNES}),
    "table_1000_rows": ("table.html", {"rows": ROWS}),
    "blog_inheritance": ("blog.html", BLOG),
    "blog_index_filters": ("blog_index.html", BLOG_INDEX),
    "tiny": ("", {"name": "World"}),
}


def _template(engine: str, name: str) -> Any:
    if engine == "fastcore":
        env: Any = templating.Environment(loader=templating.FileSystemLoader(str(TEMPLATES)))
    else:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape()
        )
    return env.get_template(name) if name else env.from_string(TINY)


@pytest.mark.parametrize("engine", ["fastcore", "jinja2"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_render(benchmark: Any, scenario: str, engine: str) -> None:
    name, context = SCENARIOS[scenario]
    template = _template(engine, name)
    expected = _template("jinja2", name).render(context)
    benchmark.group = scenario
    result = benchmark(template.render, context)
    # Same bytes as the oracle, or the comparison means nothing.
    assert result == expected
