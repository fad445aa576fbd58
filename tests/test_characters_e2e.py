"""Characters on real footage through the server with the real dlib model: the same person in
two shots of different setups is one character, and the audience is not him."""

from __future__ import annotations

from media_factory import shared_media, shared_truth


def test_hamilton_same_person_across_setups(start_server) -> None:
    truth = shared_truth()["short_hamilton_clip.mp4"]
    _, client = start_server()
    job = client.ingest([str(shared_media("short_hamilton_clip.mp4"))])
    assert job.state == "succeeded", job.error
    assert client.status().face_model.model_id.startswith("dlib")
    shots = client.list_shots()
    assert [(s.start_frame, s.end_frame - 1) for s in shots] == [tuple(r) for r in truth["content_shots"]]
    assert shots[0].face_count > 0 and shots[2].face_count > 0, "faces are stored with their shots"
    lead_0, lead_2 = set(shots[0].character_ids), set(shots[2].character_ids)
    assert lead_0 & lead_2, f"shots 0 and 2 show the same person: {lead_0} vs {lead_2}"
    him = lead_0 & lead_2
    assert not him & set(shots[3].character_ids), "no audience face is judged to be him"
    characters = {c.character_id: c for c in client.list_characters()}
    (lead,) = him
    assert characters[lead].shot_count >= 2 and characters[lead].sample_face_id
    crop = client.face_image(characters[lead].sample_face_id)  # what the people views show
    assert crop.data[:2] == b"\xff\xd8" and (crop.width, crop.height) == (128, 128)

    # "not this person" on one of his faces: it leaves him at once and stays out
    faces_before = characters[lead].face_count
    client.reject_face(characters[lead].sample_face_id, lead)
    after = {c.character_id: c for c in client.list_characters()}[lead]
    assert after.face_count == faces_before - 1 and after.sample_face_id != characters[lead].sample_face_id

    # the editor names him; a re-run of character grouping keeps the name
    client.rename_character(lead, "Lin-Manuel Miranda")
    client.recluster()
    assert {c.character_id: c.name for c in client.list_characters()}[lead] == "Lin-Manuel Miranda"
    tree = client.list_clusters()
    sub_bins = [child for cluster in tree.clusters for child in cluster.children]
    assert any(lead in child.character_ids and "Lin-Manuel Miranda" in child.name for child in sub_bins) or \
        tree.noise.shot_count > 0


def test_a_person_has_a_bin_of_their_own_in_the_tree_and_every_export(start_server, tmp_path) -> None:
    """Lin-Manuel Miranda is in shots 0 and 2 (different setups): one people bin holds both,
    not the pianist's shot 1, and every format carries it, read back by independent readers."""
    import json

    import opentimelineio as otio
    import pycmx
    from lxml import etree

    _, client = start_server()
    client.ingest([str(shared_media("short_hamilton_clip.mp4"))])
    client.recluster()
    shots = client.list_shots()
    tree = client.list_clusters()
    (lead,) = set(shots[0].character_ids) & set(shots[2].character_ids)
    people = {p.cluster_id: p for p in tree.people}
    assert {s.shot_id for s in people[lead].shots} >= {shots[0].shot_id, shots[2].shot_id}
    assert shots[1].shot_id not in {s.shot_id for s in people[lead].shots}
    client.rename_character(lead, "Lin-Manuel Miranda")
    client.recluster()
    assert {p.cluster_id: p.name for p in client.list_clusters().people}[lead] == "Lin-Manuel Miranda"

    out = tmp_path / "bins"
    out.mkdir()
    for fmt in ("bins_json", "otio", "xmeml", "fcpxml", "edl", "ale"):
        for f in client.export(fmt, project="bins"):
            (out / f.name).write_bytes(f.data)
    bins = json.loads((out / "bins.json").read_text())["bins"]
    person = next(b for b in bins if b["kind"] == "character" and b["name"] == "Lin-Manuel Miranda")
    assert {s["shot_id"] for s in person["shots"]} == {s.shot_id for s in people[lead].shots}
    collection = otio.adapters.read_from_file(str(out / "bins.otio"))
    assert "Lin-Manuel Miranda" in [c.name for c in collection]
    xml = etree.parse(str(out / "bins.xml"))
    assert "Lin-Manuel Miranda" in xml.xpath("/xmeml/project/children/bin/name/text()")
    fcpxml = etree.parse(str(out / "bins.fcpxml"))
    assert "Lin-Manuel Miranda" in fcpxml.xpath("//event/@name") + fcpxml.xpath("//keyword-collection/@name")
    (edl,) = [p for p in out.glob("*.edl") if "Lin" in p.name]
    assert len(list(pycmx.parse_cmx3600(edl.open()).events)) == len(people[lead].shots)
    (ale,) = [p for p in out.glob("*.ale") if "Lin" in p.name]
    assert "Lin-Manuel Miranda" in ale.read_text()
