"""The four endpoints twice: async views (Django's async ORM API) and sync views.

Written as TechEmpower's Django entry writes them: one ``get`` per id, the
updates as one ``bulk_update`` (ids sorted, so concurrent batches lock rows in
one order), fortunes through a Django template; JSON through orjson, as the
FastAPI peer's ``ORJSONResponse``.
"""

from __future__ import annotations

from operator import attrgetter

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template import loader

from bench.db.apps.common import ADDED_FORTUNE, query_count, random_id
from bench.db.apps.django_site.models import Fortune, World

by_message = attrgetter("message")


def _json(data: object) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def _fortunes_page(fortunes: list[Fortune]) -> HttpResponse:
    fortunes.append(Fortune(id=0, message=ADDED_FORTUNE))
    fortunes.sort(key=by_message)
    return HttpResponse(loader.get_template("fortunes.html").render({"fortunes": fortunes}))


# -- async views (uvicorn) ------------------------------------------------------


async def async_db(request: HttpRequest) -> HttpResponse:
    world = await World.objects.aget(id=random_id())
    return _json({"id": world.id, "randomNumber": world.randomnumber})


async def async_queries(request: HttpRequest) -> HttpResponse:
    count = query_count(request.GET.get("queries"))
    worlds = [await World.objects.aget(id=random_id()) for _ in range(count)]
    return _json([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


async def async_updates(request: HttpRequest) -> HttpResponse:
    ids = sorted(random_id() for _ in range(query_count(request.GET.get("queries"))))
    worlds = [await World.objects.aget(id=world_id) for world_id in ids]
    for world in worlds:
        world.randomnumber = random_id()
    # bulk_update runs in a transaction of its own (one UPDATE ... CASE statement).
    await World.objects.abulk_update(worlds, ["randomnumber"])
    return _json([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


async def async_fortunes(request: HttpRequest) -> HttpResponse:
    fortunes = [fortune async for fortune in Fortune.objects.all()]
    return _fortunes_page(fortunes)


# -- sync views (gunicorn) ------------------------------------------------------


def sync_db(request: HttpRequest) -> HttpResponse:
    world = World.objects.get(id=random_id())
    return _json({"id": world.id, "randomNumber": world.randomnumber})


def sync_queries(request: HttpRequest) -> HttpResponse:
    count = query_count(request.GET.get("queries"))
    worlds = [World.objects.get(id=random_id()) for _ in range(count)]
    return _json([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


def sync_updates(request: HttpRequest) -> HttpResponse:
    ids = sorted(random_id() for _ in range(query_count(request.GET.get("queries"))))
    with transaction.atomic():
        worlds = [World.objects.get(id=world_id) for world_id in ids]
        for world in worlds:
            world.randomnumber = random_id()
        World.objects.bulk_update(worlds, ["randomnumber"])
    return _json([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


def sync_fortunes(request: HttpRequest) -> HttpResponse:
    return _fortunes_page(list(Fortune.objects.all()))
