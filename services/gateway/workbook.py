"""The monthly report as an XLSX workbook (openpyxl), one sheet per section, with the same numbers as the JSON:
rates are stored as numbers between 0 and 1 and shown as percentages."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter


def _cell(ws, row: int, column: int, value=None):
    """A cell holding `value`. Text is always stored as text: what an enterprise typed (a comment, a subject) must
    never become a live formula in the workbook a supervisor opens (=HYPERLINK(…), =cmd|…)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
PERCENT = "0.0%"

CITY_ROWS = [
    ("projects_registered", "新登记项目（个）", None),
    ("projects_finished", "办结项目（个）", None),
    ("items_decided", "办结审批事项（件）", None),
    ("items_on_time", "按时办结（件）", None),
    ("on_time_rate", "按时办结率（含在办超期）", PERCENT),
    ("items_blue", "超前办结（件）", None),
    ("items_red", "超期办结（件）", None),
    ("red_open", "截至统计日在办超期（件）", None),
    ("average_used_ratio", "平均用时 ÷ 时限", "0.00"),
    ("questions_due", "应答复留言（条）", None),
    ("reply_rate", "留言答复率", PERCENT),
    ("timely_rate", "留言按时答复率", PERCENT),
    ("ratings", "评价（次）", None),
    ("satisfaction_rate", "满意率", PERCENT),
    ("bad_ratings", "差评（次）", None),
    ("flags", "通报批评（次）", None),
    ("alerts", "预警短信（条）", None),
]

LEAGUE_COLUMNS = [
    ("rank", "排名", None),
    ("name_zh", "部门", None),
    ("items_decided", "办结事项", None),
    ("on_time_rate", "按时办结率", PERCENT),
    ("average_used_ratio", "平均用时÷时限", "0.00"),
    ("items_red", "超期办结", None),
    ("red_open", "截至统计日在办超期", None),
    ("questions_due", "应答复留言", None),
    ("reply_rate", "答复率", PERCENT),
    ("timely_rate", "按时答复率", PERCENT),
    ("satisfaction_rate", "满意率", PERCENT),
    ("flags", "通报批评", None),
]

OVERDUE_COLUMNS = [
    ("project_name", "项目", None),
    ("code", "事项编号", None),
    ("name_zh", "审批事项", None),
    ("department_name", "办理部门", None),
    ("status_zh", "状态", None),
    ("effective_days", "时限（工作日）", None),
    ("used_days", "已用（工作日）", None),
    ("days_overdue", "超期（工作日）", None),
    ("deadline", "截止日期", None),
]

FLAG_COLUMNS = [
    ("department_name", "部门", None),
    ("kind_zh", "问题", None),
    ("subject", "留言主题", None),
    ("note", "督办意见", None),
    ("flagged_by", "督办人", None),
    ("at", "时间", None),
]

BAD_RATING_COLUMNS = [
    ("department_name", "部门", None),
    ("score", "评分", None),
    ("title", "评价对象", None),
    ("comment", "评价意见", None),
    ("at", "评价时间", None),
    ("rectification_status", "整改状态", None),
    ("rectification_due_on", "整改期限", None),
    ("rectification_overdue", "整改超期", None),
]

RANKING_COLUMNS = [("rank", "排名", None), ("name_zh", "部门", None), ("score", "考核得分", "0.00")]

RECTIFICATION_ZH = {"open": "待整改", "responded": "已反馈待审核", "accepted": "已通过待回访", "revisited": "已回访"}


def _table(ws, columns, rows) -> None:
    for c, (_, title, _) in enumerate(columns, start=1):
        cell = _cell(ws, 1, column=c, value=title)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(c)].width = max(10, len(title) * 2 + 4)
    for r, row in enumerate(rows, start=2):
        for c, (key, _, fmt) in enumerate(columns, start=1):
            cell = _cell(ws, r, column=c, value=row.get(key))
            if fmt:
                cell.number_format = fmt
    ws.freeze_panes = "A2"


def monthly_report(report: dict) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    ws["A1"], ws["A1"].font = report["title"], Font(bold=True, size=14)
    ws["A2"] = f"范围：{report['department_name']}　统计截至：{report['as_of']}　生成时间：{report['generated_at']}"
    if published := report.get("publication"):
        ws["C1"] = f"{published['number']}　{published['published_by_name']} 发布于 {published['published_at'][:16]}"
        if published["note"]:
            ws["C2"] = f"督办按语：{published['note']}"
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 26, 14
    city = report["city"]
    for r, (key, title, fmt) in enumerate(CITY_ROWS, start=4):
        _cell(ws, r, column=1, value=title)
        cell = _cell(ws, r, column=2, value=city.get(key))
        if fmt:
            cell.number_format = fmt
    r = 4 + len(CITY_ROWS) + 1
    _cell(ws, r, column=1, value="办结项目时限压缩率").font = Font(bold=True)
    cell = _cell(ws, r, column=2, value=report["compression"]["ratio"])
    cell.number_format = PERCENT
    for t in report["compression"]["by_type"]:
        r += 1
        _cell(ws, r, column=1, value=f"　{t['name_zh']}（{t['finished']}个，平均{t['average_days']}个工作日）")
        _cell(ws, r, column=2, value=t["ratio"]).number_format = PERCENT

    _table(wb.create_sheet("部门排名"), LEAGUE_COLUMNS, report["departments"])
    _table(wb.create_sheet("超期事项"), OVERDUE_COLUMNS, report["overdue_items"])
    _table(wb.create_sheet("通报批评"), FLAG_COLUMNS, report["flagged_replies"])
    bad_rows = []
    for b in report["bad_ratings"]:
        rect = b.get("rectification") or {}
        bad_rows.append(
            {
                **b,
                "rectification_status": RECTIFICATION_ZH.get(rect.get("status"), "无") if rect else "无",
                "rectification_due_on": rect.get("due_on"),
                "rectification_overdue": ("是" if rect.get("overdue") else "否") if rect else None,
            }
        )
    _table(wb.create_sheet("差评整改"), BAD_RATING_COLUMNS, bad_rows)
    _table(wb.create_sheet("考核排名"), RANKING_COLUMNS, report["ranking"])
    return wb
