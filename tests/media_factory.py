"""Synthetic clips for media tests: textures cut together, pans, fades, dissolves, encoded with
PyAV's bundled FFmpeg, plus damaged copies (corrupt bytes, truncation).

Frames are BGR uint8. Textures are smoothed seeded noise, so every seed is a distinct, detailed
picture (a cut between two seeds is unmistakable) while consecutive pan frames stay similar.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

SHARED_MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
"""Hand-checked real footage (``../shared/media`` from the project root); absent in a bare clone."""

SIZE = (160, 96)
"""Default (width, height): small, so tests encode and decode in milliseconds."""


def shared_media(name: str) -> Path:
    """Path of a shared test clip; skips the calling test with the reason when it is absent."""
    import pytest  # only tests call this; the bench imports this module without pytest

    path = SHARED_MEDIA / name
    if not path.is_file():
        pytest.skip(f"shared test media {path} is absent (a clone outside this workplace)")
    return path


def shared_truth() -> dict:
    """truth.json of the shared media (skips when absent)."""
    return json.loads(shared_media("truth.json").read_text())


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except (av.error.FFmpegError, ValueError):  # unknown codec
        return False
    return True


def texture(seed: int, width: int = SIZE[0], height: int = SIZE[1]) -> np.ndarray:
    """A detailed colour picture unique to ``seed``."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (max(4, height // 8), max(4, width // 8), 3), dtype=np.uint8)
    image = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(image, (0, 0), 1.0)


def still(image: np.ndarray, frames: int) -> Iterator[np.ndarray]:
    for _ in range(frames):
        yield image


def solid(value: int, frames: int, width: int = SIZE[0], height: int = SIZE[1]) -> Iterator[np.ndarray]:
    """Uniform frames (0 for black, 255 for white)."""
    return still(np.full((height, width, 3), value, np.uint8), frames)


def pan(seed: int, frames: int, step: int = 2, width: int = SIZE[0],
        height: int = SIZE[1]) -> Iterator[np.ndarray]:
    """A camera pan: a window sliding ``step`` pixels a frame across a wide texture."""
    wide = texture(seed, width + step * frames, height)
    for i in range(frames):
        yield wide[:, i * step:i * step + width]


def fade(image: np.ndarray, frames: int, to: int = 0, fade_in: bool = False) -> Iterator[np.ndarray]:
    """Linear fade of ``image`` out to (or, with ``fade_in``, in from) the solid level ``to``."""
    target = np.full_like(image, to, dtype=np.float32)
    for i in range(frames):
        alpha = (i + 1) / (frames + 1)
        if fade_in:
            alpha = 1 - alpha
        yield np.clip(image * (1 - alpha) + target * alpha, 0, 255).astype(np.uint8)


def dissolve(a: np.ndarray, b: np.ndarray, frames: int) -> Iterator[np.ndarray]:
    """Cross-fade from ``a`` to ``b`` over ``frames`` mixed frames."""
    for i in range(frames):
        alpha = (i + 1) / (frames + 1)
        yield np.clip(a * (1 - alpha) + b * alpha, 0, 255).astype(np.uint8)


def encode(path: Path, frames: Iterable[np.ndarray], fps: Fraction = Fraction(25),
           codec: str = "libx264", pix_fmt: str = "yuv420p", rotation: int = 0,
           metadata: dict[str, str] | None = None, stream_metadata: dict[str, str] | None = None,
           audio: bool = False, options: dict[str, str] | None = None,
           container_options: dict[str, str] | None = None,
           pts_ms: list[int] | None = None) -> Path:
    """Encode BGR ``frames`` to ``path``. ``rotation`` is the clockwise display rotation written
    as a display matrix, the way phones flag portrait footage; ``pts_ms`` gives each frame's
    timestamp in milliseconds (variable frame rate) instead of a steady ``fps``."""
    frames = iter(frames)
    first = next(frames)
    with av.open(str(path), "w", options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = first.shape[1], first.shape[0]
        stream.pix_fmt = pix_fmt
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        quiet = {"libx264": {"preset": "ultrafast"},
                 "libx265": {"preset": "ultrafast", "x265-params": "log-level=none"}}
        stream.options = {**quiet.get(codec, {}), **(options or {})}
        if rotation:
            stream.set_display_rotation(-rotation)  # FFmpeg's angle is counter-clockwise
        for key, value in (stream_metadata or {}).items():
            stream.metadata[key] = value
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        sound = container.add_stream("aac", rate=48000) if audio else None
        previous: np.ndarray | None = None
        for i, image in enumerate(itertools.chain((first,), frames)):
            if image is not previous:  # a still repeats one array: convert it once
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
                frame = frame.reformat(format=pix_fmt)
                previous = image
            if pts_ms is None:
                frame.pts, frame.time_base = i, 1 / fps
            else:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            _write_silence(container, sound, seconds=1.0)
    return path


def _write_silence(container: av.container.OutputContainer, stream: av.AudioStream,
                   seconds: float) -> None:
    samples = np.zeros((2, int(stream.rate * seconds)), np.float32)
    frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
    frame.sample_rate = stream.rate
    container.mux(stream.encode(frame))
    container.mux(stream.encode())


def encode_audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000)
        _write_silence(container, stream, seconds=0.5)
    return path


def corrupt(src: Path, dst: Path, at: float = 0.5, length: int = 2048, seed: int = 7) -> Path:
    """Copy ``src`` with ``length`` random bytes overwritten at fraction ``at`` of the file."""
    data = bytearray(src.read_bytes())
    start = int(len(data) * at)
    rng = np.random.default_rng(seed)
    data[start:start + length] = rng.integers(0, 256, min(length, len(data) - start),
                                              dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def truncate(src: Path, dst: Path, keep: float = 0.6) -> Path:
    """Copy the first ``keep`` fraction of ``src``: a copy interrupted midway."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def photo(seed: int, width: int, height: int) -> np.ndarray:
    """A photo-like colour picture unique to ``seed``: broad shapes plus fine detail (seeded
    noise at three scales), contrast of a well-exposed photo."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), np.float32)
    for scale, amplitude in ((32, 1.0), (8, 0.5), (2, 0.25)):
        noise = rng.normal(0, 1, (max(2, height // scale), max(2, width // scale), 3))
        image += amplitude * cv2.resize(noise.astype(np.float32), (width, height),
                                        interpolation=cv2.INTER_CUBIC)
    image = (image - image.mean()) / image.std() * 45 + 120
    return np.clip(image, 0, 255).astype(np.uint8)


def grainy_pan(image: np.ndarray, frames: int, step: float = 0.5, width: int = SIZE[0],
               height: int = SIZE[1], grain: float = 8.0, seed: int = 0) -> Iterator[np.ndarray]:
    """A slow camera pan over ``image`` (scaled to ``height``) at ``step`` pixels a frame,
    sub-pixel steps allowed, with fresh film grain (Gaussian, sigma ``grain``) on every frame."""
    scaled_width = max(width + int(math.ceil(step * frames)) + 2,
                       round(image.shape[1] * height / image.shape[0]))
    source = cv2.resize(image, (scaled_width, height), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    for i in range(frames):
        shifted = cv2.warpAffine(source, np.float32([[1, 0, -i * step], [0, 1, 0]]),
                                 (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
        noisy = shifted + rng.normal(0.0, grain, shifted.shape)
        yield np.clip(noisy, 0, 255).astype(np.uint8)


def edited_reel(repeats: int = 4) -> list[np.ndarray]:
    """Frames of a reel cut every way an editor cuts: holds, a dissolve, a pan, a fade through
    black, a three-frame flash inside a shot, hard cuts; ``repeats`` times over (33 s at 25 fps
    for 4), so a reel split into chunks has boundaries inside shots and transitions alike."""
    a, b, c, d = (texture(seed) for seed in (1, 2, 3, 4))
    frames: list[np.ndarray] = []
    for rep in range(repeats):
        frames += [*still(a, 37), *dissolve(a, b, 20), *pan(5 + rep, 60), *fade(c, 15), *solid(0, 6),
                   *fade(c, 15, fade_in=True), *still(d, 23), *still(b, 3), *still(d, 30)]
    return frames
