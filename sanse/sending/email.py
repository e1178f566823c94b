"""Email over SMTP (smtplib): the server from SANSE_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM
and SANSE_SMTP_TLS (starttls, the default; ssl; none). Plain text, attachments with their
MIME types."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage

from sanse.sending.channels import Channel
from sanse.sending.delivery import DeliveryFailed, Outgoing

LIMIT_BYTES = 200_000
MARKDOWN = False  # a mail is read as it is written: no escapes
TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def deliver(channel: Channel, message: Outgoing) -> None:
    env = lambda name, default="": os.environ.get(f"SANSE_SMTP_{name}", default).strip()  # noqa: E731
    tls = env("TLS", "starttls").lower()
    if tls not in DEFAULT_PORTS:
        raise DeliveryFailed("SANSE_SMTP_TLS 应为 starttls、ssl 或 none")
    host, user, password = env("HOST"), env("USER"), env("PASSWORD")
    port = int(env("PORT") or DEFAULT_PORTS[tls])
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = env("FROM") or user or "sanse@localhost"
    mail["To"] = ", ".join(channel.to)
    mail.set_content(message.text)
    for name, mime, content in message.attachments:
        main, _, sub = mime.partition("/")
        mail.add_attachment(content, maintype=main, subtype=sub, filename=name)
    try:
        if tls == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with server:
            if tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if user:
                server.login(user, password)
            refused = server.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"邮件服务器拒收：{exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryFailed("邮件服务器拒收全部收件人") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"邮件服务器不可用：{type(exc).__name__}") from None
    if refused:
        raise DeliveryFailed(f"邮件服务器拒收 {len(refused)} 个收件人")
