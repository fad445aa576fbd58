"""Which files an ingest request means: files named one by one, and the video files inside the
folders named, judged by their content rather than their name.

Folders are walked inside the ingest job, never in the request (a walk of a large folder takes
seconds to minutes, and a request thread is shared by every client). A file counts as video when
its first bytes are those of a video container (MP4/MOV, Matroska/WebM, AVI, MXF, MPEG transport
and program streams, DV, ...) and then its probe finds a video stream: a TypeScript ``.d.mts``
file or a text file called ``.mov`` is skipped, a camera file with no extension is not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

_SNIFF = 4096


def looks_like_video(path: Path) -> bool:
    """Whether the file starts like a video container (cheap: one small read)."""
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF)
    except OSError:
        return False
    if len(head) < 12:
        return False
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):  # ISO BMFF / QuickTime
        return True
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, WebM
        return True
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return True
    if head[:4] == b"\x06\x0e\x2b\x34":  # MXF (SMPTE UL key)
        return True
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):  # MPEG program stream / elementary video
        return True
    if head[0] == 0x47 and all(head[i] == 0x47 for i in range(0, min(len(head), 188 * 5), 188)):
        return True  # MPEG transport stream (.ts, .mts/.m2ts carry 4 more bytes per packet:)
    if len(head) > 192 * 4 and all(head[i + 4] == 0x47 for i in range(0, 192 * 4, 192)):
        return True  # BDAV .m2ts (timecoded 192-byte packets)
    if head[:3] == b"\x1f\x07\x00" or head[:4] == b"\x1f\x07\x00\x3f":  # DV DIF
        return True
    if head[:4] in (b"OggS",) or head[:3] == b"FLV" or head[:4] == b"0&\xb2u":  # Ogg, FLV, ASF/WMV
        return True
    return head[:4] in (b"RED1", b"RED2") or head[:4] == b"BRAW"


def walk(folder: Path, recursive: bool) -> Iterator[Path]:
    """Files under ``folder`` (hidden ones and hidden folders left out), in name order, without
    following symlinked folders out of it."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name
