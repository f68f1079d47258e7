"""Single sign-on (统一身份认证) in the browser, against a suite of its own configured for the fake OpenID provider
of tests/oidc_provider.py (roles in `realm_access.roles` with the prefix `zhitong-`, as a Keycloak realm gives
them): 统一身份认证登录 goes to the provider, which logs an officer in at once and sends the browser back; the
callback has the code exchanged with PKCE and lands on the officer's workbench, or on the page asked for. Refusals
by the provider or by the gateway, and a forged state, are shown in Chinese; with password logins off the login
page offers single sign-on only."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PC, PHONE, watched_pages
from tests.e2e.conftest import own_vhost, start_suite
from tests.oidc_provider import FakeIssuer, s256

pytestmark = pytest.mark.browser

OFFICER = {
    "preferred_username": "zjj.liming",
    "name": "住建局李明",
    "realm_access": {"roles": ["offline_access", "uma_authorization", "zhitong-officer"]},
    "zhitong_department": "zjj",
}


@pytest.fixture(scope="module")
def issuer():
    with FakeIssuer() as running:
        yield running


@pytest.fixture(autouse=True)
def officer_logs_in(issuer):
    issuer.user, issuer.refuse = dict(OFFICER), None
    issuer.exchanges.clear()


@pytest.fixture(scope="module")
def sso_suite(tmp_path_factory, issuer):
    """A suite of this module's own (the package's suite has no identity platform), stopped after its tests."""
    settings = issuer.env(role_claim="realm_access.roles", role_prefix="zhitong-")
    with own_vhost() as url:
        suite = start_suite(tmp_path_factory.mktemp("var-sso"), url, extra_env=settings)
        try:
            yield suite
        finally:
            suite.stop()


@pytest.fixture
def sso_page(browser, sso_suite):
    with watched_pages(browser, sso_suite.base) as make:
        yield make


def sign_on_button(page):
    return page.get_by_role("button", name="统一身份认证登录", exact=True)


def test_an_officer_signs_on_and_lands_on_the_workbench(sso_page, issuer):
    w = sso_page(PC)
    page = w.page
    page.goto("/login")
    expect(page.get_by_label("用户名")).to_be_visible()  # password logins stay on beside it
    w.shot("login-pc-sso")
    sign_on_button(page).click()
    expect(page).to_have_url(re.compile(r"/dept$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    # the queue came from the backends with the issuer's token: rows, or the line saying there are none
    queue = page.locator("table.queue tbody tr").first.or_(page.get_by_text("没有符合条件的事项"))
    expect(queue).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".who")).to_contain_text("住建局李明")
    expect(page.get_by_role("link", name="修改密码")).to_have_count(0)  # the platform keeps the password
    session = json.loads(page.evaluate("localStorage.getItem('zhitong.session')"))
    assert session["user"] == {
        "username": "zjj.liming",
        "role": "officer",
        "department": "zjj",
        "enterprise": None,
        "display_name": "住建局李明",
        "must_change_password": False,
        "sso": True,
    }
    assert page.evaluate("sessionStorage.getItem('zhitong.sso')") is None  # the flow's state is used once
    # the client did PKCE: the provider took the code only with the verifier whose S256 challenge it was sent
    [exchange] = issuer.exchanges
    assert exchange.redirect_uri == f"{page.evaluate('location.origin')}/login/callback"
    assert len(exchange.code_verifier) == 43 and s256(exchange.code_verifier) == exchange.code_challenge


def test_after_signing_on_the_page_asked_for_opens(sso_page):
    page = sso_page(PHONE).page
    page.goto("/dept/consultations")
    expect(page).to_have_url(re.compile(r"/login\?next=/dept/consultations"))
    sign_on_button(page).click()
    expect(page).to_have_url(re.compile(r"/dept/consultations$"))


def test_refusals_and_a_forged_state_are_shown_in_chinese(sso_page, issuer):
    w = sso_page(PC)
    page = w.page
    issuer.refuse = ("access_denied", "User denied access")
    page.goto("/login")
    sign_on_button(page).click()
    expect(page).to_have_url(re.compile(r"/login/callback\?error=access_denied"))
    expect(page.get_by_role("alert")).to_have_text(
        "统一身份认证登录失败：您取消了登录，或您的账号无权使用本系统。平台说明：User denied access"
    )
    page.get_by_role("link", name="返回登录页").click()
    expect(sign_on_button(page)).to_be_visible()

    # the platform logs in someone the suite cannot place: the gateway refuses the exchanged token
    issuer.refuse = None
    issuer.user = {k: v for k, v in OFFICER.items() if k != "zhitong_department"}
    w.allow("status of 401")  # the browser's own line for the refused exchange, shown on the page
    sign_on_button(page).click()
    expect(page.get_by_role("alert")).to_have_text(
        "未登录或登录已过期：统一身份认证账号“zjj.liming”是审批人员或部门负责人，但未指定所属部门"
        "（zhitong_department），请联系系统管理员"
    )

    # a callback this browser did not start
    page.goto("/login/callback?code=stolen&state=forged")
    expect(page.get_by_role("alert")).to_have_text(
        "统一身份认证登录失败：登录状态已失效（可能在其他窗口重新发起了登录），请重新登录"
    )
    page.evaluate("sessionStorage.setItem('zhitong.sso', JSON.stringify({state: 'mine', verifier: 'v'}))")
    page.goto("/login/callback?code=stolen&state=forged")
    expect(page.get_by_role("alert")).to_have_text("统一身份认证登录失败：登录状态校验失败（state 不一致），请重新登录")
    assert len(issuer.exchanges) == 1  # only the exchange above reached the platform


def test_with_password_logins_off_the_page_offers_single_sign_on_only(sso_page):
    page = sso_page(PHONE).page

    def password_login_off(route):
        providers = route.fetch().json()
        route.fulfill(json={**providers, "password_login": False})

    page.route("**/api/v1/auth/providers", password_login_off)
    page.goto("/login")
    expect(sign_on_button(page)).to_be_visible()
    expect(page.get_by_text("本系统已关闭账号密码登录，请使用统一身份认证。")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_count(0)
