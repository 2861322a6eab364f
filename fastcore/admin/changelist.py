"""The change list's query: search, filters, sort and one page, from the query string.

Every value from the query string reaches the database as a bound
parameter; a parameter the list does not know, a filter value that is not
one of the filter's choices, a sort on a column that is not sortable or a
page that is not a positive number answers 400 (a page past the end 404).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fastcore.admin.choices import first_choices, labels_of
from fastcore.admin.introspect import ColumnInfo, key_text
from fastcore.admin.search import search_clauses
from fastcore.exceptions import BadRequest, NotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fastcore.admin.options import ModelAdmin
    from fastcore.requests import Request

__all__ = ["ChangeList", "Filter", "count_rows"]

#: Query parameters of the change list that are not filters.
SEARCH, ORDER, PAGE = "q", "o", "page"
_MAX_SEARCH = 200
_NULL = "__null__"


@dataclasses.dataclass
class Filter:
    """One ``list_filter`` entry: its choices and the one picked."""

    name: str
    title: str
    choices: list[tuple[str, str, Any]]  # (query value, label, Python value)
    selected: str | None = None
    links: list[tuple[str, str, bool]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class DateRange:
    """A half-open range of dates or times a date filter picks: ``start <= value < end``."""

    start: datetime.date
    end: datetime.date


def _date_ranges(info: ColumnInfo) -> list[tuple[str, str, Any]]:
    """Today, the past 7 days, this month, this year (in UTC), as Django's date filter."""
    today = datetime.datetime.now(datetime.UTC).date()
    month = today.replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    year = today.replace(month=1, day=1)
    spans = [
        ("today", "Today", today, today + datetime.timedelta(days=1)),
        (
            "past_7_days",
            "Past 7 days",
            today - datetime.timedelta(days=7),
            today + datetime.timedelta(days=1),
        ),
        ("this_month", "This month", month, next_month),
        ("this_year", "This year", year, year.replace(year=year.year + 1)),
    ]
    if info.python_type is datetime.date:
        return [(key, label, DateRange(start, end)) for key, label, start, end in spans]
    # NOTE: a timezone-aware column compares with aware times, a naive one with naive UTC.
    aware = bool(getattr(info.column.type, "timezone", False)) or bool(
        getattr(getattr(info.column.type, "impl_instance", None), "timezone", False)
    )
    zone = datetime.UTC if aware else None

    def moment(day: datetime.date) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, tzinfo=zone)

    return [(key, label, DateRange(moment(start), moment(end))) for key, label, start, end in spans]


def _filter_clause(column: Any, value: Any) -> Any:
    """The WHERE clause of a picked filter choice (the value is a bound parameter)."""
    if value is None:
        return column.is_(None)
    if isinstance(value, DateRange):
        return sa.and_(column >= value.start, column < value.end)
    return column == value


async def _filter_for(
    model_admin: ModelAdmin, session: AsyncSession, info: ColumnInfo, title: str
) -> Filter:
    choices: list[tuple[str, str, Any]] = []
    if info.python_type is bool:
        choices = [("1", "Yes", True), ("0", "No", False)]
    elif info.enum_class is not None:
        choices = [
            (str(member.value), member.name.replace("_", " ").capitalize(), member)
            for member in info.enum_class
        ]
    elif info.choices:
        choices = [(choice, choice, choice) for choice in info.choices]
    elif info.related is not None:
        # Past the limit, the first rows only (a filter is a list of links, not a search).
        rows = await first_choices(session, info.related, model_admin.foreign_key_select_limit)
        choices += [(str(key), label, key) for key, label in rows]
    elif info.python_type in (datetime.date, datetime.datetime):
        choices = _date_ranges(info)
    if info.nullable:
        choices.append((_NULL, "Unknown" if info.python_type is bool else "None", None))
    return Filter(info.key, title, choices)


async def count_rows(
    session: AsyncSession, model_admin: ModelAdmin, statement: sa.Select[Any], filtered: bool
) -> tuple[int, bool]:
    """The number of rows of ``statement`` and whether it is exact.

    On PostgreSQL, past ``count_estimate_above`` rows in the planner's
    statistics, an unfiltered list reports the estimate and a filtered one
    counts at most that many rows more (``exact`` is then False).
    """
    threshold = model_admin.count_estimate_above
    if session.bind is not None and session.bind.dialect.name == "postgresql" and threshold > 0:
        table = sa.inspect(model_admin.model).local_table
        name = '"' + table.name.replace('"', '""') + '"'
        if table.schema:
            name = '"' + table.schema.replace('"', '""') + '".' + name
        estimate = await session.scalar(
            sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:name)"),
            {"name": name},
        )
        if estimate is not None and estimate > threshold:
            if not filtered:
                return int(estimate), False
            capped = statement.order_by(None).limit(threshold + 1).subquery()
            total = int(await session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)
            return total, total <= threshold
    counted = statement.order_by(None).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0), True


class ChangeList:
    """One request's view of a model's change list.

    Build it with :meth:`from_request`, then read :attr:`rows`, :attr:`total`
    and the links.
    """

    def __init__(self, model_admin: ModelAdmin, request: Request) -> None:
        self.model_admin = model_admin
        self.request = request
        self.search = ""
        self.order: list[tuple[str, bool]] = []  # (column, descending)
        self.page = 1
        self.filters: list[Filter] = []
        self.rows: list[Any] = []
        self.total = 0
        self.exact = True
        self.has_next = False
        #: Labels of the rows' many-to-one columns: name -> (key attribute, labels by key).
        self.related_labels: dict[str, tuple[str, dict[Any, str]]] = {}

    @classmethod
    async def from_request(cls, model_admin: ModelAdmin, request: Request) -> ChangeList:
        """Read the query string, run the query and fetch one page.

        Raises:
            BadRequest: An unknown parameter or a value out of place.
            NotFound: A page past the last one.
        """
        changelist = cls(model_admin, request)
        await changelist._run()
        return changelist

    # -- parsing -------------------------------------------------------------

    @property
    def sortable(self) -> set[str]:
        """The list columns a user may sort on (the model's own columns)."""
        columns = self.model_admin.columns
        display = self.model_admin.get_list_display()
        return {item for item in display if isinstance(item, str) and item in columns}

    def _parse_order(self, raw: str) -> list[tuple[str, bool]]:
        order: list[tuple[str, bool]] = []
        for part in raw.split(","):
            name = part.removeprefix("-")
            if name not in self.sortable or len(order) > 10:
                raise BadRequest(f"cannot sort on {name!r}")
            order.append((name, part.startswith("-")))
        return order

    async def _run(self) -> None:
        model_admin, request = self.model_admin, self.request
        session: AsyncSession = request.db
        columns = model_admin.columns
        for name in model_admin.list_filter:
            info = columns[name]
            title = model_admin.columns[name].key.removesuffix("_id").replace("_", " ").capitalize()
            self.filters.append(await _filter_for(model_admin, session, info, title))
        by_name = {item.name: item for item in self.filters}
        statement = model_admin.get_queryset(request)
        filtered = False
        for key, value in request.query.multi_items():
            if key == SEARCH:
                if len(value) > _MAX_SEARCH:
                    raise BadRequest(f"the search is longer than {_MAX_SEARCH} characters")
                self.search = value.strip()
            elif key == ORDER:
                self.order = self._parse_order(value) if value else []
            elif key == PAGE:
                if not value.isdigit() or len(value) > 9 or int(value) < 1:
                    raise BadRequest("page must be a positive integer")
                self.page = int(value)
            elif key in by_name:
                item = by_name[key]
                chosen = next((choice for choice in item.choices if choice[0] == value), None)
                if chosen is None or item.selected is not None:
                    raise BadRequest(f"{value!r} is not a choice of the filter {key!r}")
                item.selected = value
                column = getattr(model_admin.model, key)
                statement = statement.where(_filter_clause(column, chosen[2]))
                filtered = True
            else:
                raise BadRequest(f"unknown query parameter {key!r}")
        if self.search and model_admin.search_fields:
            statement = statement.where(
                *search_clauses(model_admin.model, model_admin.search_fields, self.search)
            )
            filtered = True
        self.total, self.exact = await count_rows(session, model_admin, statement, filtered)
        await self._fetch_page(session, statement)
        for item in self.filters:
            item.links = [("All", self.url(**{item.name: None, PAGE: None}), item.selected is None)]
            item.links += [
                (label, self.url(**{item.name: key, PAGE: None}), item.selected == key)
                for key, label, _ in item.choices
            ]

    async def _fetch_page(self, session: AsyncSession, statement: sa.Select[Any]) -> None:
        """Load the page's rows (and the labels of their many-to-one columns)."""
        model_admin = self.model_admin
        statement = statement.order_by(*self._order_by())
        by_label = self._labelled_relationships()
        for entry in model_admin.get_list_display():
            if isinstance(entry, str) and entry in model_admin.relationships:
                if entry not in by_label:
                    statement = statement.options(selectinload(getattr(model_admin.model, entry)))
        size = model_admin.list_per_page
        rows = list(await session.scalars(statement.limit(size + 1).offset((self.page - 1) * size)))
        if self.page > 1 and not rows:
            raise NotFound(f"page {self.page} is past the end of the list")
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        for entry, info in by_label.items():
            assert info.related is not None
            keys = [getattr(row, info.key) for row in self.rows]
            self.related_labels[entry] = (info.key, await labels_of(session, info.related, keys))

    def _labelled_relationships(self) -> dict[str, ColumnInfo]:
        """The many-to-one list columns shown by the label of the row their key names.

        Their labels are read as column tuples in one query (admin.choices)
        rather than loading the related objects, unless ``display_value`` is
        overridden (it may want the object).
        """
        from fastcore.admin.options import ModelAdmin

        model_admin = self.model_admin
        if type(model_admin).display_value is not ModelAdmin.display_value:
            return {}
        display = set(model_admin.get_list_display())
        return {
            info.relationship: info
            for info in model_admin.columns.values()
            if info.relationship in display
            and info.related is not None
            and len(sa.inspect(info.related).primary_key) == 1
        }

    def value(self, obj: Any, item: Any) -> Any:
        """What the list shows for ``obj`` in the column ``item``."""
        labelled = self.related_labels.get(item) if isinstance(item, str) else None
        if labelled is None:
            return self.model_admin.display_value(obj, item)
        key_name, labels = labelled
        key = getattr(obj, key_name)
        if key is None:
            return None
        return labels.get(key, key_text(key))

    def _order_by(self) -> list[Any]:
        model = self.model_admin.model
        order = self.order or [
            (name.removeprefix("-"), name.startswith("-"))
            for name in self.model_admin.get_ordering()
        ]
        clauses: list[Any] = []
        for name, descending in order:
            column = getattr(model, name)
            clauses.append(column.desc() if descending else column.asc())
        # A tie-breaker on the key keeps pages stable.
        clauses += [column.asc() for column in sa.inspect(model).primary_key]
        return clauses

    # -- links ---------------------------------------------------------------

    def url(self, **changes: Any) -> str:
        """The list's URL with some parameters changed (None removes one)."""
        params: dict[str, str] = {}
        if self.search:
            params[SEARCH] = self.search
        for item in self.filters:
            if item.selected is not None:
                params[item.name] = item.selected
        if self.order:
            params[ORDER] = ",".join(("-" if desc else "") + name for name, desc in self.order)
        if self.page > 1:
            params[PAGE] = str(self.page)
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        query = urlencode(params)
        return f"{self.request.path}?{query}" if query else self.request.path

    def sort_url(self, name: str) -> str:
        """The URL sorting on ``name`` (ascending, or flipped when already first)."""
        descending = bool(self.order) and self.order[0] == (name, False)
        return self.url(**{ORDER: ("-" if descending else "") + name, PAGE: None})

    def sort_state(self, name: str) -> str:
        """``"ascending"``, ``"descending"`` or ``""`` for a column header."""
        if self.order and self.order[0][0] == name:
            return "descending" if self.order[0][1] else "ascending"
        return ""

    @property
    def pages(self) -> int:
        """The number of pages (from the total, so approximate when it is)."""
        return max(1, math.ceil(self.total / self.model_admin.list_per_page))

    @property
    def previous_url(self) -> str | None:
        """The previous page, or None on the first."""
        return self.url(page=self.page - 1 if self.page > 2 else None) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        """The next page, or None on the last."""
        return self.url(page=self.page + 1) if self.has_next else None
