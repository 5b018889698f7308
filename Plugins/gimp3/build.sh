#!/usr/bin/env bash
# Builds the GIMP 3 plug-in executable `stylize` against an installed libstylize.
#
#   Plugins/gimp3/build.sh PREFIX [OUTFILE]
#
# PREFIX holds include/stylize.h and lib/libstylize.so (as install.sh lays them
# out; STYLIZE_LIBDIR overrides PREFIX/lib). OUTFILE defaults to
# Plugins/gimp3/.build-gimp3/stylize; install it as
#   ${GIMP3_DIRECTORY:-~/.config/GIMP/3.0}/plug-ins/stylize/stylize     (per user)
#   /usr/lib/x86_64-linux-gnu/gimp/3.0/plug-ins/stylize/stylize          (system)
# (the executable's name must be its folder's), with help/index.html beside it. C: plugin.c (the GimpPlugIn),
# args.c (arguments from the option table), run.c (GEGL pixels, the engine
# call), dialog.c (GimpProcedureDialog), preview.c (its preview worker), and the GIMP 2.10 plug-in's libvips
# style reader (../gimp/style.c). Links the installed engine (-lstylize,
# rpath to its libdir), never a copy of it. Needs libgimp-3.0-dev, libvips-dev.
set -euo pipefail

PREFIX="${1:?usage: build.sh PREFIX [OUTFILE]}"
PREFIX="$(cd "$PREFIX" && pwd)"
LIBDIR="${STYLIZE_LIBDIR:-$PREFIX/lib}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTFILE="${2:-$HERE/.build-gimp3/stylize}"
CC="${CC:-cc}"

[ -f "$PREFIX/include/stylize.h" ] || { echo "build.sh: no $PREFIX/include/stylize.h (install libstylize first)" >&2; exit 1; }
[ -e "$LIBDIR/libstylize.so" ] || [ -e "$LIBDIR/libstylize.so.1" ] \
    || { echo "build.sh: no $LIBDIR/libstylize.so (install libstylize first)" >&2; exit 1; }
for pc in gimp-3.0 gimpui-3.0; do
    pkg-config --exists "$pc" || { echo "build.sh: pkg-config cannot find $pc (apt-get install libgimp-3.0-dev)" >&2; exit 1; }
done
pkg-config --exists vips || { echo "build.sh: pkg-config cannot find vips (apt-get install libvips-dev)" >&2; exit 1; }

# stylize_options fields added after 1.1 that this stylize.h has (STYLIZE_HAS_<FIELD>):
# args.c reads the options the table names for GIMP only where the struct has them.
HAS=()
for field in output_size time_limit; do
    printf '#include <stddef.h>\n#include <stylize.h>\nsize_t x = offsetof(stylize_options, %s);\n' "$field" \
        | "$CC" -fsyntax-only -I"$PREFIX/include" -x c - 2>/dev/null && HAS+=("-DSTYLIZE_HAS_${field^^}")
done

mkdir -p "$(dirname "$OUTFILE")"
TMP="$OUTFILE.tmp.$$"
trap 'rm -f "$TMP"' EXIT
# -l:libstylize.so.1 links the SONAME file itself (a prefix may carry no dev symlink).
"$CC" -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -Wno-ignored-qualifiers -I"$HERE" -I"$HERE/../gimp/include" -I"$PREFIX/include" \
    "${HAS[@]}" $(pkg-config --cflags gimpui-3.0 vips) \
    "$HERE/plugin.c" "$HERE/args.c" "$HERE/run.c" "$HERE/dialog.c" "$HERE/preview.c" "$HERE/../gimp/style.c" \
    -L"$LIBDIR" -l:libstylize.so.1 -Wl,-rpath,"$LIBDIR" $(pkg-config --libs gimpui-3.0 vips) -lm \
    -o "$TMP"
chmod 755 "$TMP"
mv -f "$TMP" "$OUTFILE"
# The Help button's page, beside the executable (GIMP's own manual does not know the plug-in).
install -D -m 644 "$HERE/help/index.html" "$(dirname "$OUTFILE")/help/index.html"
echo "$OUTFILE"
