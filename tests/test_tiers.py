"""The lecture's tables as settings: every row once, valid, at the lecture's exact scale."""

import pytest

from trainability.engines import batch_key
from trainability.tables import TABLES, rows
from trainability.tiers import CPU, LECTURE


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
    assert CPU.setting(**TABLES[3]["uniform +-0.01 2 layers"].args).lr == 1e-3 * CPU.lr_scale
    assert sum(len(t) for t in TABLES.values()) == 23 and TABLES[2]["default"].lecture == 0.097


@pytest.mark.parametrize("lr", [-1, 0, float("nan"), "1e-3"])
def test_a_bad_lr_is_reported_as_the_user_gave_it(lr):
    with pytest.raises(ValueError, match=rf"lr must be a positive finite number \(lecture units\), got {lr!r}"):
        CPU.setting(lr=lr)
