"""Builders of BinSets for the exporter tests: every rate editors shoot, timecode from zero and
from time of day (drop-frame included), paths with spaces and non-ASCII characters, long reels,
a shot ending on a file's last frame, mixed rates in one cluster, a 1,200-shot cluster, people
bins with slates, rates no format carries as they are (a variable-frame-rate phone clip, 10 fps),
and names holding control characters."""

from __future__ import annotations

from fractions import Fraction

from binsight.bins import Bin, BinClip, BinSet, Slate, SourceMedia

RATES: dict[str, tuple[Fraction, bool]] = {
    "23.976": (Fraction(24000, 1001), False),
    "24": (Fraction(24), False),
    "25": (Fraction(25), False),
    "29.97DF": (Fraction(30000, 1001), True),
    "29.97NDF": (Fraction(30000, 1001), False),
    "50": (Fraction(50), False),
    "59.94DF": (Fraction(60000, 1001), True),
    "vfr": (Fraction(3840000, 239239), False),  # a phone's variable rate, as its average (16.05 fps)
    "10": (Fraction(10), False),  # time-lapse / ../shared/media/counter.mp4
    "29.9vfr": (Fraction(2990, 100), False),  # a phone's variable 29.97 recording, averaged
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
    audio_sample_rate: int = 48000,
    name: str | None = None,
) -> SourceMedia:
    frame_rate, drop_frame = RATES[rate]
    name = name or f"{media_id} prise été #1.mov"
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
        audio_sample_rate=audio_sample_rate if has_audio else 0,
    )


def shot(shot_id: str, source: SourceMedia, start: int, end: int, characters: tuple[str, ...] = (),
         slate: Slate = Slate()) -> BinClip:
    return BinClip(
        shot_id=shot_id,
        name=f"{source.media_id} shot {shot_id}",
        media=source,
        start_frame=start,
        end_frame=end,
        keyframes=(start, (start + end) // 2),
        characters=characters,
        score=0.875,
        slate=slate,
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


def people_binset() -> BinSet:
    """Two scenes and two project-wide people bins, slates on most shots.

    - "Kitchen": p1 (Alice, slate 12A/3/A004/A), p2 (Alice and Bob), a character sub-bin "Alice".
    - "Garden": p3 (Bob, slate 14/1), p4 (nobody, no slate).
    - people bins "Alice" (p1, p2) and "Bob" (p2, p3): each shot also in its scene bin.
    """
    a = media("P001", "25", reel="P001")
    b = media("P002", "25", reel="P002", start_timecode="10:00:00:00")
    p1 = shot("p1", a, 0, 50, ("Alice",), Slate(scene="12A", take="3", camroll="A004", camera_angle="A"))
    p2 = shot("p2", a, 50, 125, ("Alice", "Bob"), Slate(scene="12A", take="4", camroll="A004", camera_angle="B"))
    p3 = shot("p3", b, 0, 40, ("Bob",), Slate(scene="14", take="1"))
    p4 = shot("p4", b, 40, 90)
    return BinSet(project="People", bins=[
        Bin("k", "Kitchen", "scene", clips=[p1, p2], children=[Bin("k-alice", "Alice", "character", clips=[p1, p2])]),
        Bin("g", "Garden", "scene", clips=[p3, p4]),
        Bin("person-alice", "Alice", "character", clips=[p1, p2]),
        Bin("person-bob", "Bob", "character", clips=[p2, p3]),
    ])


def odd_rates_binset() -> BinSet:
    """A variable-frame-rate phone clip (average 3840000/239239 fps), a 10 fps clip, a phone's
    29.9 fps average and a 44.1 kHz camera clip at 25, all in one scene."""
    phone = media("V001", "vfr", duration_frames=800, width=1080, height=1920, audio_sample_rate=44100,
                  name="IMG_0042.MOV")
    timelapse = media("T002", "10", duration_frames=30, has_audio=False, name="counter.mp4")
    phone30 = media("V003", "29.9vfr", duration_frames=900, name="IMG_0043.MOV")
    camera = media("C004", "25", reel="C004", audio_sample_rate=44100, name="C004.MXF")
    return BinSet(project="Odd rates", bins=[Bin("o", "Phones", "scene", clips=[
        shot("o1", phone, 0, 160), shot("o2", phone, 160, 400), shot("o3", timelapse, 10, 20),
        shot("o4", phone30, 0, 90), shot("o5", camera, 0, 50)])])


def control_char_binset() -> BinSet:
    """Bin, shot and file names holding a vertical tab, a form feed and a NUL (pasted from a
    spreadsheet), which XML 1.0 cannot hold at all."""
    source = media("X001", "25", reel="X\x0b001", name="take\x0b1\x0c.mov")
    clip = BinClip("c1", "shot\x0bone\x00", source, 0, 25, keyframes=(3,), characters=("Ann\x0b",))
    return BinSet(project="Ctrl\x0bchars", bins=[Bin("c", "Scene\x0b1", "scene", clips=[clip],
                                                      children=[Bin("ca", "Ann\x0b", "character", clips=[clip])])])
