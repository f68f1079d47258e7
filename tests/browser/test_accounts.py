"""Accounts in the browser: an administrator adds an officer and is shown the temporary password once; the officer
logs in with it, is led to choose a password of their own and then to the workbench; the window opens an account
for an enterprise on a phone; the administrator deactivates the officer with a reason and sees it in the trail."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PC, PHONE
from tests.browser.test_terminals import log_in

pytestmark = pytest.mark.browser


def test_an_administrator_adds_an_officer_who_then_chooses_a_password(suite, open_page):
    w = open_page(PC)
    page = w.page
    log_in(w, suite, "admin")
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    username = "zjj-" + uuid.uuid4().hex[:5]
    form = page.get_by_role("form", name="新建账号")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("姓名或名称").fill("住建局李明")
    form.locator("select[name=role]").select_option("officer")
    form.locator("select[name=department]").select_option("zjj")
    form.get_by_role("button", name="新建账号").click()
    issued = page.locator(".issued")
    expect(issued).to_contain_text(f"{username}（住建局李明）的临时密码")
    temporary = issued.locator(".secret").inner_text()
    assert len(temporary) == 12
    row = page.locator(f"tr[data-username='{username}']")
    expect(row).to_contain_text("待修改初始密码")
    expect(row).to_contain_text("住房和城乡建设局")
    w.shot("admin-pc-users")

    officer = open_page(PHONE)
    officer.page.goto("/login")
    officer.page.get_by_label("用户名").fill(username)
    officer.page.get_by_label("密码").fill(temporary)
    officer.page.get_by_role("button", name="登录").click()
    expect(officer.page).to_have_url(re.compile(r"/password"))
    expect(officer.page.get_by_role("status")).to_contain_text("您正在使用临时密码")
    officer.page.get_by_label("当前密码").fill(temporary)
    officer.page.get_by_label("新密码", exact=True).fill("onlyletters")
    officer.page.get_by_label("再次输入新密码").fill("onlyletters")
    officer.allow("status of 400")  # the refusal below, shown on the page
    officer.page.get_by_role("button", name="修改密码").click()
    expect(officer.page.get_by_role("alert")).to_have_text("请求有误：密码须同时包含字母和数字")
    officer.shot("password-phone")
    officer.page.get_by_label("新密码", exact=True).fill("Zhujian2026")
    officer.page.get_by_label("再次输入新密码").fill("Zhujian2026")
    officer.page.get_by_role("button", name="修改密码").click()
    expect(officer.page).to_have_url(re.compile(r"/dept$"))
    expect(officer.page.get_by_role("heading", level=1)).to_contain_text("待办")

    row.get_by_role("button", name="停用").click()
    page.get_by_role("form", name=f"停用 {username}").get_by_label("停用原因").fill("调离岗位")
    page.get_by_role("button", name="确认停用").click()
    expect(row).to_contain_text("已停用")
    row.get_by_role("button", name="留痕").click()
    trail = page.locator("tr.sub ol.history")
    expect(trail).to_contain_text("新建账号（admin）")
    expect(trail).to_contain_text(f"本人修改密码（{username}）")
    expect(trail).to_contain_text("停用（admin）：调离岗位")


def test_the_window_opens_an_account_for_an_enterprise_on_a_phone(suite, open_page):
    w = open_page(PHONE)
    page = w.page
    log_in(w, suite, "window-officer")
    page.get_by_role("link", name="企业账号").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("企业账号")
    form = page.get_by_role("form", name="新建账号")
    expect(form.locator("select[name=role]")).to_have_count(0)  # the window opens enterprise accounts only
    username = "e05-" + uuid.uuid4().hex[:5]
    form.get_by_label("用户名").fill(username)
    form.get_by_label("姓名或名称").fill("陈经理")
    form.locator("select[name=enterprise]").select_option("E05")
    form.get_by_role("button", name="开通账号").click()
    expect(page.locator(".issued .secret")).to_have_text(re.compile(r"^[A-Za-z0-9]{12}$"))
    row = page.locator(f"tr[data-username='{username}']")
    expect(row).to_contain_text("待修改初始密码")
    w.shot("window-phone-accounts")
    row.scroll_into_view_if_needed()  # on a phone each account is a card, its buttons within the screen
    box = row.get_by_role("button", name="重置密码").bounding_box()
    assert box and box["x"] + box["width"] <= 390
    w.shot("window-phone-accounts-list")
