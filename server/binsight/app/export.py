"""ExportService: bins as files NLEs import, built from the domain (scene index, catalog,
characters), never from the API's cluster tree.

Top-level bins: every scene bin (with its character sub-bins), a people bin for every person
(each holding every shot they are in, whatever its scene), then the noise bucket.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..bins import Bin, BinClip, BinKind, BinSet, Slate
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable
from ..faults import fault_point
from ..exporters import ExportOptions, available_formats, get_exporter
from ..records import SlateRecord
from ..scene_index import SceneIndex
from ..validate import MAX_PATH_CHARS, check_ids, check_name, shown
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
    def __init__(self, index: SceneIndex, view: Callable[[], ProjectView], project_name: str, root: Path) -> None:
        self.index = index
        self.view = view
        self.project_name = project_name
        self.root = root  # the only folder the server writes exports into

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
            return _clips(view, shot_ids)

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

    def shots_binset(self, shot_ids: Sequence[str], name: str, project_name: str = "") -> BinSet:
        """One bin of the given shots, in the order given (a search's results)."""
        view = self.view()
        missing = [s for s in shot_ids if s not in view.catalog.shots]
        if missing:
            raise NotFound(f"no shot with id {shown(missing[0])}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        return BinSet(project=project_name or self.project_name,
                      bins=(Bin("selection", name or "Selection", BinKind.SCENE, _clips(view, shot_ids)),))

    def export(self, fmt: str, cluster_ids: Sequence[str | None] = (), include_noise: bool = True,
               out_dir: str = "", options: dict[str, str] | None = None, project_name: str = "",
               overwrite: bool = False, shot_ids: Sequence[str] = (), bin_name: str = "") -> ExportOutcome:
        """Render the bins in ``fmt``: the files' bytes back, or, with ``out_dir`` (a folder under
        the export root; a relative one is taken from there), written on the server, all files
        or none, never over an existing file unless ``overwrite``."""
        exporter = get_exporter(fmt, options or {})  # InvalidInput names the valid formats and options
        target = self._target(out_dir) if out_dir else None
        if shot_ids:
            binset = self.shots_binset(check_ids(shot_ids, "shots"), check_name(bin_name), project_name)
        else:
            check_ids([c or NOISE_BIN for c in cluster_ids], "bins")  # bounds the request
            binset = self.binset(cluster_ids, include_noise, project_name)
        result = exporter.render(binset, ExportOptions(project_name=project_name or None, include_noise=include_noise))
        for warning in result.warnings:
            log.warning("export warning", extra={"format": fmt, "warning": warning})
        if target is None:
            return ExportOutcome(tuple(ExportedFile(f.name, data=f.data) for f in result.files), result.warnings)
        paths = write_all(target, [(f.name, f.data) for f in result.files], overwrite)
        return ExportOutcome(tuple(ExportedFile(p.name, path=str(p)) for p in paths), result.warnings)

    def _target(self, out_dir: str) -> Path:
        if "\0" in out_dir:
            raise InvalidInput("the export folder holds a NUL character")
        if len(out_dir) > MAX_PATH_CHARS:
            raise InvalidInput(f"an export folder can have at most {MAX_PATH_CHARS} characters, not {len(out_dir)}")
        root = self.root.expanduser().resolve()
        target = (root / out_dir).resolve()  # an absolute out_dir replaces the root, then is checked
        if target != root and not target.is_relative_to(root):
            raise PermissionDenied(f"the server writes exports only under its export root {root}; give a folder "
                                   f"inside it (a relative one is taken from there), or ask for the files' bytes")
        try:
            for folder in (target, *target.parents):  # the first one that exists must be a folder
                if folder.exists():
                    if not folder.is_dir():
                        raise InvalidInput(f"{shown(out_dir)}: {shown(folder.name)} is a file, not a folder")
                    break
        except OSError as exc:  # a name over 255 bytes, a loop
            raise InvalidInput(f"{shown(out_dir)} cannot be an export folder ({exc.strerror or exc})") from None
        return target


def _clips(view: ProjectView, shot_ids: Sequence[str]) -> tuple[BinClip, ...]:
    """Committed shots as bin clips: named after their slate ("12A/3") or else their file and
    position, with the slate's fields, keyframes, cast and placement score."""
    people = view.characters
    out = []
    for shot in (view.catalog.shots[s] for s in shot_ids if s in view.catalog.shots):
        media = source_media(view.catalog.media_of(shot))
        a = view.index.assignments.get(shot.shot_id)
        out.append(BinClip(shot_id=shot.shot_id, name=view.slate_label(shot) or f"{media.name} #{shot.index + 1}",
                           media=media, slate=_slate(view.slates.get(shot.media_id)),
                           start_frame=shot.start_frame, end_frame=shot.end_frame,
                           keyframes=tuple(k.frame for k in view.catalog.keyframes_of(shot.shot_id)),
                           characters=tuple(people.name(c) for c in people.shot_characters.get(shot.shot_id, ())),
                           score=float(a.score) if a else 0.0))
    return tuple(out)


def _slate(record: SlateRecord | None) -> Slate:
    """What an export writes as the clip's scene, take, camera roll and angle: sure fields only."""
    if record is None:
        return Slate()
    return Slate(scene=record.setup(), take=record.field("take"), camroll=record.field("roll"),
                 camera_angle=record.field("camera"))


def write_all(folder: Path, files: Sequence[tuple[str, bytes]], overwrite: bool) -> list[Path]:
    """Write every file or none: each goes to a temporary name first, and only when all are
    written are they renamed into place (a full disk leaves the folder as it was)."""
    clashes = [name for name, _ in files if (folder / name).exists()]
    if clashes and not overwrite:
        raise Conflict(f"{len(clashes)} file(s) exist in {folder} ({', '.join(clashes[:3])}); "
                       f"export elsewhere or ask to overwrite")
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, _ in files:  # what an export cut off by a crash left behind
            for stale in folder.glob(f".{glob.escape(name)}.*.part"):
                stale.unlink(missing_ok=True)
        for name, data in files:
            tmp = folder / f".{name}.{os.getpid()}.part"
            written.append(tmp)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                fault_point("export_write")
                os.fsync(f.fileno())
    except OSError as exc:
        for tmp in written:
            tmp.unlink(missing_ok=True)
        raise Unavailable(f"could not write the export to {folder}: {exc.strerror or exc} "
                          f"(nothing was written; free space or pick another folder)") from None
    fault_point("export_rename")
    paths = []
    for tmp, (name, _) in zip(written, files):
        os.replace(tmp, folder / name)
        paths.append(folder / name)
    return paths
