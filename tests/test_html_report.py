"""The HTML report, opened in a real headless Chromium (Debian's chromium + chromium-driver)."""

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT

from summarizer.cli import main

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromedriver") and shutil.which("chromium")),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)


def test_html_report_highlights_evidence_and_marks_items_in_a_browser(tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    assert main(["eval", "--gold", str(ROOT / "evals/gold"), "--recordings", str(ROOT / "evals/recordings"),
                 "--html", str(page)]) == 0  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(page.as_uri())
        assert driver.title == "summarizer eval report"
        sections = driver.find_elements(By.CSS_SELECTOR, "section.document")
        assert len(sections) == 16
        seed = driver.find_element(By.ID, "doc-nato_rejects_missile_interception")
        both = seed.find_elements(By.CSS_SELECTOR, "mark.ev-pred.ev-gold")
        assert both and any("will not participate" in m.text or "contemplating" in m.text for m in both)
        for kind in ("matched", "missed", "spurious"):
            assert driver.find_elements(By.CSS_SELECTOR, f"li.item.{kind}"), kind
        # the highlighted text is the article itself: concatenated, the seed section shows it verbatim
        article = seed.find_element(By.CSS_SELECTOR, ".article").text
        assert "Jens Stoltenberg has spoken out against the idea" in article
        color = both[0].value_of_css_property("background-color")
        assert color not in ("rgba(0, 0, 0, 0)", "transparent")
    finally:
        driver.quit()
