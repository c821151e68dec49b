"""Child process for the SIGKILL test: writes cases into a store until it is killed.

Usage: ``crash_writer.py DATA_DIR SCRATCH_DIR ROUND SEED``

It imports everything first, then waits for one line on stdin (so the parent can start it
ahead of time), opens ``LocalStore(DATA_DIR)`` and loops forever. After every write that has
committed it prints one JSON line to stdout and flushes, so every line the parent reads
describes data that must be in the database:

* ``{"op": "plan", "token": ..., "photo": bool, "update": bool, "submit": bool}`` — before
  a case is started (nothing is written yet);
* ``{"op": "create", "id": ..., "token": ..., "version": 1, "description": ...}``;
* ``{"op": "photo", "id": ..., "photo_id": ..., "sha256": ..., "name": ...}``;
* ``{"op": "update", "id": ..., "version": 2, "description": ...}``;
* ``{"op": "submit", "id": ...}``.

A description is ``"<token> <text>（版本<v>） 校验<sha>"`` where ``<sha>`` is the first 16 hex
digits of the SHA-256 of everything before `` 校验``: a torn description is detectable.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image

from app.domain.validation import CaseFields, Urgency
from app.storage import LocalStore

TEXTS = {
    1: "人民路与解放路交叉口井盖破损，存在安全隐患，请尽快处理",
    2: "人民路与解放路交叉口井盖破损；复核：旁边路灯不亮、垃圾满溢",
}


def describe(token: str, round_no: int, version: int) -> str:
    body = f"{token} {TEXTS[version]}（第{round_no}轮，版本{version}）"
    return f"{body} 校验{hashlib.sha256(body.encode()).hexdigest()[:16]}"


def emit(**record: object) -> None:
    sys.stdout.write(json.dumps(record) + "\n")  # ASCII-only JSON: one short, atomic write
    sys.stdout.flush()


def make_png(rng: random.Random, path: Path) -> None:
    size = rng.randint(8, 48)
    img = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    img.save(path, format="PNG")


def main() -> None:
    data_dir, scratch, round_no, seed = (
        Path(sys.argv[1]),
        Path(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    rng = random.Random(seed)
    sys.stdin.readline()  # "go"
    store = LocalStore(data_dir)
    i = 0
    while True:
        i += 1
        token = f"巡{round_no:02d}查{i:05d}"
        plan = {
            "photo": rng.random() < 0.3,
            "update": rng.random() < 0.5,
            "submit": rng.random() < 0.3,
        }
        emit(op="plan", token=token, **plan)
        fields = CaseFields(
            category_code="06010",
            description=describe(token, round_no, 1),
            address=f"北京市东城区人民路{i}号",
            urgency=Urgency.NORMAL,
            lat=39.9 + rng.random() / 10,
            lon=116.4 + rng.random() / 10,
            accuracy_m=5.0,
        )
        case_id = store.create_case(fields).id
        emit(op="create", id=case_id, token=token, version=1, description=fields.description)
        if plan["photo"]:
            source = scratch / f"r{round_no:02d}-{i:05d}.png"
            make_png(rng, source)
            photo_id = store.attach_photo(case_id, source).id
            sha = hashlib.sha256(source.read_bytes()).hexdigest()
            emit(op="photo", id=case_id, photo_id=photo_id, sha256=sha, name=source.name)
        if plan["update"]:
            fields = replace(fields, description=describe(token, round_no, 2))
            store.update_case(case_id, fields)
            emit(op="update", id=case_id, version=2, description=fields.description)
        if plan["submit"]:
            store.submit_case(case_id)
            emit(op="submit", id=case_id)


if __name__ == "__main__":
    main()
