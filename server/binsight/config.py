"""One typed configuration object, read from (lowest to highest precedence) built-in defaults, a
TOML file, ``BINSIGHT_*`` environment variables and command-line flags.

The file is ``--config PATH``, else ``$BINSIGHT_CONFIG``, else ``binsight.toml`` in the data dir.
Keys mirror the dataclass fields, sections for the nested groups::

    address = "127.0.0.1:50051"
    [clusters]
    join_threshold = 0.85
    [faces]
    enabled = true

The sections are the settings classes of the parts they configure (``[faces]`` is a
``faces.base.FaceConfig`` plus two switches, ``[detector]`` a ``media.types.DetectorConfig``,
``[keyframes]`` a ``media.keyframes.KeyframeConfig``, ``[slates]`` a
``slates.types.SlateConfig`` plus a switch, ``[storage]`` a ``storage.StorageSettings``), so
no setting is declared twice. Values
are converted to each field's declared type, and a wrong key or value is named in the error.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import platformdirs

from .faces.base import FaceConfig
from .media.keyframes import KeyframeConfig
from .media.types import DetectorConfig
from .slates.types import SlateConfig
from .storage import Location, StorageSettings, locate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_HTTP_ADDRESS = "127.0.0.1:8765"


@dataclass(frozen=True)
class ClusterSettings:
    """Cosine thresholds of scene assignment. None: the value calibrated for the active scene
    model (see ``clustering.types.ClusterConfig.for_model``), since a cosine means different
    things in different embedding spaces."""

    join_threshold: float | None = None  # at or above: the shot joins the cluster
    noise_threshold: float | None = None  # below this to every cluster: the noise bucket
    merge_threshold: float | None = None  # recluster: average-linkage similarity to stop merging


@dataclass(frozen=True)
class FaceSettings(FaceConfig):
    """The face detection settings every backend reads, plus whether faces run at all and which
    model pack to prefer."""

    enabled: bool = True
    pack: str = "auto"  # "auto": a pack the user installed, else the built-in dlib model
    extra_samples_per_shot: int = 4  # frames scanned for faces beyond the keyframes


@dataclass(frozen=True)
class SlateSettings(SlateConfig):
    """Where the slate reader looks and how sure it must be (``slates.types.SlateConfig``), plus
    whether ingest reads slates at all."""

    enabled: bool = True


@dataclass(frozen=True)
class SearchSettings:
    """How ``search_index`` searches and indexes the keyframe vectors; the defaults are chosen
    from ``bench/search.py`` (README, Search)."""

    index_threshold: int = 5_000  # rows from which a vector index is built (exact below)
    index_type: Literal["IVF_RQ", "IVF_SQ", "IVF_PQ", "IVF_HNSW_SQ", "IVF_HNSW_PQ", "IVF_FLAT"] = "IVF_RQ"
    partitions: int = 0  # IVF partitions; 0: about one per 4096 rows (at least 1)
    nprobes: int = 40  # partitions searched per query
    refine_factor: int = 10  # quantized indexes: candidates re-ranked on the full vectors, a multiple of k
    ef: int = 100  # HNSW variants: candidates kept while walking the graph
    max_limit: int = 1000  # most hits one search may ask for


@dataclass
class Config:
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("binsight")))
    store_uri: str = ""  # the library (tables + keyframe images): "" = data_dir; or a folder, or s3://bucket/prefix
    address: str = DEFAULT_ADDRESS
    http_address: str = DEFAULT_HTTP_ADDRESS  # the review page; "" turns it off
    scene_model: str = "auto"  # "auto": best installed CLIP pack, else "pixels"
    models_dir: Path | None = None  # default: <data_dir>/models
    workers: int = 8  # gRPC worker threads for unary calls
    executor: Literal["local", "ray"] = "local"  # where ingest analyses files (see executors.py)
    parallel_files: int = 2  # executor "local": files analysed at once (the next while one is committed)
    ray_address: str = ""  # executor "ray": the cluster to join ("" = start a local one); e.g. "ray://head:10001"
    ray_workers: int = 2  # executor "ray": IngestWorker actors (each loads the models once)
    ray_chunk_seconds: float = 600.0  # executor "ray": a file twice this long is split across the workers; 0: never
    log_level: str = "INFO"
    log_format: Literal["auto", "human", "json"] = "auto"  # auto: human on a terminal, else JSON
    tls_cert: Path | None = None  # server certificate (PEM); with tls_key, required off loopback
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # set: clients must present a certificate signed by it
    require_token: bool = False  # tokens even on loopback (always required off loopback)
    export_root: Path | None = None  # where the server may write exports; default <data_dir>/exports
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    faces: FaceSettings = field(default_factory=FaceSettings)
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    keyframes: KeyframeConfig = field(default_factory=KeyframeConfig)
    slates: SlateSettings = field(default_factory=SlateSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def exports_path(self) -> Path:
        return self.export_root or self.data_dir / "exports"

    def location(self, environ: Mapping[str, str] | None = None) -> Location:
        """The library's tables and images (``storage.locate``): ``<data_dir>/db`` and
        ``<data_dir>/keyframes`` unless ``store_uri`` names another place."""
        return locate(self.store_uri, self.data_dir, self.storage, environ)

    def override(self, values: Mapping[str, Any]) -> "Config":
        """A copy with dotted keys replaced (``{"faces.enabled": False}``), values converted as
        from a file."""
        return _build(values, self)


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
    return _build(values, Config())


def settings_table(node: Any = None, prefix: str = "") -> list[tuple[str, Any]]:
    """Every configuration key with its default, in declaration order (the README's table)."""
    node = node if node is not None else Config()
    rows: list[tuple[str, Any]] = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            rows += settings_table(value, f"{prefix}{f.name}.")
        else:
            rows.append((prefix + f.name, value))
    return rows


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """``BINSIGHT_CLUSTERS__JOIN_THRESHOLD`` -> ``clusters.join_threshold``. Other ``BINSIGHT_*``
    variables (a test harness's, a wrapper script's) are not configuration and are left alone."""
    known = {key for key, _ in settings_table()}
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


def _build(values: Mapping[str, Any], base: Config) -> Config:
    """Apply dotted ``values`` to ``base``; sections are frozen, so each is rebuilt once."""
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for dotted, raw in values.items():
        *parents, name = dotted.split(".")
        if len(parents) > 1 or (parents and not dataclasses.is_dataclass(getattr(base, parents[0], None))):
            raise ValueError(f"unknown configuration section {'.'.join(parents)!r} (from {dotted!r})")
        target = getattr(base, parents[0]) if parents else base
        hints = typing.get_type_hints(type(target))
        known = {f.name for f in dataclasses.fields(target)}
        if name not in known or (not parents and dataclasses.is_dataclass(getattr(base, name))):
            raise ValueError(f"unknown configuration key {dotted!r}")
        value = _coerce(hints[name], raw, dotted)
        if parents:
            sections.setdefault(parents[0], {})[name] = value
        else:
            top[name] = value
    for section, changes in sections.items():
        try:
            top[section] = dataclasses.replace(getattr(base, section), **changes)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"configuration [{section}]: {exc}") from None
    return dataclasses.replace(base, **top)


def _coerce(hint: Any, raw: Any, key: str) -> Any:
    """Convert a value from a file or the environment (strings) to the field's declared type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if raw is None or (isinstance(raw, str) and raw.lower() in ("", "none")):
            return None
        return _coerce(next(a for a in args if a is not type(None)), raw, key)
    if origin is Literal:
        if raw not in args:
            raise ValueError(f"configuration {key}={raw!r} must be one of {', '.join(map(repr, args))}")
        return raw
    if origin is tuple:
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(_coerce(args[0], item, key) for item in items)
    try:
        if hint is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("1", "true", "yes", "on"):
                return True
            if str(raw).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if hint is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(raw)
        if hint is float:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if hint is Path:
            return Path(raw).expanduser()
        if hint is str:
            return str(raw)
    except (TypeError, ValueError):
        raise ValueError(f"configuration {key}={raw!r} is not a valid {getattr(hint, '__name__', hint)}") from None
    raise ValueError(f"configuration {key} has a type Binsight cannot read ({hint})")
