"""Chat widgets built the way real customer-service widgets are (capture/chat.py):
inside an open shadow root, newest-first (column-reverse), loading on a mouse wheel
only, behind a 查看更多消息 button, live while the history loads, with pictures.

Every page's messages have unique ids (tests/sites/chat/chat-data.js), so a transcript
is complete exactly when it holds every id once, in order.
"""

from __future__ import annotations

import pytest

from capture.chat import ARRIVED

from . import test_chat
from .test_chat import assert_segments_cover_the_conversation, ids_in, messages, transcript

# The fixtures of the other chat tests: one Chromium and one chat site for this module.
chromium_async = test_chat.chromium_async
chat_server = test_chat.chat_server
capture = test_chat.capture


def history_end(rec):
    [end] = [a for a in rec.capture.actions if a.type == "chat_history_end"]
    return end


def assert_complete(rec, root, total: int) -> str:
    text = transcript(rec, root)
    assert ids_in(text) == list(range(1, total + 1))
    assert rec.capture.chat_messages == total == len(messages(text))
    assert rec.capture.warnings == []
    assert history_end(rec).outcome == "ok"
    assert_segments_cover_the_conversation(rec, root)
    return text


def test_chat_in_an_open_shadow_root_is_detected(capture, tmp_path):
    rec, _, _ = capture("shadow.html")
    assert_complete(rec, tmp_path, 250)
    assert rec.capture.chat_selector == "#kf >> :scope > div > div:nth-of-type(1)"


def test_chat_selector_for_the_shadow_host_reaches_the_box_inside(capture, tmp_path):
    rec, _, _ = capture("shadow.html", selector="kf-widget")
    assert_complete(rec, tmp_path, 250)
    # The recorded selector names the box again, for Playwright, through the shadow root.
    assert rec.capture.chat_selector == "#kf >> :scope > div > div:nth-of-type(1)"
    assert "the scroll box inside it is #kf >> " in rec.capture.actions[0].detail


def test_the_recorded_shadow_selector_names_the_box(capture, tmp_path):
    rec, _, _ = capture("shadow.html", selector="#kf >> :scope > div > div:nth-of-type(1)")
    assert_complete(rec, tmp_path, 250)
    assert rec.capture.actions[0].detail.endswith("div:nth-of-type(1)'")


def test_chat_selector_for_the_box_inside_the_shadow_root(capture, tmp_path):
    rec, _, _ = capture("shadow.html", selector=".chat-box")
    assert_complete(rec, tmp_path, 250)
    assert rec.capture.actions[0].detail == "from --chat-selector '.chat-box'"


def test_newest_first_column_reverse_chat_is_complete_in_chronological_order(capture, tmp_path):
    rec, _, _ = capture("reverse.html")
    assert_complete(rec, tmp_path, 150)
    assert rec.capture.chat_selector == "#chat"


def test_chat_that_loads_only_on_a_wheel_up_is_complete(capture, tmp_path):
    rec, _, _ = capture("wheel.html")
    assert_complete(rec, tmp_path, 126)
    [loaded] = [a for a in rec.capture.actions if a.type == "chat_history"]
    assert "mouse wheel turned up" in loaded.detail
    assert "does not overflow" not in rec.capture.actions[0].detail  # detected, not given


def test_chat_selector_for_a_box_that_does_not_overflow_yet(capture, tmp_path):
    rec, _, _ = capture("wheel.html", selector="#chat")
    assert_complete(rec, tmp_path, 126)
    assert "does not overflow yet" in rec.capture.actions[0].detail


def test_load_more_button_is_clicked_until_it_is_gone(capture, tmp_path):
    rec, _, _ = capture("more.html")
    text = assert_complete(rec, tmp_path, 200)
    clicks = [a for a in rec.capture.actions if a.type == "click"]
    assert len(clicks) == 9  # 180 older messages, 20 a click
    assert all(c.detail.startswith("'查看更多消息' at the top of the conversation") for c in clicks)
    assert "查看更多消息" not in text


@pytest.mark.parametrize("feed", ["pushed", "polled"])
def test_live_chat_new_messages_are_marked_and_not_taken_for_history(capture, tmp_path, feed):
    # Pushed (a socket) or fetched every 0.7 s (a polling widget, whose requests must
    # not be taken for a history request that never ends).
    rec, _, left = capture(f"live.html?every=700&poll={int(feed == 'polled')}", seconds=60)
    assert left > 0
    text = transcript(rec, tmp_path)
    ids = ids_in(text)
    assert ids == list(range(1, len(ids) + 1)) and len(ids) > 150
    assert rec.capture.warnings == []
    assert history_end(rec).outcome == "ok"
    assert_segments_cover_the_conversation(rec, tmp_path)
    found = messages(text)
    marked = [ids_in(m)[0] for m in found if m.startswith(ARRIVED + "\n")]
    assert marked and marked == ids[-len(marked) :] and marked[0] > 150
    [live] = [a for a in rec.capture.actions if a.type == "chat_live"]
    first, last = len(ids) - len(marked) + 1, len(ids)
    where = f"message {last}" if first == last else f"messages {first}–{last}"
    assert f"({where} of {last} in the transcript" in live.detail


def test_picture_messages_are_named_in_place(capture, tmp_path):
    rec, _, _ = capture("pictures.html")
    text = assert_complete(rec, tmp_path, 40)
    found = messages(text)
    assert found[4].endswith("#m0005\n[图片: 充值页面截图]")
    assert found[11].endswith("#m0012\n[图片: receipt-0412.svg]")
    assert found[29].endswith("#m0030\n请看这里\n[图片: receipt-0412.svg]\n就是这个卡密")


def test_load_more_button_that_stays_is_a_warning(capture, tmp_path):
    rec, _, _ = capture("more.html?n=60&stuck=1")
    assert ids_in(transcript(rec, tmp_path)) == list(range(1, 61))
    [warning] = rec.capture.warnings
    assert warning == (
        "chat history may be incomplete: stopped after 2 loads ('查看更多消息' was still "
        "shown after 3 clicks with nothing more arriving), 60 messages captured"
    )
    assert history_end(rec).outcome == "warning"


def test_box_that_yields_nothing_is_a_warning(capture, tmp_path):
    rec, _, _ = capture("empty.html", selector="#chat")
    assert rec.capture.chat_messages == 0
    assert "the conversation box #chat yielded no messages" in rec.capture.warnings


def test_selector_matching_nothing_in_a_shadow_root_warns(capture, tmp_path):
    rec, _, _ = capture("shadow.html", selector="#kf .no-such-box")
    assert rec.capture.warnings == [
        "--chat-selector '#kf .no-such-box' matched nothing; the conversation was detected instead"
    ]
    assert ids_in(transcript(rec, tmp_path)) == list(range(1, 251))


@pytest.mark.parametrize("batch", [1, 10])
def test_older_messages_pushed_in_during_the_pictures_keep_the_transcript_in_order(
    capture, tmp_path, batch
):
    # The capture's coordinates are those of the conversation when its pictures began;
    # messages pushed in above later, at any moment of a step (during a shot, between
    # steps, right after a retake), must neither be placed among the others nor lose
    # any of them.
    rec, _, left = capture(f"pushed.html?batch={batch}&times=20", seconds=60)
    assert left > 0
    ids = ids_in(transcript(rec, tmp_path))
    assert ids == list(range(251, 401))
    assert rec.capture.chat_messages == 150
    assert_segments_cover_the_conversation(rec, tmp_path)
    [arrived] = [a for a in rec.capture.actions if "arrived at the top" in a.detail
                 and a.type == "chat_capture"]

