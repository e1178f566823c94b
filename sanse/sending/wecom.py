"""WeCom (企业微信) group robot: a markdown message to the robot's webhook URL."""

from __future__ import annotations

from sanse.sending.channels import Channel
from sanse.sending.delivery import Outgoing, dumps, post_json, robot_reply

LIMIT_BYTES = 4000  # WeCom takes markdown content of at most 4096 bytes
MARKDOWN = True


def deliver(channel: Channel, message: Outgoing) -> None:
    payload = {"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n\n{message.text}"}}
    robot_reply(post_json(channel.address(), dumps(payload)))
