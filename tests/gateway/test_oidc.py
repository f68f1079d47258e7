"""Single sign-on (统一身份认证) on the gateway alone, against the fake OpenID provider of tests/oidc_provider.py:
the issuer's tokens are verified with its keys and mapped to the suite's role, department and enterprise; tokens
that are not right are refused in Chinese; an issuer that cannot be reached is a 503, not a 500 or a hang;
password logins can be switched off; the web client's authorization code is exchanged with PKCE."""

from __future__ import annotations

import socket
import time
import urllib.parse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from kit.config import ConfigError
from services.gateway import oidc
from tests.oidc_provider import FakeIssuer, s256

OFFICER = {"preferred_username": "li.ming", "zhitong_role": "officer", "zhitong_department": "zjj", "name": "李明"}
JWT_SECRET = "test-secret-of-at-least-thirty-two-bytes"  # the built-in tokens' key (tests/gateway/conftest.py)
CALLBACK = "http://127.0.0.1:8080/login/callback"
VERIFIER = "x" * 20 + "-verifier-of-the-web-client-0123"


@pytest.fixture(scope="module")
def provider():
    with FakeIssuer() as running:
        yield running


@pytest.fixture
def issuer(provider):
    provider.user, provider.refuse, provider.jwks_up = dict(OFFICER), None, True
    provider.exchanges.clear()
    return provider


@pytest.fixture
def sso_client(make_client, monkeypatch, issuer):
    """A gateway that accepts the fake issuer's tokens (more settings as keyword arguments)."""

    def make(clock: str = "manual", of: FakeIssuer | None = None, **settings):
        for name, value in (of or issuer).env(**settings).items():
            monkeypatch.setenv(name, value)
        return make_client(clock)

    return make


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_a_token_of_the_issuer_reaches_me_with_its_role_and_department(sso_client, issuer):
    client = sso_client()
    r = client.get("/api/v1/me", headers=bearer(issuer.token()))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "username": "li.ming",
        "role": "officer",
        "department": "zjj",
        "enterprise": None,
        "display_name": "李明",
        "must_change_password": False,
        "sso": True,
    }
    # a token just past its expiry is taken within the leeway
    assert client.get("/api/v1/me", headers=bearer(issuer.token(exp=int(time.time()) - 5))).status_code == 200
    # the built-in logins go on beside it
    login = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"}).json()
    assert client.get("/api/v1/me", headers=bearer(login["access_token"])).json()["sso"] is False


def test_a_list_of_roles_counts_only_values_with_the_prefix(sso_client, issuer):
    client = sso_client(role_claim="realm_access.roles", role_prefix="zhitong-", department_claim="attributes.dept")
    roles = ["offline_access", "officer", "zhitong-mayor", "zhitong-dept_head", "zhitong-officer"]
    token = issuer.token(
        {"preferred_username": "wang.fang", "realm_access": {"roles": roles}, "attributes": {"dept": ["sthj"]}}
    )
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["username"], me["role"], me["department"]) == ("wang.fang", "dept_head", "sthj")

    unprefixed = issuer.token({"preferred_username": "wang.fang", "realm_access": {"roles": ["officer"]}})
    detail = problem(client.get("/api/v1/me", headers=bearer(unprefixed)), 401)["detail"]
    assert (
        detail == "统一身份认证账号“wang.fang”未分配本系统的角色（realm_access.roles，前缀 zhitong-），请联系系统管理员"
    )


def test_a_department_or_enterprise_claim_is_dropped_where_the_role_has_none(sso_client, issuer):
    client = sso_client()
    supervisor = issuer.token(zhitong_role="supervisor", zhitong_department="zjj", zhitong_enterprise="E01")
    me = client.get("/api/v1/me", headers=bearer(supervisor)).json()
    assert (me["role"], me["department"], me["enterprise"]) == ("supervisor", None, None)
    enterprise = issuer.token(zhitong_role="enterprise", zhitong_department=None, zhitong_enterprise="E01")
    me = client.get("/api/v1/me", headers=bearer(enterprise)).json()
    assert (me["role"], me["enterprise"]) == ("enterprise", "E01")


def _hs256_naming_the_issuer(issuer: FakeIssuer) -> str:
    body = jwt.decode(issuer.token(), options={"verify_signature": False})
    return jwt.encode(body, JWT_SECRET, algorithm="HS256", headers={"kid": issuer.kid})


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
REFUSED = [
    (
        "wrong audience",
        lambda i: i.token(aud="another-system"),
        "访问令牌不是签发给本系统的（受众 aud 不是“zhitong-web”）",
    ),
    ("expired", lambda i: i.token(exp=int(time.time()) - 120), "登录已过期，请重新登录"),
    ("without expiry", lambda i: i.token(exp=None), "访问令牌无效，请重新登录"),
    ("unknown key", lambda i: i.token(key=OTHER_KEY, kid="someone-elses-key"), "签名密钥不属于统一身份认证平台"),
    ("forged with the issuer's kid", lambda i: i.token(key=OTHER_KEY), "访问令牌无效，请重新登录"),
    ("HS256 naming the issuer", _hs256_naming_the_issuer, "签名算法不被接受（须为 RS256、ES256 或 PS256）"),
    (
        "officer without department",
        lambda i: i.token(zhitong_department=None),
        "是审批人员或部门负责人，但未指定所属部门",
    ),
    (
        "enterprise without enterprise",
        lambda i: i.token(zhitong_role="enterprise"),
        "是办事企业账号，但未指定对应的企业（zhitong_enterprise）",
    ),
    ("unknown role", lambda i: i.token(zhitong_role="mayor"), "统一身份认证账号“li.ming”的角色“mayor”不是本系统的角色"),
    ("no role", lambda i: i.token(zhitong_role=None), "未分配本系统的角色（zhitong_role）"),
    ("no user name", lambda i: i.token(preferred_username=None), "统一身份认证令牌中缺少用户名（preferred_username）"),
]


def test_tokens_that_are_not_right_are_refused_in_chinese(sso_client, issuer):
    client = sso_client()  # one gateway for every case: building one takes a second
    wrong = []
    for case, make_token, detail in REFUSED:
        r = client.get("/api/v1/me", headers=bearer(make_token(issuer)))
        body = r.json()
        if r.status_code != 401 or detail not in body.get("detail", "") or body.get("title") != "未登录或登录已过期":
            wrong.append(f"{case}: {r.status_code} {body}")
    assert not wrong, "\n".join(wrong)


def test_signing_keys_that_cannot_be_fetched_are_a_clear_503_until_they_can(sso_client, issuer):
    client = sso_client()
    issuer.jwks_up = False
    body = problem(client.get("/api/v1/me", headers=bearer(issuer.token())), 503)
    assert body["detail"] == "无法核验统一身份认证登录：统一身份认证平台暂时无法访问，请稍后重试"
    assert body["title"] == "服务暂不可用"
    issuer.jwks_up = True
    assert client.get("/api/v1/me", headers=bearer(issuer.token())).status_code == 200


def test_an_issuer_that_is_gone_is_a_503_at_once(sso_client):
    gone = FakeIssuer()
    token = gone.token(OFFICER)
    gone.stop()  # never started: its port refuses connections
    client = sso_client(of=gone)
    started = time.monotonic()
    problem(client.get("/api/v1/me", headers=bearer(token)), 503)
    assert problem(client.get("/api/v1/auth/providers"), 503)["password_login"] is True
    assert time.monotonic() - started < oidc.TIMEOUT_SECONDS


def test_an_issuer_that_does_not_answer_is_a_503_after_the_timeout(make_client, monkeypatch, issuer):
    monkeypatch.setattr(oidc, "TIMEOUT_SECONDS", 0.3)
    with socket.socket() as silent:  # takes connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}/realms/zhitong"
        monkeypatch.setenv("ZHITONG_OIDC_ISSUER", mute)
        monkeypatch.setenv("ZHITONG_OIDC_CLIENT_ID", issuer.client_id)
        client = make_client("manual")
        started = time.monotonic()
        body = problem(client.get("/api/v1/me", headers=bearer(issuer.token(iss=mute))), 503)
        assert "统一身份认证平台暂时无法访问" in body["detail"]
        assert time.monotonic() - started < 3


def test_a_discovery_document_past_its_hour_serves_while_the_issuer_is_away(monkeypatch):
    with FakeIssuer() as away:
        platform = oidc.Issuer(oidc.LoginSettings(issuer=away.issuer, client_id=away.client_id))
        document = platform.discovery()
    tries, fetch = [], oidc._open
    monkeypatch.setattr(oidc, "_open", lambda request: tries.append(request.full_url) or fetch(request))
    platform._discovered_at -= oidc.DISCOVERY_SECONDS  # an hour later, and the issuer is gone
    assert platform.discovery() == document
    assert platform.discovery() == document
    assert len(tries) == 1  # tried again a minute later, not at every request


def test_password_logins_switched_off_are_403_while_issuer_and_screen_tokens_work(make_client, monkeypatch, issuer):
    for name, value in issuer.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ZHITONG_PASSWORD_LOGIN", "0")
    client = make_client("manual")
    body = problem(client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"}), 403)
    assert body["detail"] == "本系统已关闭用户名密码登录，请使用统一身份认证登录"
    assert body["code"] == "password_login_disabled"
    assert client.get("/api/v1/auth/providers").json()["password_login"] is False
    assert client.get("/api/v1/me", headers=bearer(issuer.token())).status_code == 200

    from services.gateway.users import gateway_sessions, issue_screen_token

    screen = issue_screen_token(gateway_sessions(), "screen", 1, manual_clock=True)
    assert client.get("/api/v1/me", headers=bearer(screen)).json()["role"] == "screen"


def test_providers_tell_the_web_client_where_to_log_in(make_client, sso_client, issuer):
    without = make_client("manual")
    assert without.get("/api/v1/auth/providers").json() == {"password_login": True, "oidc": None}
    r = without.post("/api/v1/auth/oidc/token", json={"code": "c", "code_verifier": VERIFIER, "redirect_uri": CALLBACK})
    assert problem(r, 404)["detail"] == "本系统未接入统一身份认证"
    r = sso_client().get("/api/v1/auth/providers")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "password_login": True,
        "oidc": {
            "issuer": issuer.issuer,
            "authorization_endpoint": issuer.issuer + "/protocol/openid-connect/auth",
            "client_id": "zhitong-web",
            "scope": "openid profile",
        },
    }


def _code(issuer: FakeIssuer, verifier: str = VERIFIER) -> str:
    """Logs the configured user in at the issuer, as the browser would, and takes the code from the redirect."""
    r = requests.get(issuer.authorize_url(CALLBACK, s256(verifier)), allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    back = urllib.parse.urlsplit(r.headers["Location"])
    assert back.path == "/login/callback"
    return urllib.parse.parse_qs(back.query)["code"][0]


def test_the_code_is_exchanged_for_a_usable_token(sso_client, issuer):
    client = sso_client()
    r = client.post(
        "/api/v1/auth/oidc/token", json={"code": _code(issuer), "code_verifier": VERIFIER, "redirect_uri": CALLBACK}
    )
    assert r.status_code == 200, r.text
    token = r.json()
    assert (token["token_type"], token["expires_in"]) == ("bearer", 300)
    assert token["user"] == {
        "username": "li.ming",
        "role": "officer",
        "department": "zjj",
        "enterprise": None,
        "display_name": "李明",
        "must_change_password": False,
        "sso": True,
    }
    assert client.get("/api/v1/me", headers=bearer(token["access_token"])).json()["username"] == "li.ming"
    assert [e.code_verifier for e in issuer.exchanges] == [VERIFIER]
    # an SSO user's password is the identity platform's
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": "x", "new_password": "Something2026"},
        headers=bearer(token["access_token"]),
    )
    assert problem(r, 403)["detail"] == "统一身份认证账号的密码请在统一身份认证平台修改"


def test_bad_codes_and_verifiers_are_refused_with_a_4xx_problem(sso_client, issuer):
    client = sso_client()

    def exchange(code, verifier=VERIFIER):
        return client.post(
            "/api/v1/auth/oidc/token", json={"code": code, "code_verifier": verifier, "redirect_uri": CALLBACK}
        )

    assert problem(exchange("not-a-code"), 400)["detail"] == "授权码无效、已使用或已过期，请重新登录"
    code = _code(issuer)
    assert problem(exchange(code, "y" * 43), 400)["error"] == "invalid_grant"  # the PKCE challenge does not match
    assert problem(exchange(code, "short"), 400)["detail"].startswith("字段“code_verifier”")
    issuer.user = {**OFFICER, "zhitong_department": None}
    body = problem(exchange(_code(issuer)), 401)
    assert "未指定所属部门" in body["detail"]
    assert len(issuer.exchanges) == 1  # the issuer gave that token; the gateway refused it


def test_a_confidential_client_sends_its_secret_and_a_wrong_one_is_the_servers_fault(sso_client):
    with FakeIssuer(client_secret="the-client-secret") as confidential:
        confidential.user = dict(OFFICER)
        client = sso_client(of=confidential)
        r = client.post(
            "/api/v1/auth/oidc/token",
            json={"code": _code(confidential), "code_verifier": VERIFIER, "redirect_uri": CALLBACK},
        )
        assert r.status_code == 200, r.text
        client = sso_client(of=confidential, client_secret="a-wrong-secret")
        r = client.post(
            "/api/v1/auth/oidc/token",
            json={"code": _code(confidential), "code_verifier": VERIFIER, "redirect_uri": CALLBACK},
        )
        assert "客户端配置有误（invalid_client）" in problem(r, 502)["detail"]


def test_settings_are_checked_when_the_gateway_starts(monkeypatch):
    def settings(**env):
        for name in list(oidc.LoginSettings.__dataclass_fields__):
            monkeypatch.delenv(f"ZHITONG_OIDC_{name.upper()}", raising=False)
        for name in ("ZHITONG_OIDC_ISSUER", "ZHITONG_OIDC_CLIENT_ID", "ZHITONG_PASSWORD_LOGIN"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return oidc.LoginSettings.from_env()

    assert settings() == oidc.LoginSettings()
    s = settings(ZHITONG_OIDC_ISSUER="https://iam.example.gov.cn/realms/city", ZHITONG_OIDC_CLIENT_ID="zhitong")
    assert (s.audience, s.scope, s.role_claim, s.role_prefix, s.password_login) == (
        "zhitong",
        "openid profile",
        "zhitong_role",
        "",
        True,
    )
    with pytest.raises(ConfigError, match="ZHITONG_OIDC_CLIENT_ID is required"):
        settings(ZHITONG_OIDC_ISSUER="https://iam.example.gov.cn/realms/city")
    with pytest.raises(ConfigError, match="https://"):
        settings(ZHITONG_OIDC_ISSUER="http://iam.example.gov.cn/realms/city", ZHITONG_OIDC_CLIENT_ID="zhitong")
    with pytest.raises(ConfigError, match="needs ZHITONG_OIDC_ISSUER"):
        settings(ZHITONG_PASSWORD_LOGIN="0")
    with pytest.raises(ConfigError, match="must be one of 0, 1"):
        settings(ZHITONG_PASSWORD_LOGIN="no")
