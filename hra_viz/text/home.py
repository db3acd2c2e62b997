# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""EN/JA texts: The home page, HRA in one minute. Same rules as every area of ``hra_viz.text``."""

STRINGS: dict[str, dict[str, str]] = {
    "home.title": {"en": "HRA in one minute", "ja": "1 分でわかる HRA"},
    "home.intro": {
        "en": "**Householder Reflection Adaptation (HRA)** fine-tunes a frozen layer W by multiplying it with a "
              "chain of r mirror reflections: W' = W H. Stakeholders ask three questions: *is it cheap*, *does "
              "it keep what the model knew*, and *what does a step cost*. The parameter, spectrum and cost numbers "
              "below are computed on this machine, now, on one {d} × {d} layer with r = {r}; the accuracy study "
              "(5 seeds) says where its numbers come from.",
        "ja": "**Householder Reflection Adaptation（HRA）** は、凍結した層 W に r 枚の「鏡の反射」を連鎖させた行列を"
              "掛けて調整する手法です（W' = W H）。よく聞かれるのは「安く済むのか」「元のモデルの知識は保たれるのか」"
              "「1 ステップの計算コストはどうか」の 3 点です。以下のパラメータ数・特異値・計算コストは、{d} × {d} の層 1 つ"
              "（r = {r}）について、このマシンでいま計算したものです。精度の検証（5 シード）には、数値の出どころを併記しています。"},
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
        "en": "**Where HRA loses:** a training step costs about × {ratio:.2f} the time of LoRA here. Per token "
              "HRA does the same arithmetic as LoRA (the formulas below), but every step it also multiplies "
              "the frozen W by its r vectors, once forward (W Û) and once backward: 4·r·d_in·d_out more "
              "operations however few tokens the step has, plus a small r × r solve that couples the "
              "reflections. That fixed part weighs most on small batches. And HRA can never change the "
              "singular values of W, which some tasks need.",
        "ja": "**HRA が不利な点：** ここでは学習 1 ステップに LoRA の約 {ratio:.2f} 倍の時間がかかります。"
              "トークンあたりの計算量は LoRA と同じですが（下の式）、HRA は毎ステップ、凍結した W と r 本のベクトルの積を"
              "順伝播（W Û）と逆伝播で 1 回ずつ計算します。トークン数に関係なく 4·r·d_in·d_out 回の演算が加わり、"
              "さらに反射どうしを結び付ける r × r の小さな計算があります。この固定分はバッチが小さいほど目立ちます。"
              "また、HRA は W の特異値を変えられないため、それが必要なタスクには向きません。"},
    "home.cost.par": {
        "en": "On this machine HRA and LoRA are close (× {ratio:.2f}). HRA still cannot change the singular "
              "values of W, which some tasks need.",
        "ja": "このマシンでは HRA と LoRA の差は小さい結果です（{ratio:.2f} 倍）。ただし HRA は W の特異値を"
              "変えられないため、それが必要なタスクには向きません。"},
    "home.cost.caption": {
        "en": "Forward operations of the adapter for N tokens. Building H as a d × d matrix on every step instead "
              "(as PEFT 0.21 does, then W H) took {dense:.1f} ms a step here: × {vs_lora:.1f} LoRA's and "
              "× {vs_hra:.1f} this app's route, for the same function. The page \"Chain = I + UΓUᵀ\" shows why "
              "the fast route is exact.",
        "ja": "式は N トークンに対するアダプタの順伝播の演算数です。代わりに毎ステップ d × d の行列 H を作る方法"
              "（PEFT 0.21 の方式、その後 W H）では、ここで 1 ステップ {dense:.1f} ms かかりました。同じ関数に対して "
              "LoRA の {vs_lora:.1f} 倍、本アプリの方法の {vs_hra:.1f} 倍です。高速な計算方法が厳密に同じ結果になる"
              "理由は「反射の連鎖 = I + UΓUᵀ」のページで説明しています。"},
    "home.next.title": {"en": "See it for yourself", "ja": "実際に操作してみる"},
    "home.next.text": {"en": "These pages explain where these properties come from and test them live. Every "
                             "setting is in the URL, so a link reproduces exactly what you see.",
                       "ja": "以下のページで、これらの性質がどこから来るのかを説明し、実際に確かめます。設定はすべて URL に"
                             "含まれるため、リンクを共有すれば同じ画面を再現できます。"},
    "home.acc.metric": {"en": "{m} · target accuracy", "ja": "{m}・ターゲット精度"},
    "home.acc.ret": {"en": "retention {v}", "ja": "知識保持率 {v}"},
    "home.loses.conflict": {"en": "This task (rotated digits) conflicts with the original one, so every method "
                                  "forgets part of it; on the Live training page, digits-noise shows retention "
                                  "without that conflict.",
                            "ja": "このタスク（回転した数字）は元のタスクと競合するため、どの手法も元の知識の一部を失います。"
                                  "競合のない場合の知識保持率は、「リアルタイム学習」ページの digits-noise で確認できます。"},
}
