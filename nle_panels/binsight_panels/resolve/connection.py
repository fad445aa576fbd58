"""Reaching the Binsight server from the panel: what it reports about itself, and starting a
local one (``binsight serve``) when none answers."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from binsight_client import BinsightError, Client


@dataclass(frozen=True)
class ServerStatus:
    address: str
    reachable: bool
    version: str = ""
    scene_model: str = ""
    faces: str = ""                # "off" or the face model
    counts: str = ""               # "3 files, 12 shots, 4 bins, 1 in noise"
    running_jobs: int = 0
    notes: Tuple[str, ...] = ()
    error: str = ""
    review_url: str = ""           # the server's review page ("" when it runs none)
    text_search: bool = False      # a CLIP pack is the scene model

    def lines(self) -> List[str]:
        if not self.reachable:
            return [f"No Binsight server answers at {self.address}.", self.error] if self.error else \
                [f"No Binsight server answers at {self.address}."]
        out = [f"Binsight {self.version} at {self.address}", f"scenes: {self.scene_model}", f"faces: {self.faces}",
               f"text search: {'on' if self.text_search else 'off (needs a CLIP pack)'}",
               f"review page: {self.review_url or 'off on this server'}",
               self.counts, f"ingest jobs running: {self.running_jobs}"]
        return out + [f"note: {n}" for n in self.notes]


def connect(address: str, wait_s: float = 0.5) -> Client:
    """A client for ``address`` once the server answers (raises ``Unavailable`` otherwise).
    Corrections are signed with the editor's login name."""
    try:
        actor = getpass.getuser()
    except Exception:  # no login name (some sandboxes)
        actor = "resolve"
    client = Client(address, actor=f"{actor} (Resolve)")
    try:
        client.wait_ready(timeout=wait_s)
    except BinsightError:
        client.close()
        raise
    return client


def server_status(client: Any) -> ServerStatus:
    try:
        status = client.status(timeout=5)
        jobs = client.list_jobs(timeout=5)
    except BinsightError as exc:
        return ServerStatus(client.address, False, error=exc.message)
    scene = status.scene_model
    face = status.face_model
    faces_on = face is not None and bool(face.name)
    return ServerStatus(
        address=client.address, reachable=True, version=status.version,
        scene_model=f"{scene.name} ({scene.provider})" if scene and scene.provider else (scene.name if scene else ""),
        faces=f"on, {face.name}" if faces_on else "off",
        counts=(f"{status.media_count} files, {status.shot_count} shots, {status.cluster_count} bins, "
                f"{status.noise_count} in noise, {status.character_count} people"),
        running_jobs=sum(1 for j in jobs if not j.done), notes=tuple(status.notes),
        review_url=status.review_url, text_search=status.text_search)


def serve_command(binsight: Sequence[str], address: str) -> List[str]:
    return list(binsight) + ["--address", address, "serve"]


def start_local_server(binsight: Sequence[str], address: str, log_path: Path) -> "subprocess.Popen[bytes]":
    """Start ``binsight serve`` on ``address`` in its own session, so it outlives the panel (the
    review page and other scripts use it too); its log goes to ``log_path``."""
    if not binsight:
        raise FileNotFoundError("the Binsight command is unknown: run `binsight resolve install` again")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    options: dict = {}
    if sys.platform.startswith("win"):
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "DETACHED_PROCESS", 0)
    else:
        options["start_new_session"] = True
    try:
        return subprocess.Popen(serve_command(binsight, address), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=dict(os.environ), **options)
    finally:
        log.close()


def local_address(address: str) -> bool:
    """Only a loopback address can be served from this machine by the panel."""
    host = address.rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def try_connect(address: str, wait_s: float) -> Optional[Client]:
    try:
        return connect(address, wait_s)
    except BinsightError:
        return None
