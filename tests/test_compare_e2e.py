"""Compare through the server, the SDK and the CLI: two versions of a cut as files or ingested
media, thresholds per call without a new analysis, every report format read back."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pycmx
import pytest

import cut_versions as cv
import media_factory as mf
from binsight_client import InvalidArgument, PermissionDenied


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> tuple[Path, Path, int]:
    """A generated cut of five shots and a version with a spare shot inserted before shot 3."""
    folder = tmp_path_factory.mktemp("versions")
    pool = cv.generated_pool()
    cut = pool[:5]
    a = mf.encode(folder / "cut_v1.mp4", [f for s in cut for f in s], fps=Fraction(25))
    b = mf.encode(folder / "cut_v2.mp4", [f for s in [*cut[:3], pool[7], *cut[3:]] for f in s], fps=Fraction(25))
    return a, b, sum(len(s) for s in cut[:3])


def test_an_inserted_shot_is_the_one_difference(served, versions) -> None:
    server, client = served
    a, b, at = versions
    result = client.compare(str(a), str(b), report_format="edl")
    assert [d.kind for d in result.differences] == ["inserted"]
    (inserted,) = result.differences
    assert inserted.a is None and abs(inserted.b.start - at) <= 1
    assert result.markers and result.markers[0].frame == inserted.at_b
    events = list(pycmx.parse_cmx3600(io.StringIO(result.report.decode())).events)
    assert len(events) == 1 and result.report_name.endswith(".edl")
    cache = sorted((server.config.data_dir / "compare").iterdir())
    stamps = [p.stat().st_mtime_ns for p in cache]
    # a stricter threshold, no new decode: the cached analyses are reused as they are
    strict = client.compare(str(a), str(b), report_format="otio", changed_structure=0.001)
    assert [p.stat().st_mtime_ns for p in sorted((server.config.data_dir / "compare").iterdir())] == stamps
    timeline = otio.adapters.read_from_string(strict.report.decode(), "otio_json")
    assert len(timeline.video_tracks()[0].markers) == len(strict.differences)
    as_json = json.loads(client.compare(str(a), str(b), report_format="json").report)
    assert [d["kind"] for d in as_json["differences"]] == ["inserted"] and as_json["differences"][0]["a"] is None


def test_ingested_media_ids_and_bad_requests(served, versions, tmp_path: Path) -> None:
    _, client = served
    a, b, _ = versions
    client.ingest([str(a), str(b)])
    ids = {Path(m.path).name: m.media_id for m in client.list_media()}
    same = client.compare(ids["cut_v1.mp4"], ids["cut_v1.mp4"])
    assert same.differences == [] and same.unchanged > 0
    with pytest.raises(InvalidArgument, match="report format"):
        client.compare(str(a), str(b), report_format="pdf")
    with pytest.raises(InvalidArgument, match="match_threshold"):
        client.compare(str(a), str(b), match_threshold=7.0)
    with pytest.raises(PermissionDenied, match="outside the media roots"):
        client.compare("/etc/passwd", str(b))
    with pytest.raises(InvalidArgument, match="give version B"):
        client.compare(str(a), "")


def test_cli_compare_prints_the_change_list(versions, tmp_path: Path) -> None:
    a, b, _ = versions
    env = {**os.environ, "BINSIGHT_DATA_DIR": str(tmp_path / "data"), "BINSIGHT_ADDRESS": "127.0.0.1:1",
           "BINSIGHT_LOG_LEVEL": "WARNING", "BINSIGHT_FACES__ENABLED": "false"}
    table = subprocess.run([sys.executable, "-m", "binsight.cli", "compare", str(a), str(b)], env=env,
                           capture_output=True, text=True, timeout=600)
    assert table.returncode == 0, table.stderr
    assert "inserted" in table.stdout and table.stdout.count("\n") == 3
    out = tmp_path / "changes.csv"
    csv = subprocess.run([sys.executable, "-m", "binsight.cli", "compare", str(a), str(b), "--format", "csv",
                          "--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert csv.returncode == 0 and out.read_text().splitlines()[1].split(",")[1] == "inserted"
