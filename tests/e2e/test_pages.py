"""Every page in English and Japanese in a real browser: no exception, every plotly chart drawn,
Japanese text on ?lang=ja, a screenshot of each under screenshots/ (gitignored)."""

import pytest
from e2e_util import (
    CHARTS_JS,
    KANA_KANJI,
    app_pages,
    clipped_formulas,
    dialogs,
    exceptions,
    goto,
    main_text,
    misaligned_metrics,
    overlapping_titles,
    screenshot,
    truncated_buttons,
    truncated_metrics,
    wait_idle,
)

PAGES = app_pages()
NO_CONTROLS = {"one-minute"}  # pages with no controls but presets (ui.settings_panel)
SLIDE_TOP_MAX = 1.0  # a slide's title starts within this many screen heights (1024 × 768, presentation)


def _check_charts(page) -> int:
    # plotly draws after the element arrives: wait (bounded) until every chart has an svg of real size,
    # and read the charts in that same call (read afterwards, a chart replaced by a rerun in between
    # was once seen without its plot: a flake of the test, not of the page)
    info = page.wait_for_function(
        """() => {
             const ready = Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]')).every(b => {
               const s = b.querySelector('.js-plotly-plot svg.main-svg');
               return s && s.getBoundingClientRect().width > 50 && s.getBoundingClientRect().height > 50; });
             return ready && (""" + CHARTS_JS + """)();
           }""",
        polling=100,
        timeout=30_000,
    ).json_value()
    for i, c in enumerate(info):
        assert c["plot"] and c["svg"], (i, c)
        assert c["w"] > 50 and c["h"] > 50, (i, c)
        assert c["svgNodes"] > 20, (i, c)  # axes, gridlines, titles
        assert c["bare"] == [], f"chart {i}: subplots drawn without axes (no trace in them): {c}"
        if c["traces"]:
            assert c["drawn"] > 0 or c["canvases"] > 0, f"chart {i} has {c['traces']} traces, none drawn: {c}"
    return len(info)


def _check_fit(page) -> None:
    """Nothing cut off or overlapping: formulas, metric texts, button labels, chart titles; the values
    of a row of metrics line up."""
    assert clipped_formulas(page) == []
    assert truncated_metrics(page) == []
    assert misaligned_metrics(page) == []
    assert truncated_buttons(page) == []
    assert overlapping_titles(page) == []


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name,path", PAGES, ids=[n for n, _ in PAGES])
def test_page_renders(page, base_url, name, path, lang):
    goto(page, f"{base_url}/{path}" + ("?lang=ja" if lang == "ja" else ""))
    assert exceptions(page) == []
    assert dialogs(page) == []  # e.g. "Page not found"
    assert page.locator("h1").count() >= 1
    n = _check_charts(page)
    text = main_text(page)
    if lang == "ja":
        assert len(KANA_KANJI.findall(text)) > 20, text[:300]
    else:
        assert len(KANA_KANJI.findall(text)) < 5, text[:300]
    _check_fit(page)
    screenshot(page, f"{name}-{lang}")
    # a 1024-px screen (a classroom projector) with the sidebar open, and an 800-px window (half a
    # laptop screen; subplot titles shrink in a chart narrower than 600 px): everything still fits
    for width in (1024, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        _check_fit(page)
    print(f"{name} [{lang}]: {n} plotly charts")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name,path", PAGES, ids=[n for n, _ in PAGES])
def test_presentation_mode_fits_a_projector(page, base_url, name, path, lang):
    """Presentation mode (fonts 22 px, sidebar hidden) on a 1024 × 768 projector, every slide: nothing
    cut off or overlapping (preset buttons in columns of three and metric values at 2.6rem were cut
    there), and a way back on every page, also one that stops before its slides (the A/B pilot); the
    page's controls in a Settings popover, since the sidebar that holds them is hidden."""
    page.set_viewport_size({"width": 1024, "height": 768})
    goto(page, f"{base_url}/{path}?present=true" + ("&lang=ja" if lang == "ja" else ""))
    page.locator("[data-testid=stSidebar]").wait_for(state="hidden", timeout=10_000)
    leave = page.locator("[class*=st-key-leave_] button")
    leave.first.wait_for(timeout=20_000)  # a rerun right after the first idle may still be drawing it
    assert leave.count() == 1
    # the presenter's toolbar, above the title: the page's controls (the hidden sidebar's) in one Settings
    # popover, the presets in another; each opens and shows its widgets whole
    assert page.locator(".st-key-settings_panel button").count() == (0 if name in NO_CONTROLS else 1)
    popovers = page.locator(".st-key-present_toolbar [data-testid=stPopoverButton]")
    assert popovers.count() == (name not in NO_CONTROLS) + (page.locator(".st-key-present_toolbar "
                                                                          "[class*=st-key-presets_]").count())
    for i in range(popovers.count()):
        popovers.nth(i).click()
        body = page.locator("[data-testid=stPopoverBody]")
        body.locator("input:visible, [role=slider]:visible, button:visible").first.wait_for(timeout=10_000)
        assert truncated_buttons(page) == []
        page.keyboard.press("Escape")
        body.wait_for(state="hidden", timeout=10_000)
    # one idea per screen: the slide's title is on the projector's first screen (the intros pushed it
    # 720-1975 px down before they were folded into "About this page")
    top = page.evaluate("() => document.querySelector('[data-testid=stMain] h3')"
                        "?.getBoundingClientRect().top")
    assert top is None or top < 768 * SLIDE_TOP_MAX, top
    options = page.locator("[class*=st-key-slide_] [data-testid=stRadioOption]")
    n = options.count()
    for i in range(max(n, 1)):
        if i:  # the next slide, as a presenter's clicker turns it (PageDown: the Next button's shortcut)
            page.keyboard.press("PageDown")
            page.wait_for_function(
                "(i) => document.querySelectorAll('[class*=st-key-slide_] [data-testid=stRadioOption] "
                "input')[i]?.checked", arg=i, timeout=20_000)
            wait_idle(page)
        assert exceptions(page) == []
        _check_charts(page)
        _check_fit(page)
    screenshot(page, f"{name}-{lang}-present")
    print(f"{name} [{lang}]: {n} slides")


def test_presentation_preset_applies_and_gets_out_of_the_way(page, base_url):
    """A preset chosen from the presenter's toolbar sets the page (three mirrors: the F comes out
    mirrored) and closes its popover, which would otherwise stay open over the slide."""
    page.set_viewport_size({"width": 1024, "height": 768})
    goto(page, f"{base_url}/reflect?present=true")
    page.locator(".st-key-present_toolbar [class*=st-key-presets_] [data-testid=stPopoverButton]").click()
    page.locator(".st-key-preset_slide_geo_odd button").click()
    page.wait_for_function("() => document.body.innerText.includes('3 / 3')", timeout=20_000)
    wait_idle(page)
    page.locator("[data-testid=stPopoverBody]").wait_for(state="hidden", timeout=10_000)
    assert exceptions(page) == []


# pages with sections folded on arrival (spectra folds too, once its study has run: AppTest covers it)
FOLDED = ["wy-form", "training", "inspect", "real-model"]


@pytest.mark.parametrize("path", FOLDED)
def test_folded_sections_open_and_draw(page, base_url, path):
    """Issue 13: a page draws its first sections on arrival and folds the others; each one opens on a
    click and then draws its figures (nothing is lost, only not drawn before it is asked for)."""
    goto(page, f"{base_url}/{path}")
    before = _check_charts(page)
    summaries = page.locator("[data-testid=stExpander] summary")
    n = summaries.count()
    assert n >= 1, "no folded section"
    for i in range(n):
        summaries.nth(i).click()
        wait_idle(page)
    assert exceptions(page) == []
    after = _check_charts(page)
    assert after > before, (before, after)
    _check_fit(page)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.wait_for_timeout(500)
    _check_fit(page)
    print(f"{path}: {before} charts on arrival, {after} with every section open")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_results_fit_a_narrow_screen(page, base_url, lang):
    """Pages with results (four methods after ten steps; a pilot's verdict, figures, table and report
    buttons): nothing cut off or overlapping at 1400 px, nor at 1024 px with the sidebar open."""
    goto(page, f"{base_url}/training?lang={lang}&compare=lora&compare=oft&compare=full")
    page.locator(".st-key-train_step button").click()
    page.wait_for_function("() => document.body.innerText.includes('10 / 300')", timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid=stMetric]").count() >= 8  # four methods, two metrics each
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        _check_fit(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    goto(page, f"{base_url}/ab-pilot?lang={lang}&pilot_seeds=3&steps=100")
    page.locator(".st-key-pilot_run button").click()
    page.wait_for_selector(".st-key-pilot_report button", timeout=120_000)
    wait_idle(page)
    assert exceptions(page) == []
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        _check_fit(page)
