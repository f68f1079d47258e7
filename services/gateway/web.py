"""The web client (web/, built by `make web` into web/dist) served at `/`: its files as they are, and index.html for
every other path so that the client's own routes (/enterprise, /screen, /guide/low_risk, …) survive a reload.
Paths of the API and of the operations endpoints are never answered with the page: a wrong API address stays a
404 problem, not an HTML page that a client would try to parse."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from kit import config
from kit.config import ROOT

# Prefixes that belong to the API and to operations, never to the web client.
RESERVED = ("api", "metrics", "healthz", "readyz")
# Vite puts content-hashed files here: a new build gets new names, so they can be cached for a year.
HASHED_DIR = "assets"
LONG_CACHE = "public, max-age=31536000, immutable"
MISSING_BUILD = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>直通 · 网页客户端尚未构建</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em; line-height: 1.6">
<h1>网页客户端尚未构建</h1>
<p>服务器上没有找到构建好的网页客户端（{dist}）。请在项目目录运行 <code>make web</code>（<code>make run</code>
也会自动构建），然后刷新本页。</p>
<p>接口仍可使用：<a href="/api/v1/ui/">/api/v1/ui/</a>（接口文档）。</p>
</body></html>
"""


def web_dir() -> Path:
    """Where the built client lies: `ZHITONG_WEB_DIR`, by default web/dist of the repository."""
    return Path(config.text("ZHITONG_WEB_DIR", str(ROOT / "web" / "dist")))


def reserved(path: str) -> bool:
    first = path.strip("/").split("/", 1)[0]
    return first in RESERVED


def register(flask_app: Flask) -> None:
    """Adds `/` and the catch-all route of the web client to the gateway's Flask app."""
    flask_app.add_url_rule("/", "web_index", serve, defaults={"path": ""})
    flask_app.add_url_rule("/<path:path>", "web", serve)


def serve(path: str) -> Response:
    if reserved(path):
        raise NotFound()
    root = web_dir()
    index = root / "index.html"
    if not index.is_file():
        return Response(MISSING_BUILD.format(dist=root), status=503, content_type="text/html; charset=utf-8")
    target = safe_join(str(root), path) if path else None
    if target is not None and Path(target).is_file():
        response = send_from_directory(root, path)
        if path.startswith(HASHED_DIR + "/"):
            response.headers["Cache-Control"] = LONG_CACHE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
    if path.startswith(HASHED_DIR + "/"):
        raise NotFound()  # an old hashed file after a new build: a 404, not the page in its place
    response = send_from_directory(root, "index.html")
    response.headers["Cache-Control"] = "no-cache"  # always revalidated, so a new build is picked up at once
    return response
