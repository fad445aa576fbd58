"""Binsight panels for DaVinci Resolve Studio: a thin window over the client SDK, started from
Workspace > Scripts > Utility > Binsight.

Every decision (shots, bins, corrections) is made by the Binsight server; this package only reads
the Media Pool, talks to the server through ``binsight_client`` and writes folders, clip metadata,
markers and timelines back into Resolve. ``actions`` holds the work as plain functions that take
``(resolve, client, ...)``; ``panel`` is the window; ``install`` puts the menu script in place.

Python: the code keeps to Python 3.8 syntax (``MIN_PYTHON``), the oldest the SDK supports. The
interpreter Resolve loads must in addition match the Binsight environment's minor version and
architecture, because that environment's compiled ``grpcio`` is what the panel imports (checked
at start-up by ``launcher`` and on the editor's machine by ``install doctor``).
"""

MIN_PYTHON = (3, 8)
