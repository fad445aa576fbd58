"""What an editor gets from a library, read through the SDK as one comparable value: its shots,
its bins, its keyframe images and its exports. Two libraries built from the same clips, wherever
they are stored and however ingest ran, must read the same."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from binsight_client import Client

EXPORT_FORMATS = ("bins_json", "otio", "fcpxml", "xmeml", "edl", "ale")


@dataclass(frozen=True)
class LibraryView:
    shots: tuple[tuple[str, str, int, int], ...]  # (shot id, media path, start frame, end frame)
    bins: tuple[tuple[str, tuple[str, ...]], ...]  # (bin name, its shot ids), noise last
    images: tuple[tuple[str, str], ...]  # (keyframe id, digest of its JPEG and thumbnail)
    exports: tuple[tuple[str, bytes], ...]  # (file name, bytes)


def read_library(client: Client, images: bool = True) -> LibraryView:
    shots = sorted((s.shot_id, s.media_path, s.start_frame, s.end_frame) for s in client.list_shots())
    tree = client.list_clusters()
    bins = sorted((c.name, tuple(sorted(s.shot_id for s in c.shots))) for c in tree.clusters)
    if tree.noise is not None:
        bins.append(("noise", tuple(sorted(s.shot_id for s in tree.noise.shots))))
    digests = []
    if images:
        for shot in client.list_shots():
            for keyframe_id in (k.keyframe_id for k in shot.keyframes):
                full = client.keyframe_image(keyframe_id).data
                thumb = client.keyframe_image(keyframe_id, thumbnail=True).data
                digests.append((keyframe_id, hashlib.sha256(full + b"|" + thumb).hexdigest()))
    exports = [(f.name, f.data) for fmt in EXPORT_FORMATS for f in client.export(fmt, project="library")]
    return LibraryView(tuple(shots), tuple(bins), tuple(sorted(digests)), tuple(sorted(exports)))
