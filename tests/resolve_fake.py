"""A fake of DaVinci Resolve's scripting objects and of Fusion's UIManager, for the panel tests.

Resolve cannot run here, so this is the one mocked part. It follows the semantics of Blackmagic's
scripting README (copies per version: ``thomjiji/dri:READMEs/``, ``WheheoHu/bmd_doc``) and the
measured quirks collected in ``../shared/notes/resolve-scripting.md``:

- clip properties are strings (``"FPS"`` is ``"25.0"`` or ``"29.97"``), read from the real file
  with PyAV, so a pool item describes the file it points at;
- ``AddSubFolder`` returns the new Folder and folders may hold duplicate names; ``MoveClips``
  returns a Bool; there is no lookup by id, only ``GetUniqueId`` on each object;
- markers are keyed by float frames counted from the clip start, one marker per frame;
- ``AppendToTimeline`` takes ``startFrame``/``endFrame`` with an exclusive end from Resolve 19
  on (inclusive before, per nakano000/Resolve_Script#23), appends at the end of the track unless
  ``recordFrame`` (absolute) is given, and silently drops a clip whose record range overlaps;
- ``CreateEmptyTimeline`` adds the timeline to the current Media Pool folder as a clip of type
  "Timeline" and refuses a name already taken;
- ``hasattr`` is always True on Resolve objects: any unknown name (or a method newer than the
  fake's version) is a callable returning None, recorded in ``unknown_calls`` so a test can
  assert the panel called only what the README lists; ``dir()`` shows only what exists;
- timelines carry markers like clips, counted from the timeline's first frame and (as measured
  by others) not checked against its end;
- the render queue: ``SetRenderSettings`` + ``AddRenderJob`` queue the current timeline,
  ``StartRendering`` writes a real MP4 of its video track (each item's source frames, decoded
  from the clip's file) and ``GetRenderJobStatus`` says "Rendering" once, then "Complete", so
  a caller must poll;
- the free edition: ``GetProductName()`` is "DaVinci Resolve", ``fusion.UIManager`` is None
  from 19.1 on, and touching it or a Studio-only call records an upsell dialog in ``upsells``.

The UI half records the window tree built through ``fusion.UIManager`` and
``bmd.UIDispatcher``; ``RunLoop`` hands control to a test's driver, which fires ``Clicked``,
``Timeout`` and tree events through :class:`UIHarness`.
"""

from __future__ import annotations

import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import av

Version = Tuple[int, int, int]

# Methods newer than the oldest README read (17.4): the first README that lists them.
SINCE: Dict[str, Version] = {
    "GetUniqueId": (18, 0, 0),
    "GetSelectedClips": (19, 0, 2),
    "GetSourceStartFrame": (19, 0, 2),  # absent from the 19 beta 5 README, listed in 19.0.2's
    "SetSelectedClip": (19, 0, 2),
    "GetThirdPartyMetadata": (19, 0, 2),
    "SetThirdPartyMetadata": (19, 0, 2),
    "GetMarkInOut": (19, 1, 0),
}

# Calls the free edition answers with an upsell dialog (AI and Studio features; the panels need
# none of them, and a test asserts they are never made).
STUDIO_ONLY = {"TranscribeAudio", "DetectSceneCuts", "SmartReframe", "CreateMagicMask", "Stabilize",
               "CreateSubtitlesFromAudio", "AnalyzeForIntellisearch"}

CLIP_COLORS = ("Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
               "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")


def _uid() -> str:
    return str(uuid.uuid4()).upper()


def _rate_text(rate: Fraction) -> str:
    """How Resolve shows a clip's FPS: '29.97', '23.976', '25.0'."""
    if rate.denominator == 1:
        return f"{float(rate):.1f}"
    return f"{float(rate):.3f}".rstrip("0")


def _timecode(frames: int, fps: int) -> str:
    s, f = divmod(frames, fps)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{f:02d}"


class _Fabricated:
    """What Resolve's bridge hands back for any attribute it does not have: a callable."""

    def __init__(self, app: "Resolve", owner: str, name: str) -> None:
        self.app, self.owner, self.name = app, owner, name

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.app.unknown_calls.append(f"{self.owner}.{self.name}")
        return None


class _Native:
    """Base of every fake Resolve object: hasattr is always True, version-gated methods hide,
    Studio-only calls on the free edition raise an upsell."""

    _app: "Resolve"

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            app = object.__getattribute__(self, "_app")
            since = SINCE.get(name)
            if since and app.version < since:
                return _Fabricated(app, type(self).__name__, name)
            if name in STUDIO_ONLY and not app.studio:
                def upsell(*args: Any, **kwargs: Any) -> bool:
                    app.upsells.append(f"{type(self).__name__}.{name}")
                    return False
                return upsell
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        return _Fabricated(self._app, type(self).__name__, name)

    def __dir__(self) -> List[str]:
        app = self._app
        names = [n for n in dir(type(self)) if not n.startswith("_")]
        return [n for n in names if not (SINCE.get(n) and app.version < SINCE[n])]


class _Identified(_Native):
    """Objects with ``GetUniqueId`` (a UUID string, from the 18.0 README on)."""

    _uid: str

    def GetUniqueId(self) -> str:
        return self._uid


# ------------------------------------------------------------------------------------------------
# Resolve
# ------------------------------------------------------------------------------------------------
class Resolve(_Native):
    def __init__(self, studio: bool = True, version: Version = (20, 2, 0), timeline_fps: int = 25,
                 project_name: str = "Dailies") -> None:
        self._app = self
        self.studio = studio
        self.version = version
        self.upsells: List[str] = []
        self.unknown_calls: List[str] = []
        self.page = "edit"
        self._project = Project(self, project_name, timeline_fps)
        self._manager = ProjectManager(self)
        self._storage = MediaStorage(self)
        self.fusion = Fusion(self)

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio" if self.studio else "DaVinci Resolve"

    def GetVersion(self) -> List[Any]:
        return [*self.version, 0, ""]

    def GetVersionString(self) -> str:
        return ".".join(str(v) for v in self.version) + ".0"

    def GetProjectManager(self) -> "ProjectManager":
        return self._manager

    def GetMediaStorage(self) -> "MediaStorage":
        return self._storage

    def Fusion(self) -> "Fusion":
        return self.fusion

    def GetCurrentPage(self) -> str:
        return self.page

    def OpenPage(self, name: str) -> bool:
        self.page = name
        return True

    # -- test helpers (not Resolve API) -----------------------------------------------------------
    @property
    def project(self) -> "Project":
        return self._project

    @property
    def media_pool(self) -> "MediaPool":
        return self._project._pool


class ProjectManager(_Native):
    def __init__(self, app: Resolve) -> None:
        self._app = app

    def GetCurrentProject(self) -> "Project":
        return self._app._project


class Project(_Identified):
    def __init__(self, app: Resolve, name: str, timeline_fps: int) -> None:
        self._app = app
        self._name = name
        self._uid = _uid()
        self._fps = timeline_fps
        self._timelines: List[Timeline] = []
        self._current: Optional[Timeline] = None
        self._pool = MediaPool(app, self)
        self._render_settings: Dict[str, Any] = {}
        self._render_format = ("mov", "ProRes422HQ")
        self._jobs: Dict[str, Dict[str, Any]] = {}
        self._status: Dict[str, Dict[str, Any]] = {}
        self.renders: List[Path] = []  # test helper: every file rendered
        self.fail_renders = False      # test helper: the next renders fail (a full disk, a codec error)

    def GetName(self) -> str:
        return self._name

    def GetMediaPool(self) -> "MediaPool":
        return self._pool

    def GetSetting(self, name: str = "") -> Any:
        settings = {"timelineFrameRate": str(self._fps)}
        return settings.get(name, "") if name else dict(settings)

    def GetTimelineCount(self) -> int:
        return len(self._timelines)

    def GetTimelineByIndex(self, index: int) -> Optional["Timeline"]:
        return self._timelines[index - 1] if 1 <= index <= len(self._timelines) else None

    def GetCurrentTimeline(self) -> Optional["Timeline"]:
        return self._current

    def SetCurrentTimeline(self, timeline: "Timeline") -> bool:
        if timeline not in self._timelines:
            return False
        self._current = timeline
        return True

    # -- the render queue (Deliver page) ------------------------------------------------------------
    def GetRenderFormats(self) -> Dict[str, str]:
        return {"MP4": "mp4", "QuickTime": "mov"}

    def GetRenderCodecs(self, render_format: str) -> Dict[str, str]:
        return {"H.264": "H264", "H.265": "H265"} if render_format == "mp4" else {"Apple ProRes 422 HQ": "ProRes422HQ"}

    def GetCurrentRenderFormatAndCodec(self) -> Dict[str, str]:
        return {"format": self._render_format[0], "codec": self._render_format[1]}

    def SetCurrentRenderFormatAndCodec(self, render_format: str, codec: str) -> bool:
        if codec not in self.GetRenderCodecs(render_format).values():
            return False
        self._render_format = (render_format, codec)
        return True

    def SetRenderSettings(self, settings: Dict[str, Any]) -> bool:
        known = {"SelectAllFrames", "MarkIn", "MarkOut", "TargetDir", "CustomName", "ExportVideo", "ExportAudio"}
        if not isinstance(settings, dict) or not set(settings) <= known:
            return False
        self._render_settings.update(settings)
        return True

    def AddRenderJob(self) -> str:
        settings = self._render_settings
        if self._current is None or not settings.get("TargetDir") or self._render_format[0] != "mp4":
            return ""  # the fake renders MP4 only
        job_id = _uid()
        self._jobs[job_id] = {"JobId": job_id, "TimelineName": self._current._name, "TargetDir": settings["TargetDir"],
                              "OutputFilename": f"{settings.get('CustomName') or self._current._name}.mp4",
                              "timeline": self._current}
        self._status[job_id] = {"JobStatus": "Ready", "CompletionPercentage": 0}
        return job_id

    def GetRenderJobList(self) -> List[Dict[str, Any]]:
        return [{k: v for k, v in job.items() if k != "timeline"} for job in self._jobs.values()]

    def DeleteRenderJob(self, job_id: str) -> bool:
        self._status.pop(job_id, None)
        return self._jobs.pop(job_id, None) is not None

    def StartRendering(self, *jobs: Any, isInteractiveMode: bool = False) -> bool:  # noqa: N803
        ids = list(jobs[0]) if len(jobs) == 1 and isinstance(jobs[0], list) else list(jobs) or list(self._jobs)
        if not ids or any(j not in self._jobs for j in ids):
            return False
        for job_id in ids:
            job = self._jobs[job_id]
            if self.fail_renders:
                self._status[job_id] = {"JobStatus": "Failed", "CompletionPercentage": 0}
                continue
            path = Path(job["TargetDir"]) / job["OutputFilename"]
            job["timeline"]._render(path)
            self.renders.append(path)
            self._status[job_id] = {"JobStatus": "Rendering", "CompletionPercentage": 50, "polls": 0}
        return True

    def IsRenderingInProgress(self) -> bool:
        return any(s["JobStatus"] == "Rendering" for s in self._status.values())

    def GetRenderJobStatus(self, job_id: str) -> Dict[str, Any]:
        status = self._status.get(job_id)
        if status is None:
            return {}
        shown = {k: v for k, v in status.items() if k != "polls"}
        if status["JobStatus"] == "Rendering":  # one poll still rendering, then done
            status["polls"] += 1
            if status["polls"] > 1:
                status.update({"JobStatus": "Complete", "CompletionPercentage": 100})
                shown = {"JobStatus": "Complete", "CompletionPercentage": 100}
        return shown


class MediaStorage(_Native):
    def __init__(self, app: Resolve) -> None:
        self._app = app


class Folder(_Identified):
    def __init__(self, app: Resolve, name: str, parent: Optional["Folder"]) -> None:
        self._app = app
        self._name = name
        self._uid = _uid()
        self._parent = parent
        self._clips: List[MediaPoolItem] = []
        self._subfolders: List[Folder] = []

    def GetName(self) -> str:
        return self._name

    def GetClipList(self) -> List["MediaPoolItem"]:
        return list(self._clips)

    def GetSubFolderList(self) -> List["Folder"]:
        return list(self._subfolders)

    def GetClips(self) -> Dict[int, "MediaPoolItem"]:
        """Deprecated dict form (keys 1..n)."""
        return {i + 1: c for i, c in enumerate(self._clips)}

    def GetSubFolders(self) -> Dict[int, "Folder"]:
        return {i + 1: f for i, f in enumerate(self._subfolders)}

    def GetIsFolderStale(self) -> bool:
        return False

    # -- test helpers -------------------------------------------------------------------------------
    def sub(self, name: str) -> "Folder":
        (folder,) = [f for f in self._subfolders if f._name == name]
        return folder

    def names(self) -> List[str]:
        return [c._props["Clip Name"] for c in self._clips]

    def tree(self) -> Dict[str, Any]:
        """{name: {"clips": [...], "folders": {...}}}, duplicates kept as name#2."""
        folders: Dict[str, Any] = {}
        for f in self._subfolders:
            key = f._name
            n = 2
            while key in folders:
                key, n = f"{f._name}#{n}", n + 1
            folders[key] = f.tree()
        return {"clips": sorted(self.names()), "folders": folders}


class MediaPool(_Identified):
    def __init__(self, app: Resolve, project: Project) -> None:
        self._app = app
        self._project = project
        self._uid = _uid()
        self._root = Folder(app, "Master", None)
        self._current = self._root
        self._selected: List[MediaPoolItem] = []

    def GetRootFolder(self) -> Folder:
        return self._root

    def GetCurrentFolder(self) -> Folder:
        return self._current

    def SetCurrentFolder(self, folder: Folder) -> bool:
        if not isinstance(folder, Folder):
            return False
        self._current = folder
        return True

    def AddSubFolder(self, parent: Folder, name: str) -> Optional[Folder]:
        if not isinstance(parent, Folder) or not name:
            return None
        folder = Folder(self._app, name, parent)
        parent._subfolders.append(folder)
        return folder

    def MoveClips(self, clips: List["MediaPoolItem"], target: Folder) -> bool:
        if not isinstance(target, Folder) or not all(isinstance(c, MediaPoolItem) for c in clips):
            return False
        for clip in clips:
            clip._folder._clips.remove(clip)
            clip._folder = target
            target._clips.append(clip)
        return True

    def DeleteFolders(self, folders: List[Folder]) -> bool:
        for folder in folders:
            if folder._parent is None:
                return False
            folder._parent._subfolders.remove(folder)
        return True

    def ImportMedia(self, paths: List[str]) -> List["MediaPoolItem"]:
        items = [MediaPoolItem.from_file(self._app, Path(p), self._current) for p in paths]
        self._current._clips.extend(items)
        return items

    def GetSelectedClips(self) -> List["MediaPoolItem"]:
        return list(self._selected)

    def SetSelectedClip(self, item: "MediaPoolItem") -> bool:
        self._selected = [item]
        return True

    def CreateEmptyTimeline(self, name: str) -> Optional["Timeline"]:
        if not name or any(t._name == name for t in self._project._timelines):
            return None
        timeline = Timeline(self._app, name, self._project._fps)
        item = MediaPoolItem(self._app, {"Clip Name": name, "File Path": "", "Type": "Timeline",
                                         "FPS": str(self._project._fps)}, self._current)
        self._current._clips.append(item)
        timeline._pool_item = item
        self._project._timelines.append(timeline)
        self._project._current = timeline
        return timeline

    def AppendToTimeline(self, *clips: Any) -> List["TimelineItem"]:
        timeline = self._project._current
        if timeline is None:
            return []
        infos = clips[0] if len(clips) == 1 and isinstance(clips[0], list) else list(clips)
        appended = []
        for info in infos:
            if isinstance(info, MediaPoolItem):
                info = {"mediaPoolItem": info, "startFrame": 0, "endFrame": info._frames}
            item = timeline._append(info, exclusive_end=self._app.version >= (19, 0, 0))
            if item is not None:
                appended.append(item)
        return appended


class _Markers(_Native):
    """Markers keyed by float frame, one per frame, ours found again by customData (the README's
    AddMarker / GetMarkers / GetMarkerByCustomData / DeleteMarkerByCustomData, the same on a
    MediaPoolItem and a Timeline)."""

    _markers: Dict[float, Dict[str, Any]]

    def _marker_limit(self) -> int:
        """Frames a marker may sit on (0: unchecked)."""
        return 0

    def AddMarker(self, frame: float, color: str, name: str, note: str, duration: float,
                  custom_data: str = "") -> bool:
        frame = float(frame)
        limit = self._marker_limit()
        if frame in self._markers or color not in MARKER_COLORS or duration < 1 or frame < 0 \
                or (limit and frame >= limit):
            return False
        self._markers[frame] = {"color": color, "duration": float(duration), "note": note, "name": name,
                                "customData": custom_data}
        return True

    def GetMarkers(self) -> Dict[float, Dict[str, Any]]:
        return {f: dict(m) for f, m in sorted(self._markers.items())}

    def GetMarkerByCustomData(self, custom_data: str) -> Dict[str, Any]:
        for marker in self._markers.values():
            if marker["customData"] == custom_data:
                return dict(marker)
        return {}

    def DeleteMarkerByCustomData(self, custom_data: str) -> bool:
        for frame, marker in sorted(self._markers.items()):
            if marker["customData"] == custom_data:
                del self._markers[frame]
                return True
        return False

    def DeleteMarkerAtFrame(self, frame: float) -> bool:
        return self._markers.pop(float(frame), None) is not None


class MediaPoolItem(_Markers, _Identified):
    def __init__(self, app: Resolve, props: Dict[str, str], folder: Folder, frames: int = 0,
                 fps: Fraction = Fraction(0)) -> None:
        self._app = app
        self._uid = _uid()
        self._props = dict(props)
        self._folder = folder
        self._frames = frames
        self._fps = fps
        self._metadata: Dict[str, str] = {}
        self._color = ""
        self._markers: Dict[float, Dict[str, Any]] = {}

    @classmethod
    def from_file(cls, app: Resolve, path: Path, folder: Folder) -> "MediaPoolItem":
        """A pool item with the properties Resolve reads from the file (probed with PyAV)."""
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            rate = Fraction(video.average_rate)
            frames = video.frames or int(round(float(container.duration / 1e6) * rate))
            timecode = video.metadata.get("timecode") or container.metadata.get("timecode") or "00:00:00:00"
            width, height = video.codec_context.width, video.codec_context.height
            has_audio = bool(container.streams.audio)
        fps_int = round(rate)
        start = sum(int(p) * m for p, m in zip(timecode.replace(";", ":").split(":"),
                                                (3600 * fps_int, 60 * fps_int, fps_int, 1)))
        props = {
            "Clip Name": path.name, "File Name": path.name, "File Path": str(path),
            "Type": "Video + Audio" if has_audio else "Video", "FPS": _rate_text(rate),
            "Start TC": timecode, "End TC": _timecode(start + frames, fps_int), "Frames": str(frames),
            "Resolution": f"{width}x{height}", "Video Codec": "H.264", "Reel Name": "",
        }
        return cls(app, props, folder, frames, rate)

    def GetName(self) -> str:
        return self._props["Clip Name"]

    def _marker_limit(self) -> int:
        return self._frames

    def GetMediaId(self) -> str:
        return self._uid.lower()

    def GetClipProperty(self, key: Optional[str] = None) -> Any:
        if not key:
            return dict(self._props)
        return self._props.get(key, "")

    def SetClipProperty(self, key: str, value: str) -> bool:
        if key not in self._props or key in ("File Path", "FPS", "Frames", "Type"):
            return False
        self._props[key] = str(value)
        return True

    def GetMetadata(self, key: Optional[str] = None) -> Any:
        if not key:
            return dict(self._metadata)
        return self._metadata.get(key, "")

    def SetMetadata(self, key: Any, value: Optional[str] = None) -> bool:
        values = key if isinstance(key, dict) else {key: value}
        if not all(isinstance(v, str) for v in values.values()):
            return False
        self._metadata.update(values)
        return True

    def GetClipColor(self) -> str:
        return self._color

    def SetClipColor(self, name: str) -> bool:
        if name not in CLIP_COLORS:
            return False
        self._color = name
        return True

    def ClearClipColor(self) -> bool:
        self._color = ""
        return True

    # -- test helpers -------------------------------------------------------------------------------
    @property
    def folder(self) -> Folder:
        return self._folder


class Timeline(_Markers, _Identified):
    def __init__(self, app: Resolve, name: str, fps: int) -> None:
        self._app = app
        self._markers = {}
        self._name = name
        self._uid = _uid()
        self._fps = fps
        self._start = 3600 * fps  # 01:00:00:00
        self._video: List[TimelineItem] = []
        self._audio: List[TimelineItem] = []
        self._pool_item: Optional[MediaPoolItem] = None

    def GetName(self) -> str:
        return self._name

    def GetStartFrame(self) -> int:
        return self._start

    def GetEndFrame(self) -> int:
        return max([self._start] + [i._end for i in self._video + self._audio])

    def GetStartTimecode(self) -> str:
        return _timecode(self._start, self._fps)

    def GetSetting(self, name: str = "") -> Any:
        return str(self._fps) if name == "timelineFrameRate" else ""

    def GetTrackCount(self, kind: str) -> int:
        return 1 if kind in ("video", "audio") else 0

    def GetItemListInTrack(self, kind: str, index: int) -> List["TimelineItem"]:
        items = {"video": self._video, "audio": self._audio}.get(kind, []) if index == 1 else []
        return sorted(items, key=lambda i: i._start)

    def GetMediaPoolItem(self) -> Optional[MediaPoolItem]:
        return self._pool_item

    def _render(self, path: Path) -> None:
        """The video track as a real file: each item's source frames from its clip's file, at
        the timeline's rate (the fake's items hold one timeline frame per source frame)."""
        import media_factory  # the test helpers' encoder

        frames: List[Any] = []
        for item in self.GetItemListInTrack("video", 1):
            wanted = range(item._source_start, item._source_start + (item._end - item._start))
            with av.open(item._clip._props["File Path"]) as container:
                for n, frame in enumerate(container.decode(video=0)):
                    if n in wanted:
                        frames.append(frame.to_ndarray(format="bgr24"))
                    elif n >= wanted.stop:
                        break
        path.parent.mkdir(parents=True, exist_ok=True)
        media_factory.encode(path, frames, fps=Fraction(self._fps))

    def _append(self, info: Dict[str, Any], exclusive_end: bool) -> Optional["TimelineItem"]:
        clip = info.get("mediaPoolItem")
        if not isinstance(clip, MediaPoolItem) or clip._frames == 0:
            return None
        start, end = info.get("startFrame", 0), info.get("endFrame", clip._frames)
        source_frames = end - start if exclusive_end else end - start + 1
        if start < 0 or source_frames < 1 or start + source_frames > clip._frames:
            return None
        frames = int(source_frames * Fraction(self._fps) / clip._fps)  # mixed rates floor
        record = info.get("recordFrame")
        at = self.GetEndFrame() if record is None else int(record)
        if any(at < i._end and i._start < at + frames for i in self._video):
            return None  # overlaps are silently dropped
        item = TimelineItem(self._app, clip, at, frames, int(start))
        self._video.append(item)
        if clip._props["Type"] == "Video + Audio" and info.get("mediaType") != 1:
            self._audio.append(TimelineItem(self._app, clip, at, frames, int(start)))
        return item


class TimelineItem(_Identified):
    def __init__(self, app: Resolve, clip: MediaPoolItem, start: int, frames: int, source_start: int) -> None:
        self._app = app
        self._uid = _uid()
        self._clip = clip
        self._start = start
        self._end = start + frames
        self._source_start = source_start

    def GetName(self) -> str:
        return self._clip.GetName()

    def GetStart(self, subframe: bool = False) -> int:
        return self._start

    def GetEnd(self, subframe: bool = False) -> int:
        return self._end

    def GetDuration(self, subframe: bool = False) -> int:
        return self._end - self._start

    def GetSourceStartFrame(self) -> int:
        return self._source_start

    def GetMediaPoolItem(self) -> MediaPoolItem:
        return self._clip

    # -- test helper ------------------------------------------------------------------------------
    @property
    def source_start(self) -> int:
        return self._source_start


# ------------------------------------------------------------------------------------------------
# Fusion, UIManager, UIDispatcher
# ------------------------------------------------------------------------------------------------
class Fusion(_Native):
    def __init__(self, app: Resolve) -> None:
        self._app = app
        self._ui = UIManager(app)

    @property
    def UIManager(self) -> Optional["UIManager"]:
        if not self._app.studio:
            self._app.upsells.append("fusion.UIManager")
            if self._app.version >= (19, 1, 0):
                return None
        return self._ui

    # -- test helper ------------------------------------------------------------------------------
    @property
    def ui(self) -> "UIManager":
        return self._ui


class Bmd:
    """The ``bmd`` global of a menu script."""

    def __init__(self, app: Resolve) -> None:
        self._app = app

    def UIDispatcher(self, ui: "UIManager") -> "UIDispatcher":
        if ui is None:
            raise AttributeError("'NoneType' object has no attribute 'AddWindow'")
        return UIDispatcher(ui)

    def scriptapp(self, name: str) -> Optional[Resolve]:
        return self._app if name == "Resolve" else None


class _Handlers:
    """``win.On.<ID>.<Event> = fn`` and ``win.On[ID].<Event> = fn``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_by_id", {})

    def __getattr__(self, element_id: str) -> "_EventSlot":
        return self[element_id]

    def __getitem__(self, element_id: str) -> "_EventSlot":
        return self._by_id.setdefault(element_id, _EventSlot())

    def __setattr__(self, event: str, fn: Callable[[Dict[str, Any]], Any]) -> None:
        # dispatcher.On.Timeout = fn (an event for every element)
        self["*"].__setattr__(event, fn)

    def get(self, element_id: str, event: str) -> Optional[Callable[[Dict[str, Any]], Any]]:
        slot = self._by_id.get(element_id)
        return getattr(slot, "handlers", {}).get(event) if slot else None


class _EventSlot:
    def __init__(self) -> None:
        object.__setattr__(self, "handlers", {})

    def __setattr__(self, event: str, fn: Callable[[Dict[str, Any]], Any]) -> None:
        self.handlers[event] = fn

    def __getattr__(self, event: str) -> Any:
        return self.handlers.get(event)


class _Indexed:
    """Property arrays such as ``item.Text[2] = 'x'``."""

    def __init__(self) -> None:
        self.values: Dict[int, Any] = {}

    def __getitem__(self, index: int) -> Any:
        return self.values.get(index, "")

    def __setitem__(self, index: int, value: Any) -> None:
        self.values[index] = value


ELEMENTS = {"VGroup", "HGroup", "VGap", "HGap", "Label", "Button", "CheckBox", "ComboBox", "LineEdit",
            "TextEdit", "Tree", "TabBar", "Stack", "SpinBox", "Slider"}


class Element:
    """A UIManager element: its props as attributes, its children, a few element functions."""

    def __init__(self, kind: str, props: Optional[Dict[str, Any]] = None, children: Any = None) -> None:
        if isinstance(props, list):  # ui.VGroup([children])
            props, children = {}, props
        elif props is not None and not isinstance(props, dict):  # ui.VGap(2)
            props = {"Size": props}
        props = dict(props or {})
        if children is None and "children" in props:
            children = props.pop("children")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "children", list(children or []) if isinstance(children, (list, tuple))
                           else ([children] if children is not None else []))
        object.__setattr__(self, "props", {"Text": "", "Enabled": True, "Hidden": False, **props})
        object.__setattr__(self, "items", [])       # ComboBox entries, Tree top-level items
        object.__setattr__(self, "tabs", [])        # TabBar
        object.__setattr__(self, "window", None)

    def __getattr__(self, name: str) -> Any:
        props = object.__getattribute__(self, "props")
        if name in props:
            return props[name]
        if name == "CurrentText" and self.kind == "ComboBox":
            i = props.get("CurrentIndex", 0)
            return self.items[i] if 0 <= i < len(self.items) else ""
        if name == "CurrentIndex":
            return 0 if self.items or self.tabs else -1
        if name == "Checked":
            return False
        raise AttributeError(f"{self.kind} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self.props[name] = value

    @property
    def ID(self) -> str:
        return self.props.get("ID", "")

    def walk(self) -> Iterable["Element"]:
        yield self
        for child in self.children:
            yield from child.walk()

    # -- ComboBox ---------------------------------------------------------------------------------
    def AddItem(self, text: str) -> None:
        self.items.append(text)
        self.props.setdefault("CurrentIndex", 0)

    def AddItems(self, texts: List[str]) -> None:
        for text in texts:
            self.AddItem(text)

    def Clear(self) -> None:
        self.items.clear()
        self.props.pop("CurrentIndex", None)

    def Count(self) -> int:
        return len(self.items)

    # -- TabBar -----------------------------------------------------------------------------------
    def AddTab(self, text: str) -> int:
        self.tabs.append(text)
        self.props.setdefault("CurrentIndex", 0)
        return len(self.tabs) - 1

    # -- Tree -------------------------------------------------------------------------------------
    def NewItem(self) -> "TreeItem":
        return TreeItem(self)

    def AddTopLevelItem(self, item: "TreeItem") -> None:
        self.items.append(item)

    def TopLevelItemCount(self) -> int:
        return len(self.items)

    def TopLevelItem(self, index: int) -> Optional["TreeItem"]:
        return self.items[index] if 0 <= index < len(self.items) else None

    def SetHeaderLabels(self, labels: List[str]) -> None:
        self.props["HeaderLabels"] = list(labels)

    def SelectedItems(self) -> Dict[int, "TreeItem"]:
        """Lua-style dict keyed 1..n, as older UIManager builds return it."""
        chosen = [i for i in self.all_items() if i.Selected]
        return {n + 1: item for n, item in enumerate(chosen)}

    def CurrentItem(self) -> Optional["TreeItem"]:
        chosen = [i for i in self.all_items() if i.Selected]
        return chosen[0] if chosen else None

    def all_items(self) -> List["TreeItem"]:
        out: List[TreeItem] = []
        for item in self.items:
            out.extend(item.walk())
        return out

    # -- every element ----------------------------------------------------------------------------
    def Show(self) -> None:
        self.props["Hidden"] = False

    def Hide(self) -> None:
        self.props["Hidden"] = True

    def Raise(self) -> None:
        self.props["Raised"] = self.props.get("Raised", 0) + 1

    def Find(self, element_id: str) -> Optional["Element"]:
        for element in self.walk():
            if element.ID == element_id:
                return element
        return None

    def GetItems(self) -> Dict[str, "Element"]:
        return {e.ID: e for e in self.walk() if e.ID}


class TreeItem:
    def __init__(self, tree: Element) -> None:
        self.tree = tree
        self.Text = _Indexed()
        self.ToolTip = _Indexed()
        self.Selected = False
        self.Expanded = False
        self.Flags = None
        self.children: List[TreeItem] = []
        self.parent: Optional[TreeItem] = None

    def AddChild(self, item: "TreeItem") -> None:
        item.parent = self
        self.children.append(item)

    def ChildCount(self) -> int:
        return len(self.children)

    def Child(self, index: int) -> Optional["TreeItem"]:
        return self.children[index] if 0 <= index < len(self.children) else None

    def Parent(self) -> Optional["TreeItem"]:
        return self.parent

    def walk(self) -> List["TreeItem"]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class Timer:
    def __init__(self, props: Dict[str, Any]) -> None:
        self.ID = props.get("ID", "")
        self.Interval = props.get("Interval", 0)
        self.SingleShot = props.get("SingleShot", False)
        self.IsActive = False

    def Start(self) -> None:
        self.IsActive = True

    def Stop(self) -> None:
        self.IsActive = False


class Window(Element):
    def __init__(self, props: Dict[str, Any], children: Any, ui: "UIManager") -> None:
        super().__init__("Window", props, children)
        object.__setattr__(self, "On", _Handlers())
        object.__setattr__(self, "ui", ui)
        self.props["Hidden"] = True

    def RecalcLayout(self) -> None:
        pass


class UIManager:
    """``fusion.UIManager``: element constructors plus FindWindow; records every window."""

    def __init__(self, app: Resolve) -> None:
        self.app = app
        self.windows: List[Window] = []
        self.timers: List[Timer] = []
        self.dispatchers: List[UIDispatcher] = []
        self.driver: Optional[Callable[["UIHarness"], None]] = None

    def __getattr__(self, kind: str) -> Callable[..., Element]:
        if kind not in ELEMENTS:
            raise AttributeError(f"UIManager has no element {kind!r}")
        return lambda props=None, children=None: Element(kind, props, children)

    def Timer(self, props: Dict[str, Any]) -> Timer:
        timer = Timer(props)
        self.timers.append(timer)
        return timer

    def FindWindow(self, window_id: str) -> Optional[Window]:
        for window in self.windows:
            if window.ID == window_id and not window.props.get("Closed"):
                return window
        return None


class UIDispatcher:
    def __init__(self, ui: UIManager) -> None:
        self.ui = ui
        self.On = _Handlers()
        self.running = False
        self.exit_code: Optional[int] = None
        ui.dispatchers.append(self)

    def AddWindow(self, props: Dict[str, Any], children: Any = None) -> Window:
        window = Window(props, children, self.ui)
        object.__setattr__(window, "dispatcher", self)
        for element in window.walk():
            object.__setattr__(element, "window", window)
        self.ui.windows.append(window)
        return window

    def RunLoop(self) -> int:
        """Hands control to the test's driver; returns when the driver is done (a real loop
        returns on ExitLoop)."""
        self.running = True
        if self.ui.driver is not None:
            self.ui.driver(UIHarness(self.ui, self))
        self.running = False
        return self.exit_code or 0

    def ExitLoop(self, code: int = 0) -> None:
        self.exit_code = code
        self.running = False


class UIHarness:
    """What a test does to a window while the loop runs: click, type, choose, select, tick."""

    def __init__(self, ui: UIManager, dispatcher: UIDispatcher) -> None:
        self.ui = ui
        self.dispatcher = dispatcher

    @property
    def window(self) -> Window:
        (window,) = [w for w in self.ui.windows if getattr(w, "dispatcher", None) is self.dispatcher]
        return window

    def find(self, element_id: str) -> Element:
        element = self.window.Find(element_id)
        if element is None:
            raise KeyError(f"no element {element_id!r} in the window")
        return element

    def fire(self, element_id: str, event: str, **info: Any) -> Any:
        handler = self.window.On.get(element_id, event)
        if handler is None:
            raise KeyError(f"no {event} handler on {element_id!r}")
        return handler({"who": element_id, "what": event, "window": self.window.ID, **info})

    def click(self, element_id: str) -> Any:
        if not self.find(element_id).Enabled:
            raise AssertionError(f"{element_id} is disabled")
        return self.fire(element_id, "Clicked")

    def set_text(self, element_id: str, text: str) -> None:
        self.find(element_id).Text = text

    def choose(self, element_id: str, text: str) -> None:
        combo = self.find(element_id)
        combo.CurrentIndex = combo.items.index(text)
        if self.window.On.get(element_id, "CurrentIndexChanged"):
            self.fire(element_id, "CurrentIndexChanged", Index=combo.CurrentIndex)

    def tab(self, title: str) -> None:
        bar = next(e for e in self.window.walk() if e.kind == "TabBar")
        bar.CurrentIndex = bar.tabs.index(title)
        self.fire(bar.ID, "CurrentChanged", Index=bar.CurrentIndex)

    def select(self, tree_id: str, predicate: Callable[[TreeItem], bool]) -> List[TreeItem]:
        tree = self.find(tree_id)
        chosen = []
        for item in tree.all_items():
            item.Selected = bool(predicate(item))
            if item.Selected:
                chosen.append(item)
        if chosen and self.window.On.get(tree_id, "ItemClicked"):
            self.fire(tree_id, "ItemClicked", item=chosen[0], column=0)
        return chosen

    def rows(self, tree_id: str) -> List[List[str]]:
        """Every row of a tree (depth first) as its column texts."""
        tree = self.find(tree_id)
        columns = len(tree.props.get("HeaderLabels", [])) or tree.props.get("ColumnCount", 1)
        return [[item.Text[c] for c in range(columns)] for item in tree.all_items()]

    def tick(self) -> None:
        """One Timeout for every running timer, delivered wherever the script listens."""
        for timer in [t for t in self.ui.timers if t.IsActive]:
            if timer.SingleShot:
                timer.Stop()
            for handlers in (self.dispatcher.On, self.window.On):
                for key in (timer.ID, "*"):
                    fn = handlers.get(key, "Timeout")
                    if fn:
                        fn({"who": timer.ID, "what": "Timeout"})

    def tick_until(self, done: Callable[[], bool], timeout_s: float = 60.0, every_s: float = 0.05) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting while the timer ticked")
            self.tick()
            time.sleep(every_s)

    def close(self) -> None:
        handler = self.window.On.get(self.window.ID, "Close")
        if handler:
            handler({"who": self.window.ID, "what": "Close"})
        self.window.props["Closed"] = True


def make_resolve(studio: bool = True, version: Version = (20, 2, 0), timeline_fps: int = 25) -> Tuple[Resolve, Fusion, Bmd]:
    """A Resolve with an open project, its ``fusion`` and ``bmd`` globals."""
    resolve = Resolve(studio=studio, version=version, timeline_fps=timeline_fps)
    return resolve, resolve.fusion, Bmd(resolve)


def script_globals(resolve: Resolve, fusion: Fusion, bmd: Bmd, path: Path) -> Dict[str, Any]:
    """The globals Resolve hands a Workspace > Scripts script."""
    return {"resolve": resolve, "fusion": fusion, "fu": fusion, "app": fusion, "bmd": bmd,
            "__name__": "__main__", "__file__": str(path)}
