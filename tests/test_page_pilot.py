"""AppTest: the A/B pilot page (a tiny pilot: 2 methods × 2 seeds × 20 steps), EN and JA."""

from apptest_util import figs, open_page

PAGE = "pages/pilot.py"


def test_pilot_runs_on_demand_and_offers_the_report():
    at = open_page(PAGE, steps="20", pilot_seeds="2", r="4")
    assert at.title[0].value.startswith("A/B pilot")
    assert not figs(at) and not at.get("download_button")  # nothing runs on page load
    assert any("95 % confidence interval excludes 0" in c.value for c in at.caption)
    at.button(key="pilot_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    f = figs(at)
    assert len(f) == 3  # differences, results, costs
    names = {tr.get("name") for tr in f[1]["data"]}
    assert {"HRA", "LoRA"} <= names
    verdicts = " ".join(x.value for x in [*at.success, *at.warning, *at.info])
    assert "target accuracy:" in verdicts and "2 seeds" in verdicts
    table = at.dataframe[0].value
    assert list(table["method"]) == ["HRA", "LoRA"] and table["trainable parameters"].iloc[0] == "768"
    buttons = at.get("download_button")
    assert len(buttons) == 2
    labels = " ".join(b.proto.label for b in buttons)
    assert "meeting report" in labels and "JSON" in labels
    # new settings: the old result is not shown for them
    at.slider(key="pilot_seeds").set_value(3).run()
    assert not figs(at)


def test_japanese_one_method_and_bad_params():
    at = open_page(PAGE, lang="ja", pilot_seeds="99", steps="abc", pilot_methods="hra")
    assert at.title[0].value.startswith("A/B パイロット")
    warnings = " ".join(w.value for w in at.warning)
    assert "pilot_seeds=" in warnings and "steps=" in warnings
    assert at.slider(key="pilot_seeds").value == 10
    assert "2 つ以上" in warnings  # one method: nothing to compare
    assert not at.button or all(b.key != "pilot_run" for b in at.button)


def test_japanese_verdict_and_presentation_mode():
    at = open_page(PAGE, lang="ja", steps="20", pilot_seeds="2", r="4")
    at.button(key="pilot_run").click().run()
    assert not at.exception
    said = " ".join(x.value for x in [*at.success, *at.warning, *at.info])
    assert "ターゲット精度：" in said and "シード 2 個" in said
    at.toggle(key="present").set_value(True).run()
    assert not at.exception and len(at.subheader) == 1
    at.radio(key="slide_pilot").set_value(2).run()
    assert not at.exception and len(at.get("download_button")) == 2


def test_presentation_mode_before_the_run_offers_a_way_back():
    """The page stops before its slides until the pilot has run; in presentation mode (sidebar hidden)
    it must still draw the way out of presentation mode, and the run button."""
    at = open_page(PAGE, steps="20", pilot_seeds="2", r="4")
    assert "leave_pilot" not in {b.key for b in at.button}
    at.toggle(key="present").set_value(True).run()
    keys = {b.key for b in at.button}
    assert {"pilot_run", "leave_pilot"} <= keys
    at.button(key="leave_pilot").click().run()
    assert not at.exception and at.toggle(key="present").value is False
    assert "leave_pilot" not in {b.key for b in at.button}
