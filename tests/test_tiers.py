"""The lecture's tables as settings: every row once, valid, at the lecture's exact scale."""

import pytest

from trainability.training.engines import batch_key
from trainability.studies.lecture import TABLES, rows
from trainability.studies.rungs import LECTURE, PROXY


def test_every_row_of_the_lectures_tables_is_a_distinct_valid_setting():
    settings = {label: LECTURE.setting(**row.args) for label, row in rows().items()}
    assert len(settings) == 22 and len(set(settings.values())) == 22  # 23 table rows, "default" listed twice
    assert settings["normal 0.002"].init_scale == 0.002 and settings["normal 0.002"].warmup == 10
    assert settings["lr 1e-5, no warm-up"].lr == 1e-5 and settings["lr 1e-5, no warm-up"].warmup == 0
    assert settings["default 2 layers"].model.n_layers == 2
    assert settings["batch 64"].task.batch == 64 and settings["batch 64"].warmup == 10
    # three shapes of computation: 6 layers, 2 layers, batch 64; the rest differ only in numbers
    assert len({batch_key(s) for s in settings.values()}) == 3
    assert all(s.model == LECTURE.base.model or s.model.n_layers == 2 for s in settings.values())
    assert PROXY.setting(**TABLES[3]["uniform +-0.01 2 layers"].args).lr == 1e-3 * PROXY.lr_scale
    assert sum(len(t) for t in TABLES.values()) == 23 and TABLES[2]["default"].lecture == 0.097


@pytest.mark.parametrize("lr", [-1, 0, float("nan"), "1e-3"])
def test_a_bad_lr_is_reported_as_the_user_gave_it(lr):
    with pytest.raises(ValueError, match=rf"lr must be a positive finite number \(lecture units\), got {lr!r}"):
        PROXY.setting(lr=lr)


def test_the_ladders_rule_at_the_lectures_width_is_the_lecture():
    import dataclasses

    from trainability.studies.rungs import TIERS, rung, rungs_of

    assert rung(256, test_batches=1000).base == LECTURE.base and rung(256).lr_scale == LECTURE.lr_scale == 1.0
    d64 = TIERS["d64"]
    s = d64.setting(lr=1e-3, warmup_fraction=0.01, init="normal", init_scale=0.02)
    assert (s.model.d_model, s.model.ffn, s.model.in_dim, s.model.n_heads) == (64, 512, 12, 4)
    assert s.lr == pytest.approx(4e-3) and s.steps == 1000 and s.warmup == 10
    assert s.init_scale == pytest.approx(0.04)  # keeps its ratio to the default init's std, 1/sqrt(3 fan_in)
    assert PROXY.setting(init="uniform", init_scale=0.01).init_scale == pytest.approx(0.01 * 8 ** 0.5)
    assert PROXY.setting(steps=250).steps == 100 and PROXY.setting(steps=250, warmup_fraction=0.01).warmup == 1
    assert [t.name for t in rungs_of("cpu")] == ["proxy"] and [t.name for t in rungs_of("ladder")] == list(TIERS)
    assert dataclasses.replace(TIERS["d32"].base, lr=PROXY.base.lr).model == PROXY.base.model  # same shape, rule lr
    with pytest.raises(ValueError, match="valid scales: cpu, ladder, proxy"):
        rungs_of("huge")
    with pytest.raises(ValueError, match="divisible by the 4 heads"):
        rung(30)
    with pytest.raises(ValueError, match=r"steps must be a positive int \(the lecture's units"):
        PROXY.setting(steps=0)
