"""Model-steps per second: the batched runner against the plain loop as the lecture writes it,
side by side in one run, at the CPU-tier proxy's scale and at the lecture's; and the FLOP rate
achieved against this machine's matmul rate, measured in the same run.

    pytest benchmarks/ -p no:xdist      (README: bash scripts/bench.sh)
"""

import dataclasses
import time

import pytest
import torch

from trainability.runs.pool import Runner, available_cores, keep_freed_memory
from trainability.studies.rungs import get_tier

RESULTS: dict[str, float] = {}


def lecture_loop(setting, seed: int, device: str = "cpu") -> None:
    """The lecture's loop, verbatim in spirit: default Adam, fresh batch, loss.item() per step."""
    from trainability.systems import build_model

    torch.manual_seed(seed)
    model = build_model(setting.system, setting.model).to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=setting.lr)
    task = setting.task
    for _ in range(setting.steps):
        a = torch.randn((task.batch, task.length, task.in_dim)).to(device)  # the lecture: .cuda()
        b = torch.randn((task.batch, task.length, task.in_dim)).to(device)
        tar = (a + 1) ** 2 + b
        y = model(torch.cat([a, b], -1))
        loss = (0.5 * (y - tar) ** 2).mean()
        model.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()


def flops_per_model_step(setting) -> float:
    """Matmul FLOPs of one training step (forward x 3 for forward + backward)."""
    m, t = setting.model, setting.task
    tokens = t.batch * t.length
    per_layer = 2 * tokens * (4 * m.d_model**2 + 2 * m.d_model * m.ffn)  # qkv + out, two FFN matmuls
    s, b = (t.batch, t.length) if m.layout == "faithful" else (t.length, t.batch)
    attention = 2 * 2 * b * s * s * m.d_model  # q k^T and attn v
    io = 2 * tokens * (2 * t.in_dim * m.d_model + m.d_model * t.in_dim)
    return 3.0 * (m.n_layers * (per_layer + attention) + io)


def matmul_rate() -> float:
    """FLOP/s of a large fp32 matmul on all cores: the machine's practical ceiling."""
    torch.set_num_threads(available_cores())
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    start = time.perf_counter()
    for _ in range(10):
        a @ b
    return 10 * 2 * 2048**3 / (time.perf_counter() - start)


SCALES = {
    # scale: (tier, steps per run, batched runs per round, plain runs per round). Runs long
    # enough that per-run setup (building and initialising each model) weighs on both loops about
    # as little as in a claim's runs (400 steps at the CPU tier, 1000 at the lecture's). 48
    # CPU-tier runs make two batches of 24, the size L6's first look hands each worker (24 seeds
    # x 2 settings); fewer members per batch pay more Python overhead per member.
    "CPU-tier scale": ("proxy", 100, 48, 16),
    "lecture scale on CPU": ("lecture", 40, 4, 1),
}
ROUNDS = 3  # plain and batched alternate, so a slow spell of this shared machine hits both


@pytest.mark.parametrize("scale", list(SCALES))
def test_batched_runner_against_the_plain_loop(scale, benchmark, record_ratio):
    tier_name, steps, runs, plain_runs = SCALES[scale]
    setting = dataclasses.replace(get_tier(tier_name).setting(lr=1e-3), steps=steps, eval_batches=1)
    cores = available_cores()
    keep_freed_memory()  # the plain loop gets the allocator setting the runner's workers get
    runner = Runner("cpu", workers=cores, batch=64)
    # Start every worker process (spawn, import torch, first kernels) outside the timing: a claims
    # session starts its pool once and reuses it for every claim.
    runner.results([(setting, 10_000 + i) for i in range(2 * cores)])
    # The runner's own plain engine (batch=0: one run per job, one job per worker process) is what
    # `pytest claims/` ran before batching; batched / runner-plain predicts what claims gained.
    engine = Runner("cpu", workers=cores, batch=0) if tier_name == "proxy" else None
    if engine is not None:
        engine.results([(setting, 10_000 + i) for i in range(2 * cores)])
    plain_s: list[float] = []
    engine_s: list[float] = []
    rounds = iter(range(ROUNDS))

    def plain_then_seeds():  # untimed by pytest-benchmark: times the plain loop itself
        r = next(rounds)
        torch.set_num_threads(cores)  # one process on every core, one run after another
        start = time.perf_counter()
        for seed in range(r * plain_runs, (r + 1) * plain_runs):
            lecture_loop(setting, seed)
        plain_s.append(time.perf_counter() - start)
        if engine is not None:
            start = time.perf_counter()
            engine.results([(setting, 20_000 + seed) for seed in range(r * plain_runs, (r + 1) * plain_runs)])
            engine_s.append(time.perf_counter() - start)
        return ([(setting, seed) for seed in range(r * runs, (r + 1) * runs)],), {}

    rate = matmul_rate()
    benchmark.pedantic(runner.results, setup=plain_then_seeds, rounds=ROUNDS, iterations=1)
    runner.close()
    if engine is not None:
        engine.close()
        engine_rate = ROUNDS * plain_runs * steps / sum(engine_s)
        print(f"\n{scale}: the runner's plain engine {engine_rate:.1f} model-steps/s; batched / plain engine "
              f"= {ROUNDS * runs * steps / sum(benchmark.stats.stats.data) / engine_rate:.2f}x, the speed-up "
              f"this predicts for `pytest claims/` (L6 + L7) against plain runs")
        benchmark.extra_info["runner_plain_engine_model_steps_per_s"] = engine_rate
    plain_rate = ROUNDS * plain_runs * steps / sum(plain_s)
    batched_rate = ROUNDS * runs * steps / (benchmark.stats.stats.mean * ROUNDS)
    achieved = flops_per_model_step(setting) * batched_rate
    print(f"\n{scale}: plain {plain_rate:.1f} model-steps/s (rounds: "
          f"{', '.join(f'{plain_runs * steps / t:.1f}' for t in plain_s)}), batched {batched_rate:.1f} model-steps/s "
          f"(rounds: {', '.join(f'{runs * steps / t:.1f}' for t in benchmark.stats.stats.data)}); batched achieves "
          f"{achieved / 1e9:.1f} GFLOP/s of {rate / 1e9:.1f} GFLOP/s matmul ({100 * achieved / rate:.0f}%)")
    benchmark.extra_info.update(plain_model_steps_per_s=plain_rate, batched_model_steps_per_s=batched_rate,
                                achieved_gflops=achieved / 1e9, matmul_gflops=rate / 1e9)
    record_ratio(f"{scale} vs plain loop", batched_rate / plain_rate, 5.0 if tier_name == "proxy" else 1.5)
