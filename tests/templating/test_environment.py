"""The Environment and Template API the App relies on."""

from __future__ import annotations

import os
import pathlib
import time

import pytest

from fastcore.exceptions import TemplateError
from fastcore.templating import (
    DictLoader,
    Environment,
    FileSystemLoader,
    Markup,
    PackageLoader,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
    select_autoescape,
)


def test_render_with_mapping_and_keywords() -> None:
    template = Environment().from_string("Hello {{ name }}{{ punct }}")
    assert template.render(name="x", punct="!") == "Hello x!"
    assert template.render({"name": "y"}, punct="?") == "Hello y?"
    assert isinstance(template, Template)


def test_autoescape_defaults_follow_the_extension() -> None:
    env = Environment(
        loader=DictLoader({"a.html": "{{ v }}", "a.xml": "{{ v }}", "a.txt": "{{ v }}"})
    )
    assert env.get_template("a.html").render(v="<") == "&lt;"
    assert env.get_template("a.xml").render(v="<") == "&lt;"
    assert env.get_template("a.txt").render(v="<") == "<"
    assert env.from_string("{{ v }}").render(v="<") == "&lt;"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(True, "&lt;"), (False, "<"), (lambda name: name.endswith(".txt"), "&lt;")],
)
def test_autoescape_setting(setting: object, expected: str) -> None:
    env = Environment(loader=DictLoader({"a.txt": "{{ v }}"}), autoescape=setting)  # type: ignore[arg-type]
    assert env.get_template("a.txt").render(v="<") == expected


def test_select_autoescape_policy() -> None:
    policy = select_autoescape(["html"], ["txt"], default_for_string=False, default=True)
    assert policy("x.HTML") and not policy("x.txt") and policy("x.md") and not policy(None)


def test_markup_and_html_objects_are_not_escaped() -> None:
    env = Environment()
    assert env.from_string("{{ v }}").render(v=Markup("<b>")) == "<b>"
    assert env.from_string("{{ v|safe }}{{ w }}").render(v="<i>", w="<") == "<i>&lt;"


def test_lenient_undefined_renders_empty() -> None:
    env = Environment()
    assert env.from_string("[{{ missing }}]{% for x in missing %}x{% endfor %}").render() == "[]"


def test_strict_undefined_names_the_variable() -> None:
    env = Environment(undefined="strict")
    with pytest.raises(UndefinedError, match="'user_name' is undefined"):
        env.from_string("Hello {{ user_name }}").render()
    assert env.from_string("{{ x is defined }}{{ x|default('d') }}").render() == "Falsed"


def test_invalid_undefined_setting() -> None:
    with pytest.raises(ValueError, match="undefined"):
        Environment(undefined="loud")


def test_custom_filters_tests_and_globals() -> None:
    env = Environment()
    env.filters["shout"] = lambda value, times=1: value.upper() + "!" * times
    env.tests["short"] = lambda value: len(value) < 4
    env.globals["url_for"] = lambda name, **params: f"/{name}?{params.get('page', '')}"
    template = env.from_string(
        "{{ 'hi'|shout(2) }} {{ 'abc' is short }} {{ url_for('posts', page=2) }}"
    )
    assert template.render() == "HI!! True /posts?2"


def test_pass_context_filter_sees_render_variables() -> None:
    env = Environment()

    @pass_context
    def with_user(context: object, value: str) -> str:
        return f"{value}@{context['user']}"  # type: ignore[index]

    env.filters["with_user"] = with_user
    assert env.from_string("{{ 'x'|with_user }}").render(user="ann") == "x@ann"


def test_unknown_filter_is_a_syntax_error_naming_the_template() -> None:
    env = Environment(loader=DictLoader({"p.html": "\n{{ x|nope }}"}))
    with pytest.raises(TemplateSyntaxError) as info:
        env.get_template("p.html")
    assert info.value.lineno == 2 and info.value.name == "p.html"
    assert "No filter named 'nope'" in str(info.value)


def test_template_errors_share_the_framework_base() -> None:
    assert issubclass(TemplateSyntaxError, TemplateError)
    assert issubclass(TemplateNotFound, TemplateError)
    assert issubclass(UndefinedError, TemplateError)


def test_templates_are_cached() -> None:
    env = Environment(loader=DictLoader({"a.html": "a"}))
    assert env.get_template("a.html") is env.get_template("a.html")


def test_cache_evicts_least_recently_used() -> None:
    env = Environment(loader=DictLoader({"a": "a", "b": "b", "c": "c"}), cache_size=2)
    first = env.get_template("a")
    env.get_template("b")
    env.get_template("c")
    assert env.get_template("a") is not first


def test_auto_reload_recompiles_changed_files(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("one")
    env = Environment(loader=FileSystemLoader(tmp_path), auto_reload=True)
    assert env.get_template("page.html").render() == "one"
    page.write_text("two")
    stat = page.stat()
    os.utime(page, (stat.st_atime, stat.st_mtime + 5))
    assert env.get_template("page.html").render() == "two"


def test_without_auto_reload_the_cache_wins(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("one")
    env = Environment(loader=FileSystemLoader(tmp_path))
    env.get_template("page.html")
    page.write_text("two")
    os.utime(page, (time.time() + 5, time.time() + 5))
    assert env.get_template("page.html").render() == "one"


def test_filesystem_loader_searches_paths_in_order(tmp_path: pathlib.Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second" / "sub").mkdir(parents=True)
    (tmp_path / "second" / "page.html").write_text("second")
    (tmp_path / "second" / "sub" / "x.html").write_text("sub {% include 'page.html' %}")
    (tmp_path / "first" / "page.html").write_text("first")
    env = Environment(loader=FileSystemLoader([tmp_path / "first", str(tmp_path / "second")]))
    assert env.get_template("page.html").render() == "first"
    assert env.get_template("sub/x.html").render() == "sub first"
    assert env.list_templates() == ["page.html", "sub/x.html"]


@pytest.mark.parametrize("name", ["../secret.html", "a/../../secret.html", "missing.html"])
def test_filesystem_loader_refuses_traversal_and_missing(tmp_path: pathlib.Path, name: str) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "secret.html").write_text("secret")
    env = Environment(loader=FileSystemLoader(tmp_path / "root"))
    with pytest.raises(TemplateNotFound):
        env.get_template(name)


def test_package_loader(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "demo_templates_pkg"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "templates" / "hi.html").write_text("hi {{ who }}")
    monkeypatch.syspath_prepend(str(tmp_path))
    env = Environment(loader=PackageLoader("demo_templates_pkg"))
    assert env.get_template("hi.html").render(who="<you>") == "hi &lt;you&gt;"
    with pytest.raises(ValueError, match="no 'static' directory"):
        PackageLoader("demo_templates_pkg", "static")


def test_select_template_and_not_found() -> None:
    env = Environment(loader=DictLoader({"b.html": "b"}))
    assert env.select_template(["a.html", "b.html"]).render() == "b"
    with pytest.raises(TemplateNotFound, match="none of the templates"):
        env.select_template(["x.html", "y.html"])
    with pytest.raises(TemplateNotFound):
        env.get_template("nope.html")


def test_compiled_source_is_deterministic() -> None:
    source = (
        "{% extends 'base.html' %}{% from 'm.html' import a, b %}{% block x %}"
        "{% for k, v in d.items() if v %}{{ loop.index }}{{ k|upper }}{% set t = v %}{% endfor %}"
        "{% macro m(p, q=1) %}{{ caller() }}{{ varargs }}{% endmacro %}{% endblock %}"
    )
    first = Environment().compile(source, "t.html").source
    second = Environment().compile(source, "t.html").source
    assert first == second
    compile(first, "<test>", "exec")


def test_namespace_assignment_requires_a_namespace() -> None:
    env = Environment()
    with pytest.raises(TemplateError, match="non-namespace"):
        env.from_string("{% set d = {} %}{% set d.x = 1 %}").render()


def test_module_attributes_and_str() -> None:
    env = Environment(
        loader=DictLoader({"m.html": "{% set title = 'T' %}body{% macro f() %}F{% endmacro %}"})
    )
    module = env.get_template("m.html").module
    assert module.title == "T" and module.f() == "F" and str(module) == "body"


def test_pass_context_global_receives_the_context() -> None:
    env = Environment()

    @pass_context
    def current_user(context: object, suffix: str = "") -> str:
        return f"{context['user']}{suffix}"  # type: ignore[index]

    env.globals["current_user"] = current_user
    assert env.from_string("{{ current_user('!') }}").render(user="ann") == "ann!"


def test_autoescape_tag_switches_escaping_for_its_body() -> None:
    template = Environment().from_string(
        "{{ v }}{% autoescape false %}{{ v }}{% endautoescape %}{{ v }}"
    )
    assert template.render(v="<") == "&lt;<&lt;"


def test_concurrent_renders_share_the_cache_safely() -> None:
    from concurrent.futures import ThreadPoolExecutor

    templates = {f"t{i}.html": f"{{{{ x }}}}-{i}" for i in range(20)}
    env = Environment(loader=DictLoader(templates), cache_size=5)

    def render(i: int) -> str:
        return env.get_template(f"t{i % 20}.html").render(x="<")

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(render, range(400)))
    assert results == [f"&lt;-{i % 20}" for i in range(400)]
