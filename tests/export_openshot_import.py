"""Runs OpenShot's own FCP 7 XML importer headless on one file and prints what it imported.

Run by the system Python that Debian's ``openshot-qt`` installs into (not the project's venv):

    QT_QPA_PLATFORM=offscreen HOME=<empty dir> /usr/bin/python3 export_openshot_import.py FILE.xml MEDIA_DIR

OpenShot's importer (``classes/importers/final_cut_pro.py``) is a menu action: it asks for the
XML with a file dialog and, since it takes ``<pathurl>`` as a plain path, asks for the folder of
every file it cannot find. The dialogs are answered the way a person would (the XML, then
MEDIA_DIR) and counted; everything else is OpenShot's real code on its real project model.
OpenShot sends usage metrics on start-up: every network connection is refused here, and the
metrics call is a no-op, so the run never leaves the machine.

Prints one line: ``RESULT {json}`` with the project frame rate, the imported clips (title,
position/start/end in seconds, file path) and how many folder prompts were answered.
"""

from __future__ import annotations

import json
import os
import socket
import sys

OPENSHOT = "/usr/lib/python3/dist-packages/openshot_qt"


def _refuse_network() -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled for the OpenShot import check")

    socket.getaddrinfo = refuse  # type: ignore[assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.socket.connect = refuse  # type: ignore[method-assign]


def main(xml_path: str, media_dir: str) -> None:
    _refuse_network()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, OPENSHOT)
    from PyQt5.QtWidgets import QFileDialog, QMessageBox

    prompts = {"folder": 0, "warning": 0}

    def folder(*args: object, **kwargs: object) -> str:
        prompts["folder"] += 1
        return media_dir

    def warning(*args: object, **kwargs: object) -> None:
        prompts["warning"] += 1

    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (xml_path, ""))
    QFileDialog.getExistingDirectory = staticmethod(folder)
    QMessageBox.warning = staticmethod(warning)

    from classes.app import OpenShotApp

    app = OpenShotApp(sys.argv[:1], mode="unittest")
    from classes import metrics  # needs the app; before gui(), which sends the start-up metrics

    metrics.send_metric = lambda *a, **k: None
    app.gui()
    from classes.importers.final_cut_pro import import_xml
    from classes.query import Clip, File

    import_xml()
    fps = app.project.get("fps")
    clips = [{"title": c.data["title"], "position": c.data["position"], "start": c.data["start"],
              "end": c.data["end"], "path": File.get(id=c.data["file_id"]).data["path"]} for c in Clip.filter()]
    print("RESULT " + json.dumps({"fps": fps, "clips": clips, "prompts": prompts}), flush=True)
    os._exit(0)  # OpenShot's preview thread would abort a normal interpreter shutdown


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
