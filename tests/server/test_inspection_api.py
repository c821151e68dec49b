"""Scored inspections on a real server (SQLite and PostgreSQL): receipt idempotent by id, the
score computed from the template version, photos checked against the declared SHA-256, and
who sees an unannounced (暗访) inspection before and after a supervisor publishes it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from helpers import ROOT, ServerProcess
from inspection_http import admin_cli, http, inspection, load_street

from server.photos.store import LocalPhotoStore

PHOTO = Path("/work/shared/samples/photos/jpg/Nikon_D70.jpg")


def test_unannounced_inspection_hidden_until_published(server: ServerProcess) -> None:
    load_street(server)
    photo = PHOTO.read_bytes()
    body = inspection("unannounced", photo)
    with (
        http(server, "demo") as author,
        http(server, "inspector2") as unit,
        http(server, "supervisor") as chief,
        http(server, "admin") as admin,
        http(server, "handler") as department,
        http(server, "handler2") as other_department,
    ):
        sent = author.post("/api/v1/inspections", json=body)
        assert sent.status_code == 201, sent.text
        # A1: 3 × 2 = 6 (cap 10): 100 − 6 = 94.
        assert sent.json() == {"outcome": "applied", "score": "94", "percent": "94.00"}
        again = author.post("/api/v1/inspections", json=body)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        changed = {**body, "object_name": "别的路"}
        assert author.post("/api/v1/inspections", json=changed).status_code == 409
        assert chief.post("/api/v1/inspections", json=inspection("open")).status_code == 403

        iid = body["id"]
        first = body["deductions"][0]["id"]
        assert (
            author.put(f"/api/v1/inspections/{iid}/photos/{first}", content=b"x" * 10).status_code
            == 400
        )
        kept = server.data_dir / "photos"
        assert not [p for p in kept.rglob("*") if p.is_file()]  # the wrong bytes: nothing kept
        assert (
            unit.put(f"/api/v1/inspections/{iid}/photos/{first}", content=photo).status_code == 404
        )
        put = author.put(f"/api/v1/inspections/{iid}/photos/{first}", content=photo)
        assert put.status_code == 200 and put.json()["outcome"] == "applied"
        assert (
            author.put(f"/api/v1/inspections/{iid}/photos/{first}", content=photo).json()["outcome"]
            == "duplicate"
        )

        # Before publication: the unit, its department and any other account neither read nor
        # list it.
        for outsider in (unit, department, other_department):
            assert outsider.get(f"/api/v1/inspections/{iid}").status_code == 404
            assert outsider.get(f"/api/v1/inspections/{iid}/photos/{first}").status_code == 404
            listed = outsider.get("/api/v1/inspections").json()
            assert iid not in [i["inspection"]["id"] for i in listed]
            feed = outsider.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
            assert iid not in [e["entity_id"] for e in feed]
        for reader in (author, chief, admin):
            assert reader.get(f"/api/v1/inspections/{iid}").status_code == 200
        chief_feed = chief.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
        assert [e["kind"] for e in chief_feed if e["entity_id"] == iid] == ["inspection"]

        assert author.post(f"/api/v1/inspections/{iid}/publish").status_code == 403
        assert admin.post(f"/api/v1/inspections/{iid}/publish").status_code == 403
        published = chief.post(f"/api/v1/inspections/{iid}/publish")
        assert published.status_code == 200 and published.json()["published_at"]
        assert chief.post(f"/api/v1/inspections/{iid}/publish").json() == published.json()

        seen = unit.get(f"/api/v1/inspections/{iid}")
        assert seen.status_code == 200 and seen.json()["score"] == "94"
        got = unit.get(f"/api/v1/inspections/{iid}/photos/{first}")
        assert got.status_code == 200 and got.content == photo
        unit_feed = unit.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
        assert [
            e["payload"]["published_at"] is not None for e in unit_feed if e["entity_id"] == iid
        ] == [True]
        # The department answering for the street sees it now; another department never does.
        assert department.get(f"/api/v1/inspections/{iid}").status_code == 200
        feed = department.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
        assert [e["kind"] for e in feed if e["entity_id"] == iid] == ["inspection"]
        assert other_department.get(f"/api/v1/inspections/{iid}").status_code == 404
        assert other_department.get(f"/api/v1/inspections/{iid}/photos/{first}").status_code == 404
        listed = other_department.get("/api/v1/inspections").json()
        assert iid not in [i["inspection"]["id"] for i in listed]
        feed = other_department.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
        assert iid not in [e["entity_id"] for e in feed]

        # A backup carries the deduction photos with the case photos.
        archive = server.data_dir.parent / f"backup-{server.backend}.tar"
        done = admin_cli(server, "backup", str(archive))
        assert done.returncode == 0, done.stderr
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert f"photos/complete/inspection-{hashlib.sha256(photo).hexdigest()}" in names

        # An open (明察) inspection is visible to the unit at once.
        open_body = inspection("open")
        assert author.post("/api/v1/inspections", json=open_body).status_code == 201
        assert unit.get(f"/api/v1/inspections/{open_body['id']}").status_code == 200
        assert department.get(f"/api/v1/inspections/{open_body['id']}").status_code == 200
        assert other_department.get(f"/api/v1/inspections/{open_body['id']}").status_code == 404


def test_bad_inspections_are_refused_with_a_reason(server: ServerProcess) -> None:
    load_street(server)
    with http(server, "demo") as author:
        nowhere = {**inspection("open"), "object_id": "S-404"}
        refused = author.post("/api/v1/inspections", json=nowhere)
        assert refused.status_code == 400 and refused.json()["detail"]["code"] == "unknown_object"
        assert "S-404" in refused.json()["detail"]["zh"]
        wrong_kind = {**inspection("open"), "object_kind": "market"}
        refused = author.post("/api/v1/inspections", json=wrong_kind)
        assert refused.status_code == 400  # the checklist is for street sections
        no_department = {**inspection("open"), "department_code": "NOPE"}
        refused = author.post("/api/v1/inspections", json=no_department)
        assert refused.json()["detail"]["code"] == "unknown_department"
        listed = {i["inspection"]["id"] for i in author.get("/api/v1/inspections").json()}
        refused_ids = {b["id"] for b in (nowhere, wrong_kind, no_department)}
        assert not listed & refused_ids  # nothing refused was kept
        unknown_item = inspection("open")
        unknown_item["deductions"][0]["item_code"] = "Z9"
        refused = author.post("/api/v1/inspections", json=unknown_item)
        assert refused.status_code == 400 and "Z9" in refused.json()["detail"]["en"]
        no_version = {**inspection("open"), "template_version": 7}
        refused = author.post("/api/v1/inspections", json=no_version)
        assert refused.status_code == 400 and "version 7" in refused.json()["detail"]["en"]
        refused = author.post("/api/v1/inspections", json={**inspection("open"), "mode": "x"})
        assert (
            refused.status_code == 400 and refused.json()["detail"]["code"] == "invalid_inspection"
        )


def test_objects_load_from_csv_and_reach_the_feed(server: ServerProcess, tmp_path: Path) -> None:
    good = tmp_path / "objects.csv"
    good.write_text(
        "kind,id,name,department_code\nstreet_section,S-002,建设路,HWC\nmarket,M-1,东门市场,\n",
        encoding="utf-8",
    )
    done = admin_cli(server, "inspection-object", "load", str(good))
    assert done.returncode == 0 and "2 new or changed" in done.stdout, done.stderr
    assert "0 new or changed" in admin_cli(server, "inspection-object", "load", str(good)).stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,id,name,department_code\nplanet,P,火星,\nmarket,,,\nmarket,M-2,西门市场,NOPE\n",
        encoding="utf-8",
    )
    refused = admin_cli(server, "inspection-object", "load", str(bad))
    assert refused.returncode == 1
    assert "line 2: kind" in refused.stderr and "line 3: id and name" in refused.stderr
    assert "line 4: no department NOPE" in refused.stderr
    with http(server, "inspector2") as reader:
        entries = reader.get("/api/v1/feed", params={"cursor": 0}).json()["entries"]
    objects = [
        (e["payload"]["id"], e["payload"]["name"], e["payload"]["department_code"])
        for e in entries
        if e["kind"] == "inspection_object" and e["payload"]["id"] in ("S-002", "M-1")
    ]
    assert sorted(objects) == [("M-1", "东门市场", None), ("S-002", "建设路", "HWC")]


def test_only_the_inspection_team_records_inspections(server: ServerProcess) -> None:
    load_street(server)
    body = inspection("open")
    with http(server, "inspector2") as outsider, http(server, "demo") as member:
        assert member.get("/api/v1/me").json()["inspection_team"] is True
        assert outsider.get("/api/v1/me").json()["inspection_team"] is False
        refused = outsider.post("/api/v1/inspections", json=body)
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "not_inspection_team"
        assert "督导检查组" in refused.json()["detail"]["zh"]

        joined = admin_cli(server, "user", "team", "inspector2", "on")
        assert joined.returncode == 0 and "in the inspection team" in joined.stdout
        assert "inspector2\tinspector\tactive" in admin_cli(server, "user", "list").stdout
        assert outsider.post("/api/v1/inspections", json=body).status_code == 201
        admin_cli(server, "user", "team", "inspector2", "off")
        # Taken out of the team: a resend of what was received before is still "duplicate".
        again = outsider.post("/api/v1/inspections", json=body)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        assert outsider.post("/api/v1/inspections", json=inspection("open")).status_code == 403

    refused = admin_cli(server, "user", "team", "supervisor", "on")
    assert refused.returncode != 0 and "only an inspector" in refused.stderr
    added = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, "user", "add", "teamlead", "--role",
         "inspector", "--inspection-team"],
        input="a long and proper passphrase 17\n", check=False, cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = admin_cli(server, "user", "list").stdout
    assert "teamlead\tinspector\tactive\tteamlead\tinspection team" in listed


def test_photos_spooled_by_a_dead_process_are_cleared(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    incoming = tmp_path / "photos" / "incoming"
    alive = str(os.getppid())  # another worker, say
    for pid in (dead.stdout.strip(), alive):
        (incoming / pid).mkdir(parents=True)
        (incoming / pid / "inspection-x").write_bytes(b"spooled")
    store = LocalPhotoStore(tmp_path / "photos")
    assert [p.name for p in incoming.iterdir()] == [alive]
    assert store.spool_dir == incoming / str(os.getpid())


def test_a_photo_declared_as_another_type_is_never_served_as_that(server: ServerProcess) -> None:
    load_street(server)
    page = b"<html><script>alert(1)</script></html>"
    body = inspection("open", page)
    for deduction in body["deductions"]:
        deduction["photo_mime"] = "text/html"
    url = f"/api/v1/inspections/{body['id']}/photos/{body['deductions'][0]['id']}"
    with http(server, "demo") as author, http(server, "supervisor") as chief:
        assert author.post("/api/v1/inspections", json=body).status_code == 201
        assert author.put(url, content=page).json()["outcome"] == "applied"
        got = chief.get(url)
    assert got.status_code == 200 and got.content == page
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-content-type-options"] == "nosniff"
