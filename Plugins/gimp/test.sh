#!/usr/bin/env bash
# Tests of the GIMP plug-in, headless (gimp-console) and under Xvfb.
#
#   STYLIZE_MODEL=/path/vgg16.safetensors Plugins/gimp/test.sh PREFIX
#
# PREFIX holds the installed libstylize (see build.sh). The plug-in is built
# into a throwaway GIMP profile (GIMP2_DIRECTORY), runs on the repo's tiny
# example images at size 64 with a few iterations, and every GIMP run is under
# `timeout`. gimp-console exits 0 even when a plug-in fails, so the checks look
# at the files written and at stderr. The dialog screenshot is kept in
# $GIMP_TEST_ARTIFACTS (default: a temporary folder, printed at the end).
# Last line: "N passed, M failed"; the exit status is non-zero on any failure.
set -uo pipefail

PREFIX="${1:?usage: STYLIZE_MODEL=FILE test.sh PREFIX}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Only images the repo carries (examples/).
IMAGES="$(cd "$HERE/../.." && pwd)/examples"
CONTENT="$IMAGES/tiny_content_64.png"
STYLE="$IMAGES/tiny_style_64.png"
STYLE2="$IMAGES/style_great_wave_hokusai.jpg"
: "${STYLIZE_MODEL:?set STYLIZE_MODEL to the VGG model file}"
export STYLIZE_MODEL

WORK="$(mktemp -d /tmp/stylize-gimp-test.XXXXXX)"
ARTIFACTS="${GIMP_TEST_ARTIFACTS:-$WORK/artifacts}"
mkdir -p "$ARTIFACTS"
XVFB_PID=""
GUI_PID=""
cleanup() {
    [ -n "$GUI_PID" ] && kill "$GUI_PID" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    # Kept for a look after a failure, or when it holds the artifacts.
    if [ "$failed" -eq 0 ]; then case "$ARTIFACTS" in "$WORK"/*) ;; *) rm -rf "$WORK";; esac; fi
}
trap cleanup EXIT

passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# A throwaway profile with the plug-in in it; the folders silence first-run errors.
export GIMP2_DIRECTORY="$WORK/profile"
for d in brushes dynamics fonts gradients palettes patterns tool-presets mypaint-brushes scripts templates plug-ins/stylize; do
    mkdir -p "$GIMP2_DIRECTORY/$d"
done
if ! "$HERE/build.sh" "$PREFIX" "$GIMP2_DIRECTORY/plug-ins/stylize/stylize" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log"
    fail build "build.sh failed"
    echo "$passed passed, $failed failed"; exit 1
fi

# Thin: the engine comes from PREFIX's libstylize.so.1 (rpath), no copy inside,
# and no Swift runtime from the toolchain is needed.
BIN="$GIMP2_DIRECTORY/plug-ins/stylize/stylize"
LIBDIR="${STYLIZE_LIBDIR:-$(cd "$PREFIX" && pwd)/lib}"
resolved="$(ldd "$BIN" | awk '/libstylize.so.1/ {print $3}')"
if [ "$(readlink -f "$resolved")" = "$(readlink -f "$LIBDIR/libstylize.so.1")" ] \
   && ! nm "$BIN" 2>/dev/null | grep -qE ' T (stylize_with_model|stylize_options_init)$' \
   && ! ldd "$BIN" | grep -qE 'libswift|not found'; then pass "links $resolved, no engine copy, no toolchain runtime"
else fail "linking" "libstylize resolves to '$resolved'; see ldd $BIN"; fi

# gimp-console with Script-Fu batch commands; (gimp-quit 0) in its own -b.
gimp_batch() { # LOGNAME SCHEME...
    local log="$1"; shift
    local args=()
    for b in "$@"; do args+=(-b "$b"); done
    timeout 600 gimp-console -i -d -f "${args[@]}" -b '(gimp-quit 0)' >"$WORK/$log.out" 2>"$WORK/$log.err"
}

# Number of differing pixels (ImageMagick prints it on stderr).
diff_pixels() { compare -metric AE "$1" "$2" null: 2>&1 | sed 's/ .*//' ; }
P="(plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0)"
load="(img (car (gimp-file-load RUN-NONINTERACTIVE \"$CONTENT\" \"$CONTENT\"))) (drw (car (gimp-image-get-active-drawable img)))"
save() { echo "(gimp-file-save RUN-NONINTERACTIVE img drw \"$WORK/$1\" \"$1\")"; }

# --- headless: several cases in one GIMP session (start-up takes seconds) ---
gimp_batch headless \
    "(let* ((info (gimp-procedural-db-proc-info \"plug-in-stylize\"))) (gimp-message (string-append \"PROC-BLURB \" (car info) \" NPARAMS \" (number->string (nth 6 info)))))" \
    "(let* ($load) $P $(save out_rgb.png))" \
    "(let* ($load) (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 16 16 24 24) $P $(save out_sel.png))" \
    "(let* ($load) (gimp-layer-add-alpha drw) (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 0 0 24 64) (gimp-drawable-edit-clear drw) (gimp-selection-none img) $(save in_alpha.png) $P $(save out_alpha.png))" \
    "(let* ($load) (gimp-image-convert-grayscale img) (gimp-image-convert-precision img PRECISION-U16-GAMMA) $(save in_grey16.png) $P $(save out_grey16.png))" \
    "(let* ($load) (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 12 12 40 40) (gimp-selection-feather img 6) $P $(save out_ellipse.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 1 1.0 0 -1 1.0 3 \"\" 0.5 0) $(save out_luminance.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 0.5 1 \"\" 0.5 0) $(save out_scale.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"$STYLE2\" 1.0 0) $(save out_blend1.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"$STYLE2\" 0.5 0) $(save out_blend5.png))" \
    "(let* ($load) (plug-in-stylize RUN-WITH-LAST-VALS img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0) $(save out_last.png))" \
    "(let* ($load (top (car (gimp-layer-new img 64 64 RGBA-IMAGE \"top\" 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer img top 0 0) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0) (gimp-image-remove-layer img top) $(save out_lower.png))"
H="$WORK/headless"

if grep -q "PROC-BLURB .*style transfer.* NPARAMS 16" "$H.out" "$H.err"; then pass "procedure registered (blurb, 16 parameters)"
else fail "procedure registered" "no PDB entry; see $H.err"; fi

check_differs() { # NAME OUT IN
    if [ ! -s "$WORK/$2" ]; then fail "$1" "no $2 written (see $H.err)"; return 1; fi
    local n; n="$(diff_pixels "$3" "$WORK/$2")"
    if [ "${n%.*}" -gt 1000 ] 2>/dev/null; then pass "$1 ($n of 4096 pixels changed)"
    else fail "$1" "only '$n' pixels differ from the input"; return 1; fi
}
check_differs "RGB output differs from input" out_rgb.png "$CONTENT"
# A second style with blend 1 has no weight: the single-style pixels; blend 0.5 differs.
if [ -s "$WORK/out_blend1.png" ] && [ -s "$WORK/out_blend5.png" ] \
    && [ "$(diff_pixels "$WORK/out_rgb.png" "$WORK/out_blend1.png")" = 0 ] \
    && [ "$(diff_pixels "$WORK/out_rgb.png" "$WORK/out_blend5.png" | sed 's/\..*//')" -gt 1000 ] 2>/dev/null; then
    pass "second style: blend 1 equals one style, blend 0.5 differs"
else fail "second style" "out_blend1/out_blend5 missing or wrong (see $H.err)"; fi
# Style scale 0.5 with one scale: another result than the default run.
if [ -s "$WORK/out_scale.png" ] && [ "$(diff_pixels "$WORK/out_rgb.png" "$WORK/out_scale.png" | sed 's/\..*//')" -gt 1000 ] 2>/dev/null; then
    pass "style-scale 0.5 and scales 1 change the result"
else fail "style-scale and scales" "out_scale.png missing or equal to out_rgb.png (see $H.err)"; fi

# Selection: outside the 24x24 box at (16,16) identical, inside changed.
if [ -s "$WORK/out_sel.png" ]; then
    for f in "$CONTENT" "$WORK/out_sel.png"; do
        convert "$f" -alpha off -fill black -draw "rectangle 16,16 39,39" "$WORK/outside_$(basename "$f")"
        convert "$f" -alpha off -crop 24x24+16+16 +repage "$WORK/inside_$(basename "$f")"
    done
    out_n="$(diff_pixels "$WORK/outside_$(basename "$CONTENT")" "$WORK/outside_out_sel.png")"
    in_n="$(diff_pixels "$WORK/inside_$(basename "$CONTENT")" "$WORK/inside_out_sel.png")"
    if [ "$out_n" = 0 ] && [ "${in_n%.*}" -gt 100 ] 2>/dev/null; then pass "selection: outside untouched, $in_n of 576 inside changed"
    else fail "selection" "outside changed: $out_n px, inside changed: $in_n px"; fi
else fail "selection" "no out_sel.png written (see $H.err)"; fi

# Feathered ellipse (centre 32,32, radius 20, feather 6): the corner of its
# bounding box lies 8 px outside the ellipse and stays, the centre changes.
if [ -s "$WORK/out_ellipse.png" ]; then
    for box in corner:4x4+12+12 centre:8x8+28+28; do
        convert "$CONTENT" -alpha off -crop "${box#*:}" +repage "$WORK/${box%%:*}_in.png"
        convert "$WORK/out_ellipse.png" -alpha off -crop "${box#*:}" +repage "$WORK/${box%%:*}_out.png"
    done
    corner_n="$(diff_pixels "$WORK/corner_in.png" "$WORK/corner_out.png")"
    centre_n="$(diff_pixels "$WORK/centre_in.png" "$WORK/centre_out.png")"
    if [ "$corner_n" = 0 ] && [ "${centre_n%.*}" -gt 32 ] 2>/dev/null; then pass "feathered ellipse: box corner untouched, $centre_n of 64 centre pixels changed"
    else fail "feathered ellipse" "corner changed: $corner_n px, centre changed: $centre_n px"; fi
else fail "feathered ellipse" "no out_ellipse.png written (see $H.err)"; fi

# Preserve colours (luminance): the output's chroma (Lab a, b; L flattened)
# is closer to the content's than without it.
chroma_rmse() {
    convert "$1" -alpha off -colorspace Lab -channel R -evaluate set 50% +channel "$WORK/lab1.miff"
    convert "$2" -alpha off -colorspace Lab -channel R -evaluate set 50% +channel "$WORK/lab2.miff"
    compare -metric RMSE "$WORK/lab1.miff" "$WORK/lab2.miff" null: 2>&1 | sed 's/ .*//'
}
if [ -s "$WORK/out_luminance.png" ] && [ -s "$WORK/out_rgb.png" ]; then
    plain="$(chroma_rmse "$CONTENT" "$WORK/out_rgb.png")"; kept="$(chroma_rmse "$CONTENT" "$WORK/out_luminance.png")"
    if awk -v k="$kept" -v p="$plain" 'BEGIN { exit !(k < 0.5 * p) }'; then pass "preserve-colors 1: chroma RMSE to content $kept vs $plain without"
    else fail "preserve-colors 1" "chroma RMSE to content $kept, without $plain"; fi
else fail "preserve-colors 1" "no out_luminance.png written (see $H.err)"; fi

# Alpha: the transparent stripe and all alpha values survive; colours change.
if [ -s "$WORK/out_alpha.png" ] && [ -s "$WORK/in_alpha.png" ]; then
    convert "$WORK/in_alpha.png" -alpha extract "$WORK/a_in.png"
    convert "$WORK/out_alpha.png" -alpha extract "$WORK/a_out.png"
    a_n="$(diff_pixels "$WORK/a_in.png" "$WORK/a_out.png")"
    mean="$(convert "$WORK/a_in.png" -format '%[fx:mean]' info:)"
    has="$(identify -format '%A' "$WORK/out_alpha.png")"
    rgb_n="$(diff_pixels "$WORK/in_alpha.png" "$WORK/out_alpha.png")"
    if [ "$a_n" = 0 ] && [ "$has" != False ] && [ "${mean:0:2}" = 0. ] && [ "${rgb_n%.*}" -gt 500 ] 2>/dev/null; then
        pass "alpha survives (alpha mean $mean, $rgb_n pixels changed)"
    else fail "alpha" "alpha differs in $a_n px (channel '$has', input alpha mean $mean), $rgb_n px changed"; fi
else fail "alpha" "no out_alpha.png written (see $H.err)"; fi

if check_differs "grey 16-bit output differs from input" out_grey16.png "$WORK/in_grey16.png"; then
    depth="$(identify -format '%[channels] %z' "$WORK/out_grey16.png")"
    case "$depth" in gray*16) pass "grey 16-bit stays grey 16-bit ($depth)";; *) fail "grey 16-bit format" "output is '$depth'";; esac
fi
check_differs "RUN-WITH-LAST-VALS reuses the last settings" out_last.png "$CONTENT"
check_differs "a lower layer of a two-layer image" out_lower.png "$CONTENT"

# --- errors: a missing style file and a file that is not an image ---
echo "not an image" >"$WORK/not-an-image.jpg"
gimp_batch errors \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$WORK/missing.jpg\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$WORK/not-an-image.jpg\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 0 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 1))"
E="$WORK/errors.err"
# Script-Fu reports each as "batch command experienced an execution error:"
# followed by "Error: Procedure execution of plug-in-stylize failed: MESSAGE".
n_err="$(grep -c "batch command experienced an execution error" "$E")"
[ "$n_err" = 4 ] && pass "four bad calls, four execution errors" || fail "execution errors" "$n_err of 4 (see $E)"
if grep -q "plug-in-stylize failed: Style image '.*missing.jpg' does not exist" "$E"; then pass "bad style path: execution error naming the file"
else fail "bad style path" "no execution error naming missing.jpg on stderr (see $E)"; fi
if grep -q "plug-in-stylize failed: Could not open style image '.*not-an-image.jpg'" "$E"; then pass "non-image style file: execution error"
else fail "non-image style file" "no execution error naming not-an-image.jpg (see $E)"; fi
if grep -q "plug-in-stylize failed: iterations must be at least 1" "$E"; then pass "iterations 0: execution error"
else fail "iterations 0" "no execution error about iterations (see $E)"; fi
if grep -q "plug-in-stylize failed: .*max memory .* is too small" "$E"; then pass "max-memory 1 MiB: execution error naming the budget"
else fail "max-memory 1 MiB" "no execution error about the memory budget (see $E)"; fi
if grep -qiE "crashed|segmentation|wire read error" "$E"; then fail "no crash on errors" "$(grep -iE 'crashed|segmentation|wire' "$E" | head -1)"
else pass "no plug-in crash on bad input"; fi

# --- GUI: the dialog under Xvfb, with the last values remembered ---
DISP=":$(( 90 + RANDOM % 400 ))"
Xvfb "$DISP" -screen 0 1024x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
sleep 2
# Xvfb's pointer sits at the screen centre, where GTK centres the dialog: its
# tooltips would cover part of the screenshot, so this GTK session has none.
echo 'gtk-enable-tooltips = 0' >"$WORK/gtkrc"
# First a non-interactive run stores its values; the dialog must show them,
# and OK (Alt+O) runs with them. A second dialog gets Reset (Alt+R) then OK:
# the defaults have no style file, so that run must fail asking for one.
DISPLAY="$DISP" GTK2_RC_FILES="$WORK/gtkrc" timeout 300 gimp-console -i -d -f \
    -b "(let* ($load) $P (plug-in-stylize RUN-INTERACTIVE img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0) $(save out_gui.png) (plug-in-stylize RUN-INTERACTIVE img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0) $(save out_reset.png))" \
    -b '(gimp-quit 0)' >"$WORK/gui.out" 2>"$WORK/gui.err" &
GUI_PID=$!
find_dialog() { # waits for a window titled like the dialog
    local id
    for _ in $(seq 1 120); do
        id="$(DISPLAY="$DISP" xdotool search --name '^Neural Style Transfer$' 2>/dev/null | head -1)"
        [ -n "$id" ] && { echo "$id"; return 0; }
        kill -0 "$GUI_PID" 2>/dev/null || return 1
        sleep 1
    done
    return 1
}
WID="$(find_dialog)"
if [ -n "$WID" ]; then
    sleep 2  # let GTK draw it
    DISPLAY="$DISP" import -window "$WID" "$ARTIFACTS/gimp-dialog.png" 2>/dev/null
    geom="$(DISPLAY="$DISP" xwininfo -id "$WID" | awk '/Width:/{w=$2} /Height:/{h=$2} END{print w"x"h}')"
    sd="$(convert "$ARTIFACTS/gimp-dialog.png" -format '%[fx:standard_deviation]' info: 2>/dev/null)"
    if [ -s "$ARTIFACTS/gimp-dialog.png" ] && [ "${sd:-0}" != 0 ]; then pass "interactive dialog opens ($geom; screenshot $ARTIFACTS/gimp-dialog.png)"
    else fail "dialog screenshot" "no or blank screenshot"; fi
    DISPLAY="$DISP" xdotool windowfocus --sync "$WID" key alt+o 2>/dev/null
    # The next plug-in process may get the same window id: wait for none first.
    for _ in $(seq 1 300); do
        DISPLAY="$DISP" xdotool search --name '^Neural Style Transfer$' >/dev/null 2>&1 || break
        sleep 0.5
    done
    WID2="$(find_dialog)"
    if [ -n "$WID2" ]; then
        sleep 2
        DISPLAY="$DISP" xdotool windowfocus --sync "$WID2" key alt+r 2>/dev/null
        sleep 1
        DISPLAY="$DISP" import -window "$WID2" "$ARTIFACTS/gimp-dialog-reset.png" 2>/dev/null
        DISPLAY="$DISP" xdotool windowfocus --sync "$WID2" key alt+o 2>/dev/null
    else
        kill "$GUI_PID" 2>/dev/null  # a dialog nobody answers would wait for the timeout
    fi
else
    kill "$GUI_PID" 2>/dev/null
    fail "interactive dialog" "no window titled 'Neural Style Transfer' (see $WORK/gui.err)"
fi
wait "$GUI_PID"; GUI_PID=""
if [ -n "$WID" ]; then
    check_differs "dialog OK runs with the remembered values" out_gui.png "$CONTENT" || tail -5 "$WORK/gui.err"
    if [ -z "$WID2" ]; then fail "Reset" "the second dialog did not open"
    elif grep -q "plug-in-stylize failed: No style image" "$WORK/gui.err" && [ ! -e "$WORK/out_reset.png" ]; then
        pass "Reset restores the defaults (no style file)"
    else fail "Reset" "the run after Reset did not fail for lack of a style (see $WORK/gui.err)"; fi
fi

[ "$failed" -eq 0 ] || echo "work folder: $WORK"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
