"""ModelForm: fields from a model's columns, validation, create and update on real databases."""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App, ImproperlyConfigured, Request
from fastcore.forms import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DecimalField,
    IntegerField,
    ModelForm,
    Textarea,
)
from fastcore.orm import IdMixin, Model, TimestampMixin
from fastcore.orm.models import NAMING_CONVENTION
from fastcore.testing import TestClient
from tests.orm.conftest import target  # noqa: F401 - the SQLite/PostgreSQL fixture
from tests.orm.orm_support import Target


class Base(Model):
    __abstract__ = True
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "form_products"

    name: Mapped[str] = mapped_column(String(40), info={"label": "Product name"})
    description: Mapped[str | None] = mapped_column(Text, comment="Shown on the product page")
    stock: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(8, 2))
    on_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[Size] = mapped_column(Enum(Size))
    released: Mapped[datetime.date | None] = mapped_column(Date)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)


class ProductForm(ModelForm):
    class Meta:
        model = Product
        exclude = ["image"]

    def clean(self) -> None:
        if self.cleaned_data.get("on_sale") and not self.cleaned_data.get("stock"):
            self.add_error("on_sale", "Nothing to sell: the stock is empty.")


def test_fields_follow_the_columns() -> None:
    fields = ProductForm.fields
    assert list(fields) == ["name", "description", "stock", "price", "on_sale", "size", "released"]
    name, description = fields["name"], fields["description"]
    assert isinstance(name, CharField) and name.max_length == 40 and name.required
    assert name.label == "Product name"
    assert isinstance(description.widget, Textarea) and not description.required
    assert description.help_text == "Shown on the product page"
    stock = fields["stock"]
    assert isinstance(stock, IntegerField) and not stock.required and stock.initial == 0
    price = fields["price"]
    assert isinstance(price, DecimalField) and price.max_digits == 8 and price.decimal_places == 2
    assert isinstance(fields["on_sale"], BooleanField)
    assert isinstance(fields["size"], ChoiceField) and fields["size"].required
    assert isinstance(fields["released"], DateField) and not fields["released"].required


def test_include_list_declared_overrides_and_errors() -> None:
    class Short(ModelForm):
        name = CharField(max_length=10, label="Short name")

        class Meta:
            model = Product
            fields = ["price", "name"]

    assert list(Short.fields) == ["price", "name"]
    assert Short.fields["name"].max_length == 10  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="no column"):
        type("Bad", (ModelForm,), {"Meta": type("Meta", (), {"model": Product, "fields": ["x"]})})
    with pytest.raises(ImproperlyConfigured, match="no matching form field"):
        type("Blob", (ModelForm,), {"Meta": type("Meta", (), {"model": Product})})


def test_validation_uses_the_column_constraints() -> None:
    form = ProductForm({"name": "x" * 41, "price": "1234567.891", "size": "m", "stock": "-"})
    assert not form.is_valid()
    assert form.errors == {
        "name": ["Enter at most 40 characters (it has 41)."],
        "price": ["Enter a number with at most 2 decimal places."],
        "size": ["Select a valid choice; 'm' is not one of them."],
        "stock": ["Enter a whole number."],
    }


def build_app(where: Target) -> App:
    app = App()
    database = where.database(metadata=Base.metadata)
    database.init_app(app)

    @app.on_startup
    async def create_tables() -> None:
        await database.create_all()

    @app.post("/products")
    async def create(request: Request) -> Any:
        form = await ProductForm.from_request(request)
        if not form.is_valid():
            return {"errors": form.errors}, 422
        product = await form.save(request.db)
        return {"id": product.id}, 201

    @app.post("/products/{product_id:int}")
    async def update(request: Request, product_id: int) -> Any:
        product = await request.db.get(Product, product_id)
        form = ProductForm(await request.form(), instance=product)
        if not form.is_valid():
            return {"errors": form.errors}, 422
        await form.save(request.db)
        return {"id": product_id}

    @app.get("/products/{product_id:int}")
    async def show(request: Request, product_id: int) -> Any:
        product = await request.db.get(Product, product_id)
        form = ProductForm(instance=product)
        return {
            "name": product.name,
            "price": str(product.price),
            "size": product.size.name,
            "on_sale": product.on_sale,
            "stock": product.stock,
            "released": str(product.released),
            "rendered_name": str(form.name),
        }

    @app.get("/products/count")
    async def count(request: Request) -> Any:
        rows = (await request.db.execute(select(Product))).scalars().all()
        return {"count": len(rows)}

    return app


def test_create_and_update_through_requests(target: Target) -> None:  # noqa: F811
    with TestClient(build_app(target)) as client:
        created = client.post(
            "/products",
            data={
                "name": "Lamp <b>",
                "price": "19.90",
                "size": "l",
                "stock": "3",
                "released": "2026-01-31",
                "on_sale": "on",
            },
        )
        assert created.status_code == 201, created.text
        product_id = created.json()["id"]
        shown = client.get(f"/products/{product_id}").json()
        assert shown["name"] == "Lamp <b>" and shown["price"] == "19.90"
        assert shown["size"] == "LARGE" and shown["on_sale"] is True and shown["stock"] == 3
        assert shown["released"] == "2026-01-31"
        assert 'value="Lamp &lt;b&gt;"' in shown["rendered_name"]

        updated = client.post(
            f"/products/{product_id}",
            data={"name": "Lamp", "price": "17", "size": "s", "stock": "0"},
        )
        assert updated.status_code == 200
        shown = client.get(f"/products/{product_id}").json()
        assert shown["price"] == "17.00" and shown["size"] == "SMALL"
        assert shown["on_sale"] is False and shown["released"] == "None"

        refused = client.post(
            "/products", data={"name": "", "price": "x", "size": "s", "on_sale": "on"}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == {
            "name": ["This field is required."],
            "price": ["Enter a number."],
            "on_sale": ["Nothing to sell: the stock is empty."],
        }
        assert client.get("/products/count").json() == {"count": 1}
