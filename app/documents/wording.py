"""The fixed wording of the bulletin and the case report, in Chinese and English.

Kept apart from the layout (app.documents.pdf) so that a new section adds its words here and
its HTML there; ``say`` is how the layout reads them.
"""

from __future__ import annotations

from app.domain.errors import Message

M = Message
#: The fixed wording of both documents, in Chinese and English.
TEXT: dict[str, Message] = {
    "bulletin": M("城市管理问题处置情况通报", "City Management Case Handling Bulletin"),
    "units_title": M("四、门前三包责任单位", "4. 门前三包 responsibility units"),
    "unit": M("责任单位", "Unit"),
    "letter_no": M("责任书编号", "Letter no."),
    "unit_reported": M("上报问题", "Reported"),
    "unit_closed": M("已结案", "Closed"),
    "unit_open": M("未结案", "Open"),
    "case_report": M("案件报告", "Case Report"),
    "period": M("统计周期：{period}", "Period: {period}"),
    "period_range": M("{start} 至 {end}", "{start} to {end}"),
    "as_of": M(
        "数据截至 {cutoff}，生成于 {generated}", "Figures as of {cutoff}, generated {generated}"
    ),
    "generated": M("生成于 {generated}", "Generated {generated}"),
    "page": M("第 {n} 页 / 共 {m} 页", "Page {n} of {m}"),
    "overview": M("一、总体情况", "1. Overview"),
    "summary": M(
        "本期共接收上报问题 {reports} 件，立案 {registered} 件；应结案 {due_to_close} 件，"
        "已结案 {closed_of_due} 件，结案率 {closure_rate}；应处置 {due_to_handle} 件，"
        "按期处置 {handled_on_time} 件，按期处置率 {on_time_rate}；返工率 {rework_rate}；"
        "超期未处置 {overdue} 件。",
        "In this period {reports} problems were reported and {registered} cases registered. "
        "Of {due_to_close} cases due to close, {closed_of_due} were closed (closure rate "
        "{closure_rate}); of {due_to_handle} due to be handled, {handled_on_time} were handled "
        "on time (on-time rate {on_time_rate}). Rework rate {rework_rate}; {overdue} cases are "
        "overdue.",
    ),
    "ranking": M("二、责任部门排名", "2. Department ranking"),
    "ranking_rule": M(
        "按按期处置率、结案率（高者在前）及返工率（低者在前）排序；本期无应处置案件的部门列于最后，不参与排名。",
        "Ranked by on-time rate and closure rate (higher first), then rework rate (lower first). "
        "Departments with nothing due in the period are listed last, unranked.",
    ),
    "top": M("表扬（排名靠前）：{names}", "Commended (top): {names}"),
    "bottom": M("通报（排名靠后）：{names}", "Named for improvement (bottom): {names}"),
    "no_ranking": M("本期没有可排名的部门。", "No department can be ranked for this period."),
    "sign_for": M(
        "签收及时率 {rate}（{on_time}/{due}，时限 {hours} 小时）。",
        "Sign-for timeliness {rate} ({on_time} of {due} within {hours} h).",
    ),
    "late_sign_for": M(
        "签收超时的部门：{names}", "Departments that signed for tasks late: {names}"
    ),
    "late_sign_for_item": M("{name}（{n} 件）", "{name} ({n})"),
    "overdue_title": M("三、超期未处置案件", "3. Overdue cases"),
    "overdue_count": M("共 {n} 件。", "{n} in all."),
    "none": M("无。", "None."),
    "typical_title": M("六、典型案例", "6. Typical cases"),
    "typical_case": M("案例 {n}：{category}", "Case {n}: {category}"),
    "coverage_title": M("五、巡查覆盖", "5. Patrol coverage"),
    "coverage_share": M(
        "网格覆盖率 {share}，未到访网格 {n} 个。", "Grid cells visited: {share}; {n} not visited."
    ),
    "inspector": M("监督员", "Inspector"),
    "distance_km": M("巡查里程（公里）", "Patrol distance (km)"),
    "patrol_h": M("在岗时长（小时）", "Time on patrol (h)"),
    "tracks": M("轨迹数", "Tracks"),
    "cells_visited": M("到访网格", "Cells visited"),
    "blind_spots": M("盲区网格", "Blind spots"),
    "rounds_due": M("重点部位应检", "Key-site rounds due"),
    "rounds_missed": M("漏检", "Missed"),
    "timeline": M("处置过程", "Timeline"),
    "comments": M("评论", "Comments"),
    "photos": M("照片", "Photos"),
    "before": M("处置前", "Before"),
    "after": M("处置后", "After"),
    "no_photo": M("（无照片）", "(no photo)"),
    "missing_photo": M("（照片文件缺失：{name}）", "(photo file missing: {name})"),
    "details": M("基本信息", "Details"),
    # figures
    "reports": M("上报数", "Reported"),
    "accepted": M("受理数", "Accepted"),
    "rejected": M("不予受理", "Rejected"),
    "valid_report_rate": M("有效上报率", "Valid-report rate"),
    "registered": M("立案数", "Registered"),
    "voided": M("作废数", "Voided"),
    "dispatched": M("派遣数", "Dispatched"),
    "closed": M("结案数", "Closed"),
    "due_to_close": M("应结案数", "Due to close"),
    "closed_of_due": M("已结案（应结案中）", "Closed (of due)"),
    "closure_rate": M("结案率", "Closure rate"),
    "due_to_handle": M("应处置数", "Due to handle"),
    "handled_on_time": M("按期处置数", "Handled on time"),
    "on_time_rate": M("按期处置率", "On-time rate"),
    "handled": M("处置数", "Handled"),
    "handled_late": M("超期处置数", "Handled late"),
    "reworked": M("返工数", "Reworked"),
    "rework_rate": M("返工率", "Rework rate"),
    "overdue": M("超期未处置", "Overdue"),
    "mean_hours": M("平均处置时长（小时）", "Mean handling time (hours)"),
    "rank": M("排名", "Rank"),
    "department": M("部门", "Department"),
    # tables
    "no": M("序号", "No."),
    "case_id": M("案件编号", "Case"),
    "category": M("类别", "Category"),
    "address": M("地址", "Address"),
    "responsible": M("责任部门", "Department"),
    "deadline": M("处置时限", "Deadline"),
    "days_overdue": M("超期天数", "Days overdue"),
    "description": M("问题描述", "Description"),
    "status": M("状态", "Status"),
    "urgency": M("紧急程度", "Urgency"),
    "position": M("位置", "Position"),
    "map_legend": M(
        "本期案件分布（红色为超期未处置案件）", "The period's cases (overdue cases in red)"
    ),
    "grid": M("单元网格", "Grid cell"),
    "observed_at": M("发现时间", "Observed"),
    "submitted_at": M("上报时间", "Submitted"),
    "author": M("上报人", "Reported by"),
    "when": M("时间", "When"),
    "action": M("环节", "Action"),
    "actor": M("操作人", "By"),
    "opinion": M("意见", "Opinion"),
    "commenter": M("评论人", "By"),
    "comment": M("内容", "Comment"),
    "closed_at": M("结案时间", "Closed"),
    "accuracy": M("精度 ±{m} 米", "accuracy ±{m} m"),
    # inspections (督导检查)
    "inspections_title": M("七、督导检查情况", "7. Scored inspections"),
    "inspections_summary": M(
        "本期通报检查 {n} 次，平均得分率 {mean}%。",
        "{n} inspections published in this period; mean score {mean} %.",
    ),
    "object": M("检查对象", "Object"),
    "mode": M("方式", "Mode"),
    "score": M("得分", "Score"),
    "percent": M("得分率", "Percent"),
    "how": M("计算过程", "How"),
    "object_ranking": M("检查对象排名", "Objects ranked"),
    "mean": M("平均得分率", "Mean"),
    "lowest": M("最低", "Lowest"),
    "count": M("检查次数", "Inspections"),
    "best": M("表扬（得分靠前）：{names}", "Commended (best scores): {names}"),
    "worst": M("通报（得分靠后）：{names}", "Named for improvement (lowest scores): {names}"),
    "exposed": M("曝光典型问题", "Typical problems exposed (曝光典型)"),
    "problem": M("问题 {n}：{object} — {item}", "Problem {n}: {object} — {item}"),
}


def say(key: str, language: str, **values: object) -> str:
    """The wording ``key`` in ``language``, with ``values`` filled in."""
    text = TEXT[key].text(language)
    return text.format(**values) if values else text
