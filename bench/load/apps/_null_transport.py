"""A transport that accepts and drops everything, for driving a protocol in-process."""

from __future__ import annotations

from typing import Any


class NullTransport:
    """What an asyncio.Protocol needs from its transport, writing nowhere."""

    write = staticmethod(len)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass
