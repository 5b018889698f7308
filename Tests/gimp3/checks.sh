#!/usr/bin/env bash
# The GIMP 3 checks, run by Tests/gimp3/run.sh where GIMP 3 is: inside the Debian 13 root (the
# repo at /src) on Debian 12, on the machine itself on Debian 13.
#
#   bash Tests/gimp3/checks.sh WORK
#
# WORK holds prefix/ (libstylize.so.1 + stylize.h as built on the host) and model.safetensors.
# Prints one "PASS name" or "FAIL name: why" line per check. gimp-console-3.0 exits 0 even
# when a batch command fails, so the checks read the files written and the messages.
set -uo pipefail
WORK="${1:?usage: checks.sh WORK}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
CONTENT="$REPO/Tests/fixtures/tiny_content_64.ppm"   # 64x64 RGB
STYLE="$REPO/Tests/fixtures/tiny_style_64.ppm"
export GIMP3_DIRECTORY="$WORK/profile" STYLIZE_MODEL="$WORK/model.safetensors"
BIN="$GIMP3_DIRECTORY/plug-ins/stylize/stylize"   # the executable's name is its folder's
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# --- build with the root's gcc and libgimp-3.0 against the host-built library ---
if Plugins/gimp3/build.sh "$WORK/prefix" "$BIN" >"$WORK/build.log" 2>&1 \
   && ! grep -q "warning:" "$WORK/build.log"; then pass "build.sh: gcc + pkg-config gimp-3.0 gimpui-3.0, no warnings"
else fail "build.sh" "$(tail -n 5 "$WORK/build.log")"; exit 0; fi
resolved="$(ldd "$BIN" | awk '/libstylize.so.1/ {print $3}')"
if [ "$resolved" = "$WORK/prefix/lib/libstylize.so.1" ] && ! ldd "$BIN" | grep -q "not found"; then
    pass "links the installed libstylize.so.1 (rpath), every library found on Debian 13"
else fail "linking" "libstylize resolves to '$resolved'; $(ldd "$BIN" | grep 'not found' | head -n 3)"; fi

# gimp-console-3.0 with Script-Fu batch commands (GIMP 3 needs a batch interpreter).
gimp3() { # LOG SCHEME...
    local log="$1"; shift
    local args=()
    for b in "$@"; do args+=(-b "$b"); done
    timeout 300 gimp-console-3.0 -i --batch-interpreter plug-in-script-fu-eval "${args[@]}" --quit \
        >"$WORK/$log.log" 2>&1
    echo "exit $?" >>"$WORK/$log.log"
}
LOAD="(img (car (gimp-file-load RUN-NONINTERACTIVE \"$CONTENT\"))) (drw (vector-ref (car (gimp-image-get-layers img)) 0))"
CALL="plug-in-stylize #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector drw) #:style-file \"$STYLE\" #:iterations 5 #:size 64"
crashed() { grep -qiE "crashed|segmentation|terminated|exit 1[23][0-9]" "$1"; }

# --- registration and a named-argument batch run on a rectangular selection ---
gimp3 batch \
    '(display (string-append "EXISTS " (number->string (car (gimp-pdb-procedure-exists "plug-in-stylize")))))' \
    "(let* ($LOAD) (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/in.ppm\" -1) (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 16 16 32 24) ($CALL #:preserve-colors \"none\" #:max-memory \"512M\") (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/out.ppm\" -1))"
B="$WORK/batch.log"
if grep -q "EXISTS 1" "$B" && ! grep -q "has no GIMP 3 argument" "$B"; then
    pass "registered: (gimp-pdb-procedure-exists \"plug-in-stylize\"), every table option declared"
else fail "registration" "$(grep -iE "EXISTS|error|argument" "$B" | head -n 5)"; fi
if [ -s "$WORK/out.ppm" ] && [ -s "$WORK/in.ppm" ] && ! crashed "$B"; then
    changed="$(compare -metric AE "$WORK/in.ppm" "$WORK/out.ppm" null: 2>&1 | sed 's/ .*//')"
    # The box around every changed pixel (ImageMagick's trim box of the difference).
    box="$(convert "$WORK/in.ppm" "$WORK/out.ppm" -compose difference -composite -threshold 0 -format '%@' info:)"
    if [[ "$box" =~ ^([0-9]+)x([0-9]+)\+([0-9]+)\+([0-9]+)$ ]] && [ "${changed:-0}" -gt 0 ] \
       && [ "${BASH_REMATCH[3]}" -ge 16 ] && [ "${BASH_REMATCH[4]}" -ge 16 ] \
       && [ $((BASH_REMATCH[3] + BASH_REMATCH[1])) -le 48 ] && [ $((BASH_REMATCH[4] + BASH_REMATCH[2])) -le 40 ]; then
        pass "batch run with named arguments: $changed pixels changed, all inside the 32x24+16+16 selection (box $box)"
    else fail "batch run" "changed $changed pixels in box '$box', selection is 32x24+16+16"; fi
else fail "batch run" "no output image; $(grep -iE "error" "$B" | head -n 3)"; fi

# --- high bit depth: a smooth 16-bit gradient keeps more than 256 levels (library 1.1) ---
# (optimised at 64 px and resampled to its 512 columns: #:output-size 64; refining up to 512 px adds time, not coverage)
if grep -q STYLIZE_FORMAT_F32 "$WORK/prefix/include/stylize.h"; then
    gimp3 deep "(let* ((img (car (gimp-image-new-with-precision 512 64 RGB PRECISION-U16-NON-LINEAR))) (drw (car (gimp-layer-new img \"g\" 512 64 RGB-IMAGE 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer img drw 0 0) (gimp-context-set-foreground '(0 0 0)) (gimp-context-set-background '(255 255 255)) (gimp-drawable-edit-gradient-fill drw GRADIENT-LINEAR 0 FALSE 1 0 FALSE 0 0 511 0) (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/deep-in.png\" -1) ($CALL #:output-size 64) (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/deep-out.png\" -1))"
    levels_in="$(convert "$WORK/deep-in.png" -channel R -separate -format '%k' info: 2>/dev/null)"
    levels="$(convert "$WORK/deep-out.png" -channel R -separate -format '%k' info: 2>/dev/null)"
    depth="$(identify -format '%z' "$WORK/deep-out.png" 2>/dev/null)"
    if [ "${depth:-0}" = 16 ] && [ "${levels:-0}" -gt 256 ] && ! cmp -s "$WORK/deep-in.png" "$WORK/deep-out.png"; then
        pass "16-bit gradient stylized as float: $levels red levels (input $levels_in), 16-bit PNG"
    else fail "16-bit gradient" "depth '$depth', $levels red levels (input $levels_in); $(grep -iE "error" "$WORK/deep.log" | head -n 3)"; fi
else echo "SKIP 16-bit gradient: the library's stylize.h has no STYLIZE_FORMAT_F32 (1.0)"; fi

# --- a bad value: a clear message naming the option, no crash ---
bad() { # NAME EXPECTED-MESSAGE EXTRA-ARGUMENTS
    gimp3 "bad-$1" "(let* ($LOAD) ($CALL $3))"
    local log="$WORK/bad-$1.log"
    if grep -qF "$2" "$log" && grep -q "execution error" "$log" && ! crashed "$log"; then pass "bad $1: '$2'"
    else fail "bad $1" "expected '$2'; got: $(grep -iE "error" "$log" | head -n 3)"; fi
}
bad style-scale "Style scale: 0 is out of range" '#:style-scale 0.0'
bad max-memory "Memory budget: 'lots' is not a size" '#:max-memory "lots"'
bad style-drawable "The style layer is the layer being stylized" '#:style-drawable drw'

# --- the dialog under Xvfb: OK only with a style; a screenshot ---
# A free display number (chosen by Xvfb: a chroot shares the host's abstract X sockets).
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$WORK/display" >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null' EXIT
for i in $(seq 1 20); do [ -s "$WORK/display" ] && break; sleep 0.5; done
export DISPLAY=":$(cat "$WORK/display")"
window() { xwininfo -root -tree 2>/dev/null | awk '/"Neural Style Transfer"/ {print $1; exit}'; }
dialog() { # LOG EXTRA-ARGUMENTS [SCREENSHOT]: opens the dialog, waits for it, closes GIMP
    # (LOAD_WITH: another content file; WAIT: a state line to wait for, up to 120 s, before the screenshot)
    local load="${LOAD_WITH:+(img (car (gimp-file-load RUN-NONINTERACTIVE \"$LOAD_WITH\"))) (drw (vector-ref (car (gimp-image-get-layers img)) 0))}"
    STYLIZE_GIMP3_DIALOG_STATE="${STATE:-1}" timeout 240 gimp-console-3.0 -i --batch-interpreter plug-in-script-fu-eval \
        -b "(let* (${load:-$LOAD}) (plug-in-stylize #:run-mode RUN-INTERACTIVE #:image img #:drawables (vector drw) $2))" \
        --quit >"$WORK/$1.log" 2>&1 &
    local gimp=$! id="" i
    for i in $(seq 1 120); do
        id="$(window)"
        [ -n "$id" ] && break
        sleep 0.5
    done
    for i in $(seq 1 240); do [ -z "${WAIT:-}" ] || grep -q "${WAIT:-}" "$WORK/$1.log" && break; sleep 0.5; done
    sleep 2  # drawn
    [ -n "$id" ] && [ -n "${3:-}" ] && timeout 30 import -window "$id" "$3"
    kill "$gimp" 2>/dev/null; wait "$gimp" 2>/dev/null
    # The plug-in ends after GIMP: wait for its window to go (the next dialog is a new one).
    for i in $(seq 1 40); do [ -z "$(window)" ] && break; sleep 0.5; done
    [ -n "$id" ]
}
# (STATE=help: the plug-in clicks its own Help button once the dialog is up.)
if STATE=help dialog dialog-empty ""; then
    if grep -q "ok-sensitive=0" "$WORK/dialog-empty.log" && ! grep -q "ok-sensitive=1" "$WORK/dialog-empty.log"; then
        pass "dialog without a style: OK disabled"
    else fail "dialog OK" "no style but $(grep -o 'ok-sensitive=.' "$WORK/dialog-empty.log" | sort -u | tr '\n' ' ')"; fi
    if grep -q "help=file://.*/plug-ins/stylize/help/index.html exists=1" "$WORK/dialog-empty.log"; then
        pass "Help opens the plug-in's own page (installed beside it), not GIMP's manual"
    else fail "Help" "$(grep -E 'help=|manual' "$WORK/dialog-empty.log" | head -n 2)"; fi
else fail "dialog" "no 'Neural Style Transfer' window in 60 s; $(tail -n 3 "$WORK/dialog-empty.log")"; fi
# A photo, its preview painted before the screenshot (style scale 3: the 512 px photo's preview
# shows a 200 px region, so its strokes are 3 x 512 / 200 times the region; 20 steps show them).
if LOAD_WITH="$REPO/examples/content_chelsea_cat.jpg" WAIT="preview-done=" dialog dialog-style \
       "#:style-file \"$REPO/examples/style_great_wave_hokusai.jpg\" #:style-scale 3.0" "$WORK/dialog.png" \
   && grep -q "ok-sensitive=1" "$WORK/dialog-style.log" \
   && [ "$(identify -format '%w' "$WORK/dialog.png" 2>/dev/null || echo 0)" -ge 200 ]; then
    pass "dialog with a style: OK enabled, screenshot $(identify -format '%wx%h' "$WORK/dialog.png")"
else fail "dialog screenshot" "$(grep -o 'ok-sensitive=.' "$WORK/dialog-style.log" | sort -u | tr '\n' ' ')"; fi
# The preview runs on the worker: the main loop ticks (progress lines) between its start and its
# result, and it ends painted, with its cost; the estimate line follows the settings.
L="$WORK/dialog-style.log"
order="$(grep -oE 'stylize-dialog: preview-(started|progress|done)' "$L" | sed 's/.*preview-//' | uniq | tr '\n' ' ')"
if [[ "$order" =~ started\ progress\ done ]] && grep -q "preview-painted=" "$L"; then
    pass "preview in the background: $(grep -o 'preview-started .*' "$L" | head -n 1); $(grep -c 'preview-progress=' "$L") main-loop ticks while it ran; $(grep -o 'preview-done=.*' "$L" | head -n 1); painted $(grep -o 'preview-painted=.*' "$L" | head -n 1 | cut -d= -f2-)"
else fail "preview" "events '$order'; $(grep -E 'preview-failed|error' "$L" | head -n 2)"; fi
if grep -q "estimate=The filter will take about .* of memory" "$L" && grep -q "estimate=Choose a style image" "$WORK/dialog-empty.log"; then
    pass "estimate line: '$(grep -o 'estimate=.*' "$L" | tail -n 1 | cut -d= -f2-)' (without a style: asks for one)"
else fail "estimate line" "$(grep -o 'estimate=.*' "$L" "$WORK/dialog-empty.log" | sort -u | head -n 3)"; fi
# Cancel (Escape) after the preview painted: the image is as loaded (checksum of the saved file).
STYLIZE_GIMP3_DIALOG_STATE=1 timeout 300 gimp-console-3.0 -i --batch-interpreter plug-in-script-fu-eval \
    -b "(let* ($LOAD) (plug-in-stylize #:run-mode RUN-INTERACTIVE #:image img #:drawables (vector drw) #:style-file \"$REPO/examples/tiny_style_64.png\"))" \
    -b "(gimp-file-save RUN-NONINTERACTIVE (vector-ref (car (gimp-get-images)) 0) \"$WORK/cancelled.ppm\" -1)" \
    --quit >"$WORK/dialog-cancel.log" 2>&1 &
gimp=$!
for i in $(seq 1 120); do id="$(window)"; [ -n "$id" ] && break; sleep 0.5; done
for i in $(seq 1 240); do grep -q "preview-done=" "$WORK/dialog-cancel.log" && break; sleep 0.5; done
[ -n "$id" ] && xdotool windowfocus --sync "$id" key Escape 2>>"$WORK/dialog-cancel.log"
wait "$gimp"
if grep -q "preview-done=" "$WORK/dialog-cancel.log" && [ -s "$WORK/cancelled.ppm" ] \
   && [ "$(md5sum <"$WORK/cancelled.ppm")" = "$(md5sum <"$WORK/in.ppm")" ]; then
    pass "cancelled after the preview painted: image unchanged (md5 $(md5sum <"$WORK/in.ppm" | cut -c1-12))"
else fail "cancel with preview" "$(grep -cE 'preview-done=' "$WORK/dialog-cancel.log") previews done; $(grep -iE 'error|crash' "$WORK/dialog-cancel.log" | head -n 3)"; fi
# OK pressed (Return): the run uses the dialog's values, and GIMP keeps them as the last
# values, which a RUN-WITH-LAST-VALS call without any argument then uses.
STYLIZE_GIMP3_DIALOG_STATE=1 timeout 300 gimp-console-3.0 -i --batch-interpreter plug-in-script-fu-eval \
    -b "(let* ($LOAD) (plug-in-stylize #:run-mode RUN-INTERACTIVE #:image img #:drawables (vector drw) #:style-file \"$STYLE\" #:iterations 3 #:size 32) (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/ok.ppm\" -1))" \
    -b "(let* ($LOAD) (plug-in-stylize #:run-mode RUN-WITH-LAST-VALS #:image img #:drawables (vector drw)) (gimp-file-save RUN-NONINTERACTIVE img \"$WORK/last.ppm\" -1))" \
    --quit >"$WORK/dialog-ok.log" 2>&1 &
gimp=$!
for i in $(seq 1 120); do id="$(window)"; [ -n "$id" ] && break; sleep 0.5; done
sleep 1
[ -n "$id" ] && xdotool windowfocus --sync "$id" key Return 2>>"$WORK/dialog-ok.log"
wait "$gimp"
if [ -s "$WORK/ok.ppm" ] && [ -s "$WORK/last.ppm" ] && cmp -s "$WORK/ok.ppm" "$WORK/last.ppm" \
   && ! cmp -s "$WORK/in.ppm" "$WORK/ok.ppm"; then
    pass "dialog OK runs the filter; RUN-WITH-LAST-VALS repeats it from the kept values (same pixels)"
else fail "dialog OK / last values" "$(grep -iE "error|No style" "$WORK/dialog-ok.log" | head -n 3)"; fi
