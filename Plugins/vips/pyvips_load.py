"""Opens the vips-stylize module in a pyvips process when vips does not
auto-load it (a user prefix): GLib must open it, so that g_module_check_init
registers the operation (a plain dlopen would not). Used by the vips and soak
tests; see README.md for the same in a user's script."""
import ctypes

import pyvips


def load(module):
    """Registers `stylize` from the module file `module` ("" or None: auto-loaded)."""
    if module and not pyvips.type_find("VipsOperation", "stylize"):
        gmodule = ctypes.CDLL("libgmodule-2.0.so.0")
        gmodule.g_module_open.restype = ctypes.c_void_p
        gmodule.g_module_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
        if not gmodule.g_module_open(module.encode(), 0):
            raise SystemExit("g_module_open failed for " + module)
