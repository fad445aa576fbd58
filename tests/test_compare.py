"""compare(): versions of a real cut (shots of the shared clips) and of generated footage, each
with the differences an editor would list (tests/cut_versions.py). Every true difference must
be found with the same kind and both ranges within one frame of the truth (trims to the exact
frame), and nothing else may be reported. Then the fallback to segments, per-call thresholds,
and every writer read back by the tool that consumes it."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import cv2
import opentimelineio as otio
import pycmx
import pytest

import cut_versions as cv
import media_factory as mf
from binsight.compare import (CompareConfig, Comparison, CutAnalysis, Difference, Kind, analyse,
                              compare, markers, to_csv, to_edl, to_json, to_otio)
from binsight.compare.units import units
from binsight.errors import InvalidInput

RATE = Fraction(30000, 1001)
EDITS = ["re-encode", "replaced", "inserted", "removed", "swapped", "graded", "trimmed head"]
REAL_ORDER = [0, 4, 1, 5, 2, 6, 3]  # Hamilton and testvideo shots interleaved; 7 is the spare


class Footage:
    """One cut (A, encoded once) and its versions, analysed on first use."""

    def __init__(self, directory: Path, cut: list[cv.Shot], spare: cv.Shot) -> None:
        self.directory = directory
        self.cut = cut
        self.a = _analysed(directory / "a.mp4", [f for s in cut for f in s], crf=18)
        self.versions = {v.name: v for v in cv.edits(cut, spare)}
        self._b: dict[str, CutAnalysis] = {}

    def b(self, edit: str) -> CutAnalysis:
        if edit not in self._b:
            frames = self.versions[edit].frames()
            if edit == "re-encode":  # another size and a much lower bitrate
                frames = [cv2.resize(f, (128, 72), interpolation=cv2.INTER_AREA) for f in frames]
                crf = 34
            else:
                crf = 23
            self._b[edit] = _analysed(self.directory / f"{edit.replace(' ', '_')}.mp4", frames, crf)
        return self._b[edit]


def _analysed(path: Path, frames: list, crf: int, **encode) -> CutAnalysis:
    return analyse(str(mf.encode(path, frames, fps=RATE, options={"crf": str(crf)}, **encode)))


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory):
    made: dict[str, Footage] = {}

    def get(kind: str) -> Footage:
        if kind not in made:
            pool = cv.real_pool() if kind == "real" else cv.generated_pool()
            order = REAL_ORDER if kind == "real" else list(range(7))
            made[kind] = Footage(tmp_path_factory.mktemp(kind), [pool[i] for i in order], pool[7])
        return made[kind]

    return get


def _range(side) -> tuple[int, int] | None:
    return None if side is None else (side.start, side.end)


def _near(found: tuple[int, int] | None, true: tuple[int, int] | None) -> bool:
    if found is None or true is None:
        return found is true
    return abs(found[0] - true[0]) <= 1 and abs(found[1] - true[1]) <= 1


def _listing(c: Comparison) -> list[tuple]:
    return [(d.kind.value, _range(d.a), _range(d.b), d.head_frames, d.tail_frames)
            for d in c.differences]


@pytest.mark.parametrize("kind", ["real", "generated"])
@pytest.mark.parametrize("edit", EDITS)
def test_every_true_difference_found_within_a_frame_and_nothing_else(footage, kind: str,
                                                                     edit: str) -> None:
    f = footage(kind)
    assert [(s.start_frame, s.end_frame) for s in f.a.shots] == [
        cv._span(f.cut, i) for i in range(len(f.cut))]  # A's own shots are the truth's
    c = compare(f.a, f.b(edit))
    truth = f.versions[edit].truth
    assert len(c.differences) == len(truth), _listing(c)
    for t in truth:
        assert any(d.kind.value == t.kind and _near(_range(d.a), t.a) and _near(_range(d.b), t.b)
                   and d.head_frames == t.head_frames and d.tail_frames == 0
                   for d in c.differences), (t, _listing(c))


@pytest.mark.parametrize("kind", ["real", "generated"])
def test_a_grade_is_changed_and_nearer_than_a_replacement(footage, kind: str) -> None:
    f = footage(kind)
    (grade,) = compare(f.a, f.b("graded")).differences
    (replacement,) = compare(f.a, f.b("replaced")).differences
    assert (grade.kind, replacement.kind) == (Kind.CHANGED, Kind.REPLACED)
    assert grade.distance < 0.1 < 0.5 < replacement.distance


# A 1.25x push-in on the shared clips; 1.11x on generated noise texture, which has no
# large-scale structure to survive a stronger zoom (at 1.25x it reads as a replacement).
@pytest.mark.parametrize("kind, crop", [("real", 0.1), ("generated", 0.05)])
def test_a_reframe_is_changed_by_structure(tmp_path: Path, footage, kind: str,
                                           crop: float) -> None:
    f = footage(kind)
    version = cv.reframed(f.cut, 4, crop)
    (reframe,) = compare(f.a, _analysed(tmp_path / "reframe.mp4", version.frames(), 23)).differences
    assert (reframe.kind, _range(reframe.a), _range(reframe.b)) == (
        Kind.CHANGED, cv._span(f.cut, 4), cv._span(f.cut, 4))
    assert float(reframe.note.split()[1][:-1]) > CompareConfig().changed_structure


def test_a_re_encode_is_listed_unchanged_shot_by_shot(footage) -> None:
    f = footage("generated")
    c = compare(f.a, f.b("re-encode"))
    assert c.differences == ()
    assert [(_range(u.a), _range(u.b)) for u in c.unchanged] == [
        (cv._span(f.cut, i), cv._span(f.cut, i)) for i in range(len(f.cut))]
    assert all(u.distance < 0.05 for u in c.unchanged)


def test_thresholds_change_per_call_without_analysing_again(footage) -> None:
    f = footage("generated")
    b = f.b("graded")
    assert [d.kind for d in compare(f.a, b).differences] == [Kind.CHANGED]
    assert compare(f.a, b, CompareConfig(changed_colour=0.2)).differences == ()
    # a match threshold no grade-free shot pair passes: every shot replaced, nothing matched
    strict = compare(f.a, b, CompareConfig(match_threshold=1e-6))
    assert {d.kind for d in strict.differences} == {Kind.REPLACED}


def test_moved_shot_keyframes_and_timecodes(footage) -> None:
    f = footage("real")
    (moved,) = compare(f.a, f.b("swapped")).differences
    assert moved.a.start <= moved.a.keyframes[0] < moved.a.end
    assert moved.b.start <= moved.b.keyframes[0] < moved.b.end
    # Hamilton shot 1 (A frames 110-172) now opens the cut after shot 0 (B frames 20-82)
    assert (moved.a.tc_in, moved.a.tc_out, moved.b.tc_in, moved.b.tc_out) == (
        "00:00:03:20", "00:00:05:22", "00:00:00:20", "00:00:02:22")
    assert moved.b.in_s == pytest.approx(20 / float(RATE), abs=1e-3)
    assert moved.at_b == 20


@pytest.fixture(scope="module")
def long_take(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("take")
    take = list(mf.pan(7, 300, step=1))
    other = list(mf.pan(8, 40, step=1))
    a = analyse(str(mf.encode(directory / "a.mp4", take, fps=Fraction(25))))
    return directory, take, other, a


@pytest.mark.parametrize("edit", ["insert", "cut out", "grade", "head trim"])
def test_a_long_take_falls_back_to_segments_and_still_locates_the_change(long_take,
                                                                         edit: str) -> None:
    directory, take, other, a = long_take
    frames, expected = {
        "insert": (take[:150] + other + take[150:], [("inserted", None, (150, 190), 0, 0)]),
        "cut out": (take[:100] + take[140:], [("deleted", (100, 140), None, 0, 0)]),
        # 2 s segments at 25 fps: a grade over frames 100-200 covers two whole segments
        "grade": (take[:100] + [cv.warm_grade(f) for f in take[100:200]] + take[200:],
                  [("changed", (100, 200), (100, 200), 0, 0)]),
        "head trim": (take[30:], [("trimmed", (0, 300), (0, 270), -30, 0)]),
    }[edit]
    b = analyse(str(mf.encode(directory / f"{edit.replace(' ', '_')}.mp4", frames,
                              fps=Fraction(25))))
    config = CompareConfig()
    assert len(a.shots) == 1 and all(u.segment and len(u.span) == 50 for u in units(a, config)[:-1])
    assert _listing(compare(a, b, config)) == expected


def test_versions_at_two_rates_are_compared_with_a_warning(tmp_path: Path, footage) -> None:
    f = footage("generated")
    b = analyse(str(mf.encode(tmp_path / "pal.mp4", f.versions["re-encode"].frames(),
                              fps=Fraction(25))))
    c = compare(f.a, b)
    assert c.differences == ()  # the same frames, labelled at another rate
    assert len(c.warnings) == 1 and "A runs at 29.970 fps and B at 25.000 fps" in c.warnings[0]


def test_start_timecode_of_each_file_is_used(tmp_path: Path, footage) -> None:
    f = footage("generated")
    frames = f.versions["inserted"].frames()
    b = _analysed(tmp_path / "tc.mp4", frames, 23, stream_metadata={"timecode": "01:00:10:00"})
    (insert,) = compare(f.a, b).differences
    start, end = cv._span(f.versions["inserted"].shots, 3)
    assert (insert.b.tc_in, insert.b.tc_out) == (
        f"01:00:{10 + start // 30:02d}:{start % 30:02d}", f"01:00:{10 + end // 30:02d}:{end % 30:02d}")


# -- writers ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def several(footage) -> Comparison:
    """A comparison with four kinds in it: shot 1 moved, shot 5 graded, shot 3 trimmed, a
    spare shot in place of shot 6 (generated footage)."""
    f = footage("generated")
    cut = f.cut
    new = [cut[0], cut[2], cut[1], cut[3][10:], cut[4], [cv.warm_grade(x) for x in cut[5]],
           cv.generated_pool()[7]]
    b = _analysed(f.directory / "several.mp4", [x for s in new for x in s], 23)
    return compare(f.a, b)


def test_several_changes_at_once(several: Comparison) -> None:
    assert [d.kind for d in several.differences] == [
        Kind.MOVED, Kind.TRIMMED, Kind.CHANGED, Kind.REPLACED]
    assert several.differences[1].head_frames == -10


def test_json_lists_every_difference_with_both_ranges(several: Comparison) -> None:
    data = json.loads(to_json(several))
    kinds = [d["kind"] for d in data["differences"]]
    assert kinds == ["moved", "trimmed", "changed", "replaced"]
    for d, diff in zip(data["differences"], several.differences):
        assert d["a"] == [round(diff.a.in_s, 6), round(diff.a.out_s, 6)]
        assert d["b_frames"] == [diff.b.start, diff.b.end]
        assert d["distance"] == diff.distance
        assert d["a_timecode"] == [diff.a.tc_in, diff.a.tc_out]
    assert data["a"]["frame_rate"] == "30000/1001" and data["config"]["match_threshold"] == 0.4
    assert len(data["unchanged"]) == len(several.unchanged) > 0
    assert data["warnings"] == []


def test_json_writes_null_for_a_missing_side(footage) -> None:
    f = footage("generated")
    (deleted,) = json.loads(to_json(compare(f.a, f.b("removed"))))["differences"]
    assert (deleted["kind"], deleted["b"], deleted["b_frames"]) == ("deleted", None, None)
    assert deleted["a_frames"] == list(cv._span(f.cut, 4))


def test_csv_has_a_row_per_difference(several: Comparison) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(several))))
    assert [r["kind"] for r in rows] == ["moved", "trimmed", "changed", "replaced"]
    trimmed = rows[1]
    diff = several.differences[1]
    assert (int(trimmed["a_in_frame"]), int(trimmed["b_out_frame"]), trimmed["b_tc_in"],
            trimmed["head_frames"]) == (diff.a.start, diff.b.end, diff.b.tc_in, "-10")


def test_edl_reads_in_pycmx_and_otio(several: Comparison) -> None:
    text = to_edl(several)
    edl = pycmx.parse_cmx3600(io.StringIO(text))
    events = list(edl.events)
    assert len(events) == len(several.differences)
    first = events[0].edits[0]
    moved = several.differences[0]
    assert (first.source_in, first.source_out, first.record_in) == (
        moved.b.tc_in, moved.b.tc_out, "01:00:00:00")
    assert first.clip_name == Path(several.b.path).name
    timeline = otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=float(RATE))
    clips = list(timeline.find_clips())
    assert len(clips) == len(several.differences)
    assert [m.name for c in clips for m in c.markers] == [
        d.kind.value.upper() for d in several.differences]
    assert [c.markers[0].color for c in clips] == ["BLUE", "PINK", "CYAN", "YELLOW"]
    assert sum(c.source_range.duration.to_frames() for c in clips) == sum(
        d.b.frames for d in several.differences)


def test_edl_cuts_a_deletion_from_a(footage) -> None:
    f = footage("generated")
    c = compare(f.a, f.b("removed"))
    (event,) = pycmx.parse_cmx3600(io.StringIO(to_edl(c))).events
    edit = event.edits[0]
    start, end = cv._span(f.cut, 4)
    assert (edit.source_in, edit.source_out) == (c.a.timecode(start), c.a.timecode(end))
    assert edit.clip_name == Path(f.a.path).name


def test_otio_markers_on_a_track_of_b(several: Comparison) -> None:
    timeline = otio.adapters.read_from_string(to_otio(several), adapter_name="otio_json")
    (track,) = timeline.video_tracks()
    (clip,) = track.find_clips()
    assert clip.media_reference.target_url == Path(several.b.path).as_uri()
    assert clip.source_range.duration.to_frames() == several.b.frame_count
    got = [(m.name, m.color, m.marked_range.start_time.to_frames(),
            m.marked_range.duration.to_frames(), m.metadata["binsight"]["kind"])
           for m in track.markers]
    assert got == [(d.kind.value.capitalize(), cv_colour, d.at_b, d.b.frames, d.kind.value)
                   for d, cv_colour in zip(several.differences, ["BLUE", "PINK", "CYAN", "YELLOW"])]


def test_markers_for_a_panel(several: Comparison, footage) -> None:
    got = markers(several)
    assert [(m.frame, m.colour, m.name, m.duration) for m in got] == [
        (d.at_b, colour, d.kind.value.capitalize(), d.b.frames)
        for d, colour in zip(several.differences, ["Blue", "Pink", "Cyan", "Yellow"])]
    assert got[1].note.startswith(f"A {several.differences[1].a.tc_in}-")
    assert len({m.custom_data for m in got}) == len(got)
    f = footage("generated")
    (deletion,) = markers(compare(f.a, f.b("removed")))
    assert (deletion.frame, deletion.duration, deletion.colour) == (cv._start(f.cut, 4), 1, "Red")


# -- analysis -----------------------------------------------------------------------------------

def test_saved_analysis_compares_the_same(tmp_path: Path, footage) -> None:
    f = footage("generated")
    path = tmp_path / "a.npz"
    f.a.save(path)
    loaded = CutAnalysis.load(path)
    assert (loaded.info, loaded.shots, loaded.frame_count) == (f.a.info, f.a.shots, f.a.frame_count)
    assert loaded.is_current()
    assert compare(loaded, f.b("swapped")).differences == compare(f.a, f.b("swapped")).differences
    with pytest.raises(ValueError):
        loaded.luma[0, 0, 0] = 1  # read-only, like the frozen record holding it


def test_bad_input_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        analyse(str(tmp_path / "missing.mov"))
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    with pytest.raises(InvalidInput, match="not a video file"):
        analyse(str(text))
    with pytest.raises(InvalidInput, match="not a saved cut analysis"):
        CutAnalysis.load(text)
    with pytest.raises(InvalidInput, match="match_threshold must lie between 0 and 1"):
        CompareConfig(match_threshold=1.5)
    with pytest.raises(InvalidInput, match="segment_s must be a positive"):
        CompareConfig(segment_s=0)


def test_difference_records_are_frozen(several: Comparison) -> None:
    diff: Difference = several.differences[0]
    with pytest.raises(AttributeError):
        diff.kind = Kind.DELETED  # type: ignore[misc]


def test_a_rotation_flag_is_applied_before_fingerprinting(tmp_path: Path, footage) -> None:
    """A file stored landscape with a 90° flag shows the same picture as one stored upright."""
    cut = footage("generated").cut[:4]
    frames = [f for s in cut for f in s]
    flagged = analyse(str(mf.encode(tmp_path / "flagged.mp4", frames, fps=RATE, rotation=90)))
    upright = analyse(str(mf.encode(tmp_path / "upright.mp4",
                                    [cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE) for f in frames],
                                    fps=RATE)))
    assert flagged.info.rotation == 90 and upright.info.rotation == 0
    assert compare(flagged, upright).differences == ()
    assert [d.kind for d in compare(flagged, _analysed(tmp_path / "stored.mp4", frames, 23))
            .differences] == [Kind.REPLACED] * 4  # turned against as stored: other pictures


def test_frames_added_at_a_head_are_a_positive_trim(footage) -> None:
    """The trimmed-head version taken as the old cut: the new one has 12 more head frames."""
    f = footage("generated")
    (trim,) = compare(f.b("trimmed head"), f.a).differences
    start, end = cv._span(f.cut, 4)
    assert (trim.kind, _range(trim.a), _range(trim.b), trim.head_frames, trim.tail_frames) == (
        Kind.TRIMMED, (start, end - 12), (start, end), 12, 0)
    assert trim.note == "head +12 frames"
