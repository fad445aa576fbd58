"""Readable names for new bins: what a bin holds, not ``scene-00007``.

A scene bin is named once, when it is born, after its earliest shot: the clip's name and the
shot's source timecode ("short_hamilton_clip 00:00:00:20"), which is how an editor finds a setup
in the footage. The name never changes under a recluster; an editor's rename always wins (it is
stored apart, see ``records.ClusterRecord``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..catalog import CatalogSnapshot
from ..exporters.timecode import source_timecode
from .sources import source_media


def bin_label(catalog: CatalogSnapshot, shot_ids: Sequence[str]) -> str:
    shots = catalog.in_order(shot_ids)
    if not shots:
        return ""
    first = shots[0]
    media = catalog.media_of(first)
    return f"{Path(media.path).stem} {source_timecode(source_media(media), first.start_frame)}"
