"""The demo's contact page: a declarative form with several field types and an upload.

Included from ``app.py`` with ``app.include(contact)``. A GET shows the empty
form; a POST validates it and either shows it again with the user's values
and the errors, or a confirmation. The attachment is only measured, never
stored: its name is shown sanitized, its declared type as the client's claim.
"""

from __future__ import annotations

import datetime

from fastcore import Request, RouteGroup
from fastcore.forms import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    EmailField,
    FileField,
    Form,
    IntegerField,
    Textarea,
    ValidationError,
    form_limits,
)

#: The largest attachment the form accepts, in bytes.
MAX_ATTACHMENT = 1_000_000

contact = RouteGroup()


class ContactForm(Form):
    """What a visitor sends: who they are, what about, and an optional file."""

    name = CharField(max_length=80)
    email = EmailField()
    topic = ChoiceField(
        choices=[("question", "A question"), ("bug", "A bug report"), ("praise", "Praise")]
    )
    urgency = IntegerField(min_value=1, max_value=5, initial=3, help_text="1 (low) to 5 (high)")
    reply_by = DateField(required=False, help_text="Leave empty if it can wait")
    message = CharField(min_length=10, max_length=2000, widget=Textarea(attrs={"rows": 5}))
    attachment = FileField(
        required=False,
        max_size=MAX_ATTACHMENT,
        allowed_extensions={".txt", ".pdf", ".png", ".jpg"},
        help_text="Optional: .txt, .pdf, .png or .jpg, up to 1 MB",
    )
    copy_me = BooleanField(label="Send me a copy")

    def clean(self) -> None:
        """A reply date cannot be in the past, and praise is never urgent."""
        reply_by = self.cleaned_data.get("reply_by")
        if reply_by is not None and reply_by < datetime.date.today():
            self.add_error("reply_by", "Pick a date that is not in the past.")
        if self.cleaned_data.get("topic") == "praise" and self.cleaned_data.get("urgency") == 5:
            raise ValidationError("Praise is never urgent: lower the urgency.")


@contact.route("/contact", methods=["GET", "POST"], name="contact")
@form_limits(max_file_size=MAX_ATTACHMENT + 1, max_total_size=MAX_ATTACHMENT + 100_000)
async def contact_page(request: Request):
    """Show the form; on POST validate it and confirm, or show it again with errors."""
    form = await ContactForm.from_request(request)
    if form.is_valid():
        labels = {key: label for key, label, _ in ContactForm.topic.choices}
        data = form.cleaned_data
        return request.app.render("contact_sent.html", data=data, topic=labels[data["topic"]])
    status = 422 if form.is_bound else 200
    return request.app.render("contact.html", form=form, status_code=status)
