"""The Binsight window: one tab per task over the functions in ``actions``.

UIManager's ``RunLoop`` is the script's main loop and every handler runs on it, so handlers make
only short unary server calls; a long ingest is followed by a ``ui.Timer`` whose ``Timeout``
handler asks the server for the job's state (``Timer`` is undocumented by Blackmagic: the
handler is registered on both the dispatcher and the window and tolerates double delivery).
Resolve calls happen only in handlers, never on another thread.

Tabs are ``Page`` subclasses listed in ``PAGES``. Compare renders timelines through Resolve's
render queue and polls the jobs from the same timer.
"""

from __future__ import annotations

import shutil
import time
import traceback
import webbrowser
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from binsight_client import BinsightError, DeadlineExceeded

from . import actions
from .actions import PanelError, ReviewRow
from .connection import local_address, server_status, start_local_server, try_connect
from .environment import EnvRecord
from .settings import PanelSettings

WINDOW_ID = "BinsightMain"
TIMER_ID = "BinsightPoll"
TICK_MS = 250
SERVER_START_S = 60.0


def _selected(tree: Any) -> List[Any]:
    """A Tree's selected items; UIManager may hand back a list or a dict keyed 1..n."""
    chosen = tree.SelectedItems()
    if isinstance(chosen, dict):
        return [chosen[k] for k in sorted(chosen)]
    return list(chosen or [])


class Page:
    """One tab: its layout, its handlers, and what it does when the server or bins change."""

    title = ""

    def __init__(self, panel: "Panel") -> None:
        self.panel = panel

    def layout(self, ui: Any) -> Any:
        raise NotImplementedError

    def bind(self) -> None:
        """Register handlers with ``self.panel.on``."""

    def connected(self) -> None:
        """A server connection was made (or remade)."""

    def bins_changed(self, tree: Any) -> None:
        """The server's bin tree was read again."""

    def shown(self) -> None:
        """The editor opened this tab."""

    # helpers
    def item(self, element_id: str) -> Any:
        return self.panel.item(element_id)

    def log(self, element_id: str, lines: Sequence[str]) -> None:
        self.item(element_id).Text = "\n".join(lines)


def _log_box(ui: Any, element_id: str) -> Any:
    return ui.TextEdit({"ID": element_id, "ReadOnly": True, "Weight": 1})


def _fill_bins(tree: Any, bins: Sequence[actions.BinInfo]) -> None:
    tree.Clear()
    for n, b in enumerate(bins):
        row = tree.NewItem()
        row.Text[0] = ("    " if b.kind == "character" else "") + b.name + (" (person)" if b.kind == "person" else "")
        row.Text[1] = str(len(b.shots))
        row.Text[2] = str(n)
        tree.AddTopLevelItem(row)


def _bin_tree(ui: Any, element_id: str) -> Any:
    return ui.Tree({"ID": element_id, "Weight": 1, "SelectionMode": "ExtendedSelection", "ColumnCount": 3,
                    "HeaderHidden": False})


# ------------------------------------------------------------------------------------------------
class ConnectPage(Page):
    title = "Connect"

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.Label({"Text": "Server", "Weight": 0}),
                ui.LineEdit({"ID": "Address", "Text": self.panel.settings.address, "Weight": 1}),
                ui.Button({"ID": "Connect", "Text": "Connect", "Weight": 0}),
                ui.Button({"ID": "StartServer", "Text": "Start a local server", "Weight": 0, "Enabled": False}),
            ]),
            _log_box(ui, "ServerInfo"),
        ])

    def bind(self) -> None:
        self.panel.on("Connect", "Clicked", lambda ev: self.connect())
        self.panel.on("StartServer", "Clicked", lambda ev: self.start_server())

    def connect(self, wait_s: float = 0.5) -> None:
        address = str(self.item("Address").Text).strip()
        if not address:
            raise PanelError("type the server address, e.g. 127.0.0.1:50051")
        client = try_connect(address, wait_s)
        if client is None:
            self.panel.set_client(None)
            can_start = local_address(address) and bool(self.panel.binsight_command())
            self.item("StartServer").Enabled = can_start
            hint = ["Start one with the button above (it runs `binsight serve`)." if can_start
                    else "Start `binsight serve` on that machine, or correct the address."]
            self.log("ServerInfo", [f"No Binsight server answers at {address}."] + hint)
            self.panel.say(f"no server at {address}")
            return
        self.item("StartServer").Enabled = False
        self.panel.set_client(client)  # pages hear of it through connected()

    def show_status(self) -> None:
        status = server_status(self.panel.need_client())
        self.panel.status = status
        self.log("ServerInfo", status.lines())
        self.panel.say(f"connected to {status.address}" if status.reachable else f"lost {status.address}")

    def connected(self) -> None:
        self.show_status()

    def start_server(self) -> None:
        address = str(self.item("Address").Text).strip()
        command = self.panel.binsight_command()
        log = self.panel.settings.state_dir / "server.log"
        process = start_local_server(command, address, log)
        (self.panel.settings.state_dir / "server.pid").write_text(f"{process.pid}\n")
        self.item("StartServer").Enabled = False
        deadline = time.monotonic() + SERVER_START_S
        self.panel.say(f"starting a Binsight server at {address} ...")

        def ready() -> bool:
            client = try_connect(address, 0.05)
            if client is not None:
                self.panel.set_client(client)
                return True
            if time.monotonic() > deadline:
                self.log("ServerInfo", [f"The server (process {process.pid}) did not answer within "
                                        f"{SERVER_START_S:.0f} s; see {log}."])
                self.item("StartServer").Enabled = True
                return True
            return False

        self.panel.poll(ready)


# ------------------------------------------------------------------------------------------------
class IngestPage(Page):
    title = "Ingest"
    SCOPES = [("bin", "the current bin"), ("selection", "the selected clips"), ("pool", "the whole Media Pool")]

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.job_id = ""

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.Label({"Text": "Ingest", "Weight": 0}),
                ui.ComboBox({"ID": "IngestScope", "Weight": 1}),
                ui.CheckBox({"ID": "IngestForce", "Text": "again, even if unchanged", "Weight": 0}),
                ui.Button({"ID": "IngestStart", "Text": "Ingest", "Weight": 0}),
                ui.Button({"ID": "IngestCancel", "Text": "Cancel", "Weight": 0, "Enabled": False}),
            ]),
            ui.Label({"ID": "IngestProgress", "Text": "", "Weight": 0}),
            _log_box(ui, "IngestLog"),
        ])

    def bind(self) -> None:
        self.item("IngestScope").AddItems([label for _, label in self.SCOPES])
        self.panel.on("IngestStart", "Clicked", lambda ev: self.start())
        self.panel.on("IngestCancel", "Clicked", lambda ev: self.cancel())

    def start(self) -> None:
        client = self.panel.need_client()
        scope = self.SCOPES[int(self.item("IngestScope").CurrentIndex)][0]
        report = actions.ingest(self.panel.resolve, client, scope, force=bool(self.item("IngestForce").Checked))
        lines = [f"{len(report.clips)} footage clips in {actions.SCOPES[scope]}: {len(report.sent)} sent, "
                 f"{len(report.already_ingested)} already ingested"]
        lines += [f"already ingested: {n}" for n in report.already_ingested]
        lines += [f"skipped: {n}" for n in report.not_footage]
        self.log("IngestLog", lines)
        if not report.job_id:
            self.item("IngestProgress").Text = "nothing to ingest"
            return
        self.job_id = report.job_id
        self.buttons(running=True)

        def follow() -> bool:
            try:
                progress = actions.job_progress(client, self.job_id, timeout=2.0)
            except DeadlineExceeded:
                return False  # a server busy ingesting answered late: ask again on the next tick
            except BinsightError:
                self.buttons(running=False)  # the server went away: let the editor try again
                raise
            self.item("IngestProgress").Text = progress.line
            if not progress.done:
                return False
            self.buttons(running=False)
            lines.extend(progress.results)
            if progress.error:
                lines.append(f"error: {progress.error}")
            if progress.state == "succeeded":
                recluster = client.recluster()
                lines.append(f"reclustered: {recluster.clusters_after} bins, {recluster.noise_after} shots in noise")
                self.panel.refresh_bins()
            self.log("IngestLog", lines)
            self.panel.say(f"ingest {progress.state}")
            return True

        self.panel.poll(follow)

    def buttons(self, running: bool) -> None:
        self.item("IngestStart").Enabled = not running
        self.item("IngestCancel").Enabled = running

    def cancel(self) -> None:
        if self.job_id:
            self.panel.need_client().cancel_job(self.job_id)
            self.panel.say("cancelling the ingest (files already done stay)")


# ------------------------------------------------------------------------------------------------
class ReviewPage(Page):
    title = "Review"
    COLUMNS = ["Bin / shot", "Shots", "Source", "Suggestions", "Ref"]

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.rows: List[ReviewRow] = []
        self.targets: List[str] = []

    def layout(self, ui: Any) -> Any:
        button = lambda element_id, text: ui.Button({"ID": element_id, "Text": text, "Weight": 0})  # noqa: E731
        return ui.VGroup([
            ui.Tree({"ID": "ReviewTree", "Weight": 1, "SelectionMode": "ExtendedSelection",
                     "ColumnCount": len(self.COLUMNS)}),
            ui.HGroup({"Weight": 0}, [
                ui.ComboBox({"ID": "ReviewTarget", "Weight": 1}),
                button("ReviewMove", "Move shots there"),
                button("ReviewReject", "Not this one"),
            ]),
            ui.HGroup({"Weight": 0}, [
                ui.LineEdit({"ID": "ReviewName", "PlaceholderText": "bin name", "Weight": 1}),
                button("ReviewRename", "Rename"),
                button("ReviewSplit", "Split shots off"),
                button("ReviewMerge", "Merge bins"),
                button("ReviewLock", "Lock / unlock"),
            ]),
            ui.HGroup({"Weight": 0}, [
                button("ReviewUndo", "Undo"),
                button("ReviewRedo", "Redo"),
                button("ReviewRefresh", "Refresh"),
                button("ReviewRecluster", "Recluster"),
                button("ReviewOpen", "Open in review page"),
            ]),
            ui.Label({"ID": "ReviewLog", "Text": "", "Weight": 0, "WordWrap": True}),
        ])

    def bind(self) -> None:
        self.item("ReviewTree").SetHeaderLabels(self.COLUMNS)
        on = self.panel.on
        on("ReviewTree", "ItemClicked", lambda ev: self.selection_changed())
        on("ReviewMove", "Clicked", lambda ev: self.move())
        on("ReviewReject", "Clicked", lambda ev: self.reject())
        on("ReviewRename", "Clicked", lambda ev: self.rename())
        on("ReviewSplit", "Clicked", lambda ev: self.split())
        on("ReviewMerge", "Clicked", lambda ev: self.merge())
        on("ReviewLock", "Clicked", lambda ev: self.lock())
        on("ReviewRefresh", "Clicked", lambda ev: self.panel.refresh_bins())
        on("ReviewRecluster", "Clicked", lambda ev: self.recluster())
        on("ReviewUndo", "Clicked", lambda ev: self.undo())
        on("ReviewRedo", "Clicked", lambda ev: self.redo())
        on("ReviewOpen", "Clicked", lambda ev: self.panel.open_url(self.panel.review_url()))

    def bins_changed(self, tree: Any) -> None:
        self.rows = actions.review_rows(tree)
        widget = self.item("ReviewTree")
        widget.Clear()
        parents: Dict[int, Any] = {}
        for n, row in enumerate(self.rows):
            entry = widget.NewItem()
            entry.Text[0] = row.label + (" (locked)" if row.locked else "")
            entry.Text[1] = str(row.count) if row.kind != "shot" else ""
            entry.Text[2] = row.source
            entry.Text[3] = row.suggestion_text
            entry.Text[4] = str(n)
            if row.depth == 0:
                widget.AddTopLevelItem(entry)
            else:
                parents[row.depth - 1].AddChild(entry)
            parents[row.depth] = entry
            entry.Expanded = row.kind != "shot" or row.depth < 2
        self.fill_targets([])

    def selection(self) -> List[ReviewRow]:
        return [self.rows[int(i.Text[4])] for i in _selected(self.item("ReviewTree")) if str(i.Text[4]).isdigit()]

    def selection_changed(self) -> None:
        self.fill_targets(self.selection())

    def fill_targets(self, chosen: Sequence[ReviewRow]) -> None:
        """Move targets: a noise shot's suggestions first, then every scene bin, then noise."""
        tree = self.panel.tree
        if tree is None:
            return
        options: List[tuple] = []
        for row in chosen:
            for bin_id, name, score in row.suggestions:
                if bin_id not in [o[0] for o in options]:
                    options.append((bin_id, f"{name} (suggested, {score:.2f})"))
        for scene in tree.clusters:
            if scene.cluster_id not in [o[0] for o in options]:
                options.append((scene.cluster_id, scene.name or scene.cluster_id))
        options.append((tree.noise.cluster_id if tree.noise else "noise", "Noise"))
        combo = self.item("ReviewTarget")
        combo.Clear()
        combo.AddItems([label for _, label in options])
        self.targets = [bin_id for bin_id, _ in options]

    def shots(self, in_people: bool = True) -> List[ReviewRow]:
        shots = [r for r in self.selection() if r.kind == "shot"]
        if not shots:
            raise PanelError("select one or more shots in the tree first")
        people = {p.cluster_id for p in getattr(self.panel.tree, "people", ())}
        if not in_people and any(r.bin_id in people for r in shots):
            raise PanelError("a people bin holds whoever the faces say: correct a person's faces on the review "
                             "page, or pick the shot in its scene bin")
        return shots

    def bins(self, kinds: Sequence[str] = ("scene",)) -> List[ReviewRow]:
        bins = [r for r in self.selection() if r.kind in kinds]
        if not bins:
            raise PanelError("select a bin in the tree first")
        return bins

    def done(self, message: str) -> None:
        self.item("ReviewLog").Text = message
        self.panel.say(message)
        self.panel.refresh_bins()

    def move(self) -> None:
        client = self.panel.need_client()
        shots = self.shots()
        index = int(self.item("ReviewTarget").CurrentIndex)
        if not 0 <= index < len(self.targets):
            raise PanelError("choose the bin to move the shots to")
        target = self.targets[index]
        noise = self.panel.tree.noise.cluster_id if self.panel.tree and self.panel.tree.noise else "noise"
        for row in shots:
            client.move_shot(row.row_id, "" if target == noise else target)
        self.done(f"moved {len(shots)} shot(s) to {self.item('ReviewTarget').CurrentText}")

    def reject(self) -> None:
        client = self.panel.need_client()
        rejected = 0
        for row in self.shots(in_people=False):
            scene = row.bin_id.split("/", 1)[0]  # a character sub-bin's shot leaves its scene bin
            if self.panel.tree and self.panel.tree.noise and scene == self.panel.tree.noise.cluster_id:
                continue
            client.reject_shot(row.row_id, scene)
            rejected += 1
        if not rejected:
            raise PanelError("'not this one' takes shots out of a bin; noise shots are in none")
        self.done(f"{rejected} shot(s) will not go back to their bin")

    def rename(self) -> None:
        client = self.panel.need_client()
        name = str(self.item("ReviewName").Text).strip()
        if not name:
            raise PanelError("type the new name first")
        (row,) = self.bins(("scene", "character", "person"))[:1]
        if row.kind == "person":
            client.rename_character(row.row_id, name)
        elif row.kind == "character":
            cast = row.row_id.split("/", 1)[1].split("+")
            if len(cast) != 1:
                raise PanelError("this sub-bin shows several people; rename each person on the review page")
            client.rename_character(cast[0], name)
        else:
            client.rename_cluster(row.row_id, name)
        self.done(f"renamed {row.label} to {name}")

    def split(self) -> None:
        client = self.panel.need_client()
        shots = self.shots(in_people=False)
        scenes = {r.bin_id.split("/", 1)[0] for r in shots}
        if len(scenes) != 1 or (self.panel.tree and self.panel.tree.noise
                                and scenes == {self.panel.tree.noise.cluster_id}):
            raise PanelError("select shots of one scene bin to split off")
        name = str(self.item("ReviewName").Text).strip()
        client.split_cluster(scenes.pop(), [r.row_id for r in shots], new_name=name)
        self.done(f"split {len(shots)} shot(s) into a new bin {name}".rstrip())

    def merge(self) -> None:
        client = self.panel.need_client()
        bins = self.bins()
        if len(bins) < 2:
            raise PanelError("select two or more scene bins to merge (the first one keeps its name)")
        client.merge_clusters([b.row_id for b in bins])
        self.done(f"merged {len(bins)} bins into {bins[0].label}")

    def lock(self) -> None:
        client = self.panel.need_client()
        for row in self.bins():
            client.lock_cluster(row.row_id, not row.locked)
        self.done("lock changed")

    def undo(self) -> None:
        result = self.panel.need_client().undo()
        self.done(f"undid {_event_text(result.event)}")

    def redo(self) -> None:
        result = self.panel.need_client().redo()
        self.done(f"redid {_event_text(result.event)}")

    def recluster(self) -> None:
        report = self.panel.need_client().recluster()
        self.done(f"reclustered: {report.clusters_after} bins, {report.shots_moved} shots moved, "
                  f"{report.noise_after} in noise")


def _event_text(event: Any) -> str:
    """A correction as the status line names it: "move_shot a1b2 (scene-00002 -> scene-00001)"."""
    moved = f" ({event.from_id or 'noise'} -> {event.to_id or 'noise'})" if (event.from_id or event.to_id) else ""
    return f"{event.action} {event.subject_id}{moved}"


# ------------------------------------------------------------------------------------------------
class BinsPage(Page):
    title = "Create bins"
    MODES = [("move", "Move clips into one folder per bin"), ("tag", "Tag clips: keywords, clip colour, a marker per shot")]

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.ComboBox({"ID": "BinsMode", "Weight": 1}),
                ui.Button({"ID": "BinsCreate", "Text": "Create bins", "Weight": 0}),
            ]),
            _log_box(ui, "BinsLog"),
        ])

    def bind(self) -> None:
        self.item("BinsMode").AddItems([label for _, label in self.MODES])
        self.panel.on("BinsCreate", "Clicked", lambda ev: self.create())

    def create(self) -> None:
        mode = self.MODES[int(self.item("BinsMode").CurrentIndex)][0]
        report = actions.create_bins(self.panel.resolve, self.panel.need_client(), mode, self.panel.settings.state_dir)
        self.log("BinsLog", report.lines())
        self.panel.say("bins are up to date" if not report.changed else "bins written into the Media Pool")


class TimelinesPage(Page):
    title = "Timelines"

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.bins: List[actions.BinInfo] = []

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            _bin_tree(ui, "TimelineBins"),
            ui.HGroup({"Weight": 0}, [ui.Button({"ID": "TimelinesMake", "Text": "Make a timeline of each chosen bin"})]),
            _log_box(ui, "TimelinesLog"),
        ])

    def bind(self) -> None:
        self.item("TimelineBins").SetHeaderLabels(["Bin", "Shots", "Ref"])
        self.panel.on("TimelinesMake", "Clicked", lambda ev: self.make())

    def bins_changed(self, tree: Any) -> None:
        self.bins = actions.bins_of(tree, people=True)
        _fill_bins(self.item("TimelineBins"), self.bins)

    def make(self) -> None:
        chosen = [self.bins[int(i.Text[2])] for i in _selected(self.item("TimelineBins"))]
        if not chosen:
            raise PanelError("choose one or more bins in the list first")
        reports = actions.make_timelines(self.panel.resolve, self.panel.need_client(), [b.bin_id for b in chosen],
                                         self.panel.settings.state_dir)
        lines = []
        for r in reports:
            lines.append(f"{r.bin_name}: timeline {r.timeline!r}, {r.shots} shots, {r.frames} frames"
                         if r.timeline else f"{r.bin_name}: no timeline")
            lines += [f"  not in this project: {m}" for m in r.missing]
            lines += [f"  check: {p}" for p in r.problems]
            lines += [f"  note: {n}" for n in r.notes]
        self.log("TimelinesLog", lines)
        self.panel.say(f"{sum(1 for r in reports if r.timeline)} timeline(s) made")


class ExportPage(Page):
    title = "Export"

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.bins: List[actions.BinInfo] = []
        self.formats: List[str] = []

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.Label({"Text": "Format", "Weight": 0}),
                ui.ComboBox({"ID": "ExportFormat", "Weight": 0}),
                ui.Label({"Text": "to", "Weight": 0}),
                ui.LineEdit({"ID": "ExportFolder", "Text": "", "Weight": 1}),
            ]),
            _bin_tree(ui, "ExportBins"),
            ui.HGroup({"Weight": 0}, [
                ui.CheckBox({"ID": "ExportNoise", "Text": "with the noise bucket (when no bin is chosen)",
                             "Checked": True, "Weight": 1}),
                ui.Button({"ID": "ExportStart", "Text": "Export", "Weight": 0}),
            ]),
            _log_box(ui, "ExportLog"),
        ])

    def bind(self) -> None:
        self.item("ExportBins").SetHeaderLabels(["Bin", "Shots", "Ref"])
        project = self.panel.resolve.GetProjectManager().GetCurrentProject()
        name = str(project.GetName()) if project is not None else "Resolve"
        self.item("ExportFolder").Text = str(Path.home() / "Binsight exports" / name)
        self.panel.on("ExportStart", "Clicked", lambda ev: self.export())

    def connected(self) -> None:
        self.formats = self.panel.need_client().export_formats()
        combo = self.item("ExportFormat")
        combo.Clear()
        combo.AddItems(self.formats)

    def bins_changed(self, tree: Any) -> None:
        self.bins = [b for b in actions.bins_of(tree, people=True) if b.kind != "character"]  # sub-bins go with their scene
        _fill_bins(self.item("ExportBins"), self.bins)

    def export(self) -> None:
        if not self.formats:
            raise PanelError("connect to a server first: it lists the formats")
        fmt = self.formats[int(self.item("ExportFormat").CurrentIndex)]
        chosen = [self.bins[int(i.Text[2])].bin_id for i in _selected(self.item("ExportBins"))]
        project = self.panel.resolve.GetProjectManager().GetCurrentProject()
        report = actions.export(self.panel.need_client(), fmt, chosen, str(self.item("ExportFolder").Text),
                                include_noise=bool(self.item("ExportNoise").Checked),
                                project=str(project.GetName()) if project is not None else "")
        self.log("ExportLog", [f"{len(report.files)} {fmt} file(s) in {report.folder}:"] + list(report.files))
        self.panel.say(f"exported {fmt}")


class SearchPage(Page):
    """More like the selected clip, or words (with a CLIP pack); results become a bin or a
    timeline."""

    title = "Search"

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.results: Optional[actions.SearchResults] = None

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.Button({"ID": "SearchLike", "Text": "More like the selected clip", "Weight": 0}),
                ui.LineEdit({"ID": "SearchText", "PlaceholderText": "words, e.g. a man at a kitchen table",
                             "Weight": 1, "Enabled": False}),
                ui.Button({"ID": "SearchWords", "Text": "Search words", "Weight": 0, "Enabled": False}),
            ]),
            ui.Label({"ID": "SearchModel", "Text": "", "Weight": 0, "WordWrap": True}),
            _log_box(ui, "SearchLog"),
            ui.HGroup({"Weight": 0}, [
                ui.LineEdit({"ID": "SearchName", "PlaceholderText": "name of the bin or timeline", "Weight": 1}),
                ui.Button({"ID": "SearchBin", "Text": "Make a bin", "Weight": 0, "Enabled": False}),
                ui.Button({"ID": "SearchTimeline", "Text": "Make a timeline", "Weight": 0, "Enabled": False}),
            ]),
        ])

    def bind(self) -> None:
        self.panel.on("SearchLike", "Clicked", lambda ev: self.like())
        self.panel.on("SearchWords", "Clicked", lambda ev: self.words())
        self.panel.on("SearchBin", "Clicked", lambda ev: self.to_bin())
        self.panel.on("SearchTimeline", "Clicked", lambda ev: self.to_timeline())

    def connected(self) -> None:
        available, reason = actions.text_search_state(self.panel.need_client())
        self.item("SearchText").Enabled = available
        self.item("SearchWords").Enabled = available
        self.item("SearchModel").Text = reason

    def show(self, results: actions.SearchResults) -> None:
        self.results = results
        self.log("SearchLog", results.lines())
        self.item("SearchBin").Enabled = bool(results.hits)
        self.item("SearchTimeline").Enabled = bool(results.hits)
        if not str(self.item("SearchName").Text).strip():
            self.item("SearchName").Text = results.query.replace("text: ", "")
        self.panel.say(f"{len(results.hits)} shots found")

    def like(self) -> None:
        self.show(actions.search_like_clip(self.panel.resolve, self.panel.need_client()))

    def words(self) -> None:
        self.show(actions.search_words(self.panel.need_client(), str(self.item("SearchText").Text)))

    def chosen(self) -> actions.SearchResults:
        if self.results is None or not self.results.hits:
            raise PanelError("search first")
        return self.results

    def to_bin(self) -> None:
        name = str(self.item("SearchName").Text).strip()
        bin_id = actions.results_to_bin(self.panel.need_client(), self.chosen(), name)
        self.panel.say(f"made the bin {name or bin_id} of {len(self.chosen().hits)} shots (Undo in Review)")
        self.panel.refresh_bins()

    def to_timeline(self) -> None:
        report = actions.timeline_of_shots(self.panel.resolve, str(self.item("SearchName").Text),
                                           self.chosen().shots, self.panel.settings.state_dir)
        lines = [f"timeline {report.timeline!r}: {report.shots} shots, {report.frames} frames"]
        lines += [f"  not in this project: {m}" for m in report.missing]
        lines += [f"  check: {p}" for p in report.problems]
        self.log("SearchLog", self.chosen().lines() + [""] + lines)
        self.panel.say(f"made the timeline {report.timeline}" if report.timeline else "no timeline made")


class ComparePage(Page):
    """Two clips or two timelines: the server's differences become coloured markers on B."""

    title = "Compare"

    def __init__(self, panel: "Panel") -> None:
        super().__init__(panel)
        self.versions: List[actions.Version] = []

    def layout(self, ui: Any) -> Any:
        return ui.VGroup([
            ui.HGroup({"Weight": 0}, [
                ui.Label({"Text": "A (before)", "Weight": 0}), ui.ComboBox({"ID": "CompareA", "Weight": 1}),
                ui.Label({"Text": "B (after, gets the markers)", "Weight": 0}),
                ui.ComboBox({"ID": "CompareB", "Weight": 1}),
                ui.Button({"ID": "CompareList", "Text": "Refresh", "Weight": 0}),
            ]),
            ui.HGroup({"Weight": 0}, [
                ui.Label({"Text": "Timeline renders to", "Weight": 0}),
                ui.LineEdit({"ID": "CompareFolder", "Text": "", "Weight": 1}),
                ui.Button({"ID": "CompareStart", "Text": "Compare", "Weight": 0}),
            ]),
            _log_box(ui, "CompareLog"),
        ])

    def bind(self) -> None:
        self.item("CompareFolder").Text = str(self.panel.settings.state_dir / "renders")
        self.panel.on("CompareList", "Clicked", lambda ev: self.fill())
        self.panel.on("CompareStart", "Clicked", lambda ev: self.start())
        self.panel.guard(lambda ev: self.fill())({})  # no project open: the status line says so

    def shown(self) -> None:
        self.fill()  # timelines made since (by the Timelines or Search tab, or by hand)

    def fill(self) -> None:
        self.versions = actions.versions_in(self.panel.resolve)
        labels = [f"{v.kind}: {v.name}" for v in self.versions]
        for combo_id in ("CompareA", "CompareB"):
            combo = self.item(combo_id)
            combo.Clear()
            combo.AddItems(labels)

    def start(self) -> None:
        client = self.panel.need_client()
        a_index, b_index = int(self.item("CompareA").CurrentIndex), int(self.item("CompareB").CurrentIndex)
        if not (0 <= a_index < len(self.versions) and 0 <= b_index < len(self.versions)):
            raise PanelError("choose the two versions to compare")
        a, b = self.versions[a_index], self.versions[b_index]
        if a.kind != b.kind:
            raise PanelError("compare two clips or two timelines")
        pending = actions.start_compare(self.panel.resolve, a, b, str(self.item("CompareFolder").Text))
        self.item("CompareStart").Enabled = False
        self.log("CompareLog", [f"rendering {a.name} and {b.name} ..." if a.kind == "timeline"
                                else f"comparing {a.name} and {b.name} ..."])

        def follow() -> bool:
            try:
                if not pending.ready(self.panel.resolve):
                    return False
                report = actions.finish_compare(client, pending)
            finally:
                if pending.a.job_id == "" and pending.b.job_id == "":
                    self.item("CompareStart").Enabled = True
            self.log("CompareLog", report.lines())
            self.panel.say(f"{sum(n for _, n in report.counts)} difference(s) marked on {b.name}")
            return True

        self.panel.poll(follow)


PAGES = [ConnectPage, IngestPage, ReviewPage, BinsPage, TimelinesPage, SearchPage, ComparePage, ExportPage]


# ------------------------------------------------------------------------------------------------
class Panel:
    def __init__(self, resolve: Any, fusion: Any, bmd: Any, settings: PanelSettings,
                 env: Optional[EnvRecord] = None) -> None:
        self.resolve = resolve
        self.ui = fusion.UIManager
        self.dispatcher = bmd.UIDispatcher(self.ui)
        self.settings = settings
        self.env = env
        self.client: Any = None
        self.status: Any = None   # the server's last ServerStatus
        self.tree: Any = None
        self.window: Any = None
        self.items: Dict[str, Any] = {}
        self.timer: Any = None
        self.polls: List[Callable[[], bool]] = []
        self.last_tick = 0.0
        self.pages = [page(self) for page in PAGES]

    # -- life -------------------------------------------------------------------------------------
    def run(self) -> None:
        """Show the window (the one already open, if any) and run the event loop."""
        existing = self.ui.FindWindow(WINDOW_ID)
        if existing is not None:
            existing.Show()
            existing.Raise()
            return
        self.build()
        self.window.Show()
        self.guard(lambda ev: self.pages[0].connect())({})
        self.dispatcher.RunLoop()

    def build(self) -> None:
        ui = self.ui
        layout = ui.VGroup([
            ui.TabBar({"ID": "Tabs", "Weight": 0}),
            ui.Stack({"ID": "Pages", "Weight": 1}, [page.layout(ui) for page in self.pages]),
            ui.Label({"ID": "Status", "Text": "", "Weight": 0}),
        ])
        self.window = self.dispatcher.AddWindow(
            {"ID": WINDOW_ID, "WindowTitle": "Binsight", "Geometry": [120, 120, 980, 700]}, layout)
        self.items = self.window.GetItems()
        for page in self.pages:
            self.items["Tabs"].AddTab(page.title)
        self.on(WINDOW_ID, "Close", lambda ev: self.close())
        self.on("Tabs", "CurrentChanged", lambda ev: self.show_page(int(ev.get("Index", 0))))
        for page in self.pages:
            page.bind()
        self.timer = ui.Timer({"ID": TIMER_ID, "Interval": TICK_MS, "SingleShot": False})
        setattr(self.dispatcher.On[TIMER_ID], "Timeout", self.tick)
        setattr(self.window.On[TIMER_ID], "Timeout", self.tick)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.Stop()
        self.set_client(None)
        self.dispatcher.ExitLoop()

    # -- plumbing for pages -----------------------------------------------------------------------
    def item(self, element_id: str) -> Any:
        element = self.items.get(element_id)
        return element if element is not None else self.window.Find(element_id)

    def on(self, element_id: str, event: str, handler: Callable[[Dict[str, Any]], Any]) -> None:
        setattr(self.window.On[element_id], event, self.guard(handler))

    def guard(self, handler: Callable[[Dict[str, Any]], Any]) -> Callable[[Dict[str, Any]], Any]:
        """Run a handler; a refusal or server error becomes the status line, never a dead loop."""
        def run(ev: Dict[str, Any]) -> Any:
            try:
                return handler(ev)
            except (PanelError, BinsightError, OSError, ValueError) as exc:
                self.say(f"Error: {getattr(exc, 'message', None) or exc}")
            except Exception as exc:  # keep the window alive; the Console gets the traceback
                traceback.print_exc()
                self.say(f"Error (unexpected, see the Console): {exc!r}")
            return None
        return run

    def say(self, text: str) -> None:
        self.item("Status").Text = text

    def show_page(self, index: int) -> None:
        self.item("Pages").CurrentIndex = index
        if 0 <= index < len(self.pages):
            self.pages[index].shown()

    def need_client(self) -> Any:
        if self.client is None:
            raise PanelError("connect to a Binsight server first (Connect tab)")
        return self.client

    def set_client(self, client: Any) -> None:
        if self.client is not None and self.client is not client:
            self.client.close()
        self.client = client
        if client is not None:
            for page in self.pages:
                page.connected()
            self.refresh_bins()

    def refresh_bins(self) -> None:
        self.tree = self.need_client().list_clusters(include_shots=True)
        for page in self.pages:
            page.bins_changed(self.tree)

    def binsight_command(self) -> List[str]:
        if self.env is not None and self.env.binsight:
            return list(self.env.binsight)
        found = shutil.which("binsight")
        return [found] if found else []

    def review_url(self) -> str:
        """The review page the connected server runs, else ``BINSIGHT_REVIEW_URL``."""
        served = getattr(self.status, "review_url", "") if self.status is not None else ""
        return served or self.settings.review_url

    def open_url(self, url: str) -> None:
        webbrowser.open(url)
        self.say(f"opened {url}")

    # -- the timer --------------------------------------------------------------------------------
    def poll(self, step: Callable[[], bool]) -> None:
        """Call ``step`` on every timer tick until it returns True."""
        self.polls.append(step)
        if not self.timer.IsActive:
            self.timer.Start()

    def tick(self, ev: Dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last_tick < TICK_MS / 2000.0:
            return  # the same Timeout delivered to both registrations
        self.last_tick = now
        for step in list(self.polls):
            finished = self.guard(lambda _ev, step=step: step())({})
            if finished is None or finished:
                self.polls.remove(step)
        if not self.polls:
            self.timer.Stop()

