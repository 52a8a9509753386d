"""Screenshots of the main pages at a laptop's (1366 px) and a phone's (390 px) width, for the
README and for review: `make screenshots` writes them to docs/screenshots/.

Skipped unless PARLEY_SCREENSHOTS=1 (they take a while and rewrite files in docs/)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(
        os.environ.get("PARLEY_SCREENSHOTS") != "1", reason="set PARLEY_SCREENSHOTS=1"
    ),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
P = "/p/miami-2025"
WIDTHS = {"laptop": 1366, "phone": 390}

# (file name, who, path): the pages a newcomer sees first, as the mediator and a delegation.
PAGES = [
    ("sign-in", None, "/login"),
    ("processes", "mediator", "/"),
    ("home", "mediator", P),
    ("texts", "mediator", f"{P}/texts"),
    ("positions", "ukraine", f"{P}/positions"),
    ("meetings", "mediator", f"{P}/sessions"),
    ("plan", "mediator", f"{P}/plan"),
    ("ledger", "europe", f"{P}/ledger"),
    ("timeline", "mediator", f"{P}/history"),
    ("audit", "mediator", f"{P}/audit"),
    ("security-keys", "ukraine", "/account/security-keys"),
]


def test_screenshots_of_the_main_pages(sign_in: Any, new_context: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pages: dict[str | None, Any] = {}
    for name, who, path in PAGES:
        if who not in pages:
            pages[who] = sign_in(who, "/") if who else new_context().new_page()
        page = pages[who]
        page.set_default_timeout(60_000)  # pictures, not a speed test: a loaded machine is slow
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
            response = page.goto(path)
            assert response is not None and response.status == 200, (path, who)
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=False)
