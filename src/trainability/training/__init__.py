"""Training: one run, (Setting, seed) -> RunResult.

    setting     Setting (everything but the seed), Streams (a run's named random streams), Crossing
                (the escape rule), derive_seed
    result      RunResult, its named metrics, crossing_step, finish (the end of every run)
    inits       initialisation schemes and the rule for which tensors they touch
    schedules   learning-rate schedules (optax-style factories)
    optim       update rules both engines read (adam, radam, radam-paper)
    masks       dropout masks from a counter-based stream shared by both engines on the CPU
    engines     plain (the lecture's loop) and batched (K members as one computation)
"""
