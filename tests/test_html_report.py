"""The HTML report, opened in a real headless Chromium (the ``driver`` fixture; .ci/run installs
Debian's chromium and chromium-driver, and a missing browser fails the test rather than skipping it)."""

from pathlib import Path
from typing import Any

from conftest import ROOT

from summarizer.cli import main


def test_html_report_highlights_evidence_and_marks_items_in_a_browser(tmp_path: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    assert main(["eval", "--gold", str(ROOT / "evals/gold"), "--recordings", str(ROOT / "evals/recordings"),
                 "--html", str(page)]) == 0  # fmt: skip
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
