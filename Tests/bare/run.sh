#!/usr/bin/env bash
# The README's quick start on a bare Debian 12 (bookworm) with only a Swift toolchain: a green CI on
# a prepared machine hides missing install steps, this does not.
#
#   sudo Tests/bare/run.sh [--full] [--keep] [--rev REV]
#
# 1. debootstrap a minbase bookworm root into .build-bare/root (from the host's own Debian mirror,
#    read from /etc/apt/sources.list*), plus the Swift toolchain's documented Debian 12 dependencies;
#    the host's /opt/swift is bind-mounted read-only, as a user's unpacked toolchain on PATH.
# 2. `git clone` the repo (committed REV, default HEAD) into /root/stylize inside the root.
# 3. Run, as the README says: the quick start line, the pyvips line (with Debian's /usr/bin/python3,
#    the only python3 there) and `vips stylize` (auto-loaded module); with --full also
#    `./install.sh --test`. Each is one check; the last line is "N passed, M failed".
#
# Caches only .deb files, in /var/cache/apt/stylize-bare (never the host's own apt cache, so the
# host's apt lock is never taken). The root is deleted at the end (kept with --keep), mounts are
# undone on any exit. Needs root and network to the Debian mirror and PyPI.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BASE="$REPO/.build-bare"
ROOT="$BASE/root"
DEBCACHE=/var/cache/apt/stylize-bare
FULL=0; KEEP=0; REV=HEAD
while [ $# -gt 0 ]; do
    case "$1" in
        --full) FULL=1; shift ;;
        --keep) KEEP=1; shift ;;
        --rev) REV="${2:?--rev needs a commit}"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
[ -x /opt/swift/usr/bin/swift ] || { echo "run.sh: no Swift toolchain at /opt/swift" >&2; exit 2; }
# What swift.org's toolchain needs on Debian 12 (swiftly's list); nothing of Stylize's own.
SWIFT_DEPS="binutils libicu-dev libcurl4-openssl-dev libedit-dev libsqlite3-dev libncurses-dev
  libpython3-dev libxml2-dev pkg-config uuid-dev tzdata git gcc libstdc++-12-dev"

PASS=0; FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 15 "$2" | sed 's/^/     | /'; }
phase() { echo "--- $1 ($((SECONDS - T0)) s)"; }
T0=$SECONDS

# --- mounts, undone on every exit --------------------------------------------
MOUNTS=()
bind() { mkdir -p "$ROOT/$2" && mount --bind "${@:3}" "$1" "$ROOT/$2" && MOUNTS+=("$ROOT/$2"); }
unmount_all() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"; done
    MOUNTS=()
}
# Deletes the root only when nothing is mounted below it (a bound /dev or /opt/swift would be
# deleted with it otherwise); --one-file-system as a second guard.
remove_root() {
    if grep -q " $ROOT/" /proc/mounts; then echo "run.sh: mounts left under $ROOT, not deleting it" >&2; return 1; fi
    rm -rf --one-file-system "$ROOT"
}
cleanup() {
    unmount_all
    if [ "$KEEP" = 1 ]; then echo "root kept: $ROOT"; else remove_root; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the host's Debian 12 sources (deb822 or one-line), for the root's apt ----------------
# Prints the bookworm paragraphs of the host's deb822 files, else its one-line "deb" entries.
bookworm_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk 'BEGIN { RS = ""; ORS = "\n\n" } /(^|\n)Suites:[^\n]*bookworm/' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && grep -E '^deb[[:space:]]+[^[:space:]]+[[:space:]]+bookworm' "$f"
    done
    return 0
}
mirror() {
    bookworm_sources | awk '/^URIs:/ && !/security/ { print $2; exit } /^deb / && $3 == "bookworm" { print $2; exit }'
}

# --- 1. the root ---------------------------------------------------------------
phase "debootstrap bookworm"
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } \
    || { echo "run.sh: cannot install debootstrap" >&2; exit 1; }
MIRROR="$(mirror)"
[ -n "$MIRROR" ] || { echo "run.sh: no bookworm mirror in /etc/apt/sources.list*" >&2; exit 1; }
mkdir -p "$BASE" "$DEBCACHE"
if [ -e "$ROOT" ]; then remove_root || exit 1; fi
if ! debootstrap --variant=minbase --cache-dir="$DEBCACHE" bookworm "$ROOT" "$MIRROR" >"$BASE/debootstrap.log" 2>&1; then
    bad "debootstrap bookworm from $MIRROR" "$BASE/debootstrap.log"; echo "$PASS passed, $FAIL failed"; exit 1
fi
bookworm_sources > "$ROOT/etc/apt/sources.list.d/debian.sources.tmp"
if grep -q '^URIs:' "$ROOT/etc/apt/sources.list.d/debian.sources.tmp"; then
    mv "$ROOT/etc/apt/sources.list.d/debian.sources.tmp" "$ROOT/etc/apt/sources.list.d/debian.sources"
    rm -f "$ROOT/etc/apt/sources.list"
else
    mv "$ROOT/etc/apt/sources.list.d/debian.sources.tmp" "$ROOT/etc/apt/sources.list"
fi
# Signed-By names the host's keyring path; debootstrap's root has the same Debian keyring.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This environment's TLS: HTTPS goes through a CA only the host's bundle carries (see
# ../shared/notes/HOSTS.md). Kept beside the root's own bundle (which ca-certificates regenerates)
# and handed to pip as PIP_CERT. A user's own machine has its own working TLS.
CHROOT_ENV=(HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
    PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ROOT/etc/ssl" && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/host-ca-certificates.crt"
    CHROOT_ENV+=(PIP_CERT=/etc/ssl/host-ca-certificates.crt)
fi
# This environment reaches GitHub only through local package mirrors (git insteadOf).
[ -f /etc/gitconfig ] && cp /etc/gitconfig "$ROOT/etc/gitconfig"
[ -f /etc/gitignore ] && cp /etc/gitignore "$ROOT/etc/gitignore"

bind /proc proc; bind /sys sys; bind /dev dev; bind /dev/pts dev/pts
bind /opt/swift opt/swift -o ro && mount -o remount,ro,bind "$ROOT/opt/swift"
[ -d /opt/swift-packages ] && bind /opt/swift-packages opt/swift-packages -o ro
bind "$DEBCACHE" var/cache/apt/archives
in_root() { chroot "$ROOT" /usr/bin/env -i "${CHROOT_ENV[@]}" /bin/bash -c "$1"; }

phase "the Swift toolchain's Debian packages"
if in_root "apt-get update -q && apt-get install -y -q --no-install-recommends $(echo $SWIFT_DEPS)" >"$BASE/swift-deps.log" 2>&1 \
    && in_root "swift --version" >>"$BASE/swift-deps.log" 2>&1; then
    ok "bare bookworm with a working Swift toolchain ($(in_root 'swift --version 2>/dev/null | head -n 1'))"
else
    bad "bare bookworm with a working Swift toolchain" "$BASE/swift-deps.log"; echo "$PASS passed, $FAIL failed"; exit 1
fi
# The root starts with no pip: what a newcomer has.
in_root "python3 -m pip --version" >/dev/null 2>&1 && echo "note: the root already has pip"

# --- 2. a fresh clone ----------------------------------------------------------------
phase "git clone $REV"
COMMIT="$(git -C "$REPO" rev-parse --verify "$REV^{commit}")" || { echo "run.sh: no commit $REV" >&2; exit 1; }
git clone -q --no-checkout "$REPO" "$ROOT/root/stylize" && git -C "$ROOT/root/stylize" checkout -q "$COMMIT" \
    || { echo "run.sh: git clone failed" >&2; exit 1; }

# --- 3. the README's commands ----------------------------------------------------------
# Taken from README.md of that commit, so the test follows what the README says.
README="$ROOT/root/stylize/README.md"
QUICK="$(grep -m1 -E '^\./install\.sh && stylize ' "$README")"
PYLINE="$(grep -m1 -E '^python3 -c "import pyvips' "$README" | sed -E 's/[[:space:]]+#.*$//')"
[ -n "$QUICK" ] || bad "README has a quick start line './install.sh && stylize ...'"
[ -n "$PYLINE" ] || bad "README has a pyvips line 'python3 -c \"import pyvips ...'"

if [ -n "$QUICK" ]; then
    phase "quick start: $QUICK"
    start=$SECONDS
    if in_root "cd /root/stylize && $QUICK" >"$BASE/quick-start.log" 2>&1 \
        && in_root "cd /root/stylize && [ \"\$(vipsheader -f width stylized.png)x\$(vipsheader -f height stylized.png)\" = \
             \"\$(vipsheader -f width examples/content_chelsea_cat.jpg)x\$(vipsheader -f height examples/content_chelsea_cat.jpg)\" ]" \
             >>"$BASE/quick-start.log" 2>&1; then
        ok "quick start: installs and writes stylized.png at the content's size ($((SECONDS - start)) s)"
    else
        bad "quick start ($((SECONDS - start)) s)" "$BASE/quick-start.log"
    fi
    grep -E "==>|error" "$BASE/quick-start.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/     /'

    if in_root "vips stylize" 2>&1 | grep -q "style"; then ok "vips stylize: the module auto-loads"
    else bad "vips stylize: the module auto-loads"; fi
fi

if [ -n "$PYLINE" ]; then
    phase "pyvips line"
    start=$SECONDS
    # c.jpg and s.jpg as the README names them: the example photo and painting.
    if in_root "command -v python3 && mkdir -p /root/py && cd /root/py \
            && cp /root/stylize/examples/content_chelsea_cat.jpg c.jpg \
            && cp /root/stylize/examples/style_starry_night_vangogh.jpg s.jpg && $PYLINE \
            && vipsheader o.png" >"$BASE/pyvips.log" 2>&1; then
        ok "pyvips line with $(head -n 1 "$BASE/pyvips.log") writes o.png ($((SECONDS - start)) s)"
    else
        bad "pyvips line ($((SECONDS - start)) s)" "$BASE/pyvips.log"
    fi
fi

if [ "$FULL" = 1 ]; then
    phase "./install.sh --test"
    start=$SECONDS
    in_root "cd /root/stylize && ./install.sh --test" >"$BASE/install-test.log" 2>&1
    rc=$?
    line="$(grep -E '^all suites: ' "$BASE/install-test.log" | tail -n 1)"
    if [ "$rc" = 0 ] && [ -n "$line" ]; then ok "./install.sh --test: $line ($((SECONDS - start)) s)"
    else bad "./install.sh --test: ${line:-no summary}, exit $rc ($((SECONDS - start)) s)" "$BASE/install-test.log"; fi
    grep -E '^=== [a-z-]+: ' "$BASE/install-test.log" | sed 's/^/     /'
fi

phase "done"
echo "logs: $BASE/*.log"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
