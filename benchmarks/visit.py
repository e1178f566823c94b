"""Open dashboard pages over Streamlit's websocket as a browser does, without a browser: the
sessions of the load benchmark (benchmarks/load.py) and its smoke test.

A browser opens `/_stcore/stream` and asks for each page with a BackMsg `rerun_script` naming
it (by its url path the first time, then by the page hash the navigation message gave); the
page's run ends with the ForwardMsg `script_finished`. Elements the tab already holds come back
as their hash alone (`ref_hash`), as the browser's message cache asks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

MAX_MESSAGES = 10_000  # a page run sends a few dozen


@dataclass
class PageRun:
    path: str  # the page's url path; '' is the default page
    seconds: float  # from the request to the end of the run
    elements: set[str] = field(default_factory=set)  # the kinds of element drawn
    exceptions: list[str] = field(default_factory=list)  # exceptions shown on the page


async def visit(
    url: str,
    paths: Sequence[str],
    *,
    cookie: str | None = None,
    runs: list[PageRun] | None = None,
    open_timeout: float = 60,
) -> list[PageRun]:
    """One session at `url` (http://host:port) opening each page of `paths` in turn. Each page
    run is appended to `runs` as it ends (so a caller keeps what finished if a later page fails)."""
    runs = [] if runs is None else runs
    stream = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    async with connect(
        stream,
        subprotocols=["streamlit"],
        additional_headers={"Cookie": cookie} if cookie else {},
        origin=url,
        max_size=None,
        compression=None,
        open_timeout=open_timeout,
        ping_interval=None,
        proxy=None,
    ) as ws:
        page_hashes: dict[str, str] = {}  # url path -> page_script_hash
        cached: dict[str, str] = {}  # message hash -> element kind, as the browser caches them
        for path in paths:
            request = BackMsg()
            request.rerun_script.query_string = ""
            request.rerun_script.page_name = path
            if path in page_hashes:
                request.rerun_script.page_script_hash = page_hashes[path]
            request.rerun_script.cached_message_hashes.extend(sorted(cached))
            run = PageRun(path, 0.0)
            sent = time.perf_counter()
            await ws.send(request.SerializeToString())
            for _ in range(MAX_MESSAGES):
                message = ForwardMsg()
                message.ParseFromString(await ws.recv())
                kind = message.WhichOneof("type")
                if kind == "ref_hash":
                    run.elements.add(cached.get(message.ref_hash, "unknown"))
                elif kind == "navigation":
                    page_hashes.update({p.url_pathname: p.page_script_hash for p in message.navigation.app_pages})
                elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    run.elements.add(element.WhichOneof("type"))
                    if message.metadata.cacheable:
                        cached[message.hash] = element.WhichOneof("type")
                    if element.WhichOneof("type") == "exception":
                        run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
                elif kind == "page_not_found":
                    run.exceptions.append(f"page not found: {path!r}")
                elif kind == "script_finished":
                    if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the run restarted itself (st.rerun); its last run ends the page
                    if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        run.exceptions.append(f"compile error on {path!r}")
                    break
            else:
                raise RuntimeError(f"no end of the run of {path!r} after {MAX_MESSAGES} messages")
            run.seconds = time.perf_counter() - sent
            runs.append(run)
    return runs
