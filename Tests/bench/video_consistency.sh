#!/usr/bin/env bash
# Temporal consistency of `stylize video` (README "Video"): three clips made here
# from still images (a slow pan, a zoom, an object moving over a still background;
# FRAMES frames of WIDTH px), each stylized as independent frames (--temporal-weight 0)
# and with Ruder et al.'s temporal mode (the default weight), same iterations per frame.
# Prints a table: temporal error (mean squared warped difference of consecutive output
# frames over non-occluded pixels, 0-1 scale), mean style loss per frame, seconds per
# frame; and writes a strip of frames (independent above, temporal below) as STRIP.
#   Tests/bench/video_consistency.sh [OUTDIR]     (default: a temporary folder)
#   env: STYLIZE_BIN, IMAGES (default ../shared/images, else examples/), WIDTH (192),
#        FRAMES (24), ITERATIONS (40), STYLE, STRIP (docs/video/strip.png), EXTRA (more flags),
#        TEMPORAL (--temporal-weight of temporal mode; default: the option's default),
#        MODES ("independent temporal"; e.g. MODES=independent ITERATIONS=60 for independent
#        frames optimised longer, down to temporal mode's style loss)
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${STYLIZE_BIN:-stylize}"
IMAGES="${IMAGES:-$REPO/../shared/images}"
[ -d "$IMAGES" ] || IMAGES="$REPO/examples"
WIDTH="${WIDTH:-192}"; FRAMES="${FRAMES:-24}"; ITERATIONS="${ITERATIONS:-40}"
HEIGHT=$((WIDTH * 2 / 3 / 2 * 2))
STYLE="${STYLE:-$IMAGES/style_starry_night_vangogh.jpg}"
STRIP="${STRIP:-$REPO/docs/video/strip.png}"
OUT="${1:-$(mktemp -d)}"; mkdir -p "$OUT"
FLAGS=(--size "$WIDTH" --scales 1 --iterations "$ITERATIONS" ${EXTRA:-})
echo "clips in $OUT: $FRAMES frames of ${WIDTH}x$HEIGHT at 12 fps; style $(basename "$STYLE"); ${FLAGS[*]}"

make_clip() {  # NAME FFMPEG-ARGS...
    local name="$1"; shift
    ffmpeg -v error -y "$@" -frames:v "$FRAMES" -r 12 -c:v libx264 -crf 12 -pix_fmt yuv420p "$OUT/$name.mp4"
}
# A slow pan: a window moving 3 px a frame across the cat photo.
make_clip pan -framerate 12 -loop 1 -i "$IMAGES/content_chelsea_cat.jpg" \
    -vf "scale=$((WIDTH * 2)):-2,crop=$WIDTH:$HEIGHT:'20+n*3':'(ih-$HEIGHT)/2'"
# A zoom into the temple, 1.2 % a frame about the centre.
make_clip zoom -framerate 12 -loop 1 -i "$IMAGES/content_china_temple.jpg" \
    -vf "scale=$((WIDTH * 4)):-2,zoompan=z='1+0.012*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=${WIDTH}x$HEIGHT:fps=12"
# An object (the cat's head, cut out) moving 5 px a frame over a still background (the temple).
make_clip object -framerate 12 -loop 1 -i "$IMAGES/content_china_temple.jpg" -framerate 12 -loop 1 -i "$IMAGES/content_chelsea_cat.jpg" \
    -filter_complex "[0]scale=$WIDTH:$HEIGHT:force_original_aspect_ratio=increase,crop=$WIDTH:$HEIGHT[bg];[1]scale=$((WIDTH / 2)):-2,crop=$((WIDTH / 4)):$((WIDTH / 4))[o];[bg][o]overlay=x='4+n*5':y=$((HEIGHT / 3))"

# stats LOG.json: temporal error, mean style loss, seconds per frame
stats() {
    python3 - "$1" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
f = log["frames"]
print("%.6f %.4g %.2f" % (log["temporal_error"], sum(x["style"] for x in f) / len(f), sum(x["seconds"] for x in f) / len(f)))
PY
}

rows=()
for clip in pan zoom object; do
    for mode in ${MODES:-independent temporal}; do
        weight=(); [ -n "${TEMPORAL:-}" ] && weight=(--temporal-weight "$TEMPORAL")
        [ "$mode" = independent ] && weight=(--temporal-weight 0)
        "$BIN" video "$OUT/$clip.mp4" "$STYLE" -o "$OUT/$clip-$mode" "${FLAGS[@]}" "${weight[@]}" \
            --log "$OUT/$clip-$mode.json" 2>"$OUT/$clip-$mode.log"
        read -r err style secs <<<"$(stats "$OUT/$clip-$mode.json")"
        rows+=("$clip $mode $err $style $secs")
        echo "$clip $mode: temporal error $err, style loss $style, $secs s/frame"
    done
done

echo
printf '| %-7s | %-18s | %-14s | %-15s | %-11s |\n' clip mode "temporal error" "style loss" "s per frame"
printf '|---------|--------------------|----------------|-----------------|-------------|\n'
for r in "${rows[@]}"; do
    set -- $r
    printf '| %-7s | %-18s | %-14s | %-15s | %-11s |\n' "$1" "$2" "$3" "$4" "$5"
done
[ "${MODES:-independent temporal}" = "independent temporal" ] || exit 0
for clip in pan zoom object; do
    python3 - "$OUT/$clip-independent.json" "$OUT/$clip-temporal.json" "$clip" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sa = sum(x["style"] for x in a["frames"]) / len(a["frames"]); sb = sum(x["style"] for x in b["frames"]) / len(b["frames"])
print("%s: temporal mode's error is %.1f %% of independent frames' (style loss %+.1f %%)"
      % (sys.argv[3], 100 * b["temporal_error"] / a["temporal_error"], 100 * (sb / sa - 1)))
PY
done

# The strip: four consecutive frames from the middle of the pan, independent above, temporal below.
mid=$((FRAMES / 2))
names=""
for mode in independent temporal; do
    for k in 0 1 2 3; do names="$names $(printf '%s/pan-%s/%06d.png' "$OUT" "$mode" $((mid + k)))"; done
done
mkdir -p "$(dirname "$STRIP")"
vips arrayjoin "${names# }" "$STRIP" --across 4 --shim 4 --background 255
echo "strip: $STRIP (pan frames $mid-$((mid + 3)); top: independent, bottom: temporal)"
