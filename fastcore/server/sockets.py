"""Listening sockets (TCP over IPv4/IPv6, Unix domain, inherited fd) and TLS contexts."""

from __future__ import annotations

import os
import socket
import ssl
import stat

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["bind_socket", "create_listener", "create_ssl_context", "describe_listener"]


def bind_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """Create a TCP socket bound to ``(host, port)``, ``SO_REUSEPORT`` if asked.

    A host with a colon is IPv6 (``::1``, ``::``); brackets are accepted.
    """
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and host in ("::", ""):
            # NOTE: "::" means IPv6 only here; bind 0.0.0.0 too for both.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_unix(path: str) -> socket.socket:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISSOCK(mode):
            raise ImproperlyConfigured(f"--uds {path}: the path exists and is not a socket")
        # A socket file left by a previous run; another live server on it
        # would accept this connection, so refuse to steal its path.
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)
        else:
            raise ImproperlyConfigured(f"--uds {path}: another server is listening there")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o660)
    except BaseException:
        sock.close()
        raise
    return sock


def _adopt_fd(fd: int) -> socket.socket:
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise ImproperlyConfigured(f"--fd {fd}: not an open socket ({exc.strerror})") from None
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise ImproperlyConfigured(f"--fd {fd}: not a stream socket")
    return sock


def create_listener(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    uds: str | None = None,
    fd: int | None = None,
    backlog: int = 2048,
) -> socket.socket:
    """Return a listening socket: an inherited ``fd``, a Unix socket, or TCP.

    Args:
        host: The address to bind (IPv4 or IPv6) when neither ``uds`` nor ``fd``.
        port: The TCP port (0 picks a free one).
        uds: The path of a Unix domain socket to create (a stale socket file
            there is replaced; a live one is an error).
        fd: An already bound socket inherited from the parent process, as
            systemd socket activation passes it (``--fd 3``).
        backlog: The listen backlog.

    Raises:
        ImproperlyConfigured: ``uds`` and ``fd`` together, or a bad ``fd``/path.
        OSError: The address cannot be bound.
    """
    if uds is not None and fd is not None:
        raise ImproperlyConfigured("--uds and --fd are exclusive")
    if fd is not None:
        sock = _adopt_fd(fd)
    elif uds is not None:
        sock = _bind_unix(uds)
    else:
        sock = bind_socket(host, port)
    try:
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def describe_listener(sock: socket.socket, *, tls: bool = False) -> str:
    """Return the URL (or path) a listening socket serves, for the start-up log."""
    address = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return f"unix:{address}"
    scheme = "https" if tls else "http"
    if sock.family == socket.AF_INET6:
        return f"{scheme}://[{address[0]}]:{address[1]}"
    return f"{scheme}://{address[0]}:{address[1]}"


def create_ssl_context(
    certfile: str,
    keyfile: str | None = None,
    *,
    ca_certs: str | None = None,
    password: str | None = None,
) -> ssl.SSLContext:
    """Build the server's TLS context: TLS 1.2 or newer, ALPN ``http/1.1``.

    Args:
        certfile: The certificate chain (PEM).
        keyfile: Its private key (PEM); ``None`` when it is in ``certfile``.
        ca_certs: CA certificates (PEM) that client certificates must chain
            to; given, a client certificate is required.
        password: The private key's password, if it is encrypted.

    Raises:
        ImproperlyConfigured: A file is missing or the key does not match.
    """
    # SECURITY: the defaults of create_default_context (no SSLv3/TLS 1.0/1.1
    # after the minimum below, no compression, strong ciphers), RFC 8996.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile, password)
        if ca_certs is not None:
            context.load_verify_locations(ca_certs)
            context.verify_mode = ssl.CERT_REQUIRED
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(f"TLS: no such file {exc.filename!r}") from None
    except ssl.SSLError as exc:
        raise ImproperlyConfigured(f"TLS: cannot load {certfile!r}: {exc.reason}") from None
    # Only HTTP/1.1 is spoken: a client offering h2 must not pick it.
    context.set_alpn_protocols(["http/1.1"])
    return context
