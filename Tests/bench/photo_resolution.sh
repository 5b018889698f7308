#!/usr/bin/env bash
# Photo-resolution benchmark (README: "Photo resolution"): for each photo x style
# pair, today's "optimise at 512, resample" result against native-resolution
# runs (the default, and --time-limit 1m, 3m, 10m), each scored at the photo's
# own size by `stylize score --size 512 --output-size 0`: the style scaled as the
# runs' last level scales it (never enlarged past its own size above the 512 px
# composition). (`--size 0` would enlarge the painting to the photo's size and
# score every picture against a blurred painting's statistics.)
# Prints a markdown table (with the border statistic of BorderTests.rim, k = 3 px, for the
# result and for the photo: a band along the edges shows as a rim well above the photo's);
# keeps the pictures in $OUT for crops.
#
#   Tests/bench/photo_resolution.sh PHOTO:STYLE [PHOTO:STYLE...]
#   LIMITS="1m 3m" DEFAULT=0 BEFORE=0 OUT=/tmp/photos Tests/bench/photo_resolution.sh ...
# Not part of the test suite: it takes about half an hour per pair.
set -euo pipefail
OUT=${OUT:-/tmp/stylize-photos}
LIMITS=${LIMITS-1m 3m 10m}  # LIMITS="" runs none
STYLIZE=${STYLIZE:-stylize}
mkdir -p "$OUT"
score() {  # image photo style -> "content style" at the photo's size
    "$STYLIZE" score "$1" "$2" "$3" --size 512 --output-size 0 --json \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.3g %.3g" % (d["content"], d["style"]))'
}
rim() {  # image -> the border statistic of BorderTests.rim (k = 3 px), mean of the four sides, in pixel levels
    local raw; raw=$(mktemp --suffix=.raw)
    vips rawsave "$1" "$raw" 2>/dev/null
    python3 - "$raw" "$(vipsheader -f width "$1" 2>/dev/null)" "$(vipsheader -f height "$1" 2>/dev/null)" \
        "$(vipsheader -f bands "$1" 2>/dev/null)" <<'PY'
import sys, numpy as np
w, h, b = (int(v) for v in sys.argv[2:5])
a = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(h, w, b)[:, :, :3].astype(float)
k = 3  # along each side: |mean over the side of (outermost k px - next k px)|, averaged over R, G, B
sides = [a, a[::-1], a.transpose(1, 0, 2), a.transpose(1, 0, 2)[::-1]]
print("%.2f" % np.mean([np.abs((s[:k] - s[k:2 * k]).mean(axis=(0, 1))).mean() for s in sides]))
PY
    rm -f "$raw"
}
row() {  # label seconds image photo style (the photo's rim in $photo_rim)
    read -r c s < <(score "$3" "$4" "$5")
    printf '| %s | %s | %s | %s | %s | %s (photo %s) |\n' "$(basename "$4") x $(basename "$5")" "$1" "$2" "$c" "$s" \
        "$(rim "$3")" "$photo_rim"
}
echo "| photo x style | run | wall s | content loss at native size | style loss at native size | border rim, k = 3 px |"
echo "|---|---|---|---|---|---|"
for pair in "$@"; do
    photo=${pair%%:*}; style=${pair#*:}
    name=$(basename "${photo%.*}")_$(basename "${style%.*}")
    photo_rim=$(rim "$photo")
    timed() {  # out args... -> seconds (the run's plan and progress in out.log)
        local start=$SECONDS
        "$STYLIZE" "$photo" "$style" -o "$1" --print-every 5 "${@:2}" 2>"$1.log"
        echo $((SECONDS - start))
    }
    if [ "${BEFORE:-1}" = 1 ]; then
        # Ends at 512 px; the result comes back at the photo's size, resampled (the old default).
        t=$(timed "$OUT/$name-resampled.png" --output-size 512)
        row "optimise at 512, resample (before)" "$t" "$OUT/$name-resampled.png" "$photo" "$style"
    fi
    for limit in $LIMITS; do
        t=$(timed "$OUT/$name-$limit.png" --time-limit "$limit")
        row "--time-limit $limit" "$t" "$OUT/$name-$limit.png" "$photo" "$style"
    done
    if [ "${DEFAULT:-1}" = 1 ]; then
        t=$(timed "$OUT/$name-default.png")
        row "default (native)" "$t" "$OUT/$name-default.png" "$photo" "$style"
    fi
done
