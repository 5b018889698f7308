#!/usr/bin/env bash
# `stylize video` end to end with the real weights on a tiny clip made here from
# examples/ (a pan over the cat photo, 8 frames of 80x64 at 8 fps, with a tone):
# frame count, frame rate and audio kept; temporal mode (Ruder et al.) lowers the
# temporal error of independent frames; --log; a killed run resumes to the same
# frames; folders of frames in and out, GIF out; bad input is one line, exit 1/2,
# nothing written. Needs ffmpeg/ffprobe (Debian's ffmpeg package).
#   STYLIZE_BIN (default: stylize on PATH), STYLIZE_MODEL, IMAGES (default examples/)
set -u
BIN="${STYLIZE_BIN:-stylize}"
HERE="$(cd "$(dirname "$0")" && pwd)"
IMAGES="${IMAGES:-$HERE/../../examples}"
T="$(mktemp -d)"; [ -n "${KEEP:-}" ] && echo "keeping $T" || trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
STYLE="$IMAGES/style_starry_night_vangogh.jpg"
FAST=(--size 80 --scales 1 --iterations 15)

# probe FILE ENTRY: one value of the video stream (nb_read_frames counts decoded frames).
probe() { ffprobe -v error -count_frames -select_streams v:0 -show_entries "stream=$2" -of csv=p=0 "$1"; }
audio_streams() { ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$1" | wc -l; }
# error LOG: the temporal error the run printed.
error_of() { grep -oE 'temporal error [0-9.]+ \(mean' "$1" | grep -oE '[0-9.]+' | head -n 1; }

ffmpeg -v error -y -framerate 8 -loop 1 -i "$IMAGES/content_chelsea_cat.jpg" -f lavfi -i sine=frequency=440:duration=1 \
    -filter_complex "[0:v]scale=192:-2,crop=80:64:'20+n*3':30,format=yuv420p[v]" -map "[v]" -map 1:a \
    -frames:v 8 -r 8 -c:v libx264 -crf 10 -c:a aac -shortest "$T/pan.mp4"
check "the test clip has 8 frames at 8 fps and sound" \
    test "$(probe "$T/pan.mp4" nb_read_frames),$(probe "$T/pan.mp4" r_frame_rate),$(audio_streams "$T/pan.mp4")" = "8,8/1,1"

# --- temporal mode (the default weight) into an mp4 ---
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/a.mp4" "${FAST[@]}" --keep-frames --log "$T/a.json" 2>"$T/a.log"; rc=$?
check "video with temporal consistency runs (exit $rc)" test $rc = 0 -a -s "$T/a.mp4"
check "frame count, frame rate and audio are kept" \
    test "$(probe "$T/a.mp4" nb_read_frames),$(probe "$T/a.mp4" r_frame_rate),$(audio_streams "$T/a.mp4")" = "8,8/1,1"
check "frames are 80x64" test "$(probe "$T/a.mp4" width)x$(probe "$T/a.mp4" height)" = 80x64
check "one line per frame and the temporal error at the end" \
    test "$(grep -cE '^frame [0-9]+/8, ' "$T/a.log")" = 8 -a -n "$(error_of "$T/a.log")"
python3 - "$T/a.json" "$(error_of "$T/a.log")" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
f = log["frames"]
ok = (len(f) == 8 and log["frame_count"] == 8 and abs(log["temporal_error"] - float(sys.argv[2])) < 1e-6
      and all(x["temporal_error"] > 0 for x in f[1:]) and "temporal_error" not in f[0]
      and f[0].get("temporal", 0) == 0 and all(x["temporal"] > 0 for x in f[1:]) and all(x["style"] > 0 for x in f))
sys.exit(0 if ok else 1)
PY
check "--log has each frame's losses and temporal error, and the mean" test $? = 0
check "--keep-frames keeps the stylized frames" test "$(ls "$T/a.mp4.work/frames" | grep -c '\.png$')" = 8

# --- independent frames (--temporal-weight 0) into a folder of frames ---
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/b" "${FAST[@]}" --temporal-weight 0 2>"$T/b.log"; rc=$?
check "independent frames into a folder (exit $rc)" test $rc = 0 -a "$(ls "$T/b" | grep -c '^[0-9]\{6\}\.png$')" = 8
check "the folder run removed its decoded input" test ! -e "$T/b.work"
ea="$(error_of "$T/a.log")"; eb="$(error_of "$T/b.log")"
echo "temporal error: temporal mode $ea, independent frames $eb"
check "temporal mode has less than half the temporal error of independent frames ($ea vs $eb)" \
    python3 -c "import sys; sys.exit(not (0 < float('$ea') < 0.5 * float('$eb')))"

# --- a run killed (SIGKILL) after 3 frames continues from them, to the same frames ---
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/c" "${FAST[@]}" 2>"$T/c1.log" &
pid=$!
for _ in $(seq 1200); do [ -e "$T/c/000003.png" ] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
before=$(ls "$T/c" | grep -c '^[0-9]\{6\}\.png$')
check "the killed run left $before of 8 frames" test "$before" -ge 3 -a "$before" -lt 8
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/c" "${FAST[@]}" 2>"$T/c2.log"; rc=$?
check "the rerun resumes from the $before frames done (exit $rc)" \
    test $rc = 0 -a "$(grep -c "resuming: $before of 8 frames already done" "$T/c2.log")" = 1 -a "$(grep -c 'done before' "$T/c2.log")" = "$before"
same=1; for f in "$T"/a.mp4.work/frames/*.png; do cmp -s "$f" "$T/c/$(basename "$f")" || same=0; done
check "the resumed frames equal the uninterrupted run's, byte for byte" test $same = 1
check "... and its temporal error too" test "$(error_of "$T/c2.log")" = "$ea"
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/c" --size 80 --scales 1 --iterations 2 2>"$T/c3.log"; rc=$?
check "another option makes every frame again (exit $rc)" test $rc = 0 -a "$(grep -c 'done before' "$T/c3.log")" = 0

# --- chunks (--frames, --overlap) made at once, then the run that writes OUT ---
CHUNK=(--size 80 --scales 1 --iterations 4)
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/e.mp4" "${CHUNK[@]}" --frames 1-4 2>"$T/e1.log" & pid=$!
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/e.mp4" "${CHUNK[@]}" --frames 5-8 --overlap 2 2>"$T/e2.log"; rc2=$?
wait $pid; rc1=$?
check "two chunks at once, the second beginning 2 frames early (exit $rc1 $rc2; no OUT yet)" \
    test $rc1 = 0 -a $rc2 = 0 -a "$(ls "$T/e.mp4.work/frames" | grep -c '\.png$')" = 8 -a -d "$T/e.mp4.work/frames/.overlap-000005" -a ! -e "$T/e.mp4"
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/e.mp4" "${CHUNK[@]}" 2>"$T/e3.log"; rc=$?
check "the run without --frames cross-fades frames 3-4 and writes OUT (8 frames, audio)" \
    test $rc = 0 -a "$(grep -c 'cross-faded frames 3-4' "$T/e3.log")" = 1 -a "$(grep -c 'done before' "$T/e3.log")" = 8 \
    -a "$(probe "$T/e.mp4" nb_read_frames),$(audio_streams "$T/e.mp4")" = "8,1"
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/f" "${CHUNK[@]}" --frames 1-4 --quiet
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/f" "${CHUNK[@]}" --frames 5-8 --quiet
"$BIN" video "$T/pan.mp4" "$STYLE" -o "$T/f" "${CHUNK[@]}" 2>"$T/f.log"
b_overlap="$(grep -oE '^frame 5/8, .*temporal error [0-9.]+' "$T/e3.log" | grep -oE '[0-9.]+$')"
b_plain="$(grep -oE '^frame 5/8, .*temporal error [0-9.]+' "$T/f.log" | grep -oE '[0-9.]+$')"
check "chunks that overlap meet more smoothly: error at the boundary $b_overlap, without overlap $b_plain" \
    python3 -c "import sys; sys.exit(not (0 < float('$b_overlap') < float('$b_plain')))"

# --- a folder of numbered frames in, a GIF out at --fps ---
mkdir -p "$T/frames"
for i in 1 2 3 4 5 6 7 8; do cp "$T/b/00000$i.png" "$T/frames/shot_$i.png"; done
"$BIN" video "$T/frames" "$STYLE" -o "$T/d.gif" --size 64 --scales 1 --iterations 2 --fps 8 --quiet 2>"$T/d.log"; rc=$?
check "frames folder to GIF (exit $rc, quiet: nothing printed)" test $rc = 0 -a ! -s "$T/d.log"
check "the GIF has the 8 frames at --fps 8" test "$(probe "$T/d.gif" nb_read_frames),$(probe "$T/d.gif" r_frame_rate)" = "8,8/1"

# --- bad input: one line, exit 1 (or 2 for a bad option), nothing written ---
mkdir -p "$T/empty"
bad_input() {  # NAME CODE ARGS...: exit CODE, one stderr line, nothing new in $T/empty
    local name="$1" code="$2"; shift 2
    "$BIN" video "$@" 2>"$T/err.log" >/dev/null; local rc=$?
    check "$name: exit $code, one line ($(head -c 150 "$T/err.log"))" \
        test $rc = "$code" -a "$(wc -l < "$T/err.log")" = 1 -a -z "$(ls -A "$T/empty")"
}
bad_input "missing input" 1 "$T/nope.mp4" "$STYLE" -o "$T/empty/x.mp4" "${FAST[@]}"
echo "not a video" > "$T/notes.mp4"
bad_input "not a video" 1 "$T/notes.mp4" "$STYLE" -o "$T/empty/x.mp4" "${FAST[@]}"
bad_input "missing style" 1 "$T/pan.mp4" "$T/nostyle.jpg" -o "$T/empty/x.mp4" "${FAST[@]}"
bad_input "unwritable output folder" 1 "$T/pan.mp4" "$STYLE" -o /proc/x.mp4 "${FAST[@]}"
bad_input "output folder missing" 1 "$T/pan.mp4" "$STYLE" -o "$T/empty/no/x.mp4" "${FAST[@]}"
bad_input "--log in a missing folder" 1 "$T/pan.mp4" "$STYLE" -o "$T/empty/x.mp4" --log "$T/empty/no/log.json" "${FAST[@]}"
bad_input "bad --temporal-weight" 2 "$T/pan.mp4" "$STYLE" -o "$T/empty/x.mp4" --temporal-weight -1
bad_input "empty frames folder" 1 "$T/empty" "$STYLE" -o "$T/x.mp4" "${FAST[@]}"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
