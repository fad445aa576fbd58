"""Fixtures shared by the end-to-end tests: a real Binsight server on an ephemeral loopback port
over a real LanceDB in a temp dir, driven through the client SDK."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ (datasets shared by tests and benchmarks)
sys.path.insert(0, str(ROOT / "tests"))

from binsight.access import Access  # noqa: E402
from binsight.config import Config  # noqa: E402
from binsight.service.server import BinsightServer  # noqa: E402
from binsight_client import Client  # noqa: E402
from media_factory import SHARED_MEDIA  # noqa: E402


def make_config(data_dir: Path, **overrides) -> Config:
    """A test project's config. Slates are off unless a test turns them on (``test_slates_e2e``):
    looking for boards costs every other ingest a second decode of each clip's ends."""
    config = Config(data_dir=data_dir, address="127.0.0.1:0", http_address="", workers=4, log_level="WARNING")
    return config.override({"slates.enabled": False, **overrides})


def allow_test_media(data_dir: Path, base: Path) -> None:
    """Media roots for a test project: the session's temp folders (where tests encode clips)
    and the shared test media."""
    access = Access(data_dir)
    for folder in (base, SHARED_MEDIA):
        if folder.is_dir():
            access.add_root(str(folder), "tests")


@pytest.fixture
def start_server(tmp_path: Path, tmp_path_factory) -> Iterator[Callable[..., tuple[BinsightServer, Client]]]:
    """Start (and later stop) servers over ``tmp_path / "data"``; call again to restart on the
    same data dir. Keyword overrides are config keys, e.g. ``**{"faces.enabled": False}``."""
    running: list[tuple[BinsightServer, Client]] = []

    def start(**overrides) -> tuple[BinsightServer, Client]:
        allow_test_media(tmp_path / "data", tmp_path_factory.getbasetemp())
        server = BinsightServer(make_config(tmp_path / "data", **overrides)).start()
        client = Client(server.address, timeout=300, actor="tester")
        running.append((server, client))
        return server, client

    yield start
    for server, client in running:
        client.close()
        server.stop()


@pytest.fixture
def served(start_server) -> tuple[BinsightServer, Client]:
    """One running server with faces off (fast); tests that need faces start their own."""
    return start_server(**{"faces.enabled": False})
