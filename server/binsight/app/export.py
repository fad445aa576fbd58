"""ExportService: bins as files NLEs import, built from the domain (scene index, catalog,
characters), never from the API's cluster tree.

Top-level bins: every scene bin (with its character sub-bins), a people bin for every person
(each holding every shot they are in, whatever its scene), then the noise bucket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..bins import Bin, BinClip, BinKind, BinSet
from ..exporters import ExportOptions, available_formats, get_exporter
from ..records import ShotRecord
from ..scene_index import SceneIndex
from .sources import source_media
from .views import ProjectView

log = logging.getLogger(__name__)

NOISE_BIN = "noise"  # the noise bucket's id in the bin model (bins.json and every format)


@dataclass(frozen=True)
class ExportedFile:
    name: str
    path: str = ""  # set when written on the server
    data: bytes = b""  # set when returned to the client


@dataclass(frozen=True)
class ExportOutcome:
    files: tuple[ExportedFile, ...]
    warnings: tuple[str, ...]  # rates conformed, files a format cannot carry, names transliterated


class ExportService:
    def __init__(self, index: SceneIndex, view: Callable[[], ProjectView], project_name: str) -> None:
        self.index = index
        self.view = view
        self.project_name = project_name

    def formats(self) -> list[str]:
        return available_formats()

    def binset(self, cluster_ids: Sequence[str | None] = (), include_noise: bool = True,
               project_name: str = "") -> BinSet:
        """The bins to export (the ones named, when any: scene bin ids, character ids for people
        bins, None for the noise bucket)."""
        view = self.view()
        people = view.characters
        wanted = {c if c is None or c in people.characters else self.index.resolve(c) for c in cluster_ids}

        def clips(shot_ids: Sequence[str]) -> tuple[BinClip, ...]:
            return tuple(clip(view.catalog.shots[s]) for s in shot_ids if s in view.catalog.shots)

        def clip(shot: ShotRecord) -> BinClip:
            media = source_media(view.catalog.media_of(shot))
            a = view.index.assignments.get(shot.shot_id)
            return BinClip(shot_id=shot.shot_id, name=f"{media.name} #{shot.index + 1}", media=media,
                           start_frame=shot.start_frame, end_frame=shot.end_frame,
                           keyframes=tuple(k.frame for k in view.catalog.keyframes_of(shot.shot_id)),
                           characters=tuple(people.name(c) for c in people.shot_characters.get(shot.shot_id, ())),
                           score=float(a.score) if a else 0.0)

        bins = []
        for cluster in view.index.live_clusters():
            if not wanted or cluster.cluster_id in wanted:
                children = tuple(Bin(sub.bin_id, sub.name, BinKind.CHARACTER, clips(sub.shot_ids))
                                 for sub in view.sub_bins(cluster.cluster_id))
                bins.append(Bin(cluster.cluster_id, cluster.display_name, BinKind.SCENE,
                                clips(view.members(cluster.cluster_id)), children))
        for person in view.people():
            if not wanted or person.character_id in wanted:
                bins.append(Bin(person.character_id, person.name, BinKind.CHARACTER, clips(person.shot_ids)))
        noise = view.members(None)
        if include_noise and (not wanted or None in wanted) and noise:
            bins.append(Bin(NOISE_BIN, "Noise", BinKind.NOISE, clips(noise)))
        return BinSet(project=project_name or self.project_name, bins=tuple(bins))

    def export(self, fmt: str, cluster_ids: Sequence[str | None] = (), include_noise: bool = True,
               out_dir: str = "", options: dict[str, str] | None = None, project_name: str = "") -> ExportOutcome:
        exporter = get_exporter(fmt, options or {})  # InvalidInput names the valid formats and options
        binset = self.binset(cluster_ids, include_noise, project_name)
        export_options = ExportOptions(project_name=project_name or None, include_noise=include_noise)
        if out_dir:
            written = exporter.write(binset, Path(out_dir).expanduser(), export_options)
            files = tuple(ExportedFile(p.name, path=str(p)) for p in written.paths)
            warnings = written.warnings
        else:
            result = exporter.render(binset, export_options)
            files = tuple(ExportedFile(f.name, data=f.data) for f in result.files)
            warnings = result.warnings
        for warning in warnings:
            log.warning("export warning", extra={"format": fmt, "warning": warning})
        return ExportOutcome(files, tuple(warnings))
