#!/usr/bin/env bash
# Per-iteration and forward seconds of Stylize beside PyTorch and onnxruntime, in one run
# (README: "Performance"). For each size and round, one after the other so that the
# machine's load drifts over all columns alike:
#   stylize bench, OpenBLAS as this shell sets it;
#   stylize bench with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS's own choice, what a user's machine does);
#   where OpenBLAS falls back to generic kernels on this CPU (and the tool starts again with the core
#   that fits, BLASCore), stylize bench with OPENBLAS_CORETYPE naming that fallback: what the tool ran before;
#   stylize bench with OPENBLAS_CORETYPE=Haswell and --kernels avx2 (what an AVX2-only machine gets);
#   ../shared/bench/gatys_torch.py bench (PyTorch L-BFGS step and forward) and ort_forward.py (onnxruntime forward).
# Prints the medians over the rounds as a markdown table. Not part of the test suite.
#
#   Tests/bench/performance.sh                     # sizes 384 512, 3 rounds of 5 timed iterations
#   SIZES="256 384" ROUNDS=2 REPEATS=5 Tests/bench/performance.sh
# Needs the reference venv of ../shared/bench (its setup.sh; BENCH_DIR, PY as there).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REF=${REF:-$HERE/../../../shared/bench}
export BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/stylize-bench}
PY=${PY:-$BENCH_DIR/venv/bin/python}
STYLIZE=${STYLIZE:-stylize}
SIZES=${SIZES:-384 512}
ROUNDS=${ROUNDS:-3}
REPEATS=${REPEATS:-5}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ -x "$PY" ] || { echo "no reference venv at $PY: run $REF/setup.sh first" >&2; exit 1; }

bench() {  # label size env... -> "label size s/iter forward rss" from stylize bench's table row
    local label=$1 size=$2; shift 2
    env "$@" "$STYLIZE" bench --sizes "$size" --repeats "$REPEATS" ${KERNELS:+--kernels $KERNELS} > "$OUT/b.txt"
    awk -F'|' -v l="$label" -v s="$size" '$2+0 == s { split($3, t, " "); print l, s, t[1], $4+0, $8+0 }' "$OUT/b.txt"
}
FALLBACK=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$STYLIZE" bench --sizes 32 --repeats 1 \
    | sed -n 's/.*OpenBLAS chose \([A-Za-z0-9]*\) for this CPU.*/\1/p')
for round in $(seq "$ROUNDS"); do
    for size in $SIZES; do
        echo "round $round, $size px" >&2
        bench asset "$size" >> "$OUT/rows"
        bench own "$size" -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE >> "$OUT/rows"
        [ -z "$FALLBACK" ] || bench fallback "$size" -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$FALLBACK" >> "$OUT/rows"
        KERNELS=avx2 bench avx2 "$size" OPENBLAS_CORETYPE=Haswell >> "$OUT/rows"
        "$PY" "$REF/gatys_torch.py" bench --size "$size" --iters "$REPEATS" | python3 -c '
import json, sys; d = json.loads(sys.stdin.read().splitlines()[-1])
print("torch", d["size"], d["lbfgs_step_s"]["median"], d["forward_s"]["median"], d["peak_rss_mb"])' >> "$OUT/rows"
        "$PY" "$REF/ort_forward.py" --size "$size" --iters "$REPEATS" | python3 -c '
import json, sys; d = json.loads(sys.stdin.read().splitlines()[-1])
print("ort", d["size"], 0, d["forward_s"]["median"], 0)' >> "$OUT/rows"
    done
done
head -4 "$OUT/b.txt" | grep -E "^(OpenBLAS|Engine)" | sed 's/^/    /' || true
echo "    (last row's stylize bench header; as set here: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-unset}; $ROUNDS rounds of $REPEATS iterations)"
python3 - "$OUT/rows" "$FALLBACK" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, size, it, fwd, rss = line.split()
    rows.setdefault((label, int(size)), []).append((float(it), float(fwd), float(rss)))
med = lambda label, size, k: statistics.median(r[k] for r in rows[(label, size)])
fallback = sys.argv[2]
print("| size | Stylize s/iter, OpenBLAS as set | own choice (unset) | AVX2 (Haswell, --kernels avx2) | PyTorch L-BFGS s/iter "
      "| ratios (as set / own / AVX2) | Stylize forward s | onnxruntime forward s | forward ratio | peak RSS MB Stylize / PyTorch |"
      + (f" OpenBLAS's fallback ({fallback}) s/iter, ratio |" if fallback else ""))
print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if fallback else ""))
for size in sorted({s for _, s in rows}):
    t = med("torch", size, 0)
    it = [med(l, size, 0) for l in ("asset", "own", "avx2")]
    fwd, ort = med("asset", size, 1), med("ort", size, 1)
    print(f"| {size} | {it[0]:.3f} | {it[1]:.3f} | {it[2]:.3f} | {t:.3f} | "
          + " / ".join(f"{i / t:.2f}" for i in it)
          + f" | {fwd:.3f} | {ort:.3f} | {fwd / ort:.2f} | {med('asset', size, 2):.0f} / {med('torch', size, 2):.0f} |"
          + (f" {med('fallback', size, 0):.3f}, {med('fallback', size, 0) / t:.2f} |" if fallback else ""))
EOF
