"""Plain Python results of SDK calls. Fields mirror the proto messages of the same names, so the
API reference in proto/binsight/v1 documents them; frame rates come back as exact Fractions."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Dict, Iterator, List, Optional, Type, TypeVar, Union, get_type_hints

T = TypeVar("T")


@dataclass
class MediaFile:
    media_id: str
    path: str
    content_hash: str = ""
    container: str = ""
    codec: str = ""
    width: int = 0
    height: int = 0
    rotation: int = 0
    pixel_aspect: Fraction = Fraction(1)
    frame_rate: Fraction = Fraction(0)
    frame_count: int = 0
    duration_s: float = 0.0
    first_pts_s: float = 0.0
    start_timecode: str = ""
    drop_frame: bool = False
    reel: str = ""
    creation_time: str = ""
    has_audio: bool = False
    audio_channels: int = 0
    audio_sample_rate: int = 0
    bit_depth: int = 0
    pix_fmt: str = ""
    interlaced: bool = False
    variable_frame_rate: bool = False
    truncated: bool = False
    warnings: List[str] = field(default_factory=list)
    scene_model_id: str = ""
    face_model_id: str = ""
    ingested_at: str = ""
    shot_count: int = 0
    size_bytes: int = 0


@dataclass
class Keyframe:
    keyframe_id: str
    shot_id: str
    frame: int = 0
    time_s: float = 0.0
    sharpness: float = 0.0


@dataclass
class Face:
    face_id: str
    shot_id: str
    frame: int = 0
    time_s: float = 0.0
    box: List[float] = field(default_factory=list)
    landmarks: List[float] = field(default_factory=list)
    det_score: float = 0.0
    sharpness: float = 0.0
    character_id: str = ""
    model_id: str = ""


@dataclass
class Candidate:
    cluster_id: str
    score: float = 0.0
    name: str = ""


@dataclass
class Shot:
    shot_id: str
    media_id: str = ""
    index: int = 0
    start_frame: int = 0
    end_frame: int = 0
    start_s: float = 0.0
    end_s: float = 0.0
    source_in: str = ""
    source_out: str = ""
    moving: bool = False
    cluster_id: str = ""
    score: float = 0.0
    noise: bool = False
    candidates: List[Candidate] = field(default_factory=list)
    keyframes: List[Keyframe] = field(default_factory=list)
    character_ids: List[str] = field(default_factory=list)
    face_count: int = 0
    pinned: bool = False
    media_path: str = ""
    slate: str = ""  # "12A/3" from its clip's sure slate ("12A/3 #2": its second shot)


@dataclass
class Cluster:
    cluster_id: str
    kind: str = "scene"
    name: str = ""
    locked: bool = False
    named: bool = False
    shot_count: int = 0
    shots: List[Shot] = field(default_factory=list)
    children: List["Cluster"] = field(default_factory=list)
    character_ids: List[str] = field(default_factory=list)


@dataclass
class ClusterTree:
    clusters: List[Cluster] = field(default_factory=list)
    noise: Optional[Cluster] = None
    scene_model_id: str = ""
    people: List[Cluster] = field(default_factory=list)  # project-wide people bins


@dataclass
class Character:
    character_id: str
    name: str = ""
    face_count: int = 0
    shot_count: int = 0
    sample_face_id: str = ""
    model_id: str = ""


@dataclass
class FileResult:
    path: str
    media_id: str = ""
    status: str = ""
    message: str = ""
    shots: int = 0
    faces: int = 0
    warnings: List[str] = field(default_factory=list)
    stage_seconds: Dict[str, float] = field(default_factory=dict)


@dataclass
class Job:
    job_id: str
    kind: str = ""
    state: str = ""  # "queued" | "running" | "succeeded" | "failed" | "cancelled"
    paths: List[str] = field(default_factory=list)
    created_at: str = ""
    finished_at: str = ""
    files_total: int = 0
    files_done: int = 0
    shots_found: int = 0
    error: str = ""
    files: List[FileResult] = field(default_factory=list)
    scene_model_id: str = ""
    face_model_id: str = ""

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")


@dataclass
class JobEvent:
    job_id: str
    state: str = ""
    file: str = ""
    stage: str = ""
    frames_done: int = 0
    frames_total: int = 0
    shots_found: int = 0
    files_done: int = 0
    files_total: int = 0
    message: str = ""


@dataclass
class Image:
    data: bytes
    mime_type: str = "image/jpeg"
    width: int = 0
    height: int = 0


@dataclass
class ReclusterReport:
    shots_total: int = 0
    shots_moved: int = 0
    clusters_before: int = 0
    clusters_after: int = 0
    clusters_created: int = 0
    clusters_merged: int = 0
    noise_before: int = 0
    noise_after: int = 0
    adapter_version: str = ""
    seconds: float = 0.0


@dataclass
class ReviewItem:
    shot: Shot
    margin: float = 0.0


@dataclass
class FeedbackEvent:
    feedback_id: str
    action: str = ""
    actor: str = ""
    created_at: str = ""
    subject_id: str = ""
    from_id: str = ""
    to_id: str = ""
    detail_json: str = ""
    state: str = ""  # "applied" | "undone"
    applied_at: str = ""
    undone_at: str = ""
    undone_by: str = ""


@dataclass
class FeedbackResult:
    event: FeedbackEvent
    affected_cluster_ids: List[str] = field(default_factory=list)
    triplets_added: int = 0


@dataclass
class AdapterReport:
    version: str = ""
    activated: bool = False
    validation_before: float = 0.0
    validation_after: float = 0.0
    triplets_train: int = 0
    triplets_validation: int = 0
    message: str = ""
    active_version: str = ""


@dataclass
class AdapterInfo:
    version: str
    created_at: str = ""
    active: bool = False
    validation_before: float = 0.0
    validation_after: float = 0.0
    model_id: str = ""
    path: str = ""


@dataclass
class SearchHit:
    shot: Shot
    score: float = 0.0
    keyframe_id: str = ""  # the keyframe that matched
    matched: List[str] = field(default_factory=list)  # why: "picture", "text", "person: Ana", "words: reel A001"


@dataclass
class SearchResult:
    """A search's hits, best first; ``notes`` say what the server could not do (text without a
    CLIP pack matches words only)."""

    hits: List[SearchHit] = field(default_factory=list)
    model_id: str = ""
    notes: List[str] = field(default_factory=list)


@dataclass
class SearchFilters:
    """What a search may return; an empty field does not restrict. ``cluster_ids`` are scene
    bins ("noise": the noise bucket), ``person_ids`` character ids (shots with all of them),
    ``shot_after``/``shot_before`` ISO 8601 dates of the files' creation time."""

    media_ids: List[str] = field(default_factory=list)
    cluster_ids: List[str] = field(default_factory=list)
    person_ids: List[str] = field(default_factory=list)
    faces_only: bool = False
    min_duration_s: float = 0.0
    max_duration_s: float = 0.0
    frame_rates: List[Fraction] = field(default_factory=list)
    shot_after: str = ""
    shot_before: str = ""
    reels: List[str] = field(default_factory=list)


@dataclass
class ExportedFile:
    name: str
    path: str = ""
    data: bytes = b""


@dataclass
class Export:
    """An export's files and what the formats had to conform or leave out. It reads as the list
    of its files (index, iterate, len), as ``export`` returned before it had warnings."""

    files: List[ExportedFile] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[ExportedFile]:
        return iter(self.files)

    def __getitem__(self, index: int) -> ExportedFile:
        return self.files[index]

    def __len__(self) -> int:
        return len(self.files)


@dataclass
class CompareSide:
    start: int = 0
    end: int = 0  # exclusive
    in_s: float = 0.0
    out_s: float = 0.0
    tc_in: str = ""
    tc_out: str = ""
    keyframes: List[int] = field(default_factory=list)


@dataclass
class Difference:
    kind: str  # inserted | deleted | moved | replaced | changed | trimmed
    a: Optional[CompareSide] = None
    b: Optional[CompareSide] = None
    distance: float = 0.0
    at_b: int = 0
    head_frames: int = 0
    tail_frames: int = 0
    note: str = ""


@dataclass
class CompareMarker:
    frame: int = 0
    colour: str = ""
    name: str = ""
    note: str = ""
    duration: int = 1
    custom_data: str = ""


@dataclass
class Comparison:
    a_path: str = ""
    b_path: str = ""
    differences: List[Difference] = field(default_factory=list)
    unchanged: int = 0
    warnings: List[str] = field(default_factory=list)
    markers: List[CompareMarker] = field(default_factory=list)
    report: bytes = b""
    report_name: str = ""


@dataclass
class ModelInfo:
    name: str = ""
    kind: str = ""
    model_id: str = ""
    provider: str = ""
    license: str = ""
    active: bool = False
    installed: bool = False
    path: str = ""
    note: str = ""


@dataclass
class Status:
    version: str = ""
    schema_version: int = 0
    data_dir: str = ""
    address: str = ""
    scene_model: Optional[ModelInfo] = None
    face_model: Optional[ModelInfo] = None
    media_count: int = 0
    shot_count: int = 0
    cluster_count: int = 0
    noise_count: int = 0
    face_count: int = 0
    character_count: int = 0
    notes: List[str] = field(default_factory=list)
    active_adapter: str = ""
    review_url: str = ""      # the review page's address ("" when the server runs none)
    text_search: bool = False  # the scene model reads text (a CLIP pack): search_text works


@dataclass
class SlateField:
    name: str = ""  # scene, take, roll, slate_number, production, director, camera, date, timecode
    value: str = ""
    confidence: float = 0.0


@dataclass
class Slate:
    """What one clip's slate says. ``unsure`` reads name nothing; correct them with
    ``Client.correct_slate``."""

    media_id: str = ""
    media_path: str = ""
    label: str = ""  # "12A/3"
    setup: str = ""  # "12A"
    fields: List[SlateField] = field(default_factory=list)
    text: List[str] = field(default_factory=list)
    confidence: float = 0.0
    unsure: bool = False
    source: str = ""  # "ocr" | "editor"
    frame: int = -1
    time_s: float = 0.0
    position: str = ""  # "head" | "tail" | "shot"
    inverted: bool = False

    def value_of(self, name: str) -> str:
        """One field's value ("" when not read)."""
        return next((f.value for f in self.fields if f.name == name), "")


@dataclass
class SlateTake:
    take: str = ""
    media_id: str = ""
    media_path: str = ""
    label: str = ""


@dataclass
class SlateSetup:
    setup: str = ""
    takes: List[SlateTake] = field(default_factory=list)


@dataclass
class SlateScene:
    scene: str = ""
    setups: List[SlateSetup] = field(default_factory=list)


@dataclass
class Slates:
    slates: List[Slate] = field(default_factory=list)
    scenes: List[SlateScene] = field(default_factory=list)  # script order


_JOB_STATES = {1: "queued", 2: "running", 3: "succeeded", 4: "failed", 5: "cancelled"}


def from_message(cls: Type[T], message: Any) -> T:
    """Convert a protobuf message to the dataclass ``cls`` by field name, recursing into nested
    dataclasses and lists of them. Unknown proto fields are ignored, so an older SDK keeps
    working against a newer server."""
    hints = get_type_hints(cls, vars(sys.modules[__name__]))
    values = {}
    for f in dataclasses.fields(cls):
        if not hasattr(message, f.name):
            continue
        raw = getattr(message, f.name)
        values[f.name] = _convert(hints[f.name], raw, f.name, message)
    return cls(**values)  # type: ignore[call-arg]


def _convert(hint: Any, raw: Any, name: str, message: Any) -> Any:
    origin = getattr(hint, "__origin__", None)
    args = getattr(hint, "__args__", ())
    if origin is Union:  # Optional[X]
        inner = next(a for a in args if a is not type(None))
        return _convert(inner, raw, name, message) if message.HasField(name) else None
    if origin in (list, List):
        return [_convert(args[0], item, name, message) for item in raw]
    if origin in (dict, Dict):
        return dict(raw)
    if hint is Fraction:
        return Fraction(raw.num, raw.den) if raw.den else Fraction(0)
    if dataclasses.is_dataclass(hint):
        return from_message(hint, raw)
    if name == "state" and isinstance(raw, int):
        return _JOB_STATES.get(raw, "unknown")
    if hint is bytes:
        return bytes(raw)
    return raw
