"""Slates as the project keeps them: a clip's read turned into a record, an editor's entry
checked, and the scene / setup / take tree an assistant editor builds by hand.

Reading is ``binsight.slates`` (PP-OCR from the ``rapidocr-onnxruntime`` wheel, no download);
this module only turns its ``SlateRead`` into the stored ``SlateRecord`` and back out as views.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..clock import utcnow
from ..config import SlateSettings
from ..errors import InvalidInput
from ..media.types import Shot
from ..records import MediaRecord, ShotRecord, SlateFieldRecord, SlateRecord, SlateSource
from ..slates.types import FIELDS
from ..validate import check_name

MAX_FIELD_CHARS = 64
"""Longest value an editor may type into one slate field (boards hold a few characters)."""


def read_slate_of(media: MediaRecord, shots: Sequence[ShotRecord], settings: SlateSettings) -> SlateRecord:
    """Look for the slate of a committed file: its head, its tail, then the start of each of its
    shots. A clip without one gets a record without fields, so it is not searched again."""
    from ..media.probe import probe
    from ..slates import read_slate  # the OCR engine loads on the first read, not at start-up

    spans = [Shot(s.index, s.start_frame, s.end_frame, s.start_s, s.end_s, s.moving, s.motion) for s in shots]
    read = read_slate(media.path, probe(media.path), spans, settings)
    if read is None:
        return SlateRecord(media.media_id, media.path, -1, 0.0, "", False, (), (), 0.0, False, SlateSource.OCR,
                           utcnow())
    fields = tuple(SlateFieldRecord(name, value.value, float(value.confidence))
                   for name in FIELDS if (value := getattr(read, name)) is not None)
    return SlateRecord(media.media_id, media.path, read.frame, read.time_s, read.position, read.inverted, fields,
                       tuple(read.text), float(read.confidence), bool(read.unsure), SlateSource.OCR, utcnow())


def typed_slate(media: MediaRecord, values: Mapping[str, str]) -> SlateRecord:
    """An editor's entry for a clip: the fields they typed, sure by definition (no fields: the
    clip has no slate). Unknown field names are refused, naming the valid ones."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"no slate field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    fields = []
    for name in FIELDS:
        value = check_name(values.get(name, ""), f"the slate's {name}")
        if len(value) > MAX_FIELD_CHARS:
            raise InvalidInput(f"the slate's {name} can have at most {MAX_FIELD_CHARS} characters, not {len(value)}")
        if value:
            fields.append(SlateFieldRecord(name, value, 1.0))
    return SlateRecord(media.media_id, media.path, -1, 0.0, "", False, tuple(fields), (), 1.0 if fields else 0.0,
                       False, SlateSource.EDITOR, utcnow())


@dataclass(frozen=True)
class SlateView:
    """One clip's slate as a reader sees it."""

    media_id: str
    media_path: str
    label: str  # "12A/3"; "" when unsure or incomplete
    setup: str  # "12A"; "" when unsure
    fields: tuple[SlateFieldRecord, ...]
    text: tuple[str, ...]
    confidence: float
    unsure: bool
    source: SlateSource
    frame: int
    time_s: float
    position: str
    inverted: bool

    @classmethod
    def of(cls, r: SlateRecord) -> "SlateView":
        return cls(r.media_id, r.path, r.label(), r.setup(), r.fields, r.text, r.confidence, r.unsure, r.source,
                   r.frame, r.time_s, r.position, r.inverted)


@dataclass(frozen=True)
class TakeView:
    take: str
    media_id: str
    media_path: str
    label: str  # "12A/3"


@dataclass(frozen=True)
class SetupView:
    setup: str  # "12A": scene 12, setup A
    takes: tuple[TakeView, ...]


@dataclass(frozen=True)
class SceneView:
    scene: str  # "12"
    setups: tuple[SetupView, ...]


def scene_tree(slates: Sequence[SlateRecord]) -> tuple[SceneView, ...]:
    """Scene, then setup, then take, from the sure reads and the editors' entries, in the order
    a script runs (2 before 10, 10 before 10A)."""
    tree: dict[str, dict[str, list[TakeView]]] = defaultdict(lambda: defaultdict(list))
    for s in slates:
        setup = s.setup()
        if setup:
            tree[scene_of(setup)][setup].append(TakeView(s.field("take"), s.media_id, s.path, s.label()))
    return tuple(
        SceneView(scene, tuple(SetupView(setup, tuple(sorted(takes, key=lambda t: (natural(t.take), t.media_path))))
                               for setup, takes in sorted(setups.items(), key=lambda kv: natural(kv[0]))))
        for scene, setups in sorted(tree.items(), key=lambda kv: natural(kv[0])))


def scene_of(setup: str) -> str:
    """The scene a setup belongs to: its number without the setup letters ("12A", "A12" -> "12")."""
    digits = "".join(c for c in setup if c.isdigit())
    return digits or setup


def natural(text: str) -> tuple[int, str]:
    """Numbers by value, then the letters: "2" < "10" < "10A"."""
    digits = "".join(c for c in text if c.isdigit())
    return (int(digits[:9]) if digits else 1 << 30, text)
