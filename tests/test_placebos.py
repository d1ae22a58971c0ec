"""Every claim family has an A/A placebo that can fail (issue 19): its parts sit at their boundary,
and under a biased machinery (one arm escaping 0.70 against 0.30; a 20% systematic loss
advantage) its check fails with probability >= 0.35 at its design, computed exactly from the
committed reports' own runs (decisions.power.placebo_power)."""

import json
from pathlib import Path

import pytest

from trainability.decisions.power import placebo_power
from trainability.report.status import expectations

ROOT = Path(__file__).resolve().parents[1]
REPORTS = sorted((ROOT / "docs" / "reports").glob("*/claims.json"))
# families without a placebo of their own, with the reason (data, applied once here)
NO_PLACEBO = {
    "test_controls.py": "controls re-run table 1 and 2's settings in another layout or without dropout; "
                        "L6-placebo and L8-placebo are their placebos",
    "test_depth.py": "depth-warmup reads table 1's runs at two depths; L6-placebo is its placebo",
    "test_table34.py": "L9's rows are table 2's inits at other lrs; L8-placebo is its placebo",
    "test_table5.py": "L10's equal-steps and equal-loss comparisons read table 1's optimizers; L6-placebo is its placebo",
    "test_equivariance.py": "population claims on one fixed sample each (an exact binomial test over drawn models); "
                            "L4-biaxial-position is the control that must fail, and fails",
    "test_inductive_bias.py": "population claims on one fixed sample each (an exact binomial test, no machinery "
                              "comparing two arms)",
}


# A/A placebos whose loss parts cannot see a 20% loss bias at their design, with the reason (their
# escape parts carry them); the test checks that each is still weak, so an entry cannot go stale
WEAK_LOSS = {
    "L4-grid-placebo": "parity's final losses are plateau-or-solved (ln 2 or about 0): a 20% advantage moves few "
                       "pairs across, so the escape parts carry this placebo",
}


def _placebos():
    """The A/A placebos (an arm against its "(replicate)"): a negative control such as
    L4-grid-random-labels is a placebo of another kind, decided by its own parts."""
    for path in REPORTS:
        for r in json.loads(path.read_text())["claims"]:
            if (r.get("extra") or {}).get("placebo") and any(k.endswith("(replicate)") for k in r["settings"]):
                yield pytest.param(r, id=f"{path.parent.name}:{r['claim_id']}")


def test_every_family_has_a_placebo_or_a_reason():
    files = sorted(p for p in (ROOT / "claims").rglob("test_*.py"))
    claims = expectations(ROOT / "claims")
    for f in files:
        text = f.read_text()
        has = any(cid.endswith("placebo") and f'"{cid}"' in text for cid in claims)
        assert has or f.name in NO_PLACEBO, f"{f.relative_to(ROOT)}: a claim family without an A/A placebo"
        assert not (has and f.name in NO_PLACEBO), f"{f.name} has a placebo: remove it from NO_PLACEBO"


@pytest.mark.parametrize("record", list(_placebos()))
def test_a_placebo_fails_under_a_biased_machinery(record):
    assert {p["level"] for p in record["parts"]} == {0.5}  # every part at its boundary: a share of 1/2,
    assert all(p.get("threshold") == 1.0 for p in record["parts"] if p["quantity"] == "typical seed")  # at t = 1
    power = placebo_power(record)
    assert "loss" in power, "a placebo compares the two arms' losses"
    for kind, p in power.items():
        if kind == "loss" and record["claim_id"] in WEAK_LOSS:
            assert p < 0.35, f"{record['claim_id']}'s loss parts now see the bias: remove it from WEAK_LOSS"
        elif kind != "loss share":
            assert p >= 0.35, f"{record['claim_id']} fails under the {kind} bias with probability {p:.2f} only"


def test_the_bias_power_sees_a_check_that_cannot_fail():
    """Mutations: no bias (the failure chance is then at most alpha), and L6-placebo's typical
    part as it was before issue 19 (at t = 0.8: with one arm 20% lower the event is a < b, a share
    of 1/2, so the part reads no bias)."""
    final = [1.0, 2.0, 4.0, 8.0] * 6  # paired runs that differ by more than 20% on every seed
    record = {"extra": {"design": "24/1/24"}, "parts": [{"quantity": "escape gain", "level": 0.5}],
              "settings": {"a": {"per_seed": {"final": final}}, "b": {"per_seed": {"final": final[::-1]}}}}
    assert placebo_power(record, escapes=(0.7, 0.3))["escape"] > 0.35
    assert placebo_power(record, escapes=(0.5, 0.5))["escape"] <= 0.05
    record["parts"].append({"quantity": "typical seed", "level": 0.5, "threshold": 0.8})
    assert placebo_power(record)["loss"] <= 0.05
    record["settings"]["b"]["per_seed"]["final"] = final  # equal paired losses: 20% lower wins every seed at t = 1
    record["parts"][-1]["threshold"] = 1.0
    assert placebo_power(record)["loss"] > 0.9
