"""How a command reaches its project: the server serving the data dir (its card), else the server
at the configured address, else an embedded server started for the command on a free loopback
port. Every command therefore works with no server running, and never opens a project another
live server is writing."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator

from binsight_client import Client, Unavailable

from ..config import Config
from ..runtime import read_card

CLIENT_TIMEOUT_S = 600  # a recluster of a large project or an export of every bin takes minutes


@contextlib.contextmanager
def connect(config: Config, actor: str = "") -> Iterator[Client]:
    card = read_card(config.data_dir)
    for address in dict.fromkeys([*([card.address] if card else []), config.address]):
        if not _may_listen(address):
            continue
        client = Client(address, timeout=CLIENT_TIMEOUT_S, actor=actor)
        try:
            client.wait_ready(timeout=1.5)
        except Unavailable:
            client.close()
            continue
        try:
            yield client
        finally:
            client.close()
        return
    with embedded(config) as server:
        client = Client(server.address, timeout=CLIENT_TIMEOUT_S, actor=actor)
        try:
            yield client
        finally:
            client.close()


def _may_listen(address: str) -> bool:
    """False when nothing accepts TCP connections at ``address`` (refused at once on this
    machine), so a command skips it instead of waiting out gRPC's connection attempts (1.5 s
    of every command's start-up when no server runs). True when unsure (a name that does not
    resolve here, another transport): gRPC then decides."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=0.5):
            return True
    except ValueError:
        return True
    except ConnectionRefusedError:
        return False
    except OSError:
        return True


@contextlib.contextmanager
def embedded(config: Config) -> Iterator["BinsightServer"]:  # noqa: F821 - imported below, lazily
    """A server in this process over the data dir, for one command."""
    from ..service.server import BinsightServer  # gRPC server code only when it is needed

    print(f"no server at {config.address}: starting one over {config.data_dir}", file=sys.stderr)
    server = BinsightServer(config.override({"address": "127.0.0.1:0"})).start()
    try:
        yield server
    finally:
        server.stop()
