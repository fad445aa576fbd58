"""Binsight for DaVinci Resolve (Workspace > Scripts > Binsight).

Installed as ``Fusion/Scripts/Utility/Binsight.py`` by ``binsight resolve install``, which writes
the Binsight environment into ``BINSIGHT_ENV`` below. Resolve runs this file with ``resolve``,
``fusion``/``fu``, ``app`` and ``bmd`` as globals. It only puts the Binsight packages on
``sys.path`` and hands over to ``binsight_panels.resolve.launcher``; it keeps to syntax every
Python 3 that Resolve may pick can read, so a wrong interpreter still gets a readable message.
"""

import sys

BINSIGHT_ENV = {}  # written by the installer

_FIX = "Run `binsight resolve doctor` in a terminal to see what is wrong and how to fix it."


def _main(scope):
    for root in reversed(BINSIGHT_ENV.get("package_roots", [])):
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        from binsight_panels.resolve import launcher
    except Exception as exc:  # a broken or moved environment: say so in the Console
        print("Binsight: cannot load the panel from %s (%s). %s"
              % (BINSIGHT_ENV.get("package_roots") or "this Python", exc, _FIX))
        return "broken"
    resolve = scope.get("resolve")
    bmd = scope.get("bmd")
    if resolve is None and bmd is not None:
        resolve = bmd.scriptapp("Resolve")
    if resolve is None:
        print("Binsight: start this from Resolve's Workspace > Scripts menu.")
        return "outside resolve"
    fusion = scope.get("fusion") or scope.get("fu") or resolve.Fusion()
    return launcher.launch(resolve, fusion, bmd, BINSIGHT_ENV)


if "resolve" in globals() or "bmd" in globals():
    _main(globals())
