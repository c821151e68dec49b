"""The HTTP client of the central server's API (httpx). Every failure becomes a SyncError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from app.domain.errors import Message
from app.domain.lifecycle import Role
from app.sync.backoff import parse_retry_after
from app.sync.connection import ConnectionSettings, check_server_url
from app.sync.errors import ErrorKind, SyncError, refusal

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True, slots=True)
class ServerUser:
    id: str
    username: str
    display_name: str
    role: Role
    #: A handler's department (issue 15).
    department_id: str | None = None
    #: How many photos a handler's report of handling needs (the server's setting).
    after_photos_required: int | None = None
    #: A member of the inspection team (督导检查组): may record scored inspections.
    inspection_team: bool = False


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    user: ServerUser


def _body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _classify(response: httpx.Response) -> SyncError:
    _reason_code, reason = refusal(_body(response), response.status_code, response.text[:200])
    code = response.status_code
    if code == 401:
        return SyncError(
            ErrorKind.AUTH,
            "auth",
            Message(
                f"登录失败或会话已过期：{reason.zh}",
                f"Sign-in failed or the session expired: {reason.en}",
            ),
        )
    if code >= 500 or code in (408, 425, 429):
        return SyncError(
            ErrorKind.RETRYABLE,
            "server_error",
            Message(
                f"服务器暂时出错（{code}），稍后自动重试",
                f"The server had a problem ({code}); will retry",
            ),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if code == 409:
        return SyncError(
            ErrorKind.CONFLICT,
            "conflict",  # not-a-state: the error code
            Message(f"冲突：{reason.zh}", f"Conflict: {reason.en}"),
        )
    return SyncError(
        ErrorKind.REJECTED,
        "rejected",
        Message(f"服务器拒绝了请求（{code}）：{reason.zh}", f"Refused ({code}): {reason.en}"),
    )


class ServerClient:
    """One connection pool to one server; use as a context manager."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        connection: ConnectionSettings | None = None,
    ) -> None:
        connection = connection or ConnectionSettings()
        # Before any byte leaves: no password or token in clear text to another machine.
        check_server_url(base_url, connection)
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers=headers,
            transport=transport,
            verify=connection.verify,
        )

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.send(method, path, **kwargs)

    def send(
        self, method: str, path: str, *, expect: frozenset[int] = frozenset(), **kwargs: Any
    ) -> httpx.Response:
        """One request; an error status not in ``expect`` (and any network failure) raises."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                # Retrying will not help: the server's certificate is not one we trust.
                raise SyncError(
                    ErrorKind.REJECTED,
                    "certificate",
                    Message(
                        f"服务器 {self.base_url} 的证书不受信任；如使用本市自建的证书颁发机构，"
                        "请在设置中或用 citypatrol login --ca-bundle 指定其证书文件",
                        f"The certificate of {self.base_url} is not trusted; if the city runs "
                        "its own certificate authority, give its certificate file in the "
                        "settings or with citypatrol login --ca-bundle",
                    ),
                ) from exc
            raise SyncError(
                ErrorKind.RETRYABLE,
                "unreachable",
                Message(
                    f"无法连接服务器 {self.base_url}（{type(exc).__name__}）",
                    f"Cannot reach the server {self.base_url} ({type(exc).__name__})",
                ),
            ) from exc
        if response.is_error and response.status_code not in expect:
            raise _classify(response)
        return response

    def health(self) -> bool:
        try:
            return bool(self._request("GET", "/healthz").json().get("status") == "ok")
        except SyncError:
            return False

    def login(self, username: str, password: str) -> LoginResult:
        data = self._request(
            "POST", "/api/v1/auth/login", json={"username": username, "password": password}
        ).json()
        return LoginResult(token=data["token"], user=_user(data["user"]))

    def logout(self) -> None:
        """Revoke this client's token on the server (it stops working at once)."""
        self._request("POST", "/api/v1/auth/logout")

    def me(self) -> ServerUser:
        return _user(self._request("GET", "/api/v1/me").json())

    def push(self, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send a batch of case changes; the server's result for each, in order."""
        response = self._request("POST", "/api/v1/cases/push", json={"changes": changes})
        results = _json(response).get("results")
        if not isinstance(results, list) or len(results) != len(changes):
            raise _garbled(response)
        return results

    def act(
        self, case_id: str, decision: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
        """Send one decision; ``(case detail, None)`` when applied (now or before), or
        ``(None, reason)`` when the server refused it (400/404/409: retrying will not help)."""
        response = self._request(
            "POST",
            f"/api/v1/cases/{case_id}/actions",
            json=decision,
            expect=frozenset({400, 404, 409, 422}),
        )
        if response.is_error:
            return None, _reason(response)
        detail = _json(response)
        if not isinstance(detail.get("case"), dict):
            raise _garbled(response)
        return detail, None

    def case(self, case_id: str) -> dict[str, Any] | None:
        """A case with its log, or None when the server has none this user may see."""
        response = self._request("GET", f"/api/v1/cases/{case_id}", expect=frozenset({404}))
        return None if response.is_error else _json(response)

    def download(self, path: str, dest: Path) -> int:
        """Stream a file from the server into ``dest``; returns its size."""
        size = 0
        try:
            with self._http.stream("GET", path) as response:
                if response.is_error:
                    response.read()
                    raise _classify(response)
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(256 * 1024):
                        out.write(chunk)
                        size += len(chunk)
        except httpx.TransportError as exc:
            raise _interrupted(exc) from exc
        return size

    def resume_download(
        self,
        path: str,
        dest: Path,
        etag: str,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Stream ``path`` into ``dest``, continuing after the bytes ``dest`` holds already
        (``Range: bytes=N-`` with ``If-Range: etag``: a server whose file changed answers 200
        with the whole new file, which then replaces the partial one). Returns the final size;
        ``progress`` gets the size so far after each chunk. A cut leaves ``dest`` with what
        arrived, for the next try to resume from."""
        have = dest.stat().st_size if dest.exists() else 0
        headers = {"Range": f"bytes={have}-", "If-Range": f'"{etag}"'} if have else {}
        try:
            with self._http.stream("GET", path, headers=headers) as response:
                if response.status_code == 416:  # the partial file is whole (or longer): redo
                    response.read()
                    dest.unlink(missing_ok=True)
                    return self.resume_download(path, dest, etag, progress)
                if response.is_error:
                    response.read()
                    raise _classify(response)
                if response.status_code != 206:
                    have = 0  # the whole file came back: start over
                with dest.open("ab" if have else "wb") as out:
                    for chunk in response.iter_bytes(256 * 1024):
                        out.write(chunk)
                        have += len(chunk)
                        if progress is not None:
                            progress(have)
        except httpx.TransportError as exc:
            raise _interrupted(exc) from exc
        return have

    def feed(self, cursor: int, limit: int) -> dict[str, Any]:
        """One page of the change feed after ``cursor``."""
        response = self._request("GET", "/api/v1/feed", params={"cursor": cursor, "limit": limit})
        page = _json(response)
        if not isinstance(page.get("entries"), list) or not isinstance(page.get("cursor"), int):
            raise _garbled(response)
        return page


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise _garbled(response) from None
    if not isinstance(data, dict):
        raise _garbled(response)
    return data


def _garbled(response: httpx.Response) -> SyncError:
    # A proxy's error page, a truncated body: nothing was learnt, so it is safe to try again.
    return SyncError(
        ErrorKind.RETRYABLE,
        "garbled",
        Message(
            f"服务器的回答无法解读（{response.status_code}），稍后重试",
            f"The server's answer could not be read ({response.status_code}); will retry",
        ),
    )


def _user(data: dict[str, Any]) -> ServerUser:
    return ServerUser(
        id=str(data["id"]),
        username=str(data["username"]),
        display_name=str(data.get("display_name", "")),
        role=Role(data["role"]),
        department_id=data.get("department_id"),
        after_photos_required=data.get("after_photos_required"),
        inspection_team=bool(data.get("inspection_team", False)),
    )


def _reason(response: httpx.Response) -> dict[str, str]:
    """The server's reason for refusing a request, as ``{code, zh, en}``."""
    body = _body(response)
    code, reason = refusal(body, response.status_code, response.text[:300])
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict) and {"zh", "en"} <= detail.keys():
        return {"code": code, "zh": reason.zh, "en": reason.en}
    return {
        "code": code,
        "zh": f"服务器拒绝了该操作（{response.status_code}）：{reason.zh}",
        "en": f"The server refused the decision ({response.status_code}): {reason.en}",
    }


def _interrupted(exc: httpx.TransportError) -> SyncError:
    """A download cut by the network: retryable (a resumable one continues where it stopped)."""
    return SyncError(
        ErrorKind.RETRYABLE,
        "unreachable",
        Message(
            f"下载中断：{type(exc).__name__}",
            f"The download was interrupted ({type(exc).__name__})",
        ),
    )
