"""The monthly security bulletin (治安简报) of a community as docx or PDF, built from its figures.

It reuses the disputes app's document writers (python-docx; reportlab with the embedded CJK font of ``core.pdf``,
so Chinese prints offline without font files). The bulletin is a Chinese document."""

from fengqiao.disputes.documents import _docx, _pdf

TITLE = "社区治安简报"


def blocks(f):
    out = [
        ("title", TITLE),
        ("meta", f"{f['place'].name} · {f['year']}年{f['month']}月"),
        ("heading", "一、案事件"),
        ("para", f"本月受理案事件 {f['cases']} 件，已办结 {f['cases_closed']} 件。"),
    ]
    if f["by_category"]:
        out.append(("indent", "；".join(f"{name}：{n} 件" for name, n in f["by_category"])))
    out += [
        ("heading", "二、矛盾纠纷"),
        ("para", f"本月登记矛盾纠纷 {f['disputes']} 件，已化解 {f['disputes_resolved']} 件。"),
        ("heading", "三、走访与民情"),
        (
            "para",
            f"本月走访 {f['visits']} 次，覆盖 {f['households_visited']} 户；"
            f"待跟进民情 {f['follow_ups_open']} 条。",
        ),
        ("heading", "四、巡防"),
        ("para", f"本月巡防 {f['patrols']} 次。"),
        ("heading", "五、宣传活动"),
        (
            "para",
            f"本月开展宣传活动 {f['activities']} 场，参加 {f['attendance']} 人次"
            + (f"（{'、'.join(f['activity_topics'])}）" if f["activity_topics"] else "")
            + "。",
        ),
        ("heading", "六、提示"),
        ("para", "请居民提高防范意识，警惕电信网络诈骗；发现安全隐患请及时告知网格员或社区民警。"),
    ]
    return out


def bulletin(figures, fmt):
    """(bytes, content type) of the bulletin in ``fmt`` (docx or pdf)."""
    ident = f"{figures['place'].code}-{figures['year']}{figures['month']:02d}"
    title = f"{TITLE} {ident}"
    if fmt == "docx":
        return (
            _docx(blocks(figures), title, ident, figures["place"].name),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    return _pdf(blocks(figures), title, ident, figures["place"].name), "application/pdf"
