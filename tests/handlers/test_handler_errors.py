"""Error shapes: 422 lists, 400 for malformed JSON, 415 for non-JSON bodies, never a 500."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from fastcore import App, Query, Request, RequestValidationError
from fastcore.responses import JSONResponse
from fastcore.testing import TestClient


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    name: str
    age: int
    address: Address


def make_app() -> App:
    app = App()

    @app.post("/people/{group:int}")
    async def create(group: int, person: Person, dry: bool = False, limit: int = Query(5, le=9)):
        return {"group": group, "name": person.name, "dry": dry}

    return app


def test_nested_errors_name_their_location_and_input() -> None:
    client = TestClient(make_app())
    got = client.post(
        "/people/1?dry=maybe&limit=10", json={"name": "a", "age": "old", "address": {}}
    )
    assert got.status_code == 422
    body = got.json()
    assert body["detail"] == "Request validation failed"
    assert body["status"] == 422
    assert body["errors"] == [
        {
            "loc": ["query", "dry"],
            "field": "dry",
            "msg": "Input should be a valid boolean, unable to interpret input",
            "type": "bool_parsing",
            "input": "maybe",
        },
        {
            "loc": ["query", "limit"],
            "field": "limit",
            "msg": "Input should be less than or equal to 9",
            "type": "less_than_equal",
            "input": "10",
        },
        {
            "loc": ["body", "age"],
            "field": "age",
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
            "input": "old",
        },
        {
            "loc": ["body", "address", "city"],
            "field": "address.city",
            "msg": "Field required",
            "type": "missing",
            "input": {},
        },
    ]


def test_malformed_json_is_400_with_the_position() -> None:
    client = TestClient(make_app())
    got = client.post(
        "/people/1",
        content=b'{"name": "a",\n "age": }',
        headers={"content-type": "application/json"},
    )
    assert got.status_code == 400
    assert got.json()["detail"] == "Malformed JSON body: expected value at line 2 column 9"


def test_text_plain_json_from_a_cross_site_form_is_refused() -> None:
    # A cross-site page can POST text/plain without a CORS preflight; the
    # endpoint must not take it as JSON.
    client = TestClient(make_app())
    got = client.post(
        "/people/1",
        content=b'{"name": "a", "age": 1, "address": {"city": "x"}}',
        headers={"content-type": "text/plain"},
    )
    assert got.status_code == 415
    ok = client.post("/people/1", json={"name": "a", "age": 1, "address": {"city": "x"}})
    assert ok.json() == {"group": 1, "name": "a", "dry": False}


def test_validation_errors_can_be_answered_by_the_app() -> None:
    app = make_app()

    @app.exception_handler(RequestValidationError)
    async def custom(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"problems": len(exc.errors)}, status_code=400)

    got = TestClient(app).post("/people/1", json={})
    assert got.status_code == 400
    assert got.json() == {"problems": 3}


@settings(max_examples=60, deadline=None)
@given(
    query=st.lists(st.tuples(st.sampled_from(["dry", "limit", "x"]), st.text()), max_size=3),
    body=st.binary(max_size=60)
    | st.dictionaries(st.sampled_from(["name", "age", "address"]), st.none() | st.text()).map(
        orjson.dumps
    ),
)
def test_arbitrary_input_never_causes_a_500(query: list[tuple[str, str]], body: bytes) -> None:
    client = TestClient(make_app())
    got = client.post(
        "/people/3", params=query, content=body, headers={"content-type": "application/json"}
    )
    assert got.status_code in (200, 400, 422), got.text
