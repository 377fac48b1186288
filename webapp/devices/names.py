"""What kind of device made a key, in words: "Android 手机 · Chrome", "iPhone · 微信",
"Linux 电脑 · Chromium".

The key-making script stores the browser's user-agent string as the key's label (older keys
kept only the part in its first brackets, e.g. "X11; Linux x86_64"); pages show it through
:func:`device_name`, never raw.  The label is what the browser said about itself: a hint for the
owner and the supervisors, not a proof.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

# Apps and browsers, most specific first: an in-app browser also names Safari or Chrome.
_BROWSERS: list[tuple[str, str | None]] = [
    (r"MicroMessenger|WeChat", "wechat"),
    (r"AlipayClient", "alipay"),
    (r"DingTalk", "dingtalk"),
    (r"\bQQ/|MQQBrowser", "qq"),
    (r"UCBrowser|UCWEB", "uc"),
    (r"Quark", "quark"),
    (r"HuaweiBrowser|HBPC", "huawei"),
    (r"MiuiBrowser|XiaoMi", "xiaomi"),
    (r"HeyTapBrowser|OppoBrowser", None),
    (r"VivoBrowser", None),
    (r"SamsungBrowser", "Samsung Internet"),
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS", "Firefox"),
    (r"YaBrowser", "Yandex"),
    (r"Chromium/", "Chromium"),
    (r"CriOS|Chrome/|HeadlessChrome", "Chrome"),
    (r"Version/[\d.]+.*Safari/|Mobile/\w+ Safari", "Safari"),
]


def _browser(ua: str) -> str | None:
    names = {
        "wechat": _("WeChat"),
        "alipay": _("Alipay"),
        "dingtalk": _("DingTalk"),
        "qq": _("QQ Browser"),
        "uc": _("UC Browser"),
        "quark": _("Quark"),
        "huawei": _("Huawei Browser"),
        "xiaomi": _("Xiaomi Browser"),
    }
    for pattern, name in _BROWSERS:
        if re.search(pattern, ua):
            if name is None:  # a phone maker's own browser: the phone says enough
                return None
            return names.get(name, name)
    return None


def _device(ua: str) -> str | None:
    whole = "Mozilla/" in ua or "AppleWebKit" in ua
    if "iPhone" in ua:
        return "iPhone"
    if "iPad" in ua:
        return "iPad"
    if re.search(r"HarmonyOS|OpenHarmony", ua):
        return _("HarmonyOS phone")
    if "Android" in ua:
        # Only a whole user-agent string says "Mobile"; an old bracket-only label is most likely a phone.
        return _("Android tablet") if whole and "Mobile" not in ua else _("Android phone")
    if "Windows" in ua:
        return _("Windows computer")
    if "CrOS" in ua:
        return "Chromebook"
    if "Macintosh" in ua or "Mac OS X" in ua:
        return _("Mac computer")
    if "Linux" in ua or "X11" in ua:
        return _("Linux computer")
    return None


# Apps that open links in a browser of their own, whose storage (and so a key made there) is not
# the phone's browser's: the pages say how to leave them before a key is made.  QQ Browser, a
# browser of its own, says "MQQBrowser" without "QQ/": it keeps its keys like any browser.
_IN_APP: list[tuple[str, str]] = [
    (r"MicroMessenger|WeChat", "wechat"),
    (r"AlipayClient", "alipay"),
    (r"(?<![\w])QQ/\d", "qq"),
]


def in_app_browser(user_agent: str | None) -> str | None:
    """ "wechat", "alipay" or "qq" when the page is open in that app's own browser, else None."""
    ua = user_agent or ""
    for pattern, app in _IN_APP:
        if re.search(pattern, ua):
            return app
    return None


def device_name(label: str | None) -> str:
    """A readable name for the device behind a key's stored user-agent label."""
    ua = (label or "").strip()
    if not ua:
        return _("Unknown device")
    device, browser = _device(ua), _browser(ua)
    if device and browser:
        return f"{device} · {browser}"
    return device or browser or _("Unknown device")
