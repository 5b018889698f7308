# Sourced by run.sh: regression tests of issue 12's findings over the bad-input
# corpus (make_corpus.py) through the CLI and the C ABI.
W="$TMP/corpus"; K="$W/files"
mkdir -p "$W/run"
python3 "$HERE/make_corpus.py" "$K" >/dev/null || bad "make_corpus.py failed"
FAST=(--iterations 1 --size 32)

# cli NAME ARGS...: runs the CLI in $W/run, figures of /usr/bin/time in $W/NAME.time
# ("seconds peak-KiB"), stderr in $W/NAME.err; sets RC.
cli() {
    local name="$1"; shift
    (cd "$W/run" && /usr/bin/time -o "$W/$name.time" -f "%e %M" timeout 120 "$BIN" "$@" >"$W/$name.out" 2>"$W/$name.err")
    RC=$?
}
err_lines() { wc -l <"$W/$1.err"; }
# one_line NAME RC TEXT...: exit status RC, and stderr, less the plan and progress
# lines, is exactly one line "stylize: ..." containing each TEXT (no library
# warnings around it).
one_line() {
    local name="$1" rc="$2"; shift 2
    grep -vE '^(estimated peak memory|iteration [0-9]+/)' "$W/$name.err" >"$W/$name.msg"
    [ "$RC" = "$rc" ] && [ "$(wc -l <"$W/$name.msg")" = 1 ] && grep -q '^stylize: ' "$W/$name.msg" || return 1
    local t; for t in "$@"; do grep -qF -- "$t" "$W/$name.msg" || return 1; done
}
# no_work NAME: nothing was planned, decoded or optimised (no plan or progress line).
no_work() { ! grep -qE 'estimated peak|iteration [0-9]' "$W/$1.err"; }
show() { sed 's/^/     | /' "$W/$1.err" | head -n 5; }

# --- decompression bombs as content, style, mask and init image ------------------------
for bomb in bomb_60000.png bomb_16000.png; do
    for role in content style mask init; do
        case $role in
            content) args=("$K/$bomb" "$STYLE");;
            style) args=("$CONTENT" "$K/$bomb");;
            mask) args=("$CONTENT" "$STYLE" --mask "$K/$bomb");;
            init) args=("$CONTENT" "$STYLE" --init-image "$K/$bomb");;
        esac
        name="bomb-${bomb%.png}-$role" fig=""
        # Safety limits, not a speed test: on a busy shared machine a time over
        # the bound is measured once more, and both figures are printed.
        for try in 1 2; do
            cli "$name" "${args[@]}" -o out.png "${FAST[@]}"
            # /usr/bin/time writes "Command exited with non-zero status N" first.
            read -r secs kib < <(tail -n 1 "$W/$name.time" 2>/dev/null)
            case "$secs $kib" in *[!0-9.\ ]*|" "*|*" ") secs=99; kib=0;; esac
            fig="$fig${fig:+; again: }$secs s, $((${kib:-0} / 1024)) MB peak RSS"
            awk -v s="$secs" 'BEGIN { exit !(s >= 2) }' || break
        done
        if one_line "$name" 1 "$bomb" && awk -v s="$secs" -v k="$kib" 'BEGIN { exit !(s < 2 && k < 300 * 1024) }' \
           && [ ! -e "$W/run/out.png" ]; then
            ok "$bomb as $role: refused in $fig: $(cat "$W/$name.msg")"
        else bad "$bomb as $role: exit $RC in $fig (want exit 1, < 2 s, < 300 MB, one line naming the file)"; show "$name"; fi
        rm -f "$W/run/out.png"
    done
done

# --- truncated, empty, text and out-of-rule images -------------------------------------
for f in truncated.jpg truncated.png empty.png text.png one_by_one.png tall_1x20000.png; do
    for role in content style; do
        name="bad-$f-$role"
        if [ $role = content ]; then cli "$name" "$K/$f" "$STYLE" -o out.png "${FAST[@]}"
        else cli "$name" "$CONTENT" "$K/$f" -o out.png "${FAST[@]}"; fi
        if one_line "$name" 1 "$f" && [ ! -e "$W/run/out.png" ]; then ok "$f as $role: an error naming the file: $(cat "$W/$name.msg")"
        # (Finding of this test's first run: libvips' "VIPS-WARNING ... error in
        # tile" lines came before the CLI's one line for truncated files.)
        else bad "$f as $role: exit $RC, want exit 1 and one line naming $f (no library warnings), no output"; show "$name"; fi
        rm -f "$W/run/out.png"
    done
done

# --- no written path may be an input -----------------------------------------------------
# Inputs are copies named ROLE-1.png (the model too: a model file may have any
# name), so that a snapshot of -o ROLE.png with --save-every 1 is ROLE-1.png.
# Each written path is spelt plainly, with ./, with sub/.., and through a
# symlinked folder; the input must be byte-identical afterwards.
P="$W/paths"; mkdir -p "$P/sub"; ln -s . "$P/ldir"
cp "$CONTENT" "$P/content-1.png"; cp "$STYLE" "$P/style-1.png"; cp "$CONTENT" "$P/mask-1.png"
cp "$STYLE" "$P/init-1.png"; cp "$STYLIZE_MODEL" "$P/model-1.png"
for f in "$P"/*-1.png; do cp "$f" "$f.orig"; done
INPUTS=(content-1.png style-1.png --mask mask-1.png --init-image init-1.png --model model-1.png)
for written in output log snapshot; do
    for role in content style mask init model; do
        for spell in "" "./" "sub/../" "ldir/"; do
            case $written in
                output) w=(-o "${spell}$role-1.png");;
                log) w=(-o out.png --log "${spell}$role-1.png");;
                snapshot) w=(-o "${spell}$role.png" --save-every 1 --iterations 2);;
            esac
            name="path-$written-$role-${spell//\//_}"
            (cd "$P" && timeout 120 "$BIN" "${INPUTS[@]}" --size 32 "${w[@]}" >"$W/$name.out" 2>"$W/$name.err"); RC=$?
            left="$(cd "$P" && ls | grep -vE '^(sub|ldir|.*-1\.png|.*\.orig)$' | tr '\n' ' ')"
            if one_line "$name" 1 "$role-1.png" && no_work "$name" && cmp -s "$P/$role-1.png" "$P/$role-1.png.orig" && [ -z "$left" ]; then
                ok "$written '${spell}$role…' = the $role input: refused before work"
            else bad "$written ${w[*]} = the $role input: exit $RC, input $(cmp -s "$P/$role-1.png" "$P/$role-1.png.orig" && echo unchanged || echo CHANGED), files left: '$left'"; show "$name"; fi
            for f in "$P"/*-1.png; do cp "$f.orig" "$f"; done
            (cd "$P" && rm -f out.png ./*.json)
        done
    done
done
# The input through a symlink, the written path plain.
ln -s content-1.png "$P/link.png"
name=path-input-symlink
(cd "$P" && timeout 120 "$BIN" link.png style-1.png -o content-1.png "${FAST[@]}" >"$W/$name.out" 2>"$W/$name.err"); RC=$?
if one_line "$name" 1 && no_work "$name" && cmp -s "$P/content-1.png" "$P/content-1.png.orig"; then ok "-o the target of the content's symlink: refused before work"
else bad "-o the target of the content's symlink: exit $RC"; show "$name"; fi

# --- output names and folders, checked before work -------------------------------------
cli out-xyz "$CONTENT" "$STYLE" -o out.xyz "${FAST[@]}"
if one_line out-xyz 1 out.xyz && no_work out-xyz && ! grep -q tmp "$W/out-xyz.err" && [ -z "$(ls "$W/run")" ]; then
    ok "-o out.xyz: refused before work naming out.xyz: $(cat "$W/out-xyz.err")"
else bad "-o out.xyz: exit $RC, want one line naming out.xyz (no temp name), nothing written"; show out-xyz; fi

cli out-q "$CONTENT" "$STYLE" -o 'q.jpg[Q=95]' "${FAST[@]}"
left="$(ls "$W/run" | tr '\n' ' ')"
if [ "$RC" = 0 ] && [ "$left" = "q.jpg " ] && [ "$(head -c 3 "$W/run/q.jpg" | od -An -tx1 | tr -d ' ')" = ffd8ff ]; then
    ok "-o 'q.jpg[Q=95]': a JPEG q.jpg, no temp file left"
else bad "-o 'q.jpg[Q=95]': exit $RC, files '$left'"; show out-q; fi
rm -f "$W/run/"*

cli log-missing "$CONTENT" "$STYLE" -o out.png --log missing/log.json "${FAST[@]}"
if one_line log-missing 1 missing && no_work log-missing && [ -z "$(ls "$W/run")" ]; then ok "--log into a missing folder: refused before work, no -o file"
else bad "--log missing/log.json: exit $RC, files '$(ls "$W/run" | tr '\n' ' ')'"; show log-missing; fi
rm -rf "${W:?}/run/"*

# (Finding of this test's first run: as root /proc is "writable" to the
# folder check, so the run went on and failed only when saving.)
cli proc-out "$CONTENT" "$STYLE" -o /proc/out.png "${FAST[@]}"
if one_line proc-out 1 /proc/out.png && no_work proc-out; then ok "-o /proc/out.png: refused before work: $(cat "$W/proc-out.err")"
else bad "-o /proc/out.png: exit $RC, want a refusal before work (CLI: the folder check passes /proc)"; show proc-out; fi

# --- the error format ---------------------------------------------------------------------
# usage NAME FLAGTEXT ARGS...: exit 2, one line naming FLAGTEXT, pointer to `stylize help`.
usage() {
    local name="$1" text="$2"; shift 2
    cli "$name" "$@"
    local shown="$*"; shown="${shown//$CONTENT/content.png}"; shown="stylize ${shown//$STYLE/style.png}"
    if one_line "$name" 2 "$text" "(see 'stylize help " && ! grep -q "Missing value" "$W/$name.err"; then
        ok "$shown: $(cat "$W/$name.err")"
    else bad "$shown: exit $RC, want exit 2 and one line naming '$text' with (see 'stylize help ...')"; show "$name"; fi
}
# Out of range, NaN and the extreme values of the issue (exit 0 with garbage before).
usage lr-1e30 --learning-rate "$CONTENT" "$STYLE" -o out.png --optimizer adam --learning-rate 1e30
usage sw-1e308 --style-weight "$CONTENT" "$STYLE" -o out.png --style-weight 1e308
usage cw-1e308 --content-weight "$CONTENT" "$STYLE" -o out.png --content-weight 1e308
usage it-big "out of range" "$CONTENT" "$STYLE" -o out.png --iterations 1000001
usage tv-nan --tv-weight "$CONTENT" "$STYLE" -o out.png --tv-weight nan
# Negative numbers are numbers, with their range message (not "Missing value").
# (Finding of this test's first run: --seed -1 said "Missing value for '--seed <seed>'".)
for flag in size iterations content-weight style-weight tv-weight learning-rate style-scale scales seed save-every print-every; do
    usage "neg-$flag" "--$flag: -1 is out of range" "$CONTENT" "$STYLE" -o out.png "--$flag" -1
done
usage layers-empty --style-layers "$CONTENT" "$STYLE" -o out.png --style-layers ',,,'
usage unknown-flag --bogus "$CONTENT" "$STYLE" -o out.png --bogus
usage no-output "-o" "$CONTENT" "$STYLE"
usage no-style "style" "$CONTENT" -o out.png
usage bench-flag "stylize help bench" bench --bogus
# bench --sizes 48,abc used to drop "abc" and measure 48 alone.
cli bench-abc bench --sizes 48,abc --repeats 1
if [ "$RC" -ne 0 ] && [ "$RC" -lt 124 ] && [ "$(err_lines bench-abc)" = 1 ] && grep -q abc "$W/bench-abc.err" && ! grep -q '^| 48' "$W/bench-abc.out"; then
    ok "bench --sizes 48,abc: refused naming abc: $(cat "$W/bench-abc.err")"
else bad "bench --sizes 48,abc: exit $RC, want a one-line refusal naming abc (CLI bug: Bench.swift drops it)"; show bench-abc; fi
[ -z "$(ls "$W/run")" ] && ok "no usage error wrote a file" || bad "usage errors left files: $(ls "$W/run" | tr '\n' ' ')"

# jcjohnson/neural-style's spellings.
cli neural "$CONTENT" "$STYLE" -o ns.png --image-size 32 --num-iterations 1 --init random --original-colors 1
if [ "$RC" = 0 ] && [ -s "$W/run/ns.png" ]; then ok "--image-size 32 --num-iterations 1 --init random --original-colors 1 work"
else bad "neural-style spellings: exit $RC"; show neural; fi
rm -f "$W/run/"*

# A run too large for RLIMIT_AS: the memory message, not an abort.
(cd "$W/run" && ulimit -v 1500000 && timeout 120 "$BIN" "$REPO/examples/content_chelsea_cat.jpg" "$STYLE" -o big.png --size 2048 --iterations 1 \
    >"$W/rlimit.out" 2>"$W/rlimit.err"); RC=$?
if one_line rlimit 1 "memory" && no_work rlimit && [ ! -e "$W/run/big.png" ]; then ok "CLI under ulimit -v 1.5 GB, --size 2048: $(cat "$W/rlimit.err")"
else bad "CLI under ulimit -v: exit $RC (134 = abort)"; show rlimit; fi

# --- C ABI: the bombs' sizes, and a run too large for RLIMIT_AS ---------------------------
for size in "60000 60000" "16000 16000" "1 1" "1 20000"; do
    for role in content style; do
        start=$(date +%s%N)
        # shellcheck disable=SC2086
        line="$("$OPTIONS" sizes $size $role 2>&1)"; rc=$?
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        if [ "$rc" = 1 ] && [ "${line%%:*}" = image ] && [ "$ms" -lt 2000 ]; then
            ok "stylize_check of a ${size/ /x} $role: STYLIZE_ERROR_INVALID_ARGUMENT in $ms ms"
        else bad "stylize_check of a ${size/ /x} $role: '$line' (exit $rc) in $ms ms"; fi
    done
done
line="$(ulimit -v 1000000 && "$OPTIONS" run 2000 2000 0 2>&1)"; rc=$?
if [ "$rc" = 1 ] && [ "${line%%:*}" = memory ]; then ok "stylize() of 2000x2000 at full size under ulimit -v 1 GB: STYLIZE_ERROR_OUT_OF_MEMORY"
else bad "stylize() under ulimit -v 1 GB: '$line' (exit $rc; 134 = abort)"; fi
