"""Review page benchmark: 10,000 shots in a real Chromium.

Run from the project root: ``python bench/review_page.py [--shots 10000]`` (a few minutes: most
of it is writing the project).

The project is generated straight into a Project's store, not ingested: ``--shots`` shot rows in
files of 100 shots, each shot with one keyframe whose vector is its setup's direction plus noise
(setups of 5-60 shots, 3% one-offs), and a real 192x108 JPEG thumbnail per setup on disk (shots
of a setup share their setup's picture file). Opening the Project loads the catalog and indexes
from those rows, and one recluster sorts the shots into bins and the noise bucket, as after a
real ingest. Media paths point nowhere, so playing is not measured here.

Measured, with Debian's Chromium headless at 1440x900 (a fresh profile):

- the page server: ``ReviewPage.start()`` time, and this process's RSS before importing the page
  and after it served the run;
- time to first screen of each view: from navigation start to every thumbnail inside the
  viewport decoded (``performance.now()`` then), cold (first visit) and warm (the median of 3
  reloads, thumbnails cached);
- per action, from the key press or mouse release to the page showing the server's new state:
  drop a noise shot onto a bin, undo it (Ctrl+Z), merge two bins (confirming the preview),
  rename a bin inline, one keyboard review step (``1``); median and worst of 5;
- Chromium's memory: the sum of PSS over its processes after the run;
- one JSON request (``/healthz``) and one page of shot cards, kept alive, median;
- peers, in the same run: the gRPC ``ListClusters`` with shots over the SDK (what a panel pulls
  to show the same bins) against the page's first screen of the Scenes view, and the SDK's
  ``GetStatus`` against the JSON request.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from binsight.app.project import Project  # noqa: E402
from binsight.config import Config  # noqa: E402
from generated_project import generate  # noqa: E402
from review_browser import chromium, drag, wait_ready  # noqa: E402

FIRST_SCREEN_JS = """() => new Promise(done => {
  const check = () => {
    const shown = [...document.images].filter(i => { const b = i.getBoundingClientRect();
      return b.bottom > 0 && b.top < innerHeight && b.right > 0 && b.left < innerWidth && b.width > 0; });
    if (document.body.dataset.ready === '1' && shown.every(i => i.complete && i.naturalWidth > 0))
      done({ms: performance.now(), images: shown.length, cards: document.querySelectorAll('.shot').length});
    else requestAnimationFrame(check);
  };
  check();
})"""


def pss_of_chromium() -> float:
    """MB: proportional set size summed over this run's Chromium processes."""
    total = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def first_screen(tab, url: str, runs: int = 3) -> tuple[dict, float]:
    tab.goto(url)
    cold = tab.evaluate(FIRST_SCREEN_JS)
    warm = []
    for _ in range(runs):
        tab.reload()
        warm.append(tab.evaluate(FIRST_SCREEN_JS)["ms"])
    return cold, statistics.median(warm)


def request_ms(port: int, path: str, runs: int = 200) -> float:
    """Median ms of a GET on one kept-alive connection (the page's own requests are of this kind)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        connection.getresponse().read()
        times.append(time.perf_counter() - t)
    connection.close()
    return statistics.median(times) * 1000


def timed(action, runs: int = 5) -> tuple[float, float]:
    """(median, worst) in ms of ``action()``, which returns its own measured seconds."""
    seconds = [action() for _ in range(runs)]
    return statistics.median(seconds) * 1000, max(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binsight-review-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        config = Config(data_dir=data_dir, address="127.0.0.1:0", http_address="",
                        log_level="WARNING").override({"faces.enabled": False})
        started = time.perf_counter()
        generate(data_dir, args.shots)
        project = Project(config)
        report = project.clusters.recluster()
        prepared = time.perf_counter() - started
        tree = project.view().tree(include_shots=False)
        biggest = max(tree.clusters, key=lambda c: c.shot_count)
        print(f"project: {report.shots_total} shots in {len(tree.clusters)} bins, {tree.noise.shot_count} in noise, "
              f"largest bin {biggest.shot_count} (generated, loaded and reclustered in {prepared:.1f} s)")

        rss_before = rss_mb()
        started = time.perf_counter()
        from binsight.web import Gate, ReviewPage  # noqa: E402 - imported here to measure its memory
        page = ReviewPage(project, "127.0.0.1:0", Gate()).start()
        start_s = time.perf_counter() - started
        rss_started = rss_mb()
        json_ms = request_ms(page.port, "/healthz")
        fragment_ms = request_ms(page.port, f"/fragments/shots?bin={biggest.cluster_id}", 50)

        rows: list[tuple[str, str]] = []
        with chromium() as browser:
            tab = browser.new_page()
            screens = {}
            example = project.view().members(biggest.cluster_id)[0]
            for name, path in [("Scenes (first bin)", "scenes"), ("Scenes (largest bin)", f"scenes?bin={biggest.cluster_id}"),
                               ("Noise", "noise"), ("Review", "review"), ("Media", "media"), ("People", "people"),
                               ("Search (by example)", f"search?shot={example}")]:
                cold, warm = first_screen(tab, page.url + path)
                screens[name] = (cold, warm)
                rows.append((f"first screen: {name}",
                             f"cold {cold['ms']:.0f} ms, warm {warm:.0f} ms ({cold['images']} thumbnails in view, "
                             f"{cold['cards']} cards loaded)"))

            # -- actions ------------------------------------------------------------------------------
            tab.goto(page.url + "scenes?bin=noise")
            wait_ready(tab)
            first_bin = tab.locator("#bin-list > li.bin").first.get_attribute("data-bin-id")

            dropped: list[str] = []

            def drop() -> float:
                card = tab.locator("#grid .shot").first
                shot_id = card.get_attribute("data-shot-id")
                dropped.append(shot_id)
                source = card.locator(".info")
                box, end = source.bounding_box(), tab.locator(f'.bin-drop[data-bin-id="{first_bin}"]').bounding_box()
                tab.mouse.move(box["x"] + 20, box["y"] + 5)
                tab.mouse.down()
                tab.mouse.move(box["x"] + 30, box["y"] + 15, steps=3)
                tab.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=10)
                tab.mouse.move(end["x"] + end["width"] / 2 + 2, end["y"] + end["height"] / 2, steps=2)
                t = time.perf_counter()
                tab.mouse.up()
                tab.wait_for_selector(f'#grid .shot[data-shot-id="{shot_id}"]', state="detached")
                return time.perf_counter() - t

            def undo() -> float:  # the newest drop first
                t = time.perf_counter()
                tab.keyboard.press("Control+z")
                tab.wait_for_selector(f'#grid .shot[data-shot-id="{dropped.pop()}"]')
                return time.perf_counter() - t

            rows.append(("drop a noise shot onto a bin (release -> card gone, counts redrawn)", "%.0f ms median, %.0f worst" % timed(drop)))
            rows.append(("undo (Ctrl+Z -> the shot is back)", "%.0f ms median, %.0f worst" % timed(undo)))

            def merge() -> float:
                bins = tab.locator("#bin-list > li.bin")
                into, other = bins.nth(1).get_attribute("data-bin-id"), bins.nth(2).get_attribute("data-bin-id")
                drag(tab, tab.locator(f'#bin-list > li.bin[data-bin-id="{other}"] .grip'),
                     tab.locator(f'.bin-drop[data-bin-id="{into}"]'))
                tab.locator("#merge-dialog [data-action=confirm-merge]").wait_for()
                tab.locator(f'#merge-dialog input[value="{into}"]').check()
                t = time.perf_counter()
                tab.locator("#merge-dialog [data-action=confirm-merge]").click()
                tab.wait_for_selector(f'#bin-list > li.bin[data-bin-id="{other}"]', state="detached")
                return time.perf_counter() - t

            rows.append(("merge two bins (confirm in the preview -> bin list redrawn)", "%.0f ms median, %.0f worst" % timed(merge)))

            tab.goto(page.url + f"scenes?bin={first_bin}")
            wait_ready(tab)
            names = iter(range(100))

            def rename() -> float:
                name = f"Bench bin {next(names)}"
                tab.keyboard.press("r")
                tab.keyboard.type(name)
                t = time.perf_counter()
                tab.keyboard.press("Enter")
                tab.wait_for_selector(f'#bin-list .bin[data-bin-id="{first_bin}"] .name:text-is("{name}")')
                tab.wait_for_function(f"() => document.querySelector('input.bin-name').defaultValue === {name!r}")
                return time.perf_counter() - t

            rows.append(("rename a bin inline (Enter -> bin list shows the name)", "%.0f ms median, %.0f worst" % timed(rename)))

            tab.goto(page.url + "review")
            wait_ready(tab)

            def review_step() -> float:
                at = tab.locator("#review-pos").inner_text()
                t = time.perf_counter()
                tab.keyboard.press("1")
                tab.wait_for_function(f"() => document.querySelector('#review-pos').textContent !== {at!r}")
                return time.perf_counter() - t

            rows.append(("keyboard review step (1 -> next shot shown)", "%.0f ms median, %.0f worst" % timed(review_step)))
            chromium_mb = pss_of_chromium()
        rss_after = rss_mb()
        page.stop()
        from binsight.service.server import BinsightServer  # noqa: E402 - the peer, over the same Project
        from binsight_client import Client  # noqa: E402

        server = BinsightServer(config, project).start()
        client = Client(server.address, timeout=120)
        peer = []
        for _ in range(3):
            t = time.perf_counter()
            client.list_clusters(include_shots=True)
            peer.append(time.perf_counter() - t)
        peer_ms = statistics.median(peer) * 1000
        status = []
        for _ in range(200):
            t = time.perf_counter()
            client.status()
            status.append(time.perf_counter() - t)
        status_ms = statistics.median(status) * 1000
        client.close()
        server.stop()

    scenes_ms = screens["Scenes (first bin)"][0]["ms"]
    print(f"page server: start {start_s * 1000:.0f} ms (import and start); process RSS {rss_before:.0f} MB before "
          f"importing the page, +{rss_started - rss_before:.0f} MB once started, +{rss_after - rss_before:.0f} MB "
          f"after serving the run")
    print(f"{'one JSON request (GET /healthz, kept alive), median of 200':<72} {json_ms:.2f} ms "
          f"(peer: SDK GetStatus {status_ms:.2f} ms, ratio {json_ms / status_ms:.2f})")
    print(f"{'one page of 40 shot cards (GET /fragments/shots), median of 50':<72} {fragment_ms:.1f} ms")
    for name, value in rows:
        print(f"{name:<72} {value}")
    print(f"{'Chromium memory after the run (sum of PSS)':<72} {chromium_mb:.0f} MB")
    print(f"{'peer: SDK ListClusters with shots (the whole tree a panel pulls)':<72} {peer_ms:.0f} ms")
    print(f"{'ratio: Scenes first screen, cold / peer':<72} {scenes_ms / peer_ms:.2f}")


if __name__ == "__main__":
    main()
