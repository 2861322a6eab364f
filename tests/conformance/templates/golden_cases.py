"""Golden cases: template sources rendered by fastcore and by Jinja2 and compared byte for byte."""

# ruff: noqa: E501 - each case is one template source; splitting them hurts reading.

from __future__ import annotations

import datetime
from typing import Any


class User:
    """An object with attributes, a method and a property (attribute lookups)."""

    def __init__(self, name: str, age: int, email: str | None = None) -> None:
        self.name = name
        self.age = age
        self.email = email

    def greeting(self, punctuation: str = "!") -> str:
        return f"Hi {self.name}{punctuation}"

    @property
    def initials(self) -> str:
        return self.name[:1].upper()


class Safe:
    """An object that renders itself as HTML (``__html__``)."""

    def __html__(self) -> str:
        return "<em>safe</em>"

    def __str__(self) -> str:
        return "<em>unsafe str</em>"


USERS = [User("alice", 31, "a@x.org"), User("Bob", 25), User("carol", 31, "c@x.org")]

CONTEXT: dict[str, Any] = {
    "name": "World",
    "html": "<script>alert('x') & \"y\"</script>",
    "num": 42,
    "neg": -7,
    "pi": 3.14159,
    "items": [3, 1, 2],
    "words": ["apple", "Banana", "cherry", "apple"],
    "empty": [],
    "mapping": {"b": 2, "a": 1, "C": 3},
    "user": USERS[0],
    "users": USERS,
    "safe_obj": Safe(),
    "none": None,
    "flag": True,
    "text": "Hello world, this is a rather long sentence that goes on and on.",
    "multiline": "line one\nline two\n\nline four",
    "jp": "日本語のメッセージ <b>",
    "date": datetime.date(2024, 5, 17),
    "nested": {"a": {"b": {"c": "deep"}}, "list": [{"x": 1}, {"x": 2}]},
    "size": 123456789,
    "tuple_list": [("a", 1), ("b", 2)],
    "rows": [{"id": i, "name": f"n<{i}>", "group": i % 3} for i in range(7)],
    "url": "a b&c/d?e=f",
    "dict_list": [{"name": "x", "v": 3}, {"name": "y", "v": 1}, {"name": "X", "v": 2}],
}

# name -> source; used as the loader contents for include/extends/import cases.
TEMPLATES: dict[str, str] = {
    "base.html": (
        "<!doctype html><title>{% block title %}Base{% endblock %}</title>\n"
        "<nav>{% block nav %}<a>home</a>{% endblock %}</nav>\n"
        "<main>{% block content %}{% endblock %}</main>\n"
        "{% block footer %}<footer>{{ name }}</footer>{% endblock %}"
    ),
    "layout.html": (
        '{% extends "base.html" %}{% block title %}Layout - {{ super() }}{% endblock %}'
        "{% block content %}<div>{% block inner %}inner{% endblock %}</div>{% endblock %}"
    ),
    "page.html": (
        '{% extends "layout.html" %}{% set page_var = "pv" %}'
        "{% block title %}Page | {{ super() }}{% endblock %}"
        "{% block inner %}{{ super() }} + page {{ page_var }} {{ html }}{% endblock %}"
        "ignored text"
    ),
    "self.html": "{% block a %}A{% endblock %}|{{ self.a() }}",
    "scoped.html": (
        "{% for item in items %}{% block row scoped %}[{{ item }}]{% endblock %}{% endfor %}"
    ),
    "partial.html": "<p>{{ name }} {{ local_var|default('no local') }}</p>",
    "partial.txt": "{{ html }}",
    "macros.html": (
        "{% macro input(name, value='', type='text') -%}"
        '<input type="{{ type }}" name="{{ name }}" value="{{ value|e }}">'
        "{%- endmacro %}"
        "{% macro nav(links) %}<ul>{% for href, label in links %}"
        '<li><a href="{{ href }}">{{ label }}</a></li>{% endfor %}</ul>{% endmacro %}'
        "{% set exported = 'yes' %}{% set _private = 'no' %}"
    ),
    "ctx_macros.html": "{% macro show() %}{{ name }}{% endmacro %}",
    "deep1.html": "{% block a %}1{% endblock %}{% block b %}B1{% endblock %}",
    "deep2.html": '{% extends "deep1.html" %}{% block a %}2<{{ super() }}>{% endblock %}',
    "deep3.html": '{% extends "deep2.html" %}{% block a %}3<{{ super() }}>{% endblock %}',
    "deep4.html": (
        '{% extends "deep3.html" %}{% block a %}4<{{ super() }}>{% endblock %}'
        "{% block b %}B4/{{ super() }}{% endblock %}"
    ),
}

# (id, source, extra context). Rendered as a string template and under the name "<id>.html"
# (autoescape) and "<id>.txt" (no autoescape).
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # --- expressions
    ("var", "Hello {{ name }}!", {}),
    ("escape_var", "{{ html }}", {}),
    ("int_float", "{{ num }} {{ pi }} {{ neg }} {{ 1.5 }} {{ 10 }} {{ 1_000 }} {{ 0x1F }}", {}),
    ("none_bool", "{{ none }} {{ flag }} {{ true }} {{ False }} {{ None }}", {}),
    ("missing", "[{{ missing }}][{{ user.nothing }}][{{ mapping.zzz }}]", {}),
    ("attr_item", "{{ user.name }} {{ user['age'] }} {{ mapping.a }} {{ mapping['b'] }}", {}),
    ("nested_lookup", "{{ nested.a.b.c }} {{ nested['list'][1].x }} {{ nested.list.0.x }}", {}),
    ("dict_method_attr", "{{ mapping.items()|list|sort }} {{ mapping.keys()|sort|join(',') }}", {}),
    ("property", "{{ user.initials }} {{ user.greeting() }} {{ user.greeting('?') }}", {}),
    ("call_kwargs", "{{ user.greeting(punctuation='...') }}", {}),
    (
        "arith",
        "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }}",
        {},
    ),
    ("pow_assoc", "{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ -num|abs }}", {}),
    ("compare", "{{ 1 < 2 }} {{ 2 <= 2 < 3 }} {{ num == 42 }} {{ num != 42 }} {{ 3 > 4 }}", {}),
    ("logic", "{{ true and false }} {{ true or false }} {{ not flag }} {{ none or 'x' }}", {}),
    (
        "in_notin",
        "{{ 1 in items }} {{ 5 not in items }} {{ 'a' in 'cat' }} {{ 'b' in mapping }}",
        {},
    ),
    ("concat", "{{ name ~ '!' ~ num }} {{ html ~ '<b>' }}", {}),
    ("concat_safe", "{{ ('<i>'|safe) ~ html }}", {}),
    (
        "condexpr",
        "{{ 'yes' if flag else 'no' }} {{ 'a' if none }}|{{ 'x' if 0 else 'y' if 1 else 'z' }}",
        {},
    ),
    ("literals", "{{ [1, 'two', 3.0] }} {{ (1, 2) }} {{ (1,) }} {{ {'k': 'v'} }} {{ () }}", {}),
    ("string_escapes", "{{ 'a\\'b' }} {{ \"q\\\"q\" }} {{ 'tab\\tnl\\n' }} {{ 'uni\\u00e9' }}", {}),
    ("string_concat_literal", "{{ 'a' 'b' }}", {}),
    (
        "slices",
        "{{ items[1:] }} {{ items[:2] }} {{ items[::-1] }} {{ 'hello'[1:4] }} {{ items[-1] }}",
        {},
    ),
    ("unary", "{{ -num }} {{ +num }} {{ not none }} {{ -(1 + 2) }}", {}),
    ("range", "{{ range(3)|list }} {{ range(1, 10, 3)|join(',') }}", {}),
    ("tuple_output", "{{ 1, 2 }}", {}),
    ("method_on_str", "{{ name.upper() }} {{ 'a,b'.split(',') }} {{ '%s-%d'|format('x', 3) }}", {}),
    ("filter_call_chain", "{{ words|map('upper')|join(', ') }}", {}),
    ("jp", "{{ jp }} {{ jp|length }}", {}),
    ("safe_obj", "{{ safe_obj }}", {}),
    ("date", "{{ date }} {{ date.year }}", {}),
    # --- tags
    ("if", "{% if num > 40 %}big{% elif num > 10 %}mid{% else %}small{% endif %}", {}),
    (
        "if_elif",
        "{% for n in [1, 15, 50] %}{% if n > 40 %}big{% elif n > 10 %}mid{% else %}small{% endif %} {% endfor %}",
        {},
    ),
    (
        "if_undefined",
        "{% if missing %}yes{% else %}no{% endif %}{% if missing is defined %}d{% endif %}",
        {},
    ),
    ("for", "{% for i in items %}{{ i }},{% endfor %}", {}),
    (
        "for_else",
        "{% for i in empty %}{{ i }}{% else %}nothing{% endfor %}{% for i in missing %}x{% else %}undef{% endfor %}",
        {},
    ),
    (
        "for_loop_vars",
        "{% for i in words %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.depth }}/{{ loop.depth0 }};{% endfor %}",
        {},
    ),
    ("for_cycle", "{% for i in items %}{{ loop.cycle('odd', 'even') }} {% endfor %}", {}),
    (
        "for_prev_next",
        "{% for i in items %}({{ loop.previtem }}|{{ loop.nextitem }}){% endfor %}",
        {},
    ),
    (
        "for_changed",
        "{% for r in rows|sort(attribute='group') %}{% if loop.changed(r.group) %}[{{ r.group }}]{% endif %}{{ r.id }}{% endfor %}",
        {},
    ),
    (
        "for_if_filter",
        "{% for i in range(10) if i is odd %}{{ loop.index }}:{{ i }}/{{ loop.length }} {% endfor %}",
        {},
    ),
    ("for_unpack", "{% for k, v in mapping|dictsort %}{{ k }}={{ v }};{% endfor %}", {}),
    ("for_items", "{% for k, v in mapping.items() %}{{ k }}{{ v }}{% endfor %}", {}),
    (
        "for_nested_loop",
        "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}{{ outer.index }}{{ loop.index }}{{ b }} {% endfor %}{% endfor %}",
        {},
    ),
    (
        "for_scoping",
        "{% set c = 0 %}{% for i in [1, 2] %}{% set c = c + i %}{{ c }}{% endfor %}{{ c }}",
        {},
    ),
    (
        "for_scoping2",
        "{% for i in [1, 2] %}{{ c }}{% set c = i %}{{ c }}{% endfor %}|{{ c }}",
        {"c": 5},
    ),
    (
        "for_recursive",
        "{% for n in tree recursive %}<{{ n.name }}{% if n.children %}:{{ loop(n.children) }}{% endif %}|{{ loop.depth }}>{% endfor %}",
        {
            "tree": [
                {"name": "a", "children": [{"name": "b", "children": [{"name": "<c>"}]}]},
                {"name": "d"},
            ]
        },
    ),
    (
        "namespace",
        "{% set ns = namespace(total=0, found=false) %}{% for i in items %}{% set ns.total = ns.total + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.found }}",
        {},
    ),
    (
        "set",
        "{% set x = 5 %}{% set y, z = 1, 2 %}{{ x }}{{ y }}{{ z }}{% set x = x * 2 %}{{ x }}",
        {},
    ),
    ("set_before_after", "{{ c }}{% set c = 1 %}{{ c }}", {"c": 5}),
    ("set_in_if", "{% if true %}{% set c = 9 %}{% endif %}{{ c }}", {}),
    (
        "set_block",
        "{% set content %}<b>{{ name }}</b>{% endset %}{{ content }}|{{ content|length }}",
        {},
    ),
    ("set_block_filter", "{% set content | upper %}<b>{{ name }}</b>{% endset %}{{ content }}", {}),
    ("with", "{% with a = 1, b = name %}{{ a }}{{ b }}{% endwith %}[{{ a }}]", {}),
    (
        "with_scoping",
        "{% set a = 'outer' %}{% with a = 'inner' %}{{ a }}{% set b = 2 %}{% endwith %}{{ a }}{{ b }}",
        {},
    ),
    (
        "macro",
        "{% macro hello(who, greeting='Hello') %}{{ greeting }}, {{ who }}!{% endmacro %}{{ hello(name) }} {{ hello('<x>', greeting='Hi') }}",
        {},
    ),
    (
        "macro_escape",
        "{% macro b(t) %}<b>{{ t }}</b>{% endmacro %}{{ b(html) }}{{ b('<i>'|safe) }}",
        {},
    ),
    (
        "macro_varargs",
        "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}",
        {},
    ),
    (
        "macro_default_ref",
        "{% macro m(a, b=a ~ '!') %}{{ a }}{{ b }}{% endmacro %}{{ m('x') }}{{ m('x', 'y') }}",
        {},
    ),
    ("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ m(1) }}", {}),
    (
        "macro_closure",
        "{% macro m() %}{{ c }}{% endmacro %}{% set c = 1 %}{{ m() }}{% set c = 2 %}{{ m() }}",
        {},
    ),
    ("macro_global", "{% macro m() %}{{ name }}{% endmacro %}{{ m() }}", {}),
    (
        "macro_recursive",
        "{% macro r(n) %}{{ n }}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}",
        {},
    ),
    (
        "call_block",
        "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('div') %}{{ html }}{% endcall %}",
        {},
    ),
    (
        "call_block_args",
        "{% macro each(xs) %}{% for x in xs %}{{ caller(x, loop.index) }}{% endfor %}{% endmacro %}{% call(item, i) each(items) %}[{{ i }}:{{ item }}]{% endcall %}",
        {},
    ),
    ("filter_block", "{% filter upper %}hello {{ name }}{% endfilter %}", {}),
    ("raw", "{% raw %}{{ not }} {% processed %}{% endraw %}", {}),
    ("comment", "a{# comment {{ x }} #}b", {}),
    # --- whitespace control
    ("ws_minus", "a  {%- if true -%}  b  {%- endif -%}  c", {}),
    ("ws_var_minus", "a  {{- name -}}  b", {}),
    ("ws_lines", "<ul>\n{% for i in items %}\n  <li>{{ i }}</li>\n{% endfor %}\n</ul>\n", {}),
    ("ws_comment_minus", "a\n  {#- c -#}\n  b", {}),
    ("ws_plus", "  {%+ if true %}x{% endif %}", {}),
    ("ws_trailing_newline", "line\n", {}),
    ("ws_crlf", "a\r\nb\r\n{% if true %}\r\nc{% endif %}", {}),
    # --- tests
    (
        "tests_basic",
        "{{ num is even }} {{ num is odd }} {{ num is divisibleby 7 }} {{ num is divisibleby(5) }} {{ none is none }} {{ name is string }} {{ num is number }}",
        {},
    ),
    (
        "tests_defined",
        "{{ missing is defined }} {{ name is defined }} {{ missing is undefined }} {{ name is not defined }}",
        {},
    ),
    (
        "tests_more",
        "{{ mapping is mapping }} {{ items is iterable }} {{ items is sequence }} {{ num is integer }} {{ pi is float }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ flag is boolean }} {{ flag is true }} {{ flag is false }}",
        {},
    ),
    (
        "tests_compare",
        "{{ 3 is eq 3 }} {{ 3 is ne 3 }} {{ 3 is lt 4 }} {{ 3 is gt 4 }} {{ 3 is ge 3 }} {{ 3 is le 2 }} {{ 2 is in items }} {{ user is sameas user }} {{ user.greeting is callable }}",
        {},
    ),
    ("tests_escaped", "{{ html is escaped }} {{ html|e is escaped }}", {}),
    ("test_precedence", "{{ not missing is defined }} {{ num is odd or num is even }}", {}),
    # --- filters
    (
        "f_escape",
        "{{ html|e }} {{ html|escape }} {{ html|safe }} {{ html|e|e }} {{ html|forceescape }}",
        {},
    ),
    (
        "f_default",
        "{{ missing|default('dflt') }} {{ none|default('d') }} {{ ''|default('e', true) }} {{ missing|d }}",
        {},
    ),
    ("f_length", "{{ items|length }} {{ name|count }} {{ mapping|length }}", {}),
    (
        "f_case",
        "{{ name|upper }} {{ name|lower }} {{ 'hello wORLD-foo (bar'|title }} {{ 'hELLO'|capitalize }}",
        {},
    ),
    ("f_trim", "[{{ '  x  '|trim }}][{{ 'xxhixx'|trim('x') }}]", {}),
    (
        "f_join",
        "{{ items|join }} {{ items|join(', ') }} {{ users|join(', ', attribute='name') }} {{ [html, '<i>'|safe]|join('<br>') }}",
        {},
    ),
    (
        "f_replace",
        "{{ name|replace('o', '0') }} {{ html|replace('<', '[') }} {{ 'aaa'|replace('a', 'b', 2) }}",
        {},
    ),
    ("f_first_last", "{{ items|first }} {{ items|last }} {{ empty|first }}|{{ name|first }}", {}),
    (
        "f_sort",
        "{{ items|sort }} {{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ items|sort(reverse=true) }} {{ users|sort(attribute='age,name')|map(attribute='name')|join(',') }}",
        {},
    ),
    ("f_reverse_list", "{{ items|reverse|list }} {{ name|reverse }} {{ name|list }}", {}),
    (
        "f_int_float",
        "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '0x1A'|int(0, 16) }} {{ '3.5'|float }} {{ 'y'|float }} {{ 3|float }}",
        {},
    ),
    (
        "f_round_abs",
        "{{ pi|round }} {{ pi|round(2) }} {{ pi|round(1, 'floor') }} {{ pi|round(1, 'ceil') }} {{ neg|abs }} {{ 2.5|round }}",
        {},
    ),
    (
        "f_truncate",
        "{{ text|truncate(20) }}|{{ text|truncate(20, true) }}|{{ text|truncate(20, false, '..', 0) }}|{{ 'short'|truncate(10) }}",
        {},
    ),
    ("f_wordcount", "{{ text|wordcount }}", {}),
    ("f_striptags", "{{ '<p>Hello  <b>World</b></p>\n<!-- c -->&amp; x'|striptags }}", {}),
    (
        "f_urlencode",
        "{{ url|urlencode }} {{ {'a b': 'c&d', 'x': 1}|urlencode }} {{ [('k', 'v w')]|urlencode }}",
        {},
    ),
    ("f_format", "{{ '%s is %d'|format(name, num) }} {{ '%(a)s'|format(a=html) }}", {}),
    ("f_center", "[{{ 'x'|center(9) }}]", {}),
    (
        "f_indent",
        "{{ multiline|indent }}|{{ multiline|indent(2, true) }}|{{ multiline|indent(2, blank=true) }}|{{ multiline|indent('> ') }}",
        {},
    ),
    (
        "f_batch",
        "{% for row in items|batch(2, '-') %}{{ row }}{% endfor %}{{ range(5)|batch(2)|list }}",
        {},
    ),
    (
        "f_slice",
        "{% for col in range(7)|slice(3) %}{{ col }}{% endfor %}{{ range(5)|slice(3, 0)|list }}",
        {},
    ),
    (
        "f_dictsort",
        "{{ mapping|dictsort }} {{ mapping|dictsort(true) }} {{ mapping|dictsort(by='value', reverse=true) }}",
        {},
    ),
    (
        "f_groupby",
        "{% for g in users|groupby('age') %}{{ g.grouper }}:{{ g.list|map(attribute='name')|join(',') }};{% endfor %}{% for k, v in dict_list|groupby('name') %}{{ k }}{{ v|length }}{% endfor %}",
        {},
    ),
    (
        "f_map",
        "{{ users|map(attribute='name')|join(',') }} {{ words|map('upper')|list }} {{ users|map(attribute='email', default='-')|list }}",
        {},
    ),
    (
        "f_select_reject",
        "{{ range(10)|select('odd')|list }} {{ range(10)|reject('odd')|list }} {{ [0, 1, '', 'a', none]|select|list }} {{ range(10)|select('divisibleby', 3)|list }}",
        {},
    ),
    (
        "f_selectattr",
        "{{ users|selectattr('email')|map(attribute='name')|list }} {{ users|rejectattr('email')|map(attribute='name')|list }} {{ users|selectattr('age', 'gt', 30)|map(attribute='name')|join }} {{ users|selectattr('age', 'equalto', 25)|map(attribute='name')|first }}",
        {},
    ),
    (
        "f_sum_min_max",
        "{{ items|sum }} {{ users|sum(attribute='age') }} {{ items|sum(start=10) }} {{ items|min }} {{ items|max }} {{ words|max }} {{ words|min(case_sensitive=true) }} {{ users|max(attribute='age')|attr('name') }} {{ empty|max }}",
        {},
    ),
    (
        "f_unique",
        "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ [1, 2, 1, 3]|unique|list }}",
        {},
    ),
    (
        "f_tojson",
        "<script>var d = {{ {'a': html, 'b': [1, 2.5, none, true], 'c': jp}|tojson }};</script>{{ items|tojson(2) }} {{ 'x'|tojson }}",
        {},
    ),
    ("f_wordwrap", "{{ text|wordwrap(20) }}|{{ text|wordwrap(15, wrapstring='<br>') }}", {}),
    (
        "f_filesizeformat",
        "{{ size|filesizeformat }} {{ size|filesizeformat(true) }} {{ 1|filesizeformat }} {{ 300|filesizeformat }} {{ 1000|filesizeformat }}",
        {},
    ),
    (
        "f_items_attr",
        "{% for k, v in mapping|items %}{{ k }}{{ v }}{% endfor %}{{ missing|items|list }} {{ user|attr('name') }} {{ user|attr('nope') }}",
        {},
    ),
    ("f_string_list", "{{ 42|string ~ 'x' }} {{ 'ab'|list }}", {}),
    ("f_pprint", "{{ mapping|pprint }}", {}),
    ("f_chain_args", "{{ words|unique|map('title')|sort|join(' & ') }}", {}),
    ("f_safe_upper", "{{ '<b>x</b>'|safe|upper }} {{ html|upper }}", {}),
    (
        "f_replace_safe",
        "{{ '<b>'|safe|replace('b', '<i>') }} {{ html|replace('x', '<br>'|safe) }}",
        {},
    ),
    # --- XSS in every context
    ("xss_text", "<p>{{ payload }}</p>", {"payload": "<img src=x onerror=alert(1)>"}),
    ("xss_attr_double", '<a title="{{ payload }}">x</a>', {"payload": '" onmouseover="alert(1)'}),
    ("xss_attr_single", "<a title='{{ payload }}'>x</a>", {"payload": "' onmouseover='alert(1)"}),
    (
        "xss_script_json",
        "<script>var x = {{ payload|tojson }};</script>",
        {"payload": "</script><script>alert(1)</script>&'"},
    ),
    (
        "xss_url",
        '<a href="/search?q={{ payload|urlencode }}">x</a>',
        {"payload": '"><script>alert(1)</script>'},
    ),
    (
        "xss_in_macro",
        "{% macro p(x) %}<p>{{ x }}</p>{% endmacro %}{{ p(payload) }}",
        {"payload": "<script>"},
    ),
    (
        "xss_concat_join",
        "{{ payload ~ '!' }}{{ [payload, payload]|join }}{{ '%s'|format(payload) }}",
        {"payload": "<script>"},
    ),
    (
        "f_xmlattr",
        "<ul{{ {'class': 'my <list>', 'missing': none, 'id': 'list-' ~ num}|xmlattr }}></ul><p{{ {}|xmlattr }}>",
        {},
    ),
    (
        "t_filter_test",
        "{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ 'x' is test }}",
        {},
    ),
    ("f_random_single", "{{ [7]|random }}", {}),
    # --- scoping, calls and odd corners
    (
        "first_use_filter_block",
        "{% filter upper %}[{{ c }}]{% endfilter %}{% set c = 'x' %}{{ c }}",
        {"c": "ctx"},
    ),
    (
        "first_use_macro",
        "{% macro m() %}[{{ c }}]{% endmacro %}{{ m() }}{% set c = 'x' %}{{ m() }}",
        {"c": "ctx"},
    ),
    (
        "first_use_loop_include",
        "{% for i in items %}{% include 'partial.html' %}{% set name = i %}{{ name }}{% endfor %}",
        {},
    ),
    (
        "first_use_if_branches",
        "{% for i in [1] %}{% if flag %}{% set c = 1 %}{% else %}{% set c = 2 %}{% endif %}{{ c }}{% endfor %}{% if flag %}{% set d = 1 %}{% endif %}{{ d }}",
        {"c": 9, "d": 8},
    ),
    (
        "autoescape_tag",
        "{{ html }}{% autoescape false %}{{ html }}{% macro m() %}<{{ html }}>{% endmacro %}{{ m() }}{{ html|replace('a', '<') }}{% endautoescape %}{% autoescape true %}{% set q = 1 %}{{ html ~ html }}{% endautoescape %}[{{ q }}]",
        {},
    ),
    (
        "loop_else_loopvar",
        "{% for a in [1] %}{% for b in [] %}{% else %}{{ loop.index }}{% endfor %}{% endfor %}",
        {},
    ),
    (
        "set_in_block",
        "{% set x = 1 %}{% block b %}{{ x }}{% set x = 2 %}{{ x }}{% endblock %}{{ x }}",
        {},
    ),
    (
        "macro_in_loop",
        "{% for i in [1,2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}",
        {},
    ),
    (
        "caller_in_loop",
        "{% macro l(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(x) l([1,2]) %}{{ x * 2 }}{% endcall %}",
        {},
    ),
    (
        "nested_call",
        "{% macro a() %}<a>{{ caller() }}</a>{% endmacro %}{% macro b() %}<b>{{ caller() }}</b>{% endmacro %}{% call a() %}{% call b() %}x{% endcall %}{% endcall %}",
        {},
    ),
    (
        "macro_kwargs_only",
        "{% macro m() %}{{ kwargs|dictsort }}{% endmacro %}{{ m(a=1, b=2) }}",
        {},
    ),
    ("filter_nested", "{% filter upper %}a{% filter lower %}B{% endfilter %}c{% endfilter %}", {}),
    ("with_nested", "{% with a=1 %}{% with b=a+1 %}{{ a }}{{ b }}{% endwith %}{% endwith %}", {}),
    ("if_expr_in_filter", "{{ (name if flag else 'x')|upper }}", {}),
    ("dict_items_loop", "{% for k in mapping %}{{ k }}{% endfor %}", {}),
    (
        "loop_length_gen",
        "{% for x in items|select('odd') %}{{ loop.length }}{{ loop.last }}{% endfor %}",
        {},
    ),
    (
        "string_methods",
        "{{ 'a-b-c'.split('-')|join('+') }} {{ '  x '.strip() }} {{ 'x'.join(['1','2']) }}",
        {},
    ),
    ("attr_of_undefined_in_if", "{% if missing and missing.x %}y{% else %}n{% endif %}", {}),
    ("default_chain", "{{ missing.x|default('d') if missing is defined else 'nd' }}", {}),
    ("loop_cycle_vars", "{% for i in range(3) %}{{ loop.cycle(*['a','b']) }}{% endfor %}", {}),
    ("neg_index", "{{ items[-1] }}{{ 'abc'[-1] }}", {}),
    ("float_fmt", "{{ 0.1 + 0.2 }} {{ 1e3 }} {{ 2.0 }} {{ 10 / 4 }} {{ 1/3 }}", {}),
    ("bool_ops_values", "{{ 0 or '' or 'x' }} {{ 1 and 2 }} {{ none and 1 }}", {}),
    ("comparison_strings", "{{ 'a' < 'b' }} {{ [1] == [1] }}", {}),
    ("tilde_numbers", "{{ 1 ~ 2 ~ none ~ true }}", {}),
    (
        "test_in_loop_filter",
        "{% for u in users if u.email is not none %}{{ u.name }}{% endfor %}",
        {},
    ),
    ("escape_in_attr_json", "<div data-x='{{ {'a': \"<'>\"}|tojson }}'></div>", {}),
    ("markup_concat", "{{ '<b>'|safe + '<i>' }}", {}),
    ("self_reference_loop", "{% set items2 = items %}{% for i in items2 %}{{ i }}{% endfor %}", {}),
    ("unicode_names", "{% set ñ = 'x' %}{{ ñ }}", {}),
    ("whitespace_expr", "{{\n  name\n  |upper\n}}", {}),
    ("trim_comment", "a\n{# x #}\nb\n{% if true %}\nc\n{% endif %}\nd", {}),
    ("raw_ws", "x {%- raw -%} {{ y }} {%- endraw -%} z", {}),
    ("sort_attr_dict", "{{ dict_list|sort(attribute='v')|map(attribute='name')|join }}", {}),
    ("round_neg", "{{ -2.5|round }} {{ 3.14159|round(3, 'floor') }}", {}),
    ("count_str", "{{ 'hello'|count }} {{ 'hello'|wordcount }}", {}),
    ("list_concat", "{{ items + [4] }} {{ 'a' * 3 }} {{ [0] * 2 }}", {}),
    (
        "nested_loop_scoping",
        "{% for a in [1,2] %}{% set x = a %}{% for b in [3] %}{{ x }}{% set x = b %}{{ x }}{% endfor %}{{ x }}{% endfor %}{{ x }}",
        {},
    ),
    (
        "ns_in_macro",
        "{% set ns = namespace(v=1) %}{% macro m() %}{% set ns.v = 5 %}{% endmacro %}{{ m() }}{{ ns.v }}",
        {},
    ),
    (
        "loop_in_macro_called_in_loop",
        "{% macro m() %}{{ loop is defined }}{% endmacro %}{% for i in [1] %}{{ m() }}{% endfor %}",
        {},
    ),
    ("super_twice", "{% block a %}A{% endblock %}", {}),
    ("cond_undefined_else", "{{ ('x' if false)|default('d') }}", {}),
    ("call_with_dyn", "{{ user.greeting(*['?']) }} {{ dict(a=1, **{'b': 2})|dictsort }}", {}),
    (
        "cycler_joiner",
        "{% set c = cycler('a','b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{% set j = joiner('|') %}{% for i in items %}{{ j() }}{{ i }}{% endfor %}",
        {},
    ),
    ("filter_with_kw_python_kw", "{{ items|join(d='-') }}", {}),
    ("set_tuple_toplevel", "{% set a, b = [1, 2] %}{{ b }}{{ a }}", {}),
    ("in_dict_keys", "{{ 'a' in mapping.keys() }}", {}),
    ("none_attr_default", "{{ none.x|default('q') }}", {}),
]

# (id, entry template name, extra context): templates from TEMPLATES, rendered via get_template.
FILE_CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("extends_three_levels", "page.html", "", {}),
    ("extends_four_levels", "deep4.html", "", {}),
    ("self_block", "self.html", "", {}),
    ("scoped_block", "scoped.html", "", {}),
    (
        "include",
        "inc.html",
        "{% set local_var = 'L' %}{% include 'partial.html' %}|{% include 'partial.html' without context %}",
        {},
    ),
    (
        "include_in_loop",
        "inc_loop.html",
        "{% for local_var in ['a', 'b'] %}{% include 'partial.html' %}{% endfor %}",
        {},
    ),
    (
        "include_missing",
        "inc_missing.html",
        "{% include 'nope.html' ignore missing %}|{% include ['nope.html', 'partial.html'] %}",
        {},
    ),
    ("include_txt_from_html", "inc_txt.html", "{% include 'partial.txt' %}", {}),
    (
        "import",
        "imp.html",
        "{% import 'macros.html' as forms %}{{ forms.input('q', html) }}{{ forms.nav([('/a', 'A'), ('/b?x=1&y=2', '<B>')]) }}{{ forms.exported }}",
        {},
    ),
    (
        "from_import",
        "from_imp.html",
        "{% from 'macros.html' import input, input as i2, exported %}{{ input('x', type='email') }}{{ i2('y') }}{{ exported }}",
        {},
    ),
    (
        "from_import_missing",
        "from_missing.html",
        "{% from 'macros.html' import nope %}[{{ nope is defined }}]",
        {},
    ),
    (
        "import_context",
        "imp_ctx.html",
        "{% import 'ctx_macros.html' as m with context %}{% from 'ctx_macros.html' import show %}{{ m.show() }}|{{ show() }}",
        {},
    ),
    (
        "extends_var",
        "ext_var.html",
        "{% extends layout %}{% block content %}C{% endblock %}",
        {"layout": "base.html"},
    ),
    (
        "extends_conditional_on",
        "ext_if.html",
        "{% if flag %}{% extends 'base.html' %}{% endif %}pre{% block content %}X{% endblock %}post{% for i in items %}{{ i }}{% endfor %}{% include 'partial.html' %}",
        {},
    ),
    (
        "extends_conditional_off",
        "ext_if2.html",
        "{% if not flag %}{% extends 'base.html' %}{% endif %}pre{% block content %}X{% endblock %}post{% for i in items %}{{ i }}{% endfor %}",
        {},
    ),
]
