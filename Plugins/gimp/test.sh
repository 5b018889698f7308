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

# The option table as the library reports it: the reference for the PDB
# descriptions and the dialog's ranges (one line per GIMP parameter:
# name, label, help, minimum, maximum, default).
cat >"$WORK/table.c" <<'EOF'
#include <stdio.h>
#include <stylize.h>
int main(void) {
    for (int i = 0; i < stylize_option_count(); i++) {
        const stylize_option_info *o = stylize_option_at(i);
        if (o->gimp)
            printf("%s\t%s\t%s\t%.17g\t%.17g\t%.17g\n", o->gimp, o->label, o->help,
                   o->minimum, o->maximum, o->default_value);
    }
    return 0;
}
EOF
if cc "$WORK/table.c" -I"$PREFIX/include" -L"$LIBDIR" -lstylize -Wl,-rpath,"$LIBDIR" -o "$WORK/table" \
   && "$WORK/table" >"$WORK/table.tsv" && [ -s "$WORK/table.tsv" ]; then :
else fail "option table" "could not list the library's option table"; fi
label() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$WORK/table.tsv"; }  # a parameter's dialog label

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
    "(do ((i 16 (+ i 1))) ((= i 18)) (let* ((a (gimp-procedural-db-proc-arg \"plug-in-stylize2\" i))) (gimp-message (string-append \"PDB-ARG \" (number->string i) \" \" (cadr a) \" \" (caddr a)))))" \
    "(let* ($load) (plug-in-stylize2 RUN-NONINTERACTIVE img drw \"$STYLE\" 5 32 1e-4 0 1.0 0 -1 1.0 1 \"\" 0.5 0 64 0) $(save out_full.png))" \
    "(do ((i 0 (+ i 1))) ((= i 16)) (let* ((a (gimp-procedural-db-proc-arg \"plug-in-stylize\" i))) (gimp-message (string-append \"PDB-ARG \" (number->string i) \" \" (cadr a) \" \" (caddr a)))))" \
    "(let* ($load) $P $(save out_rgb.png))" \
    "(let* ($load) (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 16 16 24 24) $P $(save out_sel.png))" \
    "(let* ($load) (gimp-layer-add-alpha drw) (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 0 0 24 64) (gimp-drawable-edit-clear drw) (gimp-selection-none img) $(save in_alpha.png) $P $(save out_alpha.png))" \
    "(let* ($load) (gimp-image-convert-grayscale img) (gimp-image-convert-precision img PRECISION-U16-GAMMA) $(save in_grey16.png) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 20 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0) $(save out_grey16.png))" \
    "(let* ($load) (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 12 12 40 40) (gimp-selection-feather img 6) $P $(save out_ellipse.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 1 1.0 0 -1 1.0 3 \"\" 0.5 0) $(save out_luminance.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 0.5 1 \"\" 0.5 0) $(save out_scale.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"$STYLE2\" 1.0 0) $(save out_blend1.png))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"$STYLE2\" 0.5 0) $(save out_blend5.png))" \
    "(let* ((s (car (gimp-file-load RUN-NONINTERACTIVE \"$STYLE\" \"$STYLE\")))) (gimp-xcf-save 0 s (car (gimp-image-get-active-drawable s)) \"$WORK/style.xcf\" \"style.xcf\"))" \
    "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$WORK/style.xcf\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0) $(save out_xcf.png))" \
    "(let* ((img (car (gimp-image-new 512 64 RGB))) (drw (car (gimp-layer-new img 512 64 RGB-IMAGE \"sky\" 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer img drw 0 0) (gimp-image-convert-precision img PRECISION-U16-GAMMA) (gimp-context-set-foreground '(40 70 160)) (gimp-context-set-background '(200 220 250)) (gimp-drawable-edit-gradient-fill drw GRADIENT-LINEAR 0 FALSE 1 0 FALSE 0 0 511 0) $(save in_sky16.png) (plug-in-stylize2 RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 1 \"\" 0.5 0 64 0) $(save out_sky16.png))" \
    "(let* ($load) (plug-in-stylize RUN-WITH-LAST-VALS img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0) $(save out_last.png))" \
    "(let* ($load (top (car (gimp-layer-new img 64 64 RGBA-IMAGE \"top\" 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer img top 0 0) (plug-in-stylize RUN-NONINTERACTIVE img drw \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0) (gimp-image-remove-layer img top) $(save out_lower.png))"
H="$WORK/headless"

if grep -q "PROC-BLURB .*style transfer.* NPARAMS 16" "$H.out" "$H.err"; then pass "procedure registered (blurb, 16 parameters)"
else fail "procedure registered" "no PDB entry; see $H.err"; fi

# The 16 positional parameters keep their order (Script-Fu callers), and the
# descriptions of those the table has carry its label, help, range and default.
order="$(grep -ho 'PDB-ARG [0-9]* [a-z0-9-]*' "$H.out" "$H.err" | awk '$2 < 16 { printf "%s ", $3 }')"
expected="run-mode image drawable style-file iterations size style-weight preserve-colors content-weight seed style-drawable style-scale scales style2-file style-blend max-memory "
[ "$order" = "$expected" ] && pass "16 PDB parameters in their order" || fail "PDB parameter order" "got '$order'"
pdb_desc() { grep -h "PDB-ARG [0-9]* $1 " "$H.out" "$H.err" | head -1 | sed "s/.*PDB-ARG [0-9]* $1 //"; }
missing=""
for name in iterations size style-weight preserve-colors content-weight seed style-scale scales output-size time-limit; do
    want="$(awk -F'\t' -v n="$name" '$1 == n { print $2 ": " $3 }' "$WORK/table.tsv")"
    desc="$(pdb_desc "$name")"
    [ -n "$want" ] && [ "${desc#"$want"}" != "$desc" ] || missing="$missing $name"
done
# Budget in MiB: the table's byte range divided by 1 MiB; the share: the table's label.
mem_range="$(awk -F'\t' '$1 == "max-memory" { printf "%d to %d MiB", $4 / 1048576, $5 / 1048576 }' "$WORK/table.tsv")"
case "$(pdb_desc max-memory)" in "$(label max-memory) in MiB: "*"$mem_range"*) ;; *) missing="$missing max-memory";; esac
case "$(pdb_desc style-blend)" in "$(label style-blend): "*) ;; *) missing="$missing style-blend";; esac
[ -z "$missing" ] && pass "PDB descriptions carry the table's label, help, range and default" \
    || fail "PDB descriptions" "not from the table:$missing (see $H.err)"

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
# A style file libvips cannot read (.xcf) goes through GIMP's loader: same pixels, same result.
if [ -s "$WORK/out_xcf.png" ] && [ "$(diff_pixels "$WORK/out_rgb.png" "$WORK/out_xcf.png")" = 0 ]; then
    pass "an .xcf style (GIMP's loader) gives the result of the same style as PNG (libvips)"
else fail "xcf style" "out_xcf.png missing or not equal to out_rgb.png (see $H.err)"; fi
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

# (The grey run takes 20 steps: 5 move too few grey levels of this image to count.)
if check_differs "grey 16-bit output differs from input" out_grey16.png "$WORK/in_grey16.png"; then
    depth="$(identify -format '%[channels] %z' "$WORK/out_grey16.png")"
    case "$depth" in gray*16) pass "grey 16-bit stays grey 16-bit ($depth)";; *) fail "grey 16-bit format" "output is '$depth'";; esac
fi
# High bit depth: a smooth 16-bit sky (512 px wide) keeps more than 256 levels
# per channel through the plug-in (float through the library), as 8-bit cannot.
if [ -s "$WORK/out_sky16.png" ]; then
    levels() { convert "$1" -alpha off -channel "$2" -separate -format '%k' info:; }
    in_r="$(levels "$WORK/in_sky16.png" R)"; out_r="$(levels "$WORK/out_sky16.png" R)"; out_b="$(levels "$WORK/out_sky16.png" B)"
    sky_n="$(diff_pixels "$WORK/in_sky16.png" "$WORK/out_sky16.png")"
    depth="$(identify -format '%z' "$WORK/out_sky16.png")"
    if [ "$depth" = 16 ] && [ "$in_r" -gt 256 ] && [ "$out_r" -gt 256 ] && [ "$out_b" -gt 256 ] && [ "${sky_n%.*}" -gt 1000 ] 2>/dev/null; then
        pass "16-bit gradient keeps $out_r red and $out_b blue levels (input $in_r; 8-bit has at most 256), $sky_n pixels changed"
    else fail "16-bit gradient" "depth $depth, levels red in $in_r out $out_r, blue out $out_b, $sky_n pixels changed"; fi
else fail "16-bit gradient" "no out_sky16.png written (see $H.err)"; fi
# plug-in-stylize2: the 16 parameters and output-size, time-limit (composed at 32 px, painted up to 64).
order2="$(grep -ho 'PDB-ARG 1[67] [a-z0-9-]*' "$H.out" "$H.err" | awk '{ printf "%s ", $3 }')"
if [ "$order2" = "output-size time-limit " ]; then pass "plug-in-stylize2 adds output-size and time-limit"
else fail "plug-in-stylize2 parameters" "got '$order2'"; fi
check_differs "plug-in-stylize2 at detail 32, final size 64" out_full.png "$CONTENT"
check_differs "RUN-WITH-LAST-VALS reuses the last settings" out_last.png "$CONTENT"
check_differs "a lower layer of a two-layer image" out_lower.png "$CONTENT"

# --- errors: each bad call fails with one message in the dialog's words ---
# Option errors name the option's dialog label (from the library's table)
# and the library's problem text; the plug-in itself checks no value.
echo "not an image" >"$WORK/not-an-image.jpg"
python3 - "$WORK/tall.png" <<'EOF'  # 1x20000 grey, refused by the image rule (ImageMagick's policy caps sides)
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
rows = b"\x00\x80" * 20000  # filter byte + one grey pixel per row
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 20000, 8, 0, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOF
head -c 20000 "$STYLE2" >"$WORK/truncated.jpg"                     # a JPEG cut short
call() { echo "(let* ($load) (plug-in-stylize RUN-NONINTERACTIVE img drw $1))"; }
gimp_batch errors \
    "$(call "\"$WORK/missing.jpg\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$WORK/not-an-image.jpg\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$STYLE\" 0 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 1")" \
    "$(call "\"$STYLE\" 5 64 1e308 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$STYLE\" 5 64 1e-4 0 1.0 0 -1 0.0 3 \"\" 0.5 0")" \
    "$(call "\"$STYLE\" 5 64 1e-4 7 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$WORK/tall.png\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$WORK/truncated.jpg\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")"
E="$WORK/errors.err"
# Script-Fu reports each as "batch command experienced an execution error:"
# followed by "Error: Procedure execution of plug-in-stylize failed: MESSAGE".
n_err="$(grep -c "batch command experienced an execution error" "$E")"
[ "$n_err" = 9 ] && pass "nine bad calls, nine execution errors" || fail "execution errors" "$n_err of 9 (see $E)"
failed_with() { # NAME REGEX: the plug-in's message matches
    if grep -qE "plug-in-stylize failed: $2" "$E"; then pass "$1"
    else fail "$1" "no execution error matching '$2' (see $E)"; fi
}
failed_with "bad style path: names the style image" "Style image '.*missing.jpg' does not exist"
failed_with "non-image style file: execution error" "Style image '.*not-an-image.jpg' could not be opened"
failed_with "iterations 0: named by its label" "$(label iterations): 0 is out of range \(1 to 1000000"
failed_with "memory budget 1 MiB: named by its label" "$(label max-memory): 1 MiB is out of range"
failed_with "style weight 1e308: named by its label" "$(label style-weight): 1e\+308 is out of range \(0 to 1000000\)"
failed_with "style scale 0: named by its label" "$(label style-scale): 0 is out of range \(> 0 and at most 8\)"
failed_with "preserve colors 7: named by its label" "$(label preserve-colors): 7 is not one of"
failed_with "1x20000 style: refused by the image rule" "Style image '.*tall.png': 1x20000 pixels is outside what Stylize takes"
failed_with "truncated JPEG style: an error" "Style image '.*truncated.jpg' could not be read: .*(truncated|Premature end)"
if grep "plug-in-stylize failed" "$E" | grep -qE "style-file|style-drawable|options->|styles\[|content->"; then
    fail "messages in the dialog's words" "$(grep "plug-in-stylize failed" "$E" | grep -E "style-file|style-drawable|options->|styles\[" | head -1)"
else pass "messages in the dialog's words (no parameter or C field names)"; fi
if grep -qiE "crashed|segmentation|wire read error" "$E"; then fail "no crash on errors" "$(grep -iE 'crashed|segmentation|wire' "$E" | head -1)"
else pass "no plug-in crash on bad input"; fi

# --- admission before decoding: bombs and a huge layer, timed per plug-in run ---
# 65-byte PNGs whose headers claim 60000x60000 and 16000x16000 pixels (the
# signature, IHDR, one empty IDAT, IEND, with correct CRCs).
python3 - "$WORK" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
for side in (60000, 16000):
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    open(f"{sys.argv[1]}/bomb{side}.png", "wb").write(png)
EOF
# GIMP alone peaks at a few hundred MB, which would hide the plug-in in
# gimp-console's numbers: a second profile runs the same plug-in under
# /usr/bin/time (a wrapper script is the plug-in), so each line of
# plugin-times.log is one plug-in process: wall seconds, peak RSS in KB, argv.
TIMED="$WORK/profile-timed"
for d in brushes dynamics fonts gradients palettes patterns tool-presets mypaint-brushes scripts templates plug-ins/stylize; do
    mkdir -p "$TIMED/$d"
done
printf '#!/bin/sh\nexec /usr/bin/time -a -o "%s" -f "%%e %%M %%C" "%s" "$@"\n' "$WORK/plugin-times.log" "$BIN" \
    >"$TIMED/plug-ins/stylize/stylize"
chmod 755 "$TIMED/plug-ins/stylize/stylize"
huge="(big (car (gimp-layer-new img 40000 40000 RGB-IMAGE \"huge\" 100 LAYER-MODE-NORMAL)))"
# 100 megapixels pass the image rule, but at detail size 0 the plan needs some 270 GiB.
large="(big (car (gimp-layer-new img 10000 10000 RGB-IMAGE \"large\" 100 LAYER-MODE-NORMAL)))"
timed_batch() { # LOGNAME SCHEME...: gimp-console's own wall time and peak RSS (children included) too
    local log="$1"; shift
    local args=()
    for b in "$@"; do args+=(-b "$b"); done
    GIMP2_DIRECTORY="$TIMED" /usr/bin/time -o "$WORK/$log.time" -f "%e %M" \
        timeout 300 gimp-console -i -d -f "${args[@]}" -b '(gimp-quit 0)' >"$WORK/$log.out" 2>"$WORK/$log.err"
}
timed_batch gimp-alone "(let* ($load) (gimp-image-delete img))"
: >"$WORK/plugin-times.log"
timed_batch bombs \
    "$(call "\"$WORK/bomb60000.png\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$WORK/bomb16000.png\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0")" \
    "$(call "\"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"$WORK/bomb16000.png\" 0.5 0")" \
    "(let* ($load $huge) (gimp-image-insert-layer img big 0 0) (plug-in-stylize RUN-NONINTERACTIVE img big \"$STYLE\" 5 64 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))" \
    "(let* ($load $large) (gimp-image-insert-layer img big 0 0) (plug-in-stylize RUN-NONINTERACTIVE img big \"$STYLE\" 5 0 1e-4 0 1.0 0 -1 1.0 3 \"\" 0.5 0))"
B="$WORK/bombs.err"
for case in "60000x60000 style:Style image '.*bomb60000.png': 60000x60000 pixels is outside" \
            "16000x16000 style:Style image '.*bomb16000.png': 16000x16000 pixels is outside" \
            "16000x16000 second style:Second style image '.*bomb16000.png': 16000x16000 pixels is outside" \
            "40000x40000 layer:Layer 'huge': 40000x40000 pixels is outside" \
            "10000x10000 layer at detail size 0:this run needs about .* of memory, but only .* can be had: lower $(label size) or set $(label max-memory)"; do
    if grep -qE "plug-in-stylize failed: ${case#*:}" "$B"; then pass "${case%%:*} refused on its size"
    else fail "${case%%:*} refused" "no execution error matching '${case#*:}' (see $B)"; fi
done
# Safety limits, not speed tests: each refusal under 2 s and 300 MB in the plug-in
# (the memory refusal opens the model, some 190 MB).
runs="$(grep -c -- ' -run ' "$WORK/plugin-times.log")"
slow="$(awk '/ -run / && ($1 >= 2.0 || $2 >= 300000) { print $1 " s " int($2 / 1024) " MB" }' "$WORK/plugin-times.log")"
worst="$(awk '/ -run / { if ($1 > t) t = $1; if ($2 > m) m = $2 } END { printf "%.2f s, %d MB", t, m / 1024 }' "$WORK/plugin-times.log")"
if [ "$runs" = 5 ] && [ -z "$slow" ]; then pass "5 refusals, each under 2 s and 300 MB in the plug-in (worst $worst)"
else fail "refusal cost" "$runs plug-in runs logged; over the limit: ${slow:-none} (see $WORK/plugin-times.log)"; fi
read -r alone_s alone_kb <"$WORK/gimp-alone.time"; read -r bombs_s bombs_kb <"$WORK/bombs.time"
note="gimp-console: ${bombs_s} s, $((bombs_kb / 1024)) MB with the 5 refusals; GIMP alone ${alone_s} s, $((alone_kb / 1024)) MB"
# The whole session, children included and nothing subtracted: far from the
# 13.5 GB a bomb used to take.
if awk -v s="$bombs_s" -v k="$bombs_kb" 'BEGIN { exit !(s < 120 && k < 1048576) }'; then pass "$note"
else fail "gimp-console session" "$note"; fi

# --- GUI: the dialog under Xvfb, with the last values remembered ---
DISP=":$(( 90 + RANDOM % 400 ))"
Xvfb "$DISP" -screen 0 1024x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
sleep 2
# Xvfb's pointer sits at the screen centre, where GTK centres the dialog: its
# tooltips would cover part of the screenshot, so this GTK session has none.
echo 'gtk-enable-tooltips = 0' >"$WORK/gtkrc"
# One GIMP session (the image is found again by each command: a cancelled
# dialog ends its batch command, so the saves after it are commands of their own):
#  1. a non-interactive run stores its values; the dialog opens with them (OK
#     sensitive: the style file is remembered) and OK (Alt+O) runs with them;
#  2. with a copy of the layer added below it, a second dialog: Reset (Alt+R)
#     clears the style, so OK is insensitive; Open layer (Alt+L) picks the
#     copy, never the layer being filtered, and OK becomes sensitive; the
#     preview runs in the background; Cancel (Escape) then leaves the layer's
#     pixels as they were.
# The dialog prints its ranges ($STYLIZE_GIMP_DIALOG_RANGES) and its state
# on each event ($STYLIZE_GIMP_DIALOG_STATE: OK sensitivity, the layers
# offered as styles, the preview line).
again="(img (vector-ref (cadr (gimp-image-list)) 0)) (drw (car (gimp-image-get-active-drawable img)))"
DISPLAY="$DISP" GTK2_RC_FILES="$WORK/gtkrc" STYLIZE_GIMP_DIALOG_RANGES=1 STYLIZE_GIMP_DIALOG_STATE=1 timeout 400 gimp-console -i -d -f \
    -b "(let* ($load) $P (plug-in-stylize RUN-INTERACTIVE img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0) $(save out_gui.png))" \
    -b "(let* ($again) (gimp-image-insert-layer img (car (gimp-layer-copy drw FALSE)) 0 1) (gimp-image-set-active-layer img drw) (gimp-message (string-append \"FILTERED-LAYER \" (number->string drw))) $(save before_preview.png))" \
    -b "(let* ($again) (plug-in-stylize RUN-INTERACTIVE img drw \"\" 0 0 0 0 0 0 0 0 0 \"\" 0 0))" \
    -b "(let* ($again) $(save after_preview.png))" \
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
wait_state() { # EVENT [SECONDS]: waits for the Nth such line (N = $3, default 1)
    for _ in $(seq 1 $((${2:-60} * 2))); do
        [ "$(grep -c "^DIALOG-STATE $1 " "$WORK/gui.err")" -ge "${3:-1}" ] && return 0
        kill -0 "$GUI_PID" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}
state() { # EVENT [N]: the Nth such line, or the last
    grep "^DIALOG-STATE $1 " "$WORK/gui.err" | if [ -n "${2:-}" ]; then sed -n "$2p"; else tail -n 1; fi
}
WID="$(find_dialog)"
if [ -n "$WID" ]; then
    sleep 2  # let GTK draw it
    DISPLAY="$DISP" import -window "$WID" "$ARTIFACTS/gimp-dialog.png" 2>/dev/null
    geom="$(DISPLAY="$DISP" xwininfo -id "$WID" | awk '/Width:/{w=$2} /Height:/{h=$2} END{print w"x"h}')"
    sd="$(convert "$ARTIFACTS/gimp-dialog.png" -format '%[fx:standard_deviation]' info: 2>/dev/null)"
    if [ -s "$ARTIFACTS/gimp-dialog.png" ] && [ "${sd:-0}" != 0 ]; then pass "interactive dialog opens ($geom; screenshot $ARTIFACTS/gimp-dialog.png)"
    else fail "dialog screenshot" "no or blank screenshot"; fi
    # The plug-in starts again with the OpenBLAS core that fits exactly when the stylize
    # tool does (stylize_blas_restart: OpenBLAS fell back to Prescott, nobody named a core).
    restarted="$("$PREFIX/bin/stylize" bench --sizes 32 --repeats 1 2>&1 | sed -n 's/.*(OPENBLAS_CORETYPE=\([A-Za-z0-9]*\) set by stylize.*/\1/p')"
    penv="$(tr '\0' '\n' < "/proc/$(DISPLAY="$DISP" xdotool getwindowpid "$WID" 2>/dev/null)/environ" 2>/dev/null)"
    got="$(echo "$penv" | sed -n 's/^OPENBLAS_CORETYPE=//p')/$(echo "$penv" | sed -n 's/^STYLIZE_OPENBLAS_FALLBACK=//p')"
    if [ -n "$restarted" ]; then want="$restarted/Prescott"; else want="${OPENBLAS_CORETYPE-}/${STYLIZE_OPENBLAS_FALLBACK-}"; fi
    if [ -n "$penv" ] && [ "$got" = "$want" ]; then pass "plug-in's OpenBLAS core as the tool's (OPENBLAS_CORETYPE/fallback: '$got')"
    else fail "plug-in's OpenBLAS restart" "OPENBLAS_CORETYPE/STYLIZE_OPENBLAS_FALLBACK '$got', want '$want'"; fi
    DISPLAY="$DISP" xdotool windowfocus --sync "$WID" key alt+o 2>/dev/null
    # The next plug-in process may get the same window id: wait for none first.
    for _ in $(seq 1 300); do
        DISPLAY="$DISP" xdotool search --name '^Neural Style Transfer$' >/dev/null 2>&1 || break
        sleep 0.5
    done
    WID2="$(find_dialog)"
    if [ -n "$WID2" ]; then
        wait_state open 30 2
        sleep 1
        DISPLAY="$DISP" xdotool windowfocus --sync "$WID2" key alt+r 2>/dev/null
        wait_state reset 10
        DISPLAY="$DISP" xdotool windowfocus --sync "$WID2" key alt+l 2>/dev/null
        wait_state style 10
        # The preview of the layer style, then Cancel.
        wait_state preview-done 240
        DISPLAY="$DISP" import -window "$WID2" "$ARTIFACTS/gimp-dialog-preview.png" 2>/dev/null
        DISPLAY="$DISP" xdotool windowfocus --sync "$WID2" key Escape 2>/dev/null
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
    case "$(state open 1)" in *" ok=1 "*) pass "OK is sensitive with a remembered style";;
        *) fail "OK with a style" "first dialog: $(state open 1)";; esac
    if [ -z "$WID2" ]; then fail "second dialog" "the second dialog did not open"
    else
        case "$(state reset)" in *" ok=0 "*) pass "Reset clears the style and OK turns insensitive";;
            *) fail "OK without a style" "after Reset: '$(state reset)' (see $WORK/gui.err)";; esac
        filtered="$(grep -ho 'FILTERED-LAYER [0-9]*' "$WORK/gui.out" "$WORK/gui.err" | head -1 | cut -d' ' -f2)"
        chosen="$(state style)"
        offered="$(echo "$chosen" | sed -n 's/.* offered=\([^ ]*\) .*/\1/p')"
        if [ -n "$filtered" ] && [ "$offered" != none ] && ! echo ",$offered," | grep -q ",$filtered,"; then
            case "$chosen" in *" ok=1 "*) pass "Open layer offers the copy ($offered), not the filtered layer ($filtered); OK turns sensitive";;
                *) fail "OK with a layer style" "'$chosen'";; esac
        else fail "layers offered" "filtered layer '$filtered', offered '$offered' (see $WORK/gui.err)"; fi
        done_line="$(state preview-done)"
        if [ -n "$done_line" ]; then pass "preview ran in the background: $(echo "$done_line" | sed 's/.*preview=\(Preview: [^(]*\).*/\1/')"
        else fail "preview" "no preview-done (see $WORK/gui.err)"; fi
        # Pixels, not file bytes: the image signature ImageMagick computes.
        if [ -s "$WORK/before_preview.png" ] && [ -s "$WORK/after_preview.png" ] \
           && [ "$(identify -format '%#' "$WORK/before_preview.png")" = "$(identify -format '%#' "$WORK/after_preview.png")" ]; then
            pass "a dialog session with the preview, cancelled, leaves the layer's pixels unchanged"
        else fail "preview leaves the image" "before_preview.png and after_preview.png missing or different"; fi
    fi
fi

# The dialog's ranges are the table's (the budget in MiB with 0 = none, the
# first style's share up to 1), and Reset shows the table's defaults. Style
# strength is a 0-100 slider: the weights its ends stand for lie in the
# table's range and Reset shows the table's default weight.
if grep -q "^DIALOG-RANGE open" "$WORK/gui.err"; then
    wrong="$(awk -F'\t' 'FNR == NR { lo[$1] = $4; hi[$1] = $5; def[$1] = $6; next }
        function same(a, b) { return (a == b) || (a - b < 1e-9 * (b < 0 ? -b : b) && b - a < 1e-9 * (b < 0 ? -b : b)) }
        $1 == "DIALOG-RANGE" {
            n = $3; wl = lo[n]; wh = hi[n]; wd = def[n]
            if (n == "max-memory") { wl = 0; wh = hi[n] / 1048576; wd = 0 }
            if (n == "style-blend") { wh = 1; wd = 0.5 }
            if ($2 == "open" && !(same($4, wl) && same($5, wh))) print n " range " $4 ".." $5 " (table " wl ".." wh ")"
            if ($2 == "reset" && !same($6, wd)) print n " default " $6 " (table " wd ")"
            seen[$2 " " n] = 1
        }
        $1 == "DIALOG-STRENGTH" {
            n = "style-weight"
            if ($2 == "open" && !($3 > lo[n] && $4 < hi[n] && $3 < def[n] && def[n] < $4)) print n " slider " $3 ".." $4 " (table " lo[n] ".." hi[n] ")"
            if ($2 == "reset" && !same($5, def[n])) print n " default " $5 " (table " def[n] ")"
            seen[$2 " " n] = 1
        }
        END { for (n in lo) if (n != "seed" && n != "preserve-colors" && !(("open " n) in seen && ("reset " n) in seen)) print n " not shown" }' \
        "$WORK/table.tsv" FS=' ' "$WORK/gui.err")"
    if [ -z "$wrong" ]; then pass "dialog ranges and Reset defaults equal the option table ($(grep -c '^DIALOG-RANGE open' "$WORK/gui.err") entries and the strength slider)"
    else fail "dialog ranges" "$(echo "$wrong" | tr '\n' ';')"; fi
else fail "dialog ranges" "the dialog printed no ranges (see $WORK/gui.err)"; fi

[ "$failed" -eq 0 ] || echo "work folder: $WORK"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
