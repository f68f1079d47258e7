"""The gateway on its own, without backends: a test client with the demo users in a temporary database."""

from __future__ import annotations

import pytest

from kit.migrate import upgrade


@pytest.fixture
def make_client(tmp_path, monkeypatch):
    def make(clock_mode: str):
        monkeypatch.setenv("ZHITONG_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("ZHITONG_CLOCK", clock_mode)
        monkeypatch.setenv("ZHITONG_JWT_SECRET", "test-secret-of-at-least-thirty-two-bytes")
        monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'gateway.db'}")
        upgrade("gateway")
        from services.gateway import auth
        from services.gateway.app import create_app
        from services.gateway.users import ensure_demo_users, gateway_sessions

        monkeypatch.setattr(auth, "_settings", None)
        ensure_demo_users(gateway_sessions(), "demo12345")
        return create_app().test_client()

    return make
