"""Readable names for bins: what a bin holds, not ``scene-00007``.

A scene bin is named when it is born after its earliest shot: the clip's name and the shot's
source timecode ("short_hamilton_clip 00:00:00:20"), which is how an editor finds a setup in the
footage. Once its clips' slates are read it is named after the setups they were slated as
("Sc 12A", "Sc 12A, 12B"), the name an assistant editor gives it by hand; a bin is also named so
at birth when its clips' slates are known. A recluster never renames a bin it keeps, and an
editor's rename always wins (it is stored apart, see ``records.ClusterRecord``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..catalog import CatalogSnapshot
from ..exporters.timecode import source_timecode
from ..records import SlateRecord
from ..scene_index import SceneIndex
from .slates import natural
from .sources import source_media

SLATE_PREFIX = "Sc "
MAX_SETUPS_NAMED = 3


def bin_label(catalog: CatalogSnapshot, shot_ids: Sequence[str], slates: Mapping[str, SlateRecord]) -> str:
    return slate_label(catalog, shot_ids, slates) or clip_label(catalog, shot_ids)


def clip_label(catalog: CatalogSnapshot, shot_ids: Sequence[str]) -> str:
    shots = catalog.in_order(shot_ids)
    if not shots:
        return ""
    first = shots[0]
    media = catalog.media_of(first)
    return f"{Path(media.path).stem} {source_timecode(source_media(media), first.start_frame)}"


def slate_label(catalog: CatalogSnapshot, shot_ids: Sequence[str], slates: Mapping[str, SlateRecord]) -> str:
    """"Sc 12A" from the sure slates of the bin's clips (up to three setups, in script order);
    "" when none of its clips is slated."""
    setups = {s for shot in catalog.in_order(shot_ids) if shot.media_id in slates
              and (s := slates[shot.media_id].setup())}
    if not setups:
        return ""
    named = sorted(setups, key=natural)
    more = "…" if len(named) > MAX_SETUPS_NAMED else ""
    return SLATE_PREFIX + ", ".join(named[:MAX_SETUPS_NAMED]) + more


def relabel_from_slates(index: SceneIndex, catalog: CatalogSnapshot, slates: Mapping[str, SlateRecord]) -> list[str]:
    """Name the bins nobody named after their clips' slates (and back after their clips when a
    correction leaves them unslated). Returns the bins renamed."""
    snapshot = index.snapshot()
    renamed = []
    with index.transaction():
        for cluster in snapshot.live_clusters():
            if cluster.named:
                continue
            members = snapshot.members.get(cluster.cluster_id, ())
            label = slate_label(catalog, members, slates)
            if not label and cluster.label.startswith(SLATE_PREFIX):
                label = clip_label(catalog, members)
            if label and label != cluster.label:
                index.update_cluster(cluster.cluster_id, label=label)
                renamed.append(cluster.cluster_id)
    return renamed
