"""From runs to verdicts: a claim is a conjunction of parts (trainability.decisions.quantities), each a share
decided by the exact group-sequential test (decisions.sequential), over a seed design.

Design: seeds are added in the design's registered looks (start, start + step, ..., cap) until
the claim is decided (every part holds, or one is refuted; the other parts then keep the verdicts
of that look). Each part's two one-sided tests spend alpha over the registered looks, so a false
verdict for a part has probability at most alpha over the whole design; ``--seeds`` caps the
design (and so its looks) before the first look, and re-read cached runs are the same looks. A
design raised past its cap after an inconclusive look continues on the same seeds with the alpha
left unspent (an e-process: sequential.py). A design whose first look cannot decide is refused
before any run (``first_look``). A claim's false "holds" has probability at most alpha (every part
must hold); a false "refuted" at most k x alpha for k parts (any one refutes), which the suite
level (report.summary.adjust: Holm and e-BH) controls across a report. A claim holds when every
part holds, is refuted when any part is refuted, and is inconclusive otherwise; an inconclusive
part says how many seeds a fixed design would need at its observed share (``advice``).

Seeds: seed i of a claim is derive_seed(base_seed, key, i), key = the claim's id (or the id whose
seeds it shares, ``seeds``), with its ``revision`` appended when the claim was restated: a
restated claim is decided on fresh seeds and its record says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..text import fmt, format_share
from ..training.result import RunResult
from ..training.setting import Setting, derive_seed
from . import stats
from .quantities import PAIRED, Part, Runs
from .sequential import Design, SequentialTest, operating

VERDICTS = ("holds", "refuted", "inconclusive", "not holds")  # what a claim file may record per rung


class ClaimRefuted(AssertionError):
    """The seeds refute the claim."""


class ClaimInconclusive(AssertionError):
    """The seed cap was reached without a decision, and the file did not record that."""


@dataclass
class Outcome:
    """Everything a report needs about one claim."""

    claim_id: str
    title: str
    source: str
    tier: str
    verdict: str
    settings: dict[str, dict]
    parts: list[dict]
    n_seeds: int
    alpha: float
    base_seed: int
    seconds: float
    device: str
    torch_version: str
    restated: str | None = None  # why the claim was restated (it was decided on fresh seeds)
    extra: dict = field(default_factory=dict)
    expected: dict | None = None  # what the claim file records at this rung ({verdict, why}); None: nothing
    code: dict = field(default_factory=dict)  # {package file: hash} its runs used beyond the shared run code

    def table(self) -> str:
        """Per-setting medians and escapes, then each part: for failure messages."""
        unit = "paired seeds" if self.settings else "draws"
        rung = "" if self.tier == "-" else f" [{self.tier}]"
        lines = [f"{self.claim_id}{rung} {self.title}: {self.verdict.upper()} "
                 f"(n={self.n_seeds} {unit}, alpha {self.alpha:g}, base seed {self.base_seed})"]
        if self.restated:
            lines.append(f"  restated, decided on fresh seeds: {self.restated}")
        for label, s in self.settings.items():
            lecture = f", lecture {s['lecture']}" if s.get("lecture") is not None else ""
            lines.append(f"  {label:<28} final median {fmt(s['median'])} (IQR {fmt(s['q1'])}-{fmt(s['q3'])}), "
                         f"escaped {s['escaped']}/{s['n']}, diverged {s['diverged']}{lecture}")
        for p in self.parts:
            lines.append(f"  [{p['quantity']}] {p['statement']}: share {format_share(p)}, n {p['n']} -> {p['verdict']}"
                         + (f"; {p['to_decide']}" if p.get("to_decide") else ""))
            for k, v in p.get("description", {}).items():
                lines.append(f"      {k}: {fmt(v)}")
        return "\n".join(lines)

    def record(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return self.table()


UNITS = {"escape gain": "discordant pairs", "gain grows": "seeds where the gains differ", "dispersion": "blocks of four seeds"}


def part_record(part: Part, test: SequentialTest, n: int, m: int, s_lo: int, s_hi: int,
                description: dict | None = None) -> dict:
    """One part at a look of n seeds with m trials, s_lo of them events counted against the claim
    and s_hi for it (equal unless some are undetermined): its verdict (the test's, sticky once
    reached), the share with its one-sided 95% bounds from the test, the p- and e-values of both
    sides for the suite level, and what a further design would need if it is undecided."""
    low, high = test.interval(s_lo, s_hi) if m else (0.0, 1.0)
    e = {side: stats.one_sided_e(s, m, part.level, side) for side, s in (("holds", s_lo), ("refuted", s_hi))}
    p = test.p_values(s_lo, s_hi) if m else {"holds": 1.0, "refuted": 1.0}
    record = dict(quantity=part.name, statement=part.statement(), short=part.short(),
                  threshold=getattr(part, "threshold", None), estimate=s_lo / m if m else math.nan, low=low, high=high, level=part.level, n=m, seeds=n,
                  events=s_lo, undetermined=s_hi - s_lo, verdict=test.verdict,
                  p_value=min(p.values()), p_values=p, e_values=e, spent=dict(test.spent),
                  method=f"exact group-sequential, alpha {test.alpha:g} per side spent linearly over looks "
                         f"{'/'.join(map(str, test.looks))}", description=description or {})
    if getattr(part, "complement", False):  # decided on the complement; report the quantity the statement names
        record.update(estimate=1 - record["estimate"], low=1 - high, high=1 - low, level=1 - part.level,
                      events=m - s_hi, side="below")
    if test.verdict == "inconclusive" and m:
        record["to_decide"] = advice(part, s_lo / m, m / n, test.alpha)
    return record


def advice(part: Part, share: float, trials_per_seed: float, alpha: float) -> str:
    """How many seeds a fixed design would need to decide at the observed share, with the chance
    that it would (a restatement or a continuation decides on its own runs: the share may move)."""
    if abs(share - part.level) < 1e-9:
        return "the observed share sits on the level: no seed count would decide it"
    per = getattr(part, "seeds_per_trial", 1)
    for seeds in (*range(8, 200, 4), *range(200, 2001, 50)):
        o = operating([seeds // per], part.level, share, alpha, discordance=min(1.0, trials_per_seed * per))
        if o["holds"] + o["refuted"] >= 0.8:
            return (f"at the observed share {share:.3g} a fixed design of {seeds} seeds would decide it with probability "
                    f"{o['holds'] + o['refuted']:.2f}")
    return f"at the observed share {share:.3g} even 2000 seeds would decide it with probability under 0.8"


def fixed_record(part, events: np.ndarray, alpha: float, description: dict | None = None) -> dict:
    """A part decided on one fixed sample (the population claims): exact binomial tests, the
    Clopper-Pearson interval, and the same p- and e-values as a sequential part."""
    S, n = int(np.sum(events)), int(np.size(events))
    verdict, p_value = stats.quantile_verdict(S, n, part.level, alpha)
    ci = stats.clopper_pearson(S, n, 1 - alpha)
    from scipy.stats import binomtest

    p = {"holds": float(binomtest(S, n, part.level, alternative="greater").pvalue),
         "refuted": float(binomtest(S, n, part.level, alternative="less").pvalue)}
    e = {side: stats.one_sided_e(S, n, part.level, side) for side in ("holds", "refuted")}
    return dict(quantity=part.name, statement=part.statement(), short=part.short(), estimate=ci.estimate, low=ci.low,
                high=ci.high, level=part.level, n=n, seeds=n, events=S, undetermined=0, verdict=verdict,
                p_value=p_value, p_values=p, e_values=e, method="Clopper-Pearson, one fixed sample",
                description=description or {})


def combine(verdicts: list[str]) -> str:
    """A conjunction of parts: holds if all hold, refuted if any is refuted."""
    if "refuted" in verdicts:
        return "refuted"
    return "holds" if verdicts and all(v == "holds" for v in verdicts) else "inconclusive"


def validate(claim_id: str, settings: dict[str, Setting], parts: list[Part], design: Design) -> None:
    """Refuse, before any run, a claim whose parts name unknown settings, pair settings that do
    not share their data, or whose design cannot decide at its first look."""
    if not parts:
        raise ValueError(f"{claim_id}: a claim needs at least one part (trainability.decisions.quantities)")
    for p in parts:
        for label in p.labels:
            if label not in settings:
                raise ValueError(f"{claim_id}: part {p.name!r} names {label!r}; settings are {', '.join(settings)}")
        if isinstance(p, PAIRED) and not getattr(p, "unmatched", False):
            a = settings[p.labels[0]]
            for other in p.labels[1:]:
                b = settings[other]
                if a.task != b.task or (a.steps, a.escape) != (b.steps, b.escape):
                    raise ValueError(f"{claim_id}: {p.name!r} pairs {p.labels[0]!r} with {other!r}, but they differ "
                                     "in task, run length or escape rule, so a seed does not pair them (a "
                                     "TypicalRatio that means it says unmatched=True)")
        per = getattr(p, "seeds_per_trial", 1)
        need = first_look(p.level, design)
        if design.start // per < need:
            raise ValueError(f"{claim_id}: the design's first look ({design.start} seeds) cannot decide "
                             f"{p.statement()!r}: it needs {need * per}; start the design there")


def first_look(q: float, design: Design) -> int:
    """The fewest trials at which a first look of ``design`` can decide a share against q: every
    trial an event (or none) must fall within the alpha the first look may spend."""
    budget = design.alpha * (design.start / design.cap if len(design.sizes) > 1 else 1.0)
    return next(m for m in range(1, 100_000) if max(q, 1 - q) ** m <= budget)


def seeds(base_seed: int, key: str, n: int, revision: str | None = None) -> list[int]:
    tag = (key,) if revision is None else (key, revision)
    return [derive_seed(base_seed, *tag, i) for i in range(n)]


def decide(settings: dict[str, Setting], parts: list[Part], *, design: Design | None = None, runner=None,
           claim_id: str = "claim", title: str | None = None, source: str = "", tier: str = "-", base_seed: int = 0,
           lecture: dict[str, float] | None = None, extra: dict | None = None, seeds_from: str | None = None,
           revision: str | None = None, restated: str | None = None) -> Outcome:
    """Decide a claim of ``parts`` on paired seeds of ``settings`` (a dict label -> Setting).

    ``design``: the seed design (default Design(): 8, 12, 16 seeds). ``runner`` is anything with
    ``results(jobs, label) -> [RunResult]`` (a runs.pool.Runner; None: one in this process, no
    store). Seed i is derive_seed(base_seed, claim_id, i). ``seeds_from`` shares another claim's
    seeds (and so its runs); ``revision`` and ``restated`` mark a restated claim (fresh seeds, and
    the reason in the record). ``title`` defaults to the parts' statements; ``tier`` labels the
    rung ("-": a claim that does not scale). ``extra`` goes into the record; with a "grid" title
    and a "row" name, the row's cells are the settings' median relative MSEs.
    """
    design = Design() if design is None else design
    title = title or "; ".join(p.statement() for p in parts)
    validate(claim_id, settings, parts, design)
    if runner is None:
        from ..runs.pool import Runner

        with Runner(workers=1) as own:
            return decide(settings, parts, design=design, runner=own, claim_id=claim_id, title=title, source=source,
                          tier=tier, base_seed=base_seed, lecture=lecture, extra=extra, seeds_from=seeds_from,
                          revision=revision, restated=restated)
    start = time.perf_counter()
    all_seeds = seeds(base_seed, seeds_from or claim_id, design.last, revision)
    tests = [SequentialTest(p.level, design.alpha, design.sizes) for p in parts]
    records: list[dict | None] = [None] * len(parts)
    for n in design.looks:
        jobs = [(s, seed) for s in settings.values() for seed in all_seeds[:n]]
        done = runner.results(jobs, label=claim_id)
        by_label = {label: done[i * n:(i + 1) * n] for i, label in enumerate(settings)}
        runs = {label: Runs.of(rs) for label, rs in by_label.items()}
        for i, (p, test) in enumerate(zip(parts, tests)):
            if records[i] is not None and test.verdict != "inconclusive":
                continue  # a part stops at its first crossing; its record is the one of that look
            lo, hi = p.bounds(runs) if hasattr(p, "bounds") else (p.events(runs),) * 2
            m, s_lo, s_hi = int(np.size(lo)), int(np.sum(lo)), int(np.sum(hi))
            test.look(n, m, s_lo, s_hi)
            records[i] = part_record(p, test, n, m, s_lo, s_hi, p.describe(runs))
        if combine([r["verdict"] for r in records]) != "inconclusive":
            break  # the claim is decided: every part holds, or one is refuted (each part's test is valid alone)
    summaries = {label: _setting_summary(rs, (lecture or {}).get(label), all_seeds[:n]) for label, rs in by_label.items()}
    extra = dict(extra or {})
    if "grid" in extra:  # a row of a table assembled across claims: median relative MSE per setting
        extra["cells"] = {label: s["relative_median"] for label, s in summaries.items()}
    first = next(iter(by_label.values()))[0]
    extra = {**extra, "design": design.describe()}
    if design.extended:  # continued on the same seeds: both caps stay in the record
        extra.update({"registered cap": design.cap, "continued to": design.extended, "continued because": design.reason})
    return Outcome(claim_id=claim_id, title=title, source=source, tier=tier,
                   verdict=combine([r["verdict"] for r in records]), settings=summaries, parts=records, n_seeds=n,
                   alpha=design.alpha, base_seed=base_seed, seconds=time.perf_counter() - start, device=first.device,
                   torch_version=first.torch_version, restated=restated, extra=extra, code=_code(settings))


def _code(settings: dict[str, Setting]) -> dict[str, str]:
    """{package file: hash} of the code the settings' runs used beyond the shared run code."""
    from ..runs.keys import Unkeyable, file_hashes

    out = {}
    for s in settings.values():
        try:
            out.update(file_hashes(s))
        except Unkeyable:
            pass  # a user's code without a source file: its runs were not stored either
    return dict(sorted(out.items()))


def _setting_summary(results: list[RunResult], lecture: float | None, seeds: list[int] | None = None) -> dict:
    """One setting's record: the summary statistics, every seed's values (so a reader can
    recompute any statistic) and the training curve's quartiles over seeds (for the report's plots)."""
    s = stats.summary(np.array([r.final for r in results]))
    s.update(escape_median=float(np.median([r.escape for r in results])),
             median_nodrop=float(np.median([r.final_nodrop for r in results])),
             escaped=sum(r.escape_step is not None for r in results), steps=results[0].setting.steps,
             lecture=lecture, setting=results[0].setting.describe(), floor=results[0].setting.task.floor,
             relative_median=s["median"] / results[0].setting.task.floor,
             per_seed={"seed": seeds if seeds is not None else [r.seed for r in results],
                       "final": [r.final for r in results], "final_nodrop": [r.final_nodrop for r in results],
                       "escape": [r.escape for r in results], "escaped": [r.escape_step is not None for r in results],
                       "diverged_at": [r.diverged_at for r in results]},
             escape_rule=results[0].setting.escape.describe(results[0].setting.task.floor),
             key=setting_key(results[0].setting),
             curve=curve_quartiles([r.losses for r in results], results[0].setting.steps))
    measured = Runs.of(results).measured
    if measured:  # run measurements: every seed's value (nan: not recorded) and the median
        s["per_seed"]["measured"] = {k: v.tolist() for k, v in measured.items()}
        s["measured_median"] = {k: float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")
                                for k, v in measured.items()}
    return s


def setting_key(setting: Setting) -> str:
    """A short stable hash of a Setting: which runs a record read (report.summary.evidence_groups)."""
    import dataclasses
    import hashlib
    import json

    text = json.dumps(dataclasses.asdict(setting), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def curve_quartiles(curves: list[list[float]], steps: int, points: int = 100) -> dict:
    """Training-loss quartiles over seeds at up to ``points`` steps (1-based, evenly spaced):
    curves (seeds, <= steps) -> {"step", "q1", "median", "q3"}, each (points,). A diverged run's
    curve stops early and counts as inf after it (the worst loss)."""
    grid = np.unique(np.linspace(1, steps, min(points, steps)).round().astype(int))
    values = np.full((len(curves), len(grid)), np.inf)
    for i, c in enumerate(curves):
        c = np.asarray(c, float)
        ok = grid <= len(c)
        values[i, ok] = c[grid[ok] - 1]
    q = np.percentile(values, [25, 50, 75], axis=0, method="lower")  # an order statistic: inf stays inf
    return {"step": grid.tolist(), "q1": q[0].tolist(), "median": q[1].tolist(), "q3": q[2].tolist()}


def expectation(expected: dict | None, claim_id: str, label: str) -> tuple[str, str, str] | None:
    """What a claim file records for ``claim_id`` at rung ``label`` (EXPECTED[claim_id][label],
    else EXPECTED[claim_id]["*"]): (verdict, why, provenance), or None when nothing is recorded
    there (the verdict is then reported as never measured, and nothing is asserted). An entry is
    (verdict, why), recorded after the claim's first look there, or (verdict, why, "predicted
    <commit>"), written before it. A capped run's label ("lecture@8") matches only an entry for that
    capped design, or "*".

    >>> expectation({"L7": {"d32": ("inconclusive", "why")}}, "L7", "d32")
    ('inconclusive', 'why', 'recorded after its first look')
    >>> expectation({"L7": {"d32": ("inconclusive", "why")}}, "L7", "proxy") is None
    True
    """
    entries = (expected or {}).get(claim_id) or {}
    for key in (label, "*"):
        if key in entries:
            entry = entries[key]
            ok = (isinstance(entry, tuple) and len(entry) in (2, 3) and entry[0] in VERDICTS and isinstance(entry[1], str)
                  and (len(entry) == 2 or str(entry[2]).startswith("predicted ")))
            if not ok:
                raise ValueError(f"EXPECTED[{claim_id!r}][{key!r}] must be (verdict, why) or (verdict, why, "
                                 f"\"predicted <commit>\") with verdict one of {', '.join(VERDICTS)}; got {entry!r}")
            return (entry[0], entry[1], entry[2] if len(entry) == 3 else "recorded after its first look")
    return None


def check(outcome: Outcome, expected: str = "holds", reason: str = "") -> None:
    """Raise unless the verdict is the one the claim file records for this tier.

    "holds": refuted raises ClaimRefuted, inconclusive ClaimInconclusive. "refuted" (the seeds say
    the lecture is wrong here): the caller turns ClaimRefuted into a strict xfail; a claim that
    holds or turns inconclusive fails. "inconclusive" (recorded with its numbers): any decision
    fails, asking for the file to be updated. "not holds" (a placebo): fails if any one part holds.
    """
    if expected not in VERDICTS:
        raise ValueError(f"expected verdict must be one of {', '.join(VERDICTS)}; got {expected!r}")
    msg = outcome.table()
    v = outcome.verdict
    if expected == "not holds":
        held = [p["statement"] for p in outcome.parts if p["verdict"] == "holds"]
        if held:
            raise AssertionError(f"a placebo's part holds: the machinery found an effect between identically "
                                 f"distributed settings ({reason}): {'; '.join(held)}\n{msg}")
        return
    if v == expected == "inconclusive":
        raise ClaimInconclusive(f"inconclusive at the seed cap, as recorded: {reason}\n{msg}")
    if v == "inconclusive":
        raise ClaimInconclusive(f"inconclusive at the seed cap (the design is fixed in the claim file; see "
                                f"each part's seed estimate)\n{msg}")
    if expected == "inconclusive":
        raise AssertionError(f"recorded as inconclusive ({reason}) but now {v}: update the claim file\n{msg}")
    if v == "refuted":
        raise ClaimRefuted(msg + (f"\n  expected refuted: {reason}" if expected == "refuted" else ""))
    if expected == "refuted":
        raise AssertionError(f"recorded as refuted ({reason}) but now holds: update the claim file\n{msg}")
