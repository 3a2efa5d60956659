"""The chat widget and the support inbox in a real browser: a handoff, the team's reply
shown in the customer's chat after a reload, and the "Not helpful" button."""

from __future__ import annotations

import pytest

from tests.browser.test_chat_widget import trained  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _bots(page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('#chat-log .msg.bot').length >= {n}",
        timeout=30_000,
    )


def test_team_reply_reaches_the_widget_and_feedback_is_recorded(
    live_server,
    browser,
    trained,  # noqa: F811
):
    from chatbot.models import Message, SupportTicket
    from chatbot.services.tickets import ticket_reply

    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.click("#chat-toggle")
    _bots(page, 1)
    page.fill("#chat-input", "I want to talk to a person")
    page.click("#chat-send")
    _bots(page, 2)
    ticket = SupportTicket.objects.get()
    assert (
        f"ticket #{ticket.pk}" in page.locator("#chat-log .msg.bot p").last.inner_text()
    )
    ticket_reply(ticket=ticket, text="Hello from the support team.")
    page.reload()
    page.click("#chat-toggle")
    page.wait_for_selector("#chat-log .msg.agent")
    assert page.locator("#chat-log .msg.agent p").inner_text() == (
        "Hello from the support team."
    )
    assert page.locator("#chat-log .msg.user p").first.inner_text() == (
        "I want to talk to a person"
    )
    page.locator("#chat-log .msg.bot .feedback").last.click()
    page.wait_for_function(
        "[...document.querySelectorAll('#chat-log .feedback')]"
        ".some(b => b.textContent.startsWith('Thanks'))",
        timeout=10_000,
    )
    asked = Message.objects.get(role="user")
    assert asked.review == "thumbs_down"
    page.close()


def test_a_new_visit_shows_the_teams_reply(
    live_server,
    browser,
    trained,  # noqa: F811
    tmp_path,
):
    """V2 15.5: the chat's id lived in the tab (sessionStorage); a new tab or visit
    showed only the greeting. The widget now resumes the visitor's open chat."""
    from chatbot.models import SupportTicket
    from chatbot.services.tickets import ticket_reply

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.click("#chat-toggle")
    _bots(page, 1)
    page.fill("#chat-input", "I want to talk to a person")
    page.click("#chat-send")
    _bots(page, 2)
    page.close()
    ticket_reply(ticket=SupportTicket.objects.get(), text="Your parcel left today.")
    visit = context.new_page()  # a new tab: same browser cookies, empty tab storage
    visit.goto(f"{live_server.url}/")
    visit.click("#chat-toggle")
    visit.wait_for_selector("#chat-log .msg.agent", timeout=30_000)
    assert visit.locator("#chat-log .msg.agent p").inner_text() == (
        "Your parcel left today."
    )
    assert visit.locator("#chat-log .msg.user p").first.inner_text() == (
        "I want to talk to a person"
    )
    visit.screenshot(path=str(tmp_path / "chat-new-visit-reply-1400.png"))
    for width in (1400, 390):  # V2 12: the toggle sat on the open panel's top
        visit.set_viewport_size({"width": width, "height": 844})
        toggle = visit.locator("#chat-toggle").bounding_box()
        panel = visit.locator("#chat-panel").bounding_box()
        assert toggle["y"] + toggle["height"] + 8 <= panel["y"], (width, toggle, panel)
    context.close()
