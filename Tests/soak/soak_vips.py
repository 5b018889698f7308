"""Soak test of the vips module through pyvips: one process stylizes CALLS
different tiny pictures in a loop. Between a warm-up of WARMUP calls and the
last call, resident memory (VmRSS) must grow by less than 5 MB, and the bytes
malloc holds for live blocks (mallinfo2) by less than 512 kB: VmRSS is what the
host sees, but a small leak hides in the free memory malloc keeps resident from
a run's peak (the 58 MB model buffer, activations); live bytes show it.

Each call goes the whole host path: pyvips builds the operation, the module
checks headers, opens the model (about 58 MB read per call), converts bands,
runs the engine and hands back a vips image, which is read into Python bytes
and dropped. A leaked model, picture or vips object per call shows as growth.

    python3 soak_vips.py MODULE CONTENT STYLE [CALLS] [WARMUP]

MODULE: the vips-stylize.so to open with GLib, or "" when vips auto-loads it.
Prints the figures and "N passed, M failed". STYLIZE_SOAK_PROBE_LEAK_KB=N
makes the loop itself keep N kB per call: run.sh uses it to show that the
measurement sees a leak.
"""
import ctypes
import os
import sys
import time

import pyvips

# The module loader the vips tests use (Plugins/vips/pyvips_load.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Plugins", "vips"))
from pyvips_load import load  # noqa: E402

RSS_LIMIT_MB = 5.0
LIVE_LIMIT_MB = 0.5
SIDE = 32


def vm_rss_mb():
    """Resident set size of this process, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]


LIBC = ctypes.CDLL(None)
LIBC.mallinfo2.restype = Mallinfo2


def measure():
    """(VmRSS MB, malloc's live bytes in MB: small blocks in every arena plus
    mmapped blocks). vips, the module and the library allocate with malloc."""
    m = LIBC.mallinfo2()
    return vm_rss_mb(), (m.uordblks + m.hblkhd) / 1048576.0


def main():
    module, content_path, style_path = sys.argv[1:4]
    calls = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    warmup = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    probe_leak = int(os.environ.get("STYLIZE_SOAK_PROBE_LEAK_KB", "0")) * 1024
    kept = []
    load(module)
    # vips' operation cache keeps up to 100 recent operations (the crops and
    # flips below) by design; it would read as growth, and it is not what is
    # measured. The stylize operation itself is never cached.
    pyvips.cache_set_max(0)
    # Decoded once: the loop measures stylize, not the PNG loader.
    base = pyvips.Image.new_from_file(content_path).copy_memory()
    style = pyvips.Image.new_from_file(style_path).copy_memory()
    room_x, room_y = base.width - SIDE, base.height - SIDE

    def picture(i):
        """Call i's own content: a different 32x32 window, flipped on odd calls."""
        crop = base.crop((i * 7) % (room_x + 1), (i * 13) % (room_y + 1), SIDE, SIDE)
        return crop.fliphor() if i % 2 else crop

    def stylize(i):
        out = picture(i).stylize(style, iterations=1, size=SIDE)
        return out.width, out.height, out.bands, out.write_to_memory()

    passed = failed = 0
    first = None
    at_warm = t_warm = None
    for i in range(calls):
        if i == warmup:
            at_warm, t_warm = measure(), time.monotonic()
        try:
            w, h, bands, data = stylize(i)
        except pyvips.Error as e:
            print(f"FAIL call {i}: {e.message.strip()} {e.detail.strip()}")
            failed += 1
            continue
        if (w, h, bands, len(data)) != (SIDE, SIDE, 3, SIDE * SIDE * 3):
            print(f"FAIL call {i}: got {w}x{h}x{bands}, {len(data)} bytes")
            failed += 1
        if i == 0:
            first = data
        if probe_leak:
            kept.append(bytearray(b"\1" * probe_leak))
    t_end, at_end = time.monotonic(), measure()
    if failed == 0:
        passed += 1
        print(f"ok   {calls} pyvips stylize calls give {SIDE}x{SIDE} RGB images")

    # No state carried between calls: call 0 made again after all the others.
    if first is not None and stylize(0)[3] == first:
        passed += 1
        print("ok   call 0 repeated after the soak gives the same bytes")
    else:
        failed += 1
        print("FAIL call 0 repeated after the soak gives other bytes")

    rate = (calls - warmup) / (t_end - t_warm)
    print(f"soak-vips: {calls} calls in one pyvips process ({warmup} warm-up), "
          f"{SIDE}x{SIDE}, 1 iteration, size {SIDE}: {rate:.2f} calls/s")
    # VmRSS in MB and live bytes in kB, as soak.c prints them.
    for k, label, limit, unit, scale in ((0, "VmRSS", RSS_LIMIT_MB, "MB", 1), (1, "malloc live bytes", LIVE_LIMIT_MB, "kB", 1024)):
        growth = at_end[k] - at_warm[k]
        print(f"soak-vips: {label} after warm-up {at_warm[k]:.1f} MB, at the end {at_end[k]:.1f} MB, "
              f"growth {growth * scale:+.2f} {unit} (limit {limit * scale:.0f} {unit})")
        if growth < limit:
            passed += 1
            print(f"ok   {label} growth {growth * scale:+.2f} {unit} < {limit * scale:.0f} {unit}")
        else:
            failed += 1
            print(f"FAIL {label} grew by {growth * scale:.2f} {unit} over {calls - warmup} calls after the warm-up")
    print(f"{passed} passed, {failed} failed")
    return failed != 0


if __name__ == "__main__":
    sys.exit(main())
