"""ModelAdmin options that shape the form: fieldsets, exclude, a custom ModelForm."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from fastcore.forms import CharField, ModelForm, ValidationError
from fastcore.testing import TestClient
from tests.admin.conftest import Site
from tests.admin.support import Book, BookAdmin, build_app
from tests.orm.orm_support import Target

BOOKS = "/admin/library/book"


class BookForm(ModelForm):
    title = CharField(max_length=200, help_text="As printed on the cover.")

    class Meta:
        model = Book
        fields = ["title"]

    def clean(self) -> None:
        if (self.cleaned_data.get("title") or "").lower() == "untitled":
            raise ValidationError("A book needs a real title.")


class GroupedBookAdmin(BookAdmin):
    form = BookForm
    exclude: ClassVar[list[str]] = ["published"]
    fieldsets: ClassVar[Any] = [
        ("Identity", {"fields": ["title", "author_id"]}),
        ("Details", {"fields": ["genre", "published", "pages"]}),
    ]


def test_fieldsets_exclude_and_a_custom_form(target: Target) -> None:
    app, _ = build_app(target, book_admin=GroupedBookAdmin)
    with TestClient(app) as client:
        site = Site(client)
        [author] = site.make_authors({"name": "Ann"})
        site.make_user("root", is_superuser=True)
        site.log_in("root")
        page = client.get(BOOKS + "/add").text
        legends = re.findall(r"<legend>([^<]+)</legend>", page)
        assert legends == ["Identity", "Details"]
        assert "As printed on the cover." in page
        assert 'name="published"' not in page and 'name="pages"' not in page
        fields = {"author_id": str(author), "genre": "essay", "published": "on"}
        refused = site.post_form(BOOKS + "/add", {**fields, "title": "Untitled"})
        assert refused.status_code == 422 and "A book needs a real title." in refused.text
        saved = site.post_form(BOOKS + "/add", {**fields, "title": "Essays", "_continue": ""})
        assert saved.status_code == 303
        # "published" is excluded: the posted value was not written.
        assert '<span class="no">No</span>' in client.get(BOOKS).text
