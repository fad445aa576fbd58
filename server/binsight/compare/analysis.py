"""Analyse one version of a cut: one decode pass gives its shots and a fingerprint of every
frame, kept as a :class:`CutAnalysis` that any number of comparisons (at any thresholds) reuse.

The decode of ``detect_shots`` feeds the fingerprinter too (an observer of each frame), from the
same decoded frames, so a file is read once. Memory is the detector's scalars plus 288 bytes of
fingerprint a frame (about 26 MB for an hour at 25 fps); no picture is held.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from fractions import Fraction
from pathlib import Path

import numpy as np

from binsight.bins import SourceMedia
from binsight.errors import InvalidInput
from binsight.exporters.timecode import frames_to_timecode, media_start_frames, nle_rate
from binsight.media.probe import probe
from binsight.media.shots import detect_shots
from binsight.media.types import DetectorConfig
from binsight.media.types import MediaInfo, Shot

from .config import CompareConfig
from .fingerprint import Fingerprinter

FORMAT_VERSION = 1
"""Version of the saved analysis layout; a file written by another version is refused."""


@dataclass(frozen=True)
class CutAnalysis:
    """Everything a comparison needs from one file. Frame numbers are 0-based in decode order;
    the arrays have one row per decoded frame and are read-only."""

    path: str
    info: MediaInfo
    shots: tuple[Shot, ...]
    time_s: np.ndarray  # (frames,) seconds from the first frame's PTS
    sharpness: np.ndarray  # (frames,) variance of the Laplacian, for keyframe choice
    luma: np.ndarray  # (frames, 12, 16) uint8 display-range luma thumbnails
    chroma: np.ndarray  # (frames, 2, 6, 8) uint8 U and V thumbnails
    detector: DetectorConfig
    file_size: int
    file_mtime_ns: int
    warnings: tuple[str, ...] = ()

    @property
    def frame_count(self) -> int:
        return len(self.time_s)

    @property
    def frame_rate(self) -> Fraction:
        """The editorial rate (2997/100 is labelled 30000/1001, as NLEs do); frames never move."""
        return nle_rate(self.info.frame_rate)

    @cached_property
    def source(self) -> SourceMedia:
        """The file as the exporters' timecode helpers see it."""
        info = self.info
        width, height = info.display_size
        return SourceMedia(media_id=Path(self.path).name, path=self.path, name=Path(self.path).name,
                           frame_rate=self.frame_rate, drop_frame=info.drop_frame,
                           start_timecode=info.start_timecode or "00:00:00:00", reel=info.reel,
                           width=width, height=height, duration_frames=self.frame_count,
                           has_audio=info.has_audio, audio_channels=info.audio_channels,
                           audio_sample_rate=info.audio_sample_rate)

    def seconds(self, frame: int) -> float:
        """PTS time of ``frame``; the end of the file for ``frame == frame_count``."""
        if frame < self.frame_count:
            return float(self.time_s[frame])
        return float(self.time_s[-1]) + self._frame_duration

    @cached_property
    def _frame_duration(self) -> float:
        """Typical frame duration from the PTS (what the last frame lasts)."""
        if self.frame_count > 1:
            return float(np.median(np.diff(self.time_s)))
        return float(1 / self.info.frame_rate)

    def timecode(self, frame: int) -> str:
        """Source timecode of ``frame`` from the file's own start timecode and rate."""
        source = self.source
        return frames_to_timecode(media_start_frames(source) + frame, source.frame_rate,
                                  source.drop_frame)

    def is_current(self) -> bool:
        """Whether the file on disk is still the one analysed (size and modification time)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == (self.file_size, self.file_mtime_ns)

    def save(self, path: str | Path) -> None:
        """Write the analysis to ``path`` (.npz: arrays plus a JSON header, no pickle)."""
        header = {"version": FORMAT_VERSION, "path": self.path, "info": _info_dict(self.info),
                  "shots": [asdict(s) for s in self.shots], "detector": asdict(self.detector),
                  "file_size": self.file_size, "file_mtime_ns": self.file_mtime_ns,
                  "warnings": list(self.warnings)}
        with open(path, "wb") as f:
            np.savez_compressed(f, header=np.frombuffer(json.dumps(header).encode(), np.uint8),
                                time_s=self.time_s, sharpness=self.sharpness, luma=self.luma,
                                chroma=self.chroma)

    @classmethod
    def load(cls, path: str | Path) -> CutAnalysis:
        """Read an analysis written by :meth:`save`; InvalidInput when it is not one."""
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(data["header"].tobytes())
                arrays = {k: data[k] for k in ("time_s", "sharpness", "luma", "chroma")}
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInput(f"{path}: not a saved cut analysis ({exc}); analyse the file "
                               "again") from exc
        if header.get("version") != FORMAT_VERSION:
            raise InvalidInput(f"{path}: saved by analysis format {header.get('version')}, this "
                               f"version reads {FORMAT_VERSION}; analyse the file again")
        info = header["info"]
        info.update(pixel_aspect=Fraction(info["pixel_aspect"]),
                    frame_rate=Fraction(info["frame_rate"]), warnings=tuple(info["warnings"]))
        return _frozen(cls(path=header["path"], info=MediaInfo(**info),
                           shots=tuple(Shot(**s) for s in header["shots"]),
                           detector=DetectorConfig(**header["detector"]),
                           file_size=header["file_size"], file_mtime_ns=header["file_mtime_ns"],
                           warnings=tuple(header["warnings"]), **arrays))


def _info_dict(info: MediaInfo) -> dict:
    out = asdict(info)
    out.update(pixel_aspect=str(info.pixel_aspect), frame_rate=str(info.frame_rate),
               warnings=list(info.warnings))
    return out


def _frozen(analysis: CutAnalysis) -> CutAnalysis:
    for array in (analysis.time_s, analysis.sharpness, analysis.luma, analysis.chroma):
        array.flags.writeable = False
    return analysis


def analyse(path: str, config: CompareConfig = CompareConfig(),
            progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> CutAnalysis:
    """Probe and decode ``path`` once: its shots and per-frame fingerprints.

    ``progress(frames_done, frames_total)`` is called about once a second of footage and
    ``cancelled`` polled as often (Cancelled is raised within a second of footage of it turning
    true). A file that cannot be read raises InvalidInput with the reason, from the probe.
    """
    info = probe(path)
    stat = os.stat(path)
    fingerprints = Fingerprinter(info.rotation)
    detection = detect_shots(path, info, config.detector,
                             progress=(lambda done, total, _: progress(done, total)) if progress else None,
                             cancelled=cancelled, observers=(fingerprints.add,))
    stats = detection.frame_stats
    if stats is None or len(stats) == 0:
        raise InvalidInput(f"{path}: no frame could be decoded; check the file plays")
    return _frozen(CutAnalysis(
        path=path, info=info, shots=tuple(detection.shots), time_s=stats.time_s,
        sharpness=stats.sharpness.astype(np.float32), luma=fingerprints.luma(),
        chroma=fingerprints.chroma(), detector=config.detector, file_size=stat.st_size,
        file_mtime_ns=stat.st_mtime_ns, warnings=(*info.warnings, *detection.warnings)))
