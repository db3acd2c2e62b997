"""Where the time of one HRA layer step goes on a GPU (torch profiler), next to PEFT's LoRA.

    python -m benchmarks.profile_gpu      # needs CUDA and peft
"""

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.layers import make_layers


def main() -> None:
    d, r, n = 4096, 8, 8192
    layers = make_layers(d, r, "cuda", torch.bfloat16, with_peft=True)
    x = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
    gy = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
    for name in ("hra (ours)", "peft lora"):
        layer = layers[name]
        for _ in range(5):
            layer(x).backward(gy)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(10):
                layer(x).backward(gy)
            torch.cuda.synchronize()
        print(f"== {name}")
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=18))


if __name__ == "__main__":
    main()
