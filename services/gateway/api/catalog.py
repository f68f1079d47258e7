"""GET /catalog, GET /catalog/items."""

from __future__ import annotations

from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients
from services.gateway.problems import Problem


def _catalog(project_type: str = "") -> wpb.GetCatalogResponse:
    return clients.workflow().call("GetCatalog", wpb.GetCatalogRequest(project_type=project_type))


def overview():
    cat = _catalog()
    return {
        "version": cat.version,
        "project_types": [
            {
                "code": t.code,
                "name_zh": t.name_zh,
                "target_days": t.target_days,
                "pre_reform_days": t.pre_reform_days,
                "stage_days": dict(t.stage_days),
            }
            for t in cat.project_types
        ],
        "stages": [{"code": s.code, "order": s.order, "name_zh": s.name_zh} for s in cat.stages],
        "departments": [{"code": d.code, "name_zh": d.name_zh} for d in cat.departments],
        "materials": [{"code": m.code, "name_zh": m.name_zh} for m in cat.materials],
    }


def items(project_type=None):
    cat = _catalog(project_type or "")
    if project_type and project_type not in {t.code for t in cat.project_types}:
        raise Problem(400, f"项目类型“{project_type}”不存在，可选：{'、'.join(t.code for t in cat.project_types)}")
    return [
        {
            "code": i.code,
            "stage": i.stage,
            "department": i.department,
            "name_zh": i.name_zh,
            "promised_days": i.promised_days,
            "statutory_days": i.statutory_days,
            "materials": list(i.materials),
            "produces": i.produces or None,
            "applies_to": list(i.applies_to),
            "when": i.when or None,
            "waived_by_regional_evaluation": i.waived_by_regional_evaluation,
        }
        for i in cat.items
    ]
