"""The printable QR letters, checked the way an owner meets them: as printed pages.

The PDF is rasterised with poppler's ``pdftoppm`` and the QR code on each page is decoded back
with zxing-cpp (a real round trip); the text is read back with ``pdftotext``. Without poppler
these tests skip with a message, except in CI (CI=true), where a missing tool fails.
"""

from __future__ import annotations

import base64
import datetime
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import IN_CI, require_tool, zxing
from webapp.owners.letters import TITLE, Letter, render_letters, unit_label
from webapp.printing.fonts import font_info


def _token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def _letter(building: str, unit: str, code: str, **overrides) -> Letter:
    fields = dict(
        estate_name="绿苑小区",
        building=building,
        unit=unit,
        url=f"https://vote.example.cn/r/{_token()}",
        code=code,
        code_url="https://vote.example.cn/r",
        expires_on=datetime.date(2025, 6, 30),
        help_text="物业服务中心 0571-88886666，或社区居委会",
        organiser="绿苑小区业主大会筹备组",
    )
    fields.update(overrides)
    return Letter(**fields)


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _squash(text: str) -> str:
    """pdftotext output without whitespace (it may split or space out runs of text)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def letters() -> list[Letter]:
    return [
        _letter("3", "1201", "K7QF-9M2X-H3RT"),
        _letter("12", "0502", "P4WD-7RNC-2KXB", expires_on=datetime.date(2025, 12, 1)),
    ]


@pytest.fixture(scope="module")
def pdf(letters, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("letters") / "letters.pdf"
    path.write_bytes(render_letters(letters))
    return path


@pytest.fixture(scope="module")
def pages_png(pdf) -> list[Path]:
    tool = require_tool("pdftoppm")
    subprocess.run([tool, "-r", "150", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    return sorted(pdf.parent.glob("letters-*.png"))


def _pdftotext(pdf: Path, page: int | None = None) -> str:
    tool = require_tool("pdftotext")
    args = [tool, "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + [str(pdf), "-"], check=True, capture_output=True).stdout.decode()


# ------------------------------------------------------------------------------------------
# The QR code round trip


def test_each_page_has_one_qr_code_that_decodes_to_its_letters_url(letters, pages_png):
    zxingcpp = zxing()
    from PIL import Image

    assert len(pages_png) == len(letters)
    for letter, png in zip(letters, pages_png, strict=True):
        found = zxingcpp.read_barcodes(Image.open(png))
        qrs = [b for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
        assert len(qrs) == 1, f"{png.name}: expected one QR code, found {len(qrs)}"
        assert qrs[0].text == letter.url
        assert qrs[0].ec_level in ("M", "Q"), qrs[0].ec_level


def test_qr_code_is_printed_large_enough_for_old_phone_cameras(pages_png):
    zxingcpp = zxing()
    from PIL import Image

    (qr,) = zxingcpp.read_barcodes(Image.open(pages_png[0]), formats=zxingcpp.BarcodeFormat.QRCode)
    width_px = qr.position.top_right.x - qr.position.top_left.x
    width_cm = width_px / 150 * 2.54
    assert width_cm >= 5.0, f"QR code only {width_cm:.1f} cm wide (without quiet zone)"


def test_qr_code_still_decodes_from_a_coarse_grayscale_rendering(letters, pdf):
    """A cheap black-and-white print or a low-resolution scan: 72 dpi, grey levels only."""
    zxingcpp = zxing()
    from PIL import Image

    tool = require_tool("pdftoppm")
    out = pdf.parent / "coarse"
    subprocess.run([tool, "-r", "72", "-gray", "-png", str(pdf), str(out)], check=True)
    pngs = sorted(pdf.parent.glob("coarse-*.png"))
    assert [b.text for png in pngs for b in zxingcpp.read_barcodes(Image.open(png))] == [letter.url for letter in letters]


def test_pages_use_no_colour_so_they_print_the_same_in_black_and_white(pages_png):
    from PIL import Image, ImageChops

    for png in pages_png:
        r, g, b = Image.open(png).convert("RGB").split()
        assert ImageChops.difference(r, g).getbbox() is None, png.name
        assert ImageChops.difference(g, b).getbbox() is None, png.name


# ------------------------------------------------------------------------------------------
# Pages and text


def test_one_a4_page_per_letter(letters, pdf):
    tool = require_tool("pdfinfo")
    info = subprocess.run([tool, str(pdf)], check=True, capture_output=True).stdout.decode()
    assert re.search(r"^Pages:\s+2$", info, re.M), info
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info, re.M), info


def test_each_page_names_its_estate_unit_code_and_what_to_do(letters, pdf):
    for page, letter in enumerate(letters, 1):
        text = _squash(_pdftotext(pdf, page))
        expected = [
            TITLE,
            letter.estate_name,
            _squash(unit_label(letter.building, letter.unit)),
            letter.code,
            letter.code_url,
            f"{letter.expires_on.year}年{letter.expires_on.month}月{letter.expires_on.day}日",
            _squash(letter.help_text),
            letter.organiser,
            # what to do, in plain words
            "用手机相机或微信“扫一扫”，扫描下面的二维码",
            "业主姓名和身份证号码的后六位",
            "您的手机会保存一把“电子钥匙”",
            "请用您本人的手机登记，不要让别人替您登记或投票",
            # the estate's proxy rule, as it is (issue 16: the letter said proxies were not allowed)
            "委托他人投票须有书面委托书并经监督员审核，每人最多代理3户",
            # single use, this unit only, what to do if lost
            "只能登记一次",
            "补发新的告知书",
            "这份告知书作废",
            "过期作废",
        ]
        missing = [s for s in expected if s not in text]
        assert not missing, f"page {page} lacks {missing}; text was {text!r}"
        assert "不允许" not in text


def test_the_letter_says_the_estates_proxy_rule_and_a_proxys_letter_what_it_is(tmp_path):
    owners = tmp_path / "owner.pdf"
    owners.write_bytes(render_letters([_letter("3", "1201", "K7QF-9M2X-H3RT", proxy_cap=1)]))
    text = _squash(_pdftotext(owners))
    assert "委托他人投票须有书面委托书并经监督员审核，每人最多代理1户。" in text
    proxys = tmp_path / "proxy.pdf"
    proxys.write_bytes(render_letters([_letter("3", "1201", "K7QF-9M2X-H3RT", organiser="受托人 孙丽 专用", for_proxy=True)]))
    text = _squash(_pdftotext(proxys))
    assert "本告知书只供受托人本人用自己的手机登记" in text
    assert "受托人只能按书面委托书代业主投票。" in text
    assert "委托他人投票" not in text


def test_building_and_unit_read_as_chinese_house_numbers():
    assert unit_label("3", "1201") == "3号楼 1201室"
    assert unit_label("A座", "商铺2") == "A座 商铺2"
    assert unit_label("", "1201") == "1201室"


def test_each_page_carries_only_its_own_unit_and_code(letters, pdf):
    first, second = (_squash(_pdftotext(pdf, p)) for p in (1, 2))
    assert letters[1].code not in first
    assert "12号楼" not in first
    assert letters[0].code not in second
    assert "3号楼" not in second


def test_token_is_only_in_the_qr_code_never_in_text_bytes_or_metadata(letters, pdf):
    text = _pdftotext(pdf)
    raw = pdf.read_bytes()
    info = subprocess.run([require_tool("pdfinfo"), str(pdf)], check=True, capture_output=True).stdout
    for letter in letters:
        token = letter.url.rsplit("/", 1)[1]
        assert len(token) == 43
        assert token not in text
        assert token not in _squash(text)
        assert token.encode() not in raw
        assert token.encode() not in info


def test_chinese_font_is_embedded_so_phones_without_chinese_fonts_show_it(pdf):
    fonts = font_info()
    if not fonts.embedded:
        message = (
            "no TrueType CJK font on this machine, letters fell back to non-embedded STSong-Light: install Debian's fonts-wqy-microhei"
        )
        if IN_CI:
            pytest.fail(message + " (CI=true: required)")
        pytest.skip(message)
    out = subprocess.run([require_tool("pdffonts"), str(pdf)], check=True, capture_output=True)
    rows = [line.split() for line in out.stdout.decode().splitlines()[2:]]
    cjk = [r for r in rows if "WenQuanYi" in r[0] or "Droid" in r[0] or "UMing" in r[0]]
    assert cjk, out.stdout.decode()
    # columns: name type... encoding emb sub uni object ID -> emb is 5th from the end
    assert all(r[-5] == "yes" for r in cjk), out.stdout.decode()


def test_without_a_truetype_cjk_font_letters_fall_back_to_stsong_and_still_read(tmp_path):
    """The fallback path (no fonts-wqy-microhei): built-in STSong-Light, not embedded; poppler
    (with poppler-data and any CJK font) still shows the text, and the QR still decodes."""
    zxingcpp = zxing()
    from PIL import Image

    tool = require_tool("pdftoppm")
    letter = _letter("3", "1201", "K7QF-9M2X-H3RT")
    path = tmp_path / "fallback.pdf"
    script = (
        "import sys, datetime, webapp.owners.letters as m, webapp.printing.fonts as f\n"
        "f._CJK_FONT_CANDIDATES = ()\n"
        "assert not f.font_info().embedded\n"
        f"letter = m.Letter(**{letter.__dict__!r})\n"
        "open(sys.argv[1], 'wb').write(m.render_letters([letter]))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=Path(__file__).resolve().parents[2])
    assert "STSong-Light" in subprocess.run([require_tool("pdffonts"), str(path)], check=True, capture_output=True).stdout.decode()
    text = _squash(_pdftotext(path))
    assert letter.estate_name in text
    assert "委托他人投票须有书面委托书" in text
    subprocess.run([tool, "-r", "100", "-png", str(path), str(tmp_path / "fb")], check=True)
    (png,) = tmp_path.glob("fb-*.png")
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(png))] == [letter.url]


# ------------------------------------------------------------------------------------------
# Input handling (no poppler needed)


def test_no_letters_is_an_error_not_an_empty_pdf():
    with pytest.raises(ValueError, match="at least one letter"):
        render_letters([])


def test_letters_come_out_in_the_given_order_as_a_pdf():
    out = render_letters([_letter("1", str(100 + i), f"AAAA-BBBB-{i:04d}") for i in range(5)])
    assert out.startswith(b"%PDF-")
    assert out.rstrip().endswith(b"%%EOF")
    assert _page_count(out) == 5


def test_long_names_and_help_texts_still_fit_one_page_per_letter(tmp_path):
    long = _letter(
        "A座",
        "商铺2",
        "K7QF-9M2X-H3RT",
        estate_name="杭州市西湖区翠苑街道某某花园第二期（南区）" * 2,
        code_url="https://vote.some-long-district-name.example.gov.cn/registration/code",
        help_text="物业服务中心 0571-88886666（工作日 9:00-17:00），或社区居委会 0571-12345678，"
        "或到小区东门业委会办公室，或拨打街道办事处电话 0571-87654321 询问" * 2,
        organiser="杭州市西湖区翠苑街道某某花园第二期业主大会筹备组",
    )
    out = render_letters([long, _letter("3", "1201", "K7QF-9M2X-H3RT")])
    assert _page_count(out) == 2
    if shutil.which("pdftotext"):
        path = tmp_path / "long.pdf"
        path.write_bytes(out)
        text = _squash(_pdftotext(path, 1))
        assert long.code in text
        assert _squash(long.help_text) in text
        assert long.code_url in text  # wrapped over two lines, never cut
