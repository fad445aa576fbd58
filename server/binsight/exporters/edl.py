"""CMX 3600 EDLs: one per cluster (an EDL has no bins), split by frame rate and at 999 events.

An EDL carries one rate and one frame-code mode, so a cluster with mixed sources gets one EDL per
(rate, DF/NDF), named with the rate.  Event numbers have three digits, so past 999 events the
list continues in ``_part2`` and so on; every part records from 01:00:00:00 again.

Reels are at most 8 characters (OpenTimelineIO#168, PR #804).  A reel that does not fit (or has
characters an EDL cannot carry) is shortened deterministically to 4 of its characters plus a
4-digit hash, and ``edl_reels.csv`` maps every shortened reel back to the real reel and file.

Comments follow Premiere Pro's own EDLs: ``* FROM CLIP NAME:`` with the source file's name (what
Premiere and Resolve relink by) and ``* SOURCE FILE:`` with its path.  ``* FROM CLIP:`` /
``* FROM FILE:`` are not written: Premiere then names every clip UNKNOWN (OpenTimelineIO#1178).
The shot name rides along as a ``* COMMENT:`` line.  Only the video track is listed: Resolve
imports one video track and no audio from an EDL anyway (mltframework/shotcut#473).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from binsight.bins import BinSet, SourceMedia
from binsight.exporters import (
    ClusterShot,
    ExportOptions,
    Exporter,
    chunked,
    cluster_shots,
    exported_bins,
    group_by,
    media_of,
    one_line,
    output_stem,
    rate_key,
    reel_name,
    register,
)
from binsight.exporters.timecode import clip_in_out, frames_to_timecode, rate_tag, timecode_to_frames

MAX_EVENTS = 999
REEL_LEN = 8
RECORD_START = "01:00:00:00"
REEL_MAP_FILE = "edl_reels.csv"
_REEL_OK = re.compile(r"^[A-Za-z0-9_]{1,8}$")


def edl_reel(reel: str) -> str:
    """The reel as written in the EDL: unchanged when it fits, else 4 characters + 4-hex hash
    of the full name, so two long reels sharing a prefix stay distinct and runs are reproducible."""
    if _REEL_OK.match(reel):
        return reel
    head = re.sub(r"[^A-Za-z0-9]", "", reel)[: REEL_LEN - 4].upper()
    return head + hashlib.sha1(reel.encode("utf-8")).hexdigest()[:4].upper()


def render(title: str, shots: list[ClusterShot]) -> str:
    """One EDL: header then one video cut per shot, record timecode laid end to end."""
    media = shots[0].clip.media
    rate, drop_frame = media.frame_rate, media.drop_frame
    lines = [f"TITLE: {one_line(title)}", "FCM: DROP FRAME" if drop_frame else "FCM: NON-DROP FRAME", ""]
    record = timecode_to_frames(RECORD_START, rate, drop_frame)
    for number, shot in enumerate(shots, 1):
        clip = shot.clip
        src_in, src_out = clip_in_out(clip)
        rec_in = frames_to_timecode(record, rate, drop_frame)
        record += clip.duration_frames
        rec_out = frames_to_timecode(record, rate, drop_frame)
        reel = edl_reel(reel_name(clip.media))
        lines.append(f"{number:03d}  {reel:<8} V     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {one_line(clip.media.name)}")
        lines.append(f"* SOURCE FILE: {one_line(clip.media.path)}")
        lines.append(f"* COMMENT: {one_line(clip.name)}")
        lines.append("")
    return "\r\n".join(lines)


@register
class EdlExporter(Exporter):
    format_name = "edl"
    extension = ".edl"
    description = "CMX 3600 EDL, one per cluster and frame rate"

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        clusters = exported_bins(binset, options)
        media = media_of(clusters)
        shortened: dict[str, set[str]] = {}
        for m in media:
            shortened.setdefault(edl_reel(reel_name(m)), set()).add(reel_name(m))
        clashes = {short: sorted(reels) for short, reels in shortened.items() if len(reels) > 1}
        if clashes:
            # Two sources under one EDL reel would relink to the wrong media: refuse, loudly.
            raise ValueError(f"reels shorten to the same 8-character EDL reel: {clashes}")

        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for index, cluster in enumerate(clusters, 1):
            groups = group_by(cluster_shots(cluster), lambda s: rate_key(s.clip.media))
            for (rate, drop_frame), shots in groups:
                stem = output_stem(index, cluster.name)
                if len(groups) > 1:
                    stem += f"_{rate_tag(rate, drop_frame)}"
                for part, part_shots in enumerate(chunked(shots, MAX_EVENTS), 1):
                    suffix = f"_part{part}" if part > 1 else ""
                    title = f"{options.project(binset)} - {cluster.name}{suffix.replace('_', ' ')}"
                    path = out_dir / f"{stem}{suffix}{self.extension}"
                    path.write_bytes(render(title, list(part_shots)).encode("utf-8"))
                    written.append(path)
        renamed = [m for m in media if edl_reel(reel_name(m)) != reel_name(m)]
        if renamed:
            written.append(self._write_reel_map(out_dir, renamed))
        return written

    @staticmethod
    def _write_reel_map(out_dir: Path, media: Iterable[SourceMedia]) -> Path:
        path = out_dir / REEL_MAP_FILE
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["EDL Reel", "Reel", "Source File"])
            for m in sorted(media, key=lambda m: edl_reel(reel_name(m))):
                out.writerow([edl_reel(reel_name(m)), reel_name(m), m.path])
        return path
