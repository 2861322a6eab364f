"""A cache for apps: memory or Redis backends, and a per-view page cache.

from fastcore.cache import Caching, RedisCache, cache_page

app.install(Caching(RedisCache("redis://127.0.0.1:6379/0")))

@app.get("/prices")
@cache_page(60)
async def prices(request: Request): ...

count = await request.cache.incr("visits")
"""

from __future__ import annotations

from fastcore.cache.backends import BaseCache as BaseCache
from fastcore.cache.backends import MemoryCache as MemoryCache
from fastcore.cache.backends import RedisCache as RedisCache
from fastcore.cache.pages import Caching as Caching
from fastcore.cache.pages import cache_page as cache_page

__all__ = ["BaseCache", "Caching", "MemoryCache", "RedisCache", "cache_page"]
