"""Builders of BinSets for the exporter tests: every rate editors shoot, timecode from zero and
from time of day (drop-frame included), paths with spaces and non-ASCII characters, long reels,
a shot ending on a file's last frame, mixed rates in one cluster, and a 1,200-shot cluster."""

from __future__ import annotations

from fractions import Fraction

from binsight.bins import Bin, BinClip, BinSet, SourceMedia

RATES: dict[str, tuple[Fraction, bool]] = {
    "23.976": (Fraction(24000, 1001), False),
    "24": (Fraction(24), False),
    "25": (Fraction(25), False),
    "29.97DF": (Fraction(30000, 1001), True),
    "29.97NDF": (Fraction(30000, 1001), False),
    "50": (Fraction(50), False),
    "59.94DF": (Fraction(60000, 1001), True),
}

LONG_REEL = "A001_C003_230415_R1AB"  # > 8 characters: EDLs must shorten it and map it back


def media(
    media_id: str,
    rate: str,
    *,
    start_timecode: str = "00:00:00:00",
    reel: str | None = None,
    folder: str = "/Volumes/Shoot Day 1/Caméra A",
    duration_frames: int = 2400,
    width: int = 1920,
    height: int = 1080,
    has_audio: bool = True,
) -> SourceMedia:
    frame_rate, drop_frame = RATES[rate]
    name = f"{media_id} prise été #1.mov"
    return SourceMedia(
        media_id=media_id,
        path=f"{folder}/{name}",
        name=name,
        frame_rate=frame_rate,
        drop_frame=drop_frame,
        start_timecode=start_timecode,
        reel=reel,
        width=width,
        height=height,
        duration_frames=duration_frames,
        has_audio=has_audio,
        audio_channels=2 if has_audio else 0,
        audio_sample_rate=48000 if has_audio else 0,
    )


def shot(shot_id: str, source: SourceMedia, start: int, end: int, characters: tuple[str, ...] = ()) -> BinClip:
    return BinClip(
        shot_id=shot_id,
        name=f"{source.media_id} shot {shot_id}",
        media=source,
        start_frame=start,
        end_frame=end,
        keyframes=(start, (start + end) // 2),
        characters=characters,
        score=0.875,
    )


def all_rates_binset() -> BinSet:
    """Three scene clusters covering the seven rates, a character sub-bin and a noise bucket.

    - "Kitchen, dawn": 23.976 from time of day with a long reel, and 24 from zero (mixed rates),
      a shot on the 24 file's last frame, an "Alice" sub-bin sharing a shot with the scene.
    - "Street": 25 from zero and 50 from time of day, short reel and no reel.
    - "Night": 29.97 DF from 10:00:00;02, 29.97 NDF and 59.94 DF.
    - "Noise": one shot.
    """
    m2398 = media("A001", "23.976", start_timecode="14:23:11:07", reel=LONG_REEL)
    m24 = media("B002", "24", reel="B002", duration_frames=500)
    m25 = media("C003", "25", reel="C003", folder="/srv/media/日本 ロケ")
    m50 = media("D004", "50", start_timecode="14:23:11:07", width=1280, height=720)
    m2997df = media("E005", "29.97DF", start_timecode="10:00:00;02", reel="E005")
    m2997ndf = media("F006", "29.97NDF", start_timecode="01:00:00:00", reel="F006 TAPE 2")
    m5994df = media("G007", "59.94DF", start_timecode="10:00:00;02", reel="G007", has_audio=False,
                    duration_frames=3610)

    alice = shot("s02", m2398, 100, 148, ("Alice",))
    kitchen = Bin(
        "b1",
        "Kitchen, dawn",
        "scene",
        clips=[shot("s01", m2398, 0, 24), alice, shot("s03", m24, 10, 58), shot("s04", m24, 499, 500)],
        children=[Bin("b1a", "Alice", "character", clips=[alice, shot("s05", m2398, 300, 360, ("Alice",))])],
    )
    street = Bin("b2", "Street", "scene", clips=[shot("s06", m25, 0, 50), shot("s07", m50, 200, 300)])
    night = Bin(
        "b3",
        "Night",
        "scene",
        clips=[shot("s08", m2997df, 0, 30), shot("s09", m2997df, 1790, 1830), shot("s10", m2997ndf, 5, 65),
               shot("s11", m5994df, 3590, 3610)],
    )
    noise = Bin("b4", "Noise", "noise", clips=[shot("s12", m25, 1000, 1003)])
    return BinSet(project="Binsight Test — été", bins=[kitchen, street, night, noise])


def large_binset(count: int = 1200, length: int = 12) -> BinSet:
    """One cluster of ``count`` shots of one 23.976 time-of-day file with a long reel."""
    source = media("H008", "23.976", start_timecode="14:23:11:07", reel=LONG_REEL + "_B",
                   duration_frames=count * length)
    clips = [shot(f"x{i:04d}", source, i * length, (i + 1) * length) for i in range(count)]
    return BinSet(project="Big", bins=[Bin("big", "Crowd", "scene", clips=clips)])
