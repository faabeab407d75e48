"""The channels' adapters: SMTP (stdlib), WeCom and DingTalk group robots (httpx).

Each sends one message and raises DeliveryFailed with a short reason when the peer refuses or
cannot be reached; retrying is the delivery loop's business. Base URLs come from the settings, so
tests and air-gapped deployments point them at a local server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from workflow.config import Settings


class DeliveryFailed(Exception):
    """The message was not accepted; `str()` says why (kept as the row's last_error)."""


def send_email(settings: Settings, to: str, subject: str, body: str, message_id: str) -> None:
    """One plain-text e-mail over SMTP (STARTTLS and login when configured)."""
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server configured (SANDAN_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, subject
    message["Date"] = formatdate(localtime=False)
    # receivers drop a repeated Message-ID, the last guard against a resend after a crash
    message["Message-ID"] = f"<{message_id}@sandan>"
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP: {exc}") from None


def send_wecom(client: httpx.Client, settings: Settings, key: str, text: str) -> None:
    """A WeCom group robot's markdown message."""
    url = settings.wecom_base_url.rstrip("/") + "/cgi-bin/webhook/send"
    body = {"msgtype": "markdown", "markdown": {"content": text}}
    _post(client, url, {"key": key}, body)


def send_dingtalk(client: httpx.Client, settings: Settings, token: str, secret: str | None,
                  title: str, text: str, now: datetime) -> None:
    """A DingTalk custom robot's markdown message, signed when the robot has a secret."""
    url = settings.dingtalk_base_url.rstrip("/") + "/robot/send"
    params = {"access_token": token}
    if secret:
        timestamp = str(int(now.timestamp() * 1000))
        params.update(timestamp=timestamp, sign=dingtalk_sign(timestamp, secret))
    body = {"msgtype": "markdown", "markdown": {"title": title, "text": text},
            "at": {"atMobiles": [], "isAtAll": False}}
    _post(client, url, params, body)


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """base64(HMAC-SHA256(secret, "timestamp\\nsecret")); the query encoding adds the urlencode."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _post(client: httpx.Client, url: str, params: dict[str, str], body: Mapping[str, Any]) -> None:
    try:
        response = client.post(url, params=params, json=body, timeout=10)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryFailed(f"not JSON: {response.text[:200]}") from None
    if answer.get("errcode") != 0:
        raise DeliveryFailed(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
