"""The People view in a real browser, faces on (dlib, CC0 weights from the registry), on real
footage: ``short_hamilton_clip.mp4`` shows one lead in two shots. The editor splits a face off
into a new person, merges the two people back with the preview, undoes that, renames the lead,
and says one face is not him; the SDK sees each step."""

from __future__ import annotations

import pytest

from media_factory import shared_media
from review_browser import chromium, chromium_path, drag, wait_ready
from review_project import ingest, review_page

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (apt-get install chromium)")


def answered(tab, path: str):
    return tab.expect_response(lambda r: r.url.endswith(path) and r.request.method == "POST")


def people(client) -> dict[str, tuple[str, int]]:
    return {c.character_id: (c.name, c.face_count) for c in client.list_characters()}


def test_assign_merge_rename_and_reject_people(start_server) -> None:
    pytest.importorskip("playwright", reason="playwright is in the test extra")
    clip = shared_media("short_hamilton_clip.mp4")
    server, client = start_server()
    ingest(server, [clip])
    (lead,) = people(client)
    view = server.project.view()
    his = sorted(f for f, c in view.characters.face_character.items() if c == lead)
    nobody = sorted(set(view.catalog.faces) - set(view.characters.face_character))
    assert nobody, "the audience's faces are too poor for anyone"
    with review_page(server) as page, chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"{page.url}people?person=nobody")
        wait_ready(tab)
        assert sorted(tab.locator(".face").evaluate_all("els => els.map(e => e.dataset.faceId)")) == nobody

        # assign: a face nobody took, dragged onto "New person", becomes someone new
        face_id = nobody[0]
        with answered(tab, "/api/assign-face") as response:
            drag(tab, tab.locator(f'.face[data-face-id="{face_id}"]'), tab.locator('.person-drop[data-bin-id="new-person"]'))
        assert response.value.status == 200
        after = people(client)
        (new,) = set(after) - {lead}
        assert after[lead][1] == len(his) and after[new][1] >= 1  # (weak faces of its track may follow it)
        assert server.project.view().characters.face_character[face_id] == new
        tab.wait_for_selector(f'#people .person[data-bin-id="{new}"]')

        # merge two people: the preview lets the editor keep the lead
        before_merge = people(client)
        drag(tab, tab.locator(f'#people .person[data-bin-id="{new}"] img'),
             tab.locator(f'#people .person-drop[data-bin-id="{lead}"]'))
        dialog = tab.locator("#merge-dialog")
        dialog.wait_for(state="visible")
        dialog.locator(f'input[name=survivor][value="{lead}"]').check()
        with answered(tab, "/api/merge-people"):
            dialog.locator("[data-action=confirm-merge]").click()
        assert people(client) == {lead: (before_merge[lead][0], len(his) + before_merge[new][1])}
        with answered(tab, "/api/undo"):
            tab.keyboard.press("Control+z")
        assert people(client) == before_merge  # both back, with their faces

        # rename a person in place
        name = tab.locator(f'#people input.person-name[data-bin-id="{lead}"]')
        name.fill("Lin-Manuel Miranda")
        with answered(tab, "/api/rename-person"):
            name.press("Enter")
        assert people(client)[lead][0] == "Lin-Manuel Miranda"

        # not this person
        tab.goto(f"{page.url}people?person={lead}")
        wait_ready(tab)
        assert tab.locator(".face").count() == len(his)
        other = tab.locator(".face").first.get_attribute("data-face-id")
        with answered(tab, "/api/reject-face"):
            tab.locator(f'.face[data-face-id="{other}"] [data-action=reject-face]').click()
        assert server.project.view().characters.face_character.get(other) != lead
        actions = [(e.action, e.subject_id) for e in client.list_feedback()]
        assert actions == [("assign_face", face_id), ("merge_characters", lead), ("rename_character", lead),
                           ("reject_face", other)]
        tab.close()
