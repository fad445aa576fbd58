"""Shot proxies: a small H.264 copy of one shot, for sources a browser cannot play.

Browsers play H.264, VP8/VP9 and AV1 in 8-bit 4:2:0 from MP4/MOV/WebM; editors shoot ProRes,
DNxHD, 10-bit HEVC and more. For those the page asks for a proxy: the shot's frames, decoded
with PyAV's FFmpeg, scaled to at most ``MAX_HEIGHT`` lines with the display rotation and pixel
aspect applied, encoded as H.264 with the index up front (so it starts at once), cached in the
data dir by shot id. Proxies carry picture only: they are for judging a shot, not for sound.

One proxy is encoded at a time (the machine's cores belong to ingest), and two requests for the
same shot wait for one encode.
"""

from __future__ import annotations

import logging
import os
import threading
from fractions import Fraction
from pathlib import Path

import av
import av.error

from ..errors import Unavailable
from ..media.video import rotate_upright
from ..records import MediaRecord, ShotRecord

log = logging.getLogger(__name__)

MAX_HEIGHT = 360
BROWSER_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
BROWSER_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})
_MP4_FAMILY = frozenset({"mov", "mp4"})


def plays_in_browser(media: MediaRecord) -> bool:
    """Whether a browser can play the source file as it is (else the page asks for a proxy)."""
    formats = set(media.container.split(","))
    container_ok = bool(formats & _MP4_FAMILY) or (Path(media.path).suffix.lower() == ".webm")
    return container_ok and media.codec in BROWSER_CODECS and media.pix_fmt in BROWSER_PIXEL_FORMATS


def browser_type(media: MediaRecord) -> str:
    return "video/webm" if Path(media.path).suffix.lower() == ".webm" else "video/mp4"


class ShotProxies:
    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._encode = threading.Lock()  # one encode at a time, whichever shot

    def path_of(self, shot_id: str) -> Path:
        return self.cache_dir / f"{shot_id}.mp4"

    def proxy(self, shot: ShotRecord, media: MediaRecord) -> Path:
        """The shot's proxy, made now if it is not cached. ``Unavailable`` says plainly why a
        proxy cannot be made (the file moved, no H.264 encoder, undecodable frames)."""
        path = self.path_of(shot.shot_id)
        if path.is_file():
            return path
        with self._encode:
            if path.is_file():  # made by the request we waited for
                return path
            if not Path(media.path).is_file():
                raise Unavailable(f"cannot make a playable copy of this shot: its file {media.path} is not there "
                                  f"any more (moved or on a drive that is not mounted)")
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            try:
                frames = _encode(media, shot, partial)
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                partial.unlink(missing_ok=True)
                raise Unavailable(f"cannot make a playable copy of this shot ({media.codec} in {Path(media.path).name}):"
                                  f" {exc}") from exc
            if frames == 0:
                partial.unlink(missing_ok=True)
                raise Unavailable(f"cannot make a playable copy of this shot: no frame of {Path(media.path).name} "
                                  f"decoded between {shot.start_s:.2f} s and {shot.end_s:.2f} s")
            partial.replace(path)
            log.info("shot proxy made", extra={"shot_id": shot.shot_id, "codec": media.codec, "frames": frames})
            return path


def _encode(media: MediaRecord, shot: ShotRecord, out: Path) -> int:
    """Decode the shot's frames (seeking near its start) and encode them to ``out``; returns the
    number of frames written. Frames are counted from the first one at or after the shot's
    start time, so the proxy holds exactly the shot's ``end_frame - start_frame`` frames."""
    try:
        av.codec.Codec("libx264", "w")
    except (av.error.FFmpegError, ValueError) as exc:
        raise ValueError("this installation's FFmpeg (PyAV) has no H.264 encoder") from exc
    wanted = shot.end_frame - shot.start_frame
    half_frame = 0.5 / float(media.frame_rate) if media.frame_rate else 0.0
    written = 0
    with av.open(media.path) as source, av.open(str(out), "w", format="mp4",
                                                  options={"movflags": "+faststart"}) as target:
        stream = source.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        if shot.start_s > 1.0 and tb:
            source.seek(int((media.first_pts_s + shot.start_s - 1.0) / tb), stream=stream, backward=True)
        encoder = None
        for frame in source.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * tb) - media.first_pts_s
            if t < shot.start_s - half_frame:
                continue
            if encoder is None:
                encoder = _encoder(target, media, frame)
            width, height = encoder.width, encoder.height
            if media.rotation in (90, 270):
                width, height = height, width
            image = rotate_upright(frame.to_ndarray(width=width, height=height, format="bgr24"), media.rotation)
            picture = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            picture.pts = written
            target.mux(encoder.encode(picture))
            written += 1
            if written >= wanted:
                break
        if encoder is not None:
            target.mux(encoder.encode())
    return written


def _encoder(target: av.container.OutputContainer, media: MediaRecord, frame: av.VideoFrame) -> av.VideoStream:
    """An H.264 stream at most ``MAX_HEIGHT`` lines high, display size (pixel aspect, rotation)."""
    aspect = media.pixel_aspect or Fraction(1)
    width, height = frame.width * aspect, Fraction(frame.height)
    if media.rotation in (90, 270):
        width, height = height, width
    scale = min(Fraction(1), Fraction(MAX_HEIGHT) / height)
    rate = media.frame_rate if media.frame_rate else Fraction(25)
    stream = target.add_stream("libx264", rate=rate)
    stream.width = max(2, round(width * scale / 2) * 2)
    stream.height = max(2, round(height * scale / 2) * 2)
    stream.pix_fmt = "yuv420p"
    stream.time_base = 1 / rate
    stream.options = {"preset": "veryfast", "crf": "26"}
    return stream
