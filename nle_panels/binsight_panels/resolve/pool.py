"""Reading Resolve's Media Pool: the folder tree, its clips and the properties the panels use.

Resolve has no lookup by id, so everything starts from ``GetRootFolder()`` and a walk of
``GetSubFolderList()`` / ``GetClipList()`` (the list forms; the dict forms are deprecated since
the 20.2 README). Clip properties come back as strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Dict, Iterator, List, Optional, Tuple

FOOTAGE_TYPES = ("Video", "Video + Audio")
"""``Type`` values of clips that can be ingested; timelines, stills, audio, generators, titles
and compound clips are skipped."""

_NTSC = {"23.976": Fraction(24000, 1001), "29.97": Fraction(30000, 1001), "47.952": Fraction(48000, 1001),
         "59.94": Fraction(60000, 1001), "119.88": Fraction(120000, 1001)}


def parse_rate(text: str) -> Optional[Fraction]:
    """Exact rate of a Resolve frame-rate string ("25.0", "29.97", "23.976 DF"); None if blank."""
    value = str(text or "").replace("DF", "").strip()
    if not value:
        return None
    for name, rate in _NTSC.items():
        if value.startswith(name):
            return rate
    try:
        return Fraction(value).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        return None


def norm_path(path: str) -> str:
    """A file path in the form both Resolve's ``File Path`` and the server's media paths reduce
    to (symlinks resolved, case folded where the file system folds it)."""
    return os.path.normcase(os.path.realpath(path)) if path else ""


@dataclass(frozen=True)
class PoolClip:
    """One Media Pool item as the panels see it; ``item`` is the live Resolve object."""

    uid: str
    name: str
    path: str
    fps: str
    start_tc: str
    kind: str
    folder_uid: str
    item: Any = field(compare=False, repr=False, default=None)

    @property
    def footage(self) -> bool:
        return bool(self.path) and self.kind in FOOTAGE_TYPES

    @property
    def key(self) -> str:
        return norm_path(self.path)


def read_clip(item: Any, folder_uid: str) -> PoolClip:
    props = item.GetClipProperty() or {}
    if not isinstance(props, dict):
        props = {}

    def prop(name: str) -> str:
        value = props.get(name)
        if value is None:
            value = item.GetClipProperty(name)
        return str(value or "")

    return PoolClip(uid=str(item.GetUniqueId() or ""), name=str(item.GetName() or prop("Clip Name")),
                    path=prop("File Path"), fps=prop("FPS"), start_tc=prop("Start TC"), kind=prop("Type"),
                    folder_uid=folder_uid, item=item)


@dataclass(frozen=True)
class PoolFolder:
    uid: str
    name: str
    parent_uid: str
    folder: Any = field(compare=False, repr=False, default=None)


class PoolIndex:
    """Every folder and clip of the Media Pool, read once, by unique id."""

    def __init__(self, media_pool: Any) -> None:
        self.media_pool = media_pool
        self.root = media_pool.GetRootFolder()
        self.folders: Dict[str, PoolFolder] = {}
        self.clips: List[PoolClip] = []
        self.children: Dict[str, List[str]] = {}
        for folder, parent_uid in _walk(self.root, ""):
            uid = str(folder.GetUniqueId() or "")
            self.folders[uid] = PoolFolder(uid, str(folder.GetName() or ""), parent_uid, folder)
            self.children.setdefault(parent_uid, []).append(uid)
            self.clips.extend(read_clip(item, uid) for item in (folder.GetClipList() or []))

    @property
    def root_uid(self) -> str:
        return str(self.root.GetUniqueId() or "")

    def subfolders(self, uid: str) -> List[PoolFolder]:
        return [self.folders[c] for c in self.children.get(uid, [])]

    def child_named(self, parent_uid: str, name: str) -> Optional[PoolFolder]:
        """The first sub-folder with this name (Resolve allows several with one name)."""
        return next((f for f in self.subfolders(parent_uid) if f.name == name), None)

    def clips_in(self, uid: str) -> List[PoolClip]:
        return [c for c in self.clips if c.folder_uid == uid]

    def is_empty(self, uid: str) -> bool:
        return not self.clips_in(uid) and not self.children.get(uid)

    def path_of(self, uid: str) -> str:
        """"Master/Binsight/Kitchen" for messages."""
        names: List[str] = []
        while uid in self.folders:
            names.append(self.folders[uid].name)
            uid = self.folders[uid].parent_uid
        return "/".join(reversed(names))

    def footage_by_path(self) -> Dict[str, List[PoolClip]]:
        out: Dict[str, List[PoolClip]] = {}
        for clip in self.clips:
            if clip.footage:
                out.setdefault(clip.key, []).append(clip)
        return out


def _walk(folder: Any, parent_uid: str) -> Iterator[Tuple[Any, str]]:
    yield folder, parent_uid
    uid = str(folder.GetUniqueId() or "")
    for sub in folder.GetSubFolderList() or []:
        yield from _walk(sub, uid)


def folder_clips(folder: Any) -> List[PoolClip]:
    """The clips directly inside one folder (the current bin)."""
    uid = str(folder.GetUniqueId() or "")
    return [read_clip(item, uid) for item in (folder.GetClipList() or [])]
