"""Decisions: runs turned into verdicts, numpy and scipy only (no torch at import time beyond what
training.setting brings for seeds and results).

    stats        short pure statistics: the anytime-valid confidence sequence, exact intervals, Holm
    runs         one setting's runs as (seeds,) arrays of named metrics, and what each metric is
    quantities   what a part of a claim claims (typical seed, escape gain, escape rate, level, ...)
    verdicts     the decide loop over parts and seed designs; Outcome; the expected verdicts
    population   claims over drawn architectures (a fixed sample, Clopper-Pearson)
    simulate     every quantity simulated at its threshold, on data shaped like ours
"""
