"""The panels' work as plain functions of ``(resolve, client, ...)`` with typed results.

The window calls these, and so can any script or test: ``resolve`` is the live Resolve object
(or a fake of it), ``client`` a ``binsight_client.Client``. The server decides everything about
shots and bins; these functions read the Media Pool, send it to the server and write the
server's answer back into Resolve as folders, clip metadata, markers and timelines.

All Resolve calls happen on the calling thread (Resolve's API is not thread-safe); only unary
server calls are made, so a UI can call them from its event loop. Long work is split so a timer
can follow it: an ingest returns its job id (:func:`job_progress`), a timeline comparison
returns a :class:`PendingCompare` whose renders are polled. The one call that can take long is
``Compare`` on files the server has not analysed before (a full decode, cached afterwards).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from binsight_client import DeadlineExceeded

from .edition import EXCLUSIVE_END_SINCE, SELECTION_SINCE, detect, has_call
from .pool import PoolClip, PoolFolder, PoolIndex, folder_clips, norm_path, parse_rate, read_clip
from .settings import PanelSettings
from .state import PanelState

ROOT_FOLDER = "Binsight"
TIMELINES_FOLDER = "Timelines"
MARKER_TAG = "binsight:"
"""Prefix of the ``customData`` of every marker the panel adds (one per shot), so it finds and
updates its own markers and never touches the editor's."""

CLIP_COLORS = ("Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
               "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
"""The only names ``SetClipColor`` accepts (anything else returns a bare False)."""
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")

SCOPES = {"pool": "the whole Media Pool", "bin": "the current bin", "selection": "the selected clips"}
MODES = {"move": "move clips into one folder per bin", "tag": "tag clips: keywords, clip colour, a marker per shot"}


class PanelError(Exception):
    """A request the panel refuses, with what to do instead; nothing was changed."""


# ------------------------------------------------------------------------------------------------
# shared reading
# ------------------------------------------------------------------------------------------------
def current_project(resolve: Any) -> Any:
    project = resolve.GetProjectManager().GetCurrentProject()
    if project is None:
        raise PanelError("no project is open in Resolve; open one and try again")
    return project


def _state_dir(state_dir: Optional[Path]) -> Path:
    return Path(state_dir) if state_dir else PanelSettings.from_environ().state_dir


def _values(result: Any) -> List[Any]:
    """Resolve hands back lists, or dicts keyed 1..n from older calls."""
    if isinstance(result, dict):
        return [result[k] for k in sorted(result)]
    return list(result or [])


def shot_name(shot: Any) -> str:
    """The name every Binsight export gives a shot: "<file name> #<n>"."""
    return f"{os.path.basename(shot.media_path)} #{shot.index + 1}"


@dataclass(frozen=True)
class BinInfo:
    """One bin of the server's tree: a scene bin, a character sub-bin or the noise bucket."""

    bin_id: str
    name: str
    kind: str
    parent_id: str
    shots: Tuple[Any, ...]
    locked: bool = False


def bins_of(tree: Any, include_noise: bool = True, people: bool = False) -> List[BinInfo]:
    """Scene bins each followed by its character sub-bins, then (with ``people``) the
    project-wide people bins, then the noise bucket. People bins repeat shots the scene bins
    hold, so only the pages that pick bins one by one (timelines, export) ask for them."""
    out: List[BinInfo] = []
    for scene in tree.clusters:
        out.append(BinInfo(scene.cluster_id, scene.name or scene.cluster_id, "scene", "", tuple(scene.shots),
                           scene.locked))
        for child in scene.children:
            out.append(BinInfo(child.cluster_id, child.name or child.cluster_id, "character", scene.cluster_id,
                               tuple(child.shots)))
    if people:
        out += [BinInfo(p.cluster_id, p.name or p.cluster_id, "person", "", tuple(p.shots))
                for p in getattr(tree, "people", ())]
    if include_noise and tree.noise is not None and tree.noise.shots:
        out.append(BinInfo(tree.noise.cluster_id, tree.noise.name or "Noise", "noise", "", tuple(tree.noise.shots)))
    return out


def _leaf_bins(bins: Sequence[BinInfo]) -> Dict[str, BinInfo]:
    """shot id -> the most specific bin holding it (its character sub-bin, else its scene bin)."""
    leaf: Dict[str, BinInfo] = {}
    for b in bins:
        for shot in b.shots:
            if b.kind == "character" or shot.shot_id not in leaf:
                leaf[shot.shot_id] = b
    return leaf


def _stable_pick(names: Sequence[str], key: str) -> str:
    return names[zlib.crc32(key.encode("utf-8")) % len(names)]


# ------------------------------------------------------------------------------------------------
# ingest
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IngestReport:
    scope: str
    job_id: str                        # "" when there was nothing to send
    sent: Tuple[str, ...]              # file paths sent to the server
    already_ingested: Tuple[str, ...]  # clip names whose file the project already holds
    not_footage: Tuple[str, ...]       # "name (Type)": timelines, stills, audio, generators
    clips: Tuple[PoolClip, ...]        # every footage clip in scope, with FPS, Start TC, unique id


def scope_clips(resolve: Any, scope: str) -> List[PoolClip]:
    """The clips of the whole pool, the current bin or the Media Pool selection."""
    if scope not in SCOPES:
        raise PanelError(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")
    pool = current_project(resolve).GetMediaPool()
    if scope == "pool":
        return PoolIndex(pool).clips
    if scope == "bin":
        return folder_clips(pool.GetCurrentFolder())
    edition = detect(resolve)
    if not edition.at_least(SELECTION_SINCE) or not has_call(pool, "GetSelectedClips"):
        raise PanelError(f"ingesting the selected clips needs Resolve 19.0.2 or later "
                         f"(MediaPool.GetSelectedClips); this is {edition.label}: ingest the current bin instead")
    return [read_clip(item, "") for item in _values(pool.GetSelectedClips())]


def ingest(resolve: Any, client: Any, scope: str = "bin", force: bool = False) -> IngestReport:
    """Send the footage of ``scope`` to the server, skipping files it already holds (by path);
    returns at once with the job id (follow it with :func:`job_progress`)."""
    clips = scope_clips(resolve, scope)
    footage = [c for c in clips if c.footage]
    not_footage = tuple(f"{c.name} ({c.kind or 'no file'})" for c in clips if not c.footage)
    known = set() if force else {norm_path(m.path) for m in client.list_media()}
    sent: List[str] = []
    already: List[str] = []
    seen = set()
    for clip in footage:
        if clip.key in seen:
            continue  # the same file imported twice
        seen.add(clip.key)
        if clip.key in known:
            already.append(clip.name)
        else:
            sent.append(clip.path)
    job_id = client.start_ingest(sent, recursive=False, force=force).job_id if sent else ""
    return IngestReport(scope, job_id, tuple(sent), tuple(already), not_footage, tuple(footage))


@dataclass(frozen=True)
class JobProgress:
    job_id: str
    state: str
    files_done: int
    files_total: int
    shots_found: int
    results: Tuple[str, ...] = ()   # one line per file, once the job has ended
    error: str = ""

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    @property
    def line(self) -> str:
        return f"{self.state}: {self.files_done}/{self.files_total} files, {self.shots_found} shots"


def job_progress(client: Any, job_id: str, timeout: float = 5.0) -> JobProgress:
    """One short call: where an ingest job stands."""
    job = client.get_job(job_id, timeout=timeout)
    results: Tuple[str, ...] = ()
    if job.done:
        results = tuple(f"{f.status}: {os.path.basename(f.path)}" + (f" ({f.message})" if f.message else "")
                        + (f", {f.shots} shots" if f.shots else "") for f in job.files)
    return JobProgress(job.job_id, job.state, job.files_done, job.files_total, job.shots_found, results, job.error)


def wait_for_job(client: Any, job_id: str, poll_s: float = 0.2, timeout_s: float = 3600.0) -> JobProgress:
    """Block until the job ends (for scripts; the window polls from a timer instead)."""
    deadline = time.monotonic() + timeout_s
    state = "unknown"
    while True:
        try:
            progress = job_progress(client, job_id)
        except DeadlineExceeded:
            progress = None  # a server busy ingesting answered late: ask again
        if progress is not None and progress.done:
            return progress
        state = progress.state if progress is not None else state
        if time.monotonic() > deadline:
            raise PanelError(f"ingest job {job_id} still {state} after {timeout_s:.0f} s")
        time.sleep(poll_s)


# ------------------------------------------------------------------------------------------------
# bins in the Media Pool
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EditorChange:
    """Something the editor changed by hand since the last run; the panel leaves it as it is."""

    clip: str
    change: str   # "moved" | "recoloured" | "removed keyword"
    detail: str


@dataclass(frozen=True)
class BinsReport:
    mode: str
    folders_created: Tuple[str, ...] = ()
    folders_removed: Tuple[str, ...] = ()
    clips_moved: Tuple[str, ...] = ()
    clips_tagged: Tuple[str, ...] = ()
    markers_added: int = 0
    markers_removed: int = 0
    editor_changes: Tuple[EditorChange, ...] = ()  # noticed this run
    respected: int = 0                               # clips left alone for changes noticed before
    not_in_pool: Tuple[str, ...] = ()                # ingested files with no clip in this project
    notes: Tuple[str, ...] = ()
    errors: Tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.folders_created or self.folders_removed or self.clips_moved or self.clips_tagged
                    or self.markers_added or self.markers_removed)

    def lines(self) -> List[str]:
        out = [f"{MODES[self.mode]}: {len(self.folders_created)} folders created, "
               f"{len(self.clips_moved)} clips moved, {len(self.clips_tagged)} clips tagged, "
               f"{self.markers_added} markers added, {self.markers_removed} removed"]
        out += [f"created {f}" for f in self.folders_created]
        out += [f"removed empty {f}" for f in self.folders_removed]
        out += [f"moved {c}" for c in self.clips_moved]
        out += [f"tagged {c}" for c in self.clips_tagged]
        out += [f"left alone: {c.clip} {c.change} by hand ({c.detail})" for c in self.editor_changes]
        if self.respected:
            out.append(f"{self.respected} clips left alone where you put them earlier")
        out += [f"not in this project: {p}" for p in self.not_in_pool]
        out += list(self.notes)
        out += [f"error: {e}" for e in self.errors]
        return out


@dataclass
class _Run:
    """Everything one create_bins / make_timelines run reads once and writes as it goes."""

    pool: Any
    index: PoolIndex
    state: PanelState
    created: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def folder(self, known_uid: str, parent_uid: str, name: str) -> PoolFolder:
        """The folder the panel made before (even if the editor renamed it), else the first
        sub-folder of that name, else a new one."""
        if known_uid in self.index.folders:
            return self.index.folders[known_uid]
        existing = self.index.child_named(parent_uid, name)
        if existing is not None:
            return existing
        parent = self.index.folders[parent_uid]
        made = self.pool.AddSubFolder(parent.folder, name)
        if made is None:
            raise PanelError(f"Resolve refused to create the folder {name!r} in {self.index.path_of(parent_uid)}")
        found = PoolFolder(str(made.GetUniqueId() or ""), str(made.GetName() or name), parent_uid, made)
        self.index.folders[found.uid] = found
        self.index.children.setdefault(parent_uid, []).append(found.uid)
        self.created.append(self.index.path_of(found.uid))
        return found

    def root(self) -> PoolFolder:
        root = self.folder(self.state.root_folder, self.index.root_uid, ROOT_FOLDER)
        self.state.root_folder = root.uid
        return root


def _unique(names: Iterable[str], taken: Iterable[str] = ()) -> List[str]:
    """Folder names made unique among siblings ("Kitchen", "Kitchen (2)"), in order."""
    used = set(taken)
    out = []
    for raw in names:
        base = " ".join(raw.replace("/", "-").split()) or "Bin"
        name, n = base, 2
        while name in used:
            name, n = f"{base} ({n})", n + 1
        used.add(name)
        out.append(name)
    return out


def _open(resolve: Any, state_dir: Optional[Path]) -> Tuple[Any, _Run]:
    project = current_project(resolve)
    pool = project.GetMediaPool()
    state = PanelState.load(_state_dir(state_dir), str(project.GetUniqueId() or project.GetName()))
    return project, _Run(pool, PoolIndex(pool), state)


def _start(resolve: Any, client: Any, state_dir: Optional[Path]) -> Tuple[Any, _Run, List[BinInfo]]:
    project, run = _open(resolve, state_dir)
    return project, run, bins_of(client.list_clusters(include_shots=True))


def create_bins(resolve: Any, client: Any, mode: str = "move", state_dir: Optional[Path] = None) -> BinsReport:
    """Write the server's bins into the Media Pool, under a ``Binsight`` folder.

    ``move``: one folder per bin (character sub-bins inside their scene's folder, plus
    ``Noise``); each clip moves to the bin holding most of its frames. ``tag``: clips stay where
    the editor keeps them and get the bins' names as keywords, their main bin's clip colour and a
    marker per shot at its in point, as long as the shot and named for it.

    Both are idempotent. Clips the editor moved (or recoloured, or whose keyword of ours the
    editor removed) since the last run are reported and left as they are, then and afterwards.
    """
    if mode not in MODES:
        raise PanelError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    _, run, bins = _start(resolve, client, state_dir)
    leaf = _leaf_bins(bins)
    by_path = run.index.footage_by_path()
    shots_of: Dict[str, List[Any]] = {}
    for b in bins:
        for shot in b.shots:
            if b.kind != "character":  # every shot once: scene bins and noise hold them all
                shots_of.setdefault(norm_path(shot.media_path), []).append(shot)
    not_in_pool = tuple(sorted(os.path.basename(shots[0].media_path) for key, shots in shots_of.items()
                               if key not in by_path))
    report = (_move if mode == "move" else _tag)(run, bins, leaf, by_path, shots_of)
    run.state.save(_state_dir(state_dir))
    return dataclasses.replace(report, folders_created=tuple(run.created), not_in_pool=not_in_pool,
                               notes=tuple(run.notes) + report.notes)


def _home_bin(shots: Sequence[Any], leaf: Dict[str, BinInfo]) -> BinInfo:
    """The bin holding most of a clip's frames; on a tie, the bin of its earliest shot."""
    frames: Dict[str, int] = {}
    first: Dict[str, int] = {}
    for shot in shots:
        b = leaf[shot.shot_id].bin_id
        frames[b] = frames.get(b, 0) + shot.end_frame - shot.start_frame
        first[b] = min(first.get(b, shot.start_frame), shot.start_frame)
    best = max(frames, key=lambda b: (frames[b], -first[b]))
    return next(leaf[s.shot_id] for s in shots if leaf[s.shot_id].bin_id == best)


def _move(run: _Run, bins: List[BinInfo], leaf: Dict[str, BinInfo], by_path: Dict[str, List[PoolClip]],
          shots_of: Dict[str, List[Any]]) -> BinsReport:
    root = run.root()
    folder_of: Dict[str, PoolFolder] = {}
    top = [b for b in bins if not b.parent_id]
    named = dict(zip([b.bin_id for b in top], _unique([b.name for b in top], taken=[TIMELINES_FOLDER])))
    for b in top:
        children = [c for c in bins if c.parent_id == b.bin_id]
        named.update(zip([c.bin_id for c in children], _unique([c.name for c in children])))
    for b in bins:  # scenes come before their sub-bins
        parent = folder_of[b.parent_id].uid if b.parent_id else root.uid
        folder = folder_of[b.bin_id] = run.folder(run.state.folders.get(b.bin_id, ""), parent, named[b.bin_id])
        run.state.folders[b.bin_id] = folder.uid
        if folder.name != named[b.bin_id]:
            run.notes.append(f"bin {b.name!r} lives in the folder {run.index.path_of(folder.uid)} (Resolve "
                             f"scripts cannot rename folders: rename it by hand if you like)")

    changes: List[EditorChange] = []
    respected = 0
    moves: Dict[str, List[PoolClip]] = {}
    notes: List[str] = []
    for key, clips in sorted(by_path.items()):
        shots = shots_of.get(key)
        if not shots:
            continue  # not ingested: not Binsight's to place
        home = _home_bin(shots, leaf)
        target = folder_of[home.bin_id]
        spread = sorted({leaf[s.shot_id].name for s in shots})
        if len(spread) > 1:
            notes.append(f"{clips[0].name} has shots in {len(spread)} bins ({', '.join(spread)}); it sits in "
                         f"{run.index.path_of(target.uid)}, which holds most of its frames")
        for clip in clips:
            record = run.state.clips.get(clip.uid)
            if record is not None and record.moved_by_editor:
                respected += 1
            elif record is not None and record.folder and clip.folder_uid != record.folder:
                was = run.index.path_of(record.folder) or "a folder since deleted"
                changes.append(EditorChange(clip.name, "moved", f"from {was} to {run.index.path_of(clip.folder_uid)}"))
                record.moved_by_editor = True
            elif clip.folder_uid == target.uid:
                run.state.clip(clip.uid).folder = target.uid
            else:
                moves.setdefault(target.uid, []).append(clip)

    moved: List[str] = []
    errors: List[str] = []
    for uid, clips in moves.items():
        if run.pool.MoveClips([c.item for c in clips], run.index.folders[uid].folder):
            for clip in clips:
                run.state.clip(clip.uid).folder = uid
                moved.append(f"{clip.name} -> {run.index.path_of(uid)}")
        else:
            errors.append(f"Resolve refused to move {', '.join(c.name for c in clips)} into {run.index.path_of(uid)}")

    removed = _remove_stale_folders(run, {b.bin_id for b in bins})
    return BinsReport("move", folders_removed=removed, clips_moved=tuple(moved), editor_changes=tuple(changes),
                      respected=respected, notes=tuple(notes), errors=tuple(errors))


def _remove_stale_folders(run: _Run, live: set) -> Tuple[str, ...]:
    """Folders of bins that no longer exist (merged, emptied): deleted when empty, else kept and
    reported (whatever is left in them, the editor put there)."""
    stale = {b: uid for b, uid in run.state.folders.items() if b not in live}
    if not stale:
        return ()
    index = PoolIndex(run.pool)  # after the moves
    removed = []
    doomed = []
    for bin_id, uid in sorted(stale.items()):
        del run.state.folders[bin_id]
        if uid in index.folders and index.is_empty(uid):
            doomed.append(index.folders[uid])
        elif uid in index.folders:
            run.notes.append(f"kept {index.path_of(uid)}: its bin is gone but it still holds clips or folders")
    if doomed and run.pool.DeleteFolders([f.folder for f in doomed]):
        removed = [index.path_of(f.uid) for f in doomed]
    return tuple(removed)


def _keywords(text: Any) -> List[str]:
    return [k.strip() for k in str(text or "").split(",") if k.strip()]


def _keyword(name: str) -> str:
    """Bin names as keywords: commas separate keywords in Resolve, so they become '&'."""
    return " ".join(name.replace(",", " &").split())


def _tag(run: _Run, bins: List[BinInfo], leaf: Dict[str, BinInfo], by_path: Dict[str, List[PoolClip]],
         shots_of: Dict[str, List[Any]]) -> BinsReport:
    scene_of = {b.bin_id: b for b in bins if not b.parent_id}
    changes: List[EditorChange] = []
    tagged: List[str] = []
    errors: List[str] = []
    added = removed = respected = 0
    for key, clips in sorted(by_path.items()):
        shots = shots_of.get(key)
        if not shots:
            continue
        names: List[str] = []
        for shot in shots:
            b = leaf[shot.shot_id]
            for n in ([scene_of[b.parent_id].name] if b.parent_id else []) + [b.name]:
                if _keyword(n) not in names:
                    names.append(_keyword(n))
        home = _home_bin(shots, leaf)
        scene = scene_of[home.parent_id] if home.parent_id else home
        color = _stable_pick(CLIP_COLORS, scene.bin_id)
        for clip in clips:
            record = run.state.clip(clip.uid)
            item = clip.item
            touched = False
            # keywords: add ours, drop ours that no longer apply, never re-add one the editor removed
            current = _keywords(item.GetMetadata("Keywords"))
            for k in record.keywords:
                if k not in current and k not in record.declined:
                    record.declined.append(k)
                    changes.append(EditorChange(clip.name, "removed keyword", f"{k!r}; not added back"))
            wanted = [k for k in names if k not in record.declined]
            result = [k for k in current if k not in record.keywords or k in wanted]
            result += [k for k in wanted if k not in result]
            if result != current:
                if item.SetMetadata("Keywords", ", ".join(result)):
                    touched = True
                else:
                    errors.append(f"Resolve refused the keywords of {clip.name}")
            record.keywords = [k for k in wanted if k in result]
            # clip colour: set it while it is unset or still the one we set
            now = str(item.GetClipColor() or "")
            if record.recolored_by_editor:
                respected += 1
            elif record.color and now != record.color:
                changes.append(EditorChange(clip.name, "recoloured", f"from {record.color} to {now or 'none'}"))
                record.recolored_by_editor = True
            elif now and not record.color:
                record.recolored_by_editor = True  # the editor's own colour was there first
            elif now != color:
                if item.SetClipColor(color):
                    record.color = color
                    touched = True
                else:
                    errors.append(f"Resolve refused the clip colour {color} for {clip.name}")
            else:
                record.color = color
            # markers: one per shot, found again by customData
            marker_added, marker_removed, conflicts = _markers(item, shots, leaf, scene_of)
            added += marker_added
            removed += marker_removed
            errors += [f"{clip.name}: {c}" for c in conflicts]
            if touched or marker_added or marker_removed:
                tagged.append(clip.name)
    return BinsReport("tag", clips_tagged=tuple(tagged), markers_added=added, markers_removed=removed,
                      editor_changes=tuple(changes), respected=respected, errors=tuple(errors))


def _markers(item: Any, shots: Sequence[Any], leaf: Dict[str, BinInfo],
             scene_of: Dict[str, BinInfo]) -> Tuple[int, int, List[str]]:
    """Bring the clip's Binsight markers in line with its shots; returns (added, removed,
    problems). Frames count from the clip's first frame, as ``Shot.start_frame`` does."""
    ours = {str(m.get("customData", "")): (float(frame), m) for frame, m in (item.GetMarkers() or {}).items()
            if str(m.get("customData", "")).startswith(MARKER_TAG)}
    added = removed = 0
    problems: List[str] = []
    wanted = set()
    for shot in shots:
        b = leaf[shot.shot_id]
        scene = scene_of[b.parent_id] if b.parent_id else b
        custom = MARKER_TAG + shot.shot_id
        wanted.add(custom)
        marker = {"color": _stable_pick(MARKER_COLORS, scene.bin_id), "name": shot_name(shot),
                  "note": f"{b.name}, {shot.source_in}-{shot.source_out}",
                  "duration": float(shot.end_frame - shot.start_frame)}
        have = ours.get(custom)
        if have is not None:
            frame, old = have
            if frame == float(shot.start_frame) and all(old.get(k) == v for k, v in marker.items()):
                continue
            if item.DeleteMarkerByCustomData(custom):
                removed += 1
        if item.AddMarker(shot.start_frame, marker["color"], marker["name"], marker["note"],
                          shot.end_frame - shot.start_frame, custom):
            added += 1
        else:
            problems.append(f"no marker for {marker['name']} at frame {shot.start_frame}: "
                            f"another marker sits there")
    for custom in sorted(set(ours) - wanted):
        if item.DeleteMarkerByCustomData(custom):
            removed += 1
    return added, removed, problems


# ------------------------------------------------------------------------------------------------
# timelines
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineReport:
    bin_id: str
    bin_name: str
    timeline: str                    # name of the timeline made ("" when none could be)
    shots: int                       # shots placed
    frames: int                      # length on the timeline, in timeline frames
    missing: Tuple[str, ...] = ()    # shots whose file has no clip in this project
    problems: Tuple[str, ...] = ()   # what the read-back found different from the shots
    notes: Tuple[str, ...] = ()      # what this Resolve could not read back


def make_timelines(resolve: Any, client: Any, bin_ids: Sequence[str],
                   state_dir: Optional[Path] = None) -> List[TimelineReport]:
    """One new timeline per bin holding exactly its shots' ranges, in the bin's order, in
    ``Binsight/Timelines``. A name already taken gets a number; existing timelines are never
    touched. Each timeline is read back and any difference reported."""
    if not bin_ids:
        raise PanelError("choose at least one bin to make a timeline of")
    project, run = _open(resolve, state_dir)
    chosen = {b.bin_id: b for b in bins_of(client.list_clusters(include_shots=True), people=True)}
    unknown = [b for b in bin_ids if b not in chosen]
    if unknown:
        raise PanelError(f"no bin {', '.join(unknown)} in the Binsight project (refresh the bins)")
    return _timelines(resolve, project, run, [chosen[b] for b in bin_ids], state_dir)


def timeline_of_shots(resolve: Any, name: str, shots: Sequence[Any],
                      state_dir: Optional[Path] = None) -> TimelineReport:
    """One new timeline of these shots' ranges, in this order (a search's results), made like a
    bin's timeline: in ``Binsight/Timelines``, read back and checked."""
    if not shots:
        raise PanelError("there are no shots to make a timeline of")
    if not name.strip():
        raise PanelError("name the timeline first")
    project, run = _open(resolve, state_dir)
    (report,) = _timelines(resolve, project, run, [BinInfo("", name.strip(), "search", "", tuple(shots))],
                           state_dir)
    return report


def _timelines(resolve: Any, project: Any, run: _Run, chosen: Sequence[BinInfo],
               state_dir: Optional[Path]) -> List[TimelineReport]:
    edition = detect(resolve)
    by_path = run.index.footage_by_path()
    timeline_rate = parse_rate(str(project.GetSetting("timelineFrameRate") or ""))
    folder = run.folder(run.state.timelines_folder, run.root().uid, TIMELINES_FOLDER)
    run.state.timelines_folder = folder.uid
    taken = {str(project.GetTimelineByIndex(i).GetName()) for i in range(1, int(project.GetTimelineCount() or 0) + 1)}
    previous = run.pool.GetCurrentFolder()
    run.pool.SetCurrentFolder(folder.folder)  # new timelines land in the current folder
    reports = []
    try:
        for b in chosen:
            reports.append(_timeline(project, run.pool, b, by_path, taken, timeline_rate,
                                     edition.at_least(EXCLUSIVE_END_SINCE)))
    finally:
        if previous is not None:
            run.pool.SetCurrentFolder(previous)
        run.state.save(_state_dir(state_dir))
    return reports


def _timeline(project: Any, pool: Any, b: BinInfo, by_path: Dict[str, List[PoolClip]], taken: set,
              timeline_rate: Any, exclusive_end: bool) -> TimelineReport:
    infos = []
    expected = []
    missing = []
    for shot in b.shots:
        clips = by_path.get(norm_path(shot.media_path))
        if not clips:
            missing.append(shot_name(shot))
            continue
        clip = clips[0]
        frames = shot.end_frame - shot.start_frame
        infos.append({"mediaPoolItem": clip.item, "startFrame": shot.start_frame,
                      "endFrame": shot.end_frame if exclusive_end else shot.end_frame - 1})
        rate = parse_rate(clip.fps)
        on_timeline = frames if not (rate and timeline_rate and rate != timeline_rate) \
            else math.floor(frames * timeline_rate / rate)
        expected.append((shot_name(shot), shot.start_frame, on_timeline))
    if not infos:
        return TimelineReport(b.bin_id, b.name, "", 0, 0, tuple(missing),
                              ("none of its shots' files is in this project",))
    name, n = b.name, 2
    while name in taken:
        name, n = f"{b.name} {n}", n + 1
    timeline = pool.CreateEmptyTimeline(name)
    if timeline is None:
        return TimelineReport(b.bin_id, b.name, "", 0, 0, tuple(missing), (f"Resolve refused a timeline named {name!r}",))
    taken.add(name)
    project.SetCurrentTimeline(timeline)
    pool.AppendToTimeline(infos)
    # read the track back rather than trusting the returned items (they can be unusable)
    items = _values(timeline.GetItemListInTrack("video", 1))
    problems = []
    notes = ()
    if len(items) != len(expected):
        problems.append(f"{len(items)} of {len(expected)} shots are on the timeline")
    sources = bool(items) and has_call(items[0], "GetSourceStartFrame")
    if items and not sources:
        notes = ("in points not read back: TimelineItem.GetSourceStartFrame needs Resolve 19.0.2",)
    for item, (label, start, frames) in zip(items, expected):
        got_start, got_frames = int(item.GetSourceStartFrame()) if sources else start, int(item.GetDuration())
        if (got_start, got_frames) != (start, frames):
            problems.append(f"{label}: source frame {got_start} for {got_frames} frames, "
                            f"expected {start} for {frames}")
    length = sum(int(i.GetDuration()) for i in items)
    return TimelineReport(b.bin_id, b.name, name, len(items), length, tuple(missing), tuple(problems), notes)


# ------------------------------------------------------------------------------------------------
# export
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportReport:
    format: str
    folder: str
    files: Tuple[str, ...]


def export(client: Any, fmt: str, bin_ids: Sequence[str], folder: str, include_noise: bool = True,
           options: Optional[Dict[str, str]] = None, project: str = "") -> ExportReport:
    """Export the chosen scene bins (with their character sub-bins; the noise bucket's id picks
    the noise bucket; none chosen: every bin) in ``fmt`` to ``folder`` on this machine. The
    server sends the files' bytes, so this works with a server on another machine too."""
    formats = client.export_formats()
    if fmt not in formats:
        raise PanelError(f"unknown export format {fmt!r}; the server offers {', '.join(formats)}")
    target = Path(folder).expanduser()
    if not str(folder).strip():
        raise PanelError("choose a folder to export to")
    if target.exists() and not target.is_dir():
        raise PanelError(f"{target} is a file, not a folder")
    files = client.export(fmt, cluster_ids=list(bin_ids), include_noise=include_noise, options=options or {},
                          project=project)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = target / os.path.basename(f.name)
        path.write_bytes(f.data)
        written.append(str(path))
    return ExportReport(fmt, str(target), tuple(written))


# ------------------------------------------------------------------------------------------------
# search
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchResults:
    """What a search found: shots, best first, each with its score."""

    query: str                          # "like a.mp4" or "text: a kitchen"
    hits: Tuple[Tuple[Any, float], ...]  # (Shot, score)
    excluded: int = 0                   # the example clip's own shots, left out

    @property
    def shots(self) -> List[Any]:
        return [shot for shot, _ in self.hits]

    def lines(self) -> List[str]:
        out = [f"{self.query}: {len(self.hits)} shots" + (f" ({self.excluded} of the example clip's own left out)"
                                                          if self.excluded else "")]
        out += [f"{score:.3f}  {shot_name(shot)}  {shot.source_in}-{shot.source_out}" for shot, score in self.hits]
        return out


def text_search_state(client: Any) -> Tuple[bool, str]:
    """Whether the server can search by words, and what to show either way (the model's name)."""
    status = client.status(timeout=5)
    model = status.scene_model.name if status.scene_model is not None else "unknown"
    if status.text_search:
        return True, f"text search with {model}"
    return False, (f"text search needs a CLIP pack; the server's scene model is {model} "
                   f"(install one with `binsight models pull clip-vit-b-32`, then restart the server)")


def selected_clip(resolve: Any) -> PoolClip:
    """The one footage clip selected in the Media Pool (``GetSelectedClips``, Resolve 19.0.2+)."""
    pool = current_project(resolve).GetMediaPool()
    edition = detect(resolve)
    if not edition.at_least(SELECTION_SINCE) or not has_call(pool, "GetSelectedClips"):
        raise PanelError(f"reading the Media Pool selection needs Resolve 19.0.2 or later "
                         f"(MediaPool.GetSelectedClips); this is {edition.label}")
    clips = [c for c in (read_clip(i, "") for i in _values(pool.GetSelectedClips())) if c.footage]
    if len(clips) != 1:
        raise PanelError(f"select exactly one footage clip in the Media Pool ({len(clips)} selected)")
    return clips[0]


def _media_of(client: Any, clip: PoolClip) -> Any:
    for media in client.list_media():
        if norm_path(media.path) == clip.key:
            return media
    raise PanelError(f"{clip.name} is not ingested yet: ingest it first (Ingest tab)")


def search_like_clip(resolve: Any, client: Any, limit: int = 20) -> SearchResults:
    """Shots like the selected clip: each of its shots is an example (``SearchSimilar``); a shot
    found by several keeps its best score; the clip's own shots are left out."""
    clip = selected_clip(resolve)
    own = [s.shot_id for s in client.list_shots(media_id=_media_of(client, clip).media_id)]
    if not own:
        raise PanelError(f"{clip.name} has no shots on the server")
    best: Dict[str, Tuple[Any, float]] = {}
    for shot_id in own:
        for hit in client.search_similar(shot_id, limit=limit + len(own)):
            if hit.shot.shot_id in own:
                continue
            seen = best.get(hit.shot.shot_id)
            if seen is None or hit.score > seen[1]:
                best[hit.shot.shot_id] = (hit.shot, float(hit.score))
    ranked = sorted(best.values(), key=lambda h: (-h[1], h[0].media_path, h[0].start_frame))[:limit]
    return SearchResults(f"like {clip.name}", tuple(ranked), excluded=len(own))


def search_words(client: Any, query: str, limit: int = 20) -> SearchResults:
    """Shots matching words (``SearchText``); refused with the reason when no CLIP pack runs."""
    if not query.strip():
        raise PanelError("type what to look for first")
    available, reason = text_search_state(client)
    if not available:
        raise PanelError(reason)
    hits = client.search_text(query.strip(), limit=limit)
    return SearchResults(f"text: {query.strip()}", tuple((h.shot, float(h.score)) for h in hits))


def results_to_bin(client: Any, results: SearchResults, name: str) -> str:
    """The results as a new scene bin on the server (``CreateBin``, undoable); its id."""
    if not results.hits:
        raise PanelError("the search found nothing to make a bin of")
    made = client.create_bin([s.shot_id for s in results.shots], name=name.strip())
    return made.event.to_id or (made.affected_cluster_ids[0] if made.affected_cluster_ids else "")


# ------------------------------------------------------------------------------------------------
# compare
# ------------------------------------------------------------------------------------------------
COMPARE_TAG = "binsight-compare:"
"""Prefix of the ``customData`` of every difference marker (the server's markers carry it), so a
re-run replaces its own markers and never the editor's."""
RENDER_DONE = ("Complete", "Failed", "Cancelled")
"""``GetRenderJobStatus(job)["JobStatus"]`` values that end a job (the README documents the dict,
not its values; these are the ones scripts in the wild test)."""


@dataclass
class Version:
    """One side of a comparison: a Media Pool clip (its file) or a timeline (rendered first)."""

    kind: str          # "clip" | "timeline"
    name: str
    target: Any = field(repr=False)   # the MediaPoolItem or Timeline the markers go on
    path: str = ""     # the file the server compares ("" until a timeline's render is done)
    job_id: str = ""   # the render job of a timeline


def versions_in(resolve: Any) -> List[Version]:
    """What can be compared in this project: every footage clip, then every timeline."""
    project = current_project(resolve)
    out = [Version("clip", c.name, c.item, c.path) for c in PoolIndex(project.GetMediaPool()).clips if c.footage]
    for i in range(1, int(project.GetTimelineCount() or 0) + 1):
        timeline = project.GetTimelineByIndex(i)
        out.append(Version("timeline", str(timeline.GetName()), timeline))
    return out


@dataclass
class PendingCompare:
    """A comparison waiting for its timelines' renders; poll :meth:`ready` from a timer."""

    a: Version
    b: Version
    previous_timeline: Any = field(default=None, repr=False)

    def ready(self, resolve: Any) -> bool:
        project = current_project(resolve)
        waiting = False
        for side in (self.a, self.b):  # ask about every job on every poll
            if side.path or not side.job_id:
                continue
            status = project.GetRenderJobStatus(side.job_id) or {}
            state = str(status.get("JobStatus", ""))
            if state not in RENDER_DONE:
                waiting = True
                continue
            job = next((j for j in _values(project.GetRenderJobList()) if j.get("JobId") == side.job_id), {})
            project.DeleteRenderJob(side.job_id)  # leave the render queue as the editor had it
            side.job_id = ""
            if state != "Complete":
                self._abandon(project)
                raise PanelError(f"Resolve's render of the timeline {side.name} ended {state.lower()}: "
                                 f"{status.get('Error') or 'see the Deliver page'}")
            side.path = os.path.join(str(job.get("TargetDir", "")), str(job.get("OutputFilename", "")))
        if waiting:
            return False
        if self.previous_timeline is not None:
            project.SetCurrentTimeline(self.previous_timeline)
            self.previous_timeline = None
        return True


    def _abandon(self, project: Any) -> None:
        """A render failed: drop the other job too and give the editor back their timeline."""
        for side in (self.a, self.b):
            if side.job_id:
                project.DeleteRenderJob(side.job_id)
                side.job_id = ""
        if self.previous_timeline is not None:
            project.SetCurrentTimeline(self.previous_timeline)
            self.previous_timeline = None


def start_compare(resolve: Any, a: Version, b: Version, render_dir: str = "") -> PendingCompare:
    """Queue a render of each timeline side (the whole timeline, video only, to ``render_dir``)
    and start it; clip sides are their files already. The server compares pictures, so a
    timeline is compared as it plays: its render, with cuts, grades and titles."""
    if a.target is b.target:
        raise PanelError("choose two different versions to compare")
    project = current_project(resolve)
    pending = PendingCompare(a, b)
    jobs = []
    for side in (a, b):
        if side.kind != "timeline":
            if not side.path:
                raise PanelError(f"{side.name} has no file to compare")
            continue
        if not str(render_dir).strip():
            raise PanelError("choose a folder for the timeline renders (the server must be able to read it)")
        Path(render_dir).expanduser().mkdir(parents=True, exist_ok=True)
        if pending.previous_timeline is None:
            pending.previous_timeline = project.GetCurrentTimeline()
        if not project.SetCurrentTimeline(side.target):
            raise PanelError(f"Resolve refused to open the timeline {side.name}")
        _choose_h264(project)
        settings = {"SelectAllFrames": True, "TargetDir": str(Path(render_dir).expanduser()),
                    "CustomName": f"binsight-compare-{side.name}", "ExportVideo": True, "ExportAudio": False}
        if not project.SetRenderSettings(settings):
            raise PanelError(f"Resolve refused the render settings for {side.name}")
        side.job_id = str(project.AddRenderJob() or "")
        if not side.job_id:
            raise PanelError(f"Resolve did not queue a render of {side.name} (is the Deliver page free?)")
        jobs.append(side.job_id)
    if jobs and not project.StartRendering(jobs):
        for job in jobs:
            project.DeleteRenderJob(job)
        raise PanelError("Resolve did not start rendering the timelines")
    return pending


def _choose_h264(project: Any) -> None:
    """Render MP4/H.264 when this Resolve offers it (codec names differ by platform, so the name
    comes from ``GetRenderCodecs``); otherwise the project's current render format is kept."""
    codecs = project.GetRenderCodecs("mp4") or {}
    name = next((str(v) for v in (codecs.values() if isinstance(codecs, dict) else ()) if "264" in str(v)), "")
    if name:
        project.SetCurrentRenderFormatAndCodec("mp4", name)


@dataclass(frozen=True)
class CompareReport:
    a: str
    b: str
    counts: Tuple[Tuple[str, int], ...]    # (kind, how many), in the server's order of kinds
    unchanged: int
    markers_added: int = 0
    markers_removed: int = 0
    markers_kept: int = 0
    conflicts: Tuple[str, ...] = ()       # differences whose frame holds one of the editor's markers
    warnings: Tuple[str, ...] = ()

    def lines(self) -> List[str]:
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.counts) or "no differences"
        out = [f"{self.a} -> {self.b}: {kinds}; {self.unchanged} shots unchanged",
               f"markers on {self.b}: {self.markers_added} added, {self.markers_removed} removed, "
               f"{self.markers_kept} already there"]
        out += [f"not marked: {c}" for c in self.conflicts]
        out += [f"warning: {w}" for w in self.warnings]
        return out


def finish_compare(client: Any, pending: PendingCompare, timeout: float = 600.0) -> CompareReport:
    """Ask the server what changed from A to B and bring B's difference markers in line: one per
    difference, coloured by kind, at B's frame (from B's first frame, as ``AddMarker`` counts on
    a clip and on a timeline). Ours are found by customData; the editor's are never touched."""
    a, b = pending.a, pending.b
    if not (a.path and b.path):
        raise PanelError("the timeline renders are not finished yet")
    result = client.compare(a.path, b.path, timeout=timeout)
    target = b.target
    ours = {str(m.get("customData", "")): (float(frame), m) for frame, m in (target.GetMarkers() or {}).items()
            if str(m.get("customData", "")).startswith(COMPARE_TAG)}
    added = removed = 0
    conflicts: List[str] = []
    kept = set()
    for marker in result.markers:
        have = ours.get(marker.custom_data)
        if have is None:
            continue
        frame, old = have
        if frame == float(marker.frame) and (old.get("color"), old.get("name"), old.get("note"),
                                             float(old.get("duration", 0))) == \
                (marker.colour, marker.name, marker.note, float(marker.duration)):
            kept.add(marker.custom_data)
    for custom in sorted(set(ours) - kept):  # stale, or changed since: replaced below
        if target.DeleteMarkerByCustomData(custom):
            removed += 1
    for marker in result.markers:
        if marker.custom_data in kept:
            continue
        if target.AddMarker(marker.frame, marker.colour, marker.name, marker.note, marker.duration,
                            marker.custom_data):
            added += 1
        else:
            conflicts.append(f"{marker.name} at frame {marker.frame}: another marker sits there")
    order: Dict[str, int] = {}
    for diff in result.differences:
        order[diff.kind] = order.get(diff.kind, 0) + 1
    return CompareReport(a.name, b.name, tuple(order.items()), result.unchanged, added, removed, len(kept),
                         tuple(conflicts), tuple(result.warnings))


def mark_differences(resolve: Any, client: Any, a: Version, b: Version, render_dir: str = "",
                     poll_s: float = 0.5, timeout_s: float = 3600.0) -> CompareReport:
    """Compare two clips or two timelines and mark B's differences (for scripts: blocks on the
    renders; the window polls :meth:`PendingCompare.ready` from its timer instead)."""
    pending = start_compare(resolve, a, b, render_dir)
    deadline = time.monotonic() + timeout_s
    while not pending.ready(resolve):
        if time.monotonic() > deadline:
            raise PanelError(f"the timeline renders did not finish within {timeout_s:.0f} s")
        time.sleep(poll_s)
    return finish_compare(client, pending)


# ------------------------------------------------------------------------------------------------
# review
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewRow:
    """One line of the review tree: a bin, or a shot inside it."""

    kind: str            # "scene" | "character" | "person" | "noise" | "shot"
    row_id: str          # bin id, or shot id
    label: str
    count: int           # shots in a bin; 0 for a shot
    source: str          # source in-out of a shot
    suggestions: Tuple[Tuple[str, str, float], ...] = ()   # noise shots: (bin id, name, score), best first
    bin_id: str = ""     # the bin a shot row sits in; the scene of a character row
    depth: int = 0
    locked: bool = False

    @property
    def suggestion_text(self) -> str:
        return ", ".join(f"{name} {score:.2f}" for _, name, score in self.suggestions)


def review_rows(tree: Any) -> List[ReviewRow]:
    """The bin tree as rows: scene bins, their character sub-bins, their shots; then the people
    bins (each recurring person's shots, project-wide); then the noise bucket whose shots carry
    their top-3 suggestions."""
    names = {c.cluster_id: c.name or c.cluster_id for c in tree.clusters}
    rows: List[ReviewRow] = []

    def shot_rows(b: Any, depth: int) -> None:
        for shot in b.shots:
            suggestions = tuple((c.cluster_id, c.name or names.get(c.cluster_id, c.cluster_id), float(c.score))
                                for c in shot.candidates[:3]) if b.kind == "noise" else ()
            rows.append(ReviewRow("shot", shot.shot_id, shot_name(shot), 0, f"{shot.source_in}-{shot.source_out}",
                                  suggestions, b.cluster_id, depth))

    for scene in tree.clusters:
        rows.append(ReviewRow("scene", scene.cluster_id, names[scene.cluster_id], scene.shot_count, "",
                              locked=scene.locked))
        shot_rows(scene, 1)
        for child in scene.children:
            rows.append(ReviewRow("character", child.cluster_id, child.name, child.shot_count, "",
                                  bin_id=scene.cluster_id, depth=1))
            shot_rows(child, 2)
    for person in getattr(tree, "people", ()):
        rows.append(ReviewRow("person", person.cluster_id, person.name or person.cluster_id, person.shot_count, ""))
        shot_rows(person, 1)
    if tree.noise is not None:
        rows.append(ReviewRow("noise", tree.noise.cluster_id, tree.noise.name or "Noise", tree.noise.shot_count, ""))
        shot_rows(tree.noise, 1)
    return rows
