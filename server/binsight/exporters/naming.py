"""Names, reels, URLs and text as each interchange format can hold them, written once so every
format names the same source the same way.

Names come from users and cameras: they may hold non-ASCII letters, tabs, newlines and control
characters. XML 1.0 cannot hold most control characters at all (lxml refuses them), CMX 3600
comments and Avid's ALE are read as 7-bit ASCII by many tools, and EDL reels are at most 8
characters. The functions here make text fit each target without ever failing an export.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from lxml import etree

from binsight.bins import SourceMedia

# Letters NFKD does not decompose into ASCII, and punctuation editors type.
_ASCII_FALLBACK = str.maketrans({
    "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i", "—": "-", "–": "-", "‘": "'", "’": "'",
    "“": '"', "”": '"', "…": "...", "«": '"', "»": '"', "€": "EUR", "×": "x",
})
# XML 1.0 Char production: tab, LF, CR and everything from U+0020 except surrogates, FFFE, FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")
_EDL_REEL_OK = re.compile(r"^[A-Za-z0-9_]{1,8}$")
EDL_REEL_LEN = 8


def reel_name(media: SourceMedia) -> str:
    """The source's reel/tape as the camera wrote it; the file name without extension otherwise
    (what Resolve and Media Composer show as the reel of a file without one)."""
    return media.reel or PurePosixPath(media.name).stem


def edl_reel(reel: str) -> str:
    """The reel as an 8-character CMX reel (OpenTimelineIO#168, PR #804): unchanged when it fits,
    else 4 of its characters + a 4-hex hash of the full name, so two long reels sharing a prefix
    stay distinct and runs are reproducible. The ALE's Tape uses the same value, so an EDL and an
    ALE of the same file agree on its tape."""
    if _EDL_REEL_OK.match(reel):
        return reel
    head = re.sub(r"[^A-Za-z0-9]", "", ascii_text(reel))[: EDL_REEL_LEN - 4].upper()
    return head + hashlib.sha1(reel.encode("utf-8")).hexdigest()[:4].upper()


def _pure(path: str) -> PurePosixPath | PureWindowsPath:
    """A path as it was recorded at ingest, which may be a Windows path when the server runs elsewhere."""
    return PureWindowsPath(path) if _WINDOWS_PATH.match(path) else PurePosixPath(path)


def file_url(path: str) -> str:
    """A proper file URL (spaces, non-ASCII, '#', '%' percent-encoded as UTF-8)."""
    return _pure(path).as_uri()


def source_folder(path: str) -> str:
    """The folder of a source path, in the path's own convention."""
    return str(_pure(path).parent)


def localhost_url(path: str) -> str:
    """``file://localhost/...``: the file URL form Final Cut Pro 7 and Premiere write in
    ``<pathurl>`` (an empty host is read as a relative path by some of their importers)."""
    return "file://localhost" + file_url(path)[len("file://"):]


def safe_stem(name: str) -> str:
    """A portable file name stem: ASCII letters, digits, '-', '_' (names come from users)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_name).strip("_")[:60] or "bins"


def output_stem(index: int, name: str) -> str:
    """File name stem for the ``index``-th bin: unique even when two bins share a name."""
    return f"{index:02d}_{safe_stem(name)}"


def one_line(text: str) -> str:
    """Text for line- and tab-delimited formats (EDL comments, ALE cells): whitespace runs,
    tabs, newlines and other control characters included, become one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def ascii_text(text: str) -> str:
    """7-bit ASCII transliteration: accents dropped ("été" -> "ete"), common letters and
    punctuation spelled out ("ß" -> "ss", "—" -> "-"), anything else "?" so a reader still sees
    that a character stood there."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FALLBACK))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isascii() else "?" for c in kept)


def ascii_line(text: str) -> str:
    """One line of printable 7-bit ASCII (EDL comments, ALE cells)."""
    return one_line(ascii_text(text))


def ascii_warning(names: list[str], where: str) -> list[str]:
    """One warning listing the ``names`` that ``where`` (7-bit ASCII) writes transliterated."""
    changed = [f"{n!r} as {ascii_line(n)!r}" for n in dict.fromkeys(names) if ascii_line(n) != n]
    return [f"{where} are 7-bit ASCII, so {len(changed)} file name(s) are written transliterated: "
            + "; ".join(changed)] if changed else []


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: characters it forbids (vertical tab, form feed, other C0 controls,
    unpaired surrogates) become a space; everything else is kept and escaped by the serialiser."""
    return _NOT_XML.sub(" ", text)


def xml_bytes(root: etree._Element, doctype: str) -> bytes:
    """UTF-8 XML with a double-quoted declaration and a DOCTYPE, as Apple's and Adobe's own
    exports start (lxml would write single quotes, which some importers refuse)."""
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{body}'.encode("utf-8")
