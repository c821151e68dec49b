"""Checklist templates published from the app (``POST /api/v1/checklists``) on a real server,
SQLite and PostgreSQL: admins only, every problem of a bad document listed at once, versions
only forward exactly as ``citypatrol-server checklist load`` (which shares the function), the
1 MiB cap, the feed entry of a new version, and ``GET /api/v1/checklists``."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import httpx
from helpers import ServerProcess
from inspection_http import TEMPLATE, admin_cli, http

ROLES = ("demo", "inspector2", "supervisor", "admin", "handler")


def template(code: str, version: int = 1) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return {**document, "code": code, "version": version}


def feed_entries(client: httpx.Client, code: str) -> list[dict[str, Any]]:
    entries = client.get("/api/v1/feed", params={"cursor": 0, "limit": 1000}).json()["entries"]
    return [e for e in entries if e["kind"] == "checklist" and e["entity_id"] == code]


def test_only_admins_publish_and_admins_and_supervisors_read(server: ServerProcess) -> None:
    code = f"roles-{uuid.uuid4().hex[:8]}"
    anonymous = httpx.post(f"{server.url}/api/v1/checklists", json=template(code), timeout=60)
    assert anonymous.status_code == 401
    assert httpx.get(f"{server.url}/api/v1/checklists", timeout=60).status_code == 401
    for name in ROLES:
        with http(server, name) as client:
            sent = client.post("/api/v1/checklists", json=template(code))
            read = client.get("/api/v1/checklists")
        if name == "admin":
            assert sent.status_code == 201, sent.text
        else:
            assert sent.status_code == 403, (name, sent.text)
            assert sent.json()["detail"]["code"] == "role_not_allowed"
        assert read.status_code == (200 if name in ("admin", "supervisor") else 403), name


def test_versions_only_go_forward_as_with_the_cli(server: ServerProcess) -> None:
    code = f"fwd-{uuid.uuid4().hex[:8]}"
    with http(server, "admin") as admin, http(server, "demo") as inspector:
        first = admin.post("/api/v1/checklists", json=template(code))
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["outcome"] == "applied" and body["version"] == 1
        assert body["document"]["total"] == "100" and body["name"] == "道路市场化保洁检查"
        # Its feed entry reaches every laptop, as the CLI's does.
        (entry,) = feed_entries(inspector, code)
        assert entry["payload"] == {"code": code, "version": 1, "document": body["document"]}

        again = admin.post("/api/v1/checklists", json=template(code))
        assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
        assert len(feed_entries(inspector, code)) == 1

        changed = template(code)
        changed["sections"][0]["items"][0]["cap"] = 8
        stale = admin.post("/api/v1/checklists", json=changed)
        assert stale.status_code == 409
        detail = stale.json()["detail"]
        assert detail["code"] == "checklist_version"
        assert (detail["latest"], detail["needs_version"]) == (1, 2)
        assert "version 2" in detail["en"] and "2" in detail["zh"]

        changed["version"] = 2
        second = admin.post("/api/v1/checklists", json=changed)
        assert second.status_code == 201, second.text
        assert second.json()["document"]["sections"][0]["items"][0]["cap"] == "8"
        # An older version is refused with the version it needs now.
        older = admin.post("/api/v1/checklists", json=template(code, 1))
        assert older.status_code == 200  # version 1 unchanged: still a no-op
        older_changed = {**changed, "version": 1}
        refused = admin.post("/api/v1/checklists", json=older_changed)
        assert refused.status_code == 409 and refused.json()["detail"]["needs_version"] == 3
        assert [e["payload"]["version"] for e in feed_entries(inspector, code)] == [1, 2]

        latest = {(r["code"], r["version"]) for r in admin.get("/api/v1/checklists").json()}
        assert (code, 2) in latest and (code, 1) not in latest
        every = admin.get("/api/v1/checklists", params={"all_versions": "true"}).json()
        assert [r["version"] for r in every if r["code"] == code] == [1, 2]

    # The CLI and the route share one rule: the CLI sees what the app published.
    path = server.data_dir.parent / f"{code}.json"
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    done = admin_cli(server, "checklist", "load", str(path))
    assert done.returncode == 0, done.stderr
    assert f"checklist {code} version 2 unchanged" in done.stdout
    path.write_text(json.dumps({**changed, "name": "改名"}, ensure_ascii=False), encoding="utf-8")
    refused_cli = admin_cli(server, "checklist", "load", str(path))
    assert refused_cli.returncode != 0 and "version 3" in refused_cli.stderr


def test_a_bad_document_is_refused_with_every_problem(server: ServerProcess) -> None:
    code = f"bad-{uuid.uuid4().hex[:8]}"
    bad = copy.deepcopy(template(code))
    bad["object_kind"] = "harbour"
    bad["sections"][0]["items"][0]["cap"] = 30  # above its 20 points
    bad["sections"][1]["items"][1]["points"] = "many"
    bad["sections"][2]["items"] = []
    with http(server, "admin") as admin, http(server, "demo") as inspector:
        refused = admin.post("/api/v1/checklists", json=bad)
        assert refused.status_code == 422
        detail = refused.json()["detail"]
        assert detail["code"] == "invalid_checklist"
        assert [p["path"] for p in detail["problems"]] == [
            "$.object_kind",
            "$.sections[0].items[0].cap",
            "$.sections[1].items[1].points",
            "$.sections[1].items[1].deduction",  # 5 above the 0 "many" counted as
            "$.sections[2].items",
        ]
        assert all(p["zh"] and p["en"] for p in detail["problems"])
        assert "$.sections[0].items[0].cap" in detail["en"]
        not_json = admin.post(
            "/api/v1/checklists", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert not_json.status_code == 422
        assert not_json.json()["detail"]["problems"][0]["path"] == "$"
        assert feed_entries(inspector, code) == []
        listed = admin.get("/api/v1/checklists", params={"all_versions": "true"}).json()
        assert code not in {r["code"] for r in listed}


def test_an_oversize_body_is_refused(server: ServerProcess) -> None:
    code = f"big-{uuid.uuid4().hex[:8]}"
    big = template(code)
    big["padding"] = "x" * (1 << 20)  # valid JSON, but no checklist is a megabyte
    with http(server, "admin") as admin:
        refused = admin.post("/api/v1/checklists", json=big)
        assert refused.status_code == 413
        assert refused.json()["detail"]["code"] == "checklist_too_large"

        def chunks() -> Any:  # chunked: no Content-Length to refuse it by
            body = json.dumps(big).encode()
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        chunked = admin.post(
            "/api/v1/checklists", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        # Just under the cap is read (and then judged as a template: it is one).
        fits = template(code)
        fits["padding"] = "x" * ((1 << 20) - len(json.dumps(fits)) - 20)
        assert admin.post("/api/v1/checklists", json=fits).status_code == 201


def test_a_yaml_file_loaded_by_the_cli_is_the_document_the_route_takes(
    server: ServerProcess,
) -> None:
    from app.domain.checklists import load_template, template_yaml

    code = f"yaml-{uuid.uuid4().hex[:8]}"
    path = server.data_dir.parent / f"{code}.yaml"
    path.write_text(
        template_yaml(load_template(json.dumps(template(code), ensure_ascii=False))),
        encoding="utf-8",
    )
    done = admin_cli(server, "checklist", "load", str(path))
    assert done.returncode == 0, done.stderr
    assert f"checklist {code} version 1 loaded" in done.stdout
    with http(server, "admin") as admin:
        same = admin.post("/api/v1/checklists", json=template(code))
        assert same.status_code == 200 and same.json()["outcome"] == "unchanged"
