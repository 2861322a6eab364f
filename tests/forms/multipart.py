"""Build multipart/form-data bodies for the form tests (valid and deliberately broken)."""

from __future__ import annotations

from collections.abc import Iterable

BOUNDARY = "fastcore-test-boundary-7f3a"


def encode_multipart(
    fields: Iterable[tuple[str, str]] = (),
    files: Iterable[tuple[str, str, bytes, str]] = (),
    boundary: str = BOUNDARY,
) -> tuple[bytes, dict[str, str]]:
    """Encode text ``fields`` and ``files`` (name, filename, content, type) as a browser would."""
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, filename, content, content_type in files:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}
