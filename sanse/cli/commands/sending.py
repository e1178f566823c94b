"""`sanse notify`: what is due sent to DingTalk, WeCom, email and webhooks once, or kept
sending (the sender process); the deliveries' log."""

from __future__ import annotations

import sys

from sanse.cli.outcome import BAD_INPUT, OK, USAGE
from sanse.deployment.home import Home


def cmd_notify(home: Home, args) -> int:
    """Exit 0 when everything due was delivered, 1 when a delivery failed, 2 when channels.toml
    (or a variable it names) cannot be used; then nothing is sent."""
    from sanse.sending.channels import ChannelsError
    from sanse.sending.log import delivery_log
    from sanse.sending.sender import Sender, load_channels

    if args.what == "log":
        for line in delivery_log(home, failed_only=args.failed):
            print(line)
        return OK
    try:
        sender = Sender(home, load_channels(home))
    except ChannelsError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return USAGE
    if args.dry_run:
        for message in sender.due():
            print(f"待发送\t{message['channel']}\t{message['title']}")
        return OK
    if args.watch:
        return _watch(sender)
    outcome = sender.run_once(retry=args.retry)
    print(f"已发送 {outcome.sent} 条，失败 {outcome.failed} 条，过期 {outcome.expired} 条，取消 {outcome.dropped} 条")
    for channel, title, why in outcome.failures:
        print(f"失败：{channel}：{title}：{why}", file=sys.stderr)
    return OK if outcome.ok else BAD_INPUT


def _watch(sender) -> int:
    """Send until SIGTERM or Ctrl-C (the process manager stops it so)."""
    import logging
    import signal
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"发送进程已启动：{len(sender.channels.channels)} 个渠道", file=sys.stderr)
    sender.watch(stop)
    return OK
