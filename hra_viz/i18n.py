# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""Every user-visible string, in English and Japanese. ``t(key, lang, **fmt)``.

The Japanese is written for business readers (polite です/ます); method names (HRA, LoRA, OFT)
stay in Latin letters. A missing key or language raises, so tests catch it (tests/test_i18n.py
also checks that both languages use the same ``{placeholders}``). Strings are always passed
through ``str.format``: write literal braces as ``{{`` and ``}}``.
"""

from __future__ import annotations

__all__ = ["LANGS", "STRINGS", "t", "run_status", "run_note"]

LANGS = ("en", "ja")

STRINGS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- pages
    "page.home": {"en": "HRA in one minute", "ja": "1 分でわかる HRA"},
    "page.reflections": {"en": "Reflections (2D and 3D)", "ja": "反射を見る（2D・3D）"},
    "page.wy_form": {"en": "Chain = I + UΓUᵀ", "ja": "反射の連鎖 = I + UΓUᵀ"},
    # ---------------------------------------------------------------- methods
    "method.hra": {"en": "HRA", "ja": "HRA"},
    "method.lora": {"en": "LoRA", "ja": "LoRA"},
    "method.oft": {"en": "OFT", "ja": "OFT"},
    "method.full": {"en": "Full fine-tuning", "ja": "全パラメータ学習"},
    "method.head": {"en": "Head only", "ja": "出力層のみ"},
    "method.frozen": {"en": "Frozen layer", "ja": "凍結した層のみ"},
    # ---------------------------------------------------------------- controls
    "ctl.lang.label": {"en": "Language", "ja": "言語"},
    "ctl.lang.help": {"en": "Language of every text and figure (URL: lang=en|ja).",
                      "ja": "画面と図のすべての言語です（URL: lang=en|ja）。"},
    "ctl.device.label": {"en": "Device", "ja": "計算デバイス"},
    "ctl.device.help": {"en": "auto uses a GPU (cuda) when there is one, otherwise the CPU.",
                        "ja": "auto の場合、GPU（cuda）があれば GPU を、なければ CPU を使います。"},
    "ctl.seed.label": {"en": "Global seed", "ja": "乱数シード（全体）"},
    "ctl.seed.help": {"en": "Same seed, same numbers: a copied link reproduces every figure exactly.",
                      "ja": "シードが同じなら結果も同じです。URL をコピーすれば、同じ図をそのまま再現できます。"},
    "ctl.present.label": {"en": "Presentation mode", "ja": "プレゼンテーションモード"},
    "ctl.present.help": {"en": "Large fonts, controls hidden, one idea per screen.",
                         "ja": "文字を大きくし、操作パネルを隠して、1 画面に 1 つの論点だけを表示します。"},
    "ctl.method.label": {"en": "Method", "ja": "手法"},
    "ctl.method.help": {"en": "hra, lora, oft, full (every weight) or head (last layer only).",
                        "ja": "hra、lora、oft、full（全重み）、head（最終層のみ）から選びます。"},
    "ctl.task.label": {"en": "Task", "ja": "タスク"},
    "ctl.task.help": {"en": "The data set the base model is adapted to.",
                      "ja": "ベースモデルを適応させる先のデータセットです。"},
    "ctl.r.label": {"en": "Chain length r", "ja": "反射の数 r"},
    "ctl.r.help": {"en": "Number of Householder reflections (1–64, and at most d).",
                   "ja": "Householder 反射の数です（1〜64、かつ d 以下）。"},
    "ctl.lam.label": {"en": "Regulariser λ", "ja": "正則化の強さ λ"},
    "ctl.lam.help": {"en": "Weight of ‖I − ÛᵀÛ‖²; the paper uses 1e-5 to 1e-3. 0 switches it off.",
                     "ja": "‖I − ÛᵀÛ‖² の重みです。論文では 1e-5〜1e-3 を使います。0 で無効になります。"},
    "ctl.lr.label": {"en": "Learning rate", "ja": "学習率"},
    "ctl.lr.help": {"en": "Step size of the optimiser (log scale).", "ja": "最適化の歩幅です（対数目盛）。"},
    "ctl.steps.label": {"en": "Training steps", "ja": "学習ステップ数"},
    "ctl.steps.help": {"en": "Capped at 5000 so that no run can hold the server for long.",
                       "ja": "サーバーを長時間占有しないよう、上限は 5000 です。"},
    "ctl.variant.label": {"en": "Variant", "ja": "方式"},
    "ctl.variant.help": {"en": "chain: H = H₁…Hᵣ. orthonormal: λ = ∞, H = I − 2QQᵀ (can never equal I).",
                         "ja": "chain は H = H₁…Hᵣ、orthonormal は λ = ∞ の方式 H = I − 2QQᵀ です"
                               "（恒等写像にはなれません）。"},
    "ctl.dim.label": {"en": "Space", "ja": "空間"},
    "ctl.dim.help": {"en": "2D: mirrors are lines. 3D: mirrors are planes.",
                     "ja": "2D では鏡は直線、3D では鏡は平面になります。"},
    "ctl.shape.label": {"en": "Shape", "ja": "図形"},
    "ctl.shape.help": {"en": "F: the letter F (easy to see when it is mirrored). digit: a handwritten 7 from "
                             "scikit-learn's digits.",
                       "ja": "F は文字 F（鏡像になるとすぐ分かります）、digit は scikit-learn の手書き数字の 7 です。"},
    "ctl.mirrors.label": {"en": "Number of mirrors r", "ja": "鏡の数 r"},
    "ctl.mirrors.help": {"en": "How many reflections are chained (1–6).", "ja": "連鎖させる反射の数です（1〜6）。"},
    "ctl.stage.label": {"en": "Step through the chain", "ja": "連鎖を 1 ステップずつ見る"},
    "ctl.stage.help": {"en": "0 shows the original shape; k shows it after k reflections (the last mirror "
                             "acts first).",
                       "ja": "0 は元の図形、k は k 回反射した後の図形です（最後の鏡が最初に作用します）。"},
    "ctl.d.label": {"en": "Dimension d", "ja": "次元 d"},
    "ctl.d.help": {"en": "Size of H (d × d). Capped at 64 so the heatmaps stay readable and small.",
                   "ja": "H の大きさ（d × d）です。ヒートマップを見やすく保つため、上限は 64 です。"},
    "ctl.dout.label": {"en": "Output size d_out of W", "ja": "W の出力次元 d_out"},
    "ctl.dout.help": {"en": "Rows of the frozen weight W in the LoRA view.",
                      "ja": "LoRA との対応を示す図で使う、凍結重み W の行数です。"},
    "ctl.init.label": {"en": "Initialisation of U", "ja": "U の初期化"},
    "ctl.init.help": {"en": "random: PEFT's kaiming-uniform. symmetric: pairs of equal columns, so H = I "
                            "(needs an even r).",
                      "ja": "random は PEFT と同じ kaiming-uniform、symmetric は同じ列を 2 本ずつ並べる方式で、"
                            "H = I から始まります（r が偶数のときのみ）。"},
    # ---------------------------------------------------------------- URL warnings
    "warn.reset": {"en": "URL parameter {key}={raw} was ignored ({why}); using the default {default}.",
                   "ja": "URL パラメータ {key}={raw} は使用できないため（{why}）、既定値 {default} を使います。"},
    "warn.clamped": {"en": "URL parameter {key}={raw} is outside the safe range {lo}…{hi}; using {value}.",
                     "ja": "URL パラメータ {key}={raw} は安全な範囲 {lo}〜{hi} の外にあるため、{value} に"
                           "調整しました。"},
    "warn.snapped": {"en": "URL parameter {key}={raw} is not one of the offered values; using the nearest, {value}.",
                     "ja": "URL パラメータ {key}={raw} は選択肢にないため、最も近い値 {value} を使います。"},
    "warn.unknown_key": {"en": "Unknown setting {key}.", "ja": "不明な設定項目 {key} です。"},
    "warn.r_gt_d": {"en": "r = {r} is larger than d = {d}: a chain in d dimensions uses at most d reflections, "
                          "so r = {d} is used.",
                    "ja": "r = {r} は d = {d} より大きいため、r = {d} を使います（d 次元では反射は最大 d 個です）。"},
    "warn.device": {"en": "Device {value} is not available on this machine; using auto.",
                    "ja": "このマシンではデバイス {value} を使えないため、auto を使います。"},
    "why.invalid": {"en": "not a valid value", "ja": "値として不正です"},
    "why.repeated": {"en": "the parameter appears more than once", "ja": "同じパラメータが複数回指定されています"},
    "why.empty": {"en": "empty", "ja": "値が空です"},
    "why.too_long": {"en": "too long", "ja": "値が長すぎます"},
    "why.not_bool": {"en": "expected true or false", "ja": "true か false を指定してください"},
    "why.not_choice": {"en": "not one of the options", "ja": "選択肢にない値です"},
    "why.not_number": {"en": "not a plain number", "ja": "数値として読み取れません"},
    "why.not_finite": {"en": "not a finite number", "ja": "有限の数値ではありません"},
    # ---------------------------------------------------------------- presets
    "preset.classroom.label": {"en": "Classroom: HRA vs LoRA", "ja": "授業用：HRA と LoRA の比較"},
    "preset.classroom.help": {"en": "Live training on the moons task, r = 8, same seed for every method "
                                    "(Live training page).",
                              "ja": "moons タスクでの学習を r = 8、同じシードで比較します"
                                    "（リアルタイム学習のページ）。"},
    "preset.chain_2_32.label": {"en": "Chain length 2→32", "ja": "反射の数 2→32"},
    "preset.chain_2_32.help": {"en": "Sweep r from 2 to 32 on rotated digits (chain-length page).",
                               "ja": "回転した手書き数字で r を 2 から 32 まで変えて比較します（反射の数のページ）。"},
    "preset.stakeholder.label": {"en": "Stakeholder: cost and stability", "ja": "意思決定者向け：コストと安定性"},
    "preset.stakeholder.help": {"en": "The one-minute summary in Japanese, in presentation mode.",
                                "ja": "1 分でわかる要約を、日本語・プレゼンテーションモードで表示します。"},
    "preset.geo_pair.label": {"en": "Two mirrors = a rotation", "ja": "2 枚の鏡 = 回転"},
    "preset.geo_pair.help": {"en": "Mirrors 45° apart turn the F by 90°.",
                             "ja": "45° 離れた 2 枚の鏡で、F が 90° 回転します。"},
    "preset.geo_odd.label": {"en": "Three mirrors: mirrored F", "ja": "3 枚の鏡：F が裏返る"},
    "preset.geo_odd.help": {"en": "An odd chain has det H = −1: the letter comes out mirrored.",
                            "ja": "奇数個の反射では det H = −1 となり、文字が鏡像になります。"},
    "preset.geo_cancel.label": {"en": "Same mirror twice = nothing", "ja": "同じ鏡を 2 回 = 元どおり"},
    "preset.geo_cancel.help": {"en": "Hᵢ Hᵢ = I: why HRA can start exactly at the pretrained model.",
                               "ja": "Hᵢ Hᵢ = I です。HRA が事前学習モデルとまったく同じ状態から始められる理由です。"},
    "preset.geo_3d.label": {"en": "3D: rotation about an axis", "ja": "3D：軸のまわりの回転"},
    "preset.geo_3d.help": {"en": "Two planes through the z axis, 45° apart: a 90° turn about z.",
                           "ja": "z 軸を含み 45° 離れた 2 枚の平面で、z 軸まわりに 90° 回転します。"},
    "preset.wy_small.label": {"en": "Small: d = 8, r = 3", "ja": "小さな例：d = 8、r = 3"},
    "preset.wy_small.help": {"en": "Every cell of Γ is readable.", "ja": "Γ のすべての値を読み取れます。"},
    "preset.wy_symmetric.label": {"en": "Symmetric init: H = I", "ja": "対称初期化：H = I"},
    "preset.wy_symmetric.help": {"en": "Pairs of equal columns: the chain is exactly the identity at the start.",
                                 "ja": "同じ列を 2 本ずつ並べると、連鎖は最初ちょうど恒等写像になります。"},
    "preset.wy_full.label": {"en": "r = d: full rank", "ja": "r = d：フルランク"},
    "preset.wy_full.help": {"en": "With r = d reflections, H − I can have full rank.",
                            "ja": "r = d 個の反射があれば、H − I はフルランクになり得ます。"},
    # ---------------------------------------------------------------- shared UI
    "ui.presets": {"en": "Presets", "ja": "プリセット"},
    "ui.dl_html": {"en": "⬇ {name} (HTML)", "ja": "⬇ {name}（HTML）"},
    "ui.dl_csv": {"en": "⬇ {name} (CSV)", "ja": "⬇ {name}（CSV）"},
    "ui.slide": {"en": "Slide", "ja": "スライド"},
    "ui.leave_present": {"en": "Leave presentation", "ja": "プレゼンを終了"},
    "ui.device_in_use": {"en": "Device in use: {device}", "ja": "使用中のデバイス：{device}"},
    "ui.computing": {"en": "Measuring on this machine…", "ja": "このマシンで計測しています…"},
    # ---------------------------------------------------------------- figures
    "fig.params.title": {"en": "Trainable parameters on one 768 × 768 layer",
                         "ja": "768 × 768 の層 1 つあたりの学習パラメータ数"},
    "fig.params.y": {"en": "parameters (log scale)", "ja": "パラメータ数（対数目盛）"},
    "fig.spectrum.title": {"en": "Largest change of a singular value of W, at the same ‖ΔW‖",
                           "ja": "同じ大きさの更新 ‖ΔW‖ で W の特異値が最も大きく変わった量"},
    "fig.spectrum.y": {"en": "max |Δσ| (log scale)", "ja": "max |Δσ|（対数目盛）"},
    "fig.cost.title": {"en": "Measured time per training step (CPU, this machine)",
                       "ja": "学習 1 ステップあたりの実測時間（CPU、このマシン）"},
    "fig.cost.y": {"en": "ms per step", "ja": "1 ステップあたりのミリ秒"},
    "fig.refl.original": {"en": "original x", "ja": "元の図形 x"},
    "fig.refl.mirror": {"en": "mirror {i}", "ja": "鏡 {i}"},
    "fig.refl.title": {"en": "The shape after {k} of {r} reflections",
                       "ja": "{r} 回のうち {k} 回反射した後の図形"},
    "fig.wy.title": {"en": "The naive product and the compact form are the same matrix",
                     "ja": "素朴な積とコンパクトな形は同じ行列です"},
    "fig.wy.h": {"en": "H = H₁⋯Hᵣ (naive)", "ja": "H = H₁⋯Hᵣ（素朴な積）"},
    "fig.wy.wy": {"en": "I + ÛΓÛᵀ", "ja": "I + ÛΓÛᵀ"},
    "fig.wy.diff": {"en": "difference (max {err})", "ja": "差（最大 {err}）"},
    "fig.gamma.title": {"en": "Γ ({r} × {r}): upper triangular, −2 on the diagonal",
                        "ja": "Γ（{r} × {r}）：上三角で、対角成分はすべて −2"},
    "fig.sv.title": {"en": "Singular values of H − I", "ja": "H − I の特異値"},
    "fig.sv.x": {"en": "index i", "ja": "番号 i"},
    "fig.sv.y": {"en": "σᵢ(H − I)", "ja": "σᵢ(H − I)"},
    "fig.sv.rline": {"en": "r = {r}", "ja": "r = {r}"},
    "fig.lora.title": {"en": "W H = W + A B: HRA as a LoRA whose factors depend on W",
                       "ja": "W H = W + A B：因子が W に依存する LoRA としての HRA"},
    "fig.timing.title": {"en": "Time to get W H, r = {r} (CPU, float32, measured now)",
                         "ja": "W H を求める時間、r = {r}（CPU・float32・その場で計測）"},
    "fig.timing.naive": {"en": "naive: build H (d × d), then W H", "ja": "素朴な方法：H（d × d）を作ってから W H"},
    "fig.timing.wy": {"en": "WY route: W + ((WÛ)Γ)Ûᵀ", "ja": "WY 形式：W + ((WÛ)Γ)Ûᵀ"},
    "fig.timing.y": {"en": "ms (log scale)", "ja": "ミリ秒（対数目盛）"},
    # ---------------------------------------------------------------- home
    "home.title": {"en": "HRA in one minute", "ja": "1 分でわかる HRA"},
    "home.intro": {
        "en": "**Householder Reflection Adaptation (HRA)** fine-tunes a frozen layer W by multiplying it with a "
              "chain of r mirror reflections: W' = W H. Stakeholders ask three questions: *is it cheap*, *does "
              "it keep what the model knew*, and *what does a step cost*. Every number below is computed on this "
              "machine, now, on one {d} × {d} layer with r = {r}.",
        "ja": "**Householder Reflection Adaptation（HRA）** は、凍結した層 W に r 枚の「鏡の反射」を連鎖させた行列を"
              "掛けて調整する手法です（W' = W H）。よく聞かれるのは「安く済むのか」「元のモデルの知識は保たれるのか」"
              "「1 ステップの計算コストはどうか」の 3 点です。以下の数値はすべて、{d} × {d} の層 1 つ（r = {r}）に"
              "ついて、このマシンでいま計算したものです。"},
    "home.params.title": {"en": "1 · Few trainable parameters", "ja": "1 · 学習するパラメータが少ない"},
    "home.params.text": {
        "en": "HRA learns only the r vectors u₁…uᵣ, each of length d_in: r·d_in numbers. LoRA learns two factors, "
              "r·(d_in + d_out); OFT here uses blocks of size b = {b}. On a {d} × {d} layer with r = {r}, HRA "
              "trains about half as many numbers as LoRA and about 1 % of full fine-tuning.",
        "ja": "HRA が学習するのは長さ d_in のベクトル u₁…uᵣ だけで、その数は r·d_in 個です。LoRA は 2 つの因子で "
              "r·(d_in + d_out) 個、OFT はここではブロックサイズ b = {b} を使います。{d} × {d} の層、r = {r} では、"
              "HRA の学習パラメータは LoRA の約半分、全パラメータ学習の約 1 % です。"},
    "home.kept.title": {"en": "2 · Keeps what the model knew", "ja": "2 · 元のモデルの知識を保つ"},
    "home.kept.text": {
        "en": "H is orthogonal, so W H has exactly the same singular values as W, and the angles between its "
              "neurons do not change: HRA turns the inputs, it does not stretch them. OFT shares this; LoRA and "
              "full fine-tuning do not. Below, on a {d} × {d} layer with r = {r}, each method changes W by the same amount ‖ΔW‖ (OFT by a random "
              "rotation); the bars show how much the largest singular value moved.",
        "ja": "H は直交行列なので、W H の特異値は W とまったく同じで、ニューロン同士の角度も変わりません。"
              "HRA は入力を「回す」だけで、「伸び縮み」させないためです。OFT も同じ性質を持ちますが、LoRA と"
              "全パラメータ学習は持ちません。下の図では、{d} × {d} の層（r = {r}）について、各手法で W を同じ大きさ ‖ΔW‖ だけ変え（OFT はランダムな回転）、"
              "特異値がどれだけ動いたかを比べています。"},
    "home.cost.title": {"en": "3 · Cost per training step", "ja": "3 · 学習 1 ステップあたりのコスト"},
    "home.cost.text": {
        "en": "Measured here: forward + backward + update of one {d} × {d} layer on {tokens} tokens, r = {r}, "
              "with this app's exact fast route (H is never built as a d × d matrix).",
        "ja": "ここでの計測条件：{d} × {d} の層 1 つ、{tokens} トークン、r = {r} で、順伝播・逆伝播・更新までを"
              "含みます。本アプリの高速かつ厳密な計算方法（d × d の行列 H を作らない方法）を使っています。"},
    "home.cost.hra": {"en": "HRA per step", "ja": "HRA（1 ステップ）"},
    "home.cost.lora": {"en": "LoRA per step", "ja": "LoRA（1 ステップ）"},
    "home.cost.ratio": {"en": "HRA / LoRA", "ja": "HRA ÷ LoRA"},
    "home.cost.loses": {
        "en": "**Where HRA loses:** a training step costs about × {ratio:.2f} the time of LoRA here. The "
              "reflections are coupled (Γ mixes all r of them), so there is more arithmetic per token; and "
              "HRA can never change the singular values of W, which some tasks need.",
        "ja": "**HRA が不利な点：** ここでは学習 1 ステップに LoRA の約 {ratio:.2f} 倍の時間がかかります。"
              "反射どうしが結び付いている（Γ が r 個すべてを混ぜる）ため、トークンあたりの計算が多くなるためです。"
              "また、HRA は W の特異値を変えられないため、それが必要なタスクには向きません。"},
    "home.cost.par": {
        "en": "On this machine HRA and LoRA are close (× {ratio:.2f}). HRA still cannot change the singular "
              "values of W, which some tasks need.",
        "ja": "このマシンでは HRA と LoRA の差は小さい結果です（{ratio:.2f} 倍）。ただし HRA は W の特異値を"
              "変えられないため、それが必要なタスクには向きません。"},
    "home.cost.caption": {
        "en": "Building H as a d × d matrix on every step (as PEFT 0.21 does) is far slower: 18× to 36× LoRA "
              "at d = 1024. The page \"Chain = I + UΓUᵀ\" shows why the fast route is exact.",
        "ja": "PEFT 0.21 のように毎ステップ d × d の行列 H を作ると、d = 1024 で LoRA の 18〜36 倍の時間がかかります。"
              "高速な計算方法が厳密に同じ結果になる理由は「反射の連鎖 = I + UΓUᵀ」のページで説明しています。"},
    "home.next.title": {"en": "See it for yourself", "ja": "実際に操作してみる"},
    "home.next.text": {"en": "These pages explain where these properties come from and test them live. Every "
                             "setting is in the URL, so a link reproduces exactly what you see.",
                       "ja": "以下のページで、これらの性質がどこから来るのかを説明し、実際に確かめます。設定はすべて URL に"
                             "含まれるため、リンクを共有すれば同じ画面を再現できます。"},
    # ---------------------------------------------------------------- reflections
    "refl.title": {"en": "Reflections: the building block of HRA", "ja": "反射：HRA を構成する部品"},
    "refl.intro": {
        "en": "A Householder reflection Hᵢ mirrors every point in the line (2D) or plane (3D) perpendicular to a "
              "vector uᵢ. HRA chains r of them. Choose the vectors by their angles in the sidebar.",
        "ja": "Householder 反射 Hᵢ は、ベクトル uᵢ に垂直な直線（2D）または平面（3D）を鏡として、すべての点を"
              "折り返します。HRA はこれを r 個つなげたものです。ベクトルの向きはサイドバーの角度で選べます。"},
    "refl.chain.title": {"en": "The chain, one mirror at a time", "ja": "連鎖を 1 枚ずつたどる"},
    "refl.chain.text": {
        "en": "Dashed lines are the mirrors uᵢ⊥; the short arrows are the vectors uᵢ. The grey shape is the "
              "input; the blue one is the shape after the chosen number of reflections. A point meets the "
              "**last** mirror first, because H x = H₁(H₂(⋯Hᵣ(x))).",
        "ja": "破線が鏡 uᵢ⊥、短い矢印がベクトル uᵢ です。灰色が入力の図形、青が選んだ回数だけ反射した後の図形です。"
              "H x = H₁(H₂(⋯Hᵣ(x))) なので、点は**最後の**鏡から順に反射されます。"},
    "refl.metric.stage": {"en": "reflections applied", "ja": "適用した反射の数"},
    "refl.metric.orientation": {"en": "orientation", "ja": "向き"},
    "refl.orient.flipped": {"en": "mirrored", "ja": "裏返し"},
    "refl.orient.kept": {"en": "kept", "ja": "そのまま"},
    "refl.stage_capped": {"en": "End of the chain: all {r} reflections applied. Move \"Step through the chain\" "
                                "down to watch one mirror at a time.",
                          "ja": "連鎖の最後まで、{r} 回すべての反射を適用した状態です。「連鎖を 1 ステップずつ見る」を"
                                "小さくすると、1 枚ずつ確認できます。"},
    "refl.pair.title": {"en": "Two reflections make a rotation", "ja": "2 回の反射は回転になる"},
    "refl.pair.need_two": {"en": "Add a second mirror to see a pair act as a rotation.",
                           "ja": "鏡を 2 枚以上にすると、ペアが回転として働く様子を確認できます。"},
    "refl.pair.text": {
        "en": "The first pair H(u₁)H(u₂) turns the plane spanned by u₁ and u₂ by twice the angle θ between the "
              "two vectors, and leaves the rest of the space alone. An even chain is r/2 such rotations.",
        "ja": "最初のペア H(u₁)H(u₂) は、u₁ と u₂ が張る平面を、2 つのベクトルのなす角 θ の 2 倍だけ回転させ、"
              "それ以外の方向は動かしません。偶数個の連鎖は、このような回転を r/2 個重ねたものです。"},
    "refl.pair.theta": {"en": "angle θ between u₁ and u₂", "ja": "u₁ と u₂ のなす角 θ"},
    "refl.pair.two_theta": {"en": "predicted rotation 2θ", "ja": "予測される回転角 2θ"},
    "refl.pair.measured": {"en": "rotation measured on the shape", "ja": "図形で実測した回転角"},
    "refl.pair.error": {"en": "difference", "ja": "誤差"},
    "refl.pair.caption": {"en": "Signed, in the plane (u₁, u₂): predicted {pred:.4f}°, measured {meas:.4f}°.",
                          "ja": "平面 (u₁, u₂) 上での符号付きの角度：予測 {pred:.4f}°、実測 {meas:.4f}°。"},
    "refl.odd.title": {"en": "An odd chain flips orientation", "ja": "奇数個の反射は向きを裏返す"},
    "refl.odd.text": {
        "en": "Each reflection has determinant −1, so the chain has det H = (−1)^r. With an odd r the letter "
              "comes out mirrored, and no rotation can undo that. This is also why an odd chain can never start "
              "exactly at the identity.",
        "ja": "反射 1 回の行列式は −1 なので、連鎖全体では det H = (−1)^r です。r が奇数だと文字は鏡像になり、"
              "どんな回転でも元には戻せません。奇数個の連鎖が恒等写像から始められないのもこのためです。"},
    "refl.odd.measured": {"en": "det H, measured", "ja": "det H（実測）"},
    "refl.odd.now_flipped": {"en": "With r = {r} the shape is **mirrored**.",
                             "ja": "r = {r} なので、図形は**裏返って**います。"},
    "refl.odd.now_kept": {"en": "With r = {r} the shape keeps its orientation (it is only rotated).",
                          "ja": "r = {r} なので、図形の向きは保たれています（回転しているだけです）。"},
    "refl.keep.title": {"en": "Nothing is stretched", "ja": "長さも角度も変わらない"},
    "refl.keep.text": {
        "en": "A chain of reflections is orthogonal: every length and every angle is kept exactly. For a "
              "network this means the pretrained features are turned, not distorted.",
        "ja": "反射の連鎖は直交変換なので、長さも角度も厳密に保たれます。ニューラルネットワークでいえば、"
              "事前学習で得た特徴を「歪める」のではなく「回す」だけ、ということです。"},
    "refl.keep.len": {"en": "max | ‖Hx‖ − ‖x‖ |", "ja": "max | ‖Hx‖ − ‖x‖ |"},
    "refl.keep.angle": {"en": "max change of an angle", "ja": "角度の最大変化"},
    "refl.keep.orth": {"en": "max |HᵀH − I|", "ja": "max |HᵀH − I|"},
    "refl.keep.caption": {"en": "Measured over all {n} points of the shape and every pair of them, in float64; "
                                "1e-16 is the rounding error of the computer.",
                          "ja": "図形の {n} 点すべてと、そのすべての組について float64 で計測しています。"
                                "1e-16 程度はコンピュータの丸め誤差です。"},
    # ---------------------------------------------------------------- WY form
    "wy.title": {"en": "Chain = I + ÛΓÛᵀ", "ja": "反射の連鎖 = I + ÛΓÛᵀ"},
    "wy.intro": {
        "en": "Multiplying r reflections naively builds a d × d matrix. The same matrix has a compact form: "
              "the identity plus a product of thin factors Û (d × r) and a small triangular Γ (r × r). That form "
              "is why HRA can train without ever building H.",
        "ja": "r 個の反射を素朴に掛け合わせると d × d の行列ができます。同じ行列は、恒等行列に細長い因子 Û（d × r）と"
              "小さな三角行列 Γ（r × r）の積を足した、コンパクトな形でも書けます。この形のおかげで、HRA は H を作らずに"
              "学習できます。"},
    "wy.odd_symmetric": {"en": "Symmetric init needs an even r (r = {r} is odd: det H = −1 ≠ det I). A random "
                               "init is used instead.",
                         "ja": "対称初期化には偶数の r が必要です（r = {r} は奇数で det H = −1 ≠ det I）。"
                               "代わりにランダム初期化を使います。"},
    "wy.equal.title": {"en": "Two ways to write the same H", "ja": "同じ H の 2 通りの書き方"},
    "wy.equal.text": {"en": "Left: the product of {r} reflections in {d} dimensions. Middle: the compact form. "
                            "Right: their difference, which is rounding error only.",
                      "ja": "左は {d} 次元での {r} 個の反射の積、中央はコンパクトな形、右はその差です。"
                            "差は丸め誤差だけです。"},
    "wy.metric.wy_err": {"en": "max |H − (I + ÛΓÛᵀ)|", "ja": "max |H − (I + ÛΓÛᵀ)|"},
    "wy.metric.orth": {"en": "max |HᵀH − I|", "ja": "max |HᵀH − I|"},
    "wy.gamma.title": {"en": "Γ: a small triangular matrix", "ja": "Γ：小さな三角行列"},
    "wy.gamma.text": {
        "en": "Γ is upper triangular with −2 on its diagonal. The paper builds it one reflection at a time; the "
              "same Γ comes from one triangular solve. Both are computed here and compared.",
        "ja": "Γ は対角成分が −2 の上三角行列です。論文では反射を 1 つずつ加えながら作りますが、三角行列の方程式を"
              "1 回解くだけでも同じ Γ が得られます。ここでは両方を計算して比べています。"},
    "wy.metric.gamma_err": {"en": "max |Γ(closed form) − Γ(recurrence)|", "ja": "max |Γ（閉じた式）− Γ（漸化式）|"},
    "wy.metric.gamma_shape": {"en": "size of Γ", "ja": "Γ の大きさ"},
    "wy.rank.title": {"en": "H − I has rank at most r", "ja": "H − I のランクは r 以下"},
    "wy.rank.text": {
        "en": "H only acts inside the span of the uᵢ: every direction perpendicular to all of them passes "
              "unchanged. So H − I has at most r non-zero singular values, all between 0 and 2.",
        "ja": "H が作用するのは uᵢ が張る空間の中だけで、それらすべてに垂直な方向はそのまま通ります。"
              "そのため H − I の 0 でない特異値は最大 r 個で、いずれも 0 から 2 の間にあります。"},
    "wy.metric.rank": {"en": "non-zero singular values", "ja": "0 でない特異値の数"},
    "wy.metric.rank_of": {"en": "≤ r = {r} (of d = {d})", "ja": "≤ r = {r}（d = {d} 個中）"},
    "wy.metric.sv_match": {"en": "dense SVD vs r × r route", "ja": "密な SVD と r × r 計算の差"},
    "wy.lora.title": {"en": "HRA is an adaptive LoRA", "ja": "HRA は「適応的な LoRA」"},
    "wy.lora.text": {
        "en": "Multiply the compact form by the frozen W: W H = W + A B with A = WÛΓ and B = Ûᵀ. That is a "
              "rank-r update, like LoRA, but A is not free: it is tied to W, which is what keeps the spectrum.",
        "ja": "コンパクトな形に凍結した W を掛けると、W H = W + A B（A = WÛΓ、B = Ûᵀ）になります。LoRA と同じく"
              "ランク r の更新ですが、A は自由なパラメータではなく W に結び付いています。これが特異値を保つ仕組みです。"},
    "wy.metric.lora_err": {"en": "max |WH − (W + AB)|", "ja": "max |WH − (W + AB)|"},
    "wy.metric.hra_params": {"en": "HRA parameters r·d", "ja": "HRA のパラメータ数 r·d"},
    "wy.metric.lora_params": {"en": "LoRA parameters r·(d + d_out)", "ja": "LoRA のパラメータ数 r·(d + d_out)"},
    "wy.lora.caption": {"en": "Shapes: W H and W are {dout} × {d}; A is {dout} × {r}; B is {r} × {d}.",
                        "ja": "形：W H と W は {dout} × {d}、A は {dout} × {r}、B は {r} × {d} です。"},
    "wy.cost.title": {"en": "What the compact form saves", "ja": "コンパクトな形で何が節約できるか"},
    "wy.cost.text": {
        "en": "The naive route builds the d × d matrix H and multiplies W by it; the WY route only ever touches "
              "thin d × r factors. The table counts the extra flops of a training step on {n} tokens for each "
              "exact route (the app picks the cheapest); the chart times both ways of getting W H on this machine.",
        "ja": "素朴な方法では d × d の行列 H を作ってから W に掛けますが、WY 形式では細長い d × r の因子しか扱いません。"
              "表は {n} トークンの学習 1 ステップで各計算方法が追加する演算量（アプリは最も安い方法を自動で選びます）、"
              "グラフはこのマシンで W H を求める 2 つの方法の実測時間です。"},
    "wy.metric.naive_ms": {"en": "naive, d = {d}", "ja": "素朴な方法（d = {d}）"},
    "wy.metric.wy_ms": {"en": "WY route, d = {d}", "ja": "WY 形式（d = {d}）"},
    "wy.metric.speedup": {"en": "speed-up", "ja": "高速化の倍率"},
    "wy.flops.route": {"en": "route", "ja": "計算方法"},
    "wy.flops.small": {"en": "flops ({dout} × {d})", "ja": "演算量（{dout} × {d}）"},
    "wy.flops.big": {"en": "flops (768 × 768)", "ja": "演算量（768 × 768）"},
    "wy.cost.caption": {
        "en": "× = extra flops divided by the frozen layer's own forward (2·N·d_in·d_out), N = {n}, r = {r}. "
              "activation: x + ((xÛ)Γᵀ)Ûᵀ; lora: base(x) + ((xÛ)Γᵀ)(WÛ)ᵀ; materialise: build H (PEFT 0.21). "
              "On tiny layers building H can be cheaper; on real ones it is not.",
        "ja": "× は追加演算量を凍結層自身の順伝播（2·N·d_in·d_out）で割った値です（N = {n}、r = {r}）。"
              "activation は x + ((xÛ)Γᵀ)Ûᵀ、lora は base(x) + ((xÛ)Γᵀ)(WÛ)ᵀ、materialise は H を作る方法"
              "（PEFT 0.21）です。ごく小さな層では H を作る方が安いこともありますが、実用的な大きさの層ではそうなりません。"},
    # ---------------------------------------------------------------- new pages (training, sweep, spectra, λ)
    "page.training": {"en": "Live training", "ja": "リアルタイム学習"},
    "page.chain_length": {"en": "Chain length r", "ja": "反射の数 r"},
    "page.spectra": {"en": "Spectra and geometry", "ja": "特異値と幾何"},
    "page.regulariser": {"en": "λ and the λ = ∞ variant", "ja": "正則化 λ と λ = ∞ 方式"},
    "ctl.compare.label": {"en": "Compare with", "ja": "比較する手法"},
    "ctl.compare.help": {"en": "Up to 3 more methods, trained side by side on the same task and seed.",
                         "ja": "同じタスク・同じシードで並べて学習する手法を、最大 3 つまで追加できます。"},
    "ctl.rmax.label": {"en": "Sweep r up to", "ja": "r の上限（スイープ）"},
    "ctl.rmax.help": {"en": "r = 2, 4, 8, … up to this value; 4 runs per r, so 32 and 64 take longer.",
                      "ja": "r = 2, 4, 8, … をこの値まで試します。r ごとに 4 回学習するため、32 や 64 は時間がかかります。"},
    "ctl.lam_sweep.label": {"en": "Also sweep λ (0, λ, 1e-2)", "ja": "λ も変えて比較（0、λ、1e-2）"},
    "ctl.lam_sweep.help": {"en": "Runs HRA three times per r, with λ = 0, the chosen λ and 1e-2.",
                           "ja": "r ごとに HRA を λ = 0、選んだ λ、1e-2 の 3 通りで学習します。"},
    "ctl.layer.label": {"en": "Layer", "ja": "層"},
    "ctl.layer.help": {"en": "Which of the 3 Linear layers of the MLP to show (1 = input side).",
                       "ja": "MLP の 3 つの全結合層のうち、どれを表示するかを選びます（1 が入力側）。"},
    "warn.multi": {"en": "URL parameter {key}={raw} had values that are not options or too many (at most {n}); "
                         "using {value}.",
                   "ja": "URL パラメータ {key}={raw} に選択肢にない値か多すぎる値（最大 {n} 個）が含まれていたため、"
                         "{value} を使います。"},
    "preset.four_methods.label": {"en": "All four methods on digits", "ja": "4 手法を手書き数字で比較"},
    "preset.four_methods.help": {"en": "HRA, LoRA, OFT and full fine-tuning side by side on rotated digits.",
                                 "ja": "回転した手書き数字で、HRA・LoRA・OFT・全パラメータ学習を並べて学習します。"},
    "preset.spectra_r8.label": {"en": "Spectra at r = 8", "ja": "r = 8 の特異値"},
    "preset.spectra_r8.help": {"en": "Four short runs on rotated digits, first layer.",
                               "ja": "回転した手書き数字で 4 手法を短く学習し、第 1 層を表示します。"},
    "preset.lambda_tension.label": {"en": "λ against symmetric init", "ja": "λ と対称初期化のせめぎ合い"},
    "preset.lambda_tension.help": {"en": "HRA with λ from 0 to 0.1 and λ = ∞, 200 steps on rotated digits.",
                                   "ja": "回転した手書き数字で、λ = 0〜0.1 と λ = ∞ の HRA を 200 ステップ学習します。"},
    # training page
    "train.title": {"en": "Live training", "ja": "リアルタイム学習"},
    "train.intro": {
        "en": "Press **Play** and watch each method adapt the same pretrained model to a shifted task, on the same "
              "seed. Each tick runs a few optimiser steps and redraws. *Target accuracy* is what we adapt for; "
              "*retention* is the share of the original task the model still solves.",
        "ja": "**再生** を押すと、同じ事前学習済みモデルを、同じシードのもとで各手法が新しいタスクに適応させる様子を"
              "見られます。一定間隔ごとに数ステップ学習して図を更新します。*ターゲット精度* は適応先での精度、"
              "*知識保持率* は元のタスクをどれだけ解けているかの割合です。"},
    "train.r_capped": {"en": "r = {r} is larger than the narrowest layer of {task} (d_in = {cap}); r = {cap} is used.",
                       "ja": "r = {r} は {task} の最も狭い層（d_in = {cap}）より大きいため、r = {cap} を使います。"},
    "train.play": {"en": "▶ Play", "ja": "▶ 再生"},
    "train.pause": {"en": "⏸ Pause", "ja": "⏸ 一時停止"},
    "train.step": {"en": "⏭ Step (+{k})", "ja": "⏭ ステップ（+{k}）"},
    "train.reset": {"en": "↺ Reset", "ja": "↺ リセット"},
    "train.device": {"en": "Device: **{device}** · methods: {methods} · seed {seed} · {task}",
                     "ja": "デバイス：**{device}** ・ 手法：{methods} ・ シード {seed} ・ {task}"},
    "train.params": {"en": "{n} trainable parameters", "ja": "学習パラメータ {n} 個"},
    "train.m.target": {"en": "Target accuracy", "ja": "ターゲット精度"},
    "train.m.retention": {"en": "Retention (source task)", "ja": "知識保持率（元タスク）"},
    "train.status": {"en": "step {step} / {steps} · {status}", "ja": "ステップ {step} / {steps} ・ {status}"},
    "run.status.ready": {"en": "ready", "ja": "準備完了"},
    "run.status.running": {"en": "running", "ja": "学習中"},
    "run.status.paused": {"en": "paused", "ja": "一時停止中"},
    "run.status.finished": {"en": "finished: {steps} steps", "ja": "完了：{steps} ステップ"},
    "run.status.diverged": {"en": "the loss became {kind} at step {step}; the last finite state (after step {kept}) is kept",
                            "ja": "ステップ {step} で損失が {kind} になりました。最後に有限だった状態（ステップ {kept} の後）を保持しています"},
    "run.status.invalid": {"en": "invalid settings: {detail}", "ja": "設定が無効です：{detail}"},
    "run.status.error": {"en": "error: {detail}", "ja": "エラー：{detail}"},
    "run.note.odd_r": {"en": "Symmetric init needs an even r (here r = {r}): an odd number of reflections has det H = −1, so the chain can never "
                             "equal the identity. A random init is used instead, so this adapter does not start as the identity.",
                       "ja": "対称初期化には偶数の r が必要です（現在 r = {r}）。奇数個の反射の積は det H = −1 となり、恒等写像にはなれません。"
                             "そのためランダム初期化を使っており、このアダプタは恒等写像から学習を始めません。"},
    "train.diverged": {"en": "Training diverged: {status}. That state is what is shown.",
                       "ja": "学習が発散しました。{status}。表示しているのはその状態です。"},
    "train.curves.title": {"en": "Loss, target accuracy and retention", "ja": "損失・ターゲット精度・知識保持率"},
    "train.curves.text": {
        "en": "One colour per method. Accuracies are measured on held-out test sets every 10 steps. On a task that "
              "conflicts with the source (a rotation), every method forgets some of the original task: compare "
              "how much.",
        "ja": "色は手法ごとに固定です。精度は 10 ステップごとにテストデータで測定します。元のタスクと競合する"
              "タスク（回転）では、どの手法も元の知識を多少失います。その程度を比べてください。"},
    "train.gram.title": {"en": "How the reflection vectors move: ÛᵀÛ", "ja": "反射ベクトルの動き：ÛᵀÛ"},
    "train.gram.text": {
        "en": "Each cell is the cosine between two reflection vectors uᵢ, uⱼ (r = {r}). At symmetric init the "
              "vectors come in equal pairs (cosine 1 next to the diagonal), so H = I. As training moves them "
              "apart, each pair becomes a rotation. Largest off-diagonal |cos| now: **{off:.3f}**.",
        "ja": "各セルは 2 本の反射ベクトル uᵢ, uⱼ のなす角の余弦です（r = {r}）。対称初期化ではベクトルが同じもの同士の"
              "ペアになっている（対角の隣が 1）ため、H = I です。学習でペアが離れると、それぞれが回転になります。"
              "現在の非対角成分の最大 |cos|：**{off:.3f}**"},
    "train.gram.penalty": {"en": "Regulariser term Σ‖I − ÛᵀÛ‖²_F now: {pen:.4f}",
                           "ja": "正則化項 Σ‖I − ÛᵀÛ‖²_F の現在値：{pen:.4f}"},
    "train.boundary.title": {"en": "Decision boundary on the rotated moons", "ja": "回転した三日月での決定境界"},
    "train.boundary.text": {
        "en": "Colour is the predicted probability of class 1; dots are rotated test points with their true "
              "class. The boundary turns to follow the rotated data as training goes on.",
        "ja": "色はクラス 1 と予測する確率、点は回転後のテストデータ（色が正解クラス）です。学習が進むにつれて、"
              "境界が回転したデータに合わせて向きを変えます。"},
    "train.digits.title": {"en": "Sample predictions on rotated digits", "ja": "回転した手書き数字の予測例"},
    "train.digits.text": {
        "en": "The same {n} rotated test images for every method, titled *predicted / true*; wrong answers are "
              "orange. Correct now: {right}.",
        "ja": "どの手法にも同じ {n} 枚の回転済みテスト画像を使い、*予測 / 正解* を表示しています。誤りは橙色です。"
              "現在の正解数：{right}"},
    # chain-length page
    "chain.title": {"en": "Chain length r: what more reflections buy", "ja": "反射の数 r：反射を増やすと何が変わるか"},
    "chain.intro": {
        "en": "HRA's only size knob is r, the number of reflections. This sweep trains HRA for r = 2, 4, 8, … and, "
              "at the same budgets, LoRA and OFT; full fine-tuning is the dashed reference.",
        "ja": "HRA の大きさを決めるのは反射の数 r だけです。ここでは r = 2, 4, 8, … で HRA を学習し、同じ予算の "
              "LoRA と OFT も学習します。破線は全パラメータ学習（参考値）です。"},
    "chain.matched": {
        "en": "Matched budgets: LoRA uses rank r/2, so on a square d × d layer it has (r/2)(d + d) = r·d parameters, "
              "exactly HRA's r·d. OFT uses blocks of size b = 2r, d(2r − 1)/2 ≈ r·d parameters. The output "
              "layer (64 → 10) is not square, so the true totals differ a little: the parameter panel shows them.",
        "ja": "予算の揃え方：LoRA はランク r/2 とし、d × d の正方行列の層では (r/2)(d + d) = r·d 個となり、HRA の r·d "
              "と一致します。OFT はブロックサイズ b = 2r で d(2r − 1)/2 ≈ r·d 個です。出力層（64 → 10）は正方で"
              "ないため実際の総数は少し異なります。正確な数はパラメータ数の図に示しています。"},
    "chain.capped": {"en": "r up to {rmax} was asked for, but the narrowest layer has d_in = {cap}: larger r are "
                           "left out.",
                     "ja": "r の上限として {rmax} が指定されましたが、最も狭い層は d_in = {cap} のため、それより大きい r "
                           "は除外します。"},
    "chain.run": {"en": "▶ Run the sweep: {n} runs (r = {rs}), {steps} steps each",
                  "ja": "▶ スイープを実行：{n} 回の学習（r = {rs}）、各 {steps} ステップ"},
    "chain.progress": {"en": "Training {i} / {n} {label}", "ja": "学習中 {i} / {n} {label}"},
    "chain.press": {"en": "Press the button to train. Results are cached: the same settings come back at once.",
                    "ja": "ボタンを押すと学習を始めます。結果はキャッシュされるため、同じ設定ならすぐに表示されます。"},
    "chain.m.best": {"en": "Best HRA target accuracy", "ja": "HRA のターゲット精度（最高）"},
    "chain.m.ret": {"en": "HRA retention at r = {r}", "ja": "r = {r} での HRA の知識保持率"},
    "chain.m.hmi": {"en": "‖H − I‖₂ across r (max over layers)", "ja": "r ごとの ‖H − I‖₂（層の最大値）"},
    "chain.m.ms": {"en": "HRA time per step (mean)", "ja": "HRA の 1 ステップ時間（平均）"},
    "chain.sec.numbers": {"en": "The numbers at a glance", "ja": "主要な数値"},
    "chain.sec.table": {"en": "Every run of the sweep", "ja": "スイープの全結果"},
    "chain.no_hra": {"en": "No HRA run of this sweep finished: see the status column of the table.",
                     "ja": "このスイープでは HRA の学習が 1 件も完了しませんでした。表の状態の列をご確認ください。"},
    "chain.read": {
        "en": "How to read it: more reflections give HRA more freedom (higher target accuracy) but also let it move "
              "further from the pretrained model, so retention usually falls. ‖H − I‖₂ is how far H is from the "
              "identity: at most 2 for any orthogonal H. Time per step grows slowly with r.",
        "ja": "読み方：反射を増やすと HRA の自由度が上がり（ターゲット精度が上がる）、同時に事前学習済みモデルから"
              "離れやすくなるため、知識保持率は下がる傾向があります。‖H − I‖₂ は H が恒等行列からどれだけ離れて"
              "いるかを表し、直交行列では最大 2 です。1 ステップの時間は r とともに緩やかに増えます。"},
    "fig.chain.title": {"en": "Against the chain length r", "ja": "反射の数 r に対する変化"},
    "fig.chain.target": {"en": "target accuracy", "ja": "ターゲット精度"},
    "fig.chain.retention": {"en": "retention", "ja": "知識保持率"},
    "fig.chain.params": {"en": "trainable parameters", "ja": "学習パラメータ数"},
    "fig.chain.time": {"en": "ms per step", "ja": "1 ステップの時間（ミリ秒）"},
    "fig.chain.hmi_spec": {"en": "‖H − I‖₂ (HRA)", "ja": "‖H − I‖₂（HRA）"},
    "fig.chain.hmi_fro": {"en": "‖H − I‖_F (HRA)", "ja": "‖H − I‖_F（HRA）"},
    # spectra page
    "spec.title": {"en": "Spectra and geometry after training", "ja": "学習後の特異値と幾何"},
    "spec.intro": {
        "en": "Four short runs on the same task and seed (HRA, LoRA, OFT, full fine-tuning, each with its tuned "
              "learning rate). We then look inside each trained layer: what happened to its singular values, to "
              "the angles between its neurons, and where HRA's reflections point.",
        "ja": "同じタスク・同じシードで 4 手法（HRA、LoRA、OFT、全パラメータ学習。学習率は手法ごとに調整済み）を"
              "短く学習し、各層の中身を調べます。特異値、ニューロン同士の角度、そして HRA の反射ベクトルの向きが"
              "どう変わったかを見ます。"},
    "spec.run": {"en": "▶ Train 4 short runs (r = {r}, {steps} steps)",
                 "ja": "▶ 4 手法を短く学習（r = {r}、{steps} ステップ）"},
    "spec.training": {"en": "Training on this machine…", "ja": "このマシンで学習しています…"},
    "spec.press": {"en": "Press the button to train. Results are cached: the same settings come back at once.",
                   "ja": "ボタンを押すと学習を始めます。結果はキャッシュされるため、同じ設定ならすぐに表示されます。"},
    "spec.acc": {"en": "target acc. {acc}", "ja": "ターゲット精度 {acc}"},
    "spec.kept.title": {"en": "Singular values before and after", "ja": "学習前後の特異値"},
    "spec.kept.text": {
        "en": "Layer {layer}. The thick grey line is σ(W) of the pretrained layer. HRA (solid blue) and OFT (dashed "
              "green) lie exactly on it: an orthogonal H cannot stretch anything. LoRA and full fine-tuning move "
              "the spectrum. The numbers are max |Δσ| measured now.",
        "ja": "層 {layer}。太い灰色の線が事前学習済みの層の σ(W) です。HRA（青の実線）と OFT（緑の破線）はこれと"
              "完全に重なります。直交行列 H は何も伸び縮みさせないためです。LoRA と全パラメータ学習は特異値を"
              "変えます。数値はいま計測した max |Δσ| です。"},
    "spec.delta.title": {"en": "The update ΔW has rank ≤ r", "ja": "更新量 ΔW のランクは r 以下"},
    "spec.delta.text": {
        "en": "Singular values of ΔW = W' − W. HRA's update is (WÛΓ)Ûᵀ, so at most r = {r} of them are non-zero, like "
              "LoRA; OFT's block rotations and full fine-tuning change W in many directions. Below: numerical rank "
              "of ΔW per method.",
        "ja": "ΔW = W' − W の特異値です。HRA の更新は (WÛΓ)Ûᵀ なので、LoRA と同様に 0 でない値は最大 r = {r} 個です。"
              "OFT のブロック回転や全パラメータ学習は多くの方向に W を変えます。下の数値は手法ごとの ΔW の数値ランクです。"},
    "spec.rank": {"en": "rank ΔW · {m}", "ja": "ΔW のランク・{m}"},
    "spec.energy.title": {"en": "Hyperspherical energy of the neurons", "ja": "ニューロンの超球面エネルギー"},
    "spec.energy.text": {
        "en": "Hyperspherical energy measures how evenly the neurons (rows of W, normalised) spread on the sphere. "
              "It depends only on the angles between neurons, which HRA and OFT keep: their relative change is at "
              "round-off level. LoRA and full fine-tuning change it.",
        "ja": "超球面エネルギーは、正規化したニューロン（W の行）が球面上にどれだけ均等に散らばっているかを表します。"
              "ニューロン同士の角度だけで決まり、HRA と OFT はこの角度を保つため、相対変化は丸め誤差程度です。"
              "LoRA と全パラメータ学習はこれを変えます。"},
    "spec.angles.title": {"en": "Where the reflections point, and how far each pair turns",
                          "ja": "反射ベクトルの向きと、各ペアの回転角"},
    "spec.angles.text": {
        "en": "Left: principal angles between span(U) and the top-r right singular vectors of W (r = {r}); 0° means "
              "HRA reflects W's strongest input directions, 90° that it works where W barely listens. Right: a pair "
              "of reflections is a rotation by twice the angle between its vectors; at symmetric init every pair "
              "is 0° (the identity).",
        "ja": "左：span(U) と W の上位 r 個の右特異ベクトル（r = {r}）との主角度です。0° は W が最も強く反応する入力"
              "方向を反射していること、90° は W がほとんど反応しない方向で働いていることを意味します。右：2 枚の反射の"
              "ペアは、2 つのベクトルのなす角の 2 倍の回転です。対称初期化ではすべてのペアが 0°（恒等写像）です。"},
    "spec.m.principal": {"en": "principal angles (trained)", "ja": "主角度（学習後）"},
    "spec.m.pairs": {"en": "mean pair rotation (trained)", "ja": "ペアの平均回転角（学習後）"},
    "spec.m.pairs_init": {"en": "mean pair rotation (init)", "ja": "ペアの平均回転角（初期値）"},
    "fig.spec.title": {"en": "σᵢ of layer {layer}: before (grey) and after", "ja": "層 {layer} の σᵢ：学習前（灰色）と学習後"},
    "fig.spec.before": {"en": "pretrained W", "ja": "事前学習済みの W"},
    "fig.spec.x": {"en": "index i", "ja": "番号 i"},
    "fig.dspec.title": {"en": "σᵢ(ΔW) of layer {layer} (log scale)", "ja": "層 {layer} の σᵢ(ΔW)（対数目盛）"},
    "fig.energy.title": {"en": "Relative change of hyperspherical energy", "ja": "超球面エネルギーの相対変化"},
    "fig.energy.y": {"en": "|HE(W') − HE(W)| / HE(W)", "ja": "|HE(W') − HE(W)| / HE(W)"},
    "fig.angles.title": {"en": "HRA geometry, layer {layer}", "ja": "HRA の幾何（層 {layer}）"},
    "fig.angles.principal": {"en": "principal angles span(U) ∠ top-r of W", "ja": "span(U) と W の上位 r 方向の主角度"},
    "fig.angles.pairs": {"en": "rotation angle of each pair", "ja": "各ペアの回転角"},
    "fig.angles.init": {"en": "at init", "ja": "初期値"},
    "fig.angles.trained": {"en": "trained", "ja": "学習後"},
    "fig.angles.pair_x": {"en": "pair k = (u₂ₖ₋₁, u₂ₖ)", "ja": "ペア k = (u₂ₖ₋₁, u₂ₖ)"},
    # λ page
    "lam.title": {"en": "The regulariser λ against symmetric init, and λ = ∞",
                  "ja": "正則化 λ と対称初期化のせめぎ合い、そして λ = ∞"},
    "lam.intro": {
        "en": "HRA starts at H = I by pairing equal vectors. The paper's regulariser rewards orthogonal vectors. "
              "Those two pull in opposite directions: at symmetric init the penalty is at least r per layer, and its "
              "gradient pushes each pair apart, towards a 180° rotation, while the task wants H close to I.",
        "ja": "HRA は同じベクトルをペアにすることで H = I から始めます。一方、論文の正則化項は互いに直交するベクトルを"
              "好みます。この 2 つは逆方向に引っ張り合います。対称初期化では正則化項は層ごとに r 以上で、その勾配は"
              "各ペアを引き離し、180° の回転に向かわせます。しかしタスクの側は H が I に近いことを望みます。"},
    "lam.odd": {"en": "r = {r} is odd: symmetric init is impossible (det H = −1), so a random init is used.",
                "ja": "r = {r} は奇数のため対称初期化はできません（det H = −1）。ランダム初期化を使います。"},
    "lam.run": {"en": "▶ Train HRA with λ = {lams} ({steps} steps each)",
                "ja": "▶ λ = {lams} で HRA を学習（各 {steps} ステップ）"},
    "lam.tension.title": {"en": "Penalty, distance from I, and accuracy", "ja": "正則化項・I からの距離・精度"},
    "lam.tension.text": {
        "en": "Measured now: at symmetric init the penalty summed over the {layers} layers is **{pen:.2f}**, never "
              "below r × layers = {floor}. Larger λ drives the penalty down by turning pairs towards 180° "
              "(third panel), which moves H away from I (second panel). Below each λ: final target accuracy, "
              "‖H − I‖₂ and mean pair angle.",
        "ja": "いまの計測値：対称初期化での正則化項は {layers} 層の合計で **{pen:.2f}** で、r × 層数 = {floor} を"
              "下回ることはありません。λ を大きくすると、ペアを 180° に近づけて（3 番目の図）正則化項を下げるため、"
              "H は I から離れます（2 番目の図）。各 λ の下の数値は、最終的なターゲット精度、‖H − I‖₂、ペアの平均回転角です。"},
    "lam.tension.caption": {
        "en": "The paper's range is λ ∈ [1e-5, 1e-3]; there the pull is weak. λ = 0.1 shows the tension clearly.",
        "ja": "論文で使われる範囲は λ ∈ [1e-5, 1e-3] で、その範囲では引っ張りは弱めです。λ = 0.1 ではせめぎ合いがはっきり見えます。"},
    "lam.m.delta": {"en": "‖H−I‖₂ {h} · pairs {p}", "ja": "‖H−I‖₂ {h} ・ ペア {p}"},
    "lam.inf.title": {"en": "λ = ∞: what the orthonormal variant can and cannot represent",
                      "ja": "λ = ∞：正規直交方式で表せるもの・表せないもの"},
    "lam.inf.text": {
        "en": "With λ = ∞ the vectors are orthonormalised (by QR): H = I − 2QQᵀ. This H is a reflection through a "
              "subspace: symmetric, H² = I, and ‖H − I‖₂ = 2 exactly, so **it can never be the identity** nor a "
              "small rotation. Measured: ‖H − I‖₂ = {h0:.6f} at the start and {h1:.6f} after training. To change "
              "W as little as possible it starts at W's weakest right singular directions: source accuracy at "
              "step 0 is {s0:.1%} (base {bs:.1%}), target {t0:.1%} (base {bt:.1%}). After training it reaches "
              "{t1:.1%} target accuracy, against {c1:.1%} for the chain with λ = 0.",
        "ja": "λ = ∞ ではベクトルを QR で正規直交化し、H = I − 2QQᵀ とします。この H は部分空間に関する鏡映で、対称、"
              "H² = I、‖H − I‖₂ はちょうど 2 です。したがって **恒等写像にも、小さな回転にもなれません**。計測値："
              "‖H − I‖₂ は開始時 {h0:.6f}、学習後 {h1:.6f}。W をできるだけ変えないよう、W の最も弱い右特異方向から"
              "始めます。ステップ 0 での元タスク精度は {s0:.1%}（ベース {bs:.1%}）、ターゲット精度は {t0:.1%}"
              "（ベース {bt:.1%}）です。学習後のターゲット精度は {t1:.1%} で、λ = 0 の連鎖方式は {c1:.1%} です。"},
    "lam.inf.can": {
        "en": "**Can:** any reflection through an (d − r)-dimensional subspace; det H = (−1)ʳ. **Cannot:** the "
              "identity, small rotations, or any H that is not its own inverse. The plain chain (finite λ) can "
              "represent every orthogonal H with det (−1)ʳ once r is large enough, including I.",
        "ja": "**表せるもの：** (d − r) 次元の部分空間に関する任意の鏡映（det H = (−1)ʳ）。**表せないもの：** 恒等写像、"
              "小さな回転、自分自身の逆行列にならない H。通常の連鎖方式（有限の λ）は、r が十分大きければ I を含め、"
              "det が (−1)ʳ のあらゆる直交行列 H を表せます。"},
    "lam.m.start_src": {"en": "source accuracy at step 0 (λ = ∞)", "ja": "ステップ 0 の元タスク精度（λ = ∞）"},
    "lam.m.end_target": {"en": "target accuracy after training (λ = ∞)", "ja": "学習後のターゲット精度（λ = ∞）"},
    "lam.m.vs_chain": {"en": "chain, λ = 0: {v}", "ja": "連鎖方式 λ = 0：{v}"},
    "fig.lam.title": {"en": "HRA over training, per λ", "ja": "λ ごとの学習の推移（HRA）"},
    "fig.lam.penalty": {"en": "penalty Σ‖I − ÛᵀÛ‖²", "ja": "正則化項 Σ‖I − ÛᵀÛ‖²"},
    "fig.lam.hmi": {"en": "‖H − I‖₂ (max over layers)", "ja": "‖H − I‖₂（層の最大値）"},
    "fig.lam.pairs": {"en": "mean pair rotation (°)", "ja": "ペアの平均回転角（°）"},
    "fig.lam.target": {"en": "target accuracy", "ja": "ターゲット精度"},
    # live figures
    "fig.live.title": {"en": "Live training", "ja": "リアルタイム学習"},
    "fig.live.loss": {"en": "loss (log)", "ja": "損失（対数）"},
    "fig.live.target": {"en": "target accuracy", "ja": "ターゲット精度"},
    "fig.live.retention": {"en": "retention (source accuracy / base)", "ja": "知識保持率（元タスク精度 / ベース）"},
    "fig.live.step": {"en": "step", "ja": "ステップ"},
    "fig.gram.title": {"en": "ÛᵀÛ of each HRA layer (cosines between the uᵢ)", "ja": "各 HRA 層の ÛᵀÛ（uᵢ 同士の余弦）"},
    "fig.boundary.title": {"en": "P(class 1) and rotated test points", "ja": "クラス 1 の確率と回転後のテストデータ"},
    "fig.digits.title": {"en": "predicted / true (orange = wrong)", "ja": "予測 / 正解（橙色 = 誤り）"},
    "fig.digits.hover": {"en": "predicted {pred}, true {true}", "ja": "予測 {pred}、正解 {true}"},
    # home: accuracy and retention
    "home.acc.text": {
        "en": "**Measured live: accuracy and retention.** The same pretrained digits model is adapted to rotated "
              "digits with each method ({steps} steps, r = {r}, same seed, each method's tuned learning rate). "
              "Target accuracy is on the rotated digits; retention is the share of the original digits accuracy "
              "that is kept.",
        "ja": "**実測：精度と知識保持率。** 同じ事前学習済みの手書き数字モデルを、各手法で回転した数字に適応させました"
              "（{steps} ステップ、r = {r}、同じシード、学習率は手法ごとに調整済み）。ターゲット精度は回転した数字での"
              "精度、知識保持率は元の数字での精度がどれだけ残ったかの割合です。"},
    "home.acc.metric": {"en": "{m} · target accuracy", "ja": "{m}・ターゲット精度"},
    "home.acc.ret": {"en": "retention {v}", "ja": "知識保持率 {v}"},
    "home.loses.target": {"en": "**Where HRA loses:** target accuracy {hra} against {other} for {m} ({gap} points behind).",
                          "ja": "**HRA が不利な点：** ターゲット精度は {hra} で、{m} の {other} に {gap} ポイント及びません。"},
    "home.loses.retention": {"en": "**Where HRA loses:** retention {hra} against {other} for {m} ({gap} points behind). "
                                   "Keeping the spectrum of W does not by itself keep the old task.",
                             "ja": "**HRA が不利な点：** 知識保持率は {hra} で、{m} の {other} に {gap} ポイント及びません。"
                                   "W の特異値を保つことだけでは、元のタスクの性能は保証されません。"},
    "home.loses.conflict": {"en": "This task (rotated digits) conflicts with the original one, so every method "
                                  "forgets part of it; on the Live training page, digits-noise shows retention "
                                  "without that conflict.",
                            "ja": "このタスク（回転した数字）は元のタスクと競合するため、どの手法も元の知識の一部を失います。"
                                  "競合のない場合の知識保持率は、「リアルタイム学習」ページの digits-noise で確認できます。"},
    "fig.acc.title": {"en": "Rotated digits after adaptation", "ja": "適応後の回転した手書き数字"},
    "fig.acc.target": {"en": "target accuracy", "ja": "ターゲット精度"},
    "fig.acc.retention": {"en": "retention", "ja": "知識保持率"},
    "fig.acc.base": {"en": "base model {v}", "ja": "ベースモデル {v}"},
}

# One slider per mirror angle, generated so that EN and JA stay in step.
for _i in range(1, 7):
    _sub = "₀₁₂₃₄₅₆₇₈₉"[_i]
    STRINGS[f"ctl.a{_i}.label"] = {"en": f"angle of u{_sub} (°)", "ja": f"u{_sub} の角度（°）"}
    STRINGS[f"ctl.a{_i}.help"] = {
        "en": f"Direction of u{_sub} in the plane (3D: its azimuth). The mirror is perpendicular to it.",
        "ja": f"平面内での u{_sub} の向きです（3D では方位角）。鏡はこのベクトルに垂直です。"}
    STRINGS[f"ctl.e{_i}.label"] = {"en": f"elevation of u{_sub} (°)", "ja": f"u{_sub} の仰角（°）"}
    STRINGS[f"ctl.e{_i}.help"] = {"en": f"How far u{_sub} points out of the x–y plane.",
                                  "ja": f"u{_sub} が x–y 平面からどれだけ上下に傾いているかです。"}


# Texts of the adapter inspector, budget calculator and PEFT export (issue 6) live in their own module.
from .i18n_bridge import STRINGS as _BRIDGE  # noqa: E402

assert not set(_BRIDGE) & set(STRINGS), sorted(set(_BRIDGE) & set(STRINGS))
STRINGS.update(_BRIDGE)


def run_status(code: str, args: dict | None, lang: str, fallback: str = "") -> str:
    """A run's status (``train.Run.status_code`` / ``status_args``) in the page's language.

    Unknown codes (e.g. rows cached before codes existed) fall back to ``fallback``, the engine's
    English ``status`` text.
    """
    key = f"run.status.{code}"
    if key not in STRINGS:
        return fallback or str(code)
    try:
        return t(key, lang, **(args or {}))
    except (KeyError, ValueError):
        return fallback or str(code)


def run_note(code: str, args: dict | None, lang: str) -> str:
    """A note from ``train.Run.note_codes`` in the page's language (other warnings stay as written)."""
    if code == "text" or f"run.note.{code}" not in STRINGS:
        return str((args or {}).get("text", code))
    return t(f"run.note.{code}", lang, **(args or {}))


def t(key: str, lang: str, /, **fmt) -> str:
    """The string ``key`` in ``lang`` ("en" or "ja"), formatted with ``fmt``. Raises on a missing key/lang."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text for key {key!r}") from None
    return entry[lang].format(**fmt)
