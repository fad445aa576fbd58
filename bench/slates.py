"""Slate-reading benchmark: field accuracy by condition, unsure rate, wrong-with-high-confidence
count and seconds per clip, for Binsight's reader and a naive peer, measured in the same run.

Run from the project root: ``python bench/slates.py`` (about 5 minutes on 2 cores at the default
``--per-condition 4``). Needs ``rapidocr-onnxruntime``; the handwriting and digital conditions
need ``fonts-humor-sans fonts-dkg-handwriting fonts-dseg`` (skipped, and said so, when absent).

Clips: generated boards (``tests/slate_factory.py``) held for 1.6 s before (head) or after (tail)
a 3 s shot, 960x540 H.264 at 25 fps, one condition spoiling each: roll angle, perspective,
motion blur, low light, a hand over part of the board, handwriting (marker, pen and Hershey script
hands), a tail slate upside down, a digital slate's LED timecode; plus clips with no slate (pans,
and the four shared clips of ``../shared/media`` when present) for false slates.

Methods:

- ``binsight``: ``read_slate`` (board detector over sampled head/tail frames, OCR of the best
  boards both ways up, layout parsing, confidences).
- ``naive-ocr``: what a plain tool does: PP-OCR (the same engine and weights, its default
  settings) over one whole frame 1 s into the clip and one 1 s before its end, the text joined in
  reading order and matched with ``SCENE x`` / ``TAKE x`` / ``ROLL x`` / ``SLATE x`` patterns and a
  timecode pattern. It has no confidence, so everything it outputs counts as sure.

Columns: ``found`` slate clips with a read; ``named`` reads whose label (``12A/3``) is right and
sure; ``unsure`` share of found reads marked unsure; ``fields`` share of the board's fields read
right and sure (scene/slate number, take, roll, camera, date, timecode; names excluded: the
reader never trusts free text); ``wrong!`` fields or labels output as sure and wrong (must be 0);
``s/clip`` mean wall seconds per clip. The no-slate row counts false slates instead.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import media_factory as mf  # noqa: E402
import slate_factory as sf  # noqa: E402

SCORED = ("scene", "slate_number", "take", "roll", "camera", "date", "timecode")
SHARED = ["testvideo.mp4", "counter.mp4", "issue-134-rotate.mp4", "short_hamilton_clip.mp4"]
SCENES = ["12A", "A27", "104", "7", "58C", "3B", "211", "19"]
TAKES = ["3", "1", "12", "6", "2", "9", "4", "15"]
ROLLS = ["A004", "B017", "A112", "C002", "A009", "B001", "A050", "C210"]
DATES = ["03/14/25", "11/02/24", "07/30/25", "01/09/26", "05/21/25", "12/12/24", "09/03/25",
         "02/28/26"]


@dataclass(frozen=True)
class Clip:
    condition: str
    slate: sf.Slate | None
    shot: sf.Shot = sf.Shot()
    position: str = "head"
    path: Path | None = None  # a shared clip


def _slate(i: int, **changes) -> sf.Slate:
    base = sf.Slate(scene=SCENES[i % 8], take=TAKES[i % 8], roll=ROLLS[i % 8],
                    date=DATES[i % 8], camera="AB"[i % 2])
    return replace(base, **changes)


def clips(per: int) -> list[Clip]:
    """Every condition's clips: ``per`` variants each, seeded so a run is repeatable."""
    out: list[Clip] = []
    for i in range(per):
        layout = "uk" if i % 4 == 3 else ("inline" if i % 4 == 2 else "us")
        uk = {"scene": None, "slate_number": str(140 + i)} if layout == "uk" else {}
        board = "black" if i % 3 == 2 else "white"
        out += [
            Clip("printed", _slate(i, layout=layout, board=board, **uk)),
            Clip("angle", _slate(i + 1, layout=layout, **uk), sf.Shot(angle=(-1) ** i * (8 + 3 * i))),
            Clip("perspective", _slate(i + 2, layout=layout, **uk),
                 sf.Shot(tilt=0.18 + 0.04 * i, angle=(-1) ** i * 3)),
            Clip("blur", _slate(i + 3, layout=layout, **uk), sf.Shot(blur=7 + 2 * i)),
            Clip("low light", _slate(i + 4, layout=layout, **uk), sf.Shot(light=0.4 - 0.05 * i)),
            Clip("occlusion", _slate(i + 5, layout=layout, **uk),
                 sf.Shot(hand_over=0.3 + 0.05 * i, hand_at=(0.85, 0.45, 0.2, 0.65)[i % 4])),
            Clip("handwriting", _slate(i + 6, layout=layout, hand=("marker", "pen", "script")[i % 3],
                                       **uk), sf.Shot(angle=(-1) ** i * 4)),
            Clip("tail", _slate(i + 7, layout=layout, board=board, **uk),
                 sf.Shot(inverted=True, angle=(-1) ** i * 5), position="tail"),
            Clip("digital", _slate(i, layout="digital", timecode=f"{10 + i:02d}:{(7 * i + 3) % 60:02d}:"
                                   f"{(13 * i + 21) % 60:02d}:{(5 * i + 2) % 25:02d}")),
            Clip("no slate", None),
        ]
    out += [Clip("no slate", None, path=mf.SHARED_MEDIA / name) for name in SHARED
            if (mf.SHARED_MEDIA / name).is_file()]
    return out


@dataclass
class Tally:
    clips: int = 0
    found: int = 0
    named: int = 0
    unsure: int = 0
    fields: int = 0
    fields_right: int = 0
    wrong: int = 0
    seconds: list[float] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What a method output for one clip: fields with confidences, a label, unsure."""

    found: bool
    fields: dict[str, tuple[str, float]]
    label: str
    unsure: bool


def binsight(path: Path) -> Outcome:
    from binsight.media.probe import probe
    from binsight.slates import read_slate

    read = read_slate(str(path), probe(str(path)))
    if read is None:
        return Outcome(False, {}, "", False)
    got = {name: (getattr(read, name).value, getattr(read, name).confidence) for name in SCORED
           if getattr(read, name) is not None}
    return Outcome(True, got, read.label(), read.unsure)


_NAIVE_PATTERNS = {
    "scene": r"\bSC(?:ENE)?\.?:?\s*([A-Z]?\d+[A-Z]*)", "take": r"\bT(?:AKE|K)\.?:?\s*(\d+)",
    "roll": r"\bROLL\.?:?\s*([A-Z]*\d+)", "slate_number": r"\bSLATE\.?:?\s*(\d+)",
    "timecode": r"(\d\d[:;]\d\d[:;]\d\d[:;]\d\d)"}


class Naive:
    """Whole-frame OCR of two frames with PP-OCR's default settings, then regular expressions."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        from binsight.slates.ocr import THREADS

        self.engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)

    def __call__(self, path: Path) -> Outcome:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        texts = []
        for at in (1.0, max(0.0, duration - 1.0)):
            frame = _frame_at(path, at)
            result, _ = self.engine(frame)
            texts.append(" ".join(line[1] for line in result or []))
        got: dict[str, tuple[str, float]] = {}
        for text in texts:
            for name, pattern in _NAIVE_PATTERNS.items():
                match = re.search(pattern, text.upper())
                if match and name not in got:
                    got[name] = (match.group(1).replace(";", ":"), 1.0)
        setup = (got.get("scene") or got.get("slate_number") or ("", 0))[0]
        label = f"{setup}/{got['take'][0]}" if setup and "take" in got else ""
        return Outcome(bool(got), got, label, False)


def _frame_at(path: Path, at: float):
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = None
        for frame in container.decode(stream):
            time_s = float(frame.pts * stream.time_base)
            first = time_s if first is None else first
            if time_s - first >= at - 1e-6:
                return frame.to_ndarray(format="bgr24")
        return frame.to_ndarray(format="bgr24")


def score(tally: Tally, clip: Clip, outcome: Outcome, threshold: float) -> None:
    tally.clips += 1
    if clip.slate is None:
        tally.found += outcome.found  # a false slate
        tally.wrong += sum(1 for _, c in outcome.fields.values() if c >= threshold)
        return
    truth = clip.slate.truth()
    tally.found += outcome.found
    tally.unsure += outcome.found and outcome.unsure
    right_label = clip.slate.label()
    tally.named += outcome.label == right_label
    if outcome.label and outcome.label != right_label:
        tally.wrong += 1
        tally.mistakes.append(f"label {outcome.label!r} for {right_label!r}")
    for name in SCORED:
        value, confidence = outcome.fields.get(name, ("", 0.0))
        if name in truth:
            tally.fields += 1
            tally.fields_right += value == truth[name] and confidence >= threshold
        if value and confidence >= threshold and value != truth.get(name):
            tally.wrong += 1
            tally.mistakes.append(f"{name} {value!r} at {confidence:.2f} for {truth.get(name)!r}")


def first_use() -> str:
    """Import, engine load and first read of rapidocr in a fresh process, and its peak RSS."""
    code = (
        "import time, resource; t0 = time.perf_counter()\n"
        "import rapidocr_onnxruntime; t1 = time.perf_counter()\n"
        "from binsight.slates import ocr; ocr.engine(); t2 = time.perf_counter()\n"
        "import numpy as np, cv2\n"
        "img = np.full((540, 720, 3), 235, np.uint8)\n"
        "cv2.putText(img, 'SCENE 12A', (20, 200), cv2.FONT_HERSHEY_DUPLEX, 2, (0, 0, 0), 3)\n"
        "ocr.read_text(img); t3 = time.perf_counter(); ocr.read_text(img); t4 = time.perf_counter()\n"
        "print(f'import {t1-t0:.2f} s, engine load {t2-t1:.2f} s, first read {t3-t2:.2f} s, "
        "next read {t4-t3:.2f} s, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MB')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-condition", type=int, default=4)
    args = parser.parse_args()
    from binsight.slates import SlateConfig

    threshold = SlateConfig().confidence_threshold
    print("rapidocr first use (fresh process):", first_use())
    methods = {"binsight": binsight, "naive-ocr": Naive()}
    wanted = clips(args.per_condition)
    missing = sorted({c.slate.hand for c in wanted
                      if c.slate and not sf.font_available(c.slate.hand)})
    if missing:
        print(f"skipped hands {missing}: fonts absent ({sf.APT_LINE})")
    wanted = [c for c in wanted if c.slate is None or sf.font_available(c.slate.hand)]
    tallies: dict[tuple[str, str], Tally] = {}
    with tempfile.TemporaryDirectory() as folder:
        for n, clip in enumerate(wanted):
            path = clip.path or sf.slate_clip(Path(folder) / f"{n}.mp4", clip.slate, clip.shot,
                                              position=clip.position, seed=n + 1)
            for name, method in methods.items():
                start = time.perf_counter()
                outcome = method(path)
                tally = tallies.setdefault((clip.condition, name), Tally())
                tally.seconds.append(time.perf_counter() - start)
                score(tally, clip, outcome, threshold)
    _print(tallies, methods)


def _print(tallies: dict[tuple[str, str], Tally], methods: dict) -> None:
    head = f"{'condition':12} {'method':10} {'clips':>5} {'found':>6} {'named':>6} {'unsure':>7} " \
           f"{'fields':>7} {'wrong!':>6} {'s/clip':>7}"
    print(head)
    print("-" * len(head))
    conditions = list(dict.fromkeys(c for c, _ in tallies))
    totals = {m: Tally() for m in methods}
    for condition in conditions:
        for method in methods:
            t = tallies[(condition, method)]
            total = totals[method]
            if condition == "no slate":
                print(f"{condition:12} {method:10} {t.clips:5d} {'false':>6} {t.found:6d} {'':>7} "
                      f"{'':>7} {t.wrong:6d} {sum(t.seconds) / len(t.seconds):7.2f}")
            else:
                unsure = f"{t.unsure / t.found:.0%}" if t.found else "-"
                print(f"{condition:12} {method:10} {t.clips:5d} {t.found:6d} {t.named:6d} "
                      f"{unsure:>7} {t.fields_right / t.fields:7.0%} {t.wrong:6d} "
                      f"{sum(t.seconds) / len(t.seconds):7.2f}")
                for key in ("clips", "found", "named", "unsure", "fields", "fields_right"):
                    setattr(total, key, getattr(total, key) + getattr(t, key))
            total.wrong += t.wrong
            total.seconds += t.seconds
    for method, t in totals.items():
        unsure = f"{t.unsure / t.found:.0%}" if t.found else "-"
        print(f"{'ALL slates':12} {method:10} {t.clips:5d} {t.found:6d} {t.named:6d} {unsure:>7} "
              f"{t.fields_right / max(1, t.fields):7.0%} {t.wrong:6d} "
              f"{sum(t.seconds) / len(t.seconds):7.2f}")
    print("wrong! counts every clip (no-slate rows included); s/clip averages every clip.")
    for (condition, method), t in tallies.items():
        for mistake in t.mistakes:
            print(f"  wrong, {method}, {condition}: {mistake}")


if __name__ == "__main__":
    main()
