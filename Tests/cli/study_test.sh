#!/usr/bin/env bash
# End-to-end test of `stylize study --quick` on the tiny images: every sheet,
# a self-contained index.html, JSON with the numbers, the study's own finding
# (reconstruction PSNR falls with depth), and the cache (rerun and resume).
#   STYLIZE_BIN (default: stylize on PATH), STYLIZE_MODEL, IMAGES (default ../../examples)
set -u
BIN="${STYLIZE_BIN:-stylize}"
HERE="$(cd "$(dirname "$0")" && pwd)"
IMAGES="${IMAGES:-$HERE/../../examples}"
C="$IMAGES/tiny_content_64.png"; S="$IMAGES/tiny_style_64.png"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
O="$T/study"
# Two contents x two styles (the tiny images both ways) so the grid is 2 x 2.
study() { "$BIN" study --quick --content "$C,$S" --style "$S,$C" -o "$O" "$@"; }
json() { python3 -c "import json,sys; d=json.load(open('$O/study.json')); $1"; }

if study 2>"$T/first.log"; then ok "study --quick runs"; else bad "study --quick runs ($(tail -n 3 "$T/first.log"))"; fi
grep -qE "experiment 6/6" "$T/first.log" && grep -qE "ETA" "$T/first.log" \
    && ok "progress names the experiment (k of n) and an overall ETA" || bad "progress with experiment k of n and ETA"

for sheet in 1_reconstruction 2_texture 3a_iterations 3b_content_weight 3c_style_weight 4_grid 5_init 6_gram; do
    f="$O/sheets/$sheet.png"
    if [ -s "$f" ] && [ "$(vipsheader -f width "$f" 2>/dev/null || echo 0)" -gt 100 ]; then ok "sheet $sheet.png"; else bad "sheet $sheet.png"; fi
done
python3 -m json.tool "$O/study.json" >/dev/null && ok "study.json parses" || bad "study.json parses"
# The same keys as the committed full study (docs/study), so readers of that file can read this one.
python3 - "$O/study.json" "$HERE/../../docs/study/study.json" <<'PY' && ok "study.json has the keys of docs/study/study.json" || bad "study.json has the keys of docs/study/study.json"
import json, sys
def paths(v, p=""):
    if isinstance(v, dict): return {q for k, x in v.items() for q in paths(x, f"{p}.{k}")} | {p}
    if isinstance(v, list): return {q for x in v for q in paths(x, p + "[]")} | {p}
    return {p}
new, docs = (paths(json.load(open(f))) for f in sys.argv[1:3])
if new != docs: print("  only here:", sorted(new - docs), "only in docs:", sorted(docs - new))
sys.exit(new != docs)
PY

# Every src/href in index.html is a local file that exists; nothing from the network.
python3 - "$O" <<'PY' && ok "index.html references only existing local files" || bad "index.html references only existing local files"
import re, os, sys
root = sys.argv[1]
html = open(os.path.join(root, "index.html")).read()
refs = re.findall(r'(?:src|href)="([^"]*)"', html)
missing = [r for r in refs if "://" in r or r.startswith("//") or not os.path.isfile(os.path.join(root, r))]
images = [r for r in refs if r.endswith((".png", ".svg"))]
sys.exit(1 if missing or len(images) < 12 else 0)
PY
python3 -c "
import glob, sys, xml.etree.ElementTree as E
files = glob.glob('$O/plots/*.svg')
sys.exit(0 if len(files) >= 4 and all(E.parse(f).getroot().tag.endswith('svg') for f in files) else 1)" \
    && ok "plots are well-formed SVG" || bad "plots are well-formed SVG"

# The study's own finding: the shallowest layer reconstructs the content best.
json "l = d['experiments'][0]['numbers']['layers']; print('PSNR', l[0]['layer'], l[0]['psnr'], l[-1]['layer'], l[-1]['psnr']); sys.exit(not l[0]['psnr'] > l[-1]['psnr'])" \
    && ok "reconstruction PSNR at the shallowest layer > at the deepest" || bad "reconstruction PSNR at the shallowest layer > at the deepest"
json "sys.exit(len(d['experiments'][3]['numbers']['cells']) != 4)" && ok "grid has 2 x 2 results" || bad "grid has 2 x 2 results"
json "m = d['machine']; t = d['timing']; sys.exit(not (m['cores'] >= 1 and m['cpu'] and t['runsComputed'] > 0 and t['iterationsComputed'] > 0))" \
    && ok "JSON records machine and computed runs" || bad "JSON records machine and computed runs"

# Same settings again: everything from the cache.
if study 2>"$T/second.log" && json "t = d['timing']; print(t); sys.exit(not (t['runsComputed'] == 0 and t['iterationsComputed'] == 0 and t['runsCached'] > 0))"; then
    ok "rerun is served from the cache (0 runs computed)"
else bad "rerun is served from the cache"; fi

# An interrupted study resumes: drop one finished run, only that one is recomputed.
victim="$(ls "$O"/cache/*.json | head -n 1)"; rm -f "$victim"
if study --quiet 2>"$T/third.log" && json "t = d['timing']; sys.exit(not t['runsComputed'] == 1)"; then
    ok "a missing run is recomputed alone (resume)"
else bad "a missing run is recomputed alone (resume)"; fi

# Other settings are other cache keys.
study --quiet --iterations 3 --sweep-iterations 1,3 2>"$T/fourth.log" && json "sys.exit(not d['timing']['runsComputed'] > 10)" \
    && ok "other settings recompute" || bad "other settings recompute"

# Bad input: clear message naming the problem, non-zero exit.
"$BIN" study --quick --content "$T/nope.png" --style "$S" -o "$T/bad" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q "nope.png" "$T/err" && ok "missing content file is named" || bad "missing content file is named (exit $rc: $(cat "$T/err"))"
"$BIN" study --quick --content "$C" --style "$S" --layers relu1_1,relu9_9 -o "$T/bad" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q "relu9_9" "$T/err" && ok "unknown layer is named" || bad "unknown layer is named (exit $rc: $(cat "$T/err"))"
"$BIN" study --quick --content "$C" --style "$S" --seeds 3,3 -o "$T/bad" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q "seeds" "$T/err" && ok "equal seeds are refused" || bad "equal seeds are refused (exit $rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
