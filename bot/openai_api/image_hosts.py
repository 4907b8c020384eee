"""Where an image URL returned by the model server may be fetched from: public addresses only,
so an answer cannot point the bot at its own network (cloud metadata, admin ports, databases).
The model server's own host is the exception: a self-hosted server on localhost or a private
network (Ollama, vLLM) serves its images from there.

The check resolves the host and then lets the HTTP client resolve it again to connect; a host
that changes its answer in between (DNS rebinding) is outside what this guards against."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from bot.errors import DownloadRefused

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


async def refuse_private_address(url: httpx.URL, model_host: str) -> None:
    """``DownloadRefused`` unless every address ``url``'s host resolves to is public, or is the
    model server's (``model_host``, the host of ``OPENAI_BASE_URL``)."""
    if url.host.lower() == model_host.lower():
        return
    model_addresses: set[_Address] | None = None
    for address in await _addresses(url.host):
        if address.is_global and not address.is_multicast:
            continue
        if model_addresses is None:  # resolved only when a private address needs it
            model_addresses = await _addresses(model_host)
        if address not in model_addresses:
            raise DownloadRefused(
                f"image host {url.host} resolves to a non-public address",
                code="image_address_refused",
            )


async def _addresses(host: str) -> set[_Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DownloadRefused(
            f"image host {host} could not be resolved", code="image_host_unresolved"
        ) from exc
    found: set[_Address] = set()
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        found.add(address)
    return found
