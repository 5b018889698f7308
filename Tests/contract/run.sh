#!/usr/bin/env bash
# The contract of issue 12, checked across the front doors:
#   verdicts.sh  every numeric option of the table at its limits, just outside
#                them, NaN and infinity through the CLI, the C ABI, vips and
#                GIMP: all give the same verdict (a table case x door)
#   corpus.sh    the bad-input corpus (make_corpus.py): bombs, truncated and
#                odd images, written paths equal to inputs, the error format
#
#   Tests/contract/run.sh PREFIX
#
# Uses $STYLIZE_BIN (default PREFIX/bin/stylize), the library and header of
# PREFIX (pkg-config stylize), vips with the stylize module (auto-loaded, or
# $VIPS_MODULE_DIR/vips-stylize.so), gimp-console with the plug-in in
# $GIMP_PLUGIN_DIR (default PREFIX/lib/gimp/2.0/plug-ins/stylize, then the
# system's), $STYLIZE_MODEL (default PREFIX's model). Images only from the
# repo (examples/, Tests/fixtures/). CONTRACT_PARTS="verdicts corpus" picks
# parts; CONTRACT_DOORS="cli c vips gimp" picks the verdict columns;
# CONTRACT_KEEP=1 keeps the work folder.
# Last line: "N passed, M failed"; exit status non-zero on any failure.
set -u
[ $# -eq 1 ] || { echo "usage: $0 PREFIX"; echo "0 passed, 1 failed"; exit 2; }
PREFIX="$(cd "$1" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${STYLIZE_BIN:-$PREFIX/bin/stylize}"
export STYLIZE_MODEL="${STYLIZE_MODEL:-$PREFIX/share/stylize/vgg16.safetensors}"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
CONTENT="$REPO/examples/tiny_content_64.png"
STYLE="$REPO/examples/tiny_style_64.png"
PARTS="${CONTRACT_PARTS:-verdicts corpus}"
DOORS="${CONTRACT_DOORS:-cli c vips gimp}"
TMP="$(mktemp -d /tmp/stylize-contract.XXXXXX)"
passed=0; failed=0
cleanup() { [ "$failed" = 0 ] && [ -z "${CONTRACT_KEEP:-}" ] && rm -rf "$TMP" || echo "(files kept in $TMP)"; }
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

[ -x "$BIN" ] || { bad "no stylize executable at $BIN (set STYLIZE_BIN)"; echo "$passed passed, $failed failed"; exit 1; }
[ -f "$STYLIZE_MODEL" ] || { bad "no model at $STYLIZE_MODEL (set STYLIZE_MODEL)"; echo "$passed passed, $failed failed"; exit 1; }

# The C door: options.c against the installed header and library.
if pkg-config --exists stylize; then LIBFLAGS="$(pkg-config --cflags --libs stylize)"
else LIBFLAGS="-I$PREFIX/include -L$PREFIX/lib -Wl,-rpath,$PREFIX/lib -lstylize"; fi
OPTIONS="$TMP/options"
# shellcheck disable=SC2086
if cc -std=gnu11 -Wall -Wextra -Werror -O1 "$HERE/options.c" $LIBFLAGS -lm -o "$OPTIONS" 2>"$TMP/cc.log"; then
    ok "options.c compiles against the installed stylize.h"
else
    bad "options.c does not compile:"; cat "$TMP/cc.log"; echo "$passed passed, $failed failed"; exit 1
fi

for part in $PARTS; do
    echo "--- $part"
    # shellcheck source=/dev/null
    source "$HERE/$part.sh"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
