"""What the menu script does after putting the package on ``sys.path``: check the edition, then
the interpreter, then open the panel. Imports nothing compiled until both checks pass, so the
messages show even when gRPC cannot load."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .edition import MIN_RESOLVE, detect, free_message, old_message
from .environment import EnvRecord, add_site_dirs, check
from .settings import PanelSettings

MESSAGE_ID = "BinsightMessage"


def show_message(fusion: Any, bmd: Any, text: str) -> None:
    """A plain window with ``text`` and an OK button (Studio only: never called on free)."""
    ui = fusion.UIManager
    dispatcher = bmd.UIDispatcher(ui)
    window = dispatcher.AddWindow(
        {"ID": MESSAGE_ID, "WindowTitle": "Binsight", "Geometry": [200, 200, 640, 260]},
        ui.VGroup([ui.Label({"ID": "MessageText", "Text": text, "WordWrap": True}),
                   ui.HGroup({"Weight": 0}, [ui.Button({"ID": "MessageOK", "Text": "OK"})])]))

    def close(ev: Any) -> None:
        dispatcher.ExitLoop()

    window.On[MESSAGE_ID].Close = close
    window.On["MessageOK"].Clicked = close
    window.Show()
    dispatcher.RunLoop()
    window.Hide()


def launch(resolve: Any, fusion: Any, bmd: Any, env: Optional[Mapping[str, Any]] = None,
           settings: Optional[PanelSettings] = None) -> str:
    """Run the panel as far as this Resolve and this Python allow; returns what happened:
    ``"free"``, ``"too old"``, ``"python mismatch"`` or ``"closed"`` (the panel ran)."""
    settings = settings or PanelSettings.from_environ()
    edition = detect(resolve)
    if not edition.studio:
        print(free_message(edition, settings.review_url))
        return "free"
    if not edition.at_least(MIN_RESOLVE):
        print(old_message(edition))
        show_message(fusion, bmd, old_message(edition))
        return "too old"
    record = EnvRecord.from_dict(env) if env else None
    problem = check(record)
    if problem:
        print(problem)
        show_message(fusion, bmd, problem)
        return "python mismatch"
    if record is not None:
        add_site_dirs(record)
    from .panel import Panel  # gRPC from here on
    Panel(resolve, fusion, bmd, settings, record).run()
    return "closed"
