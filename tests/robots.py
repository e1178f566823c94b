"""Fake robots for the sending tests: a tiny HTTP server on 127.0.0.1 (the standard library's,
as a test double) that checks what DingTalk, WeCom or a webhook receiver would check (the
加签 signature, the JSON shape, the HMAC header) and answers as they do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Robot:
    kind: str  # dingtalk, wecom, webhook
    secret: str = ""
    delay: float = 0.0  # seconds before answering
    fail_with: int | None = None  # an HTTP status to answer with
    errcode: int = 0
    received: list[dict] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        path = {"dingtalk": "/robot/send?access_token=tok-ding-123", "wecom": "/cgi-bin/webhook/send?key=tok-wecom-456"}
        return f"http://{host}:{port}{path.get(self.kind, '/hook')}"

    def texts(self) -> list[str]:
        return [_text(self.kind, body) for body in self.received]

    def check(self, path: str, headers, raw: bytes) -> str | None:
        body = json.loads(raw)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        if self.kind == "dingtalk":
            if query.get("access_token") != ["tok-ding-123"]:
                return "wrong token"
            if self.secret:
                stamp = query["timestamp"][0]
                expected = base64.b64encode(
                    hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256).digest()
                ).decode()
                if query.get("sign") != [expected] or abs(time.time() * 1000 - int(stamp)) > 3_600_000:
                    return "bad sign"
            if body.get("msgtype") != "markdown" or set(body["markdown"]) != {"title", "text"}:
                return "bad json"
        elif self.kind == "wecom":
            if body.get("msgtype") != "markdown" or set(body["markdown"]) != {"content"}:
                return "bad json"
            if len(body["markdown"]["content"].encode()) > 4096:
                return "too long"
        else:
            if set(body) != {"kind", "title", "text", "data"}:
                return "bad json"
            if self.secret:
                expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
                if headers.get("X-Sanse-Signature") != expected:
                    return "bad signature"
        return None


def _text(kind: str, body: dict) -> str:
    if kind == "dingtalk":
        return body["markdown"]["text"]
    if kind == "wecom":
        return body["markdown"]["content"]
    return body["title"] + "\n" + body["text"]


def start(robot: Robot) -> Robot:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if robot.delay:
                time.sleep(robot.delay)
            problem = robot.check(self.path, self.headers, raw)
            with robot.lock:
                if problem:
                    robot.problems.append(problem)
                elif robot.fail_with is None and robot.errcode == 0:
                    robot.received.append(json.loads(raw))
                    robot.times.append(time.monotonic())
            if robot.fail_with:
                self.send_response(robot.fail_with)
                self.end_headers()
                return
            code = robot.errcode or (310000 if problem else 0)
            reply = json.dumps({"errcode": code, "errmsg": problem or "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    robot.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=robot.server.serve_forever, daemon=True).start()
    return robot
