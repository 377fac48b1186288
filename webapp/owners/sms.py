"""One-time SMS codes, sent through a pluggable backend.

``console`` (the default) writes the message to the application log for development;
``http`` posts JSON to an SMS gateway configured by OWNERSVOTE_SMS_URL, OWNERSVOTE_SMS_USER and
OWNERSVOTE_SMS_TOKEN.  The number comes from the owner, after it matched the registry's keyed hash:
the registry itself never holds phone numbers in clear.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Protocol

log = logging.getLogger("ownersvote.sms")


class SmsError(RuntimeError):
    pass


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleBackend:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.warning("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)


class HttpGatewayBackend:
    def __init__(self, url: str, user: str | None, token: str | None, timeout: float = 10.0):
        self.url, self.user, self.token, self.timeout = url, user, token, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text, "user": self.user}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={"Content-Type": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if response.status >= 300:
                    raise SmsError(f"gateway answered {response.status}")
        except OSError as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc


def backend_from_env() -> SmsBackend:
    kind = os.environ.get("OWNERSVOTE_SMS_BACKEND", "console")
    if kind == "http":
        url = os.environ.get("OWNERSVOTE_SMS_URL")
        if not url:
            raise SmsError("OWNERSVOTE_SMS_BACKEND=http needs OWNERSVOTE_SMS_URL")
        return HttpGatewayBackend(url, os.environ.get("OWNERSVOTE_SMS_USER"), os.environ.get("OWNERSVOTE_SMS_TOKEN"))
    if kind != "console":
        raise SmsError(f"unknown OWNERSVOTE_SMS_BACKEND {kind!r} (console or http)")
    return ConsoleBackend()
