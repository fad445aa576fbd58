"""Conforming source frame rates to the rates each format can write.

Phones record variable frame rate (a clip's average rate may be 3840000/239239 fps), time-lapse
and screen recorders write 10 or 15 fps, and formats only carry some rates: FCP 7 XML a whole
``timebase`` with an NTSC flag, CMX 3600 EDLs and Avid ALEs SMPTE timecode rates only (OTIO's
readers and Media Composer refuse anything else). Every file must still export, so each format
declares a :class:`RateRule`, and :func:`conform` gives it a ``BinSet`` whose sources carry the
rate it will write, plus a warning per source it changed or had to leave out.

Conforming relabels, it never resamples: frame N of the file stays frame N, and its start
timecode keeps its digits, as an NLE's "interpret footage" / "clip frame rate" does. So a
conformed clip plays a little faster or slower in the NLE but every cut lands on the same frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from binsight.bins import Bin, BinSet, SourceMedia
from binsight.exporters.timecode import rate_label
from binsight.exporters.walk import media_of

SMPTE_RATES = tuple(
    Fraction(r)
    for r in ("24000/1001", "24", "25", "30000/1001", "30", "48000/1001", "48", "50", "60000/1001", "60")
)
"""Timecode rates CMX 3600 readers and Media Composer accept (OTIO's ``is_valid_timecode_rate``)."""

DROP_FRAME_RATES = frozenset({Fraction(30000, 1001), Fraction(60000, 1001)})
SMPTE_TOLERANCE = Fraction(1, 100)
"""How far a source may sit from a SMPTE rate and still be written at it: a phone's variable
29.9 fps average is 29.97 footage; 10 or 16 fps is not footage of any SMPTE rate."""


def nearest_smpte(rate: Fraction) -> Fraction:
    return min(SMPTE_RATES, key=lambda r: (abs(r - rate), r))


def smpte_rate(rate: Fraction) -> Fraction | None:
    """The SMPTE rate within 1% of ``rate``, or None."""
    nearest = nearest_smpte(rate)
    return nearest if abs(nearest - rate) <= nearest * SMPTE_TOLERANCE else None


def fcp7_rate(rate: Fraction) -> Fraction:
    """The nearest rate FCP 7 XML can state: a whole timebase, or one times 1000/1001 (NTSC)."""
    whole = max(Fraction(1), Fraction(round(rate)))
    ntsc = Fraction(max(1, round(rate * Fraction(1001, 1000))) * 1000, 1001)
    return min((whole, ntsc), key=lambda r: (abs(r - rate), r.denominator))


@dataclass(frozen=True)
class RateRule:
    """The rates one format writes: ``nearest`` maps a source rate to the one it will be written
    at, or None when the format has no rate close enough (the source is then left out)."""

    format_label: str  # e.g. "CMX 3600 EDL", for messages
    nearest: Callable[[Fraction], Fraction | None]
    accepted: str  # the rates, for messages
    instead: str = ""  # what to export for sources left out


FCP7_RULE = RateRule("FCP 7 XML", fcp7_rate, "whole or NTSC (x1000/1001) timebases")
EDL_RULE = RateRule("CMX 3600 EDL", smpte_rate, ", ".join(rate_label(r) for r in SMPTE_RATES) + " fps",
                    "export FCP 7 XML, FCPXML or OTIO for it")
ALE_RULE = RateRule("ALE", smpte_rate, ", ".join(rate_label(r) for r in SMPTE_RATES) + " fps",
                    "export FCP 7 XML, FCPXML or OTIO for it")

RULES: dict[str, RateRule] = {"xmeml": FCP7_RULE, "edl": EDL_RULE, "ale": ALE_RULE}
"""Per format that conforms sources, for bins.json's notes. FCPXML and OTIO are not listed: their
rational time holds any source rate exactly (an FCPXML timeline's own rate is chosen per bin)."""


def rate_text(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def _describe(rate: Fraction) -> str:
    label = rate_label(rate)
    return label if rate.denominator in (1, 1001) else f"{rate_text(rate)} ({label})"


def conform_note(media: SourceMedia, rule: RateRule) -> str:
    """What ``rule`` does to ``media``: "" when the rate is written as it is."""
    target = rule.nearest(media.frame_rate)
    if target == media.frame_rate:
        return ""
    if target is None:
        tail = f"; {rule.instead}" if rule.instead else ""
        return (f"{media.name}: {_describe(media.frame_rate)} fps is not a rate the {rule.format_label} can carry "
                f"({rule.accepted}), so its shots are left out{tail}")
    return (f"{media.name}: {_describe(media.frame_rate)} fps conformed to {rate_label(target)} fps for the "
            f"{rule.format_label} (same frames, relabelled as the NLE's clip frame rate does)")


@dataclass(frozen=True)
class Conformed:
    binset: BinSet  # every source at a rate the format accepts; shots of left-out sources removed
    warnings: tuple[str, ...]


def conform(binset: BinSet, rule: RateRule) -> Conformed:
    """``binset`` with each source relabelled to the rate ``rule`` writes (see the module doc)."""
    replaced: dict[str, SourceMedia | None] = {}
    warnings: list[str] = []
    for media in media_of(binset.bins):
        target = rule.nearest(media.frame_rate)
        if target == media.frame_rate:
            continue
        warnings.append(conform_note(media, rule))
        replaced[media.media_id] = None if target is None else replace(
            media, frame_rate=target, drop_frame=media.drop_frame and target in DROP_FRAME_RATES)
    if not replaced:
        return Conformed(binset, ())

    def rebuilt(bin_: Bin) -> Bin:
        clips = [c if c.media.media_id not in replaced else replace(c, media=replaced[c.media.media_id])
                 for c in bin_.clips if replaced.get(c.media.media_id, c.media) is not None]
        return replace(bin_, clips=clips, children=[rebuilt(b) for b in bin_.children])

    return Conformed(replace(binset, bins=[rebuilt(b) for b in binset.bins]), tuple(warnings))
