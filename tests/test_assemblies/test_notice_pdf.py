"""The printed notice names its issuer and speaks the reader's words for the time zone."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.factories import IN_CI


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} not found: install Debian's poppler-utils to read the printed notice"
        if IN_CI:
            pytest.fail(message + " (CI=true: required)")
        pytest.skip(message)
    return path


def test_the_notice_pdf_names_beijing_time_and_its_issuer_not_a_zone_code_or_anonymous(voting, tmp_path):
    s = voting
    response = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/notice.pdf")
    assert response.status_code == 200
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run([_poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True).stdout.decode()
    info = subprocess.run([_poppler("pdfinfo"), "-enc", "UTF-8", str(pdf)], check=True, capture_output=True).stdout.decode()
    assert "Asia/Shanghai" not in text
    assert "北京时间" in text
    author = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Author:"))
    assert author not in ("", "anonymous")
