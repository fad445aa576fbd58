"""Avid Log Exchange (ALE) for Media Composer: one file per top-level bin (each scene, each
person), or one file with a Bin column.

Media Composer merges an ALE into a bin only when its FPS and VIDEO_FORMAT match the bin's
(OpenTimelineIO#626), so each file carries a single rate, DF/NDF mode and video format: sources
that differ are split into files named after the difference; sources at no SMPTE rate (10 fps)
are left out with a warning naming the file (see ``conform``). Column headings are matched
exactly, case and spaces included, and custom ones are cut at 14 characters (24p.com), so the
custom headings below are short and fixed, and Avid's own headings are used for what Avid knows:
``Source File`` is the file's name and ``Source Path`` its folder, as Media Composer reads them;
``Scene``, ``Take``, ``Camroll`` and ``Camera`` are written when a slate was read.

Name, Tape and Start stay the match keys. Tape is the reel exactly as the EDL export writes it
for the same file (``naming.edl_reel``: the reel itself when it fits in 8 characters), so an EDL
and an ALE of one shoot agree; ``Full Reel`` keeps the reel as recorded. Start is the source
timecode, never re-based. Every cell is 7-bit ASCII (Media Composer reads ALEs in the system
code page): names are transliterated and a warning says which file names changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from binsight.bins import BinClip, BinSet, SourceMedia
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, FormatOptions, choice, register
from binsight.exporters.conform import ALE_RULE, conform
from binsight.exporters.naming import ascii_line, ascii_warning, edl_reel, output_stem, reel_name, safe_stem, source_folder
from binsight.exporters.timecode import clip_in_out, rate_label, rate_tag
from binsight.exporters.walk import ClusterShot, cluster_shots, exported_bins, group_by, media_of, rate_key

STANDARD_COLUMNS = ("Name", "Tracks", "Start", "End", "Tape", "Source File", "Source Path")
CUSTOM_COLUMNS = ("Full Reel", "Cluster", "Character", "Sub-bins", "Characters", "Score", "Shot ID")
SLATE_COLUMNS = {"Scene": "scene", "Take": "take", "Camroll": "camroll", "Camera": "camera_angle"}
BIN_COLUMN = "Bin"
MAX_CUSTOM_HEADING = 14


def video_format(media: SourceMedia) -> str:
    """Avid's VIDEO_FORMAT for a frame size (as Avid and OTIO's ALE adapter name them)."""
    if media.height == 1080 and media.width <= 1920:
        return "1080"
    return {720: "720", 576: "PAL", 486: "NTSC", 480: "NTSC"}.get(media.height, "CUSTOM")


def audio_format(sample_rate: int) -> str:
    """AUDIO_FORMAT as Avid writes it: whole kilohertz, "48khz", "44khz" (for 44.1 kHz)."""
    return f"{sample_rate // 1000}khz"


def _file_key(shot: ClusterShot) -> tuple[object, ...]:
    return (*rate_key(shot.clip.media), video_format(shot.clip.media))


def _tracks(media: SourceMedia) -> str:
    if not media.has_audio:
        return "V"
    return "V" + "".join(f"A{n}" for n in range(1, max(media.audio_channels, 1) + 1))


def _slate_columns(clips: list[BinClip]) -> list[str]:
    return [col for col, attr in SLATE_COLUMNS.items() if any(getattr(c.slate, attr) for c in clips)]


def _row(shot: ClusterShot, slate_columns: list[str], with_bin: bool) -> list[str]:
    clip, media = shot.clip, shot.clip.media
    start, end = clip_in_out(clip)
    row = [
        clip.name,
        _tracks(media),
        start,
        end,
        edl_reel(reel_name(media)),
        media.name,
        source_folder(media.path),
        reel_name(media),
        shot.cluster.name,
        shot.person,
        ", ".join(shot.sub_bins),
        ", ".join(clip.characters),
        f"{clip.score:.3f}",
        clip.shot_id,
        *(getattr(clip.slate, SLATE_COLUMNS[col]) for col in slate_columns),
    ]
    if with_bin:
        row.append(shot.cluster.name)
    return [ascii_line(cell) for cell in row]


def render_ale(shots: list[ClusterShot], with_bin: bool) -> str:
    """One ALE: Heading, Column and Data sections, tab-delimited."""
    media = shots[0].clip.media
    rates = [s.clip.media.audio_sample_rate for s in shots if s.clip.media.has_audio and s.clip.media.audio_sample_rate]
    slate_columns = _slate_columns([s.clip for s in shots])
    columns = [*STANDARD_COLUMNS, *CUSTOM_COLUMNS, *slate_columns, *([BIN_COLUMN] if with_bin else [])]
    lines = [
        "Heading",
        "FIELD_DELIM\tTABS",
        f"VIDEO_FORMAT\t{video_format(media)}",
        f"AUDIO_FORMAT\t{audio_format(rates[0] if rates else 48000)}",
        f"FPS\t{rate_label(media.frame_rate)}",
        "",
        "Column",
        "\t".join(columns),
        "",
        "Data",
        *("\t".join(_row(s, slate_columns, with_bin)) for s in shots),
        "",
    ]
    return "\r\n".join(lines)


@register
class AleExporter(Exporter):
    format_name = "ale"
    extension = ".ale"
    description = "Avid Log Exchange for Media Composer"

    @dataclass(frozen=True)
    class Options(FormatOptions):
        layout: str = choice("per_cluster", "single")  # per_cluster: one ALE per bin; single: one with a Bin column

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        conformed = conform(binset, ALE_RULE)
        clusters = exported_bins(conformed.binset, options.include_noise)
        single = self.options.layout == "single"
        if single:
            files = [(safe_stem(options.project(binset)), [s for c in clusters for s in cluster_shots(c)])]
        else:
            files = [(output_stem(i, c.name), cluster_shots(c)) for i, c in enumerate(clusters, 1)]
        out: list[ExportedFile] = []
        for stem, shots in files:
            groups = group_by(shots, _file_key)
            for (rate, drop_frame, fmt), group in groups:
                suffix = ""
                if len({k[:2] for k, _ in groups}) > 1:
                    suffix += f"_{rate_tag(rate, drop_frame)}"
                if len({k[2] for k, _ in groups}) > 1:
                    suffix += f"_{fmt}"
                out.append(ExportedFile(f"{stem}{suffix}{self.extension}", render_ale(group, single).encode("ascii")))
        warnings = (*conformed.warnings, *ascii_warning([m.name for m in media_of(clusters)], "ALE cells"))
        return ExportResult(tuple(out), warnings)
