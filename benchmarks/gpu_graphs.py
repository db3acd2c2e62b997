"""GPU-side time of one layer step with the host taken out, each peer captured and timed on its own.

    python -m benchmarks.gpu_graphs        # needs CUDA; peft for the PEFT peers

Each peer's whole forward + backward is captured in one CUDA graph and replayed back to back
between two CUDA events, so the figure is the device's time alone. Eager timings on a virtual
machine are dominated by the host's ~30–50 µs per launched kernel (see RESULTS.md); this table
says what the kernels themselves cost.
"""

import datetime as dt
import statistics

import torch

from benchmarks.layers import RESULTS, graphed_step, machine, make_layers

PEERS = ("hra (ours)", "peft lora", "lora (ours)", "peft hra", "base")


def replay_ms(replay, repeats: int = 5) -> float:
    for _ in range(3):
        replay()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    replay()
    e.record()
    torch.cuda.synchronize()
    n = max(3, min(50, int(50.0 / max(s.elapsed_time(e), 1e-3))))  # blocks of about 50 ms
    out = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        s.record()
        for _ in range(n):
            replay()
        e.record()
        torch.cuda.synchronize()
        out.append(s.elapsed_time(e) / n)
    return statistics.median(out)


def main() -> None:
    rows = []
    for d in (4096, 8192):
        for r in (8, 32):
            for input_grad in (False, True):
                layers = make_layers(d, r, "cuda", torch.bfloat16, with_peft=True)
                x = torch.randn(8192, d, device="cuda", dtype=torch.bfloat16, requires_grad=input_grad)
                gy = torch.randn(8192, d, device="cuda", dtype=torch.bfloat16)
                ms = {}
                for name in PEERS:
                    if name in layers:
                        ms[name] = replay_ms(graphed_step(layers[name], x, gy))
                rows.append((d, r, input_grad, ms))
                print(d, r, input_grad, {k: round(v, 3) for k, v in ms.items()}, flush=True)
                del layers
                torch.cuda.empty_cache()
    names = list(rows[0][3])
    head = "| d | r | x needs grad | " + " | ".join(f"{n} (ms)" for n in names)
    head += " | ours / peft lora | peft hra / ours |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for d, r, ig, ms in rows:
        ours = ms["hra (ours)"]
        cells = " | ".join(f"{ms[n]:.3f}" for n in names)
        lines.append(
            f"| {d} | {r} | {'yes' if ig else 'no'} | {cells} | {ours / ms['peft lora']:.2f} | "
            f"{ms['peft hra'] / ours:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as f:
        f.write(
            f"\n## Layer step, GPU time only: each peer's step in one CUDA graph, timed alone ({stamp})\n\n"
            f"- machine: {machine()}\n- command: `python -m benchmarks.gpu_graphs`\n"
            "- 8192 tokens, bf16; median of 5 blocks of back-to-back replays (~50 ms each), CUDA events\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
