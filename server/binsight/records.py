"""The rows of the project store, one frozen dataclass per table, declared once.

The store derives its Arrow schemas from these classes (``store.schema_of``), so a column exists
exactly when a field does. Conventions, written down here and nowhere else:

* frame ranges are ``start_frame`` .. ``end_frame`` with the end **exclusive**, 0 = the file's
  first decoded frame;
* frame rates and pixel aspects are exact ``Fraction``s;
* the noise bucket is ``cluster_id = None`` (``NOISE``); the store spells it ``""`` on disk and
  the API spells it ``"noise"``, and both spellings live only in the store and in
  ``service/convert.py``;
* kinds and states are ``StrEnum``s;
* timestamps are ``clock.utcnow()`` strings.

Vectors are ``numpy`` arrays and excluded from equality (``compare=False``): two records are the
same row when their data are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

import numpy as np

from .clustering.types import NOISE, ClusterFlags

__all__ = ["NOISE"]  # re-exported: the one noise constant, also for code that only sees records


def _vector() -> np.ndarray:
    return np.zeros(0, np.float32)


class ClusterKind(StrEnum):
    SCENE = "scene"
    MERGED = "merged"  # absorbed by a merge: the row stays, so the id is followed, never reused
    RETIRED = "retired"  # made by a correction that was undone: kept so the id is never reused


class ConstraintKind(StrEnum):
    SHOT_NOT_CLUSTER = "shot_not_cluster"  # "not this one"
    FACE_NOT_CHARACTER = "face_not_character"  # "not this person"


class FeedbackAction(StrEnum):
    MOVE_SHOT = "move_shot"
    MERGE_CLUSTERS = "merge_clusters"
    SPLIT_CLUSTER = "split_cluster"
    RENAME_CLUSTER = "rename_cluster"
    LOCK_CLUSTER = "lock_cluster"
    REJECT_SHOT = "reject_shot"
    ASSIGN_FACE = "assign_face"
    MERGE_CHARACTERS = "merge_characters"
    REJECT_FACE = "reject_face"
    RENAME_CHARACTER = "rename_character"
    CREATE_BIN = "create_bin"
    CORRECT_SLATE = "correct_slate"


class FeedbackState(StrEnum):
    APPLIED = "applied"
    UNDONE = "undone"


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class MetaRecord:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """A job only one server of a shared library may run at a time (a recluster, a file's
    commit): who holds it and until when (wall-clock seconds since the epoch; a holder renews it
    while it works, and a crashed holder's lease simply runs out)."""

    name: str
    holder: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One committed source file: what the probe read, plus the models that embedded it. The
    media row is the commit marker of its file (see ``Store.commit_media``)."""

    media_id: str
    path: str
    content_hash: str
    size_bytes: int
    container: str
    codec: str
    width: int  # stored size, before rotation
    height: int
    rotation: int
    pixel_aspect: Fraction
    frame_rate: Fraction
    frame_count: int
    duration_s: float
    first_pts_s: float
    start_timecode: str  # "" when the file carries none
    drop_frame: bool
    reel: str
    creation_time: str
    has_audio: bool
    audio_channels: int
    audio_sample_rate: int
    bit_depth: int
    pix_fmt: str
    interlaced: bool
    variable_frame_rate: bool
    truncated: bool
    warnings: tuple[str, ...]
    scene_model_id: str
    face_model_id: str  # "" when faces were off
    ingested_at: str
    shot_count: int

    @property
    def display_size(self) -> tuple[int, int]:
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)


@dataclass(frozen=True, slots=True)
class ShotRecord:
    shot_id: str
    media_id: str
    index: int  # position of the shot in its file, from 0
    start_frame: int
    end_frame: int  # exclusive
    start_s: float
    end_s: float
    moving: bool
    motion: float


@dataclass(frozen=True, slots=True)
class KeyframeRecord:
    keyframe_id: str
    shot_id: str
    media_id: str
    frame: int
    time_s: float
    sharpness: float
    image_path: str  # relative to the data dir's keyframe folder
    thumb_path: str
    model_id: str  # embedding space of ``vector``
    local_features: bytes = b""  # ORB keypoints of the keyframe (clustering.local_features), for setups
    vector: np.ndarray = field(default_factory=_vector, compare=False)


@dataclass(frozen=True, slots=True)
class FaceRecord:
    face_id: str
    shot_id: str
    media_id: str
    frame: int
    time_s: float
    box: tuple[float, ...]  # x0, y0, x1, y1 in display pixels
    landmarks: tuple[float, ...]  # five (x, y) pairs, flattened
    det_score: float
    sharpness: float
    size_px: float
    model_id: str
    crop_path: str  # a small JPEG of the face (relative to the keyframe folder), for people views
    vector: np.ndarray = field(default_factory=_vector, compare=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A bin a shot could go to, with its similarity (noise shots show their top three)."""

    cluster_id: str
    score: float


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """Where one shot sits: a scene cluster or the noise bucket (``cluster_id is NOISE``)."""

    shot_id: str
    cluster_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    pinned: bool  # placed by the editor: reclusters and re-ingests leave it there
    updated_at: str

    @property
    def noise(self) -> bool:
        return self.cluster_id is NOISE


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    cluster_id: str
    kind: ClusterKind
    name: str  # the editor's name; "" until they give one
    named: bool
    locked: bool
    seen: bool
    touched: bool
    label: str  # the readable name given at birth ("clip 00:00:01:12"), or its slates' scenes ("Sc 12A")
    merged_into: str  # for kind MERGED: the cluster that absorbed it ("" otherwise)
    created_at: str
    updated_at: str

    @property
    def flags(self) -> ClusterFlags:
        return ClusterFlags(locked=self.locked, named=self.named, touched=self.touched, seen=self.seen)

    @property
    def display_name(self) -> str:
        return self.name or self.label or self.cluster_id


@dataclass(frozen=True, slots=True)
class CharacterRecord:
    character_id: str
    name: str
    named: bool
    label: str  # readable name given at birth; an editor's ``name`` wins
    model_id: str
    created_at: str

    @property
    def display_name(self) -> str:
        return self.name or self.label or self.character_id


@dataclass(frozen=True, slots=True)
class FaceAssignmentRecord:
    face_id: str
    character_id: str | None  # None: nobody (too poor to judge, or rejected everywhere)
    pinned: bool


@dataclass(frozen=True, slots=True)
class ConstraintRecord:
    """An editor's "not this one" / "not this person", kept by every recluster."""

    constraint_id: str
    kind: ConstraintKind
    a_id: str  # the shot or face
    b_id: str  # the cluster or character it is not
    created_at: str
    feedback_id: str  # the correction that made it (undo removes it)


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One editor correction: who, when, what, from and to, plus what undo needs.

    ``detail_json`` is the public detail (shots moved, faces merged); ``inverse_json`` is the
    state before the correction, enough to put it back exactly; ``touched`` names every shot,
    cluster, face and character it changed, so undo can tell whether a later correction would be
    lost."""

    feedback_id: str
    action: FeedbackAction
    actor: str
    created_at: str
    subject_id: str
    from_id: str
    to_id: str
    detail_json: str
    inverse_json: str
    touched: tuple[str, ...]
    state: FeedbackState
    applied_at: str  # when it last took effect: created_at, or the time of a redo
    undone_at: str
    undone_by: str


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """A training triplet from a correction; ``withdrawn`` when that correction was undone, so
    the adapter never learns from a mistake."""

    triplet_id: str
    anchor_id: str
    positive_id: str
    negative_id: str
    label: str
    timestamp: str
    feedback_id: str
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class AdapterRecord:
    version: str
    created_at: str
    model_id: str
    path: str  # relative to the data dir
    active: bool
    validation_before: float
    validation_after: float


class SlateSource(StrEnum):
    OCR = "ocr"  # read from the board
    EDITOR = "editor"  # typed by an editor: wins over every later read


@dataclass(frozen=True, slots=True)
class SlateFieldRecord:
    name: str  # scene, take, roll, slate_number, production, director, camera, date, timecode
    value: str
    confidence: float


@dataclass(frozen=True, slots=True)
class SlateRecord:
    """What one clip's slate says: one row per file once its slate was looked for. A clip that
    holds none keeps a row without fields (``found`` is False), so it is not searched again;
    a file with no row was never looked at (ingested before slates were read)."""

    media_id: str
    path: str  # the file, so an editor's correction follows a re-ingested version of it
    frame: int  # where it was read (0-based decode order); -1 when typed or none was found
    time_s: float
    position: str  # head | tail | shot; "" when typed or none was found
    inverted: bool
    fields: tuple[SlateFieldRecord, ...]
    text: tuple[str, ...]  # every OCR line, for search
    confidence: float
    unsure: bool  # not sure enough to name anything: listed for review, never used for names
    source: SlateSource
    updated_at: str

    @property
    def found(self) -> bool:
        """The clip has a slate (read, or typed by an editor)."""
        return bool(self.fields or self.text)

    def field(self, name: str) -> str:
        """The value of a sure field ("" when absent, or when the read is unsure)."""
        if self.unsure:
            return ""
        return next((f.value for f in self.fields if f.name == name), "")

    def setup(self) -> str:
        """Scene as written ("12A": scene 12, setup A), else a UK board's slate number."""
        return self.field("scene") or self.field("slate_number")

    def label(self) -> str:
        """"12A/3" (setup/take); "" when unsure or incomplete."""
        setup, take = self.setup(), self.field("take")
        return f"{setup}/{take}" if setup and take else ""


@dataclass(frozen=True, slots=True)
class SearchRowRecord:
    """One keyframe in a scene model's search table (``search_index``): derived from the
    keyframes, shots, faces and media rows and rebuilt from them when missing or behind. Its
    columns are the filters search pushes into LanceDB; which bin a shot is in and who is on
    screen change with every correction, so those are not columns (a bin or person filter
    becomes a shot-id clause from the live indexes)."""

    keyframe_id: str
    shot_id: str
    media_id: str
    has_faces: bool
    duration_s: float  # the shot's
    frame_rate: Fraction
    shot_date: str  # the file's creation time, UTC "YYYY-MM-DDTHH:MM:SS" (sorts as text); "" unknown
    reel: str
    vector: np.ndarray = field(default_factory=_vector, compare=False)  # fixed size in the table


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token (kept by ``access``, not in the database). Only a hash of the secret is
    stored; the name is the editor's name on every correction made with it."""

    name: str
    scope: TokenScope
    secret_hash: str
    created_at: str
    revoked_at: str  # "" while valid


@dataclass(frozen=True, slots=True)
class MediaRootRecord:
    """A folder the server may read footage from (symlinks resolved when it was added; kept by
    ``access``, not in the database)."""

    path: str
    added_at: str
    added_by: str
