"""ExportService: bins as files NLEs import, built from the domain (scene index, catalog,
characters), never from the API's cluster tree."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..bins import Bin, BinClip, BinSet
from ..errors import InvalidInput
from ..exporters import ExportOptions, available_formats, get_exporter
from ..records import ShotRecord
from ..scene_index import SceneIndex
from .sources import source_media
from .views import ProjectView


@dataclass(frozen=True)
class ExportedFile:
    name: str
    path: str = ""  # set when written on the server
    data: bytes = b""  # set when returned to the client


class ExportService:
    def __init__(self, index: SceneIndex, view: Callable[[], ProjectView], project_name: str) -> None:
        self.index = index
        self.view = view
        self.project_name = project_name

    def formats(self) -> list[str]:
        return available_formats()

    def binset(self, cluster_ids: Sequence[str | None] = (), include_noise: bool = True,
               project_name: str = "") -> BinSet:
        """The bins to export: every scene bin with its character sub-bins (or the ones named;
        None names the noise bucket), then the noise bucket when wanted."""
        view = self.view()
        wanted = {c if c is None else self.index.resolve(c) for c in cluster_ids}
        names = view.characters

        def clip(shot: ShotRecord) -> BinClip:
            media = source_media(view.catalog.media_of(shot))
            a = view.index.assignments.get(shot.shot_id)
            return BinClip(shot_id=shot.shot_id, name=f"{media.name} #{shot.index + 1}", media=media,
                           start_frame=shot.start_frame, end_frame=shot.end_frame,
                           keyframes=tuple(k.frame for k in view.catalog.keyframes_of(shot.shot_id)),
                           characters=tuple(names.name(c) for c in names.shot_characters.get(shot.shot_id, ())),
                           score=float(a.score) if a else 0.0)

        def clips(shot_ids: Sequence[str]) -> list[BinClip]:
            return [clip(view.catalog.shots[s]) for s in shot_ids]

        bins = []
        for cluster in view.index.live_clusters():
            if wanted and cluster.cluster_id not in wanted:
                continue
            children = [Bin(sub.bin_id, sub.name, "character", clips(sub.shot_ids))
                        for sub in view.sub_bins(cluster.cluster_id)]
            bins.append(Bin(cluster.cluster_id, cluster.display_name, "scene",
                            clips(view.members(cluster.cluster_id)), children))
        noise = view.members(None)
        if include_noise and (not wanted or None in wanted) and noise:
            bins.append(Bin("noise", "Noise", "noise", clips(noise)))
        return BinSet(project=project_name or self.project_name, bins=bins)

    def export(self, fmt: str, cluster_ids: Sequence[str | None] = (), include_noise: bool = True,
               out_dir: str = "", options: dict[str, str] | None = None, project_name: str = "") -> list[ExportedFile]:
        try:
            exporter = get_exporter(fmt)
        except KeyError:
            raise InvalidInput(f"unknown export format {fmt!r}; choose one of {', '.join(available_formats())}") \
                from None
        try:
            export_options = ExportOptions(project_name=project_name or None, include_noise=include_noise,
                                           **(options or {}))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"bad export options {options}: {exc}") from None
        binset = self.binset(cluster_ids, include_noise, project_name)
        if out_dir:
            target = Path(out_dir).expanduser()
            target.mkdir(parents=True, exist_ok=True)
            return [ExportedFile(p.name, path=str(p)) for p in exporter.write(binset, target, export_options)]
        with tempfile.TemporaryDirectory() as tmp:
            return [ExportedFile(p.name, data=p.read_bytes()) for p in exporter.write(binset, Path(tmp), export_options)]

