"""CMX 3600 EDLs: one per top-level bin (an EDL has no bins: every scene and every person gets
its own), split by frame rate and at 999 events.

An EDL carries one rate and one frame-code mode, so a bin with mixed sources gets one EDL per
(rate, DF/NDF), named with the rate. Only SMPTE timecode rates exist in CMX 3600: a source near
one (a phone's variable 29.9 fps) is written at it, one far from all (10 fps) is left out with a
warning naming the file (see ``conform``). Event numbers have three digits, so past 999 events
the list continues in ``_part2`` and so on; every part records from 01:00:00:00 again.

Reels are at most 8 characters (OpenTimelineIO#168, PR #804); ``naming.edl_reel`` shortens the
others and ``edl_reels.csv`` maps every shortened reel back to the real reel and file.

Comments follow Premiere Pro's own EDLs: ``* FROM CLIP NAME:`` with the source file's name (what
Premiere and Resolve relink by) and ``* SOURCE FILE:`` with its path. ``* FROM CLIP:`` /
``* FROM FILE:`` are not written: Premiere then names every clip UNKNOWN (OpenTimelineIO#1178).
The shot name rides along as a ``* COMMENT:`` line, the slate as ``* SCENE:`` / ``* TAKE:`` /
``* CAMROLL:`` lines when known. Every line is 7-bit ASCII: EDL readers take bytes as ASCII or
their own code page, so names are transliterated ("été" -> "ete") and a warning says which
file names changed. Only the video track is listed: Resolve imports one video track and no
audio from an EDL anyway (mltframework/shotcut#473).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from binsight.bins import BinSet, SourceMedia
from binsight.errors import InvalidInput
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, register
from binsight.exporters.conform import EDL_RULE, conform
from binsight.exporters.naming import ascii_line, ascii_warning, edl_reel, output_stem, reel_name
from binsight.exporters.timecode import clip_in_out, frames_to_timecode, rate_tag, timecode_to_frames
from binsight.exporters.walk import ClusterShot, chunked, cluster_shots, exported_bins, group_by, media_of, rate_key

MAX_EVENTS = 999
RECORD_START = "01:00:00:00"
REEL_MAP_FILE = "edl_reels.csv"


def render_edl(title: str, shots: list[ClusterShot]) -> str:
    """One EDL: header then one video cut per shot, record timecode laid end to end."""
    media = shots[0].clip.media
    rate, drop_frame = media.frame_rate, media.drop_frame
    lines = [f"TITLE: {ascii_line(title)}", "FCM: DROP FRAME" if drop_frame else "FCM: NON-DROP FRAME", ""]
    record = timecode_to_frames(RECORD_START, rate, drop_frame)
    for number, shot in enumerate(shots, 1):
        clip = shot.clip
        src_in, src_out = clip_in_out(clip)
        rec_in = frames_to_timecode(record, rate, drop_frame)
        record += clip.duration_frames
        rec_out = frames_to_timecode(record, rate, drop_frame)
        reel = edl_reel(reel_name(clip.media))
        lines.append(f"{number:03d}  {reel:<8} V     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {ascii_line(clip.media.name)}")
        lines.append(f"* SOURCE FILE: {ascii_line(clip.media.path)}")
        lines.append(f"* COMMENT: {ascii_line(clip.name)}")
        slate = clip.slate
        for label, value in (("SCENE", slate.scene), ("TAKE", slate.take), ("CAMROLL", slate.camroll)):
            if value:
                lines.append(f"* {label}: {ascii_line(value)}")
        lines.append("")
    return "\r\n".join(lines)


def _reel_map(media: Iterable[SourceMedia]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["EDL Reel", "Reel", "Source File"])
    for m in sorted(media, key=lambda m: edl_reel(reel_name(m))):
        writer.writerow([edl_reel(reel_name(m)), reel_name(m), m.path])
    return out.getvalue().encode("utf-8")


@register
class EdlExporter(Exporter):
    format_name = "edl"
    extension = ".edl"
    description = "CMX 3600 EDL, one per bin and frame rate"

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        conformed = conform(binset, EDL_RULE)
        clusters = exported_bins(conformed.binset, options.include_noise)
        media = media_of(clusters)
        shortened: dict[str, set[str]] = {}
        for m in media:
            shortened.setdefault(edl_reel(reel_name(m)), set()).add(reel_name(m))
        clashes = {short: sorted(reels) for short, reels in shortened.items() if len(reels) > 1}
        if clashes:
            # Two sources under one EDL reel would relink to the wrong media: refuse, loudly.
            raise InvalidInput(f"reels shorten to the same 8-character EDL reel: {clashes}; "
                               f"give these sources distinct reels")

        files: list[ExportedFile] = []
        for index, cluster in enumerate(clusters, 1):
            groups = group_by(cluster_shots(cluster), lambda s: rate_key(s.clip.media))
            for (rate, drop_frame), shots in groups:
                stem = output_stem(index, cluster.name)
                if len(groups) > 1:
                    stem += f"_{rate_tag(rate, drop_frame)}"
                for part, part_shots in enumerate(chunked(shots, MAX_EVENTS), 1):
                    suffix = f"_part{part}" if part > 1 else ""
                    title = f"{options.project(binset)} - {cluster.name}{suffix.replace('_', ' ')}"
                    text = render_edl(title, list(part_shots))
                    files.append(ExportedFile(f"{stem}{suffix}{self.extension}", text.encode("ascii")))
        renamed = [m for m in media if edl_reel(reel_name(m)) != reel_name(m)]
        if renamed:
            files.append(ExportedFile(REEL_MAP_FILE, _reel_map(renamed)))
        warnings = (*conformed.warnings, *ascii_warning([m.name for m in media], "EDL comments"))
        return ExportResult(tuple(files), warnings)
