"""Configuration precedence: defaults < file < environment < flags; typed values; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from binsight.config import load_config


def test_precedence_and_types(tmp_path: Path) -> None:
    config_file = tmp_path / "binsight.toml"
    config_file.write_text('address = "127.0.0.1:6000"\nworkers = 3\n[clusters]\njoin_threshold = 0.9\n'
                           '[faces]\nenabled = true\nmin_face_px = 40\n')
    env = {"BINSIGHT_DATA_DIR": str(tmp_path), "BINSIGHT_WORKERS": "5", "BINSIGHT_FACES__ENABLED": "false",
           "BINSIGHT_EXPORT_PYTHON": "/elsewhere/python"}  # not a config key: ignored
    config = load_config(None, {"address": "127.0.0.1:7000", "data_dir": None}, env)
    assert config.data_dir == tmp_path  # from the environment; the file is found inside it
    assert config.address == "127.0.0.1:7000"  # flag beats file
    assert config.workers == 5  # environment beats file
    assert config.clusters.join_threshold == 0.9 and config.clusters.noise_threshold is None
    assert config.faces.enabled is False and config.faces.min_face_px == 40
    assert config.models_path == tmp_path / "models"


def test_bad_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="faces.min_face_px='big' is not a valid int"):
        load_config(None, None, {"BINSIGHT_DATA_DIR": str(tmp_path), "BINSIGHT_FACES__MIN_FACE_PX": "big"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[clusters]\njoin_treshold = 0.9\n")
    with pytest.raises(ValueError, match="unknown configuration key 'clusters.join_treshold'"):
        load_config(bad, None, {})
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.toml", None, {})
