# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""EN/JA texts: what a visitor sees while the server precomputes the default studies at start-up."""

STRINGS: dict[str, dict[str, str]] = {
    "warm.progress": {"en": "The server is computing this page's default study, started when it launched: {done}/{total} runs done.",
                      "ja": "このページの既定の検証は、サーバー起動時から計算中です（{done}/{total} 件完了）。"},
    "warm.note": {"en": "The result appears here by itself when it is ready. Change a setting in {where} to run your own study instead.",
                  "ja": "完了すると自動的にここに結果が表示されます。独自の条件で試す場合は、{where}で設定を変更してください。"},
    "warm.ready": {"en": "Default settings: this result was computed once when the server started ({s:.1f} s) and is shared by every visitor; the button reruns nothing new.",
                   "ja": "既定の設定です。この結果はサーバー起動時に一度だけ計算され（{s:.1f} 秒）、すべての閲覧者で共有されています。ボタンを押しても同じ結果になります。"},
}
