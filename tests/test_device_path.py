"""The engines' CUDA path, run on the CPU (engines.common.device_path: the torch mask kernels,
stacked optimizer steps, padded chunks, no host sync per step), and the same randomness on both
paths: a seed is the same init, data and masks. Plus smoke tests that run where CUDA exists
(``-m gpu``; skipped here without a GPU)."""

import dataclasses

import pytest
import torch

from helpers import TINY
from trainability.numerics import numerics
from trainability.runs.pool import Runner
from trainability.training.engines import device_path, on_device_path, run, run_batch

pytestmark = pytest.mark.usefixtures("one_thread")
DROPPY = dataclasses.replace(TINY, steps=8)  # the tiny lecture model with dropout 0.1


def test_the_switch_runs_the_device_path_on_the_cpu_and_restores_it():
    from trainability.training import masks

    assert not on_device_path("cpu") and masks.KERNEL != "torch"
    with device_path():
        assert on_device_path("cpu") and masks.KERNEL == "torch"
    assert not on_device_path("cpu") and masks.KERNEL != "torch"


def test_a_seed_is_the_same_init_data_and_masks_on_both_paths():
    cpu = run(DROPPY, 3)
    with device_path():
        dev = run(DROPPY, 3)
    assert dev.losses == cpu.losses  # plain runs: the same arithmetic, masks from the device kernel, bitwise
    jobs = [(DROPPY, 3), (dataclasses.replace(DROPPY, lr=3e-3), 4)]
    (a, b), plain_b = run_batch(jobs), run(*jobs[1])
    with device_path():
        (c, d) = run_batch(jobs)
    assert c.losses[0] == a.losses[0] and d.losses[0] == b.losses[0]  # step 1: before any update, bitwise
    for cpu_member, dev_member in ((a, c), (b, d)):  # stacked Adam rounds differently from the fused kernel
        assert dev_member.losses == pytest.approx(cpu_member.losses, rel=1e-4)
        assert dev_member.test_loss == pytest.approx(cpu_member.test_loss, rel=1e-4)
    assert d.losses == pytest.approx(plain_b.losses, rel=1e-4)  # a member of the device path is its plain run


def test_a_padded_members_bits_do_not_depend_on_its_batch_mates():
    job = (DROPPY, 5)
    mates = [(dataclasses.replace(DROPPY, lr=lr), s) for lr, s in ((3e-3, 6), (1e-2, 7), (2e-4, 8))]
    with device_path():
        alone = run_batch([job], pad_to=4)[0]
        crowded = run_batch([*mates, job], pad_to=4)[-1]
        two = run_batch([mates[0], job], pad_to=4)[-1]
    assert alone.losses == crowded.losses == two.losses and alone.test_loss == crowded.test_loss == two.test_loss


def test_a_diverging_member_on_the_device_path_is_marked_and_the_rest_go_on():
    bad = dataclasses.replace(DROPPY, lr=1e12)
    with device_path():
        out = run_batch([(DROPPY, 0), (bad, 0)], pad_to=3)
    assert out[0].diverged_at is None and len(out[0].losses) == DROPPY.steps
    assert out[1].diverged_at is not None and len(out[1].losses) == out[1].diverged_at and out[1].final == float("inf")


def test_the_runner_pads_chunks_on_the_device_path_only():
    runner = Runner("cpu", workers=1, batch=8)
    jobs = [(DROPPY, s) for s in range(3)]
    assert {c[3] for c in runner.chunks(jobs)} == {None}
    with device_path():
        assert {c[3] for c in runner.chunks(jobs)} == {8}


def test_the_cpu_numerics_are_recorded():
    n = numerics("cpu")
    assert n["torch"] == str(torch.__version__) and n["cpu_capability"] and "gpu" not in n
    assert n["pins"]["MKL_CBWR"] == "AVX2"  # pinned when trainability was imported (trainability.numerics)


gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.gpu
@gpu
def test_gpu_runs_draw_the_cpus_masks_and_match_the_cpu_path():
    cpu = run(DROPPY, 3)
    dev = run(DROPPY, 3, "cuda:0")
    assert dev.losses[0] == pytest.approx(cpu.losses[0], rel=1e-5)  # the same init, data and masks
    assert dev.losses == pytest.approx(cpu.losses, rel=1e-3)
    (member,) = run_batch([(DROPPY, 3)], "cuda:0", pad_to=4)
    assert member.losses == pytest.approx(dev.losses, rel=1e-3)
    n = numerics("cuda:0")
    assert n["gpu"] and not n["matmul_tf32"] and not n["cudnn_tf32"] and n["cudnn_deterministic"]


@pytest.mark.gpu
@gpu
def test_gpu_members_do_not_depend_on_their_batch_mates_and_runs_repeat():
    job = (DROPPY, 5)
    mates = [(dataclasses.replace(DROPPY, lr=lr), s) for lr, s in ((3e-3, 6), (1e-2, 7))]
    alone = run_batch([job], "cuda:0", pad_to=4)[0]
    assert run_batch([*mates, job], "cuda:0", pad_to=4)[-1].losses == alone.losses
    assert run_batch([job], "cuda:0", pad_to=4)[0].losses == alone.losses  # run to run
