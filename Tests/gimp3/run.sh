#!/usr/bin/env bash
# Tests of the GIMP 3 plug-in (Plugins/gimp3). Where GIMP 3 and libgimp-3.0-dev are installed
# (Debian 13) they run here; on Debian 12 (GIMP 2.10 only) GIMP 3.0 runs in a Debian 13 root
# (Tests/gimp3/debian13-root, cached outside the clone, built once: ~2-5 min), where the
# plug-in is built with the root's gcc and libgimp-3.0 against the libstylize.so.1 of PREFIX.
#
#   STYLIZE_MODEL=/path/vgg16.safetensors Tests/gimp3/run.sh PREFIX
#
# Checks (Tests/gimp3/checks.sh, inside the root): the build; the host-built library loads on
# Debian 13; registration; a headless gimp-console-3.0 Script-Fu batch run with named arguments
# whose output differs from the input only inside a rectangular selection; bad values give
# a message naming the option, not a crash; the dialog under Xvfb (OK only with a style; the
# preview on its worker thread, the estimate line, a cancel after the preview leaving the image
# unchanged) and its screenshot, kept in $GIMP3_TEST_ARTIFACTS (default: a temporary folder, printed).
# The root needs root (debootstrap, chroot, bind mounts). Last line: "N passed, M failed".
set -uo pipefail
PREFIX="${1:?usage: STYLIZE_MODEL=FILE run.sh PREFIX}"
PREFIX="$(cd "$PREFIX" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
: "${STYLIZE_MODEL:?set STYLIZE_MODEL to the VGG model file}"
LIBDIR="${STYLIZE_LIBDIR:-$PREFIX/lib}"
passed=0; failed=0
result() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
start=$SECONDS
if command -v gimp-console-3.0 >/dev/null && pkg-config --exists gimp-3.0 gimpui-3.0 2>/dev/null; then
    # GIMP 3 on this machine (Debian 13): no root needed.
    WORK="$(mktemp -d /tmp/stylize-gimp3-test.XXXXXX)"
    RUN=(bash "$HERE/checks.sh" "$WORK")
else
    [ "$(id -u)" = 0 ] || { echo "FAIL gimp3: no GIMP 3 here, and the Debian 13 root needs root (debootstrap, chroot, mount)"; failed=1; result; }
    if "$HERE/debian13-root" build >"${TMPDIR:-/tmp}/stylize-debian13-root.log" 2>&1; then
        echo "PASS Debian 13 root with GIMP 3: $("$HERE/debian13-root" path) ($((SECONDS - start)) s)"; passed=1
    else
        tail -n 5 "${TMPDIR:-/tmp}/stylize-debian13-root.log"
        echo "FAIL Debian 13 root: see ${TMPDIR:-/tmp}/stylize-debian13-root.log"; failed=1; result
    fi
    INNER="/tmp/stylize-gimp3-test.$$"  # the checks' folder as the root sees it
    WORK="$("$HERE/debian13-root" path)$INNER"
    RUN=("$HERE/debian13-root" run "$REPO" "bash Tests/gimp3/checks.sh $INNER")
fi
trap 'rm -rf "$WORK" "$WORK.out"' EXIT

# What the checks need: the library and header (as installed), the model.
mkdir -p "$WORK/prefix/lib" "$WORK/prefix/include"
cp "$LIBDIR/libstylize.so.1" "$WORK/prefix/lib/" && cp "$PREFIX/include/stylize.h" "$WORK/prefix/include/" \
    && { ln -f "$STYLIZE_MODEL" "$WORK/model.safetensors" 2>/dev/null || cp "$STYLIZE_MODEL" "$WORK/model.safetensors"; } \
    || { echo "FAIL staging: cannot copy $LIBDIR/libstylize.so.1, stylize.h or $STYLIZE_MODEL into $WORK"; failed=1; result; }

"${RUN[@]}" 2>&1 | tee "$WORK.out"
p=$(grep -c '^PASS ' "$WORK.out"); f=$(grep -c '^FAIL ' "$WORK.out")
[ "$p" -gt 0 ] || f=$((f + 1))  # the checks did not run at all
passed=$((passed + p)); failed=$((failed + f))
ARTIFACTS="${GIMP3_TEST_ARTIFACTS:-$(mktemp -d /tmp/stylize-gimp3-artifacts.XXXXXX)}"
mkdir -p "$ARTIFACTS"
cp "$WORK/dialog.png" "$ARTIFACTS/gimp3-dialog.png" 2>/dev/null && echo "dialog screenshot: $ARTIFACTS/gimp3-dialog.png"
[ "$failed" = 0 ] || cp "$WORK"/*.log "$ARTIFACTS/" 2>/dev/null
echo "gimp3: $((SECONDS - start)) s"
result
