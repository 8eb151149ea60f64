"""Outbound HTTP: the one place that decides which addresses Vigil may call.

Features that take a URL from a user (federation peers, and any later webhook) must
not become a way to reach the server's own network (SSRF). A destination must be
http(s), carry no credentials in the URL, and resolve only to public addresses,
unless an administrator listed its host in ``VIGIL_OUTBOUND_ALLOWED_HOSTS``. The
check runs again on every request a client makes, redirects included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

import httpx

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
TIMEOUT_SECONDS = 15.0

Resolver = Callable[[str, int], list[str]]


class DestinationRefused(Exception):
    """The URL may not be called; the message says why, for the person who gave it."""


def _resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(f"{host} cannot be resolved.") from error
    return [str(entry[4][0]) for entry in found]


def _non_public(address: str) -> str | None:
    """Why an address is not a public one, or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_private, "a private address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((why for refused, why in checks if refused), None)


def check_destination(
    url: str, *, allowed_hosts: Collection[str] = (), resolve: Resolver = _resolve
) -> str:
    """Return ``url`` if Vigil may call it; raise DestinationRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise DestinationRefused("The URL is not well formed.") from error
    if parts.scheme not in SCHEMES:
        raise DestinationRefused("Only http:// and https:// addresses may be called.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("Credentials may not be written into the URL.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise DestinationRefused("The URL names no host.")
    port = port or DEFAULT_PORTS[parts.scheme]
    allowed = {entry.strip().lower() for entry in allowed_hosts}
    if host in allowed or f"{host}:{port}" in allowed:
        return url
    addresses = resolve(host, port)
    if not addresses:
        raise DestinationRefused(f"{host} cannot be resolved.")
    for address in addresses:
        why = _non_public(address)
        if why is not None:
            raise DestinationRefused(
                f"{host} resolves to {why}; an administrator must allow it "
                "(VIGIL_OUTBOUND_ALLOWED_HOSTS) before Vigil calls it."
            )
    return url


def guarded_client(
    *,
    allowed_hosts: Collection[str] = (),
    resolve: Resolver = _resolve,
    transport: httpx.BaseTransport | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """An httpx client that checks every request's destination, redirects included.

    A name could in principle resolve differently between the check and the connection
    (DNS rebinding); peers are named by administrators, which bounds that risk."""

    def check(request: httpx.Request) -> None:
        check_destination(str(request.url), allowed_hosts=allowed_hosts, resolve=resolve)

    return httpx.Client(
        transport=transport,
        headers=headers,
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        event_hooks={"request": [check]},
    )
