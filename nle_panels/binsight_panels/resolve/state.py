"""What the panel last wrote into a Resolve project, so a second run changes nothing and the
editor's own changes since then are noticed and left alone.

Resolve folders carry no metadata and cannot be looked up by id, and a clip's folder says
nothing about who put it there, so the panel remembers, per project (``Project.GetUniqueId``):
which folder it made for which bin, where it put each clip, and which keywords and colour it gave
each clip. The file is JSON in the panel's state folder, written atomically. Without it (deleted,
other machine) the panel falls back to folder names and treats every clip as its own.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List

SCHEMA = 1


@dataclass
class ClipRecord:
    folder: str = ""                                    # folder uid the panel moved the clip into
    moved_by_editor: bool = False                       # the editor moved it since: never move it again
    keywords: List[str] = field(default_factory=list)   # keywords the panel wrote
    declined: List[str] = field(default_factory=list)   # keywords of ours the editor removed
    color: str = ""                                     # colour the panel set
    recolored_by_editor: bool = False


@dataclass
class PanelState:
    project_uid: str
    root_folder: str = ""                               # the "Binsight" folder
    timelines_folder: str = ""
    folders: Dict[str, str] = field(default_factory=dict)   # bin id -> folder uid
    clips: Dict[str, ClipRecord] = field(default_factory=dict)  # clip uid -> record

    @staticmethod
    def path(state_dir: Path, project_uid: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", project_uid) or "project"
        return Path(state_dir) / f"project-{safe}.json"

    @classmethod
    def load(cls, state_dir: Path, project_uid: str) -> "PanelState":
        path = cls.path(state_dir, project_uid)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(project_uid)
        except (OSError, ValueError) as exc:
            raise ValueError(f"the panel's record of this project ({path}) cannot be read ({exc}); "
                             f"move it aside to start afresh") from None
        clips = {uid: ClipRecord(**record) for uid, record in data.get("clips", {}).items()}
        return cls(project_uid, data.get("root_folder", ""), data.get("timelines_folder", ""),
                   dict(data.get("folders", {})), clips)

    def save(self, state_dir: Path) -> None:
        path = self.path(state_dir, self.project_uid)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"schema": SCHEMA, "project_uid": self.project_uid, "root_folder": self.root_folder,
                "timelines_folder": self.timelines_folder, "folders": self.folders,
                "clips": {uid: asdict(record) for uid, record in sorted(self.clips.items())}}
        handle, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def clip(self, uid: str) -> ClipRecord:
        return self.clips.setdefault(uid, ClipRecord())
