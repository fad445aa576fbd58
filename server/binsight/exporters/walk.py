"""Walking the bin model the same way in every format: which bins are exported, each top-level
bin's shots once with the names of the sub-bins holding them, the sources they use, and groups
a single file of a format can carry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from binsight.bins import Bin, BinClip, BinKind, BinSet, SourceMedia

K = TypeVar("K")
T = TypeVar("T")


@dataclass(frozen=True)
class ClusterShot:
    """A shot as one flat-list format (EDL, ALE, FCPXML event) sees it within its top-level bin."""

    clip: BinClip
    cluster: Bin  # the top-level bin: scene cluster, people bin or noise bucket
    keywords: tuple[str, ...]  # top-level bin name, then the names of the sub-bins holding the shot

    @property
    def sub_bins(self) -> tuple[str, ...]:
        return self.keywords[1:]

    @property
    def person(self) -> str:
        """The person of a people bin ("" for a shot listed under a scene or the noise bucket)."""
        return self.cluster.name if self.cluster.kind is BinKind.CHARACTER else ""


def exported_bins(binset: BinSet, include_noise: bool) -> list[Bin]:
    """The top-level bins to export: the noise bucket only when the user asked for it."""
    return [b for b in binset.bins if include_noise or b.kind is not BinKind.NOISE]


def cluster_shots(cluster: Bin) -> list[ClusterShot]:
    """Each shot of a top-level bin once (flat formats have no sub-bins), in bin order, tagged
    with the names of the sub-bins it sits in so they survive as keywords / columns."""
    first: dict[str, BinClip] = {}
    holders: dict[str, list[str]] = {}
    for bin_ in cluster.walk():
        for clip in bin_.clips:
            first.setdefault(clip.shot_id, clip)
            names = holders.setdefault(clip.shot_id, [])
            if bin_ is not cluster and bin_.name not in names:
                names.append(bin_.name)
    return [ClusterShot(c, cluster, (cluster.name, *holders[sid])) for sid, c in first.items()]


def all_shots(bins: Iterable[Bin]) -> list[ClusterShot]:
    """Every shot of ``bins`` once (first top-level bin holding it), its keywords the names of
    every bin that holds it anywhere: its scene, the scene's sub-bins, its people bins."""
    first: dict[str, ClusterShot] = {}
    keywords: dict[str, dict[str, None]] = {}
    for top in bins:
        for shot in cluster_shots(top):
            first.setdefault(shot.clip.shot_id, shot)
            keywords.setdefault(shot.clip.shot_id, {}).update(dict.fromkeys(shot.keywords))
    return [ClusterShot(s.clip, s.cluster, tuple(keywords[sid])) for sid, s in first.items()]


def group_by(items: Iterable[T], key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    """Split ``items`` by ``key``, keeping first-seen order of groups and items."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def rate_key(media: SourceMedia) -> tuple[Fraction, bool]:
    """What one EDL / ALE / sequence can carry: a single frame rate in a single DF/NDF mode."""
    return media.frame_rate, media.drop_frame


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def media_of(bins: Iterable[Bin]) -> list[SourceMedia]:
    """Every source file used by ``bins`` once, first-use order (resources are declared once)."""
    seen: dict[str, SourceMedia] = {}
    for top in bins:
        for bin_ in top.walk():
            for clip in bin_.clips:
                seen.setdefault(clip.media.media_id, clip.media)
    return list(seen.values())


def clip_keyframes(clip: BinClip) -> list[int]:
    """Keyframes inside the shot, sorted and unique: a marker outside a clip is refused by NLEs."""
    return sorted({k for k in clip.keyframes if clip.start_frame <= k < clip.end_frame})
