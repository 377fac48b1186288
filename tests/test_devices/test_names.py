"""A key's device is named from the browser's user agent in plain words (phone or computer, and
the browser), in the reader's language, never as the raw user-agent string."""

from __future__ import annotations

import pytest

from tests.factories import ANDROID_UA, LINUX_UA


@pytest.mark.parametrize(
    ("label", "zh"),
    [
        (ANDROID_UA, "Android 手机 · Chrome"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "iPhone · Safari",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            "iPhone · 微信",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/99.0 HuaweiBrowser/14.0.4.300 Mobile Safari/537.36",
            "鸿蒙手机 · 华为浏览器",
        ),
        (LINUX_UA, "Linux 电脑 · Chromium"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.51",
            "Windows 电脑 · Edge",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Mac 电脑 · Safari",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Android 平板 · Chrome",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "Linux 电脑 · Chrome",
        ),
        # what the script stored before it kept the whole string
        ("X11; Linux x86_64", "Linux 电脑"),
        ("Linux; Android 10; K", "Android 手机"),
        ("iPhone; CPU iPhone OS 17_4 like Mac OS X", "iPhone"),
        ("Windows NT 10.0; Win64; x64", "Windows 电脑"),
        ("test phone", "未知设备"),
        (None, "未知设备"),
    ],
)
def test_a_device_label_reads_as_the_device_and_browser(app, label, zh):
    from webapp.devices.names import device_name

    with app.test_request_context("/"):
        assert device_name(label) == zh


def test_device_names_speak_english_when_chosen(app):
    from webapp.devices.names import device_name

    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert device_name(ANDROID_UA) == "Android phone · Chrome"
        assert device_name("X11; Linux x86_64") == "Linux computer"
