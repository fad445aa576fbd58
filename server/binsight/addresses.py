"""Network addresses as Binsight judges them: what counts as loopback (open to the local user
without tokens) and what does not (TLS and tokens required)."""

from __future__ import annotations

import ipaddress


def host_of(address: str) -> str:
    return address.rsplit(":", 1)[0].strip("[]")


def is_loopback(address: str) -> bool:
    """``127.0.0.1:50051``, ``[::1]:50051``, ``localhost:8765``: yes; ``0.0.0.0`` and names: no."""
    host = host_of(address)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
