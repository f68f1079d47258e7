"""The printable page of a project's approval plan (审批服务方案), in Chinese, rendered from the plan's JSON shape."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_plan(plan: dict) -> str:
    """The plan (views.plan) as a self-contained HTML page with print styles."""
    return _environment().get_template("approval_plan.html").render(plan=plan)
