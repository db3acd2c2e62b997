# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""EN/JA texts: The reflections page and the chain = I + UΓUᵀ page. Same rules as every area of ``hra_viz.text``."""

STRINGS: dict[str, dict[str, str]] = {
    "refl.title": {"en": "Reflections: the building block of HRA", "ja": "反射：HRA を構成する部品"},
    "refl.intro": {
        "en": "A Householder reflection Hᵢ mirrors every point in the line (2D) or plane (3D) perpendicular to a "
              "vector uᵢ. HRA chains r of them. Choose the vectors by their angles in {where}.",
        "ja": "Householder 反射 Hᵢ は、ベクトル uᵢ に垂直な直線（2D）または平面（3D）を鏡として、すべての点を"
              "折り返します。HRA はこれを r 個つなげたものです。ベクトルの向きは{where}の角度で選べます。"},
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
        "en": "Each reflection has determinant −1, so the chain has det H = (−1)ʳ. With an odd r the letter "
              "comes out mirrored, and no rotation can undo that. This is also why an odd chain can never start "
              "exactly at the identity.",
        "ja": "反射 1 回の行列式は −1 なので、連鎖全体では det H = (−1)ʳ です。r が奇数だと文字は鏡像になり、"
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
