#!/usr/bin/env bash
# Builds the vips operation `stylize` (vips-stylize.so) against an installed
# libstylize and installs it.
#
#   Plugins/vips/build.sh PREFIX [MODULE_DIR]
#
# PREFIX holds include/stylize.h and lib/libstylize.so (as install.sh lays
# them out). MODULE_DIR defaults to PREFIX/lib/vips-modules-8.14; vips only
# auto-loads modules from $(pkg-config --variable=libdir vips)/vips-modules-8.14,
# elsewhere load it with `vips --plugin=MODULE_DIR/vips-stylize.so`.
set -euo pipefail

PREFIX="${1:?usage: build.sh PREFIX [MODULE_DIR]}"
PREFIX="$(cd "$PREFIX" && pwd)"
MODULE_DIR="${2:-$PREFIX/lib/vips-modules-8.14}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CC="${CC:-cc}"

[ -f "$PREFIX/include/stylize.h" ] || { echo "build.sh: no $PREFIX/include/stylize.h (install libstylize first)" >&2; exit 1; }
[ -e "$PREFIX/lib/libstylize.so" ] || { echo "build.sh: no $PREFIX/lib/libstylize.so (install libstylize first)" >&2; exit 1; }

# Build next to the destination, then rename: a running vips never sees a
# half-written module.
mkdir -p "$MODULE_DIR"
TMP="$MODULE_DIR/.vips-stylize.so.$$"
trap 'rm -f "$TMP"' EXIT
# The module links the one installed engine (-lstylize), found at run time
# through the rpath, never a copy of it.
"$CC" -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -fPIC -shared \
    -fvisibility=hidden \
    $(pkg-config --cflags vips) -I"$PREFIX/include" \
    "$HERE/stylize.c" -o "$TMP" \
    -L"$PREFIX/lib" -Wl,-rpath,"$PREFIX/lib" -lstylize \
    $(pkg-config --libs vips) -lm
chmod 755 "$TMP"
mv -f "$TMP" "$MODULE_DIR/vips-stylize.so"
echo "$MODULE_DIR/vips-stylize.so"
