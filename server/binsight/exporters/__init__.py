"""Exporters: one interface, one module per interchange format.

    exporter = get_exporter("fcpxml", {"version": "1.10"})      # options as --option strings
    result = exporter.render(binset, ExportOptions(include_noise=True))   # bytes + warnings
    written = exporter.write(binset, Path("out"), ExportOptions())        # files + warnings

``base`` holds the interface and registry, ``walk`` the bin walking every format shares,
``naming`` the names, reels, URLs and text rules, ``conform`` the frame-rate rules, ``timecode``
the frame/timecode arithmetic; each format lives in its own module.
"""

from binsight.exporters.base import (
    ExportedFile,
    Exporter,
    ExportOptions,
    ExportResult,
    FormatOptions,
    WrittenExport,
    available_formats,
    choice,
    exporter_class,
    get_exporter,
    register,
)

__all__ = [
    "ExportOptions",
    "ExportResult",
    "ExportedFile",
    "Exporter",
    "FormatOptions",
    "WrittenExport",
    "available_formats",
    "choice",
    "exporter_class",
    "get_exporter",
    "register",
]
