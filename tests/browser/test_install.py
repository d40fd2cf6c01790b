"""Installability: Chromium reports no manifest errors (over CDP; Lighthouse dropped its audit)."""

import pytest

from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import PHONE
from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser


def test_chromium_reports_no_installability_errors(
    playwright_instance, chromium_path, live_server, tmp_path
):
    # Installability is never reported in incognito-like contexts: use a real profile.
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path,
        args=CHROMIUM_ARGS,
        headless=True,
        **PHONE,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/auth/login")
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == live_server.url + "/manifest.webmanifest"
        assert manifest["errors"] == []
        assert '"display": "standalone"' in manifest["data"]
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
    finally:
        context.close()
