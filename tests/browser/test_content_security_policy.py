"""The Content-Security-Policy (issue 16.14) breaks none of the screens: the
storefront (sort select, chat widget), the admin and the API docs run in headless
Chromium with the policy on and no violation reported. Screens are saved at 1,400 and
390 px (``SCREENSHOT_DIR``, default a temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "browser-pw-123456"
# Every violation the page reports is kept on window.__csp.
RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _visit(page, url: str, shots: Path, name: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for width in (1400, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"csp-{name}-{width}.png"), full_page=True)
    return page.evaluate("window.__csp")


def test_no_screen_violates_the_policy(
    live_server, browser, transactional_db, django_user_model, shots
):
    for i in range(3):
        make_product(description=f"WHITE HANGING HEART T-LIGHT HOLDER {i}")
    django_user_model.objects.create_superuser("boss", "b@example.com", PASSWORD)
    page = browser.new_page(bypass_csp=False)  # the policy on, as for visitors
    page.add_init_script(RECORD)
    base = live_server.url
    header = page.goto(f"{base}/").headers["content-security-policy"]
    assert "script-src 'self'" in header

    assert _visit(page, f"{base}/", shots, "home") == []
    page.click("#chat-toggle")
    page.wait_for_selector("#chat-log .msg.bot")  # the widget's fetch went through
    assert page.evaluate("window.__csp") == []

    assert _visit(page, f"{base}/search/?q=heart", shots, "search") == []
    with page.expect_navigation():
        page.select_option("#sort", index=1)  # forms.js submits on change
    assert "sort=" in page.url and page.evaluate("window.__csp") == []

    assert _visit(page, f"{base}/api/docs/", shots, "api-docs") == []
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.evaluate("window.__csp") == []

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    assert _visit(page, f"{base}/admin/", shots, "admin-home") == []
    assert _visit(page, f"{base}/admin/shop/product/", shots, "admin-products") == []
    product = make_product(description="BLUE MUG")
    assert (
        _visit(
            page,
            f"{base}/admin/shop/product/{product.pk}/change/",
            shots,
            "admin-product",
        )
        == []
    )
