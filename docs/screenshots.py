"""Screenshots of every view of the review page at 1440x900, for the README.

Run from the project root: ``python docs/screenshots.py`` (about a minute; needs ../shared/media
and Debian's Chromium). Writes ``docs/review-<view>.png``.

The project is real: the shared footage (PySceneDetect's test clips and the Hamilton clip, faces
on with dlib) plus two generated takes of three setups with two one-off shots, ingested by a real
server and reclustered; one bin is renamed as an editor would.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from binsight.config import Config  # noqa: E402
from binsight.service.server import BinsightServer  # noqa: E402
from media_factory import SHARED_MEDIA, encode, pan  # noqa: E402
from review_browser import chromium, drag, wait_ready  # noqa: E402
from review_project import encode_takes, ingest, review_page  # noqa: E402

OUT = ROOT / "docs"


def main() -> None:
    clips = [SHARED_MEDIA / name for name in ("testvideo.mp4", "short_hamilton_clip.mp4")]
    if not all(c.is_file() for c in clips):
        raise SystemExit(f"the shared footage is missing under {SHARED_MEDIA}")
    with tempfile.TemporaryDirectory(prefix="binsight-shots-") as tmp:
        folder = Path(tmp)
        takes = encode_takes(folder)
        config = Config(data_dir=folder / "data", address="127.0.0.1:0", http_address="", log_level="WARNING")
        server = BinsightServer(config).start()
        ingest(server, [*clips, *takes])
        project = server.project
        tree = project.view().tree(include_shots=False)
        garden = next(c for c in tree.clusters if "take0" in c.name)
        project.feedback.rename_cluster(garden.cluster_id, "Kitchen, day", "editor")
        lead = project.view().character_list()[0].character_id
        project.feedback.rename_character(lead, "Lin-Manuel Miranda", "editor")
        (folder / "later").mkdir()
        later = encode(folder / "later" / "day2.mp4", [*pan(300, 600, 1, 320, 180)])
        with review_page(server) as page, chromium() as browser:
            tab = browser.new_page()

            def shoot(path: str, name: str, before=None) -> None:
                tab.goto(page.url + path)
                wait_ready(tab)
                tab.wait_for_load_state("networkidle")
                if before:
                    before()
                tab.wait_for_timeout(300)
                tab.screenshot(path=str(OUT / f"review-{name}.png"))
                print(OUT / f"review-{name}.png")

            shoot(f"scenes?bin={garden.cluster_id}", "scenes")
            shoot("noise", "noise")
            shoot("review", "review")
            shoot(f"people?person={lead}", "people")
            shoot(f"search?shot={project.view().members(garden.cluster_id)[0]}", "search")

            def merge_preview() -> None:
                bins = tab.locator("#bin-list > li.bin")
                drag(tab, bins.nth(2).locator(".grip"), tab.locator(
                    f'.bin-drop[data-bin-id="{bins.nth(1).get_attribute("data-bin-id")}"]'))
                tab.locator("#merge-dialog").wait_for(state="visible")

            shoot(f"scenes?bin={garden.cluster_id}", "merge", merge_preview)

            def move_picker() -> None:
                tab.keyboard.press("m")
                tab.locator("#picker-list li").first.wait_for()

            shoot("noise", "picker", move_picker)

            def ingesting() -> None:
                tab.fill("#ingest-path", str(later.parent))
                tab.locator("[data-action=ingest]").click()
                tab.wait_for_selector("tr.job[data-state=running][data-frames-done]")
                tab.wait_for_function("() => document.querySelector('tr.job[data-state=running] progress').value > 0.2")

            shoot("media", "media", ingesting)
        server.stop()


if __name__ == "__main__":
    main()
