#!/usr/bin/env bash
# Tests of the vips operation `stylize` with the real model.
#
#   STYLIZE_MODEL=/path/vgg16.safetensors Plugins/vips/test.sh PREFIX
#
# PREFIX is where build.sh installed libstylize; the module is taken from
# $VIPS_MODULE_DIR (default PREFIX/lib/vips-modules-8.14), unless vips already
# auto-loads one. pyvips is the system python3's if it imports, else it is
# installed with pip into a throwaway venv.
# Prints one line per check and a final line "N passed, M failed".
set -uo pipefail

PREFIX="${1:?usage: test.sh PREFIX}"
MODULE="${VIPS_MODULE_DIR:-$PREFIX/lib/vips-modules-8.14}/vips-stylize.so"
# Only images the repo carries (examples/: tiny_*_64.png, the cat photo, the Great Wave).
IMAGES="$(cd "$(dirname "$0")/../.." && pwd)/examples"
: "${STYLIZE_MODEL:?set STYLIZE_MODEL to the model file}"
export STYLIZE_MODEL
unset VIPS_PROGRESS

T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -f "$T/err" ] && sed 's/^/     | /' "$T/err" | tail -n 5; }

# An auto-loaded module (system install) must not be loaded a second time.
if vips -l 2>/dev/null | grep -q "stylize"; then
    PLUGIN=()
    MODULE_FOR_PY=""
    MODULE="$(pkg-config --variable=libdir vips)/vips-modules-8.14/vips-stylize.so"
    echo "note: vips auto-loads stylize; testing that one"
else
    [ -f "$MODULE" ] || { echo "test.sh: no $MODULE (run build.sh first)"; echo "0 passed, 1 failed"; exit 1; }
    PLUGIN=(--plugin="$MODULE")
    MODULE_FOR_PY="$MODULE"
fi
# The libstylize the module runs with: its option table is what the help must show.
LIBSTYLIZE="$(ldd "$MODULE" 2>/dev/null | awk '/libstylize/ { print $3 }')"
V() { timeout 300 vips "${PLUGIN[@]}" "$@"; }
CONTENT="$IMAGES/tiny_content_64.png"
STYLE="$IMAGES/tiny_style_64.png"
FAST=(--size 64 --iterations 5)

# field FILE NAME: one header field.
field() { vipsheader -f "$2" "$1" 2>/dev/null; }
# kind FILE: format/bands/interpretation, e.g. USHORT/4/RGB16.
kind() { echo "$(field "$1" format)/$(field "$1" bands)/$(field "$1" interpretation)" | sed 's/[^/]*VIPS_FORMAT_\([A-Z]*\))/\1/; s/[^/]*VIPS_INTERPRETATION_\([A-Za-z0-9_]*\))/\1/'; }
# maxdiff A B: the largest absolute pixel difference (as float).
maxdiff() { vips subtract "$1" "$2" "$T/d.v" && vips abs "$T/d.v" "$T/a.v" && vips max "$T/a.v"; }
# meandiff A B: the mean absolute pixel difference.
meandiff() { vips subtract "$1" "$2" "$T/d.v" && vips abs "$T/d.v" "$T/a.v" && vips avg "$T/a.v"; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
# failed_cleanly: exit status non-zero but not a signal (crash or timeout).
failed_cleanly() { [ "$1" -ne 0 ] && [ "$1" -lt 124 ]; }

# --- Help -----------------------------------------------------------------------
if V stylize >"$T/help" 2>"$T/err" && grep -q "preserve-colors" "$T/help" && grep -q "allowed: lbfgs, adam" "$T/help"; then
    ok "vips stylize prints its argument table"
else bad "vips stylize prints its argument table"; fi

# Every option of the table with a vips spelling is an argument with the table's
# help, default and real range (read from the library with ctypes, compared with
# what vips prints).
cat > "$T/table.py" <<'EOF'
import ctypes, re, sys

lib = ctypes.CDLL(sys.argv[1])
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_char_p) for n in ("field", "cli", "vips", "gimp", "label", "help", "unit")] + [
        ("type", ctypes.c_int), ("minimum", ctypes.c_double), ("maximum", ctypes.c_double),
        ("minimum_exclusive", ctypes.c_int32), ("default_value", ctypes.c_double),
        ("default_text", ctypes.c_char_p), ("choices", ctypes.c_char_p)]
lib.stylize_option_at.restype = ctypes.POINTER(Info)
INTEGER, REAL, CHOICE, LIST = 0, 1, 2, 4

# vips' table: "   name - blurb, input gtype", then tab-indented "default: ..." lines.
args, name = {}, None
for line in open(sys.argv[2]):
    m = re.match(r"^   (\S+)\s+- (.*), (?:input|output) (\S+)$", line.rstrip("\n"))
    if m:
        name = m.group(1)
        args[name] = {"help": m.group(2), "gtype": m.group(3), "detail": []}
    elif name and line.startswith("\t"):
        args[name]["detail"].append(line.strip())

problems, checked = [], 0
for i in range(lib.stylize_option_count()):
    o = lib.stylize_option_at(i).contents
    if not o.vips:
        continue
    vips, checked = o.vips.decode(), checked + 1
    a = args.get(vips)
    if a is None:
        problems.append(vips + ": not an argument")
        continue
    if o.type == LIST:
        continue  # style-blend: vips takes style's share b (weights b, 1 - b), written by hand
    want = []
    if o.type == INTEGER and a["gtype"] == "gint":
        want = ["default: %d" % o.default_value, "min: %d, max: %d" % (o.minimum, o.maximum)]
    elif o.type == REAL:
        want = ["default: %g" % o.default_value, "min: %g, max: %g" % (o.minimum, o.maximum)]
    elif o.type == CHOICE:
        choices = o.choices.decode().split(",")
        want = ["default: " + choices[int(o.default_value)], "allowed: " + ", ".join(choices)]
    if a["help"] != o.help.decode():
        problems.append("%s: help %r, table %r" % (vips, a["help"], o.help.decode()))
    if "default" not in a["help"]:
        problems.append(vips + ": help shows no default")
    if a["detail"] != want:
        problems.append("%s: vips shows %s, table says %s" % (vips, a["detail"], want))
print("%d options" % checked)
print("\n".join(problems))
sys.exit(1 if problems or checked < 10 else 0)
EOF
if [ -n "$LIBSTYLIZE" ] && V stylize >"$T/help" 2>"$T/err" \
    && python3 "$T/table.py" "$LIBSTYLIZE" "$T/help" >"$T/err" 2>&1 \
    && grep -q "min: 1, max: 1000000" "$T/help"; then
    ok "argument table = option table: help, defaults, real ranges ($(head -n1 "$T/err"))"
else bad "argument table = option table: help, defaults, real ranges"; fi

# --- RGB ------------------------------------------------------------------------
if V stylize "$CONTENT" "$STYLE" "$T/rgb.png" "${FAST[@]}" 2>"$T/err" && [ -f "$T/rgb.png" ] \
    && [ "$(field "$T/rgb.png" width)x$(field "$T/rgb.png" height)x$(field "$T/rgb.png" bands)" = \
         "$(field "$CONTENT" width)x$(field "$CONTENT" height)x$(field "$CONTENT" bands)" ] \
    && gt "$(meandiff "$T/rgb.png" "$CONTENT")" 1; then
    ok "RGB: output has the content's size and bands and differs from it"
else bad "RGB: output has the content's size and bands and differs from it"; fi

# A photo larger than the optimisation size comes back at full size (optimised at
# 64 px and resampled: --output-size 64; the default would refine up to its 512 px).
BIG="$IMAGES/content_chelsea_cat.jpg"
if V stylize "$BIG" "$STYLE" "$T/big.jpg" "${FAST[@]}" --output-size 64 2>"$T/err" \
    && [ "$(field "$T/big.jpg" width)x$(field "$T/big.jpg" height)" = "$(field "$BIG" width)x$(field "$BIG" height)" ]; then
    ok "a $(field "$BIG" width)x$(field "$BIG" height) JPEG with --size 64 comes back at its own size"
else bad "a larger JPEG comes back at its own size"; fi

# --- 16-bit RGBA: alpha kept exactly, stays 16-bit --------------------------------
# The alpha ramp uses many distinct 16-bit values, so any 8-bit round trip shows.
vips colourspace "$CONTENT" "$T/c16.v" rgb16 && vips xyz "$T/xy.v" 64 64 \
    && vips linear "$T/xy.v" "$T/ramp.v" "1000 7" "3 5" && vips extract_band "$T/ramp.v" "$T/ax.v" 0 \
    && vips extract_band "$T/ramp.v" "$T/ay.v" 1 && vips add "$T/ax.v" "$T/ay.v" "$T/al.v" \
    && vips cast "$T/al.v" "$T/alpha.v" ushort && vips bandjoin "$T/c16.v $T/alpha.v" "$T/c16a.png"
if V stylize "$T/c16a.png" "$STYLE" "$T/o16a.png" "${FAST[@]}" 2>"$T/err" \
    && [ "$(kind "$T/o16a.png")" = "$(kind "$T/c16a.png")" ] \
    && kind "$T/o16a.png" | grep -q "USHORT/4/.*RGB16" \
    && vips extract_band "$T/o16a.png" "$T/oa.v" 3 \
    && [ "$(maxdiff "$T/oa.v" "$T/alpha.v")" = 0.000000 ] \
    && gt "$(meandiff "$T/o16a.png" "$T/c16a.png")" 256; then
    ok "16-bit RGBA: stays ushort/4 bands/rgb16, alpha identical, colour changed"
else bad "16-bit RGBA: stays ushort/4 bands/rgb16, alpha identical, colour changed"; fi

# --- High bit depth: a smooth 16-bit sky and a float (scRGB) one keep > 256 levels ---
# 16-bit and float content goes through the library as 16-bit (STYLIZE_FORMAT_U16),
# so the 512 columns of a gradient keep more levels than 8-bit has (256).
levels() { convert "$1" -channel "$2" -separate -format '%k' info: 2>/dev/null; }
vips xyz "$T/sxy.v" 512 64 && vips extract_band "$T/sxy.v" "$T/sx.v" 0 \
    && vips linear "$T/sx.v" "$T/sr.v" 60 5000 && vips linear "$T/sx.v" "$T/sg.v" 20 20000 \
    && vips linear "$T/sx.v" "$T/sb.v" -- -50 60000 && vips bandjoin "$T/sr.v $T/sg.v $T/sb.v" "$T/srgb.v" \
    && vips cast "$T/srgb.v" "$T/sky.v" ushort && vips copy "$T/sky.v" "$T/sky16.png" --interpretation rgb16 \
    && vips colourspace "$T/sky16.png" "$T/skyf.tif" scrgb
for sky in sky16.png skyf.tif; do
    out="$T/out_$sky"
    # Optimised at 64 px and resampled to the 512 columns (the levels are made where the
    # result is written in the host's format; refining up to 512 px adds 30 s, not coverage).
    if V stylize "$T/$sky" "$STYLE" "$out" "${FAST[@]}" --output-size 64 2>"$T/err" && [ "$(kind "$out")" = "$(kind "$T/$sky")" ]; then
        vips colourspace "$out" "$T/check16.png" rgb16 2>/dev/null
        r="$(levels "$T/check16.png" R)"; b="$(levels "$T/check16.png" B)"; in_r="$(levels "$T/sky16.png" R)"
        if [ "${r:-0}" -gt 256 ] && [ "${b:-0}" -gt 256 ] && gt "$(meandiff "$out" "$T/$sky")" 0; then
            ok "$sky ($(kind "$out")): $r red and $b blue levels after stylizing (input $in_r; 8-bit has 256)"
        else bad "$sky: $r red and $b blue levels after stylizing (input $in_r)"; fi
    else bad "$sky: stylize failed or changed the format ($(kind "$out"))"; fi
done

# --- Other interpretations ----------------------------------------------------------
# Each: input made from the content, output must keep format/bands/interpretation.
vips colourspace "$CONTENT" "$T/grey.png" b-w
vips bandjoin_const "$T/grey.png" "$T/greya.png" 200
vips colourspace "$CONTENT" "$T/grey16.png" grey16
vips colourspace "$CONTENT" "$T/lab.v" lab
vips colourspace "$CONTENT" "$T/cmyk.tif" cmyk
vips colourspace "$CONTENT" "$T/scrgb.tif" scrgb
for f in grey.png greya.png grey16.png lab.v cmyk.tif scrgb.tif; do
    want="$(kind "$T/$f")"
    if V stylize "$T/$f" "$STYLE" "$T/out-$f" "${FAST[@]}" 2>"$T/err" \
        && [ "$(kind "$T/out-$f")" = "$want" ] \
        && gt "$(meandiff "$T/out-$f" "$T/$f")" 0; then
        ok "$f ($want) in, same out, pixels changed"
    else bad "$f ($want) in, same out, pixels changed"; fi
done
# Grey + alpha keeps its 8-bit alpha exactly.
if vips extract_band "$T/out-greya.png" "$T/ga.v" 1 && vips extract_band "$T/greya.png" "$T/ga0.v" 1 \
    && [ "$(maxdiff "$T/ga.v" "$T/ga0.v")" = 0.000000 ]; then
    ok "grey+alpha: alpha identical"
else bad "grey+alpha: alpha identical"; fi

# --- Two styles ----------------------------------------------------------------------
# Blend 1 gives the second style no weight: same pixels as the single-style run.
STYLE2="$IMAGES/style_great_wave_hokusai.jpg"
if V stylize "$CONTENT" "$STYLE" "$T/b1.png" "${FAST[@]}" --style2 "$STYLE2" --style-blend 1 2>"$T/err" \
    && [ "$(maxdiff "$T/b1.png" "$T/rgb.png")" = 0.000000 ] \
    && V stylize "$CONTENT" "$STYLE" "$T/b5.png" "${FAST[@]}" --style2 "$STYLE2" --style-blend 0.5 2>"$T/err" \
    && gt "$(meandiff "$T/b5.png" "$T/rgb.png")" 0; then
    ok "style2: blend 1 equals the single style, blend 0.5 differs"
else bad "style2: blend 1 equals the single style, blend 0.5 differs"; fi

# --- Mask ------------------------------------------------------------------------------
# Left half white (stylize), right half black (keep): the right half stays the content.
vips black "$T/mb.v" 32 64 && vips invert "$T/mb.v" "$T/mw.v" && vips cast "$T/mw.v" "$T/mwu.v" uchar \
    && vips cast "$T/mb.v" "$T/mbu.v" uchar && vips join "$T/mwu.v" "$T/mbu.v" "$T/mask.png" horizontal
if V stylize "$CONTENT" "$STYLE" "$T/m.png" "${FAST[@]}" --scales 1 --mask "$T/mask.png" 2>"$T/err" \
    && vips crop "$T/m.png" "$T/mr.v" 40 0 24 64 && vips crop "$CONTENT" "$T/cr.v" 40 0 24 64 \
    && vips crop "$T/m.png" "$T/ml.v" 0 0 24 64 && vips crop "$CONTENT" "$T/cl.v" 0 0 24 64 \
    && [ "$(maxdiff "$T/mr.v" "$T/cr.v")" = 0.000000 ] && gt "$(meandiff "$T/ml.v" "$T/cl.v")" 2; then
    ok "mask: black keeps the content exactly, white is stylized"
else bad "mask: black keeps the content exactly, white is stylized"; fi

# A budget that forces tiles (whole-image need ~410 MiB, 64 px tiles ~350 MiB: F(4x4) weights
# take ~180 MiB of it) still gives the content's size.
if V stylize "$IMAGES/content_chelsea_cat.jpg" "$STYLE" "$T/tiled.png" --size 256 --output-size 256 --iterations 2 --scales 1 --max-memory 380M 2>"$T/err" \
    && [ "$(field "$T/tiled.png" width)x$(field "$T/tiled.png" height)" = "512x341" ]; then
    ok "max-memory: a tight budget runs (in tiles) and keeps the size"
else bad "max-memory: a tight budget runs (in tiles) and keeps the size"; fi

# --- Progress ------------------------------------------------------------------------
V stylize "$CONTENT" "$STYLE" "$T/p.png" "${FAST[@]}" 2>"$T/quiet" >/dev/null
VIPS_PROGRESS=1 V stylize "$CONTENT" "$STYLE" "$T/p.png" "${FAST[@]}" 2>"$T/err" >/dev/null
if ! grep -q "stylize: iteration" "$T/quiet" && grep -q "stylize: iteration 5/5 loss" "$T/err"; then
    ok "progress on stderr with VIPS_PROGRESS, silent without it off a terminal"
else bad "progress on stderr with VIPS_PROGRESS, silent without it off a terminal"; fi
if V --vips-progress stylize "$CONTENT" "$STYLE" "$T/p.png" "${FAST[@]}" 2>"$T/err" >/dev/null \
    && grep -q "stylize: iteration 5/5 loss" "$T/err"; then
    ok "progress on stderr with --vips-progress"
else bad "progress on stderr with --vips-progress"; fi

# --- Bad input: non-zero exit, a message, no crash ------------------------------------
printf 'not a model, just bytes that are long enough to be read as a header' > "$T/corrupt.safetensors"
: > "$T/empty.png"
# expect NAME PATTERN ARGS...: the run fails cleanly and stderr matches PATTERN.
expect() {
    local name="$1" pattern="$2"; shift 2
    V "$@" >/dev/null 2>"$T/err"; local rc=$?
    if failed_cleanly "$rc" && grep -qiE "$pattern" "$T/err" && [ ! -f "$T/never.png" ]; then
        ok "rejects $name (exit $rc)"
    else bad "rejects $name (exit $rc)"; fi
}
expect "a missing style argument" "too few arguments" stylize "$CONTENT"
expect "a style file that does not exist" "does not exist" stylize "$CONTENT" "$T/none.png" "$T/never.png"
expect "a zero-byte (empty) content image" "empty.png|not a known|unable|not in a known format" stylize "$T/empty.png" "$STYLE" "$T/never.png"
# Out-of-range values reach the library's one validator (the arguments' param
# specs do not clamp) and fail naming the vips argument.
expect "--iterations 0" "^stylize: iterations: 0 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --iterations 0
expect "--iterations abc" "not an integer" stylize "$CONTENT" "$STYLE" "$T/never.png" --iterations abc
expect "--style-weight 1e308" "^stylize: style-weight: 1e\+308 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --style-weight 1e308
expect "--size -1" "^stylize: size: -1 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --size -1
# vips' own parser wants a digit in a number, so a NaN is written nan(1) here
# (plain "nan" fails in vips before the module runs; pyvips' NaN is tested below).
expect "--learning-rate nan(1)" "^stylize: learning-rate: nan is not a finite number" stylize "$CONTENT" "$STYLE" "$T/never.png" --learning-rate "nan(1)"
expect "--max-memory lots" "^stylize: max-memory: 'lots' is not a size" stylize "$CONTENT" "$STYLE" "$T/never.png" --max-memory lots
expect "--max-memory 1K (too small to run)" "^stylize: max-memory: 1K is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" "${FAST[@]}" --max-memory 1K
expect "--scales 0" "^stylize: scales: 0 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --scales 0
expect "--time-limit -1" "^stylize: time-limit: -1 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --time-limit -1
expect "--output-size 40000" "^stylize: output-size: 40000 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --output-size 40000
expect "--size -5" "^stylize: size: -5 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --size -5
expect "--content-weight -1" "^stylize: content-weight: -1 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --content-weight -1
expect "--style-scale 0" "^stylize: style-scale: 0 is out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --style-scale 0
expect "--style-blend 1.5" "^stylize: style-blend: .*out of range" stylize "$CONTENT" "$STYLE" "$T/never.png" --style2 "$STYLE" --style-blend 1.5
expect "--init last (vips' sentinel)" "^stylize: init: 3 is not one of" stylize "$CONTENT" "$STYLE" "$T/never.png" --init last
expect "--init bogus" "bogus" stylize "$CONTENT" "$STYLE" "$T/never.png" --init bogus
expect "--content-layers relu9_9" "^stylize: content-layers: unknown layer 'relu9_9'" stylize "$CONTENT" "$STYLE" "$T/never.png" "${FAST[@]}" --content-layers relu9_9
expect "a corrupt model file" "corrupt.safetensors" stylize "$CONTENT" "$STYLE" "$T/never.png" "${FAST[@]}" --model "$T/corrupt.safetensors"
expect "a missing model file" "nonexistent.safetensors" stylize "$CONTENT" "$STYLE" "$T/never.png" "${FAST[@]}" --model "$T/nonexistent.safetensors"

# --- Admission before decoding: the image rule on headers ------------------------
# Bombs: a PNG of a few bytes whose header claims a huge image (one tiny IDAT).
cat > "$T/bomb.py" <<'EOF'
import struct, sys, zlib

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

width, height, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
with open(path, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))
EOF
python3 "$T/bomb.py" 60000 60000 "$T/bomb60k.png" && python3 "$T/bomb.py" 16000 16000 "$T/bomb16k.png"
# measured NAME PATTERN CMD...: CMD fails cleanly, stderr matches PATTERN, and it
# took under 2 s and 300 MB peak RSS (safety bounds, not speed targets).
measured() {
    local name="$1" pattern="$2"; shift 2
    /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err"; local rc=$?
    local secs kb
    read -r secs kb < <(tail -n 1 "$T/time")
    if failed_cleanly "$rc" && grep -qE "$pattern" "$T/err" && [ ! -f "$T/never.png" ] \
        && awk -v s="$secs" -v k="$kb" 'BEGIN { exit !(s < 2 && k < 300000) }'; then
        ok "$name: refused in $secs s, $kb KB peak"
    else bad "$name: exit $rc, $secs s, $kb KB peak"; fi
}
for b in 60k 16k; do
    n="${b%k}000"
    rule="pixels is outside what Stylize takes"
    measured "bomb ${n}x$n as in" "^stylize: in \(.*bomb$b.png\): ${n}x$n $rule" \
        timeout 60 vips "${PLUGIN[@]}" stylize "$T/bomb$b.png" "$STYLE" "$T/never.png"
    measured "bomb ${n}x$n as style" "^stylize: style \(.*bomb$b.png\): ${n}x$n $rule" \
        timeout 60 vips "${PLUGIN[@]}" stylize "$CONTENT" "$T/bomb$b.png" "$T/never.png"
    measured "bomb ${n}x$n as style2" "^stylize: style2 \(.*bomb$b.png\): ${n}x$n $rule" \
        timeout 60 vips "${PLUGIN[@]}" stylize "$CONTENT" "$STYLE" "$T/never.png" --style2 "$T/bomb$b.png"
    measured "bomb ${n}x$n as mask" "^stylize: mask \(.*bomb$b.png\): ${n}x$n $rule" \
        timeout 60 vips "${PLUGIN[@]}" stylize "$CONTENT" "$STYLE" "$T/never.png" --mask "$T/bomb$b.png"
done
# Real images outside the rule (as the CLI refuses them): 1x1 and 1x20000.
vips crop "$CONTENT" "$T/one.png" 0 0 1 1 && vips black "$T/strip.v" 1 20000 && vips copy "$T/strip.v" "$T/strip.png"
expect "a 1x1 content" "^stylize: in \(.*one.png\): 1x1 pixels is outside what Stylize takes \(images must be 16 to" \
    stylize "$T/one.png" "$STYLE" "$T/never.png"
expect "a 1x20000 content" "^stylize: in \(.*strip.png\): 1x20000 pixels is outside what Stylize takes" \
    stylize "$T/strip.png" "$STYLE" "$T/never.png"
expect "a 1x20000 style" "^stylize: style \(.*strip.png\): 1x20000 pixels is outside what Stylize takes" \
    stylize "$CONTENT" "$T/strip.png" "$T/never.png"
# A truncated file is the loader's business: with fail_on=truncated vips refuses it.
head -c 20000 "$IMAGES/content_chelsea_cat.jpg" > "$T/truncated.jpg"
expect "a truncated JPEG loaded with [fail_on=truncated]" "premature end" \
    stylize "$T/truncated.jpg[fail_on=truncated]" "$STYLE" "$T/never.png" "${FAST[@]}"
# A style far wider than tall is decoded shrunk without falling under the rule's 16 px.
vips crop "$IMAGES/content_chelsea_cat.jpg" "$T/wide.png" 0 0 512 40
if V stylize "$CONTENT" "$T/wide.png" "$T/wide-out.png" "${FAST[@]}" 2>"$T/err" && [ -f "$T/wide-out.png" ]; then
    ok "a 512x40 style at size 64 (decoded shrunk, short side kept >= 16 px)"
else bad "a 512x40 style at size 64 (decoded shrunk, short side kept >= 16 px)"; fi

# --- pyvips ---------------------------------------------------------------------------
PY=""
if python3 -c "import pyvips" 2>/dev/null; then
    PY=python3
    ok "pyvips imports in python3"
elif python3 -m venv "$T/venv" >/dev/null 2>"$T/err" && "$T/venv/bin/pip" install -q pyvips >/dev/null 2>"$T/err"; then
    PY="$T/venv/bin/python"
    ok "pyvips installs into a venv with pip"
else bad "pyvips: python3 has none and pip cannot install it into a venv"; fi
if [ -n "$PY" ]; then
    V stylize "$CONTENT" "$STYLE" "$T/cli-noise.png" "${FAST[@]}" --init noise --seed 42 2>"$T/err"
    cp "$(dirname "$0")/pyvips_load.py" "$T/load.py"
    cat > "$T/py.py" <<'EOF'
import sys
import pyvips
from load import load

module, content, style, out = sys.argv[1:5]
load(module)
c = pyvips.Image.new_from_file(content)
s = pyvips.Image.new_from_file(style)
c.stylize(s, size=64, iterations=5, init="noise", seed=42).write_to_file(out)
# A bad value raises pyvips.Error with the message naming the argument; the process lives on.
for bad in ({"iterations": 0}, {"learning_rate": float("nan")}):
    try:
        c.stylize(s, **bad)
        print("no error for", bad)
    except pyvips.Error as e:
        print("error:", e.detail.strip())
EOF
    if (cd "$T" && timeout 300 "$PY" py.py "$MODULE_FOR_PY" "$CONTENT" "$STYLE" "$T/py-noise.png") >"$T/pyout" 2>"$T/err" \
        && [ -f "$T/cli-noise.png" ] && [ "$(maxdiff "$T/py-noise.png" "$T/cli-noise.png")" = 0.000000 ]; then
        ok "pyvips stylize gives the CLI's pixels for the same seed"
    else bad "pyvips stylize gives the CLI's pixels for the same seed"; fi
    # Only the script's own lines on stdout (vips' cache prints there for argument
    # types it cannot hash; the module's unclamped specs must not trigger it).
    if grep -q "^error: stylize: iterations: 0 is out of range" "$T/pyout" \
        && grep -q "^error: stylize: learning-rate: nan is not a finite number" "$T/pyout" \
        && [ "$(grep -vc "^error: stylize: " "$T/pyout")" = 0 ]; then
        ok "pyvips: iterations=0 and learning_rate=nan raise pyvips.Error naming the argument"
    else cp "$T/pyout" "$T/err"; bad "pyvips: iterations=0 and learning_rate=nan raise pyvips.Error naming the argument"; fi
    cat > "$T/pybomb.py" <<'EOF'
import sys
import pyvips
from load import load

module, role, bomb, content = sys.argv[1:5]
load(module)
b = pyvips.Image.new_from_file(bomb)
c = pyvips.Image.new_from_file(content)
try:
    (b.stylize(c) if role == "in" else c.stylize(b)).write_to_file(bomb + ".out.png")
except pyvips.Error as e:
    sys.exit(e.detail.strip())
EOF
    for b in 60k 16k; do
        n="${b%k}000"
        for role in in style; do
            measured "pyvips: bomb ${n}x$n as $role" "^stylize: $role \(.*bomb$b.png\): ${n}x$n pixels is outside" \
                env -C "$T" timeout 60 "$PY" pybomb.py "$MODULE_FOR_PY" "$role" "$T/bomb$b.png" "$CONTENT"
        done
    done
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
