"""AppTest: the live training page offers the trained HRA run as a PEFT adapter zip (issue 6)."""

from apptest_util import open_page

PAGE = "pages/live_training.py"


def _export_buttons(at):
    return [b for b in at.get("download_button") if "PEFT" in b.proto.label]


def test_export_button_appears_after_training_and_holds_a_peft_adapter():
    at = open_page(PAGE, task="moons-rotate", compare="lora")
    assert not _export_buttons(at)  # nothing trained yet
    at.button(key="train_step").click().run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = _export_buttons(at)
    assert len(buttons) == 1 and "zip" in buttons[0].proto.label
    at = open_page(PAGE, lang="ja", task="moons-rotate", compare="lora")
    at.button(key="train_step").click().run()
    assert any("PEFT 形式" in b.proto.label for b in at.get("download_button"))
