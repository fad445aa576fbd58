"""CLIP's byte-level BPE tokenizer in pure Python, giving the same ids as open_clip's.

Text search encodes a query with the CLIP text tower, and the tower only understands the exact
ids it was trained on, so this must agree with ``open_clip.SimpleTokenizer`` token for token.
The server cannot import open_clip (it needs torch), hence this port. It reads the BPE merges
file (``bpe_simple_vocab_16e6.txt.gz``) that ``binsight models export-clip`` copies into the pack.

open_clip's pipeline, reproduced step by step:

1. ``ftfy.fix_text`` then ``html.unescape`` twice. ftfy is not a runtime dependency either, so
   :func:`fix_text` applies the deterministic ftfy fixes that change real queries: HTML
   entities, C1 controls as Windows-1252, Latin ligatures (ﬁ → fi), full/half-width forms
   (ＡＢＣ → ABC), curly quotes → straight, terminal escapes, control characters, NFC. Not ported:
   ftfy's heuristic mojibake repair ("sÃ³" → "só"), which only matters for text that was
   already decoded wrongly before it reached Binsight.
2. Whitespace runs collapse to one space; strip; lower-case (the ``lower`` clean mode every
   OpenAI/LAION CLIP uses; ``whitespace`` skips the lower-casing).
3. Split with open_clip's pattern ``<specials>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+``
   (case-insensitive). Python's ``re`` has no ``\\p{…}``, so :func:`pre_tokenize` scans with
   ``unicodedata`` categories instead: letters (L*) run together, every number (N*) stands
   alone, anything else runs together until a space, letter or number.
4. Each piece → UTF-8 bytes → printable byte alphabet → BPE merges by rank → ids.
5. ``<start_of_text>`` + ids + ``<end_of_text>``, truncated to the context length (77) with
   the last kept position replaced by ``<end_of_text>``, zero-padded.
"""

from __future__ import annotations

import gzip
import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

_NUM_MERGES = 49152 - 256 - 2  # open_clip reads exactly this many merge lines
DEFAULT_SPECIAL_TOKENS = ("<start_of_text>", "<end_of_text>")
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")

# --- ftfy subset (tables copied from ftfy 6: chardata.py / fixes.py) --------------------------
_HTML_ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")
_ANSI_RE = re.compile("\033\\[((?:\\d|;)*)([a-zA-Z])")
_C1_RE = re.compile(r"[\x80-\x9f]")
_SINGLE_QUOTE_RE = re.compile("[\u02bc\u2018-\u201b]")
_DOUBLE_QUOTE_RE = re.compile("[\u201c-\u201f]")
_LIGATURES = str.maketrans({
    "Ĳ": "IJ", "ĳ": "ij", "ŉ": "ʼn", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz", "Ǆ": "DŽ", "ǅ": "Dž",
    "ǆ": "dž", "Ǉ": "LJ", "ǈ": "Lj", "ǉ": "lj", "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj", "ﬀ": "ff",
    "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ſt", "ﬆ": "st",
})
_WIDTH_MAP = {0x3000: " "} | {
    i: unicodedata.normalize("NFKC", chr(i))
    for i in range(0xFF01, 0xFFF0)
    if unicodedata.normalize("NFKC", chr(i)) != chr(i)
}
_CONTROL_CHARS = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, *range(0x206A, 0x2070), 0xFEFF,
     *range(0xFFF9, 0xFFFD)]
)


def _unescape_entity(match: re.Match[str]) -> str:
    """ftfy decodes only complete, semicolon-terminated entities it recognises."""
    entity = match.group(0)
    decoded = html.unescape(entity)
    return entity if ";" in decoded else decoded


def _c1_as_windows_1252(match: re.Match[str]) -> str:
    byte = match.group(0).encode("latin-1")
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: ftfy's sloppy codec keeps them
        return match.group(0)


def fix_text(text: str) -> str:
    """The deterministic part of ``ftfy.fix_text``, applied until nothing changes (as ftfy does)."""
    unescape = "<" not in text  # ftfy leaves entities alone in text that looks like HTML
    while True:
        original = text
        if unescape:
            text = _HTML_ENTITY_RE.sub(_unescape_entity, text)
        text = _C1_RE.sub(_c1_as_windows_1252, text)
        text = text.translate(_LIGATURES).translate(_WIDTH_MAP)
        text = _SINGLE_QUOTE_RE.sub("'", _DOUBLE_QUOTE_RE.sub('"', text))
        text = _ANSI_RE.sub("", text).translate(_CONTROL_CHARS)
        text = unicodedata.normalize("NFC", text)
        if text == original:
            return text


def clean_text(text: str, mode: str = "lower") -> str:
    """open_clip's ``_clean_lower`` / ``_clean_whitespace``."""
    text = html.unescape(html.unescape(fix_text(text))).strip()
    text = " ".join(text.split())
    if mode == "lower":
        return text.lower()
    if mode == "whitespace":
        return text
    raise ValueError(f"unsupported tokenizer clean mode {mode!r} (lower or whitespace)")


# --- pre-tokenisation ---------------------------------------------------------------------------
def _char_class(char: str) -> str:
    """"L" letter, "N" number, "S" whitespace, "O" anything else — the classes the regex uses."""
    if char.isspace():
        return "S"
    major = unicodedata.category(char)[0]
    return major if major in "LN" else "O"


def _matches_folded(text: str, at: int, literal: str) -> bool:
    """Case-insensitive ``startswith`` at ``at``, char by char like the regex's IGNORECASE."""
    segment = text[at : at + len(literal)]
    return len(segment) == len(literal) and all(
        c == l or c.casefold() == l for c, l in zip(segment, literal)
    )


def pre_tokenize(text: str, special_tokens: Sequence[str] = DEFAULT_SPECIAL_TOKENS) -> Iterator[str]:
    """The pieces ``regex.findall(open_clip_pattern, text)`` returns, in order."""
    i, n = 0, len(text)
    while i < n:
        literal = next(
            (s for s in (*special_tokens, *_CONTRACTIONS) if _matches_folded(text, i, s)), None
        )
        if literal is not None:
            yield text[i : i + len(literal)]
            i += len(literal)
            continue
        kind = _char_class(text[i])
        if kind == "S":
            i += 1
            continue
        if kind == "N":
            yield text[i]
            i += 1
            continue
        j = i + 1
        while j < n and _char_class(text[j]) == kind:
            j += 1
        yield text[i:j]
        i = j


# --- byte-level BPE -------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map from bytes to printable characters."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, codes)}


class ClipTokenizer:
    """Text → ``(n, context_length)`` int64 ids, as ``open_clip.get_tokenizer(model)(texts)``."""

    def __init__(
        self,
        vocab_path: Path,
        context_length: int = 77,
        clean: str = "lower",
        special_tokens: Sequence[str] = DEFAULT_SPECIAL_TOKENS,
    ) -> None:
        clean_text("", clean)  # reject an unknown mode now rather than on the first query
        self.context_length = context_length
        self.clean = clean
        self.special_tokens = tuple(special_tokens)
        lines = gzip.open(vocab_path).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1 : _NUM_MERGES + 1]]
        alphabet = list(_bytes_to_unicode().values())
        vocab = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
        vocab.extend(self.special_tokens)
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.bpe_ranks = {merge: rank for rank, merge in enumerate(merges)}
        self.sot_token_id = self.encoder[self.special_tokens[0]]
        self.eot_token_id = self.encoder[self.special_tokens[1]]
        self._cache: dict[str, list[str]] = {t: [t] for t in self.special_tokens}

    def _bpe(self, piece: str) -> list[str]:
        """Merge the lowest-ranked adjacent pair until none of the word's pairs is a merge."""
        if piece in self._cache:
            return self._cache[piece]
        word = [*piece[:-1], piece[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if best not in self.bpe_ranks:
                break
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self._cache[piece] = word
        return word

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without start/end markers or truncation."""
        byte_map = _bytes_to_unicode()
        ids: list[int] = []
        for piece in pre_tokenize(clean_text(text, self.clean), self.special_tokens):
            symbols = "".join(byte_map[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[token] for token in self._bpe(symbols))
        return ids

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        result = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.sot_token_id, *self.encode(text), self.eot_token_id]
            if len(tokens) > self.context_length:
                tokens = tokens[: self.context_length]
                tokens[-1] = self.eot_token_id
            result[row, : len(tokens)] = tokens
        return result
