"""Studies: the named setups that claim files compare, one module per study.

    rungs      the ladder of scales (Tier, TIERS, SCALES) and the seed designs per rung
    lecture    the lecture's five tables, each row's setting in the lecture's units
    sequence   the L11/L12 model families on the sequence tasks, their difficulty sweeps and the
               pre-registered tuning procedure
"""
