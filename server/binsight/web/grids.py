"""What a grid of the page shows: the bins of the sidebar, and one page of a bin's shots.

A bin on the page is a scene bin (``scene-00003``), a character sub-bin of a scene
(``scene-00003/char-00001+char-00002``), a person's project-wide bin (``char-00001``) or the
noise bucket (``noise``). Every page reads one ``ProjectView``, so a page of shots and the counts
beside it agree even while an ingest commits files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..app.views import BinKind, ProjectView, ShotView
from ..errors import NotFound
from ..validate import shown
from .context import NOISE_BIN_ID, PAGE_SIZE

Resolve = Callable[[str], str]
"""A scene bin id -> the id it goes by now (``SceneIndex.resolve``: merged ids lead to the survivor)."""


@dataclass(frozen=True)
class BinHeader:
    """The bin a grid shows, with what its header needs."""

    bin_id: str  # the page's id (a merged scene id is followed to its survivor)
    kind: BinKind
    name: str
    shot_count: int
    locked: bool = False
    named: bool = False
    scene_id: str = ""  # the scene bin a sub-bin belongs to (itself for a scene bin)
    children: tuple[tuple[str, str, int], ...] = ()  # sub-bins: (bin id, name, shot count)

    @property
    def correctable(self) -> bool:
        """Shots of this bin can be split off, renamed and locked (scene bins only)."""
        return self.kind is BinKind.SCENE and self.bin_id == self.scene_id


class Paged:
    """A page of a longer list: ``offset`` and ``total`` tell whether another page follows."""

    offset: int
    total: int

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self)
        return end if end < self.total else None


@dataclass(frozen=True)
class ShotPage(Paged):
    bin_id: str
    shots: tuple[ShotView, ...]
    offset: int
    total: int
    limit: int

    def __len__(self) -> int:
        return len(self.shots)


def header(view: ProjectView, resolve: Resolve, bin_id: str) -> BinHeader:
    if bin_id == NOISE_BIN_ID:
        return BinHeader(NOISE_BIN_ID, BinKind.NOISE, "Noise", len(view.index.members.get(None, ())))
    if bin_id in view.characters.characters:
        person = next((p for p in view.people() if p.character_id == bin_id), None)
        return BinHeader(bin_id, BinKind.CHARACTER, view.characters.name(bin_id),
                         len(person.shot_ids) if person else 0)
    scene_id, _, cast = bin_id.partition("/")
    scene_id = resolve(scene_id)
    row = view.index.clusters[scene_id]
    subs = view.sub_bins(scene_id)
    children = tuple((s.bin_id, s.name, len(s.shot_ids)) for s in subs)
    if cast:
        sub = next((s for s in subs if s.bin_id == f"{scene_id}/{cast}"), None)
        if sub is None:
            raise NotFound(f"bin {row.display_name} has no sub-bin of {shown(cast)} (any more)")
        return BinHeader(sub.bin_id, BinKind.CHARACTER, sub.name, len(sub.shot_ids), row.locked, row.named,
                         scene_id, children)
    return BinHeader(scene_id, BinKind.SCENE, row.display_name, len(view.members(scene_id)), row.locked, row.named,
                     scene_id, children)


def shot_ids(view: ProjectView, resolve: Resolve, bin_id: str) -> list[str]:
    """A bin's shots in reading order (by file, then position in the file)."""
    if bin_id == NOISE_BIN_ID:
        return view.members(None)
    if bin_id in view.characters.characters:
        person = next((p for p in view.people() if p.character_id == bin_id), None)
        return list(person.shot_ids) if person else []
    scene_id, _, cast = bin_id.partition("/")
    scene_id = resolve(scene_id)
    if not cast:
        return view.members(scene_id)
    sub = next((s for s in view.sub_bins(scene_id) if s.bin_id == f"{scene_id}/{cast}"), None)
    return list(sub.shot_ids) if sub else []


def shot_page(view: ProjectView, resolve: Resolve, bin_id: str, offset: int = 0, limit: int = PAGE_SIZE) -> ShotPage:
    ids = shot_ids(view, resolve, bin_id)
    offset = max(0, min(offset, len(ids)))
    chosen = ids[offset:offset + limit]
    by_id = {s.shot_id: s for s in view.shots(chosen)}
    return ShotPage(bin_id, tuple(by_id[s] for s in chosen if s in by_id), offset, len(ids), limit)
