"""Avid Log Exchange (ALE) for Media Composer: one file per cluster, or one file with a Bin column.

Media Composer merges an ALE into a bin only when its FPS and VIDEO_FORMAT match the bin's
(OpenTimelineIO#626), so each file carries a single rate, DF/NDF mode and video format: sources
that differ are split into files named after the difference.  Column headings are matched
exactly, case and spaces included, and custom ones are cut at 14 characters (24p.com), so the
custom headings below are short and fixed.  Name, Tape and Start stay the match keys: Tape is the
source's reel as recorded, Start its source timecode, never re-based.
"""

from __future__ import annotations

from pathlib import Path

from binsight.bins import BinSet, SourceMedia
from binsight.exporters import (
    ClusterShot,
    ExportOptions,
    Exporter,
    cluster_shots,
    exported_bins,
    group_by,
    one_line,
    output_stem,
    rate_key,
    reel_name,
    register,
    safe_stem,
)
from binsight.exporters.timecode import clip_in_out, rate_label, rate_tag

STANDARD_COLUMNS = ("Name", "Tracks", "Start", "End", "Tape", "Source File")
CUSTOM_COLUMNS = ("Cluster", "Sub-bins", "Characters", "Score", "Shot ID")
BIN_COLUMN = "Bin"
MAX_CUSTOM_HEADING = 14


def video_format(media: SourceMedia) -> str:
    """Avid's VIDEO_FORMAT for a frame size (as Avid and OTIO's ALE adapter name them)."""
    if media.height == 1080 and media.width <= 1920:
        return "1080"
    return {720: "720", 576: "PAL", 486: "NTSC", 480: "NTSC"}.get(media.height, "CUSTOM")


def _file_key(shot: ClusterShot) -> tuple[object, ...]:
    return (*rate_key(shot.clip.media), video_format(shot.clip.media))


def _tracks(media: SourceMedia) -> str:
    if not media.has_audio:
        return "V"
    return "V" + "".join(f"A{n}" for n in range(1, max(media.audio_channels, 1) + 1))


def _row(shot: ClusterShot, with_bin: bool) -> list[str]:
    clip, media = shot.clip, shot.clip.media
    start, end = clip_in_out(clip)
    row = [
        clip.name,
        _tracks(media),
        start,
        end,
        reel_name(media),
        media.path,
        shot.cluster.name,
        ", ".join(shot.sub_bins),
        ", ".join(clip.characters),
        f"{clip.score:.3f}",
        clip.shot_id,
    ]
    if with_bin:
        row.append(shot.cluster.name)
    return [one_line(cell) for cell in row]


def render(shots: list[ClusterShot], with_bin: bool) -> str:
    """One ALE: Heading, Column and Data sections, tab-delimited."""
    media = shots[0].clip.media
    audio = next((s.clip.media for s in shots if s.clip.media.has_audio and s.clip.media.audio_sample_rate), None)
    audio_format = f"{audio.audio_sample_rate / 1000:g}khz" if audio else "48khz"
    columns = [*STANDARD_COLUMNS, *CUSTOM_COLUMNS, *([BIN_COLUMN] if with_bin else [])]
    lines = [
        "Heading",
        "FIELD_DELIM\tTABS",
        f"VIDEO_FORMAT\t{video_format(media)}",
        f"AUDIO_FORMAT\t{audio_format}",
        f"FPS\t{rate_label(media.frame_rate)}",
        "",
        "Column",
        "\t".join(columns),
        "",
        "Data",
        *("\t".join(_row(s, with_bin)) for s in shots),
        "",
    ]
    return "\r\n".join(lines)


@register
class AleExporter(Exporter):
    format_name = "ale"
    extension = ".ale"
    description = "Avid Log Exchange for Media Composer"

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        clusters = exported_bins(binset, options)
        if options.ale_layout == "single":
            files = [(safe_stem(options.project(binset)), [s for c in clusters for s in cluster_shots(c)])]
        else:
            files = [(output_stem(i, c.name), cluster_shots(c)) for i, c in enumerate(clusters, 1)]
        written: list[Path] = []
        for stem, shots in files:
            groups = group_by(shots, _file_key)
            for (rate, drop_frame, fmt), group in groups:
                suffix = ""
                if len({k[:2] for k, _ in groups}) > 1:
                    suffix += f"_{rate_tag(rate, drop_frame)}"
                if len({k[2] for k, _ in groups}) > 1:
                    suffix += f"_{fmt}"
                path = out_dir / f"{stem}{suffix}{self.extension}"
                path.write_bytes(render(group, options.ale_layout == "single").encode("utf-8"))
                written.append(path)
        return written
