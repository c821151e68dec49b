"""Fuzzing the API from its OpenAPI document (schemathesis), and hand-written hostile inputs.

Everything runs against a real server process (the ``server`` fixture: SQLite, then PostgreSQL).

``test_every_operation_conforms_to_its_schema`` — schemathesis generates requests for every
operation in the document (its coverage phase: boundary and invalid values; then its fuzzing
phase: valid and invalid data), sent anonymously and as an inspector, a supervisor and an
administrator. Checked: no 5xx (``not_a_server_error``), every documented response matches its
JSON schema (``response_schema_conformance``) and media type (``content_type_conformance``).
Status codes are deliberately *not* checked against the document (``status_code_conformance``
is left out): the API answers 401/403/404/409/412/429 without documenting them, legitimately.
Half of the generated ``case_id`` values are replaced by a real case, so actions and reads get
past "no such case". tus requests carry ``Tus-Resumable: 1.0.0`` so they get past the version
gate. Nothing is excluded (``EXCLUDED_PATHS``): the tus routes of server/photos/ are fuzzed too.

``test_hostile_*`` — malformed JSON, wrong types, unknown categories, out-of-range positions,
1 MB strings, SQL injection and path traversal strings, Chinese and emoji text, NUL bytes, lone
surrogates, out-of-range dates and integers, on the push and actions endpoints (and the reads
next to them). Each is answered 4xx with a message, or a per-change ``rejected`` result with a
reason, or — when valid — stored verbatim; never a 5xx, never a partly stored batch (checked
by reading back), and documented error responses match the document.

Reproducible and bounded: Hypothesis runs derandomized, without an example database, with a
fixed schemathesis seed and at most ``MAX_EXAMPLES`` generated examples per operation and
identity; no shrinking (a failure reports the example that failed).
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from helpers import ServerProcess, change, snapshot
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from app.domain.ids import new_id

MAX_EXAMPLES = 50
FUZZ_SEED = 4707
#: Path regexes left out of the fuzzing, with the reason. Empty: every route is fuzzed.
EXCLUDED_PATHS: dict[str, str] = {}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
LOGOUT = "/api/v1/auth/logout"
TUS_VERSION = "1.0.0"
ROLES = {"anonymous": None, "inspector": "demo", "supervisor": "supervisor", "admin": "admin"}


# --- the document ---------------------------------------------------------------------------


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, built in-process (building it touches no database).

    pytest needs the schema while it collects (one test per operation), before any server
    runs; schemathesis's lazy ``from_fixture`` loader would wait for a fixture, but it breaks
    on pytest 9 (``'Function' object has no attribute '_nodeid'``).
    ``test_the_served_document_is_the_one_fuzzed`` checks the server serves this very document.
    """
    from server.api import create_app
    from server.settings import Settings

    with tempfile.TemporaryDirectory(prefix="citypatrol-openapi-") as folder:
        return create_app(Settings(data_dir=Path(folder), database_url="sqlite://")).openapi()


OPENAPI = _openapi_document()
schema: schemathesis.BaseSchema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict(
        {
            "seed": FUZZ_SEED,
            "request-timeout": 60,
            # The identity under test sends its own token; generated ones would only be 401s.
            "generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)
for _pattern in EXCLUDED_PATHS:
    schema = schema.exclude(path_regex=_pattern)


# --- identities and fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """As tests/server/conftest.py's, believing X-Forwarded-For from 127.0.0.1 (the fuzzer's
    own addresses, see ``identities``): nothing is trusted unless the server is told."""
    data_dir = tmp_path_factory.mktemp("server") / "data"
    extra = ["--demo", "--trusted-proxy", "127.0.0.1"]
    if request.param == "postgresql":
        extra += ["--database-url", request.getfixturevalue("postgres").create_database()]
    process = ServerProcess(data_dir, *extra)
    yield process
    process.stop()


def login(server: ServerProcess, username: str) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": username},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@dataclass(frozen=True, slots=True)
class Identity:
    role: str
    username: str | None
    headers: dict[str, str]


@pytest.fixture(scope="module")
def identities(server: ServerProcess) -> list[Identity]:
    """Anonymous, then one signed-in user per role: every generated request is sent as each."""
    found = []
    for number, (role, username) in enumerate(ROLES.items(), start=1):
        # Failed sign-ins are throttled per client address: the fuzzer's address (forwarded,
        # and trusted from 127.0.0.1: --trusted-proxy above) is its own, so it never blocks
        # the tests.
        # X-Fuzz-Identity only labels the request: it shows in a failure's curl command.
        headers = {"X-Forwarded-For": f"198.51.100.{number}", "X-Fuzz-Identity": role}
        if username is not None:
            headers["Authorization"] = f"Bearer {login(server, username)}"
        found.append(Identity(role, username, headers))
    return found


class Api:
    """A signed-in user of the API (or anonymous: ``username`` None)."""

    def __init__(self, server: ServerProcess, username: str | None) -> None:
        headers = {} if username is None else {"Authorization": f"Bearer {login(server, username)}"}
        # No keep-alive: after a 500 the server drops the connection without saying so, and
        # one server error must not fail the next test with "connection reset".
        self.http = httpx.Client(
            base_url=server.url,
            headers=headers,
            timeout=60,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post("/api/v1/cases/push", json={"changes": list(changes)})
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def raw(self, method: str, url: str, body: bytes | str, **kwargs: Any) -> httpx.Response:
        """Send ``body`` as it is, labelled JSON (nothing re-encodes or checks it here)."""
        content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return self.http.request(method, url, content=content, headers=headers, **kwargs)

    def case(self, case_id: str) -> httpx.Response:
        return self.http.get(f"/api/v1/cases/{case_id}")


@pytest.fixture(scope="module")
def demo(server: ServerProcess) -> Api:
    return Api(server, "demo")


@pytest.fixture(scope="module")
def supervisor(server: ServerProcess) -> Api:
    return Api(server, "supervisor")


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> Api:
    return Api(server, "admin")


def submitted_case(demo: Api, **fields: Any) -> str:
    case_id = new_id()
    results = demo.push(
        change("create", snapshot(case_id, **fields)), change("submit", snapshot(case_id, **fields))
    )
    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    return case_id


@pytest.fixture(scope="module")
def real_case(demo: Api) -> str:
    return submitted_case(demo)


# --- schemathesis ---------------------------------------------------------------------------


def test_the_served_document_is_the_one_fuzzed(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/openapi.json").json() == OPENAPI


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_every_operation_conforms_to_its_schema(
    case: schemathesis.Case,  # type: ignore[type-arg]
    server: ServerProcess,
    identities: list[Identity],
    real_case: str,
) -> None:
    generated = (case.path_parameters or {}).get("case_id")
    if isinstance(generated, str) and len(generated) % 2 == 0:
        case.path_parameters = {**(case.path_parameters or {}), "case_id": real_case}
    for identity in identities:
        headers = dict(identity.headers)
        if case.operation.path == LOGOUT and identity.username is not None:
            # Logging out revokes the token it is sent with: use a fresh one.
            headers["Authorization"] = f"Bearer {login(server, identity.username)}"
        if any(p.name.lower() == "tus-resumable" for p in case.operation.headers):
            headers["Tus-Resumable"] = TUS_VERSION
        case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)


# --- hostile inputs: helpers ----------------------------------------------------------------

PUSH = "/api/v1/cases/push"
SQL_INJECTIONS = (
    "'; DROP TABLE cases; --",
    '" OR 1=1 --',
    "Robert'); DROP TABLE users;--",
    "1' UNION SELECT password_hash FROM users --",
)
TRAVERSALS = ("../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2fetc%2fpasswd")
#: Chinese, emoji (with ZWJ sequences, flags, skin tones), CJK extension B, combining marks
#: (NFD, must not be normalised), zero-width and right-to-left characters, full-width forms.
UNICODE_TEXT = (
    "井盖缺失🚧，行人绕行👷‍♀️；𠀀𪚥（扩展B区）\u200b零宽 🇨🇳 👍🏽 "
    "e\u0301 مرحبا ＡＢＣ１２３ 〇〡 ♨️ \u202eRTL\u202c 末尾空格 "
)


def conforms(response: httpx.Response, path: str, method: str) -> None:
    """The response matches what the OpenAPI document says for its status (if it says)."""
    schema[path][method].validate_response(response)


def assert_refused(response: httpx.Response, *, field: str | None = None) -> None:
    """A 4xx with a message (and, for a validation error, naming ``field``)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    detail = response.json()["detail"]
    assert detail["code"] and detail["zh"] and detail["en"], response.text  # the one shape
    if field is not None and detail.get("errors"):
        locations = [".".join(str(p) for p in error["loc"]) for error in detail["errors"]]
        assert any(field in loc for loc in locations), locations


def assert_nothing_stored(api: Api, *case_ids: str) -> None:
    for case_id in case_ids:
        assert api.case(case_id).status_code == 404, f"{case_id} was stored"


def assert_stored_verbatim(api: Api, case_id: str, fields: dict[str, Any]) -> None:
    response = api.case(case_id)
    assert response.status_code == 200, response.text
    stored = response.json()["case"]
    for key, value in fields.items():
        assert stored[key] == value, (key, stored[key], value)


def assert_applied_or_rejected(
    api: Api, response: httpx.Response, case_id: str, fields: dict[str, Any]
) -> None:
    """One pushed create: refused (4xx, or ``rejected`` with a reason) and not stored, or
    applied and stored exactly as sent. Never a 5xx."""
    assert response.status_code < 500, (response.status_code, response.text[:2000])
    if response.status_code != 200:
        assert_refused(response)
        assert_nothing_stored(api, case_id)
        return
    (result,) = response.json()["results"]
    if result["outcome"] == "applied":
        assert_stored_verbatim(api, case_id, fields)
    else:
        assert result["outcome"] == "rejected", result
        assert result["reason"]["en"] and result["reason"]["zh"], result
        assert_nothing_stored(api, case_id)


def push_one(api: Api, case: dict[str, Any], **extra: Any) -> httpx.Response:
    return api.http.post(PUSH, json={"changes": [change("create", case, **extra)]})


# --- hostile inputs: push -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json at all",
        b"null",
        b"[]",
        b'{"changes": [',
        b'{"changes": [}',
        b"\xff\xfe\x00\x00 not utf-8",
        b'{"changes": []} trailing',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"changes": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    ],
    ids=lambda b: repr(b[:24]),
)
def test_hostile_malformed_json_is_refused(
    demo: Api, supervisor: Api, real_case: str, body: bytes
) -> None:
    assert_refused(demo.raw("POST", PUSH, body))
    before = supervisor.case(real_case).json()
    assert_refused(supervisor.raw("POST", act_path(real_case), body))
    assert supervisor.case(real_case).json() == before


def test_hostile_wrong_content_type_is_refused(demo: Api) -> None:
    case_id = new_id()
    body = json.dumps({"changes": [change("create", snapshot(case_id))]})
    response = demo.http.post(PUSH, content=body, headers={"Content-Type": "text/plain"})
    assert_refused(response)
    response = demo.http.post(PUSH, data={"changes": "x"})  # a form
    assert_refused(response)
    assert_nothing_stored(demo, case_id)


WRONG_TYPES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("change_id", lambda c: c.update(change_id=12345)),
    ("change_id", lambda c: c.update(change_id="not-a-uuid")),
    ("op", lambda c: c.update(op=None)),
    ("op", lambda c: c.update(op="explode")),
    ("case", lambda c: c.update(case="the whole case as text")),
    ("case", lambda c: c.update(case=[])),
    ("base_revision", lambda c: c.update(base_revision=-1)),
    ("base_revision", lambda c: c.update(base_revision="latest")),
    ("opinion", lambda c: c.update(opinion=["a", "list"])),
    ("evil", lambda c: c.update(evil="unknown fields are refused")),
    ("lat", lambda c: c["case"].update(lat="north")),
    ("lat", lambda c: c["case"].update(lat=[32.06])),
    ("lon", lambda c: c["case"].update(lon={"degrees": 118})),
    ("urgency", lambda c: c["case"].update(urgency=5)),
    ("urgency", lambda c: c["case"].update(urgency="apocalyptic")),
    ("description", lambda c: c["case"].update(description=123)),
    ("description", lambda c: c["case"].update(description=None)),
    ("status", lambda c: c["case"].update(status="closed-by-magic")),
    ("created_at", lambda c: c["case"].update(created_at="yesterday")),
    ("created_at", lambda c: c["case"].update(created_at="2025-01-01T08:00:00")),  # no zone
    ("created_at", lambda c: c["case"].pop("created_at")),
    ("observed_at", lambda c: c["case"].update(observed_at=1_700_000_000_000_000_000)),
    ("revision", lambda c: c["case"].update(revision=0)),
    ("category_code", lambda c: c["case"].update(category_code="060100")),
    ("category_code", lambda c: c["case"].update(category_code=6010)),
    ("id", lambda c: c["case"].update(id="../../etc/passwd")),
    ("id", lambda c: c["case"].update(id="'; DROP TABLE cases; --")),
    ("id", lambda c: c["case"].update(id=new_id().upper())),
    ("id", lambda c: c["case"].update(id=new_id() + "\x00")),
    ("position_source", lambda c: c["case"].update(position_source="x" * 21)),
    ("evil", lambda c: c["case"].update(evil=True)),
]


@pytest.mark.parametrize(("field", "mutate"), WRONG_TYPES, ids=[f for f, _ in WRONG_TYPES])
def test_hostile_wrong_types_refuse_the_whole_batch(
    demo: Api, field: str, mutate: Callable[[dict[str, Any]], None]
) -> None:
    good_id, bad_id = new_id(), new_id()
    bad = change("create", snapshot(bad_id))
    mutate(bad)
    response = demo.http.post(PUSH, json={"changes": [change("create", snapshot(good_id)), bad]})
    assert response.status_code == 422, response.text
    assert_refused(response, field=field)
    conforms(response, PUSH, "POST")
    assert_nothing_stored(demo, good_id, bad_id)


def test_hostile_batch_shapes_are_refused(demo: Api) -> None:
    bodies: list[dict[str, Any]] = [
        {"changes": {}},
        {"changes": "all"},
        {"changes": None},
        {},
        {"change": []},
    ]
    for body in bodies:
        response = demo.http.post(PUSH, json=body)
        assert_refused(response, field="change")
        conforms(response, PUSH, "POST")
    ids = [new_id() for _ in range(501)]
    response = demo.http.post(PUSH, json={"changes": [change("create", snapshot(i)) for i in ids]})
    assert_refused(response, field="changes")
    assert_nothing_stored(demo, ids[0], ids[-1])


@pytest.mark.parametrize("code", ["99999", "abcde", "ＡＢＣ", "';--", "0601", " 6010", "\x00"])
def test_hostile_unknown_categories_are_rejected_with_a_reason(demo: Api, code: str) -> None:
    case_id = new_id()
    ok_id = new_id()
    response = demo.http.post(
        PUSH,
        json={
            "changes": [
                change("create", snapshot(case_id, category_code=code)),
                change("create", snapshot(ok_id)),
            ]
        },
    )
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_refused(response)
        assert_nothing_stored(demo, case_id, ok_id)
        return
    bad, ok = response.json()["results"]
    assert bad["outcome"] == "rejected", bad
    assert code in bad["reason"]["en"] and code in bad["reason"]["zh"], bad
    assert_nothing_stored(demo, case_id)
    # Each change has its own savepoint: the valid one next to it is applied, and whole.
    assert ok["outcome"] == "applied", ok
    assert_stored_verbatim(demo, ok_id, {"description": "人民路暴露垃圾"})


POSITIONS: list[dict[str, Any]] = [
    {"lat": 90.0000001},
    {"lat": -90.5},
    {"lon": 180.000001},
    {"lon": -181.0},
    {"lat": 32.06, "lon": None},
    {"lat": None, "lon": 118.79},
    {"lat": 1e308, "lon": -1e308},
    {"accuracy_m": -1.0},
]


@pytest.mark.parametrize("position", POSITIONS, ids=[json.dumps(p) for p in POSITIONS])
def test_hostile_positions_out_of_range_are_rejected(demo: Api, position: dict[str, Any]) -> None:
    case_id = new_id()
    (result,) = demo.push(change("create", snapshot(case_id, **position)))
    assert result["outcome"] == "rejected", result
    assert any(w in result["reason"]["en"] for w in ("Latitude", "Longitude", "accuracy")), result
    assert_nothing_stored(demo, case_id)


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("lat", "NaN"),
        ("lon", "Infinity"),
        ("lat", "-Infinity"),
        ("accuracy_m", "NaN"),
        ("lat", "1e400"),  # a float literal that overflows to infinity
        ("lat", "9" * 400),  # an integer too big for any float
    ],
)
def test_hostile_non_finite_numbers_are_refused(demo: Api, field: str, literal: str) -> None:
    """Python's JSON parser takes NaN/Infinity literals; they must never reach the database."""
    case_id = new_id()
    body = json.dumps({"changes": [change("create", snapshot(case_id, **{field: 1.5}))]})
    body = body.replace(f'"{field}": 1.5', f'"{field}": {literal}')
    response = demo.raw("POST", PUSH, body)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code == 200:
        (result,) = response.json()["results"]
        assert result["outcome"] == "rejected", result
    else:
        assert_refused(response)
    assert_nothing_stored(demo, case_id)


def test_hostile_exact_boundaries_are_accepted_and_stored_exactly(demo: Api) -> None:
    for lat, lon in ((90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (32.012345678901234, -0.0)):
        case_id = new_id()
        fields = {"lat": lat, "lon": lon, "accuracy_m": 0.0}
        (result,) = demo.push(change("create", snapshot(case_id, **fields)))
        assert result["outcome"] == "applied", result
        assert_stored_verbatim(demo, case_id, fields)


@pytest.mark.parametrize("field", ["description", "address", "opinion"])
def test_hostile_megabyte_strings_are_refused(demo: Api, field: str) -> None:
    case_id = new_id()
    # 300,000 characters: 1.8 MB as httpx's escaped JSON, under the 2 MiB body limit (a
    # larger body is refused whole with 413: tests/server/test_limits.py)
    huge = "长" * 300_000
    if field == "opinion":
        body = change("create", snapshot(case_id), opinion=huge)
    else:
        body = change("create", snapshot(case_id, **{field: huge}))
    response = demo.http.post(PUSH, json={"changes": [body]})
    assert response.status_code == 422, response.text[:500]
    assert_refused(response, field=field)
    assert_nothing_stored(demo, case_id)


def test_hostile_refusals_do_not_echo_megabytes(demo: Api, supervisor: Api, real_case: str) -> None:
    """A refusal names the field and the rule; it does not send the megabyte back."""
    huge = "长" * 300_000  # 1.8 MB of escaped JSON, under the body limit
    response = demo.http.post(
        PUSH, json={"changes": [change("create", snapshot(new_id(), description=huge))]}
    )
    assert response.status_code == 422
    assert len(response.content) < 100_000, f"a {len(response.content)}-byte refusal"
    response = supervisor.http.post(act_path(real_case), json={"action": "return", "opinion": huge})
    assert response.status_code == 422
    assert len(response.content) < 100_000, f"a {len(response.content)}-byte refusal"


def test_hostile_longest_valid_strings_are_stored_whole(demo: Api) -> None:
    case_id = new_id()
    fields = {"description": "🚧" * 2000, "address": "路" * 500}
    (result,) = demo.push(change("create", snapshot(case_id, **fields)))
    assert result["outcome"] == "applied", result
    assert_stored_verbatim(demo, case_id, fields)


TEXTS = [
    *SQL_INJECTIONS,
    *TRAVERSALS,
    UNICODE_TEXT,
    "<script>alert('x')</script>",
    "{{7*7}} ${7*7} %s%n",
    "line1\r\nline2\ttab\x0b\x0c\x1b[31m",
    "\ufeffBOM and \ufffd replacement and \uffff non-character",
]


@pytest.mark.parametrize("text", TEXTS, ids=[repr(t[:20]) for t in TEXTS])
def test_hostile_text_is_stored_verbatim(demo: Api, supervisor: Api, text: str) -> None:
    case_id = new_id()
    fields = {"description": text, "address": text[:500]}
    results = demo.push(
        change("create", snapshot(case_id, **fields)),
        change("submit", snapshot(case_id, **fields), 1, opinion=text),
    )
    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    assert_stored_verbatim(demo, case_id, fields)
    assert_stored_verbatim(supervisor, case_id, fields)
    detail = supervisor.case(case_id).json()
    assert [s["opinion"] for s in detail["steps"]] == [text]
    # The server still answers (no table was dropped, no query was rewritten).
    assert supervisor.http.get("/api/v1/cases", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "before\x00after"},
        {"address": "\x00"},
        {"position_source": "gps\x00"},
        {"description": "\x00" * 2000},
    ],
    ids=["description", "address", "position_source", "description-all-nul"],
)
def test_hostile_nul_bytes_are_refused_or_kept_never_a_server_error(
    demo: Api, fields: dict[str, Any]
) -> None:
    """PostgreSQL text cannot hold NUL; SQLite can. Either way: a refusal or the exact text."""
    case_id = new_id()
    response = push_one(demo, snapshot(case_id, **fields))
    assert_applied_or_rejected(demo, response, case_id, fields)


def test_hostile_nul_byte_in_a_batch_never_half_applies(demo: Api) -> None:
    before, nul, after = new_id(), new_id(), new_id()
    response = demo.http.post(
        PUSH,
        json={
            "changes": [
                change("create", snapshot(before)),
                change("create", snapshot(nul, description="a\x00b")),
                change("create", snapshot(after)),
            ]
        },
    )
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code != 200:
        assert_refused(response)
        assert_nothing_stored(demo, before, nul, after)
        return
    outcomes = {r["case_id"]: r["outcome"] for r in response.json()["results"]}
    assert outcomes[before] == outcomes[after] == "applied", outcomes
    for case_id, outcome in outcomes.items():
        assert (demo.case(case_id).status_code == 200) == (outcome == "applied"), outcomes


@pytest.mark.parametrize("literal", ['"\\ud800"', '"a\\udfffb"', '"\\ud83d"'])
def test_hostile_lone_surrogates_are_refused(demo: Api, literal: str) -> None:
    """JSON can spell a lone UTF-16 surrogate; no database can store it as UTF-8 text."""
    case_id = new_id()
    body = json.dumps({"changes": [change("create", snapshot(case_id, description="X"))]})
    response = demo.raw(
        "POST", PUSH, body.replace('"description": "X"', f'"description": {literal}')
    )
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code == 200:
        (result,) = response.json()["results"]
        assert result["outcome"] == "rejected", result
    else:
        assert_refused(response)
    assert_nothing_stored(demo, case_id)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", "0001-01-01T00:00:00+14:00"),  # before year 1 in UTC
        ("created_at", "9999-12-31T23:59:59-14:00"),  # after year 9999 in UTC
        ("observed_at", "0001-01-01T00:00:00+14:00"),
        ("submitted_at", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_hostile_dates_out_of_range_are_refused(demo: Api, field: str, value: str) -> None:
    case_id = new_id()
    fields = {field: value}
    response = demo.http.post(
        PUSH,
        json={
            "changes": [
                change("create", snapshot(case_id, **fields)),
                change("submit", snapshot(case_id, **fields), 1),
            ]
        },
    )
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code != 200:
        assert_refused(response)
        assert_nothing_stored(demo, case_id)
        return
    outcomes = [r["outcome"] for r in response.json()["results"]]
    stored = demo.case(case_id)
    assert (stored.status_code == 200) == (outcomes[0] == "applied"), outcomes


def test_hostile_huge_integers_are_refused_or_harmless(demo: Api) -> None:
    case_id = new_id()
    for extra in ({"base_revision": 2**63}, {"base_revision": 10**40}):
        response = push_one(demo, snapshot(case_id, revision=10**40), **extra)
        assert response.status_code < 500, (response.status_code, response.text)
    for params in ({"cursor": 2**63}, {"cursor": 10**30}, {"cursor": 2**63 - 1}):
        response = demo.http.get("/api/v1/feed", params=params)
        assert response.status_code < 500, (params, response.status_code, response.text)
    for params in ({"offset": 2**63}, {"offset": 10**30}):
        response = demo.http.get("/api/v1/cases", params=params)
        assert response.status_code < 500, (params, response.status_code, response.text)


def test_hostile_ids_in_paths_and_queries(demo: Api, supervisor: Api) -> None:
    hostile = (
        *SQL_INJECTIONS,
        *TRAVERSALS,
        "' OR '1'='1",
        "%00",
        "\x00",
        "a\x00",
        "x" * 5000,
        "🚧",
    )
    for bad in hostile:
        for api in (demo, supervisor):
            response = api.http.get(f"/api/v1/cases/{quote(bad, safe='')}")
            # Not found, or refused as not an id at all (a case id is a UUID).
            assert response.status_code in (404, 405, 422), (
                bad,
                response.status_code,
                response.text,
            )
            response = api.http.get("/api/v1/cases", params={"department_id": bad[:36]})
            assert response.status_code in (200, 422), (bad, response.status_code, response.text)
            if response.status_code == 200:
                assert response.json() == [], (bad, "a query parameter matched cases")
            response = api.http.get("/api/v1/cases", params={"category": bad[:5]})
            assert response.status_code in (200, 422), (bad, response.status_code, response.text)
    response = demo.http.get("/api/v1/cases/" + "a" * 30_000)
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    "fields",
    [{"name": "执法\x00大队"}, {"name_en": "\x00"}, {"name": "'; DROP TABLE departments; --"}],
    ids=["name-nul", "name_en-nul", "name-sql"],
)
def test_hostile_department_names_are_refused_or_kept(admin: Api, fields: dict[str, str]) -> None:
    code = "H" + uuid.uuid4().hex[:12]
    body = {"code": code, "name": "测试", **fields}
    response = admin.http.post("/api/v1/departments", json=body)
    assert response.status_code < 500, (response.status_code, response.text)
    listed = {d["code"]: d for d in admin.http.get("/api/v1/departments").json()}
    if response.status_code == 201:
        assert {k: listed[code][k] for k in fields} == fields
    else:
        assert_refused(response)
        assert code not in listed


def test_hostile_sql_injection_cannot_sign_in(server: ServerProcess) -> None:
    for username in ("admin'--", "admin' OR '1'='1", "' OR 1=1 --", "admin\x00"):
        response = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": username, "password": "' OR '1'='1"},
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
        assert response.status_code in (401, 422, 429), (username, response.text)


# --- hostile inputs: actions ----------------------------------------------------------------


def act_path(case_id: str) -> str:
    return f"/api/v1/cases/{case_id}/actions"


def steps_of(api: Api, case_id: str) -> list[dict[str, Any]]:
    response = api.case(case_id)
    assert response.status_code == 200, response.text
    return list(response.json()["steps"])


ACTION_BODIES: list[dict[str, Any]] = [
    {},
    {"action": "explode"},
    {"action": 5},
    {"action": None},
    {"action": ["accept"]},
    {"action": "accept", "evil": 1},
    {"action": "accept", "expected_revision": 0},
    {"action": "accept", "expected_revision": "1; DROP TABLE cases"},
    {"action": "return", "opinion": "意" * 2001},
    {"action": "return", "opinion": 42},
    {"action": "dispatch", "department_id": "x" * 37},
    {"action": "dispatch", "deadline": "tomorrow"},
    {"action": "dispatch", "deadline": "2030-01-01T00:00:00"},  # no zone
    {"action": "request_reinspection", "assignee_id": ["a"]},
]


@pytest.mark.parametrize("body", ACTION_BODIES, ids=[json.dumps(b)[:40] for b in ACTION_BODIES])
def test_hostile_action_bodies_are_refused_and_change_nothing(
    demo: Api, supervisor: Api, body: dict[str, Any]
) -> None:
    case_id = submitted_case(demo)
    before = supervisor.case(case_id).json()
    response = supervisor.http.post(act_path(case_id), json=body)
    assert response.status_code == 422, response.text
    assert_refused(response)
    conforms(response, "/api/v1/cases/{case_id}/actions", "POST")
    assert supervisor.case(case_id).json() == before


def test_hostile_megabyte_opinion_on_an_action_is_refused(demo: Api, supervisor: Api) -> None:
    case_id = submitted_case(demo)
    response = supervisor.http.post(
        act_path(case_id), json={"action": "return", "opinion": "长" * 1_000_000}
    )
    assert_refused(response, field="opinion")
    assert [s["action"] for s in steps_of(supervisor, case_id)] == ["submit"]


@pytest.mark.parametrize("department", [*SQL_INJECTIONS, *TRAVERSALS, "\x00", "🚧"])
def test_hostile_department_ids_are_unknown_departments(
    demo: Api, supervisor: Api, department: str
) -> None:
    case_id = submitted_case(demo)
    supervisor.http.post(act_path(case_id), json={"action": "accept"}).raise_for_status()
    supervisor.http.post(act_path(case_id), json={"action": "register"}).raise_for_status()
    before = supervisor.case(case_id).json()
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    response = supervisor.http.post(
        act_path(case_id),
        json={"action": "dispatch", "department_id": department, "deadline": deadline},
    )
    # Refused as malformed (422) or as an unknown department (400), either way by name.
    assert response.status_code in (400, 422), (response.status_code, response.text)
    assert "department" in json.dumps(response.json()["detail"]), response.text
    assert supervisor.case(case_id).json() == before


def test_hostile_action_refusals_match_the_document(demo: Api, supervisor: Api) -> None:
    """Refused actions — a transition from the wrong state, one without its opinion, an
    unknown department — say why (in Chinese and English for the workflow's own rules), change
    nothing, and a documented status has the documented body (every error, 422 included, has
    server.errors.ErrorBody: ``detail`` is ``{code, zh, en}``)."""
    case_id = submitted_case(demo)
    wrong_state = supervisor.http.post(act_path(case_id), json={"action": "close"})
    assert wrong_state.status_code == 409, wrong_state.text
    assert wrong_state.json()["detail"]["zh"], wrong_state.text
    without_opinion = supervisor.http.post(act_path(case_id), json={"action": "return"})
    assert without_opinion.status_code in (400, 422), without_opinion.text
    reason = without_opinion.json()["detail"]
    assert reason["en"] and reason["zh"], without_opinion.text
    for action in ("accept", "register"):
        supervisor.http.post(act_path(case_id), json={"action": action}).raise_for_status()
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    unknown = supervisor.http.post(
        act_path(case_id),
        json={"action": "dispatch", "department_id": new_id(), "deadline": deadline},
    )
    assert unknown.status_code in (400, 422), unknown.text
    assert "department" in unknown.text, unknown.text
    assert [s["action"] for s in steps_of(supervisor, case_id)] == ["submit", "accept", "register"]
    for response in (wrong_state, without_opinion, unknown):
        conforms(response, "/api/v1/cases/{case_id}/actions", "POST")


def test_hostile_action_paths(supervisor: Api) -> None:
    for bad in (*SQL_INJECTIONS, *TRAVERSALS, new_id(), "%00"):
        path = act_path(quote(bad, safe=""))
        response = supervisor.http.post(path, json={"action": "accept"})
        assert response.status_code in (404, 405, 422), (bad, response.status_code, response.text)


@pytest.mark.parametrize("text", [UNICODE_TEXT, *SQL_INJECTIONS[:2], TRAVERSALS[0]])
def test_hostile_action_opinions_round_trip(demo: Api, supervisor: Api, text: str) -> None:
    case_id = submitted_case(demo)
    response = supervisor.http.post(act_path(case_id), json={"action": "return", "opinion": text})
    assert response.status_code == 200, response.text
    assert response.json()["case"]["status"] == "returned"
    assert [s["opinion"] for s in steps_of(supervisor, case_id)] == ["", text]
    assert [s["opinion"] for s in steps_of(demo, case_id)] == ["", text]
    feed = demo.http.get("/api/v1/feed", params={"limit": 1000}).json()
    decisions = [e for e in feed["entries"] if e["entity_id"] == case_id]
    while feed["more"]:
        feed = demo.http.get(
            "/api/v1/feed", params={"cursor": feed["cursor"], "limit": 1000}
        ).json()
        decisions += [e for e in feed["entries"] if e["entity_id"] == case_id]
    assert [e["payload"]["opinion"] for e in decisions] == [text]


@pytest.mark.parametrize("opinion", ["退回\x00修改", "\x00"])
def test_hostile_nul_in_an_opinion_is_refused_or_kept(
    demo: Api, supervisor: Api, opinion: str
) -> None:
    case_id = submitted_case(demo)
    response = supervisor.http.post(
        act_path(case_id), json={"action": "return", "opinion": opinion}
    )
    assert response.status_code < 500, (response.status_code, response.text)
    steps = steps_of(supervisor, case_id)
    if response.status_code == 200:
        assert [s["opinion"] for s in steps] == ["", opinion]
    else:
        assert_refused(response)
        assert [s["action"] for s in steps] == ["submit"], "a refused action left a step"
        assert supervisor.case(case_id).json()["case"]["status"] == "submitted"


@pytest.mark.parametrize(
    "deadline", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1970-01-01T00:00:00Z"]
)
def test_hostile_deadlines_are_refused_or_stored(demo: Api, supervisor: Api, deadline: str) -> None:
    case_id = submitted_case(demo)
    for action in ("accept", "register"):
        supervisor.http.post(act_path(case_id), json={"action": action}).raise_for_status()
    department = supervisor.http.get("/api/v1/departments").json()[0]["id"]
    response = supervisor.http.post(
        act_path(case_id),
        json={"action": "dispatch", "department_id": department, "deadline": deadline},
    )
    assert response.status_code < 500, (response.status_code, response.text)
    status = supervisor.case(case_id).json()["case"]["status"]
    assert status == ("dispatched" if response.status_code == 200 else "registered")


def test_hostile_roles_on_actions(demo: Api, admin: Api, server: ServerProcess) -> None:
    case_id = submitted_case(demo)
    anonymous = Api(server, None)
    assert anonymous.http.post(act_path(case_id), json={"action": "accept"}).status_code == 401
    forged = {"Authorization": "Bearer ' OR 1=1 --"}
    assert (
        anonymous.http.post(
            act_path(case_id), json={"action": "accept"}, headers=forged
        ).status_code
        == 401
    )
    for api in (demo, admin):
        response = api.http.post(act_path(case_id), json={"action": "accept"})
        assert response.status_code == 403, response.text
    assert [s["action"] for s in steps_of(demo, case_id)] == ["submit"]
