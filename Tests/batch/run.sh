#!/usr/bin/env bash
# `stylize batch` end to end with the real weights on tiny images: outputs equal
# single runs, resume after a kill, skip when the record matches and redo when an
# option, an input or the output changed, shards whose union is the whole batch, a
# failed item that does not stop the rest, manifests, names, and the one-line errors.
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
FAST=(--size 48 --iterations 3)

# Three contents and two styles made from the two tiny examples (flips and a crop).
mkdir -p "$T/in" "$T/st"
C="$IMAGES/tiny_content_64.png"; S="$IMAGES/tiny_style_64.png"
vips copy "$C" "$T/in/a.png"; vips flip "$C" "$T/in/b.png" horizontal; vips crop "$C" "$T/in/c.jpg" 4 0 56 64
echo "not an image, and not taken from a folder" > "$T/in/notes.txt"
vips copy "$S" "$T/st/wave.png"; vips flip "$S" "$T/st/swirl.png" vertical
NAMES="a_swirl a_wave b_swirl b_wave c_swirl c_wave"

# same_set DIR: DIR has exactly the six outputs, each with the reference's bytes.
same_set() {
    local n
    for n in $NAMES; do cmp -s "$1/$n.png" "$T/ref/$n.png" || return 1; done
    [ "$(ls "$1" | grep -c '\.png$')" = 6 ]
}
# count LOG WORD: the number before WORD in the batch's summary line ("4 made").
count() { grep -E '^batch: [0-9]+ items: ' "$1" | tail -n 1 | grep -oE "[0-9]+ $2" | grep -oE '^[0-9]+'; }

# --- the whole batch, and what each output is ---
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/ref" "${FAST[@]}" --jobs 2 2>"$T/ref.log"; rc=$?
check "batch of 3 contents x 2 styles makes 6 outputs with records (exit $rc)" \
    test $rc = 0 -a "$(ls "$T/ref" | grep -c '\.png$')" = 6 -a "$(ls "$T/ref" | grep -c '\.png\.stylize\.json$')" = 6
check "progress counts items of the batch and ends with a summary" \
    grep -qE '^\[6/6\] made .*\.png' "$T/ref.log" -a "$(count "$T/ref.log" made)" = 6
"$BIN" "$T/in/c.jpg" "$T/st/swirl.png" -o "$T/single.png" "${FAST[@]}" --quiet
check "an item (2 at a time) is byte for byte the single run of stylize" cmp -s "$T/single.png" "$T/ref/c_swirl.png"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r['options']=='--iterations=3 --size=48' and [f['role'] for f in r['inputs']]==['content','style','model']))" \
    "$T/ref/b_wave.png.stylize.json"
check "the record holds the options and the inputs' identity" test $? = 0

# --- resume: a batch killed (SIGKILL) after its first output continues where it stopped ---
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/kill" "${FAST[@]}" --jobs 1 2>"$T/kill1.log" &
pid=$!
for _ in $(seq 600); do ls "$T/kill"/*.stylize.json >/dev/null 2>&1 && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
before=$(ls "$T/kill" 2>/dev/null | grep -c '\.stylize\.json$')
check "the killed batch left $before of 6 records" test "$before" -ge 1 -a "$before" -lt 6
touch "$T/killed-at"  # outputs made after this are newer
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/kill" "${FAST[@]}" --jobs 1 2>"$T/kill2.log"; rc=$?
check "the rerun skips the $before done and makes the $((6 - before)) others (exit $rc)" \
    test $rc = 0 -a "$(count "$T/kill2.log" skipped)" = "$before" -a "$(count "$T/kill2.log" made)" = $((6 - before))
rm -f "$T/kill"/*stylize-tmp*  # a temporary file that SIGKILL left (no handler runs then) is no output
check "the resumed batch equals the uninterrupted one, byte for byte" same_set "$T/kill"
check "... and the $before outputs made before the kill were not touched" \
    test "$(find "$T/kill" -name '*.png' -newer "$T/killed-at" | wc -l)" = $((6 - before))

# --- Ctrl-C: the first SIGINT cancels the running item (nothing half-made is kept) and ends by SIGINT ---
# A background job starts with SIGINT ignored (POSIX), and so does all of this script when it was
# started in the background: set it to the default for stylize, which then installs its handler.
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/int" "${FAST[@]}" --jobs 1 2>"$T/int.log" &
pid=$!
for _ in $(seq 600); do ls "$T/int"/*.stylize.json >/dev/null 2>&1 && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
n=$(ls "$T/int" | grep -c '\.stylize\.json$')
check "SIGINT stops the batch: exit 130, $n of 6 made, the summary says how to continue" \
    test $rc = 130 -a "$n" -ge 1 -a "$n" -lt 6 -a "$(grep -c 'interrupted: run the same command again' "$T/int.log")" = 1
check "... every output left has its record, and no temporary file is left" \
    test "$(ls "$T/int" | grep -c '\.png$')" = "$n" -a "$(ls "$T/int" | grep -c tmp)" = 0

# --- skip when the record matches, redo when something changed ---
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/ref" --image-size=48 --num-iterations 3 2>"$T/again.log"
check "a rerun (aliases spelled differently) skips all 6" test "$(count "$T/again.log" skipped)" = 6 -a "$(count "$T/again.log" made)" = 0
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/ref" "${FAST[@]}" --dry-run >"$T/dry" 2>&1
check "--dry-run lists 6 'skip' lines" test "$(grep -c '^skip ' "$T/dry")" = 6
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/ref" --size 48 --iterations 4 --dry-run >"$T/dry" 2>&1
check "--dry-run after an option change lists 6 'make' lines and writes nothing" \
    test "$(grep -c '^make ' "$T/dry")" = 6 -a "$(find "$T/ref" -newer "$T/dry" | wc -l)" = 0
cp -a "$T/ref" "$T/redo"  # -a: a copy keeps the times its records name
touch -d '2001-01-01' "$T/in/b.png"                   # an input changed (its time)
vips copy "$T/ref/a_wave.png" "$T/redo/c_swirl.png"    # an output replaced by another picture
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/redo" "${FAST[@]}" 2>"$T/redo.log"
check "a changed input redoes its 2 items, a replaced output its 1, the other 3 skip" \
    test "$(count "$T/redo.log" made)" = 3 -a "$(count "$T/redo.log" skipped)" = 3 \
    -a "$(grep -cE 'made .*/(b_wave|b_swirl|c_swirl)\.png' "$T/redo.log")" = 3
check "... and the redone outputs are right again" same_set "$T/redo"
"$BIN" batch "$T/in" --style "$T/st/wave.png" -o "$T/redo" --size 48 --iterations 2 2>"$T/redo2.log"
check "another --iterations redoes every item" test "$(count "$T/redo2.log" made)" = 3
check "... with other pixels" bash -c "! cmp -s '$T/redo/a_wave.png' '$T/ref/a_wave.png'"

# --- shards: the union of K/N over K is the whole batch, each item made once ---
for k in 0 1 2; do
    "$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/shards" "${FAST[@]}" --shard $k/3 2>"$T/shard$k.log"
done
check "shards 0/3, 1/3, 2/3 make 2 + 2 + 2 items" \
    test "$(count "$T/shard0.log" made)$(count "$T/shard1.log" made)$(count "$T/shard2.log" made)" = 222
check "the union of the shards equals the whole batch, byte for byte" same_set "$T/shards"
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/shards" "${FAST[@]}" --dry-run --shard 1/2 >"$T/dry1" 2>&1
"$BIN" batch "$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" -o "$T/shards" "${FAST[@]}" --dry-run --shard 0/2 >"$T/dry0" 2>&1
check "shards 0/2 and 1/2 list disjoint items that together are all 6" \
    test "$(cat "$T/dry0" "$T/dry1" | awk '{print $2}' | sort -u | wc -l)" = 6 -a "$(cat "$T/dry0" "$T/dry1" | wc -l)" = 6

# --- a failed item is reported and the rest go on ---
head -c 3000 "$T/in/a.png" > "$T/bad-truncated.png"   # its header reads; decoding fails mid-batch
echo "text" > "$T/bad-text.png"
"$BIN" batch "$T/in/a.png" "$T/bad-truncated.png" "$T/gone.png" "$T/bad-text.png" "$T/in/b.png" --style "$T/st/wave.png" \
    -o "$T/fail" "${FAST[@]}" 2>"$T/fail.log"; rc=$?
check "3 bad contents fail, the 2 good ones are made, exit 1 (exit $rc)" \
    test $rc = 1 -a "$(count "$T/fail.log" made)" = 2 -a "$(count "$T/fail.log" failed)" = 3 -a -s "$T/fail/a_wave.png" -a -s "$T/fail/b_wave.png"
check "each failure is one line naming the file and the problem" \
    test "$(grep -cE '^stylize: .*FAILED .*(bad-truncated\.png.*cannot read|gone\.png.*no such file|bad-text\.png.*cannot read)' "$T/fail.log")" = 3
check "the summary lists the failed items" test "$(grep -c '^  failed: ' "$T/fail.log")" = 3
check "a failed item leaves no output, record or temporary file" \
    test "$(ls "$T/fail" | grep -cE 'bad|gone|tmp')" = 0

# --- manifests: per-item options with transfer's own spelling and checks ---
cat > "$T/in/list.txt" <<'EOF'
# content  style      options of stylize transfer
a.png     ../st/wave.png
b.png     ../st/wave.png   --iterations 2 --style-weight 1e-3    # this item's own
"c.jpg"   ../st/swirl.png  --style ../st/wave.png --style-blend 0.7,0.3
EOF
"$BIN" batch --manifest "$T/in/list.txt" -o "$T/man" --name '{index}-{content}_{style}.png' "${FAST[@]}" 2>"$T/man.log"; rc=$?
check "a manifest of 3 lines makes 3 outputs named by the pattern (exit $rc)" \
    test $rc = 0 -a -s "$T/man/1-a_wave.png" -a -s "$T/man/2-b_wave.png" -a -s "$T/man/3-c_swirl+wave.png"
check "the first line is the same item as on the command line" cmp -s "$T/man/1-a_wave.png" "$T/ref/a_wave.png"
grep -q '"options" : "--iterations=2 --size=48 --style-weight=1e-3"' "$T/man/2-b_wave.png.stylize.json"
check "a line's own options override the batch's (record: --iterations=2)" test $? = 0
"$BIN" "$T/in/c.jpg" "$T/st/swirl.png" --style "$T/st/wave.png" --style-blend 0.7,0.3 -o "$T/blend.png" "${FAST[@]}" --quiet
check "a line with two styles and a blend is the single run's result" cmp -s "$T/blend.png" "$T/man/3-c_swirl+wave.png"
printf 'a.png ../st/wave.png\nb.png ../st/wave.png --size -1\n' > "$T/in/bad.txt"
"$BIN" batch --manifest "$T/in/bad.txt" -o "$T/badman" "${FAST[@]}" 2>"$T/badman.log"; rc=$?
check "a bad option on a manifest line: exit 2 before any work, naming the line" \
    test $rc = 2 -a ! -e "$T/badman" -a "$(grep -c 'bad.txt:2: --size: -1 is out of range' "$T/badman.log")" = 1
printf 'a.png ../st/wave.png --sise 64\n' > "$T/in/badu.txt"
"$BIN" batch --manifest "$T/in/badu.txt" -o "$T/badman" "${FAST[@]}" 2>"$T/badu.log"; rc=$?
check "an unknown option on a manifest line: exit 2, naming the line and the option" \
    test $rc = 2 -a "$(grep -c "badu.txt:1: unknown option '--sise'" "$T/badu.log")" = 1
printf 'a.png ../st/wave.png -o x.png\n' > "$T/in/bado.txt"
"$BIN" batch --manifest "$T/in/bado.txt" -o "$T/badman" "${FAST[@]}" 2>"$T/bado.log"; rc=$?
check "a per-item -o is refused (outputs are named by --name)" test $rc = 2 -a "$(grep -c 'bado.txt:1: -o' "$T/bado.log")" = 1
printf 'a.png ../st/wave.png --temporal-target b.png\n' > "$T/in/badt.txt"
"$BIN" batch --manifest "$T/in/badt.txt" -o "$T/badman" "${FAST[@]}" 2>"$T/badt.log"; rc=$?
check "a video frame's --temporal-target is refused, not ignored (exit 2, one line)" \
    test $rc = 2 -a ! -e "$T/badman" -a "$(grep -c "badt.txt:1: --temporal-target: a video frame's own input" "$T/badt.log")" = 1

# --- names, folders and usage errors (exit 2, one line, nothing written) ---
"$BIN" batch "$T/in/a.png" "$T/in/b.png" --style "$T/st/wave.png" -o "$T/sub" --name '{style}/{content}.jpg[Q=90]' "${FAST[@]}" 2>/dev/null
check "a name pattern with a subfolder and vips save options" \
    test "$(vipsheader -f width "$T/sub/wave/a.jpg" 2>/dev/null)" = 64 -a -s "$T/sub/wave/b.jpg.stylize.json"
usage() {  # usage NAME PATTERN -- args...
    local name="$1" pattern="$2"; shift 3
    "$BIN" batch "$@" >"$T/u.out" 2>"$T/u.err"; local rc=$?
    if [ $rc = 2 ] && [ "$(wc -l <"$T/u.err")" = 1 ] && grep -qE -e "$pattern" "$T/u.err" && [ ! -e "$T/u" ]; then ok "$name"
    else bad "$name (exit $rc: $(head -c 300 "$T/u.err"))"; fi
}
usage "two items, one output name"  "would be made by both"      -- "$T/in/a.png" "$T/in/a.png" --style "$S" -o "$T/u"
usage "unknown placeholder"          "unknown placeholder \{nme\}" -- "$T/in" --style "$S" -o "$T/u" --name '{nme}.png'
usage "shard out of range"           "--shard: '3/3'"            -- "$T/in" --style "$S" -o "$T/u" --shard 3/3
usage "a transfer option's range"    "--iterations: 0 is out of range" -- "$T/in" --style "$S" -o "$T/u" --iterations 0
usage "no style"                     "no style image"            -- "$T/in" -o "$T/u"
usage "--log is not a batch option"  "--log: not in batch"       -- "$T/in" --style "$S" -o "$T/u" --log x.json
mkdir -p "$T/empty"
usage "a folder without images"      "folder has no images"      -- "$T/empty" --style "$S" -o "$T/u"
"$BIN" batch "$T/in" --style "$S" -o "$T/layer" "${FAST[@]}" --style-layers relu1_1,relu9_9 2>"$T/layer.err"; rc=$?
check "a layer the model lacks (known only with the model): exit 2 before any work, one line" \
    test $rc = 2 -a "$(wc -l <"$T/layer.err")" = 1 -a "$(grep -c "unknown layer 'relu9_9'" "$T/layer.err")" = 1 -a "$(ls "$T/layer" | wc -l)" = 0
"$BIN" batch "$T/in/a.png" --style "$S" -o "$T/in/notes.txt/x" "${FAST[@]}" 2>"$T/ro.err"; rc=$?
check "an output folder that cannot be made: exit 1, one line" test $rc = 1 -a "$(grep -c 'cannot make the output folder' "$T/ro.err")" = 1

# --- --output-size: a batch item is read and written at that size, as a single run is ---
"$BIN" batch "$T/in/a.png" --style "$T/st/wave.png" -o "$T/os" "${FAST[@]}" --output-size 32 2>/dev/null
"$BIN" "$T/in/a.png" "$T/st/wave.png" -o "$T/os.png" "${FAST[@]}" --output-size 32 --quiet
check "--output-size in a batch is the single run's" cmp -s "$T/os.png" "$T/os/a_wave.png"

# --- the user trap: two files after the content are two styles; a note says so and names batch ---
"$BIN" "$T/in/a.png" "$T/in/b.png" "$S" -o "$T/trap.png" "${FAST[@]}" 2>"$T/trap.err"
check "'stylize a b style -o x' notes the blend and suggests stylize batch" \
    grep -q "note: b.png and tiny_style_64.png are all style images.*stylize batch" "$T/trap.err"
"$BIN" "$T/in/a.png" "$T/in/b.png" "$S" --style-blend 1,1 -o "$T/trap.png" "${FAST[@]}" 2>"$T/trap2.err"
check "... and no note when --style-blend says it is meant" bash -c "! grep -q 'stylize: note' '$T/trap2.err'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
