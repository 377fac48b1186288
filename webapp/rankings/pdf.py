"""The ranking for notice boards (物业服务企业考评排名公告): A4, Chinese, the red and black lists, every
estate's score with its derivation, the firms' district scores, and a QR code to the page."""

from __future__ import annotations

from webapp.printing.document import PdfWriter
from webapp.rankings.wording import BANDS, MEASURES, UNSCORED, measure_text, rule_text


def render_ranking(document: dict, sha256: str, *, page_url: str, progress=None) -> bytes:
    """``progress(done, total)`` is told after each estate (a district has many)."""
    period, rule, rows = document["period"], document["rule"], document["estates"]
    pdf = PdfWriter(f"{period['title']} 物业服务企业考评排名", footer=f"排名 SHA-256 {sha256}")
    pdf.title(f"{period['title']}物业服务企业考评排名（红黑榜）")
    pdf.paragraph(f"考评期：{period['from']} 至 {period['until']}（不含）。考评规则：{rule['title']}（第 {rule['version']} 版）。", 10.5)
    pdf.paragraph(rule_text(rule, True), 10.5)
    for band in ("red", "black"):
        listed = [r for r in rows if r["band"] == band]
        pdf.heading(f"{BANDS[band][0]}（{len(listed)}）")
        for r in listed:
            pdf.paragraph(f"{r['estate']['name']} · {r['firm']['name']} · {r['shown']} 分", 11)
        if not listed:
            pdf.small("无")
    pdf.rule()
    pdf.heading("各小区得分与计算")
    for n, r in enumerate(rows, start=1):
        head = f"第 {r['rank']} 名" if r["rank"] else "不计分"
        pdf.paragraph(f"{head}　{r['estate']['name']} · {r['firm']['name']}（{r['firm']['uscc']}）", 11)
        if r["score"] is None:
            pdf.small(UNSCORED[r["unscored"]][0], indent=12)
        else:
            parts = "，".join(f"{MEASURES[k][0]} {measure_text(v)}" for k, v in r["measures"].items() if rule["weights"].get(k))
            pdf.small(f"{parts}；得分 {r['shown']}（精确值 {r['score']}）" + (f"，{BANDS[r['band']][0]}" if r["band"] else ""), indent=12)
        for i in r.get("inspections", []):
            pdf.small(f"检查考核 {i['date']}：{measure_text(i['score'])} 分；签名文件 SHA-256 {i['document'][:16]}…", indent=12)
        for e in r["evaluations"]:
            pdf.small(
                f"测评 {e['id']}“{e['title']}”：收到答卷 {e['answers']} 份 / 已发凭证 {e['issued']} 个；结果 SHA-256 {e['result'][:16]}…",
                indent=12,
            )
        if progress:
            progress(n, len(rows))
    pdf.rule()
    pdf.heading("物业服务企业全区得分（所服务小区得分的平均）")
    for f in document["firms"]:
        pdf.paragraph(
            f"第 {f['rank']} 名　{f['firm']['name']}：{f['shown']} 分（{f['estates']} 个小区；红榜 {f['red']}，黑榜 {f['black']}）", 10.5
        )
    if not document["firms"]:
        pdf.small("本期没有计分的企业。")
    pdf.rule()
    pdf.small(f"本公告由排名的签名文件生成：SHA-256 {sha256}。任何人都可以复核：ownersvote verify-ranking ranking.json [测评结果.json …]")
    pdf.qr(page_url, caption=f"扫码查看排名、每项得分的计算和签名文件：{page_url}")
    return pdf.finish()
