"""Outbound requests refuse the server's own network unless an administrator allowed
the host; a canary listening on loopback proves nothing reaches it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from vigil.platform.outbound import DestinationRefused, check_destination, guarded_client


def public_resolver(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/taxii2/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://0x7f.1/",
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused, match=r"resolves to|cannot be resolved"):
        check_destination(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "Only http"),
        ("gopher://example.org/", "Only http"),
        ("ftp://example.org/", "Only http"),
        ("javascript:alert(1)", "Only http"),
        ("http://user:secret@example.org/", "Credentials"),
        ("http:///path-only", "names no host"),
        ("http://example.org:99999/", "not well formed"),
    ],
)
def test_schemes_credentials_and_malformed_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(DestinationRefused, match=reason):
        check_destination(url, resolve=public_resolver)


def test_a_public_address_is_allowed() -> None:
    url = "https://partner.example.org/taxii2/"
    assert check_destination(url, resolve=public_resolver) == url


def test_a_name_with_any_private_address_is_refused() -> None:
    def mixed(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]

    with pytest.raises(DestinationRefused, match="private"):
        check_destination("https://partner.example.org/", resolve=mixed)


def test_an_allow_listed_host_may_be_private() -> None:
    assert check_destination("http://127.0.0.1:8123/", allowed_hosts=["127.0.0.1:8123"])
    assert check_destination("http://LOCALHOST./x", allowed_hosts=["localhost"])
    with pytest.raises(DestinationRefused):
        check_destination("http://127.0.0.1:8124/", allowed_hosts=["127.0.0.1:8123"])


class Canary:
    """A loopback HTTP server counting what reaches it; optionally redirecting."""

    def __init__(self, redirect_to: str | None = None) -> None:
        canary = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits += 1
                if redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


def test_the_canary_on_loopback_receives_nothing(canary: Canary) -> None:
    with guarded_client() as client, pytest.raises(DestinationRefused):
        client.get(canary.url)
    assert canary.hits == 0
    # The canary does answer when an administrator allowed it: the zero above is real.
    with guarded_client(allowed_hosts=[canary.host]) as client:
        assert client.get(canary.url).status_code == 200
    assert canary.hits == 1


def test_a_redirect_to_a_refused_address_is_not_followed(canary: Canary) -> None:
    bouncer = Canary(redirect_to=canary.url)
    try:
        with guarded_client(allowed_hosts=[bouncer.host]) as client:
            first = client.get(bouncer.url)
            assert first.status_code == 302  # redirects are never followed by default
            with pytest.raises(DestinationRefused):
                client.get(bouncer.url, follow_redirects=True)
    finally:
        bouncer.close()
    assert bouncer.hits == 2
    assert canary.hits == 0


def test_transport_errors_stay_httpx_errors() -> None:
    transport = httpx.MockTransport(_boom)
    with (
        guarded_client(resolve=public_resolver, transport=transport) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("https://partner.example.org/")


def _boom(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("no route", request=request)
