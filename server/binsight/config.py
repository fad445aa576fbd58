"""One typed configuration object, read from (lowest to highest precedence) built-in defaults, a
TOML file, ``BINSIGHT_*`` environment variables and command-line flags.

The file is ``--config PATH``, else ``$BINSIGHT_CONFIG``, else ``binsight.toml`` in the data dir.
Keys mirror the dataclass fields, sections for the nested groups::

    address = "127.0.0.1:50051"
    [clusters]
    join_threshold = 0.85
    [faces]
    enabled = true
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_ADDRESS = "127.0.0.1:50051"


@dataclass
class ClusterSettings:
    """Cosine thresholds of online assignment. None: the value calibrated for the active scene
    model (CLIP: join 0.85 / noise 0.5, the seed design; pixels: 0.8 / 0.35, from
    bench/clusters.py), since a cosine means different things in different embedding spaces."""

    join_threshold: float | None = None  # at or above: the shot joins the cluster
    noise_threshold: float | None = None  # below this to every cluster: the noise bucket
    merge_threshold: float | None = None  # recluster: average-linkage similarity to stop merging


@dataclass
class FaceSettings:
    """See ``faces.base.FaceConfig`` for what the detection settings mean."""

    enabled: bool = True
    pack: str = "auto"  # "auto": a pack the user installed, else the built-in dlib model
    detector: str = "hog"  # dlib only: "hog" (fast) or "cnn" (slower, finds more)
    min_face_px: int = 32
    min_det_score: float | None = None  # None: the backend's calibrated default
    max_detect_pixels: int = 4 * 1920 * 1080
    # per shot: pixels of full scans at the detection scale (one 1080p sample doubled); the other
    # samples get a quarter-scale scan plus full-scale scans around the small faces already found
    max_shot_detect_pixels: int = 4 * 1920 * 1080
    max_faces_per_shot: int = 14  # faces embedded per shot (~0.15 CPU-s each), >= 2 per person
    extra_samples_per_shot: int = 4  # frames scanned for faces beyond the keyframes


@dataclass
class Config:
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("binsight")))
    address: str = DEFAULT_ADDRESS
    scene_model: str = "auto"  # "auto": best installed CLIP pack, else "pixels"
    models_dir: Path | None = None  # default: <data_dir>/models
    workers: int = 8  # gRPC worker threads
    log_level: str = "INFO"
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    faces: FaceSettings = field(default_factory=FaceSettings)

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "db"

    @property
    def media_cache(self) -> Path:
        """Keyframe JPEGs and thumbnails, one folder per media file."""
        return self.data_dir / "keyframes"


_ENV_PREFIX = "BINSIGHT_"


def load_config(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Build the config: defaults < file < environment < ``overrides`` (parsed flags; ``None``
    values mean "not given"). Nested keys are dotted: ``{"clusters.join_threshold": 0.9}``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    env_values = _from_env(environ)
    flag_values = {k: v for k, v in (overrides or {}).items() if v is not None}
    data_dir = flag_values.get("data_dir") or env_values.get("data_dir")
    path = config_file or (Path(environ["BINSIGHT_CONFIG"]) if environ.get("BINSIGHT_CONFIG") else None)
    if path is None:
        candidate = Path(data_dir or Config().data_dir) / "binsight.toml"
        path = candidate if candidate.exists() else None
    if path is not None:
        if not Path(path).is_file():
            raise FileNotFoundError(f"config file {path} does not exist")
        values.update(_flatten(tomllib.loads(Path(path).read_text())))
    values.update(env_values)
    values.update(flag_values)
    return _build(values)


def _known_keys(node: Any = None, prefix: str = "") -> set[str]:
    node = node if node is not None else Config()
    keys: set[str] = set()
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        keys |= _known_keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else {prefix + f.name}
    return keys


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """``BINSIGHT_CLUSTERS__JOIN_THRESHOLD`` -> ``clusters.join_threshold``. Other ``BINSIGHT_*``
    variables (a test harness's, a wrapper script's) are not configuration and are left alone."""
    known = _known_keys()
    out = {}
    for key, value in environ.items():
        dotted = key[len(_ENV_PREFIX):].lower().replace("__", ".")
        if key.startswith(_ENV_PREFIX) and dotted in known:
            out[dotted] = value
    return out


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _build(values: Mapping[str, Any]) -> Config:
    config = Config()
    for dotted, raw in values.items():
        *parents, name = dotted.split(".")
        target: Any = config
        for part in parents:
            target = getattr(target, part, None)
            if not dataclasses.is_dataclass(target):
                raise ValueError(f"unknown configuration section {'.'.join(parents)!r} (from {dotted!r})")
        fields = {f.name: f for f in dataclasses.fields(target)}
        if name not in fields:
            raise ValueError(f"unknown configuration key {dotted!r}")
        setattr(target, name, _coerce(getattr(target, name), raw, dotted))
    return config


def _coerce(current: Any, raw: Any, key: str) -> Any:
    """Convert strings from the environment to the type of the default they replace."""
    if current is None and isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"configuration {key}={raw!r} is not a number") from None
    if not isinstance(raw, str) or isinstance(current, str):
        return Path(raw) if isinstance(current, Path) or key.endswith("_dir") else raw
    try:
        if isinstance(current, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
    except ValueError:
        raise ValueError(f"configuration {key}={raw!r} is not a valid {type(current).__name__}") from None
    return Path(raw)
