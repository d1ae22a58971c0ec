#!/usr/bin/env bash
# Regenerate one committed report: docs/reports/<name>/claims.json and README.md with its figures.
# From the run store (.trainability/runs.sqlite) it takes seconds; without it the runs are trained:
#   bash scripts/reports.sh proxy          every claim at the CPU tier            (~15 min on 2 cores)
#   bash scripts/reports.sh d32            the lecture's claims at the d32 rung   (~35 min)
#   bash scripts/reports.sh d64            a subset at the d64 rung               (~30 min)
#   bash scripts/reports.sh lecture-cpu8   a subset at the lecture's exact setup, designs capped at 8 seeds (~75 min)
# Base seed 0. Extra arguments go to pytest. pytest's exit status is passed on: a claim whose verdict
# differs from its file's EXPECTED fails, and the report still records it.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: bash scripts/reports.sh proxy|d32|d64|lecture-cpu8 [pytest arguments]}"
shift
SUBSET_D64="L6_warmup_raises or xavier_beats_kaiming or redrawn_layers or still_helps or default_beats or default_redrawn"
SUBSET_LECTURE="L6_warmup_raises or redrawn_layers or still_helps or xavier_beats_kaiming or kaiming_ends"
SUBSET_LECTURE="$SUBSET_LECTURE or L8_survives_a_dropout or default_beats or default_redrawn"
case "$name" in
  proxy) args=() ;;
  d32) args=(-m ladder --scale d32) ;;
  d64) args=(-m ladder --scale d64 -k "$SUBSET_D64") ;;
  lecture-cpu8) args=(-m ladder --scale lecture --seeds 8 --batch 4 -k "$SUBSET_LECTURE") ;;
  *) echo "unknown report '$name'; valid: proxy, d32, d64, lecture-cpu8" >&2; exit 2 ;;
esac
python3 -c "import trainability, torch" 2>/dev/null || bash scripts/setup.sh
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
python3 -m pytest claims/ -q "${args[@]}" --base-seed 0 --claims-report "docs/reports/$name/claims.json" \
    --claims-markdown "docs/reports/$name" "$@"
