"""The form that adds a bookmark, derived from the model's columns."""

from __future__ import annotations

from urllib.parse import urlsplit

from examples.tutorial.models import Bookmark
from fastcore.forms import ModelForm


class BookmarkForm(ModelForm):
    """The URL and title of a new bookmark (the rest is set by the app)."""

    class Meta:
        model = Bookmark
        fields = ["url", "title"]

    def clean(self) -> None:
        """Accept only http and https links (no ``javascript:`` URLs in our pages)."""
        url = self.cleaned_data.get("url")
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.add_error("url", "Enter an http:// or https:// address.")
