"""Which files an ingest request means: files named one by one, and the video files inside the
folders named."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import InvalidInput

VIDEO_EXTENSIONS = frozenset(
    ".mov .mp4 .m4v .mxf .avi .mkv .webm .mts .m2ts .ts .mpg .mpeg .dv .r3d .braw .wmv .3gp .ogv".split()
)


def discover(paths: Iterable[str], recursive: bool = True) -> list[Path]:
    """Expand files and folders into the files to ingest. Folders contribute files with a video
    extension; a file named explicitly is taken whatever its name (the probe judges it)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InvalidInput(f"{raw}: no such file or folder")
        if path.is_dir():
            walker = path.rglob("*") if recursive else path.glob("*")
            videos = sorted(p for p in walker if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS
                            and not p.name.startswith("."))
            if not videos:
                raise InvalidInput(f"{raw}: folder holds no video files (looked for "
                                   f"{', '.join(sorted(VIDEO_EXTENSIONS))})")
            found.extend(videos)
        else:
            found.append(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


