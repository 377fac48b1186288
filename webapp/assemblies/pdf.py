"""The printable notice (公告) for notice boards: A4, Chinese, with a QR code to the page and the
notice's SHA-256, so that a reader can check that the page says what the paper says."""

from __future__ import annotations

from datetime import UTC, datetime

from webapp.assemblies.kinds import kind_of
from webapp.core.timefmt import zone, zone_names
from webapp.estates.thresholds import ARTICLE_278_ZH, CATEGORIES, thresholds_for
from webapp.printing.document import PdfWriter, date_zh

KIND_ZH = {"first": "首次业主大会会议", "regular": "定期业主大会会议", "extraordinary": "临时业主大会会议"}


def _time(ms: int, estate) -> str:
    return date_zh(datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone(estate)))


def render_notice(document: dict, *, estate, page_url: str, sha256: str, convener: str) -> bytes:
    pdf = PdfWriter(
        f"{document['estate']['name']} {document['title']}",
        footer=f"公告摘要 SHA-256 {sha256}",
        author=convener,
    )
    pdf.title(f"{document['estate']['name']}业主大会公告")
    pdf.paragraph(f"{document['title']}（{KIND_ZH.get(document['kind'], '')}，第 {document['version']} 版）", 13)
    pdf.paragraph(f"召集人：{convener}")
    pdf.paragraph(f"投票时间：{_time(document['opens'], estate)} 至 {_time(document['closes'], estate)}（{zone_names(estate)[0]}）")
    pdf.paragraph(
        "投票方式：业主用登记过的手机扫描下方二维码，打开公告页面后点“投票”，在手机上签名投票，并保存回执。"
        "不方便使用手机的业主，可向组织者领取纸质表决票，填写签名后交回。"
    )
    if document["replace_allowed"]:
        pdf.paragraph("本次会议允许在截止前改票，以最后一次为准。")
    else:
        pdf.paragraph("选票一经提交不能更改；每位业主只计一票。")
    pdf.qr(page_url, caption=f"公告网页：{page_url}　网页上可下载附件并核对其 SHA-256 摘要。")
    rules = document["rules"]
    for n, item in enumerate(document["items"], start=1):
        pdf.rule()
        category = CATEGORIES[item["category"]]
        pdf.heading(f"{n}. {item['title']}")
        pdf.small(f"{kind_of(item['kind']).title_zh}；《民法典》第二百七十八条第一款第（{item['category']}）项：{category.zh}")
        pdf.small(thresholds_for(item["category"], rules["thresholds"]).explain(True))
        if item.get("text"):
            pdf.paragraph(item["text"], 10.5)
        if item["kind"] == "election":
            pdf.paragraph(
                f"应选 {item['seats']} 名；每张选票最多选 {item['seats']} 名，多选则该事项作废。候选人（审查通过并已公示）：", 10.5
            )
        elif item["kind"] != "resolution":
            pdf.paragraph(kind_of(item["kind"]).sheet_hint_zh(item), 10.5)
        for option in item.get("options", []):
            line = option["name"]
            if option.get("uscc"):
                line += f"　统一社会信用代码 {option['uscc']}　报价 {option['fee']} 元/平方米·月"
            pdf.paragraph("· " + line, 10.5, indent=10)
            for said in (option.get("statement"), option.get("text")):
                if said:
                    pdf.small(said[:400] + ("…" if len(said) > 400 else ""), indent=22)
            if option.get("attachment_sha256"):
                pdf.small(f"附件 {option['attachment_name']}  SHA-256 {option['attachment_sha256']}", indent=22)
            for att in option.get("attachments", []):
                pdf.small(f"附件 {att['name']}  SHA-256 {att['sha256']}", indent=22)
        for att in item.get("attachments", []):
            pdf.small(f"附件 {att['name']}  SHA-256 {att['sha256']}")
    pdf.rule()
    pdf.small(ARTICLE_278_ZH)
    if rules.get("counting_rule"):
        pdf.small("本小区计票规则：" + rules["counting_rule"])
    pdf.small(f"监督员核证需要 {rules['required_signatures']} 个签名。咨询：{estate.help_text or '物业服务中心或社区居委会'}")
    pdf.small(f"发布时间：{_time(document['published_at'], estate)}　公告摘要 SHA-256：{sha256}")
    pdf.paragraph(convener)
    return pdf.finish()
