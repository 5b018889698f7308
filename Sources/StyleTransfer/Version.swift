/// Stylize's version, one for the tool (`stylize --version`) and the C library
/// (`stylize_version()`; stylize.h's STYLIZE_VERSION_STRING and stylize.pc carry it
/// as literals, and Tests/c checks that all four agree). The minor number grows
/// when the C ABI gains a function or a field; the major one is the SONAME's.
public let stylizeVersion: StaticString = "1.2.0"
