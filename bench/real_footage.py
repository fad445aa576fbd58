"""Real edited footage with hand-labelled camera setups, for the setup benchmark and tests.

Sources (real camera or film footage; nothing here is generated):

* ``../shared/media`` (PySceneDetect's test resources, BSD-3; the Hamilton clip is a US government
  work): its content shots as they are (``truth.json``).
* OpenCV's sample clips, shipped in Debian's ``opencv-doc`` package (Debian's copyright file puts
  ``samples/data`` under OpenCV's Apache-2.0 / BSD-3-Clause; ``Megamind.avi`` is a short excerpt of
  an animated feature distributed by OpenCV for its samples, used here only locally and never
  committed). ``fetch_opencv_samples()`` gets them with ``apt-get download opencv-doc`` and
  ``dpkg-deb -x`` into ``~/.cache/binsight-bench`` (or set ``BINSIGHT_OPENCV_SAMPLES`` to a folder
  holding the clips).

How the setups were judged (contact sheets of every clip, 40-80 frames each, looked at by eye, and
cut frames checked against the mean absolute difference of consecutive frames): a *setup* is one
camera position and framing on one subject. Two framings of one subject from clearly different
positions or scales are two setups (Hamilton's wide of the stage and the medium of the singer;
the rotate clip's room with a monitor and the insert of that monitor's screen; Megamind's medium and
close shots of each speaker, which also show different backgrounds). testvideo's shots 1 and 3
(0-based 0 and 2) are two photographs of one leaf on one rock under other light and framing; the
media truth says they share the subject, and the team's labels call that one setup, so do these.
A single continuous camera shot is one setup even while the camera moves (vtest's fixed camera,
the handheld box and cup, the tree). counter.mp4 is a synthetic slate (three flat colour cards with
burnt-in text), not camera footage: it is left out.

Re-cut footage: with one setup per continuous real shot, real clips rarely show a setup twice, so
``recut_footage`` edits them the way an editor does: per scene it intercuts sub-ranges of the setups
of one source clip (A B A C B A ..., never the same setup twice in a row), re-grades every shot
(exposure and white balance, on top of one strong look per film: gamma 0.65-1.5, per-channel
balance +-18 %, saturation 0.6-1.3), reframes it (crop and zoom up to 1.35x,
off centre), and encodes each film with H.264 at one of three formats (anamorphic SD 720x576 from a
16:9 picture, 1080p, 640x360), then decodes it again. The same setup also recurs across films (a
re-cut of the same material). Labels stay exact: each shot of a film is a known sub-range of a
known source shot. Keyframes are decoded frames at 25/50/75 % of each shot (one for short shots).
Characters are hand-labelled per source shot (the faces an editor sees; the face pipeline's
output is approximated by dropping each id with probability 0.25).
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = ROOT.parent / "shared" / "media"
CACHE = Path(os.environ.get("BINSIGHT_BENCH_CACHE", Path.home() / ".cache" / "binsight-bench"))
_OPENCV_DOC = Path("usr/share/doc/opencv-doc")


@dataclass(frozen=True)
class SourceShot:
    """One hand-labelled continuous real shot: frames [first, last] (0-based decode order)."""

    clip: str  # file name; ``shared:`` or ``opencv:`` prefix says where it lives
    first: int
    last: int
    setup: str
    characters: frozenset[str] = frozenset()


def _s(clip: str, first: int, last: int, setup: str, *characters: str) -> SourceShot:
    return SourceShot(clip, first, last, setup, frozenset(characters))


# Ranges keep clear of fades and dissolves (truth.json spans; Megamind's cuts at 98, 154, 200
# found from frame differences of 39-43 against a median of 2.2).
SOURCES: tuple[SourceShot, ...] = (
    _s("shared:testvideo.mp4", 36, 175, "testvideo/leaf-on-rock"),
    _s("shared:testvideo.mp4", 240, 340, "testvideo/deer"),
    _s("shared:testvideo.mp4", 420, 525, "testvideo/leaf-on-rock"),
    _s("shared:testvideo.mp4", 565, 665, "testvideo/snake-skin"),
    _s("shared:short_hamilton_clip.mp4", 0, 19, "hamilton/wide-stage", "lin"),
    _s("shared:short_hamilton_clip.mp4", 20, 81, "hamilton/pianist-profile", "alex"),
    _s("shared:short_hamilton_clip.mp4", 82, 210, "hamilton/singer-medium", "lin"),
    _s("shared:short_hamilton_clip.mp4", 211, 274, "hamilton/audience", "barack", "michelle"),
    _s("shared:issue-134-rotate.mp4", 0, 89, "rotate/room-with-monitor"),
    _s("shared:issue-134-rotate.mp4", 90, 209, "rotate/screen-insert"),
    _s("shared:issue-134-rotate.mp4", 210, 239, "rotate/couple", "boy", "girl"),
    _s("opencv:Megamind.avi", 2, 97, "megamind/her-medium", "roxanne"),
    _s("opencv:Megamind.avi", 98, 153, "megamind/him-over-shoulder", "bernard"),
    _s("opencv:Megamind.avi", 154, 199, "megamind/her-close", "roxanne"),
    _s("opencv:Megamind.avi", 200, 269, "megamind/him-close", "bernard"),
    _s("opencv:vtest.avi", 0, 794, "vtest/square-from-above"),
    _s("opencv:box.mp4", 0, 454, "box/handheld-table"),
    _s("opencv:cup.mp4", 0, 216, "cup/hand-on-white"),
    _s("opencv:tree.avi", 0, 52, "tree/leaves"),
)


@dataclass
class Footage:
    """Shots of real footage with true setups: per shot its keyframe images (BGR uint8), file,
    position in the file, and the characters on screen."""

    name: str
    shot_ids: list[str]
    setups: list[str]
    keyframes: list[list[np.ndarray]]
    media_ids: list[str]
    orders: list[int]
    characters: list[frozenset[str]]
    pairs: list[tuple[int, int, bool]] = field(default_factory=list)  # labelled shot pairs

    @property
    def labels(self) -> np.ndarray:
        names = sorted(set(self.setups))
        return np.asarray([names.index(s) for s in self.setups])


# ----- sources ----------------------------------------------------------------------------
def opencv_samples_dir() -> Path | None:
    """Folder with OpenCV's sample clips, or None (see ``fetch_opencv_samples``)."""
    for folder in (os.environ.get("BINSIGHT_OPENCV_SAMPLES"), "/" / _OPENCV_DOC / "examples" / "data",
                   CACHE / "opencv-doc" / _OPENCV_DOC / "examples" / "data"):
        if folder and (Path(folder) / "Megamind.avi").is_file():
            return Path(folder)
    return None


def fetch_opencv_samples() -> Path:
    """Download Debian's opencv-doc with apt and unpack it into the cache (about 100 MB)."""
    target = CACHE / "opencv-doc"
    download = CACHE / "deb"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", "opencv-doc"], cwd=download, check=True)
    deb = next(download.glob("opencv-doc_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    found = opencv_samples_dir()
    if found is None:
        raise RuntimeError(f"opencv-doc unpacked into {target} but Megamind.avi is not there")
    return found


def _clip_path(clip: str) -> Path | None:
    where, name = clip.split(":", 1)
    if where == "shared":
        path = SHARED_MEDIA / name
        return path if path.is_file() else None
    folder = opencv_samples_dir()
    if folder is None:
        return None
    path = folder / name
    if path.is_file():
        return path
    packed = folder.parent.parent / "opencv4" / "html" / f"{name}.gz"  # box.mp4, cup.mp4
    if packed.is_file():
        out = CACHE / "clips" / name
        if not out.is_file():
            out.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(packed) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return out
    return None


@functools.lru_cache(maxsize=16)
def _frames(clip: str) -> tuple[np.ndarray, ...]:
    path = _clip_path(clip)
    assert path is not None
    with av.open(str(path)) as container:
        return tuple(f.to_ndarray(format="bgr24") for f in container.decode(video=0))


def available_sources() -> list[SourceShot]:
    return [s for s in SOURCES if _clip_path(s.clip) is not None]


def _picks(first: int, last: int) -> list[int]:
    if last - first < 12:
        return [(first + last) // 2]
    return [round(first + (last - first) * q) for q in (0.25, 0.5, 0.75)]


# ----- datasets ---------------------------------------------------------------------------
def shared_media_footage() -> Footage | None:
    """The content shots of ../shared/media's camera clips as they are (11 shots, 10 setups: the
    leaf-on-rock pair is the only recurring one). None when the folder is absent."""
    sources = [s for s in SOURCES if s.clip.startswith("shared:") and _clip_path(s.clip)]
    if not sources:
        return None
    order: dict[str, int] = {}
    shots, keyframes = [], []
    for s in sources:
        frames = _frames(s.clip)
        keyframes.append([frames[i] for i in _picks(s.first, s.last)])
        n = order.setdefault(s.clip, 0)
        order[s.clip] = n + 1
        shots.append((s, n))
    fd = Footage("shared media", [f"{s.clip.split(':')[1]}#{n}" for s, n in shots], [s.setup for s, _ in shots],
                 keyframes, [s.clip for s, _ in shots], [n for _, n in shots], [s.characters for s, _ in shots])
    fd.pairs = all_pairs(fd)
    return fd


_FORMATS = (("sd-anamorphic", (720, 576)), ("hd-1080p", (1920, 1080)), ("web-360p", (640, 360)))


def _grade(frame: np.ndarray, gain: float, balance: np.ndarray, zoom: float, centre: tuple[float, float],
           size: tuple[int, int], saturation: float = 1.0) -> np.ndarray:
    """Reframe (crop by ``zoom`` around ``centre``), scale to ``size`` (non-uniformly for the
    anamorphic format), re-grade (gain and per-channel balance, gamma-space; saturation)."""
    h, w = frame.shape[:2]
    cw, ch = w / zoom, h / zoom
    x0 = int(np.clip(centre[0] * w - cw / 2, 0, w - cw))
    y0 = int(np.clip(centre[1] * h - ch / 2, 0, h - ch))
    crop = frame[y0 : y0 + int(ch), x0 : x0 + int(cw)]
    out = cv2.LUT(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), _grade_lut(gain, balance))
    if saturation == 1.0:
        return out
    grey = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return cv2.addWeighted(out, saturation, grey, 1.0 - saturation, 0.0)


def _grade_lut(gain: float, balance: np.ndarray) -> np.ndarray:
    """Per-channel 8-bit curve: gain as a gamma lift (real grades bend, they do not clip), then
    the channel's white-balance factor."""
    ramp = (np.arange(256, dtype=np.float32) / 255.0) ** (1.0 / gain)
    lut = np.stack([np.clip(255.0 * ramp * b, 0, 255) for b in balance], axis=1)
    return lut.astype(np.uint8).reshape(256, 1, 3)


def _encode_decode(frames: list[np.ndarray], size: tuple[int, int], crf: int) -> list[np.ndarray]:
    """H.264 round trip through an in-memory MP4 (the re-encode of a delivery)."""
    import io

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "ultrafast"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    buf.seek(0)
    with av.open(buf) as src:
        return [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]


def recut_footage(seed: int = 0, n_films: int = 6, shots_per_scene: tuple[int, int] = (5, 9),
                  frames_per_shot: int = 7, char_dropout: float = 0.25) -> Footage | None:
    """Edited films cut from the real sources (see the module doc); deterministic by seed.
    None when no source clip is present."""
    sources = available_sources()
    if not sources:
        return None
    rng = np.random.default_rng(seed)
    by_clip: dict[str, list[SourceShot]] = {}
    for s in sources:
        by_clip.setdefault(s.clip, []).append(s)
    clips = sorted(by_clip)
    shot_ids, setups, keyframes, media, orders, chars = [], [], [], [], [], []
    for film in range(n_films):
        fmt, size = _FORMATS[(film + seed) % len(_FORMATS)]
        # one delivery's look (an SD telecine and an HD remaster of one material differ a lot)
        look_gain = rng.uniform(0.65, 1.5)
        look_balance = rng.uniform(0.82, 1.18, 3)
        look_saturation = rng.uniform(0.6, 1.3)
        scene_clips = [clips[i] for i in rng.permutation(len(clips))[: max(3, len(clips) * 2 // 3)]]
        frames_out: list[np.ndarray] = []
        spans: list[tuple[int, int, SourceShot]] = []
        for clip in scene_clips:
            setups_here = by_clip[clip]
            count = int(rng.integers(shots_per_scene[0], shots_per_scene[1] + 1))
            if len(set(s.setup for s in setups_here)) == 1:
                count = int(rng.integers(1, 3))  # a one-setup clip: an establishing shot or two
            previous = None
            for _ in range(count):
                options = [s for s in setups_here if s.setup != previous] or setups_here
                src = options[int(rng.integers(len(options)))]
                previous = src.setup
                length = min(frames_per_shot, src.last - src.first + 1)
                start = int(rng.integers(src.first, src.last - length + 2))
                gain = look_gain * rng.uniform(0.75, 1.3)
                balance = look_balance * rng.uniform(0.92, 1.08, 3)
                zoom = rng.uniform(1.0, 1.35)
                centre = (rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6))
                frames = _frames(clip)
                begin = len(frames_out)
                frames_out += [_grade(frames[i], gain, balance, zoom, centre, size, look_saturation)
                               for i in range(start, start + length)]
                spans.append((begin, len(frames_out) - 1, src))
        decoded = _encode_decode(frames_out, size, crf=int(rng.integers(23, 32)))
        media_id = f"film{seed}-{film}-{fmt}.mp4"
        for n, (first, last, src) in enumerate(spans):
            shot_ids.append(f"{media_id}#{n:03d}")
            setups.append(src.setup)
            keyframes.append([decoded[i] for i in _picks(first, last)])
            media.append(media_id)
            orders.append(n)
            chars.append(frozenset(c for c in src.characters if rng.random() >= char_dropout))
    fd = Footage(f"re-cut real footage (seed {seed})", shot_ids, setups, keyframes, media, orders, chars)
    fd.pairs = sample_pairs(fd, rng)
    return fd


# ----- labelled pairs ---------------------------------------------------------------------
def all_pairs(fd: Footage) -> list[tuple[int, int, bool]]:
    n = len(fd.shot_ids)
    return [(i, j, fd.setups[i] == fd.setups[j]) for i in range(n) for j in range(i + 1, n)]


def sample_pairs(fd: Footage, rng: np.random.Generator, n_each: int = 150) -> list[tuple[int, int, bool]]:
    """Balanced labelled pairs like the team's: ``n_each`` same-setup pairs and as many
    different-setup pairs, half of those from one film (the hard ones: shared light and cast)."""
    pairs = all_pairs(fd)
    same = [p for p in pairs if p[2]]
    hard = [p for p in pairs if not p[2] and fd.media_ids[p[0]] == fd.media_ids[p[1]]]
    easy = [p for p in pairs if not p[2] and fd.media_ids[p[0]] != fd.media_ids[p[1]]]

    def take(items: list, k: int) -> list:
        return [items[i] for i in sorted(rng.choice(len(items), size=min(k, len(items)), replace=False))]

    return take(same, n_each) + take(hard, n_each // 2) + take(easy, n_each - n_each // 2)
