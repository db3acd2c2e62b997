"""Budget calculator: counts against hand computations from each model's published shapes."""

import math

import pytest

from hra_viz.core.adapters import route_flops
from hra_viz.views import budget


# Hand computations, written out per architecture from its config (one transformer block × layers).
def _hand(arch: str, method: str, r: int = 8, b: int = 32) -> int:
    if arch in ("deberta-v3-base", "vit-b-16"):
        # q, k, v, attention output: 768→768 (×4); intermediate 768→3072; output 3072→768; all with bias
        shapes, blocks, bias = [(768, 768)] * 4 + [(768, 3072), (3072, 768)], 12, True
    elif arch == "llama2-7b":
        shapes, blocks, bias = [(4096, 4096)] * 4 + [(4096, 11008)] * 2 + [(11008, 4096)], 32, False
    elif arch == "llama-3.2-3b":
        # q 3072→3072; k, v 3072→8·128; o 3072→3072; gate, up 3072→8192; down 8192→3072
        shapes = [(3072, 3072), (3072, 1024), (3072, 1024), (3072, 3072)]
        shapes += [(3072, 8192), (3072, 8192), (8192, 3072)]
        blocks, bias = 28, False
    per_block = {
        "hra": sum(r * i for i, _ in shapes),
        "lora": sum(r * (i + o) for i, o in shapes),
        "oft": sum((i // b) * (b * (b - 1) // 2) for i, _ in shapes),
        "full": sum(i * o + (o if bias else 0) for i, o in shapes),
    }[method]
    return blocks * per_block


CASES = [(a, m, r) for a in budget.ARCHS for m in ("hra", "lora") for r in (8, 32)] + [
    (a, m, 8) for a in budget.ARCHS for m in ("oft", "full")
]


@pytest.mark.parametrize("arch,method,r", CASES)
def test_counts_match_hand_computation(arch, method, r):
    assert budget.trainable_parameters(arch, method, r=r, block_size=32) == _hand(arch, method, r, 32)


def test_known_numbers():
    # HRA paper, Table 1 (DeBERTaV3-base, r = 8): 0.66M trainable parameters
    assert budget.trainable_parameters("deberta-v3-base", "hra", r=8) == 663_552
    assert budget.trainable_parameters("llama2-7b", "hra", r=8) == 32 * 8 * (4 * 4096 + 2 * 4096 + 11008)
    assert budget.trainable_parameters("llama2-7b", "lora", r=8) == 19_988_480
    oft = budget.trainable_parameters("llama-3.2-3b", "oft", block_size=32)
    assert oft == 28 * 31 * (6 * 3072 + 8192) // 2 == 11_554_816  # d_in/b blocks of b(b−1)/2: 15.5 per input


def test_total_parameters_from_published_configs():
    # Llama-2-7b: embeddings and lm_head 32000×4096 each, 32 blocks (attention, MLP, 2 RMSNorms), final norm
    llama2 = 2 * 32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert budget.ARCHS["llama2-7b"].total_params == llama2 == 6_738_415_616
    # Llama-3.2-3B: tied 128256×3072 embedding; GQA k, v 3072→1024
    llama3 = 128256 * 3072 + 28 * (2 * 3072**2 + 2 * 3072 * 1024 + 3 * 3072 * 8192 + 2 * 3072) + 3072
    assert budget.ARCHS["llama-3.2-3b"].total_params == llama3
    # ViT-B/16: patch conv + cls + 197 positions, 12 BERT-sized blocks, final LN, 1000-class head
    block = 4 * (768 * 768 + 768) + 2 * 768 * 3072 + 3072 + 768 + 4 * 768
    vit = 16 * 16 * 3 * 768 + 768 + 768 + 197 * 768 + 12 * block + 2 * 768 + 768 * 1000 + 1000
    assert budget.ARCHS["vit-b-16"].total_params == vit == 86_567_656
    deberta = 128100 * 768 + 2 * 768 + 12 * block + 512 * 768 + 2 * 768
    assert budget.ARCHS["deberta-v3-base"].total_params == deberta
    assert math.isclose(deberta, 184e6, rel_tol=0.01)


def test_targets():
    qv = budget.trainable_parameters("llama2-7b", "lora", r=8, targets="qv")
    assert qv == 32 * 2 * 8 * (4096 + 4096) == budget.trainable_parameters(
        "llama2-7b", "lora", r=8, targets=["q_proj", "v_proj"]
    )
    attn = budget.trainable_parameters("llama-3.2-3b", "hra", r=8, targets="attention")
    mlp = budget.trainable_parameters("llama-3.2-3b", "hra", r=8, targets="mlp")
    assert attn + mlp == budget.trainable_parameters("llama-3.2-3b", "hra", r=8)
    assert attn == 28 * 8 * 4 * 3072


def test_custom_spec():
    rows = [("qkv", 512, 1536, 6, True), dict(name="out", d_in=512, d_out=512, count=6, bias=False)]
    a = budget.custom_arch(rows, other_params=1000)
    assert a.total_params == 6 * (512 * 1536 + 1536 + 512 * 512) + 1000
    assert budget.trainable_parameters(a, "hra", r=4) == 6 * 4 * (512 + 512)
    assert budget.trainable_parameters(a, "lora", r=4) == 6 * 4 * (512 + 1536 + 512 + 512)
    assert budget.trainable_parameters(a, "oft", block_size=16) == 6 * 2 * 32 * (16 * 15 // 2)
    assert budget.trainable_parameters(a, "full") == 6 * (512 * 1536 + 1536 + 512 * 512)


BAD = [
    (lambda: budget.trainable_parameters("gpt-5", "hra"), "unknown architecture"),
    (lambda: budget.trainable_parameters("llama2-7b", "dora"), "method must be"),
    (lambda: budget.trainable_parameters("llama2-7b", "oft", block_size=512), "does not divide d_in=11008"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", r=0), "r must be"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", r=2.5), "r must be"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", r=True), "r must be"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", targets=["nope"]), "has no layer"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", targets=[]), "empty"),
    (lambda: budget.trainable_parameters("vit-b-16", "hra", targets="everything"), "targets must be"),
    (lambda: budget.trainable_parameters(budget.custom_arch([("a", 4, 4, 1, 0)]), "hra", r=8), "r ≤ d_in"),
    (lambda: budget.custom_arch([]), "empty"),
    (lambda: budget.custom_arch([("a", 0, 4, 1, False)]), "d_in"),
    (lambda: budget.custom_arch([("a", 4, float("nan"), 1, False)]), "d_out"),
    (lambda: budget.custom_arch([("a", 4, 4, 10**6, False)]), "count"),
    (lambda: budget.custom_arch([("a", 4, 4, 1, False)] * 2), "used twice"),
    (lambda: budget.custom_arch([(f"l{i}", 4, 4, 1, False) for i in range(100)]), "at most"),
    (lambda: budget.adapter_bytes(10, "fp8"), "precision"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_memory():
    n = budget.trainable_parameters("llama2-7b", "hra", r=8)
    assert budget.adapter_bytes(n, "fp32") == 4 * n and budget.adapter_bytes(n, "bf16") == 2 * n
    assert budget.optimizer_bytes(n, "fp32") == 8 * n and budget.optimizer_bytes(n, "bf16") == 12 * n


def test_flops_per_token_sum_route_flops():
    n, r = 4096, 8
    fl = budget.hra_flops_per_token("vit-b-16", r=r, n_tokens=n)
    fast = build = 0
    for d_in, d_out in [(768, 768)] * 4 + [(768, 3072), (3072, 768)]:
        f = route_flops(n, d_in, d_out, r, input_grad=True, backward=True)
        fast += 12 * min(f["activation"], f["lora"]) / n
        build += 12 * f["materialise"] / n
    assert math.isclose(fl["fast"], fast) and math.isclose(fl["materialise"], build)
    assert fl["frozen"] == 12 * 4 * (4 * 768 * 768 + 2 * 768 * 3072)
    assert fl["materialise"] > 10 * fl["fast"]  # building H every step is far dearer on a real model
    more = budget.hra_flops_per_token("vit-b-16", r=r, n_tokens=4 * n)
    assert more["materialise"] < fl["materialise"] and math.isclose(more["fast"], fl["fast"], rel_tol=0.05)


def test_budget_table_leaves_out_what_cannot_apply():
    df, errors = budget.budget_table("llama2-7b", ("hra", "lora", "oft", "full"), r=8, block_size=512)
    assert list(df.method) == ["hra", "lora", "full"] and "oft" in errors
    hra = df[df.method == "hra"].iloc[0]
    assert hra.trainable == 9_109_504
    assert math.isclose(hra.share_pct, 100 * 9_109_504 / 6_738_415_616)
    assert hra.build_h_flops_per_token > hra.extra_flops_per_token > 0
