"""A VideoStream over PyAV: frames in decode order with PTS-based times, rotation applied on demand,
and a cheap luma-only path for analysis.

Why PyAV and not OpenCV's VideoCapture: PyAV exposes the frame PTS (VFR-safe times, the first
frame's non-zero PTS), the display matrix (rotation) and the raw Y plane, so analysis can skip the
full-size YUV->BGR conversion that dominates OpenCV decoding cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import cv2
import numpy as np

from binsight.errors import InvalidInput
from binsight.media.types import MediaInfo

# Planar YUV formats (yuv420p, yuv422p10le, yuvj420p, ...): three planes readable as numpy.
_PLANAR_YUV_PREFIXES = ("yuv",)

MAX_DISPLAY_SIDE = 1920
"""Images handed to embedders are downscaled to this long side: larger costs memory, not accuracy."""


def rotate_upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply the display rotation (clockwise degrees, as FFmpeg's autorotate does)."""
    if rotation == 90:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if rotation == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


_PLANAR_BITS: dict[str, int] = {}
"""Pixel format name -> bits per sample when it is planar YUV with three planes, else 0 (looked up
per frame, so worked out once per format)."""


def _planar_bits(frame: av.VideoFrame) -> int:
    fmt = frame.format
    if (fmt.name.startswith(_PLANAR_YUV_PREFIXES) and len(fmt.components) >= 3
            and len(frame.planes) >= 3):
        return fmt.components[0].bits
    return 0


@dataclass
class DecodedFrame:
    """One decoded frame: its 0-based decode-order index and time from the first frame's PTS."""

    index: int
    time_s: float
    frame: av.VideoFrame
    pixel_aspect: Fraction

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Y, U and V as 8-bit arrays at their stored size, plus whether the range is full (JPEG).

        Planar YUV is read straight from the decoder's buffers (no colour conversion, the reason
        analysis is cheap); 10/12-bit samples are shifted to 8 bits so every threshold is
        bit-depth independent. Other layouts (NV12, RGB, ...) go through one swscale conversion.
        """
        frame = self.frame
        name = frame.format.name
        bits = _PLANAR_BITS.get(name)
        if bits is None:
            bits = _PLANAR_BITS[name] = _planar_bits(frame)
        if not bits:
            frame = frame.reformat(format="yuv444p")
            name, bits = frame.format.name, 8
        dtype = np.dtype(np.uint8) if bits <= 8 else np.dtype("<u2")
        out = []
        for plane in frame.planes[:3]:
            full = np.frombuffer(plane, dtype).reshape(plane.height, plane.line_size // dtype.itemsize)
            array = full[:, : plane.width]
            out.append((array >> (bits - 8)).astype(np.uint8) if bits > 8 else array)
        full_range = name.startswith("yuvj") or frame.color_range == 2  # AVCOL_RANGE_JPEG
        return out[0], out[1], out[2], full_range

    def bgr(self, rotation: int, max_side: int = MAX_DISPLAY_SIDE) -> np.ndarray:
        """Upright BGR uint8 at display size (pixel aspect and rotation applied), long side capped.

        Scaling and colour conversion happen in one swscale call, so a 4K frame is never held as
        full-size BGR."""
        width = self.frame.width * self.pixel_aspect
        height = self.frame.height
        scale = min(Fraction(1), Fraction(max_side) / max(width, height))
        image = self.frame.to_ndarray(width=max(1, round(width * scale)),
                                      height=max(1, round(height * scale)), format="bgr24",
                                      interpolation="AREA")
        return rotate_upright(image, rotation)


class VideoStream:
    """Sequential decoder of one video file's first video stream.

    Corrupt packets do not stop decoding: they are skipped and recorded in ``warnings``. When the
    stream ends before the frame count the probe read from the header, or the demuxer fails midway,
    ``truncated`` is set and what was decoded is kept.
    """

    def __init__(self, path: str, info: MediaInfo, *, fast: bool = False,
                 window: tuple[int, int] | None = None) -> None:
        """``fast`` decodes at reduced cost for analysis: the in-loop deblocking filter is
        skipped, which changes fine detail only (nothing a thumbnail-size statistic sees) and
        saves a fifth of H.264/HEVC decode time. Frames handed to people use ``fast=False``.

        ``window`` = (from_pts, first_pts) decodes a stretch of the file instead of all of it
        (one chunk of a long file, see ``chunks``): from the key frame at or before ``from_pts``,
        with times counted from ``first_pts`` (the file's first frame, so they equal a whole
        pass's) and indices from 0 at that key frame. Frames shown before the key frame (an
        open GOP's leading pictures, whose references were never decoded) are dropped. The
        caller stops when it has what it needs and judges truncation itself; anything unusual
        (no timestamps, the seek not landing on a key frame) is a warning."""
        self.path = path
        self.info = info
        self.fast = fast
        self.window = window
        self.warnings: list[str] = []
        self.truncated = False
        self.frames_decoded = 0

    def __iter__(self) -> Iterator[DecodedFrame]:
        try:
            container = av.open(self.path)
        except (av.error.FFmpegError, OSError) as exc:
            raise InvalidInput(f"{self.path}: cannot be opened for decoding ({exc})") from exc
        with container:
            stream = container.streams.video[0]
            # Frame and slice threads both: x264 and x265 write one slice per frame by default,
            # so slice threads alone leave H.264 decoding on one core (frame threads cost some
            # CPU in hand-offs, but the decoder is the floor of every figure here).
            stream.thread_type = "AUTO"
            if self.fast:
                stream.codec_context.options = {"skip_loop_filter": "all"}
            time_base = stream.time_base
            # Integer true division is correctly rounded, so this equals float(Fraction) exactly
            # without building a Fraction per frame.
            tb_num, tb_den = time_base.numerator, time_base.denominator
            first_pts: int | None = None
            key_pts: int | None = None
            if self.window is not None:
                key_pts, first_pts = self._seek(container, stream, self.window[0]), self.window[1]
            pixel_aspect = self.info.pixel_aspect
            for frame in self._decode(container, stream):
                pts = frame.pts if frame.pts is not None else frame.dts
                if key_pts is not None and (pts is None or pts < key_pts):
                    if pts is None:
                        self.warnings.append(f"{self.path}: a frame without a timestamp after a seek")
                    continue
                if first_pts is None:
                    first_pts = pts if pts is not None else 0
                if pts is None:  # no timestamp at all: fall back to the nominal rate
                    time_s = float(self.frames_decoded / self.info.frame_rate)
                else:
                    time_s = (pts - first_pts) * tb_num / tb_den
                yield DecodedFrame(self.frames_decoded, time_s, frame, pixel_aspect)
                self.frames_decoded += 1
        expected = self.info.frame_count
        if self.window is None and not self.truncated and expected and self.frames_decoded < expected:
            self.truncated = True
            self.warnings.append(
                f"{self.path}: decoding ended at frame {self.frames_decoded} of {expected}; the file "
                "looks truncated, shots after that point are missing")

    def _seek(self, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
              pts: int) -> int | None:
        """Seek to the key frame at or before ``pts``; its timestamp (None, with a warning, when
        the demuxer does not land on a key frame with one)."""
        try:
            container.seek(pts, stream=stream, backward=True)
            packet = next(p for p in container.demux(stream) if p.size)
        except (av.error.FFmpegError, StopIteration) as exc:
            self.warnings.append(f"{self.path}: cannot seek to timestamp {pts} ({exc or 'end of file'})")
            return None
        if not packet.is_keyframe or packet.pts is None:
            self.warnings.append(f"{self.path}: a seek to timestamp {pts} did not land on a key frame")
            return None
        key_pts = packet.pts
        container.seek(key_pts, stream=stream, backward=True)  # the packet read is decoded again
        return key_pts

    def _decode(self, container: av.container.InputContainer,
                stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
        """Demux and decode packet by packet so one bad packet costs one warning, not the file."""
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError as exc:
                self.truncated = True
                self.warnings.append(f"{self.path}: reading stopped after frame "
                                     f"{self.frames_decoded} ({exc}); the file looks truncated")
                return
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                self.warnings.append(f"{self.path}: skipped a corrupt packet near frame "
                                     f"{self.frames_decoded} ({exc})")
                continue
            for frame in frames:
                if frame.is_corrupt:
                    self.warnings.append(f"{self.path}: frame {self.frames_decoded} decoded with "
                                         "errors (corrupt data); kept as decoded")
                yield frame
