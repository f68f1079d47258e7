"""A small client of the gateway's HTTP API, for the demo replay, the welcome screen and end-to-end tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests


class ApiError(RuntimeError):
    def __init__(self, response: requests.Response):
        self.status = response.status_code
        self.headers = response.headers
        try:
            self.problem = response.json()
        except ValueError:
            self.problem = {"detail": response.text}
        super().__init__(f"{response.request.method} {response.url} -> {self.status}: {self.problem.get('detail')}")


@dataclass
class Api:
    base: str = "http://127.0.0.1:8080"
    token: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until /readyz says every backend is serving (polling with backoff, bounded by `timeout`)."""
        deadline, delay = time.monotonic() + timeout, 0.05
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                r = self.session.get(f"{self.base}/readyz", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except requests.ConnectionError as exc:
                last = str(exc)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise TimeoutError(f"gateway at {self.base} not ready after {timeout}s: {last}")

    def login(self, username: str, password: str) -> Api:
        """A client logged in as `username` (sharing the HTTP session)."""
        body = self.call("POST", "/auth/token", json={"username": username, "password": password})
        return Api(self.base, body["access_token"], self.session)

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = (200, 201), **kwargs):
        r = self.raw(method, path, expect, **kwargs)
        return r.json() if r.content else None

    def raw(self, method: str, path: str, expect: int | tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
        """The response itself (for pages and files), after checking its status."""
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        r = self.session.request(method, f"{self.base}/api/v1{path}", headers=headers, timeout=60, **kwargs)
        if r.status_code not in ((expect,) if isinstance(expect, int) else expect):
            raise ApiError(r)
        return r

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.call("DELETE", path, **kwargs)
