# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""Every user-visible string, in English and Japanese. ``t(key, lang, **fmt)``.

The Japanese is written for business readers (polite です/ます); method names (HRA, LoRA, OFT)
stay in Latin letters. A missing key or language raises, so tests catch it (tests/test_i18n.py
also checks that both languages use the same ``{placeholders}``). Strings are always passed
through ``str.format``: write literal braces as ``{{`` and ``}}``.
"""

from __future__ import annotations

__all__ = ["LANGS", "STRINGS", "t"]

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
                                    "(training page, coming next).",
                              "ja": "moons タスクでの学習を r = 8、同じシードで比較します"
                                    "（学習ページは次の段階で追加します）。"},
    "preset.chain_2_32.label": {"en": "Chain length 2→32", "ja": "反射の数 2→32"},
    "preset.chain_2_32.help": {"en": "Sweep r from 2 to 32 on rotated digits (chain-length page, coming next).",
                               "ja": "回転した手書き数字で r を 2 から 32 まで変えて比較します"
                                     "（反射数のページは次の段階で追加します）。"},
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
    "home.kept.placeholder": {
        "en": "**Coming next: accuracy and retention measured live.** Whether the adapted model still solves the "
              "original task is measured by training on the built-in tasks; that page is not built yet, so no "
              "number is shown here rather than a made-up one.",
        "ja": "**次の段階で追加：精度と知識保持率の実測値。** 適応後のモデルが元のタスクをどれだけ解けるかは、"
              "組み込みタスクで実際に学習して測ります。そのページはまだ準備中のため、推測の数値は載せていません。"},
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
    "home.next.text": {"en": "Two pages explain where these properties come from. Every setting is in the URL, "
                             "so a link reproduces exactly what you see.",
                       "ja": "次の 2 ページで、これらの性質がどこから来るのかを説明します。設定はすべて URL に"
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


def t(key: str, lang: str, /, **fmt) -> str:
    """The string ``key`` in ``lang`` ("en" or "ja"), formatted with ``fmt``. Raises on a missing key/lang."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text for key {key!r}") from None
    return entry[lang].format(**fmt)
