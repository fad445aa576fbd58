"""The card a running server leaves in its data dir, so commands find it there.

``binsight clusters`` or ``binsight open`` over a data dir first look for the server serving it
(its card names the address, the review page's URL and its pid), then at the configured
address, and start an embedded server only when neither answers: two processes never write one
project unknowingly, and no command needs the user to remember a port.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

CARD = "server.json"


@dataclass(frozen=True)
class ServerCard:
    pid: int
    address: str  # gRPC, host:port
    page_url: str  # the review page ("" when off)
    started_at: str


def write_card(data_dir: Path, card: ServerCard) -> None:
    path = data_dir / CARD
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(card)))
    os.replace(tmp, path)


def read_card(data_dir: Path) -> ServerCard | None:
    """The card of a live server over ``data_dir`` (a card whose process is gone is stale)."""
    try:
        card = ServerCard(**json.loads((data_dir / CARD).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(card.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, someone else's
        pass
    return card


def remove_card(data_dir: Path, pid: int) -> None:
    card = read_card(data_dir)
    if card is not None and card.pid == pid:
        (data_dir / CARD).unlink(missing_ok=True)
