"""Runs: many runs, scheduled and kept. Importing this package loads nothing heavy (the pytest
plugin imports runs.progress).

    pool       Runner: (setting, seed) jobs -> RunResults, from its cache, the run store, or the
               engines in worker processes, with progress lines
    store      the SQLite run store, and merging stores
    keys       what a stored run is keyed by: the setting, the seed, the device, the engine, the
               run code's version, torch's, and the source of a user's own system and task
    progress   the session's progress line (standard library only)
"""
