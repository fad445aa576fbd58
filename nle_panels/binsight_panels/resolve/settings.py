"""Where the panel connects and keeps its bookkeeping, from the environment (no config file:
the editor changes the address in the Connect tab; ``BINSIGHT_ADDRESS`` is the same variable the
CLI and server read)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_REVIEW_URL = "http://127.0.0.1:8765/"


def user_data_dir(environ: Mapping[str, str], home: Optional[Path] = None, platform: str = sys.platform) -> Path:
    """The per-user data folder Binsight uses on each OS (the panel's state lives beside the
    server's data, never inside Resolve's folders)."""
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / "binsight"
    if platform.startswith("win"):
        base = environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "binsight"
    base = environ.get("XDG_DATA_HOME")
    return (Path(base) if base else home / ".local" / "share") / "binsight"


@dataclass(frozen=True)
class PanelSettings:
    address: str = DEFAULT_ADDRESS
    review_url: str = DEFAULT_REVIEW_URL
    state_dir: Path = Path(".")

    @classmethod
    def from_environ(cls, environ: Optional[Mapping[str, str]] = None) -> "PanelSettings":
        """``BINSIGHT_ADDRESS``, ``BINSIGHT_REVIEW_URL`` and ``BINSIGHT_RESOLVE_STATE_DIR``
        (default: ``<user data dir>/resolve``)."""
        environ = os.environ if environ is None else environ
        state = environ.get("BINSIGHT_RESOLVE_STATE_DIR")
        return cls(address=environ.get("BINSIGHT_ADDRESS") or DEFAULT_ADDRESS,
                   review_url=environ.get("BINSIGHT_REVIEW_URL") or DEFAULT_REVIEW_URL,
                   state_dir=Path(state) if state else user_data_dir(environ) / "resolve")
