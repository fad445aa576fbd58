"""The `binsight` command as a person runs it: `run` on real footage writes bins that parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio

from media_factory import shared_media


def binsight(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "BINSIGHT_DATA_DIR": str(data_dir), "BINSIGHT_ADDRESS": "127.0.0.1:1",
               "BINSIGHT_LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run([sys.executable, "-m", "binsight.cli", *args], capture_output=True, text=True,
                          env=environ, timeout=600)


def test_run_writes_bins_json_and_otio(tmp_path: Path) -> None:
    out = tmp_path / "bins"
    result = binsight("run", str(shared_media("counter.mp4")), str(shared_media("testvideo.mp4")),
                      "--out", str(out), data_dir=tmp_path / "data", env={"BINSIGHT_FACES__ENABLED": "false"})
    assert result.returncode == 0, result.stderr
    assert "starting one" in result.stderr  # no server at the address: an embedded one ran
    bins = json.loads((out / "bins.json").read_text())
    shots = [s for b in bins["bins"] for s in b["shots"]]
    assert len(shots) == 3 + 4
    collection = otio.adapters.read_from_file(str(out / "bins.otio"))
    names = [c.name for c in collection]
    assert len(names) == len(bins["bins"])
    counter_ranges = sorted((c.source_range.start_time.to_frames(), c.source_range.duration.to_frames())
                            for c in collection.find_clips() if "counter" in c.media_reference.target_url)
    assert counter_ranges == [(0, 10), (10, 10), (20, 10)]
    for name in ("bins.fcpxml", "bins.xml"):
        assert (out / name).is_file()
    assert list(out.glob("*.edl")) and list(out.glob("*.ale"))

    # every command works on the data dir with no server running, flags before or after it
    status = binsight("status", "--log-format", "json", data_dir=tmp_path / "data")
    assert status.returncode == 0, status.stderr
    assert "media 2  shots 7" in status.stdout
    tree = binsight("--log-level", "WARNING", "clusters", data_dir=tmp_path / "data")
    assert tree.returncode == 0 and "Noise" in tree.stdout and "counter.mp4 #1" in tree.stdout


def test_bad_path_is_a_clear_error(tmp_path: Path) -> None:
    result = binsight("run", str(tmp_path / "nothing.mov"), "--out", str(tmp_path / "bins"), data_dir=tmp_path)
    assert result.returncode == 1
    assert "nothing.mov: no such file or folder" in result.stderr and "media root added" not in result.stderr
    assert not (tmp_path / "bins").exists()


def test_run_exports_a_variable_rate_phone_clip_and_a_10fps_clip_in_every_format(tmp_path: Path) -> None:
    """A phone's variable rate and a 10 fps clip used to stop `run` in the FCP 7 XML exporter
    (and give EDL/ALE files no reader takes): now every format is written, odd rates conformed
    with a warning, and a file a format cannot carry left out by name."""
    import itertools
    from fractions import Fraction

    import media_factory as mf

    steps = itertools.accumulate([0] + [50, 75, 62, 62, 63] * 12)
    frames = [*mf.still(mf.texture(1, 320, 180), 30), *mf.still(mf.texture(2, 320, 180), 31)]
    phone = mf.encode(tmp_path / "phone.mp4", frames, fps=Fraction(16), pts_ms=list(steps))
    out = tmp_path / "bins"
    result = binsight("run", str(phone), str(shared_media("counter.mp4")), "--out", str(out),
                      data_dir=tmp_path / "data", env={"BINSIGHT_FACES__ENABLED": "false"})
    assert result.returncode == 0, result.stderr
    for name in ("bins.json", "bins.otio", "bins.fcpxml", "bins.xml"):
        assert (out / name).is_file(), name
    assert "counter.mp4" in result.stderr and "warning" in result.stderr  # 10 fps: left out of EDL/ALE, named
    media = {m["name"]: m for m in json.loads((out / "bins.json").read_text())["media"]}
    assert media["phone.mp4"]["conform_notes"], media["phone.mp4"]
    timelines = otio.adapters.read_from_file(str(out / "bins.xml"), adapter_name="fcp_xml")
    assert any("phone" in c.media_reference.target_url for c in timelines.find_clips())


def test_logs_are_human_lines_or_json(tmp_path: Path) -> None:
    """JSON log lines when stderr is not a terminal (or --log-format json); short human lines with
    --log-format human (what a terminal gets by default)."""
    env = {"BINSIGHT_FACES__ENABLED": "false", "BINSIGHT_LOG_LEVEL": "INFO"}
    plain = binsight("status", data_dir=tmp_path, env=env)
    assert plain.returncode == 0, plain.stderr
    logged = [line for line in plain.stderr.splitlines() if line.startswith("{")]
    assert logged and all(json.loads(line)["level"] for line in logged)
    human = binsight("status", "--log-format", "human", data_dir=tmp_path, env=env)
    assert human.returncode == 0, human.stderr
    lines = [line for line in human.stderr.splitlines() if " info " in line]
    assert lines and not any(line.startswith("{") for line in human.stderr.splitlines())
    assert any("project open" in line and "data_dir=" in line for line in lines)
