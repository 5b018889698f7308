#!/usr/bin/env bash
# Time to quality (README: "Performance"): the loss a run reaches against wall time.
# Runs the default schedule (`--scales 3`, ITERATIONS=300) and single-scale L-BFGS
# (`--scales 1`) with the same iterations, both ending at SIZE (512), on the README example, one after
# the other, and prints from their --log files: each run's wall time and final loss,
# the time each first reaches the other's final loss, and the loss each had at the
# other's end. Not part of the test suite (about 5 minutes at 512 px).
#
#   Tests/bench/time_to_quality.sh [CONTENT STYLE] [-- options for both runs]
#   STYLIZE=/path/to/stylize SIZE=384 ITERATIONS=150 Tests/bench/time_to_quality.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STYLIZE=${STYLIZE:-stylize}
SIZE=${SIZE:-512}
ITERATIONS=${ITERATIONS:-300}
CONTENT=$HERE/../../examples/content_chelsea_cat.jpg
STYLE=$HERE/../../examples/style_starry_night_vangogh.jpg
if [ $# -ge 2 ] && [ "$1" != -- ]; then CONTENT=$1; STYLE=$2; shift 2; fi
if [ "${1:-}" = -- ]; then shift; fi
OUT=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "runs kept in $OUT" >&2 || trap 'rm -rf "$OUT"' EXIT
run() {  # name options... -> wall seconds of the whole process into OUT/name.wall
    local start; start=$(date +%s.%N)
    "$STYLIZE" "$CONTENT" "$STYLE" -o "$OUT/$1.png" --size "$SIZE" --output-size "$SIZE" --log "$OUT/$1.json" "${@:2}" 2> "$OUT/$1.err" \
        || { cat "$OUT/$1.err" >&2; exit 1; }
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }' > "$OUT/$1.wall"
}
run default --iterations "$ITERATIONS" "$@"
run single --scales 1 --iterations "$ITERATIONS" "$@"
python3 - "$OUT" "$SIZE" "$ITERATIONS" <<'EOF'
import json, sys
out, size, n = sys.argv[1:]
runs = {}
for name in ("default", "single"):
    steps = json.load(open(f"{out}/{name}.json"))["iterations"]
    # Losses are comparable only at the same size: the curve is the last level's
    # (its iterations from the plan line, "levels: 128x85 x100, ..., 512x341 x100").
    plan = next(l for l in open(f"{out}/{name}.err") if "levels:" in l)
    last = int(plan.rsplit(" x", 1)[1].split()[0])
    steps = steps[-last:]
    runs[name] = dict(wall=float(open(f"{out}/{name}.wall").read()), final=steps[-1]["total"],
                      end=steps[-1]["elapsed"], curve=[(s["elapsed"], s["total"]) for s in steps])
def reaches(curve, loss):  # first elapsed second at or below loss
    return next((t for t, l in curve if l <= loss), None)
def loss_at(curve, seconds):  # last loss logged by that time
    return min((l for t, l in curve if t <= seconds), default=None)
fmt = lambda v, f: "never" if v is None else f % v
print(f"| {size} px run | wall s (process) | final loss | seconds to the other's final loss | loss at the other's end |")
print("|---|---|---|---|---|")
for name, other in (("default", "single"), ("single", "default")):
    r, o = runs[name], runs[other]
    label = f"default (`--scales 3`, {n} iterations)" if name == "default" else f"single scale (`--scales 1 --iterations {n}`)"
    print(f"| {label} | {r['wall']:.1f} | {r['final']:.4g} | {fmt(reaches(r['curve'], o['final']), '%.1f')} "
          f"| {fmt(loss_at(r['curve'], o['end']), '%.4g')} |")
EOF
