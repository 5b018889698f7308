#!/usr/bin/env bash
# Tests the installed C library: compiles test_abi.c and the example with cc
# against PREFIX/include and PREFIX/lib/pkgconfig, runs them, and checks that
# the library stands alone. Needs $STYLIZE_MODEL (default: PREFIX's model).
#   Tests/c/run.sh PREFIX      -> last line "N passed, M failed"
set -u
[ $# -eq 1 ] || { echo "usage: $0 PREFIX"; echo "0 passed, 1 failed"; exit 2; }
PREFIX="$(cd "$1" && pwd)"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export STYLIZE_MODEL="${STYLIZE_MODEL:-$PREFIX/share/stylize/vgg16.safetensors}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

LIB="$PREFIX/lib/libstylize.so.1"
if readelf -d "$LIB" 2>/dev/null | grep -q 'SONAME.*\[libstylize.so.1\]'; then ok "SONAME libstylize.so.1"; else bad "SONAME of $LIB"; fi
[ "$(readlink "$PREFIX/lib/libstylize.so")" = libstylize.so.1 ] && ok "libstylize.so -> libstylize.so.1" || bad "libstylize.so link"
deps="$(ldd "$LIB" 2>&1)"
if echo "$deps" | grep -qE 'not found|/opt/swift|swift|\.build'; then bad "ldd points into the toolchain or build tree:"; echo "$deps"
else ok "ldd: system libraries only"; fi
exports="$(nm -D --defined-only "$LIB" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | grep -v '^STYLIZE_1$' | sort | tr '\n' ' ')"
# Exactly the functions stylize.h declares.
expected="$(grep -oE '^[a-z0-9_ ]*[ *](stylize[a-z_]*)\(' "$PREFIX/include/stylize.h" | grep -oE 'stylize[a-z_]*\($' | tr -d '(' | sort -u | tr '\n' ' ')"
[ "$exports" = "$expected" ] && ok "exports exactly the C ABI" || bad "exported symbols: $exports"

# One version: the header's, stylize.pc's and the tool's (test_abi compares stylize_version() with the header).
version="$(sed -n 's/^#define STYLIZE_VERSION_STRING "\(.*\)"$/\1/p' "$PREFIX/include/stylize.h")"
tool="$("$PREFIX/bin/stylize" --version 2>&1)"
[ -n "$version" ] && [ "$(pkg-config --modversion stylize)" = "$version" ] && [ "$tool" = "$version" ] \
    && ok "version $version in stylize.h, stylize.pc and stylize --version" \
    || bad "versions: stylize.h '$version', stylize.pc '$(pkg-config --modversion stylize)', stylize --version '$tool'"

CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O1"
if cc $CFLAGS "$REPO/Tests/c/test_abi.c" $(pkg-config --cflags --libs stylize) -lpthread -lm -o "$TMP/test_abi" 2>"$TMP/cc.log"; then
    ok "test_abi.c compiles with \$(pkg-config --cflags --libs stylize)"
    if [ -f "$PREFIX/share/stylize/vgg16.safetensors" ]; then export STYLIZE_TEST_INSTALLED_MODEL=1
    else echo "note: no model in $PREFIX/share/stylize: the default lookup is not tested"; fi
    "$TMP/test_abi" | tee "$TMP/test.log"
    rc=${PIPESTATUS[0]}
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/test.log" | tail -n 1)"
    if [ -n "$line" ]; then
        passed=$((passed + ${line%% passed*})); f="${line#*passed, }"; failed=$((failed + ${f%% failed}))
        [ "$rc" = 0 ] || [ "${f%% failed}" != 0 ] || bad "test_abi exited $rc"
    else
        bad "test_abi crashed or printed no result (exit $rc)"
    fi
else
    bad "test_abi.c does not compile:"; cat "$TMP/cc.log"
fi

# 16-bit and float pixels (a smooth 16-bit gradient keeps more than 256 levels) and stylize_estimate.
if cc $CFLAGS "$REPO/Tests/c/test_formats.c" $(pkg-config --cflags --libs stylize) -lm -o "$TMP/test_formats" 2>"$TMP/cc.log"; then
    "$TMP/test_formats" | tee "$TMP/formats.log"
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/formats.log" | tail -n 1)"
    if [ -n "$line" ]; then
        passed=$((passed + ${line%% passed*})); f="${line#*passed, }"; failed=$((failed + ${f%% failed}))
    else bad "test_formats crashed or printed no result"; fi
else
    bad "test_formats.c does not compile:"; cat "$TMP/cc.log"
fi

# stylize_blas_restart: starts the program again (same pid, same arguments, the fitting
# core set) exactly when stylize_blas_restart_core() names a core, and only once.
if cc $CFLAGS "$REPO/Tests/c/restart_probe.c" $(pkg-config --cflags --libs stylize) -o "$TMP/probe" 2>"$TMP/cc.log"; then
    "$TMP/probe" first-arg > "$TMP/probe.log" 2>&1
    read -r _ _ pid _ _ _ core < "$TMP/probe.log"
    if [ "$core" = - ]; then
        expect="start pid $pid arg first-arg core -
run pid $pid arg first-arg OPENBLAS_CORETYPE ${OPENBLAS_CORETYPE:--} fallback ${STYLIZE_OPENBLAS_FALLBACK:--}"
    else
        expect="start pid $pid arg first-arg core $core
start pid $pid arg first-arg core -
run pid $pid arg first-arg OPENBLAS_CORETYPE $core fallback Prescott"
    fi
    [ "$(cat "$TMP/probe.log")" = "$expect" ] && ok "stylize_blas_restart (core to start again with: $core)" \
        || { bad "stylize_blas_restart:"; cat "$TMP/probe.log"; }
else
    bad "restart_probe.c does not compile:"; cat "$TMP/cc.log"
fi

# The README's example: PPM in, PPM out, progress on stderr.
if cc $CFLAGS "$REPO/examples/c/stylize_example.c" $(pkg-config --cflags --libs stylize) -o "$TMP/example" 2>"$TMP/cc.log"; then
    ok "examples/c/stylize_example.c compiles"
    { printf 'P6\n# content\n48 32\n255\n'; head -c $((48 * 32 * 3)) /dev/urandom; } > "$TMP/content.ppm"
    { printf 'P6\n40 40\n255\n'; head -c $((40 * 40 * 3)) /dev/urandom; } > "$TMP/style.ppm"
    if "$TMP/example" "$TMP/content.ppm" "$TMP/style.ppm" "$TMP/out.ppm" 3 >"$TMP/ex.log" 2>&1 \
       && [ "$(head -c 2 "$TMP/out.ppm")" = P6 ] && [ "$(stat -c %s "$TMP/out.ppm")" -ge $((48 * 32 * 3)) ] \
       && grep -q "iteration 3/3" "$TMP/ex.log"; then
        ok "example stylizes a PPM with progress"
    else
        bad "example run:"; cat "$TMP/ex.log"
    fi
    if "$TMP/example" "$TMP/missing.ppm" "$TMP/style.ppm" "$TMP/out2.ppm" >"$TMP/ex.log" 2>&1; then
        bad "example accepted a missing input"
    elif grep -q "missing.ppm" "$TMP/ex.log" && [ ! -e "$TMP/out2.ppm" ]; then ok "example names a missing input"
    else bad "example error message:"; cat "$TMP/ex.log"; fi
else
    bad "stylize_example.c does not compile:"; cat "$TMP/cc.log"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
