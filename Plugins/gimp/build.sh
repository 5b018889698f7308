#!/usr/bin/env bash
# Builds the GIMP 2.10 plug-in executable `stylize` against an installed libstylize.
#
#   Plugins/gimp/build.sh PREFIX [OUTFILE]
#
# PREFIX holds include/stylize.h and lib/libstylize.so (as install.sh lays them
# out; STYLIZE_LIBDIR overrides PREFIX/lib). OUTFILE defaults to
# Plugins/gimp/.build-gimp/stylize (and help/index.html beside it); install both as
#   ${GIMP2_DIRECTORY:-~/.config/GIMP/2.10}/plug-ins/stylize/stylize   (per user)
#   /usr/lib/gimp/2.0/plug-ins/stylize/stylize                          (system)
# The plug-in is Swift (plugin.swift, options.swift) plus C: the GTK dialog
# (dialog.c), its preview's worker thread (preview.c) and the libvips style reader (style.c, which reads a style file's
# header before any pixel and decodes it shrunk). It links the installed engine
# (-lstylize, rpath to its libdir), never a copy of it, libvips (pkg-config
# vips), and the Swift runtime statically, so GIMP needs no extra environment.
set -euo pipefail

PREFIX="${1:?usage: build.sh PREFIX [OUTFILE]}"
PREFIX="$(cd "$PREFIX" && pwd)"
LIBDIR="${STYLIZE_LIBDIR:-$PREFIX/lib}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTFILE="${2:-$HERE/.build-gimp/stylize}"
CC="${CC:-cc}"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"

[ -f "$PREFIX/include/stylize.h" ] || { echo "build.sh: no $PREFIX/include/stylize.h (install libstylize first)" >&2; exit 1; }
[ -e "$LIBDIR/libstylize.so" ] || { echo "build.sh: no $LIBDIR/libstylize.so (install libstylize first)" >&2; exit 1; }
for pc in gimp-2.0 gimpui-2.0; do
    pkg-config --exists "$pc" || { echo "build.sh: pkg-config cannot find $pc (apt-get install libgimp2.0-dev)" >&2; exit 1; }
done
pkg-config --exists vips || { echo "build.sh: pkg-config cannot find vips (apt-get install libvips-dev)" >&2; exit 1; }

OBJ="$(mktemp -d)"
mkdir -p "$(dirname "$OUTFILE")"
TMP="$OUTFILE.tmp.$$"
trap 'rm -rf "$OBJ" "$TMP"' EXIT

CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations -I"$HERE/include" -I"$PREFIX/include")
"$CC" "${CFLAGS[@]}" $(pkg-config --cflags gimpui-2.0) -c "$HERE/dialog.c" -o "$OBJ/dialog.o"
"$CC" "${CFLAGS[@]}" $(pkg-config --cflags gimpui-2.0) -c "$HERE/preview.c" -o "$OBJ/preview.o"
"$CC" "${CFLAGS[@]}" $(pkg-config --cflags vips) -c "$HERE/style.c" -o "$OBJ/style.o"

# swiftc takes C flags through -Xcc and linker flags through -Xlinker.
XCC=()
for f in $(pkg-config --cflags gimp-2.0) -I"$PREFIX/include"; do
    case "$f" in -I*|-D*) XCC+=(-Xcc "$f");; esac
done
LINK=()
for f in $(pkg-config --libs gimpui-2.0 vips); do
    case "$f" in
        -l*|-L*) LINK+=("$f");;
        -Wl,*) IFS=, read -ra parts <<<"${f#-Wl,}"; for p in "${parts[@]}"; do LINK+=(-Xlinker "$p"); done;;
    esac
done

"$SWIFTC" -O -static-stdlib -module-name StylizeGimp -parse-as-library -module-cache-path "$OBJ/modules" \
    -I "$HERE/include" "${XCC[@]}" "$HERE/plugin.swift" "$HERE/options.swift" "$OBJ/dialog.o" "$OBJ/preview.o" "$OBJ/style.o" \
    -L"$LIBDIR" -lstylize -Xlinker -rpath -Xlinker "$LIBDIR" "${LINK[@]}" -lm \
    -o "$TMP"
chmod 755 "$TMP"
mv -f "$TMP" "$OUTFILE"
# The dialog's Help button opens this page, found beside the executable.
install -D -m 644 "$HERE/help/index.html" "$(dirname "$OUTFILE")/help/index.html"
echo "$OUTFILE"
