# ruff: noqa: E501  (Japanese glyphs count as width 2, so prose lines cannot be wrapped at 110 columns)
"""EN/JA texts: A/B pilots over seeds, the verdict, the meeting report, the recommended chain length,
and the multi-seed notes on the home, chain-length and live pages. Same rules as every area of
``hra_viz.text``."""

STRINGS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- metrics
    "pilot.metric.target_acc": {"en": "target accuracy", "ja": "ターゲット精度"},
    "pilot.metric.retention": {"en": "retention", "ja": "知識保持率"},
    "pilot.metric.drift": {"en": "drift from the base model", "ja": "ベースモデルからのずれ"},
    # drift as each kind of task measures it (``views.pilot.metric_name``): short, for axis titles and columns
    "pilot.metric.drift_kl": {"en": "drift (KL of the outputs)", "ja": "ずれ（出力の KL）"},
    "pilot.metric.drift_rho": {"en": "drift (1 − Spearman ρ)", "ja": "ずれ（1 − Spearman ρ）"},
    "pilot.drift.how_kl": {
        "en": "Drift: the mean KL(p_base ‖ p_adapted) between the base and the adapted model's output probabilities on the source task's test inputs, in nats. 0 means unchanged; lower is better.",
        "ja": "ずれ：元タスクのテスト入力に対する、ベースモデルと適応後モデルの出力確率の平均 KL(p_base ‖ p_adapted)（単位 nat）です。0 は変化なしを意味し、低いほど良い値です。"},
    "pilot.drift.how_rho": {
        "en": "Drift: 1 − Spearman ρ between the base and the adapted model's pairwise similarities of the probe sentences. 0 means the model orders every pair as before; lower is better.",
        "ja": "ずれ：プローブ文どうしの類似度について、ベースモデルと適応後モデルの間の 1 − Spearman ρ です。0 はすべての組の順序が元のままであることを意味し、低いほど良い値です。"},
    "pilot.metric.step_time_s": {"en": "step time", "ja": "1 ステップの時間"},
    "pilot.metric.peak_mem_mb": {"en": "peak memory", "ja": "ピークメモリ"},
    "pilot.metric.trainable_params": {"en": "trainable parameters", "ja": "学習パラメータ数"},
    "pilot.better.higher": {"en": "higher is better", "ja": "高いほど良い"},
    "pilot.better.lower": {"en": "lower is better", "ja": "低いほど良い"},
    "pilot.unit.pts": {"en": "{v} points", "ja": "{v} ポイント"},
    # ---------------------------------------------------------------- verdict sentences
    "verdict.better": {
        "en": "{metric}: {a} beats {b} by {gap} (95 % CI of {a} − {b}: {lo} to {hi}; paired t-test p {p}; {k} seeds).",
        "ja": "{metric}：{a} は {b} より {gap}優れています（{a} − {b} の 95 % 信頼区間 {lo}〜{hi}、対応のある t 検定 p {p}、シード {k} 個）。"},
    "verdict.worse": {
        "en": "{metric}: {a} is behind {b} by {gap} (95 % CI of {a} − {b}: {lo} to {hi}; paired t-test p {p}; {k} seeds).",
        "ja": "{metric}：{a} は {b} より {gap}劣っています（{a} − {b} の 95 % 信頼区間 {lo}〜{hi}、対応のある t 検定 p {p}、シード {k} 個）。"},
    "verdict.no_difference": {
        "en": "{metric}: no detectable difference between {a} and {b} with {k} seeds (95 % CI of {a} − {b}: {lo} to {hi}, which contains 0; p {p}).",
        "ja": "{metric}：シード {k} 個では、{a} と {b} の間に検出できる差はありません（{a} − {b} の 95 % 信頼区間 {lo}〜{hi} は 0 を含みます。p {p}）。"},
    "verdict.negligible": {
        "en": "{metric}: {a} and {b} differ by {gap}, which is real but under 1 % and too small to matter (95 % CI of {a} − {b}: {lo} to {hi}; p {p}; {k} seeds).",
        "ja": "{metric}：{a} と {b} の差は {gap}で、差自体はありますが 1 % 未満であり、実用上は無視できる大きさです（{a} − {b} の 95 % 信頼区間 {lo}〜{hi}、p {p}、シード {k} 個）。"},
    "verdict.undetermined": {
        "en": "{metric}: {a} against {b} cannot be judged with {k} usable seed(s); a confidence interval needs at least 2.",
        "ja": "{metric}：使えるシードが {k} 個のため、{a} と {b} の比較は判断できません。信頼区間には 2 個以上のシードが必要です。"},
    "verdict.rule": {
        "en": "Rule: a difference is called only when its 95 % confidence interval excludes 0. Otherwise the verdict is “no detectable difference with {k} seeds”, whatever the means say.",
        "ja": "判定の規則：差の 95 % 信頼区間が 0 を含まない場合に限り、差があると判定します。含む場合は、平均値の大小にかかわらず「シード {k} 個では検出できる差はない」とします。"},
    # ---------------------------------------------------------------- the meeting report
    "report.title": {"en": "Pilot report: {methods} on {task}", "ja": "パイロット報告：{task} における {methods} の比較"},
    "report.subtitle": {"en": "{k} seeds × {n} methods, {steps} steps each · {date}",
                        "ja": "シード {k} 個 × 手法 {n} 種、各 {steps} ステップ · {date}"},
    "report.print": {"en": "Print or save as PDF", "ja": "印刷・PDF として保存"},
    "report.short.title": {"en": "In short", "ja": "要点"},
    "report.question.title": {"en": "The question and the setup", "ja": "問いと実験条件"},
    "report.question.text": {
        "en": "Does {a} match {others} on this task, as reliably, and at what cost? Every method was trained {k} times, once per seed (the seed sets the adapter's initialisation and the batch order); everything else was identical. The spread between seeds shows how much of a gap is noise.",
        "ja": "このタスクで、{a} は {others} と同等の性能を、同じくらい安定して、どの程度のコストで出せるのか。各手法をシードごとに 1 回、計 {k} 回学習しました（シードはアダプタの初期値とバッチの順序を決めます）。それ以外の条件はすべて同じです。シード間のばらつきから、差のうちどれだけが偶然によるものかが分かります。"},
    "report.setup.task": {"en": "Task", "ja": "タスク"},
    "report.setup.model": {"en": "Model", "ja": "モデル"},
    "report.setup.methods": {"en": "Methods", "ja": "手法"},
    "report.setup.seeds": {"en": "Seeds", "ja": "シード"},
    "report.setup.steps": {"en": "Training", "ja": "学習"},
    "report.setup.steps_value": {"en": "{steps} steps, batch {batch}, {opt}, learning rate {lr}",
                                 "ja": "{steps} ステップ、バッチ {batch}、{opt}、学習率 {lr}"},
    "report.setup.device": {"en": "Device", "ja": "計算デバイス"},
    "report.setup.backend": {"en": "Ran on", "ja": "実行環境"},
    "report.setup.backend_value": {"en": "{backend} backend, {wall} s wall time in total",
                                   "ja": "{backend} バックエンド、合計 {wall} 秒"},
    "report.setup.date": {"en": "Date", "ja": "日時"},
    "report.model_value": {"en": "MLP {dims} (ReLU), pretrained on the source data (task seed {seed})",
                           "ja": "MLP {dims}（ReLU）、元のデータで事前学習済み（タスクのシード {seed}）"},
    "report.setup.versions": {"en": "Software", "ja": "ソフトウェア"},
    "report.setup.command": {"en": "Reproduce with", "ja": "再現するコマンド"},
    "report.setup.base": {"en": "Base model before adapting", "ja": "適応前のベースモデル"},
    "report.setup.base_value": {"en": "target accuracy {t}, source accuracy {s}",
                                "ja": "ターゲット精度 {t}、元タスクの精度 {s}"},
    "report.results.title": {"en": "Results with 95 % confidence intervals", "ja": "結果（95 % 信頼区間つき）"},
    "report.results.text": {
        "en": "Each number is the mean over {k} seeds, with the 95 % Student-t confidence interval of that mean (mean ± t₀.₉₇₅,ₖ₋₁ · s/√k, s the standard deviation over seeds). Dots are single seeds.",
        "ja": "各値は {k} 個のシードの平均で、その平均の 95 % 信頼区間（Student の t 分布：平均 ± t₀.₉₇₅,ₖ₋₁ · s/√k、s はシード間の標準偏差）を添えています。点は個々のシードの結果です。"},
    "report.paired.title": {"en": "Differences, paired by seed", "ja": "手法間の差（同じシードどうしの対比較）"},
    "report.paired.text": {
        "en": "For each seed, {a}'s value minus the other method's value on the same seed; the mean of these differences, its 95 % Student-t interval, and the two-sided paired t-test p-value.",
        "ja": "シードごとに、{a} の値から同じシードでのもう一方の手法の値を引いた差を求め、その平均、95 % 信頼区間（Student の t 分布）、両側の対応のある t 検定の p 値を示します。"},
    "report.costs.title": {"en": "Costs", "ja": "コスト"},
    "report.costs.text": {
        "en": "Trainable parameters are exact counts. Step time is the wall-clock time per optimiser step (evaluation included) on {device}: compare the methods with each other, not with numbers from other machines. Peak memory: {measure}",
        "ja": "学習パラメータ数は正確な数です。1 ステップの時間は、{device} での最適化 1 ステップあたりの実時間（評価を含む）です。他のマシンの数値とではなく、手法どうしで比べてください。ピークメモリ：{measure}"},
    "report.mem.tensor-accounting": {
        "en": "the tensor memory of one training step, counted from the live tensors (weights, gradients, optimiser state, batch, activations saved for the backward pass); CPU has no allocator statistics.",
        "ja": "学習 1 ステップで使うテンソルのメモリを、実際のテンソルから数えた値です（重み、勾配、最適化の状態、バッチ、逆伝播用に保存される中間値）。CPU にはメモリアロケータの統計がないためです。"},
    "report.mem.cuda-allocator-peak": {
        "en": "the CUDA allocator's peak over the whole run (torch.cuda.max_memory_allocated).",
        "ja": "学習全体での CUDA アロケータのピーク値（torch.cuda.max_memory_allocated）です。"},
    "report.stability.title": {"en": "Stability across seeds", "ja": "シード間の安定性"},
    "report.stability.text": {
        "en": "How much each method's result moves from seed to seed (standard deviation), and how many runs did not finish normally. A method whose accuracy varies a lot between seeds needs more seeds, or a different learning rate, before it is trusted.",
        "ja": "シードを変えたときに結果がどれだけ動くか（標準偏差）と、正常に終わらなかった実行の数です。シードによって精度が大きく変わる手法は、信頼する前にシードを増やすか、学習率を見直す必要があります。"},
    "report.stability.ok": {"en": "{m}: all {k} runs finished.", "ja": "{m}：{k} 回の実行がすべて正常に終わりました。"},
    "report.stability.bad": {"en": "{m}: {bad} of {k} runs did not finish normally ({codes}).",
                             "ja": "{m}：{k} 回のうち {bad} 回が正常に終わりませんでした（{codes}）。"},
    "report.verdict.title": {"en": "Verdict", "ja": "結論"},
    "report.caveats.title": {"en": "Caveats", "ja": "注意点"},
    "report.caveat.seeds": {
        "en": "{k} seeds is a small sample. An interval that contains 0 means “not detected”, not “equal”; more seeds narrow the interval (roughly as 1/√k).",
        "ja": "シード {k} 個は小さな標本です。信頼区間が 0 を含むことは「差が検出されなかった」という意味で、「同等である」という意味ではありません。シードを増やすと区間はおよそ 1/√k に比例して狭くなります。"},
    "report.caveat.toy": {
        "en": "Scale: {model}. Gaps on a large model and a real task can differ; run the same pilot on your own task before deciding.",
        "ja": "規模：{model}。大きなモデルや実際のタスクでは差が変わることがあります。判断の前に、ご自身のタスクで同じパイロットを実行してください。"},
    "report.caveat.multiple": {
        "en": "{n} metrics are tested without correction for multiple comparisons: at the 95 % level, about one call in twenty can be a false alarm.",
        "ja": "{n} 個の指標を多重比較の補正なしで検定しています。95 % の水準では、判定の約 20 回に 1 回は偶然による誤検出になりえます。"},
    "report.caveat.lr": {
        "en": "Learning rates ({lr}) are fixed per method, not tuned for this task; a method that needs another rate here is at a disadvantage.",
        "ja": "学習率（{lr}）は手法ごとに固定しており、このタスク向けに調整していません。このタスクで別の学習率が必要な手法は不利になります。"},
    "report.caveat.timing": {
        "en": "Step time and memory depend on the machine and on whatever else ran on it; here they come from {device}.",
        "ja": "1 ステップの時間とメモリは、マシンや同時に動いていた処理によって変わります。ここでの値は {device} で測ったものです。"},
    "report.caveat.conflict": {
        "en": "This task conflicts with the source task, so every method loses retention; compare retention between methods, not with 100 %.",
        "ja": "このタスクは元のタスクと競合するため、どの手法でも知識保持率が下がります。知識保持率は 100 % とではなく、手法どうしで比べてください。"},
    "report.caveat.budget": {
        "en": "Budgets differ: at the same r, the methods train different numbers of parameters (see Costs).",
        "ja": "同じ r でも、手法によって学習パラメータ数は異なります（「コスト」を参照してください）。"},
    "report.col.method": {"en": "method", "ja": "手法"},
    "report.col.metric": {"en": "metric", "ja": "指標"},
    "report.col.mean": {"en": "mean", "ja": "平均"},
    "report.col.ci": {"en": "95 % CI", "ja": "95 % 信頼区間"},
    "report.col.std": {"en": "std over seeds", "ja": "シード間の標準偏差"},
    "report.col.values": {"en": "per seed", "ja": "シードごとの値"},
    "report.col.diff": {"en": "mean difference", "ja": "差の平均"},
    "report.col.p": {"en": "p (paired t)", "ja": "p 値（対応のある t 検定）"},
    "report.col.verdict": {"en": "verdict", "ja": "判定"},
    "report.col.pair": {"en": "pair", "ja": "比較"},
    "report.col.runs_ok": {"en": "runs finished", "ja": "正常終了した実行"},
    "report.v.better": {"en": "{a} better", "ja": "{a} が優れる"},
    "report.v.worse": {"en": "{a} worse", "ja": "{a} が劣る"},
    "report.v.no_difference": {"en": "no detectable difference", "ja": "検出できる差なし"},
    "report.v.negligible": {"en": "negligible (< 1 %)", "ja": "無視できる差（1 % 未満）"},
    "report.v.undetermined": {"en": "cannot judge", "ja": "判断できない"},
    "report.fig.seed": {"en": "seed", "ja": "シード"},
    "report.fig.mean_ci": {"en": "mean and 95 % CI", "ja": "平均と 95 % 信頼区間"},
    "report.fig.results": {"en": "Per seed, mean and 95 % CI", "ja": "シードごとの値、平均、95 % 信頼区間"},
    "report.fig.diffs": {"en": "{a} − other method, per seed, with the 95 % CI of the mean difference",
                         "ja": "{a} − 他の手法（シードごと）と、差の平均の 95 % 信頼区間"},
    "report.fig.costs": {"en": "Costs per method (mean and 95 % CI over seeds)", "ja": "手法ごとのコスト（シード間の平均と 95 % 信頼区間）"},
    "report.footer": {"en": "Made with hra-viz {version}. Statistics: Student-t 95 % intervals, two-sided paired t-tests, standard deviations with ddof = 1.",
                      "ja": "hra-viz {version} で作成しました。統計：Student の t 分布による 95 % 信頼区間、両側の対応のある t 検定、標準偏差は ddof = 1 です。"},
    # ---------------------------------------------------------------- the pilot page
    "page.pilot": {"en": "A/B pilot", "ja": "A/B パイロット"},
    "pilot.title": {"en": "A/B pilot: several seeds, one verdict", "ja": "A/B パイロット：複数のシードで 1 つの結論"},
    "pilot.intro": {
        "en": "One run per method says little: another seed can reverse a gap of a few points. A pilot trains every method with several seeds on the same task, reports each number with its 95 % confidence interval, and calls a difference only when the interval excludes 0. The result is a self-contained report to take to a meeting (HTML; print it to PDF from the browser).",
        "ja": "手法ごとに 1 回だけ学習した結果では、ほとんど何も言えません。数ポイントの差は、シードを変えるだけで逆転することがあります。パイロットでは、同じタスクで各手法を複数のシードで学習し、すべての数値を 95 % 信頼区間つきで示し、区間が 0 を含まない場合に限って差があると判定します。結果は会議にそのまま持ち込める 1 つのレポート（HTML、ブラウザから PDF に印刷できます）になります。"},
    "pilot.run": {"en": "Run the pilot ({n} runs of {steps} steps)", "ja": "パイロットを実行（{steps} ステップ × {n} 回）"},
    "pilot.progress": {"en": "Run {i} of {n}: {label}", "ja": "{n} 回中 {i} 回目：{label}"},
    "pilot.press": {"en": "Choose the methods and the number of seeds, then press the button. Each run takes about a second on a CPU.",
                    "ja": "手法とシードの数を選んでからボタンを押してください。1 回の学習は CPU で約 1 秒です。"},
    "pilot.need_two": {"en": "Choose at least two methods to compare.", "ja": "比較する手法を 2 つ以上選んでください。"},
    "pilot.download": {"en": "Download the meeting report (HTML, {lang_name})", "ja": "会議用レポートをダウンロード（HTML、{lang_name}）"},
    "pilot.download_json": {"en": "Download the numbers (JSON)", "ja": "数値をダウンロード（JSON）"},
    "pilot.more_metrics": {"en": "Drift, step time and memory", "ja": "出力のずれ・1 ステップの時間・メモリ"},
    "pilot.sec.verdict": {"en": "Verdict", "ja": "結論"},
    "pilot.sec.results": {"en": "Results with 95 % confidence intervals", "ja": "結果（95 % 信頼区間つき）"},
    "pilot.sec.report": {"en": "The meeting report", "ja": "会議用レポート"},
    "pilot.report.text": {
        "en": "The report holds the question, the setup, every number with its interval, the costs, the stability across seeds, the verdict and its caveats. It is one HTML file that needs no internet connection; the browser's Print command turns it into a PDF.",
        "ja": "レポートには、問い、実験条件、信頼区間つきのすべての数値、コスト、シード間の安定性、結論と注意点が含まれます。インターネット接続の不要な 1 つの HTML ファイルで、ブラウザの印刷機能で PDF にできます。"},
    "pilot.error": {"en": "The pilot could not run: {detail}", "ja": "パイロットを実行できませんでした：{detail}"},
    "ctl.pilot_methods.label": {"en": "Methods (the first is compared with the others)", "ja": "手法（最初の手法を他の手法と比べます）"},
    "ctl.pilot_methods.help": {"en": "Two to four of hra, lora, oft, full, head.", "ja": "hra、lora、oft、full、head から 2〜4 個を選びます。"},
    "ctl.pilot_seeds.label": {"en": "Seeds per method", "ja": "手法ごとのシード数"},
    "ctl.pilot_seeds.help": {"en": "2 to 10 seeds (0, 1, …). More seeds give narrower intervals and take longer.",
                             "ja": "2〜10 個のシード（0, 1, …）です。増やすほど信頼区間は狭くなりますが、時間がかかります。"},
    "ctl.chain_seeds.label": {"en": "Seeds per setting", "ja": "設定ごとのシード数"},
    "ctl.chain_seeds.help": {"en": "Each cell of the sweep is trained with seeds 0 … k−1; lines are means, bands 95 % confidence intervals.",
                             "ja": "スイープの各設定をシード 0 … k−1 で学習します。線は平均、帯は 95 % 信頼区間です。"},
    # ---------------------------------------------------------------- recommended chain length
    "rec.title": {"en": "Recommended chain length", "ja": "推奨する反射の数 r"},
    "rec.rule": {
        "en": "Rule: the smallest r whose mean {metric} over the seeds lies within the 95 % confidence interval of the best r{budget}.",
        "ja": "規則：シード間の平均{metric}が、最も良い r の 95 % 信頼区間に入る最小の r を選びます{budget}。"},
    "rec.budget": {"en": ", among the r within the budget ({what})", "ja": "（予算内の r に限ります：{what}）"},
    "rec.result": {
        "en": "Recommended: **r = {r}**, mean {mean} with {params} trainable parameters. The best r is {best} (mean {best_mean}, 95 % CI {lo} to {hi}, {k} seeds); r = {r} lies within that interval with {share} of its parameters.",
        "ja": "推奨：**r = {r}**（平均 {mean}、学習パラメータ {params} 個）。最も良いのは r = {best}（平均 {best_mean}、95 % 信頼区間 {lo}〜{hi}、シード {k} 個）で、r = {r} はその区間に入り、パラメータ数は {share} です。"},
    "rec.is_best": {
        "en": "Recommended: **r = {r}**, the best r (mean {mean}, 95 % CI {lo} to {hi}, {k} seeds): no smaller r comes within its interval.",
        "ja": "推奨：**r = {r}**。最も良い r です（平均 {mean}、95 % 信頼区間 {lo}〜{hi}、シード {k} 個）。これより小さい r で、その区間に入るものはありません。"},
    "rec.single": {
        "en": "Recommended: **r = {r}**, the best r (mean {mean}). With one seed there is no confidence interval, so no smaller r can be shown to be as good: use 3 or more seeds for a recommendation with evidence.",
        "ja": "推奨：**r = {r}**。最も良い r です（平均 {mean}）。シードが 1 個では信頼区間がないため、より小さい r が同等だとは示せません。根拠のある推奨には 3 個以上のシードを使ってください。"},
    "rec.none": {"en": "No finished HRA run within the budget: nothing to recommend.",
                 "ja": "予算内で正常に終わった HRA の実行がないため、推奨できる r はありません。"},
    "rec.col.r": {"en": "r", "ja": "r"},
    "rec.col.within": {"en": "within the best r's CI", "ja": "最良の r の信頼区間内"},
    "rec.col.in_budget": {"en": "within budget", "ja": "予算内"},
    "rec.col.n": {"en": "seeds", "ja": "シード数"},
    # ---------------------------------------------------------------- other pages
    "pilot.chain.bands": {"en": "Lines are means over {k} seeds; bands are 95 % confidence intervals (Student t).",
                          "ja": "線は {k} 個のシードの平均、帯は 95 % 信頼区間（Student の t 分布）です。"},
    "pilot.chain.one_seed": {"en": "One seed per setting: no error bands. Raise “Seeds per setting” to see how much the lines move.",
                             "ja": "設定ごとにシードが 1 個のため、誤差の帯はありません。「設定ごとのシード数」を増やすと、線がどれだけ揺れるかが分かります。"},
    "pilot.live.one_seed": {"en": "This page trains one run per method with one seed (seed {seed}), so a gap of a few points here can be noise. The A/B pilot page repeats a comparison over several seeds, with confidence intervals.",
                            "ja": "このページでは、各手法を 1 つのシード（シード {seed}）で 1 回だけ学習します。そのため、ここでの数ポイントの差は偶然かもしれません。複数のシードで信頼区間つきの比較を行うには、「A/B パイロット」ページを使ってください。"},
    "pilot.home.acc.text": {
        "en": "**Measured: accuracy and retention over {k} seeds.** The same pretrained digits model is adapted to rotated digits with each method ({steps} steps, r = {r}, each method's tuned learning rate), once per seed. Bars are means; whiskers are 95 % confidence intervals. Target accuracy is on the rotated digits; retention is the share of the original digits accuracy that is kept.",
        "ja": "**実測：{k} 個のシードでの精度と知識保持率。** 同じ事前学習済みの手書き数字モデルを、各手法で回転した数字に適応させました（{steps} ステップ、r = {r}、学習率は手法ごとに調整済み）。シードごとに 1 回ずつ学習しています。棒は平均、ひげは 95 % 信頼区間です。ターゲット精度は回転した数字での精度、知識保持率は元の数字での精度がどれだけ残ったかの割合です。"},
    "pilot.home.ci": {"en": "95 % CI {lo} – {hi}", "ja": "95 % 信頼区間 {lo}〜{hi}"},
    "pilot.home.provenance": {"en": "Computed {date} on {device} with hra-viz {version}: seeds {seeds}, {steps} steps. Reproduce: `{command}`",
                              "ja": "{date} に {device} で hra-viz {version} を使って計算しました（シード {seeds}、{steps} ステップ）。再現するコマンド：`{command}`"},
    "pilot.home.behind": {
        "en": "**Where HRA loses:** {metric} {hra} against {other} for {m}, {gap} points behind (95 % CI of the gap {lo} to {hi} points, {k} seeds).",
        "ja": "**HRA が不利な点：** {metric}は {hra} で、{m} の {other} に {gap} ポイント及びません（差の 95 % 信頼区間 {lo}〜{hi} ポイント、シード {k} 個）。"},
    "pilot.home.tie": {
        "en": "{metric}: HRA {hra}, {m} {other}. No detectable difference with {k} seeds (95 % CI of the gap {lo} to {hi} points contains 0).",
        "ja": "{metric}：HRA は {hra}、{m} は {other} です。シード {k} 個では検出できる差はありません（差の 95 % 信頼区間 {lo}〜{hi} ポイントは 0 を含みます）。"},
    "pilot.home.ahead": {
        "en": "{metric}: HRA {hra} is ahead of the best other method, {m} ({other}), by {gap} points (95 % CI {lo} to {hi} points, {k} seeds).",
        "ja": "{metric}：HRA は {hra} で、他の手法で最も良い {m}（{other}）を {gap} ポイント上回ります（95 % 信頼区間 {lo}〜{hi} ポイント、シード {k} 個）。"},
}
