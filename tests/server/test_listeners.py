"""Listening: Unix sockets, inherited fds, IPv6, TLS (incl. client certificates), proxy headers."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fastcore.exceptions import ImproperlyConfigured
from fastcore.server import create_ssl_context
from fastcore.server.proxy import ProxyHeaders
from tests.server.server_process import ROOT, ServerProcess

pytestmark = pytest.mark.slow

APP_SOURCE = textwrap.dedent(
    """
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.responses import PlainTextResponse

    class EchoApp:
        request_class = RequestHead

        async def startup(self):
            pass

        async def shutdown(self):
            pass

        def build_dispatch(self):
            async def dispatch(request):
                client = request.client[0] if request.client else "-"
                return PlainTextResponse(f"{request.scheme} {client}")
            return dispatch

    app = EchoApp()
    """
)


def start(tmp_path: Path, *args: str, **kwargs: object) -> ServerProcess:
    (tmp_path / "echoapp.py").write_text(APP_SOURCE)
    return ServerProcess(
        tmp_path,
        "echoapp:app",
        "--graceful-timeout",
        "5",
        *args,
        **kwargs,  # type: ignore[arg-type]
    )


def raw_get(sock: socket.socket, headers: str = "") -> bytes:
    sock.sendall(f"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n".encode())
    chunks = []
    for _ in range(100):  # bounded: the server closes after the answer
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_unix_domain_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    # A stale socket file from a crashed run is replaced.
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    server = start(tmp_path, "--uds", path, ready=r"listening on unix:")
    try:
        client = socket.socket(socket.AF_UNIX)
        client.settimeout(5)
        client.connect(path)
        answer = raw_get(client)
        client.close()
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"http -")
        assert server.stop() == 0
        assert not os.path.exists(path)
    finally:
        server.kill()


def test_unix_socket_path_that_is_not_a_socket_is_refused(tmp_path: Path) -> None:
    (tmp_path / "echoapp.py").write_text(APP_SOURCE)
    (tmp_path / "file.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "fastcore.server.cli", "run", "echoapp:app", "--uds", "file.txt"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "file.txt: the path exists and is not a socket" in result.stderr
    assert (tmp_path / "file.txt").read_text() == "keep me"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_inherited_socket_fd(tmp_path: Path, workers: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    fd = listener.fileno()
    server = start(tmp_path, "--fd", str(fd), "--workers", workers, pass_fds=(fd,))
    listener.close()
    try:
        assert server.port == port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            assert raw_get(client).endswith(b"http 127.0.0.1")
        assert server.stop() == 0
    finally:
        server.kill()


def test_ipv6_loopback(tmp_path: Path) -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    server = start(tmp_path, "--host", "::1", "--port", "0")
    try:
        with socket.create_connection(("::1", server.port), timeout=5) as client:
            assert raw_get(client).endswith(b"http ::1")
        assert server.stop() == 0
    finally:
        server.kill()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (openssl CLI)."""
    folder = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    try:
        openssl("version")
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("the openssl command is not installed")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=fastcore test CA",
    )  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, subject in (("server", "/CN=localhost"), ("client", "/CN=client")):
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", subject,
        )  # fmt: skip
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext",
        )  # fmt: skip
    return folder


def client_context(pki: Path, with_cert: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.set_alpn_protocols(["h2", "http/1.1"])
    if with_cert:
        context.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
    return context


def test_tls_serves_https_with_alpn_http11_and_refuses_plain_http(
    tmp_path: Path, pki: Path
) -> None:
    server = start(
        tmp_path,
        "--port",
        "0",
        "--ssl-certfile",
        str(pki / "server.pem"),
        "--ssl-keyfile",
        str(pki / "server.key"),
    )
    try:
        context = client_context(pki)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.selected_alpn_protocol() == "http/1.1"
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                answer = raw_get(tls)
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"https 127.0.0.1")
        # Plain HTTP on the TLS port is not served.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as plain:
            assert b"HTTP/1.1 200" not in raw_get(plain)
        assert server.stop() == 0
    finally:
        server.kill()


def test_tls_with_ca_certs_requires_a_client_certificate(tmp_path: Path, pki: Path) -> None:
    server = start(
        tmp_path,
        "--port",
        "0",
        "--workers",
        "2",
        "--ssl-certfile",
        str(pki / "server.pem"),
        "--ssl-keyfile",
        str(pki / "server.key"),
        "--ssl-ca-certs",
        str(pki / "ca.pem"),
    )
    try:
        server.wait_workers(2)
        connection = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=5, context=client_context(pki, with_cert=True)
        )
        connection.request("GET", "/")
        assert connection.getresponse().read() == b"https 127.0.0.1"
        connection.close()
        anonymous = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=5, context=client_context(pki)
        )
        with pytest.raises((ssl.SSLError, ConnectionError)):
            # TLS 1.3 reports the missing certificate at the first read.
            anonymous.request("GET", "/")
            anonymous.getresponse().read()
        anonymous.close()
        assert server.stop() == 0
    finally:
        server.kill()


def test_tls_context_defaults(pki: Path) -> None:
    context = create_ssl_context(str(pki / "server.pem"), str(pki / "server.key"))
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_NONE
    with pytest.raises(ImproperlyConfigured, match="no such file"):
        create_ssl_context(str(pki / "missing.pem"))
    with pytest.raises(ImproperlyConfigured, match="cannot load"):
        create_ssl_context(str(pki / "ca.pem"), str(pki / "server.key"))  # key of another cert


def test_proxy_headers_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    forwarded = "X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
    server = start(tmp_path, "--port", "0", "--proxy-headers")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            # The nearest untrusted hop, not the spoofable left-most one.
            assert raw_get(client, forwarded).endswith(b"https 203.0.113.7")
        assert server.stop() == 0
    finally:
        server.kill()
    server = start(
        tmp_path, "--port", "0", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8"
    )
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            # 127.0.0.1 is not a trusted proxy here: the headers are ignored.
            assert raw_get(client, forwarded).endswith(b"http 127.0.0.1")
        assert server.stop() == 0
    finally:
        server.kill()


def test_proxy_headers_reject_a_bad_allow_list() -> None:
    with pytest.raises(ImproperlyConfigured, match="'10.0.0.300' is not an address"):
        ProxyHeaders("127.0.0.1, 10.0.0.300")
    trusted = ProxyHeaders("10.0.0.0/8,::1")
    assert trusted.trusts("10.1.2.3") and trusted.trusts("::1")
    assert not trusted.trusts("11.0.0.1") and not trusted.trusts("not-an-ip")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ssl-keyfile", "key.pem"], "--ssl-keyfile/--ssl-ca-certs need --ssl-certfile"),
        (["--ssl-certfile", "missing.pem"], "TLS: no such file"),
        (["--uds", "x.sock", "--fd", "0"], "--uds and --fd are exclusive"),
        (["--fd", "97"], "--fd 97: not an open socket"),
        (["--proxy-headers", "--forwarded-allow-ips", "nope"], "'nope' is not an address"),
    ],
)
def test_listening_mistakes_are_named(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "echoapp.py").write_text(APP_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "fastcore.server.cli", "run", "echoapp:app", "--port", "0", *args],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
