"""The exporter interface and its registry, after OpenTimelineIO's adapters.

An exporter renders a :class:`~binsight.bins.BinSet` to bytes (:meth:`Exporter.render`); writing
those bytes to a folder is done once, here (:meth:`Exporter.write`), so no format touches the
file system, a byte export needs no temporary folder, and a failed render writes nothing.

Options come in two kinds, as OTIO hands each adapter its own ``**adapter_argument_map``:

* :class:`ExportOptions`: what every format reads (project name, whether noise is exported);
* ``Exporter.Options``: each format's own frozen dataclass (``FcpxmlExporter.Options(version,
  layout)``), built from the user's ``--option key=value`` strings by :meth:`Exporter.parse_options`
  so a new format never edits a shared class. Each field may be given under its own name or
  prefixed with the format (``version`` or ``fcpxml_version``).

Formats are registered by name in ``_PLUGINS`` (name -> module), imported only when asked for,
so a broken or slow format never costs the others anything.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

from binsight.bins import BinSet
from binsight.errors import InvalidInput


@dataclass(frozen=True)
class ExportOptions:
    """What every format reads; format-specific choices live in each ``Exporter.Options``."""

    project_name: str | None = None  # None: the BinSet's project name
    include_noise: bool = False

    def project(self, binset: BinSet) -> str:
        return self.project_name or binset.project


@dataclass(frozen=True)
class ExportedFile:
    name: str  # a plain file name, no folder
    data: bytes


@dataclass(frozen=True)
class ExportResult:
    files: tuple[ExportedFile, ...]
    warnings: tuple[str, ...] = ()  # what the export had to change or leave out, one sentence each


@dataclass(frozen=True)
class WrittenExport:
    paths: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


def choice(*choices: str) -> Any:
    """A string option field that must be one of ``choices``; the first is the default."""
    return dataclasses.field(default=choices[0], metadata={"choices": choices})


@dataclass(frozen=True)
class FormatOptions:
    """Base of each exporter's own options: string fields declared with :func:`choice` are
    checked at construction, so a bad value fails at the dialog, not half-way through a render."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            allowed = f.metadata.get("choices")
            value = getattr(self, f.name)
            if allowed and value not in allowed:
                raise InvalidInput(f"option {f.name!r} must be one of {', '.join(allowed)}, not {value!r}")


class Exporter(ABC):
    """One interchange format. Subclasses set the class attributes, may declare ``Options``, and
    implement :meth:`render`."""

    format_name: ClassVar[str]
    extension: ClassVar[str]  # of the main files, with the dot
    description: ClassVar[str] = ""

    @dataclass(frozen=True)
    class Options(FormatOptions):
        """No options of its own."""

    def __init__(self, options: FormatOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()
        if not isinstance(self.options, self.Options):
            raise TypeError(f"{type(self).__name__} takes {type(self).__name__}.Options, not {type(options).__name__}")

    @classmethod
    def parse_options(cls, values: Mapping[str, str]) -> FormatOptions:
        """This format's options from ``--option key=value`` strings; InvalidInput names the valid
        keys (or values) on a miss."""
        fields = {f.name: f for f in dataclasses.fields(cls.Options)}
        hints = get_type_hints(cls.Options)
        keys = {name: name for name in fields} | {f"{cls.format_name}_{name}": name for name in fields}
        parsed: dict[str, object] = {}
        for key, raw in values.items():
            if key not in keys:
                valid = ", ".join(sorted(keys)) or "none"
                raise InvalidInput(f"unknown option {key!r} for the {cls.format_name} export; valid options: {valid}")
            name = keys[key]
            parsed[name] = _convert(raw, hints[name], key, fields[name].metadata.get("choices", ()))
        return cls.Options(**parsed)

    @abstractmethod
    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        """The files of ``binset`` in this format, as bytes, with warnings; writes nothing."""

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> WrittenExport:
        """Render, then write every file into ``out_dir`` (created if needed). Each file is written
        to a temporary name and renamed, so a reader never sees half a file and a render that
        fails leaves the folder as it was."""
        result = self.render(binset, options)
        for file in result.files:
            if not file.name or Path(file.name).name != file.name or file.name.startswith("."):
                raise ValueError(f"{self.format_name} rendered a file name that is not a plain name: {file.name!r}")
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in result.files:
            path = out_dir / file.name
            fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{file.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(file.data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            paths.append(path)
        return WrittenExport(tuple(paths), result.warnings)


def _convert(raw: str, kind: object, key: str, choices: tuple[str, ...]) -> object:
    if choices and raw not in choices:
        raise InvalidInput(f"option {key!r} must be one of {', '.join(choices)}, not {raw!r}")
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise InvalidInput(f"option {key!r} takes true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput(f"option {key!r} takes a whole number, not {raw!r}") from None
    return raw


# Format name -> module whose import registers it (its Exporter subclass is decorated @register).
_PLUGINS: dict[str, str] = {
    "fcpxml": "binsight.exporters.fcpxml",
    "xmeml": "binsight.exporters.xmeml",
    "edl": "binsight.exporters.edl",
    "ale": "binsight.exporters.ale",
    "otio": "binsight.exporters.otio",
    "bins_json": "binsight.exporters.bins_json",
}
_LOADED: dict[str, type[Exporter]] = {}


def register(exporter: type[Exporter]) -> type[Exporter]:
    """Class decorator: make ``exporter`` the class of its ``format_name``. A built-in format
    is listed in ``_PLUGINS`` beforehand so it can be found before its module is imported; a
    plug-in registered from elsewhere is listed here."""
    _PLUGINS[exporter.format_name] = exporter.__module__
    _LOADED[exporter.format_name] = exporter
    return exporter


def available_formats() -> list[str]:
    return sorted(_PLUGINS)


def exporter_class(name: str) -> type[Exporter]:
    """The class of format ``name``; InvalidInput names the valid formats on a miss."""
    if name not in _PLUGINS:
        raise InvalidInput(f"unknown export format {name!r}; choose one of {', '.join(available_formats())}")
    if name not in _LOADED:
        importlib.import_module(_PLUGINS[name])
    return _LOADED[name]


def get_exporter(name: str, options: Mapping[str, str] | None = None) -> Exporter:
    """A fresh exporter for format ``name`` with its options parsed from ``options`` (the
    ``--option key=value`` strings); InvalidInput names the valid formats or options on a miss."""
    cls = exporter_class(name)
    return cls(cls.parse_options(options or {}))
