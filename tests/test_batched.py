"""A member of a batch computes the plain run with its seed.

Tolerance: rtol 1e-4 on every training loss and the test loss, over runs of at most 12 steps.
The batched path draws the same data and dropout masks and applies the same update rule; it
differs only in float association (batched matmuls, LayerNorm's affine applied outside),
about 1e-7 relative per operation in float32. A few steps of training
amplify that by orders of magnitude at most, still far below 1e-4; a wrong mask, init, lr or
schedule changes losses at the 1e-2 level from the first step on.
"""

import dataclasses

import pytest
from hypothesis import given, strategies as st

from helpers import TINY, TINY_MODEL
from trainability.training.engines import batch_key, run, run_batch
from trainability.training.engines.batched import Members
from trainability.systems.transformer import ATTENTIONS
from trainability.systems.cnn import CNNConfig
from trainability.systems.rnn import RNNConfig
from trainability.training.setting import Setting, Crossing
from trainability.tasks import LectureTask, SequenceTask


pytestmark = pytest.mark.usefixtures("one_thread")


def _assert_same(plain, member):
    assert member.diverged_at == plain.diverged_at
    assert member.losses == pytest.approx(plain.losses, rel=1e-4)
    assert member.test_loss == pytest.approx(plain.test_loss, rel=1e-4)
    assert member.test_loss_nodrop == pytest.approx(plain.test_loss_nodrop, rel=1e-4)
    assert member.escape_step == plain.escape_step


def test_members_with_different_numbers_match_their_plain_runs():
    jobs = [(TINY, 0), (dataclasses.replace(TINY, lr=3e-3, warmup=4), 0),
            (dataclasses.replace(TINY, init="xavier_uniform"), 1),
            (dataclasses.replace(TINY, init="uniform", init_scale=0.05, init_rule="all", schedule="cosine"), 2),
            (dataclasses.replace(TINY, lr=1e-4, eval_batches=TINY.eval_batches), 3)]
    for (setting, seed), member in zip(jobs, run_batch(jobs)):
        _assert_same(run(setting, seed), member)


@given(d_heads=st.sampled_from([(8, 2), (12, 3), (16, 4)]), layers=st.integers(1, 3), ffn=st.sampled_from([8, 24]),
       in_dim=st.integers(1, 4), n0=st.integers(2, 5), n1=st.integers(1, 4), dropout=st.sampled_from([0.0, 0.1, 0.3]),
       layout=st.sampled_from(["faithful", "corrected"]), pe=st.sampled_from(["none", "sinusoidal"]),
       attention=st.sampled_from(ATTENTIONS), window=st.integers(1, 3), norm_first=st.booleans(),
       seeds=st.lists(st.integers(0, 2**40), min_size=1, max_size=3))
def test_equivalence_over_sizes_layouts_and_seeds(d_heads, layers, ffn, in_dim, n0, n1, dropout, layout, pe,
                                                  attention, window, norm_first, seeds):
    d, h = d_heads
    model = dataclasses.replace(TINY_MODEL, in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers, ffn=ffn,
                                dropout=dropout, layout=layout, pos_encoding=pe, attention=attention,
                                attn_window=window, norm_first=norm_first)
    setting = dataclasses.replace(TINY, model=model, task=LectureTask(batch=n0, length=n1, in_dim=in_dim), steps=6,
                                  eval_batches=2)
    jobs = [(setting, seed) for seed in seeds]
    for (s, seed), member in zip(jobs, run_batch(jobs)):
        _assert_same(run(s, seed), member)


def test_the_dropout_off_test_leaves_the_lectures_test_loss_as_it_was():
    import torch

    from trainability.training import masks
    from trainability.training.engines.common import init_model
    from trainability.training.engines.plain import evaluate
    from trainability.training.setting import Streams

    s, streams = dataclasses.replace(TINY, eval_batches=3), Streams.of(0)
    model = masks.install(init_model(s, streams), streams.dropout)
    both = evaluate(model, s, streams.generator("test"), "cpu")
    model = masks.install(init_model(s, streams), streams.dropout)  # the same masks from the start again
    test, total = streams.generator("test"), 0.0
    with torch.no_grad():
        for _ in range(s.eval_batches):  # the lecture's test alone: train mode throughout
            x, target = s.task.sample(test)
            total += s.task.loss(model(x), target).item()
        model.eval()
        x, target = s.task.sample(streams.generator("test"))
        first_off = s.task.loss(model(x), target).item()
    assert both[0] == pytest.approx(total / s.eval_batches, rel=1e-6)  # model.eval() drew no masks in between
    assert both[1] != pytest.approx(both[0]) and first_off > 0
    off = dataclasses.replace(s, eval_mode="eval")  # dropout off already: measured once, the same number twice
    loss, nodrop = evaluate(model, off, streams.generator("test"), "cpu")
    assert loss == nodrop


def test_a_diverging_member_is_marked_and_leaves_the_others_alone():
    blown = dataclasses.replace(TINY, init="normal", init_scale=1e30)
    results = run_batch([(TINY, 0), (blown, 0), (TINY, 1)])
    assert results[1].diverged and results[1].diverged_at == 0 and results[1].final == float("inf")
    _assert_same(run(TINY, 0), results[0])
    _assert_same(run(TINY, 1), results[2])


def test_jobs_that_differ_in_structure_cannot_share_a_batch():
    other = dataclasses.replace(TINY, steps=TINY.steps + 1)
    assert batch_key(TINY) != batch_key(other)
    assert batch_key(TINY) == batch_key(dataclasses.replace(TINY, lr=0.5, warmup=3, init="kaiming_normal"))
    with pytest.raises(ValueError, match="cannot share a batch"):
        Members([(TINY, 0), (other, 0)])
    with pytest.raises(ValueError, match="at least one"):
        Members([])


def test_a_members_result_does_not_depend_on_its_batch_mates():
    # Bitwise: the same (setting, seed) gives the same run however the runner groups jobs.
    warm = dataclasses.replace(TINY, warmup=3)
    alone = run_batch([(warm, 7)])[0]
    mixed = run_batch([(TINY, 1), (warm, 7), (TINY, 3), (warm, 9)])[1]
    assert alone.losses == mixed.losses and alone.test_loss == mixed.test_loss


def test_runner_groups_compatible_jobs_and_splits_them_over_workers():
    from trainability.runs.pool import Runner

    runner = Runner("cpu", workers=2, batch=3)
    other = dataclasses.replace(TINY, steps=TINY.steps + 1)
    jobs = [(TINY, i) for i in range(7)] + [(other, 0)]
    chunks = runner.chunks(jobs)
    # 7 compatible jobs at most 3 a batch: 3 chunks (3, 3, 1); the odd job alone
    assert sorted(len(c[0]) for c in chunks) == [1, 1, 3, 3]
    assert all(c[2] == "batched" for c in chunks) and sum(len(c[0]) for c in chunks) == 8
    assert all(len({batch_key(j[0]) for j in c[0]}) == 1 for c in chunks)
    assert [len(c[0]) for c in Runner("cpu", workers=2, batch=0).chunks(jobs)] == [1] * 8


@given(cell=st.sampled_from(["tanh", "gru", "lstm"]), width=st.integers(1, 9), layers=st.integers(1, 2),
       scale=st.sampled_from([0.5, 1.0]), kind=st.sampled_from(["n-gram", "moving-average"]),
       seeds=st.lists(st.integers(0, 2**40), min_size=1, max_size=3))
def test_rnn_members_match_their_plain_runs(cell, width, layers, scale, kind, seeds):
    task = SequenceTask(kind, length=5, batch=3, window=3)
    setting = Setting(model=RNNConfig(in_dim=2, width=width, layers=layers, cell=cell, recurrent_scale=scale),
                      task=task, system="rnn", lr=3e-3, steps=6, eval_batches=2, escape=Crossing(level=1.0))
    jobs = [(setting, seed) for seed in seeds] + [(dataclasses.replace(setting, lr=1e-2, warmup=3), seeds[0])]
    for (s, seed), member in zip(jobs, run_batch(jobs)):
        _assert_same(run(s, seed), member)


@given(width=st.integers(1, 9), depth=st.integers(1, 3), kernel=st.sampled_from([1, 2, 3, 5]), causal=st.booleans(),
       seeds=st.lists(st.integers(0, 2**40), min_size=1, max_size=3))
def test_cnn_members_match_their_plain_runs(width, depth, kernel, causal, seeds):
    if not causal and kernel % 2 == 0:
        kernel += 1
    task = SequenceTask("bag-of-words", length=6, batch=3, window=4)
    setting = Setting(model=CNNConfig(in_dim=2, width=width, depth=depth, kernel=kernel, causal=causal), task=task,
                      system="cnn", lr=3e-3, steps=6, eval_batches=2, escape=Crossing(level=1.0))
    jobs = [(setting, seed) for seed in seeds] + [(dataclasses.replace(setting, lr=1e-2, warmup=3), seeds[0])]
    for (s, seed), member in zip(jobs, run_batch(jobs)):
        _assert_same(run(s, seed), member)
