#!/usr/bin/env bash
# Faults from outside, with real processes and the real model: Ctrl-C (SIGINT,
# once and twice), SIGTERM (while iterating and while the output is being
# written), a full disk (the output, the --log), a memory limit (ulimit -v, a
# memory cgroup where one can be made, RLIMIT_AS reached in the middle of a
# C host's call: oom.c, and a C host under RLIMIT_AS from its start: aslimit.c),
# and killing a `vips stylize` run or GIMP's plug-in, or cancelling it in GIMP.
#
#   STYLIZE_BIN (default: stylize on PATH), STYLIZE_MODEL, IMAGES (default examples/)
#   Tests/faults/run.sh
#
# The tmpfs and cgroup cases need root (skipped, and said so, without it); oom.c
# needs cc and pkg-config's stylize; the GIMP case gimp-console and the plug-in
# (GIMP's own plug-in folder, or $GIMP_PLUGIN_DIR as install.sh exports it).
# Prints one line per check and "N passed, M failed".
set -u
# Job control: a background job of a script would otherwise start with SIGINT
# ignored (POSIX), and stylize rightly leaves an ignored SIGINT ignored. A shell
# started with SIGINT ignored (under nohup, or as a background job itself) cannot
# reset it, so the processes under test are started with it reset (DEFAULT_INT).
set -m
DEFAULT_INT=(env --default-signal=INT)
BIN="${STYLIZE_BIN:-stylize}"
HERE="$(cd "$(dirname "$0")" && pwd)"
IMAGES="${IMAGES:-$HERE/../../examples}"
: "${STYLIZE_MODEL:?set STYLIZE_MODEL to the model file}"
export STYLIZE_MODEL
C="$IMAGES/content_chelsea_cat.jpg"; S="$IMAGES/style_great_wave_hokusai.jpg"
TINY="$IMAGES/tiny_content_64.png"
T="$(mktemp -d)"
MOUNTED=""; CGROUP=""
cleanup() {
    [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
    [ -n "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$T/err" ] && sed 's/^/     | /' "$T/err" | tail -n 4; }
skip() { echo "skip $1"; }

# start ARGS...: runs stylize in the background, stderr to $T/err; PID is its pid.
start() { "${DEFAULT_INT[@]}" "$BIN" "$@" >/dev/null 2>"$T/err" & PID=$!; }
# wait_line PATTERN SECONDS: until stderr has a line matching PATTERN.
wait_line() {
    local end=$((SECONDS + $2))
    until grep -qE -e "$1" "$T/err" 2>/dev/null; do
        [ $SECONDS -lt $end ] && kill -0 "$PID" 2>/dev/null || return 1
        sleep 0.02
    done
}
# wait_temp DIR SECONDS: until a temporary output file exists in DIR (the save has begun).
wait_temp() {
    local end=$((SECONDS + $2))
    until temps "$1" | grep -q .; do
        [ $SECONDS -lt $end ] && kill -0 "$PID" 2>/dev/null || return 1
        sleep 0.005
    done
}
# finish: waits for $PID; RC its status as a shell reports it (128 + signal).
finish() { wait "$PID" 2>/dev/null; RC=$?; }
# temps DIR: temporary files a write leaves behind, if any.
temps() { ls -a "$1" | grep -E 'stylize-tmp|\.tmp-[0-9]|stylize-probe' ; }
size_of() { echo "$(vipsheader -f width "$1")x$(vipsheader -f height "$1")"; }
# one_line: stderr holds exactly one line, and it starts with "stylize: ".
one_line() { [ "$(wc -l <"$T/err")" = 1 ] && grep -q "^stylize: " "$T/err"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# A big content picture, so that writing the result takes long enough to signal
# during it: 6144 x 4092 (the run itself optimises at --size 64, ending there).
vips resize "$C" "$T/big.v" 12 2>/dev/null || { echo "cannot make the big picture"; echo "0 passed, 1 failed"; exit 1; }
vips copy "$T/big.v" "$T/big.png" && rm -f "$T/big.v"
cp "$TINY" "$T/existing.png"   # an "old output" each test must leave byte-identical

# --- SIGINT once: the iteration finishes, the current result is written -------
mkdir "$T/int1"
start "$C" "$S" -o "$T/int1/out.png" --size 128 --output-size 128 --iterations 200 --print-every 1 --save-every 1 --log "$T/int1/log.json"
if wait_line "^iteration 3/" 120; then
    kill -INT "$PID"; t0=$(now); finish; took=$(elapsed "$t0")
    k="$(sed -nE 's/^stylize: interrupted at iteration ([0-9]+) of 200; wrote the current result to .*int1\/out\.png$/\1/p' "$T/err")"
    if [ "$RC" = 130 ] && [ -n "$k" ] && [ "$k" -ge 3 ] && [ "$k" -lt 200 ] && [ "$(grep -c '^stylize:' "$T/err")" = 1 ]; then
        ok "first SIGINT: exit 130, one line 'interrupted at iteration $k of 200; wrote the current result' (${took}s after the signal)"
    else bad "first SIGINT: exit $RC, k='$k'"; fi
    # The written result is the picture of iteration k: the snapshot of that iteration, byte for byte.
    [ -f "$T/int1/out.png" ] && [ "$(size_of "$T/int1/out.png")" = "$(size_of "$C")" ] \
        && cmp -s "$T/int1/out.png" "$T/int1/out-$k.png" \
        && ok "first SIGINT: the output is iteration $k's picture at the content's size ($(size_of "$C"))" \
        || bad "first SIGINT: output missing, of another size, or not iteration $k's snapshot"
    python3 -c "import json,sys; d=json.load(open('$T/int1/log.json'))['iterations']; sys.exit(not (len(d) == $k + 1 and d[-1]['iteration'] == $k))" 2>/dev/null \
        && ok "first SIGINT: the --log has iterations 0..$k" || bad "first SIGINT: the --log is missing or does not end at iteration $k"
    [ -z "$(temps "$T/int1")" ] && ok "first SIGINT: no temporary file" || bad "first SIGINT: left $(temps "$T/int1")"
else kill -KILL "$PID" 2>/dev/null; bad "first SIGINT: the run never printed iteration 3"; fi

# --- SIGINT twice while iterating: stops at once, old output untouched ------------
# --size 384 in one level: an iteration takes seconds, so the second Ctrl-C comes long before it ends.
mkdir "$T/int2" && cp "$T/existing.png" "$T/int2/out.png"
start "$C" "$S" -o "$T/int2/out.png" --size 384 --output-size 384 --scales 1 --iterations 100 --print-every 1
if wait_line "^iteration 1/" 120; then
    t0=$(now); kill -INT "$PID"; sleep 0.2; kill -INT "$PID"; finish; took=$(elapsed "$t0")
    if [ "$RC" = 130 ] && ! grep -q "wrote" "$T/err" && ! grep -q "^iteration 2/" "$T/err" && lt "$took" 3; then
        ok "second SIGINT while iterating: exit 130 in ${took}s, before the iteration ended, nothing written"
    else bad "second SIGINT while iterating: exit $RC after ${took}s"; fi
    cmp -s "$T/int2/out.png" "$T/existing.png" && [ -z "$(temps "$T/int2")" ] \
        && ok "second SIGINT while iterating: the existing output is byte-identical, no temporary file" \
        || bad "second SIGINT while iterating: output changed or temp left ($(temps "$T/int2"))"
else kill -KILL "$PID" 2>/dev/null; bad "second SIGINT: the run never printed iteration 1"; fi

# --- SIGTERM while iterating -------------------------------------------------
mkdir "$T/term1" && cp "$T/existing.png" "$T/term1/out.png"
start "$C" "$S" -o "$T/term1/out.png" --size 384 --output-size 384 --scales 1 --iterations 100 --print-every 1
if wait_line "^iteration 1/" 120; then
    t0=$(now); kill -TERM "$PID"; finish; took=$(elapsed "$t0")
    [ "$RC" = 143 ] && lt "$took" 3 && cmp -s "$T/term1/out.png" "$T/existing.png" && [ -z "$(temps "$T/term1")" ] \
        && ok "SIGTERM while iterating: exit 143 in ${took}s, existing output byte-identical, no temporary file" \
        || bad "SIGTERM while iterating: exit $RC after ${took}s, temps: $(temps "$T/term1")"
else kill -KILL "$PID" 2>/dev/null; bad "SIGTERM while iterating: the run never printed iteration 1"; fi

# --- signals while the result is being written (6144 x 4092 PNG) ----------------
BIG=("$T/big.png" "$S" --size 64 --output-size 64 --iterations 1 --print-every 1)
# SIGTERM during the save: the temporary file is removed, the old output stays.
mkdir "$T/term2" && cp "$T/existing.png" "$T/term2/out.png"
start "${BIG[@]}" -o "$T/term2/out.png"
if wait_temp "$T/term2" 180; then
    kill -TERM "$PID"; finish
    [ "$RC" = 143 ] && cmp -s "$T/term2/out.png" "$T/existing.png" && [ -z "$(temps "$T/term2")" ] \
        && ok "SIGTERM while writing the output: exit 143, temporary file removed, existing output byte-identical" \
        || bad "SIGTERM while writing the output: exit $RC, temps: $(temps "$T/term2")"
else kill -KILL "$PID" 2>/dev/null; finish; bad "SIGTERM while writing: never saw the temporary file (exit $RC)"; fi
# One SIGINT during the save of a finished run: the save completes, then exit 130.
mkdir "$T/int3" && cp "$T/existing.png" "$T/int3/out.png"
start "${BIG[@]}" -o "$T/int3/out.png"
if wait_temp "$T/int3" 180; then
    kill -INT "$PID"; finish
    [ "$RC" = 130 ] && grep -q "^stylize: interrupted at iteration 1 of 1; wrote the current result to" "$T/err" \
        && [ "$(size_of "$T/int3/out.png")" = "6144x4092" ] && vips avg "$T/int3/out.png" >/dev/null 2>&1 \
        && [ -z "$(temps "$T/int3")" ] \
        && ok "one SIGINT while writing the output: the write completes (a whole 6144x4092 PNG), exit 130, said so" \
        || bad "one SIGINT while writing the output: exit $RC, size $(size_of "$T/int3/out.png" 2>/dev/null), temps: $(temps "$T/int3")"
else kill -KILL "$PID" 2>/dev/null; finish; bad "one SIGINT while writing: never saw the temporary file (exit $RC)"; fi
# Two SIGINTs: the first stops the run, the second comes while its result is written.
mkdir "$T/int4" && cp "$T/existing.png" "$T/int4/out.png"
start "$T/big.png" "$S" --size 64 --output-size 64 --iterations 100 --print-every 1 -o "$T/int4/out.png"
if wait_line "^iteration 1/" 180; then
    kill -INT "$PID"
    if wait_temp "$T/int4" 60; then
        kill -INT "$PID"; finish
        [ "$RC" = 130 ] && cmp -s "$T/int4/out.png" "$T/existing.png" && [ -z "$(temps "$T/int4")" ] && ! grep -q wrote "$T/err" \
            && ok "second SIGINT while writing the stopped run's result: exit 130, temporary file removed, existing output byte-identical" \
            || bad "second SIGINT while writing: exit $RC, temps: $(temps "$T/int4")"
    else kill -KILL "$PID" 2>/dev/null; finish; bad "second SIGINT while writing: never saw the temporary file (exit $RC)"; fi
else kill -KILL "$PID" 2>/dev/null; bad "second SIGINT while writing: the run never printed iteration 1"; fi

# --- a full disk ------------------------------------------------------------------
FAST=(--size 64 --output-size 64 --iterations 2 --quiet)
if [ "$(id -u)" = 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=200k tmpfs "$T/full" 2>/dev/null; then
    MOUNTED="$T/full"
    # The cat result is a ~300 kB PNG: it cannot fit in 200 kB.
    cp "$T/existing.png" "$T/full/out.png"
    "$BIN" "$C" "$S" -o "$T/full/out.png" "${FAST[@]}" 2>"$T/err"; RC=$?
    [ "$RC" = 1 ] && one_line && grep -q "full/out.png" "$T/err" && cmp -s "$T/full/out.png" "$T/existing.png" && [ -z "$(temps "$T/full")" ] \
        && ok "disk full writing the output: exit 1, one line ($(sed "s|$T/||" "$T/err")), existing output byte-identical, no partial file" \
        || bad "disk full writing the output: exit $RC, temps: $(temps "$T/full")"
    rm -f "$T/full/out.png"
    "$BIN" "$C" "$S" -o "$T/full/new.png" "${FAST[@]}" 2>"$T/err"; RC=$?
    [ "$RC" = 1 ] && one_line && [ -z "$(ls -A "$T/full")" ] \
        && ok "disk full writing a new output: exit 1, one line, the folder left empty" \
        || bad "disk full writing a new output: exit $RC, left: $(ls -A "$T/full")"
    # --log on a full disk (the picture itself goes elsewhere).
    echo '{"iterations": []}' >"$T/full/log.json"; cp "$T/full/log.json" "$T/oldlog.json"
    dd if=/dev/zero of="$T/full/filler" bs=4k 2>/dev/null
    "$BIN" "$C" "$S" -o "$T/logfull.png" "${FAST[@]}" --log "$T/full/log.json" 2>"$T/err"; RC=$?
    [ "$RC" = 1 ] && one_line && grep -q "full/log.json" "$T/err" && cmp -s "$T/full/log.json" "$T/oldlog.json" \
        && [ "$(ls -A "$T/full" | tr '\n' ' ')" = "filler log.json " ] \
        && ok "disk full writing --log: exit 1, one line naming the log, the old log byte-identical, no partial file" \
        || bad "disk full writing --log: exit $RC, left: $(ls -A "$T/full")"
    umount "$T/full" && MOUNTED=""
else skip "disk full: cannot mount a tmpfs (needs root)"; fi

# --- a memory limit ------------------------------------------------------------------
# ulimit -v 1.5 GB: a 2048 px run needs more; it is refused before any work, naming the options.
LIMIT_KB=1572864
t0=$(now)
( ulimit -v $LIMIT_KB; exec "$BIN" "$C" "$S" -o "$T/mem.png" --size 2048 --output-size 2048 --iterations 2 ) 2>"$T/err"; RC=$?; took=$(elapsed "$t0")
[ "$RC" = 1 ] && one_line && grep -q -- "--size" "$T/err" && grep -q -- "--max-memory" "$T/err" && [ ! -e "$T/mem.png" ] && lt "$took" 20 \
    && ok "ulimit -v 1.5 GB, --size 2048 --output-size 2048: exit 1 in ${took}s: $(cat "$T/err")" \
    || bad "ulimit -v 1.5 GB, --size 2048 --output-size 2048: exit $RC after ${took}s"
( ulimit -v $LIMIT_KB; exec "$BIN" "$C" "$S" -o "$T/memok.png" --size 128 --output-size 128 --iterations 2 --quiet ) 2>"$T/err"; RC=$?
[ "$RC" = 0 ] && [ "$(size_of "$T/memok.png")" = "$(size_of "$C")" ] \
    && ok "ulimit -v 1.5 GB, --size 128 --output-size 128: the run completes" || bad "ulimit -v 1.5 GB, --size 128 --output-size 128: exit $RC"

# Near the limit: each size is either refused at once with the memory message or
# completes. (Before the CLI mapped OpenBLAS's buffers ahead of admission,
# --size 512 was admitted here and then died of SIGABRT, "failed to allocate".)
admitted=0; refused=0; wrong=""
for s in 384 448 512 560 640; do
    ( ulimit -v $LIMIT_KB; exec "$BIN" "$C" "$S" -o "$T/edge.png" --size $s --output-size $s --scales 1 --iterations 1 --quiet ) 2>"$T/err"; RC=$?
    if [ "$RC" = 0 ] && [ "$(size_of "$T/edge.png")" = "$(size_of "$C")" ]; then admitted=$((admitted + 1))
    elif [ "$RC" = 1 ] && one_line && grep -q -- "--max-memory" "$T/err" && [ ! -e "$T/edge.png" ]; then refused=$((refused + 1))
    else wrong="$wrong $s:exit-$RC"; fi
    rm -f "$T/edge.png"
done
[ -z "$wrong" ] && [ "$admitted" -ge 1 ] && [ "$refused" -ge 1 ] \
    && ok "ulimit -v 1.5 GB at --size (and --output-size) 384/448/512/560/640: $admitted completed, $refused refused with the memory message, none crashed" \
    || bad "ulimit -v 1.5 GB near the limit: $admitted completed, $refused refused, wrong:$wrong"

# --- a memory cgroup: the run is admitted against its own group's limit, not the machine's ---
CG_ROOT=/sys/fs/cgroup/memory  # v1; v2 needs a delegated group with the memory controller
if [ "$(id -u)" = 0 ] && [ -w "$CG_ROOT" ] && mkdir "$CG_ROOT/stylize-faults-$$" 2>/dev/null; then
    CGROUP="$CG_ROOT/stylize-faults-$$"
    echo 600M >"$CGROUP/memory.limit_in_bytes"
    in_cgroup() { bash -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$CGROUP" "$@"; }
    in_cgroup "$BIN" "$C" "$S" -o "$T/cg.png" --size 640 --output-size 640 --scales 1 --iterations 1 >/dev/null 2>"$T/err"; rc=$?
    [ $rc = 1 ] && grep -q "needs about .* but only .* can be had" "$T/err" && [ ! -e "$T/cg.png" ] \
        && ok "cgroup memory limit 600M, --size 640 --output-size 640: refused before work ($(cat "$T/err"))" \
        || bad "cgroup memory limit 600M, --size 640 --output-size 640: exit $rc ($(head -c 300 "$T/err"))"
    in_cgroup "$BIN" "$C" "$S" -o "$T/cg.png" --size 128 --output-size 128 --scales 1 --iterations 1 --quiet 2>"$T/err"; rc=$?
    [ $rc = 0 ] && [ -s "$T/cg.png" ] && ok "cgroup memory limit 600M, --size 128 --output-size 128: completes" \
        || bad "cgroup memory limit 600M, --size 128 --output-size 128: exit $rc ($(head -c 300 "$T/err"))"
else skip "memory cgroup: no writable v1 memory controller here (or not root)"; fi

# --- a C host's memory limit reached after admission (oom.c) --------------------------
# The engine's large buffers are allocated fallibly (feature maps) or checked before
# they are made (the optimiser's vectors, levels, input copies: Memory.ensure): the call
# returns STYLIZE_ERROR_OUT_OF_MEMORY naming options->size, leaves nothing allocated,
# and the host's next, smaller call runs under the same limit. `oom`: at the coarse
# level's start the fine level's maps cannot be had; `oom step`: after a level's first
# step its optimiser's next vectors cannot.
# shellcheck disable=SC2046
if cc -std=gnu11 -Wall -Wextra -Werror -O1 "$HERE/oom.c" $(pkg-config --cflags --libs stylize) \
      -Wl,-rpath,"$(pkg-config --variable=libdir stylize)" -o "$T/oom" 2>"$T/err"; then
    for mode in "" step; do
        "$T/oom" $mode >"$T/oom.log" 2>&1; RC=$?
        what="C host, RLIMIT_AS set mid-run${mode:+ after a step} ($(sed -n 's/^RLIMIT_AS set at //p' "$T/oom.log"))"
        if [ "$RC" = 0 ] && grep -qE "^[0-9]+ passed, 0 failed$" "$T/oom.log"; then
            ok "$what: STYLIZE_ERROR_OUT_OF_MEMORY \"$(sed -n 's/^message: //p' "$T/oom.log")\", malloc live bytes $(sed -n 's/^malloc live bytes across the failed run: //p' "$T/oom.log") across it, then a 128 px call completes"
        else cp "$T/oom.log" "$T/err"; bad "$what: exit $RC (134 = SIGABRT: an allocation that is not fallible)"; fi
    done
else bad "oom.c does not compile with \$(pkg-config --cflags --libs stylize)"; fi

# --- a C host under RLIMIT_AS from its start (aslimit.c) ------------------------------
# The largest size stylize_check admits under the limit runs: the engine maps its
# threads' BLAS buffers and arenas before admission measures (AddressLimit.swift).
# shellcheck disable=SC2046
if cc -std=gnu11 -Wall -Wextra -Werror -O1 "$HERE/aslimit.c" $(pkg-config --cflags --libs stylize) \
      -Wl,-rpath,"$(pkg-config --variable=libdir stylize)" -o "$T/aslimit" 2>"$T/err"; then
    "$T/aslimit" >"$T/aslimit.log" 2>&1; RC=$?
    what="C host under RLIMIT_AS $(sed -n 's/^RLIMIT_AS: \([0-9]* MiB\).*/\1/p' "$T/aslimit.log"): the largest admitted size ($(sed -n 's/^largest admitted size: //p' "$T/aslimit.log"))"
    if [ "$RC" = 0 ] && grep -qE "^[0-9]+ passed, 0 failed$" "$T/aslimit.log"; then ok "$what runs"
    else cp "$T/aslimit.log" "$T/err"; bad "$what: exit $RC"; fi
else bad "aslimit.c does not compile with \$(pkg-config --cflags --libs stylize)"; fi

# --- GIMP: the plug-in killed while it runs ------------------------------------------------
# gimp-console (Script-Fu batch, a throwaway profile) runs the plug-in for 100000
# iterations on a picture; the plug-in's process is killed once it has computed for
# two seconds. GIMP must report the failure, go on to the next batch command, which
# saves the picture, pixel for pixel as it was loaded, and quit normally.
PLUG_DIR="${GIMP_PLUGIN_DIR:-$(pkg-config --variable=gimplibdir gimp-2.0 2>/dev/null)/plug-ins/stylize}"
if command -v gimp-console >/dev/null && [ -x "$PLUG_DIR/stylize" ]; then
    G="$T/gimp"
    for d in brushes dynamics fonts gradients palettes patterns tool-presets mypaint-brushes scripts templates plug-ins; do
        mkdir -p "$G/$d"
    done
    # A plug-in outside GIMP's own folder (a user install) is found through the profile.
    case "$PLUG_DIR" in "$(pkg-config --variable=gimplibdir gimp-2.0)"/*) ;; *) cp -r "$PLUG_DIR" "$G/plug-ins/" ;; esac
    vips rawsave "$TINY" "$T/tiny.raw"
    for sig in KILL TERM; do
        out="$T/gimp-$sig.png"
        run="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$TINY\" \"$TINY\"))) (drw (car (gimp-image-get-active-drawable img)))) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$IMAGES/tiny_style_64.png\" 100000 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))"
        save="(let* ((img (vector-ref (cadr (gimp-image-list)) 0)) (drw (car (gimp-image-get-active-drawable img)))) (gimp-file-save RUN-NONINTERACTIVE img drw \"$out\" \"$out\"))"
        GIMP2_DIRECTORY="$G" timeout 300 gimp-console -i -d -f -b "$run" -b "$save" -b '(gimp-quit 0)' >/dev/null 2>"$T/err" & PID=$!
        # timeout -> gimp-console -> the plug-in; wait until it has used 2 s of CPU (utime + stime, in ticks).
        plug=""; cpu=0; end=$((SECONDS + 180))
        while [ $SECONDS -lt $end ] && kill -0 "$PID" 2>/dev/null; do
            gimp="$(pgrep -P "$PID" | head -n 1)"
            plug="$([ -n "$gimp" ] && pgrep -P "$gimp" -f 'plug-ins/stylize/stylize' | head -n 1)"
            cpu="$([ -n "$plug" ] && awk '{ print $14 + $15 }' "/proc/$plug/stat" 2>/dev/null || echo 0)"
            [ "${cpu:-0}" -ge $((2 * $(getconf CLK_TCK))) ] && break
            sleep 0.2
        done
        if [ -n "$plug" ] && [ "${cpu:-0}" -gt 0 ] && kill -"$sig" "$plug"; then
            finish
            vips rawsave "$out" "$T/saved.raw" 2>/dev/null
            [ "$RC" = 0 ] && grep -q "plug-in-stylize" "$T/err" && [ "$(size_of "$out" 2>/dev/null)" = "$(size_of "$TINY")" ] \
                && cmp -s "$T/saved.raw" "$T/tiny.raw" \
                && ok "GIMP: the plug-in killed by SIG$sig after $((cpu / $(getconf CLK_TCK))) s of CPU: GIMP reported it, saved the picture unchanged (pixel for pixel) and quit normally" \
                || bad "GIMP: plug-in killed by SIG$sig: gimp-console exit $RC, saved: $(ls "$out" 2>&1)"
        else kill -KILL "$PID" 2>/dev/null; finish; bad "GIMP: never saw the plug-in compute (exit $RC)"; fi
    done
    # The user's Cancel: GIMP with its interface (on a virtual X display) shows the run's
    # progress in a "Progress" dialog; Escape there cancels it as its Cancel button does
    # (GIMP ends the plug-in and the call returns "cancelled"). The next batch command
    # saves the picture: pixel for pixel as loaded; GIMP goes on and quits normally.
    if command -v gimp >/dev/null && command -v Xvfb >/dev/null && command -v xdotool >/dev/null; then
        n=90; while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
        Xvfb ":$n" -screen 0 1280x1024x24 >/dev/null 2>&1 & XPID=$!
        sleep 2
        out="$T/gimp-cancel.png"
        run="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$TINY\" \"$TINY\"))) (drw (car (gimp-image-get-active-drawable img)))) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$IMAGES/tiny_style_64.png\" 100000 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))"
        save="(let* ((img (vector-ref (cadr (gimp-image-list)) 0)) (drw (car (gimp-image-get-active-drawable img)))) (gimp-file-save RUN-NONINTERACTIVE img drw \"$out\" \"$out\"))"
        DISPLAY=":$n" GIMP2_DIRECTORY="$G" timeout 300 gimp -d -f -s -b "$run" -b "$save" -b '(gimp-quit 0)' >/dev/null 2>"$T/err" & PID=$!
        plug=""; cpu=0; end=$((SECONDS + 180))
        while [ $SECONDS -lt $end ] && kill -0 "$PID" 2>/dev/null; do
            gimp="$(pgrep -P "$PID" | head -n 1)"
            plug="$([ -n "$gimp" ] && pgrep -P "$gimp" -f 'plug-ins/stylize/stylize' | head -n 1)"
            cpu="$([ -n "$plug" ] && awk '{ print $14 + $15 }' "/proc/$plug/stat" 2>/dev/null || echo 0)"
            [ "${cpu:-0}" -ge $((2 * $(getconf CLK_TCK))) ] && break
            sleep 0.2
        done
        win="$(DISPLAY=":$n" xdotool search --name '^Progress$' 2>/dev/null | head -n 1)"
        if [ -n "$plug" ] && [ "${cpu:-0}" -gt 0 ] && [ -n "$win" ] \
           && DISPLAY=":$n" xdotool windowfocus --sync "$win" key --window "$win" Escape 2>/dev/null; then
            gone=""; for _ in $(seq 1 100); do kill -0 "$plug" 2>/dev/null || { gone=1; break; }; sleep 0.1; done
            finish
            vips rawsave "$out" "$T/saved.raw" 2>/dev/null
            [ -n "$gone" ] && [ "$RC" = 0 ] && [ "$(size_of "$out" 2>/dev/null)" = "$(size_of "$TINY")" ] \
                && cmp -s "$T/saved.raw" "$T/tiny.raw" \
                && ok "GIMP: the run cancelled (Escape on its Progress dialog) after $((cpu / $(getconf CLK_TCK))) s of CPU: the plug-in ended, GIMP saved the picture unchanged (pixel for pixel) and quit normally" \
                || bad "GIMP: cancelled run: plug-in ended: ${gone:-no}, gimp exit $RC, saved: $(ls "$out" 2>&1)"
        else kill -KILL "$PID" 2>/dev/null; finish; bad "GIMP: no Progress dialog or plug-in to cancel (window '${win}', plug-in '${plug}', exit $RC)"; fi
        kill "$XPID" 2>/dev/null; wait "$XPID" 2>/dev/null
    else skip "GIMP cancel: needs gimp, Xvfb and xdotool"; fi
else skip "GIMP: no gimp-console or no plug-in in $PLUG_DIR"; fi

# --- vips stylize killed while it iterates ------------------------------------
if vips -l 2>/dev/null | grep -q "VipsStylize"; then
    for sig in INT TERM; do
        mkdir "$T/vips$sig"
        "${DEFAULT_INT[@]}" vips stylize "$C" "$S" "$T/vips$sig/out.png" --size 256 --output-size 256 --iterations 200 --vips-progress >/dev/null 2>"$T/err" & PID=$!
        if wait_line "stylize: iteration 2/" 120; then
            kill -$sig "$PID"; finish
            [ "$RC" -ge 128 ] && [ -z "$(ls -A "$T/vips$sig")" ] \
                && ok "vips stylize killed by SIG$sig while iterating: exit $RC, no output file" \
                || bad "vips stylize killed by SIG$sig: exit $RC, left: $(ls -A "$T/vips$sig")"
        else kill -KILL "$PID" 2>/dev/null; finish; bad "vips stylize: never printed iteration 2 (exit $RC)"; fi
    done
else skip "vips stylize: the module is not installed"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
