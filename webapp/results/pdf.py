"""The results announcement (表决结果公告) for notice boards: A4, Chinese, every item with its
numbers and the reason in plain words, QR codes to the results page and to the audit bundle."""

from __future__ import annotations

from webapp.assemblies.presentation import convener
from webapp.core.timefmt import local
from webapp.printing.document import PdfWriter
from webapp.results.wording import option_names, reason_text


def render_announcement(assembly, notice: dict, result, *, page_url: str, bundle_url: str) -> bytes:
    estate = assembly.estate
    doc = result.document
    organiser = convener(assembly)
    pdf = PdfWriter(f"{estate.name} {assembly.title} 表决结果公告", footer=f"核证摘要 SHA-256 {result.sha256}", author=organiser)
    pdf.title(f"{estate.name}业主大会表决结果公告")
    pdf.paragraph(assembly.title, 13)
    pdf.paragraph(f"召集人：{organiser}")
    pdf.paragraph(
        f"投票时间：{local(assembly.opens_at, estate)} 至 {local(assembly.closes_at, estate)}。全体业主：专有部分面积 "
        f"{doc['totals']['area']} 平方米，业主 {doc['totals']['heads']} 人；共收到表决票 {doc['ballots']} 张（含废票；各事项的有效票与废票分列如下）。"
    )
    by_id = {item["id"]: item for item in notice["items"]}
    for n, (item_id, r) in enumerate(doc["items"].items(), start=1):
        pdf.rule()
        n_item = by_id.get(item_id, {"id": item_id, "title": item_id})
        names = option_names(n_item)
        pdf.heading(f"{n}. {n_item['title']}：{'通过' if r['passed'] else '未通过'}")
        part = r["participation"]
        pdf.paragraph(
            f"参与表决：面积 {part['area']} 平方米（占总面积 {part['of_totals']['area']}），人数 {part['heads']} 人（占总人数 {part['of_totals']['heads']}）。",
            10.5,
        )
        if r["kind"] == "resolution":
            for key, label in (("agree", "同意"), ("disagree", "反对"), ("abstain", "弃权"), ("invalid", "废票")):
                c = r["counts"][key]
                pdf.paragraph(
                    f"{label}：{c['area']} 平方米、{c['heads']} 人（占参与表决的 {c['of_participants']['area']} / {c['of_participants']['heads']}）",
                    10.5,
                    indent=10,
                )
        else:
            for option_id, c in (r.get("candidates") or r.get("options") or {}).items():
                marks = []
                if option_id in (r.get("elected") or []):
                    marks.append("当选")
                if option_id in (r.get("alternates") or []):
                    marks.append("候补")
                if r.get("winner") == option_id:
                    marks.append("选定")
                if option_id in (r.get("tie") or []):
                    marks.append("并列")
                if r.get("closest") == option_id:
                    marks.append("最接近")
                pdf.paragraph(f"{names.get(option_id, option_id)}：{c['area']} 平方米、{c['heads']} 人 {' '.join(marks)}", 10.5, indent=10)
            for key, label in (("abstain", "弃权"), ("invalid", "废票")):
                c = r["counts"][key]
                pdf.paragraph(f"{label}：{c['area']} 平方米、{c['heads']} 人", 10.5, indent=10)
        valid = r["participation"]["heads"] - r["counts"]["invalid"]["heads"]
        pdf.paragraph(f"本事项有效票 {valid} 人、废票 {r['counts']['invalid']['heads']} 人（按业主人数计）。", 10.5)
        pdf.small(reason_text(r, n_item, zh=True))
    pdf.rule()
    if notice["rules"].get("counting_rule"):
        pdf.small("本小区计票规则：" + notice["rules"]["counting_rule"])
    pdf.small("核证监督员：" + "、".join(name for name, _ in result.certifiers))
    if assembly.results_until:
        pdf.small(f"公示期至 {local(assembly.results_until, estate)}。业主如有异议，请在公示期内登录页面提出，监督员将书面答复。")
    pdf.qr(page_url, size=84, caption=f"结果网页：{page_url}")
    pdf.qr(bundle_url, size=84, caption=f"审计数据包：{bundle_url}　任何人可离线核验：ownersvote verify")
    pdf.paragraph(organiser)
    return pdf.finish()
