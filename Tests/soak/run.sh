#!/usr/bin/env bash
# Soak: leaks and load, against the installed library and vips module.
#   1. soak.c, compiled with $(pkg-config --cflags --libs stylize): one model,
#      200 stylize_with_model calls from 4 threads (32x32, 1 iteration, size 32,
#      a different option mix per thread); VmRSS growth after 20 warm-up calls
#      < 5 MB; every call gives the bytes of the same call made alone.
#   2. soak_vips.py under /usr/bin/python3 with pyvips: 100 tiny pictures
#      stylized in one process; VmRSS growth after 20 warm-up calls < 5 MB.
# Both also check malloc's live bytes (mallinfo2), growth < 512 kB: a leak too
# small for VmRSS to tell from malloc's free memory still shows there.
# Each is first run briefly with a deliberate leak of 16 MB a call, which must
# fail both checks: the measurement can see a leak.
#   Tests/soak/run.sh PREFIX    (needs $STYLIZE_MODEL, default PREFIX's model)
#   SOAK_CALLS / SOAK_VIPS_CALLS override the counts (default 200 / 100).
# Last line: "N passed, M failed".
set -u
[ $# -eq 1 ] || { echo "usage: $0 PREFIX"; echo "0 passed, 1 failed"; exit 2; }
PREFIX="$(cd "$1" && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
IMAGES="$HERE/../../examples"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export STYLIZE_MODEL="${STYLIZE_MODEL:-$PREFIX/share/stylize/vgg16.safetensors}"
PYTHON=/usr/bin/python3
# install.sh --prefix DIR puts pyvips there; a system install into dist-packages.
[ -d "$PREFIX/lib/python3.11/site-packages" ] && export PYTHONPATH="$PREFIX/lib/python3.11/site-packages${PYTHONPATH:+:$PYTHONPATH}"
unset VIPS_PROGRESS STYLIZE_SOAK_PROBE_LEAK_KB
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# add_result LOG RC NAME: adds the program's own "N passed, M failed".
add_result() {
    local line f
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)"
    if [ -z "$line" ]; then bad "$3 crashed or printed no result (exit $2)"; return; fi
    passed=$((passed + ${line%% passed*})); f="${line#*passed, }"; failed=$((failed + ${f%% failed}))
    [ "$2" = 0 ] || [ "${f%% failed}" != 0 ] || bad "$3 exited $2"
}
# probe NAME COMMAND...: with a deliberate leak of 16 MB a call (touched), both
# growth checks must fail: 4 calls after the warm-up outgrow the free memory
# malloc keeps resident (about 30 MB here), so VmRSS must see it too.
probe() {
    local name="$1"; shift
    STYLIZE_SOAK_PROBE_LEAK_KB=16384 "$@" >"$TMP/probe.log" 2>&1
    if grep -q "^FAIL.*VmRSS grew" "$TMP/probe.log" && grep -q "^FAIL.*live bytes grew" "$TMP/probe.log"; then
        ok "$name: VmRSS and live bytes both see a deliberate leak of 16 MB a call"
    else bad "$name missed a deliberate leak of 16 MB a call:"; sed 's/^/     | /' "$TMP/probe.log"; fi
}

# --- 1. C: 4 threads, one model -------------------------------------------------------
if cc -std=gnu11 -Wall -Wextra -Werror -O1 "$HERE/soak.c" $(pkg-config --cflags --libs stylize) \
      -lpthread -o "$TMP/soak" 2>"$TMP/cc.log"; then
    ok "soak.c compiles with \$(pkg-config --cflags --libs stylize)"
    probe "soak.c" "$TMP/soak" 8 4
    start=$SECONDS
    timeout 600 "$TMP/soak" "${SOAK_CALLS:-200}" 20 | tee "$TMP/soak.log"
    add_result "$TMP/soak.log" "${PIPESTATUS[0]}" "soak"
    echo "     ($((SECONDS - start)) s)"
else
    bad "soak.c does not compile:"; cat "$TMP/cc.log"
fi

# --- 2. pyvips: one process, 100 pictures ---------------------------------------------
if ! "$PYTHON" -c "import pyvips" 2>"$TMP/err"; then
    bad "$PYTHON cannot import pyvips (install.sh installs it):"; tail -n 3 "$TMP/err"
else
    # An auto-loaded module (system install) must not be opened a second time.
    MODULE=""
    vips -l 2>/dev/null | grep -q "stylize" || MODULE="${VIPS_MODULE_DIR:-$PREFIX/lib/vips-modules-8.14}/vips-stylize.so"
    if [ -n "$MODULE" ] && [ ! -f "$MODULE" ]; then
        bad "vips does not auto-load stylize and there is no $MODULE"
    else
        V=("$HERE/soak_vips.py" "$MODULE" "$IMAGES/tiny_content_64.png" "$IMAGES/tiny_style_64.png")
        probe "soak_vips.py" "$PYTHON" "${V[@]}" 6 2
        start=$SECONDS
        timeout 600 "$PYTHON" "${V[@]}" "${SOAK_VIPS_CALLS:-100}" 20 2>"$TMP/err" | tee "$TMP/vips.log"
        rc=${PIPESTATUS[0]}
        [ "$rc" = 0 ] || sed 's/^/     | /' "$TMP/err" | tail -n 5
        add_result "$TMP/vips.log" "$rc" "soak_vips.py"
        echo "     ($((SECONDS - start)) s)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
