#!/usr/bin/env bash
# Issue 10 on the lent GPU machine, in one call: every CUDA test, then the GPU benchmarks.
#
#   bash benchmarks/device_issue10.sh probe   # Triton kernel tests, kernel and layer timings (see below)
#   bash benchmarks/device_issue10.sh host    # where a d = 4096 step's host time goes, ours and LoRA (~2 min)
#   bash benchmarks/device_issue10.sh graphs  # the r × r kernels from CUDA graphs: tests, host time (~5 min)
#   bash benchmarks/device_issue10.sh graphbench  # … and the d = 4096 timings, with and without (~6 min)
#   bash benchmarks/device_issue10.sh quick   # env, kernel and precision tests, kernel timings (~2 min)
#   bash benchmarks/device_issue10.sh tests   # every CUDA test of issue 10 (~4 min)
#   bash benchmarks/device_issue10.sh bench   # every GPU benchmark, and live training on 2 of its cores (~5 min)
#   bash benchmarks/device_issue10.sh full    # both (may need more than one call's 10 minutes)
#
# STEP_S (default 560) caps each step's seconds; K replaces the probe's pytest -k selection.
# A fresh machine has no Triton cache: each r = 64 case compiles for 60-95 s (session 8), so the probe's
# 84 tests alone ran past one call's 10 minutes. Split them with K, e.g. K="lora_pass or token" and then
# K="triton or backend or split or fall_back" (the second ~3 min).
#
# Logs go to $OUT (default /tmp/issue10-out): env.txt, tests.log, kernels.log, layers.log, live.log,
# live_cpu.log, and results.md (what the benchmarks appended to benchmarks/RESULTS.md). Each step's
# exit status and time are printed; a failing step does not stop the next. Without a GPU every step
# says so and skips (this is how it is checked on a CPU machine).
set -uo pipefail
MODE=${1:-full}
OUT=${OUT:-/tmp/issue10-out}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
RESULTS=benchmarks/RESULTS.md
start=$(wc -c <"$RESULTS")

step() {
  local name=$1
  shift
  echo "== $name: $*"
  local t0=$SECONDS
  timeout -k 5 "${STEP_S:-560}" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: rc=$rc in $((SECONDS - t0)) s"
  tail -n "${TAIL:-25}" "$OUT/$name.log"
}

$PY - <<'EOF' | tee "$OUT/env.txt"
import importlib, os, platform, torch
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.cuda.is_available())
if torch.cuda.is_available():
    print("gpu", torch.cuda.get_device_name(0), "cores", os.cpu_count())
for m in ("triton", "peft", "pytest", "hypothesis", "pandas", "sklearn"):
    try:
        print(m, importlib.import_module(m).__version__)
    except Exception as e:  # noqa: BLE001
        print(m, "MISSING", type(e).__name__)
from hra_viz.core.adapters import hra_kernels as K
print("triton kernels usable:", K.triton_available())
EOF

if [ "$MODE" = probe ]; then  # kernel correctness and timings only (two calls on a cold machine)
  # -v and the thread method: a test that hangs inside a CUDA call is named, its stacks dumped
  step tests $PY -m pytest -v -p no:cacheprovider --timeout 150 --timeout-method thread --durations 15 \
    -m cuda tests/test_gpu_graphs.py -k "${K:-triton or backend or token or split or lora_pass or fall_back}"
  step kernels $PY -m benchmarks.hra_kernels
  step profile $PY -m benchmarks.profile_gpu
  step layers $PY -m benchmarks.layers --device cuda --parts layer,stack --d 1024,4096 --repeats 5 --no-write
elif [ "$MODE" = host ]; then  # the d ≥ 4096 route on a launch-bound host (RESULTS.md, issue 10 session 6)
  step profile $PY -m benchmarks.profile_gpu --cases 4096:8:layer,4096:32:layer --cprofile
  step variants $PY -m benchmarks.layer_variants --d 4096 --variants node,fusew,lorapass,nosplit --repeats 9
elif [ "$MODE" = graphs ]; then  # session 9: the cuBLAS route's r × r kernels replayed from CUDA graphs
  step tests $PY -m pytest -v -p no:cacheprovider --timeout 300 --timeout-method thread --durations 10 \
    -m cuda tests/test_factor_graphs.py tests/test_gpu_graphs.py tests/test_compile.py \
    -k "${K:-factor_graphs or backends_agree or fast_launch or fall_back or graphed_run or precision or merge or compile}"
  step host $PY -m benchmarks.host_costs --d 4096 --r 8
elif [ "$MODE" = graphbench ]; then
  step variants $PY -m benchmarks.layer_variants --d 4096 --variants node,nograph --repeats 11
  step layers $PY -m benchmarks.layers --device cuda --parts layer,stack --d 4096 --repeats 7
elif [ "$MODE" = quick ]; then
  step tests $PY -m pytest -q -p no:cacheprovider --timeout 300 -m cuda \
    tests/test_gpu_graphs.py tests/test_adapters.py -k "triton or backend or precision or cuda"
  step kernels $PY -m benchmarks.hra_kernels
  step layers $PY -m benchmarks.layers --device cuda --parts layer,precision --d 4096 --repeats 5
else  # full = tests then bench; each alone fits one 10-minute call with room to spare
  if [ "$MODE" != bench ]; then
    step tests $PY -m pytest -q -p no:cacheprovider --timeout 400 -m cuda \
      tests/test_adapters.py tests/test_householder.py tests/test_precision.py tests/test_compile.py \
      tests/test_gpu_graphs.py tests/test_gpu_app_path.py
  fi
  if [ "$MODE" != tests ]; then
    step live $PY -m benchmarks.live --device cuda --no-sweep
    step live_cpu taskset -c 0,1 $PY -m benchmarks.live --device cpu --threads 2 --no-sweep
    step kernels $PY -m benchmarks.hra_kernels
    step layers $PY -m benchmarks.layers --device cuda
  fi
fi
tail -c +$((start + 1)) "$RESULTS" >"$OUT/results.md"
echo "== appended to RESULTS.md: $(wc -l <"$OUT/results.md") lines (in \$OUT/results.md)"
