#!/usr/bin/env bash
# Runs every test suite against what install.sh just installed into $PREFIX.
# Called by `./install.sh --test`; needs PREFIX, STYLIZE_MODEL, STYLIZE_VGG_ONNX.
# Each suite prints "N passed, M failed"; the last line sums them all.
set -u
REPO="$(cd "$(dirname "$0")/.." && pwd)"
: "${PREFIX:?PREFIX must name the install prefix}"
export PATH="$PREFIX/bin:$PATH" STYLIZE_BIN="$PREFIX/bin/stylize"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export IMAGES="$REPO/examples"
total_pass=0; total_fail=0
LOGS="$(mktemp -d)"

# suite NAME COMMAND...: runs it, shows its output, adds its "N passed, M failed".
suite() {
    local name="$1"; shift
    echo "=== $name"
    local start=$SECONDS
    "$@" 2>&1 | tee "$LOGS/$name.log"
    local rc=${PIPESTATUS[0]}
    local line p f
    line="$(grep -E '[0-9]+ passed, [0-9]+ failed' "$LOGS/$name.log" | tail -n 1)"
    p="$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')"
    f="$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed.*/\1/')"
    [ -n "$line" ] || { p=0; f=1; echo "$name: printed no result line"; }
    [ "$rc" = 0 ] || [ "$f" != 0 ] || { f=1; echo "$name: exit code $rc"; }
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    echo "=== $name: $p passed, $f failed ($((SECONDS - start)) s)"
}

# Swift Testing / XCTest: summarise their own output into the common line.
swift_tests() {
    cd "$REPO" || return 1
    swift test -c release 2>&1 | tee "$LOGS/swift-raw.log" | grep -vE "^\[[0-9]+/[0-9]+\]| started\.$"
    local rc=${PIPESTATUS[0]}
    python3 - "$LOGS/swift-raw.log" "$rc" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
rc = int(sys.argv[2])
passed = failed = 0
# XCTest: the last "Executed N tests, with M failures" is the grand total.
xc = re.findall(r"Executed (\d+) tests?, with (\d+) failures?", text)
if xc:
    n, f = map(int, xc[-1]); passed += n - f; failed += f
# Swift Testing: one line per finished test (parameterised tests count once).
passed += len(re.findall(r"^\S+ Test (?!run with)\S.* passed after", text, re.M))
failed += len(re.findall(r"^\S+ Test (?!run with)\S.* failed after", text, re.M))
if rc != 0 and failed == 0:
    failed = 1
print(f"swift: {passed} passed, {failed} failed")
PY
    return "$rc"
}

suite engine swift_tests
suite cli bash "$REPO/Tests/cli/cli_test.sh"
suite c-abi bash "$REPO/Tests/c/run.sh" "$PREFIX"
suite vips bash "$REPO/Plugins/vips/test.sh" "$PREFIX"
# GIMP 2.10 where libgimp-2.0 is (Debian 12); GIMP 3 here on Debian 13, else in a Debian 13
# root cached in ~/.cache/stylize (built once, ~2-5 min; then ~1 min).
pkg-config --exists gimp-2.0 && suite gimp bash "$REPO/Plugins/gimp/test.sh" "$PREFIX"
suite gimp3 bash "$REPO/Tests/gimp3/run.sh" "$PREFIX"
suite contract bash "$REPO/Tests/contract/run.sh" "$PREFIX"
suite soak bash "$REPO/Tests/soak/run.sh" "$PREFIX"
suite study bash "$REPO/Tests/cli/study_test.sh"
suite batch bash "$REPO/Tests/batch/run.sh"
suite video bash "$REPO/Tests/video/run.sh"
# A one-node Slurm cluster on localhost (installs slurmctld, slurmd, munge with apt-get if missing).
suite scaleout bash "$REPO/Tests/scaleout/run.sh"
suite faults bash "$REPO/Tests/faults/run.sh"
# libFuzzer targets, 45 s each; the C ABI suite and the vips module's tests under ASan + UBSan,
# and four threads sharing one model handle under ThreadSanitizer. A fuzzer is one process (one
# core): meanwhile the sanitizer runs' objects compile on the other, niced (sanitize.sh then
# finds them built).
SANITIZE_BUILD="${STYLIZE_SANITIZE_BUILD:-$REPO/.build-sanitize}"
mkdir -p "$SANITIZE_BUILD"
(for san in address thread; do nice bash "$REPO/Tests/fuzz/modules.sh" "$SANITIZE_BUILD/$san" "$san"; done) \
    >"$LOGS/sanitize-build.log" 2>&1 &
sanitize_build=$!
suite fuzz bash "$REPO/Tests/fuzz/run.sh" 45
wait "$sanitize_build"
suite sanitize bash "$REPO/Tests/sanitize.sh" address thread

rm -rf "$LOGS"
echo
echo "all suites: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
