"""The gateway's public guide with its QR codes, the web client's files at `/`, and the big screen's token; no
backend runs: the guide reads the shipped catalog through workflow's own GetCatalog mapping."""

from __future__ import annotations

import io
import struct
import zlib
from types import SimpleNamespace

import jwt
import pytest

from kit import config
from kit.catalog import load_catalog
from services.workflow.servicer import WorkflowServicer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CatalogOnlyWorkflow:
    """Answers GetCatalog as the workflow service does, from data/catalog.yaml."""

    def __init__(self):
        catalog = load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG"))
        self.servicer = SimpleNamespace(workflow=SimpleNamespace(catalog=catalog))

    def call(self, method, request, **_kwargs):
        assert method == "GetCatalog"
        return WorkflowServicer.GetCatalog(self.servicer, request, None)


@pytest.fixture
def client(make_client, monkeypatch, tmp_path):
    from services.gateway import clients

    monkeypatch.setattr(clients, "workflow", CatalogOnlyWorkflow)
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><html lang="zh-CN"><div id="app"></div></html>', "utf-8")
    (dist / "assets" / "index-3f2a9c1b.js").write_text("console.log('app')", "utf-8")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", "utf-8")
    monkeypatch.setenv("ZHITONG_WEB_DIR", str(dist))
    return make_client("manual")


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the inflated image data of a PNG, read chunk by chunk with its CRCs checked."""
    assert data.startswith(PNG_SIGNATURE)
    pos, width, height, idat = len(PNG_SIGNATURE), 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


# ---- the guide ----


def test_guide_lists_stages_items_departments_limits_and_materials_without_login(client):
    r = client.get("/api/v1/guide/low_risk")
    assert r.status_code == 200
    guide = r.json()
    assert guide["name_zh"] == "社会投资简易低风险工程建设项目" and guide["target_days"] == 20
    assert [s["code"] for s in guide["stages"]] == ["S1", "S2", "S3", "S4"]
    s1 = guide["stages"][0]
    assert s1["stage_days"] == 3
    permit = next(i for i in s1["items"] if i["code"] == "S1-07")
    assert permit["department_zh"] == "自然资源和规划局"
    assert (permit["statutory_days"], permit["promised_days"], permit["effective_days"]) == (20, 5, 3)
    assert {"code": "M01", "name_zh": "营业执照"} in permit["materials"]
    assert permit["produces"] == {"code": "M06", "name_zh": "建设用地规划许可证"}
    # only items of this project type: the approval of a government project is not in a low-risk guide
    assert "S1-03" not in {i["code"] for s in guide["stages"] for i in s["items"]}
    # low-risk projects have no drawing review, so the construction permit does not ask for its certificate
    s3_permit = next(i for i in guide["stages"][2]["items"] if i["code"] == "S3-04")
    assert "M12" not in {m["code"] for m in s3_permit["materials"]}
    assert any("工作日" in n for n in guide["notes"])
    assert guide["url"] == "http://testserver/guide/low_risk"


def test_guide_of_an_unknown_project_type_is_a_chinese_404_problem(client):
    for path in ("/api/v1/guide/castle", "/api/v1/guide/castle/qr.svg", "/api/v1/guide/castle/qr.png"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "castle" in r.json()["detail"] and "low_risk" in r.json()["detail"]
    r = client.get("/api/v1/guide/" + "x" * 41)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


def test_qr_svg_and_png_encode_the_guide_address(client):
    svg = client.get("/api/v1/guide/general_social/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["x-guide-url"] == "http://testserver/guide/general_social"
    assert b"<svg" in svg.content and b"<path" in svg.content

    png = client.get("/api/v1/guide/general_social/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["x-guide-url"] == "http://testserver/guide/general_social"
    width, height, pixels = png_pixels(png.content)
    assert width == height and width >= 200 and pixels  # a square image with content

    # the same address drawn by segno gives the same modules: the code holds exactly the guide's address
    import segno

    expected = io.BytesIO()
    segno.make(png.headers["x-guide-url"], error="m", micro=False).save(expected, kind="png", scale=10, border=4)
    assert png_pixels(expected.getvalue())[2] == pixels


def test_public_base_url_setting_wins_over_the_request_host(client, monkeypatch):
    monkeypatch.setenv("ZHITONG_PUBLIC_URL", "https://zhitong.example.gov.cn/")
    assert client.get("/api/v1/guide/low_risk").json()["url"] == "https://zhitong.example.gov.cn/guide/low_risk"
    r = client.get("/api/v1/guide/low_risk/qr.svg", headers={"Host": 'a"><script>x'})
    assert r.headers["x-guide-url"] == "https://zhitong.example.gov.cn/guide/low_risk"


def problem_of(r, status=400) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_a_malformed_host_is_a_chinese_400_not_a_broken_address(client):
    for host in ('a"><script>x', "evil.example/path", "host:99999", "[zz]", "a b", "-x.example", "h:", "ab." * 90):
        for path in ("/api/v1/guide/low_risk/qr.svg", "/api/v1/guide/low_risk/qr.png", "/api/v1/guide/low_risk"):
            body = problem_of(client.get(path, headers={"Host": host}))
            assert "主机名" in body["detail"] and "Host" in body["detail"], (host, path)
            assert "script" not in body["detail"]
    for host, base in (
        ("zhitong.local:8443", "http://zhitong.local:8443"),
        ("Hall.Example.gov.cn", "http://hall.example.gov.cn"),
        ("192.168.1.20:8080", "http://192.168.1.20:8080"),
        ("[2001:db8::1]:8080", "http://[2001:db8::1]:8080"),
    ):
        r = client.get("/api/v1/guide/low_risk/qr.svg", headers={"Host": host})
        assert r.status_code == 200 and r.headers["x-guide-url"] == f"{base}/guide/low_risk", host


def test_forwarded_headers_count_only_behind_a_trusted_proxy(client, monkeypatch):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "zhitong.example.gov.cn, proxy.internal"}
    r = client.get("/api/v1/guide/low_risk/qr.svg", headers=forwarded)
    assert r.headers["x-guide-url"] == "http://testserver/guide/low_risk"
    monkeypatch.setenv("ZHITONG_TRUST_PROXY", "1")
    r = client.get("/api/v1/guide/low_risk/qr.svg", headers=forwarded)
    assert r.headers["x-guide-url"] == "https://zhitong.example.gov.cn/guide/low_risk"
    # without the proxy's headers, the request's own host
    assert client.get("/api/v1/guide/low_risk").json()["url"] == "http://testserver/guide/low_risk"
    body = problem_of(client.get("/api/v1/guide/low_risk/qr.svg", headers={"X-Forwarded-Host": 'a"><b'}))
    assert "X-Forwarded-Host" in body["detail"]
    body = problem_of(client.get("/api/v1/guide/low_risk/qr.svg", headers={"X-Forwarded-Proto": "javascript"}))
    assert "X-Forwarded-Proto" in body["detail"]


# ---- the web client's files ----


def test_client_routes_get_the_page_and_hashed_assets_a_long_cache(client):
    for path in ("/", "/enterprise", "/screen", "/guide/low_risk", "/dept/items/abc"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html") and b'id="app"' in r.content
        assert r.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-3f2a9c1b.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert client.get("/favicon.svg").status_code == 200
    gone = client.get("/assets/index-00000000.js")  # an asset of an older build is a 404, not the page
    assert gone.status_code == 404


def test_api_and_operations_paths_are_never_answered_with_the_page(client):
    for path in ("/api/v1/no-such-endpoint", "/api/v2/projects", "/api", "/metrics", "/readyz/extra", "/healthz/x"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/v1/projects").status_code == 401  # still the API, asking for a login
    assert client.get("/api/v1/ui/").status_code == 200  # Swagger UI stays where it was


def test_without_a_build_the_page_says_how_to_make_one(client, monkeypatch, tmp_path):
    monkeypatch.setenv("ZHITONG_WEB_DIR", str(tmp_path / "nothing-here"))
    r = client.get("/enterprise")
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert "make web" in r.text and "网页客户端尚未构建" in r.text


# ---- the big screen's token ----


def test_screen_token_is_long_lived_and_only_for_screen_users(make_client):
    make_client("manual")
    from services.gateway.users import NotAScreen, gateway_sessions, issue_screen_token

    token = issue_screen_token(gateway_sessions(), "screen", 365, manual_clock=True)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["role"] == "screen" and claims["exp"] - claims["iat"] == 365 * 86400
    with pytest.raises(NotAScreen):
        issue_screen_token(gateway_sessions(), "admin", 365, manual_clock=True)
    with pytest.raises(NotAScreen):  # demo users do not exist on the system clock
        issue_screen_token(gateway_sessions(), "screen", 365, manual_clock=False)
