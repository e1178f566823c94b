"""发送记录 (design §12), for admins on 每日工作动态 and 督办台账: deliveries and failures, a
warning when the sender is not running, a test message to a channel, a failure sent again.
Channel secrets and robot URLs are never shown: only the channels' names."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.sending.channels import Channels, ChannelsError, read_channels
from sanse.sending.log import entries, retry
from sanse.sending.sender import send_test, sender_running
from sanse.ui import data
from sanse.ui.session import plain, t, viewer

SHOWN = 50


def send_log_section(home: Home, key: str) -> None:
    """The section, under an expander; `key` prefixes its widgets' keys (one per page)."""
    me = viewer()
    if me.role != "admin":
        return
    with st.expander(t("sending.title"), icon=":material/send:"):
        try:
            channels = read_channels(home.root, data.towns())
        except ChannelsError as exc:
            st.error(t("sending.bad_file", error=plain(exc)))
            channels = Channels()
        if not channels.channels:
            st.info(t("sending.no_channels"))
        elif not sender_running(home):
            st.warning(t("sending.not_running"))
        if result := st.session_state.pop(f"{key}.sending.result", None):
            (st.success if result[0] else st.error)(result[1])
        shown = entries(home, limit=SHOWN)
        delivered = [e for e in shown if e.result == "已送达"]
        if delivered:  # the newest delivery, as text (the table below is drawn on a canvas)
            latest = delivered[0]
            st.caption(
                t("sending.latest", at=clock.stamp(latest.at), channel=plain(latest.channel), title=plain(latest.title))
            )
        if shown:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("sending.col.at"): [clock.stamp(e.at) for e in shown],
                        t("sending.col.channel"): [e.channel for e in shown],
                        t("sending.col.title"): [e.title for e in shown],
                        t("sending.col.result"): [e.result for e in shown],
                        t("sending.col.detail"): [e.detail for e in shown],
                    }
                ),
                hide_index=True,
                width="stretch",
                key=f"{key}.sending.table",
            )
        else:
            st.caption(t("sending.empty"))
        failed = {e.message_id: e for e in shown if e.status in ("queued", "failed")}  # tried, not yet delivered
        if failed:
            left, right = st.columns([3, 1])
            pick = left.selectbox(
                t("sending.retry.pick"),
                list(failed),
                format_func=lambda i: f"{failed[i].channel} · {failed[i].title}",
                key=f"{key}.sending.retry_pick",
            )
            if right.button(t("sending.retry"), key=f"{key}.sending.retry"):
                retried = retry(home, pick)
                st.session_state[f"{key}.sending.result"] = (
                    retried,
                    t("sending.retried" if retried else "sending.not_retried"),
                )
                st.rerun()
        if channels.channels:
            left, right = st.columns([3, 1])
            name = left.selectbox(
                t("sending.test.pick"), [c.name for c in channels.channels], key=f"{key}.sending.test_pick"
            )
            if right.button(t("sending.test"), key=f"{key}.sending.test"):
                why = send_test(home, name, by=me.name)
                done = (
                    (True, t("sending.test.sent", channel=plain(name)))
                    if not why
                    else (False, t("sending.test.failed", channel=plain(name), error=plain(why)))
                )
                st.session_state[f"{key}.sending.result"] = done
                st.rerun()
