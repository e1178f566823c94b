"""A picture of what the work groups receive (README, 推送): the demo city publishes one day with
an office DingTalk robot and one town's WeCom robot configured, `sanse notify` delivers to fake
robots on 127.0.0.1, and the office's 【每日工作动态】 and the town's 【本镇街】 message, as the
robots received them, are drawn as chat messages and photographed with Playwright (Debian's
Chromium) into docs/push-message.png.

    .venv/bin/python benchmarks/push_screenshot.py
    .venv/bin/python benchmarks/push_screenshot.py --town 霁月镇 --out /tmp/push.png
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from robots import Robot, start  # noqa: E402 - the sending tests' fake robots, found through ROOT

from sanse.deployment.demo import demo_towns  # noqa: E402

END = "2026-10-30"  # the demo's last day, the day published
OFFICE_GROUP = "市安委办工作群"
TOWN = "槐影镇"  # red that day, with an open 约谈: every part of a town's message


def first_message(robot: Robot, title_start: str) -> str:
    """The text of the first message `robot` received whose title starts so."""
    for text in robot.texts():
        if text.lstrip("#* ").startswith(title_start):
            return text
    raise SystemExit(f"no {title_start} message reached the {robot.kind} robot: {robot.problems}")


def sanse(home: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "sanse", "--home", str(home), *args], cwd=ROOT, check=True)


# -- robot Markdown to HTML: what DingTalk and WeCom render (headings, bold, lists, links, quotes,
# WeCom's <font color="info|comment|warning">) and nothing else

FONT = {"info": "#2ba245", "comment": "#8a8a8a", "warning": "#e6870f"}


def inline(text: str) -> str:
    fonts: list[str] = []

    def keep_font(m: re.Match) -> str:
        fonts.append(m.group(1))
        return f"\x00{len(fonts) - 1}\x00"

    text = re.sub(r'<font color="(\w+)">', keep_font, text)
    text = html.escape(text.replace("</font>", "\x01"), quote=False)
    text = re.sub(r"\x00(\d+)\x00", lambda m: f'<span style="color:{FONT.get(fonts[int(m[1])], "inherit")}">', text)
    text = text.replace("\x01", "</span>")
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', text)
    return re.sub(r'(?<!href=")(https?://[^\s<]+)', r'<a href="\1">\1</a>', text)


def to_html(markdown: str) -> str:
    out: list[str] = []
    listing = ""
    for line in markdown.splitlines():
        stripped = line.strip()
        bullet = re.match(r"^([-*]|\d+\.)\s+(.*)$", stripped)
        kind = ("ol" if bullet[1][0].isdigit() else "ul") if bullet else ""
        if listing and kind != listing:
            out.append(f"</{listing}>")
            listing = ""
        if bullet:
            if not listing:
                out.append(f"<{kind}>")
                listing = kind
            out.append(f"<li>{inline(bullet[2])}</li>")
        elif heading := re.match(r"^(#{1,6})\s+(.*)$", stripped):
            out.append(f"<h{min(len(heading[1]) + 1, 5)}>{inline(heading[2])}</h{min(len(heading[1]) + 1, 5)}>")
        elif stripped.startswith(">"):
            out.append(f"<blockquote>{inline(stripped.lstrip('> '))}</blockquote>")
        elif stripped in ("---", "***"):
            out.append("<hr>")
        elif stripped:
            out.append(f"<p>{inline(stripped)}</p>")
    if listing:
        out.append(f"</{listing}>")
    return "\n".join(out)


PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><style>
body {{ margin: 0; background: #ededed; font: 14px/1.6 "Noto Sans CJK SC", "Source Han Sans SC",
  "WenQuanYi Micro Hei", sans-serif; color: #1f1f1f; }}
#chat {{ width: 480px; padding: 0 0 14px; background: #ededed; }}
.group {{ background: #f7f7f7; border-bottom: 1px solid #d9d9d9; padding: 10px 14px; font-weight: 600;
  text-align: center; }}
.group small {{ display: block; font-weight: 400; color: #8a8a8a; font-size: 11px; }}
.msg {{ display: flex; gap: 8px; padding: 12px 12px 0; }}
.avatar {{ flex: none; width: 36px; height: 36px; border-radius: 6px; color: #fff; font-size: 12px;
  display: flex; align-items: center; justify-content: center; font-weight: 600; }}
.who {{ font-size: 11px; color: #8a8a8a; margin: 0 0 3px 2px; }}
.bubble {{ background: #fff; border-radius: 8px; padding: 8px 12px; width: 392px; box-sizing: border-box;
  box-shadow: 0 1px 1px rgba(0,0,0,.06); }}
.bubble h2, .bubble h3, .bubble h4, .bubble h5 {{ margin: 4px 0; font-size: 15px; }}
.bubble p {{ margin: 3px 0; }}
.bubble ul, .bubble ol {{ margin: 3px 0; padding-left: 20px; }}
.bubble blockquote {{ margin: 3px 0; padding-left: 8px; border-left: 3px solid #d9d9d9; color: #595959; }}
.bubble a {{ color: #1677ff; text-decoration: none; }}
.bubble hr {{ border: 0; border-top: 1px solid #eee; }}
.group:not(:first-child) {{ margin-top: 14px; border-top: 1px solid #d9d9d9; }}
.time {{ text-align: center; color: #a0a0a0; font-size: 11px; padding-top: 12px; }}
</style><div id="chat">{sections}</div></html>"""

SECTION = """<div class="group">{group}<small>{app}</small></div><div class="time">{time}</div>
<div class="msg"><div class="avatar" style="background:{colour}">三色</div><div>
<div class="who">三色晾晒（机器人）</div><div class="bubble">{body}</div></div></div>"""


def page(messages: list[tuple[str, str, str, str]]) -> str:
    sections = "".join(
        SECTION.format(group=html.escape(group), app=app, time=END, colour=colour, body=to_html(text))
        for group, app, colour, text in messages
    )
    return PAGE.format(sections=sections)


def photograph(document: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="sanse-shot-") as folder:
        file = Path(folder) / "chat.html"
        file.write_text(document, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            view = browser.new_page(viewport={"width": 480, "height": 800}, device_scale_factor=1)
            view.goto(file.as_uri())
            view.locator("#chat").screenshot(path=str(out))
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--town", default=TOWN, help=f"the town whose 【本镇街】 message is shown ({TOWN})")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "push-message.png")
    args = parser.parse_args()
    towns = demo_towns()
    town = next((t for t in towns if args.town in (t.name, t.code)), None)
    if town is None:
        raise SystemExit(f"no demo town {args.town}")
    office_robot = start(Robot("dingtalk", secret="SEC-picture"))
    town_robot = start(Robot("wecom"))
    os.environ["SANSE_SHOT_DING_SECRET"] = "SEC-picture"
    with tempfile.TemporaryDirectory(prefix="sanse-push-shot-") as folder:
        home = Path(folder) / "home"
        sanse(home, "init", "--demo", "--end", END, "--publish-days", "0")
        (home / "channels.toml").write_text(
            '[server]\npublic_url = "https://sanse.example.gov.cn"\n\n'
            f'[[channels]]\nname = "{OFFICE_GROUP}"\nkind = "dingtalk"\n'
            f'url = "{office_robot.url}"\nsecret_env = "SANSE_SHOT_DING_SECRET"\n\n'
            f'[[channels]]\nname = "{town.name}安监群"\nkind = "wecom"\n'
            f'url = "{town_robot.url}"\ntown = "{town.code}"\n',
            encoding="utf-8",
        )
        sanse(home, "publish", "--date", END)
        sanse(home, "notify")
    office = first_message(office_robot, "【每日工作动态】")
    own = first_message(town_robot, "【本镇街】")
    office_robot.server.shutdown()
    town_robot.server.shutdown()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    photograph(
        page([(OFFICE_GROUP, "钉钉", "#1677ff", office), (f"{town.name}安监群", "企业微信", "#2ba245", own)]),
        args.out,
    )
    print(f"{args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
