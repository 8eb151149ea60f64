"""The public tip line in a browser: a tip sent with the keyboard alone and an
attachment, the analyst's question and the tipster's answer through the follow-up
code, in English and Spanish, with no request leaving the server and axe-core clean."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import LiveServer

pytestmark = pytest.mark.e2e

TAB_LIMIT = 60
QUESTION = "Which entrance of the park did you see him at?"
ANSWER = "The north gate, next to the bike racks."


def small_png() -> bytes:
    """A real 2x2 red PNG, built here so the test needs no fixture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def record_requests(context: BrowserContext) -> list[str]:
    """Every URL the context's pages request, for the 'nothing leaves' check."""
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


def assert_all_local(urls: list[str], server: LiveServer) -> None:
    elsewhere = [url for url in urls if not url.startswith(server.url + "/")]
    assert urls and not elsewhere, f"requests that left {server.url}: {elsewhere}"


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{TAB_LIMIT} presses of Tab never reached {selector}")


def send_tip_by_keyboard(page: Page, narrative: str, *, lang: str = "en") -> tuple[str, str]:
    """Fill and send the tip form with Tab, typing and Enter; return the receipt number
    and the follow-up code."""
    page.goto(f"/tip?lang={lang}")
    tab_to(page, "#narrative")
    page.keyboard.type(narrative)
    page.keyboard.press("Tab")
    expect(page.locator("#location_text")).to_be_focused()
    page.keyboard.type("Riverside Park")
    page.set_input_files(
        "#attachments",
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": small_png()}],
    )
    tab_to(page, "form.usa-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    receipt = page.locator("#receipt-number").inner_text().strip()
    code = page.locator("#followup-code").inner_text().strip()
    assert receipt and code
    return receipt, code


def open_conversation(page: Page, code: str, button: str = "Show messages") -> None:
    page.goto("/tip/follow-up")
    page.locator("#code").fill(code)
    submit(page, button)


def test_tip_round_trip_with_the_keyboard(browse: Browsing, live_server: LiveServer) -> None:
    tipster_context, _ = browse.context()
    tipster_requests = record_requests(tipster_context)
    tipster = tipster_context.new_page()
    receipt, code = send_tip_by_keyboard(
        tipster, "A student said he will bring a gun to the park on Saturday."
    )
    expect(tipster.get_by_role("heading", level=1)).to_have_text(
        "Thank you. Your tip was received."
    )

    analyst_context, _ = browse.context("fusion-analyst")
    analyst_requests = record_requests(analyst_context)
    analyst = analyst_context.new_page()
    analyst.goto("/reports")
    analyst.get_by_role("link", name=receipt, exact=True).click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text(f"Report {receipt}")
    expect(analyst.get_by_role("link", name="photo.png")).to_be_visible()
    analyst.locator("#message").fill(QUESTION)
    submit(analyst, "Send")
    expect(analyst.locator(".usa-alert")).to_contain_text("Your message was added")
    expect(analyst.locator(".vigil-conversation")).to_contain_text(QUESTION)

    open_conversation(tipster, code)
    expect(tipster.get_by_role("heading", level=1)).to_contain_text(receipt)
    expect(tipster.locator(".vigil-conversation")).to_contain_text(QUESTION)
    tipster.locator("#reply").fill(ANSWER)
    submit(tipster, "Send answer")
    expect(tipster.get_by_role("status")).to_contain_text("Your answer was sent.")
    expect(tipster.locator(".vigil-conversation")).to_contain_text(ANSWER)

    analyst.reload()
    expect(analyst.locator(".vigil-conversation")).to_contain_text(ANSWER)
    assert_all_local(tipster_requests, live_server)
    assert_all_local(analyst_requests, live_server)


def test_tip_in_spanish(browse: Browsing, live_server: LiveServer) -> None:
    context, _ = browse.context()
    requests = record_requests(context)
    page = context.new_page()
    receipt, code = send_tip_by_keyboard(
        page, "Un compañero dijo que va a traer un arma a la escuela.", lang="es"
    )
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias. Recibimos su denuncia.")

    page.goto("/tip/follow-up?lang=es")
    page.locator("#code").fill(code)
    submit(page, "Ver mensajes")
    expect(page.get_by_role("heading", level=1)).to_contain_text(receipt)
    assert_all_local(requests, live_server)


# --- accessibility ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_tip_pages_are_accessible(browse: Browsing, lang: str) -> None:
    page = browse.page(bypass_csp=True)
    page.goto(f"/tip?lang={lang}")
    assert_accessible(page)

    # Sent empty: the summary takes the focus and names the narrative.
    submit(page, "Send tip" if lang == "en" else "Enviar denuncia")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#narrative")
    expect(page.locator("#narrative")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"/tip/follow-up?lang={lang}")
    assert_accessible(page)
    page.locator("#code").fill("WRONG-CODE-0000")
    submit(page, "Show messages" if lang == "en" else "Ver mensajes")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_receipt_and_conversation_are_accessible(browse: Browsing) -> None:
    page = browse.page(bypass_csp=True)
    _, code = send_tip_by_keyboard(page, "Someone posted a threat about the mall.")
    assert_accessible(page)

    open_conversation(page, code)
    expect(page.locator("#reply")).to_be_visible()
    assert_accessible(page)
