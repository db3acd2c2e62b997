# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""EN/JA texts: Live training, chain length, spectra and λ pages, and run statuses. Same rules as every area of ``hra_viz.text``."""

STRINGS: dict[str, dict[str, str]] = {
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
    # a metric label: "<method> · max |Δσ|", never broken inside "max |Δσ|" (no-break space, word joiners)
    "spec.max_dsigma": {"en": "{m} · max\u00a0|\u2060Δσ\u2060|", "ja": "{m} · max\u00a0|\u2060Δσ\u2060|"},
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
}
