"""The public service guide (办事指南) of a project type, for anyone without login: stages, items, departments,
time limits, materials and process notes, taken from the catalog; and a QR code (SVG or PNG, drawn with segno)
that opens the guide page of the web client, to print for the service hall."""

from __future__ import annotations

import io
import ipaddress
import re
from urllib.parse import quote

import segno
from flask import Response, request
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit import config
from services.gateway import clients
from services.gateway.problems import Problem

# Process notes that hold for every project type (the rules of RULES.md in the words of a service guide).
GENERAL_NOTES = (
    "所有时限均为工作日，法定节假日不计，调休上班日计入。",
    "每个阶段只填一张表单，由政务服务中心综合窗口统一受理，各部门并联审批。",
    "材料一次上传、全程共享：已提交的材料和前序审批结果文书不再重复提交。",
    "受理后的下一个工作日开始计时；补正材料、专家评审等特别程序期间暂停计时。",
    "事项颜色：蓝=超前（提前办结），黄=正常，红=滞后（超过时限）。",
)


# What the catalog's `when` conditions mean, in the guide's words; a condition not listed here is shown as a plain
# "depends on the project" note.
CONDITION_ZH = {
    "needs_approval_catalog": "列入政府核准投资项目目录的项目",
    "allocated_land": "以划拨方式取得土地的项目",
    "eia_report": "须编制环境影响报告书的项目",
    "eia_form": "须编制环境影响报告表的项目",
    "eia_registration": "填报环境影响登记表的项目",
    "abstracts_water": "需要取水的项目",
    "major_structure": "重大建设工程和可能发生严重次生灾害的工程",
    "in_flood_zone": "位于洪泛区、蓄滞洪区内的项目",
    "over_limit_high_rise": "超限高层建筑工程",
    "occupies_road": "需要占用、挖掘城市道路或改动市政设施的项目",
    "affects_green_space": "占用城市绿地或砍伐、迁移树木的项目",
    "named_building": "需要命名的建筑物",
    "large_traffic_generator": "大型交通吸引项目",
    "special_fire_project": "特殊建设工程（消防）",
    "not_special_fire_project": "特殊建设工程以外的其他建设工程",
    "night_work": "需要夜间施工的项目",
}


def _catalog(project_type: str) -> wpb.GetCatalogResponse:
    cat = clients.workflow().call("GetCatalog", wpb.GetCatalogRequest(project_type=project_type))
    if project_type not in {t.code for t in cat.project_types}:
        choices = "、".join(f"{t.name_zh}（{t.code}）" for t in cat.project_types)
        raise Problem(
            404,
            f"没有“{project_type[:40]}”这一项目类型的办事指南，可选：{choices}",
            title="未找到办事指南",
        )
    return cat


LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"(?P<name>{LABEL}(?:\.{LABEL})*\.?|\[(?P<ip6>[0-9A-Fa-f:.]{{2,45}})\])(?::(?P<port>[0-9]{{1,5}}))?")


def _host(value: str, header: str) -> str:
    """`value` if it is a well-formed host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address), in
    lower case; otherwise a 400 problem in Chinese."""
    value = value.strip()
    match = HOST.fullmatch(value) if len(value) <= 260 else None
    ok = match is not None
    if ok and match["ip6"]:
        try:
            ok = ipaddress.ip_address(match["ip6"]).version == 6
        except ValueError:
            ok = False
    if ok and match["name"] and len(match["name"]) > 254:
        ok = False
    if ok and match["port"] is not None:
        ok = 1 <= int(match["port"]) <= 65535
    if not ok:
        raise Problem(
            400,
            f"请求头 {header} 不是有效的主机名（应为“主机名[:端口]”），无法生成办事指南的地址；"
            "请通过正确的网址访问，或由管理员设置 ZHITONG_PUBLIC_URL",
            title="主机名无效",
        )
    return value.lower()


def _first(value: str) -> str:
    return value.split(",", 1)[0].strip()


def _request_base() -> str:
    """scheme://host[:port] of the address this request came to: the Host header (checked), or behind a trusted
    proxy the first `X-Forwarded-Host` and `X-Forwarded-Proto`."""
    scheme = request.scheme if request.scheme in ("http", "https") else "http"
    host_header, host = "Host", request.headers.get("Host") or request.host
    if config.trust_proxy():
        proto = _first(request.headers.get("X-Forwarded-Proto", ""))
        if proto:
            if proto.lower() not in ("http", "https"):
                raise Problem(400, "请求头 X-Forwarded-Proto 只能是 http 或 https", title="代理请求头无效")
            scheme = proto.lower()
        forwarded = _first(request.headers.get("X-Forwarded-Host", ""))
        if forwarded:
            host_header, host = "X-Forwarded-Host", forwarded
    return f"{scheme}://{_host(host, host_header)}"


def guide_url(project_type: str) -> str:
    """The absolute address of the guide page: under `ZHITONG_PUBLIC_URL` when set (the address the public
    reaches the suite by), else under the host this request came to (checked; behind a trusted proxy, the one
    the proxy names)."""
    base = config.text("ZHITONG_PUBLIC_URL", "") or _request_base()
    return f"{base.rstrip('/')}/guide/{quote(project_type, safe='')}"


def get(project_type):
    cat = _catalog(project_type)
    kind = next(t for t in cat.project_types if t.code == project_type)
    departments = {d.code: d.name_zh for d in cat.departments}
    materials = {m.code: m.name_zh for m in cat.materials}
    stages = []
    for s in sorted(cat.stages, key=lambda s: s.order):
        limit = kind.stage_days.get(s.code, 0)
        items = [
            {
                "code": i.code,
                "name_zh": i.name_zh,
                "department": i.department,
                "department_zh": departments.get(i.department, i.department),
                "statutory_days": i.statutory_days,
                "promised_days": i.promised_days,
                "effective_days": min(i.promised_days, limit),
                "materials": [{"code": m, "name_zh": materials.get(m, m)} for m in i.materials],
                "produces": {"code": i.produces, "name_zh": materials.get(i.produces, i.produces)}
                if i.produces
                else None,
                "notes": _item_notes(i, materials),
            }
            for i in cat.items
            if i.stage == s.code
        ]
        shared = sorted({m for i in cat.items if i.stage == s.code for m in i.materials})
        stages.append(
            {
                "code": s.code,
                "name_zh": s.name_zh,
                "stage_days": limit,
                "items": items,
                "materials": [{"code": m, "name_zh": materials.get(m, m)} for m in shared],
            }
        )
    return {
        "project_type": kind.code,
        "name_zh": kind.name_zh,
        "target_days": kind.target_days,
        "pre_reform_days": kind.pre_reform_days,
        "catalog_version": cat.version,
        "stages": stages,
        "notes": list(GENERAL_NOTES),
        "url": guide_url(kind.code),
        "qr": {
            "svg": f"/api/v1/guide/{kind.code}/qr.svg",
            "png": f"/api/v1/guide/{kind.code}/qr.png",
        },
    }


def _item_notes(item: wpb.CatalogItem, materials: dict[str, str]) -> list[str]:
    notes = []
    if item.when:
        who = CONDITION_ZH.get(item.when)
        notes.append(f"适用于：{who}" if who else "视项目情况办理，窗口受理时确认是否需要")
    if item.waived_by_regional_evaluation:
        notes.append("项目位于已完成区域评估的区域内的，免于办理")
    if item.promised_days == 0:
        notes.append("即办：受理当日办结")
    if item.produces:
        notes.append(f"办结后出具《{materials.get(item.produces, item.produces)}》，后续事项直接共享，无需再提交")
    return notes


def qr_svg(project_type):
    return _qr(project_type, "svg")


def qr_png(project_type):
    return _qr(project_type, "png")


def _qr(project_type: str, kind: str) -> Response:
    _catalog(project_type)  # a QR code only for a guide that exists
    url = guide_url(project_type)
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=8, border=4, title=f"办事指南 {project_type}", xmldecl=True)
        media = "image/svg+xml"
    else:
        code.save(out, kind="png", scale=10, border=4)
        media = "image/png"
    response = Response(out.getvalue(), content_type=media)
    response.headers["X-Guide-URL"] = url
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
