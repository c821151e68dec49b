"""Patrol tracks on the server: the header and point batches, idempotency, resumption, the
supervisors' feed, and who may see what (inspectors their own, supervisors and admins all)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from helpers import ServerProcess

from app.domain.ids import new_id
from app.domain.tracks import WirePoint, batch_id, decode_points, feed_points, wire_point

START = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def login(server: ServerProcess, username: str) -> httpx.Client:
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": username}
    ).json()["token"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


@pytest.fixture(scope="module")
def clients(server: ServerProcess) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(server, name) for name in ("demo", "inspector2", "supervisor", "admin")}
    yield made
    for client in made.values():
        client.close()


def points(n: int) -> list[WirePoint]:
    return [
        wire_point(28.30 + i * 1e-5, 117.21 + i * 1e-5, START + timedelta(seconds=5 * i), 4.0, 0)
        for i in range(n)
    ]


def header(n: int) -> dict[str, object]:
    return {
        "started_at": START.isoformat(),
        "ended_at": (START + timedelta(seconds=5 * n)).isoformat(),
        "distance_m": 12.5,
        "point_count": n,
    }


def send(http: httpx.Client, track_id: str, pts: list[WirePoint], first: int) -> httpx.Response:
    return http.post(
        f"/api/v1/tracks/{track_id}/points",
        json={
            "batch_id": batch_id(track_id, first, len(pts)),
            "first": first,
            "points": [p.to_json() for p in pts],
        },
    )


def test_batches_resent_and_overlapping_store_each_point_once(
    clients: dict[str, httpx.Client],
) -> None:
    demo = clients["demo"]
    track_id, pts = new_id(), points(30)
    first = demo.put(f"/api/v1/tracks/{track_id}", json=header(30))
    assert first.status_code == 200 and first.json()["received"] == 0
    again = demo.put(f"/api/v1/tracks/{track_id}", json=header(30))
    assert again.status_code == 200  # the same header twice is harmless
    assert send(demo, track_id, pts[:10], 0).json()["received"] == 10
    assert send(demo, track_id, pts[:10], 0).json()["received"] == 10  # a resend
    # A batch overlapping what arrived (its answer was lost; the client resumed differently).
    assert send(demo, track_id, pts[5:20], 5).json()["received"] == 20
    gap = send(demo, track_id, pts[25:30], 25)
    assert gap.status_code == 409 and gap.json()["detail"]["code"] == "track_gap"
    last = send(demo, track_id, pts[20:30], 20).json()
    assert last["received"] == 30 and last["complete"]
    detail = demo.get(f"/api/v1/tracks/{track_id}").json()
    assert decode_points(detail["points"]) == pts  # each point once, in order, exact


def test_a_batch_id_with_other_points_and_bad_input_are_refused_clearly(
    clients: dict[str, httpx.Client],
) -> None:
    demo = clients["demo"]
    track_id, pts = new_id(), points(10)
    demo.put(f"/api/v1/tracks/{track_id}", json=header(10))
    assert send(demo, track_id, pts[:5], 0).status_code == 200
    changed = demo.post(
        f"/api/v1/tracks/{track_id}/points",
        json={
            "batch_id": batch_id(track_id, 0, 5),
            "first": 0,
            "points": [p.to_json() for p in points(6)[1:6]],
        },
    )
    assert changed.status_code == 409 and changed.json()["detail"]["code"] == "batch_changed"
    too_many = send(demo, track_id, points(12)[5:12], 5)
    assert too_many.status_code == 409
    assert too_many.json()["detail"]["code"] == "too_many_points"
    bad = demo.post(
        f"/api/v1/tracks/{track_id}/points",
        json={"batch_id": new_id(), "first": 5, "points": [[1, 2, 3]]},
    )
    assert bad.status_code == 422 and bad.json()["detail"]["zh"]
    off_earth = demo.post(
        f"/api/v1/tracks/{track_id}/points",
        json={"batch_id": new_id(), "first": 5, "points": [[95_000_000, 0, 0, None, 0]]},
    )
    assert off_earth.status_code == 422
    changed_header = demo.put(f"/api/v1/tracks/{track_id}", json=header(11))
    assert changed_header.status_code == 409
    # Nothing was lost by the refusals: the five points are still there, and only they.
    assert demo.get(f"/api/v1/tracks/{track_id}").json()["received"] == 5


def test_roles_inspectors_see_their_own_supervisors_and_admins_all(
    clients: dict[str, httpx.Client], server: ServerProcess
) -> None:
    demo, other = clients["demo"], clients["inspector2"]
    track_id, pts = new_id(), points(4)
    demo.put(f"/api/v1/tracks/{track_id}", json=header(4))
    send(demo, track_id, pts, 0)
    theirs = new_id()
    other.put(f"/api/v1/tracks/{theirs}", json=header(0))

    # Another inspector: not found, whatever the route.
    assert other.get(f"/api/v1/tracks/{track_id}").status_code == 404
    assert other.put(f"/api/v1/tracks/{track_id}", json=header(4)).status_code == 404
    assert send(other, track_id, pts, 0).status_code == 404
    assert track_id not in {t["id"] for t in other.get("/api/v1/tracks").json()}
    assert {t["id"] for t in demo.get("/api/v1/tracks").json()} >= {track_id}
    assert theirs not in {t["id"] for t in demo.get("/api/v1/tracks").json()}
    # Supervisors and admins read every track and send none.
    for name in ("supervisor", "admin"):
        office = clients[name]
        listed = {t["id"] for t in office.get("/api/v1/tracks").json()}
        assert {track_id, theirs} <= listed
        assert office.get(f"/api/v1/tracks/{track_id}").status_code == 200
        assert office.put(f"/api/v1/tracks/{new_id()}", json=header(1)).status_code == 403
        assert send(office, track_id, pts, 0).status_code == 403
    mine = clients["supervisor"].get(
        "/api/v1/tracks", params={"author_id": demo.get("/api/v1/me").json()["id"]}
    )
    assert theirs not in {t["id"] for t in mine.json()}
    # Anonymous: 401 on every track route.
    anon = httpx.Client(base_url=server.url, timeout=30)
    assert anon.get("/api/v1/tracks").status_code == 401
    assert anon.get(f"/api/v1/tracks/{track_id}").status_code == 401
    assert anon.put(f"/api/v1/tracks/{track_id}", json=header(4)).status_code == 401
    assert send(anon, track_id, pts, 0).status_code == 401


def test_a_complete_track_reaches_the_supervisors_feed_once(
    clients: dict[str, httpx.Client],
) -> None:
    demo, chief = clients["demo"], clients["supervisor"]
    track_id, pts = new_id(), points(7)
    demo.put(f"/api/v1/tracks/{track_id}", json=header(7))
    send(demo, track_id, pts[:3], 0)

    def entries(client: httpx.Client) -> list[dict[str, object]]:
        page = client.get("/api/v1/feed", params={"limit": 1000}).json()
        return [e for e in page["entries"] if e["entity_id"] == track_id]

    assert entries(chief) == []  # not before it is whole
    send(demo, track_id, pts[3:], 3)
    send(demo, track_id, pts[3:], 3)  # a resend of the last batch does not announce it again
    found = entries(chief)
    assert len(found) == 1 and found[0]["kind"] == "track"
    payload = found[0]["payload"]
    assert isinstance(payload, dict)
    assert payload["points"]["v"] == 2  # packed (app.domain.tracks.pack_points)
    assert feed_points(payload["points"]) == pts
    assert payload["author_name"] and payload["point_count"] == 7
    assert entries(clients["inspector2"]) == []  # other inspectors do not get it
