import CVipsShim
import Foundation

/// Ctrl-C during a run: the first SIGINT lets the current iteration finish and
/// the run saves its current picture; a second one, or SIGTERM/SIGHUP, ends the
/// process at once. In every case the temporary file being written is removed
/// (the handler lives in vips_shim.c: a C handler can stay async-signal-safe,
/// it only sets a sig_atomic_t flag or unlinks and re-raises).
enum Interrupt {
    /// Installs the handlers (once); SIGINT still ends the process at once.
    static func install() { stylize_temp_cleanup_install() }

    /// While on, the first SIGINT only sets `requested`.
    static func deferFirst(_ on: Bool) { stylize_interrupt_defer(on ? 1 : 0) }

    /// Whether a deferred SIGINT has arrived.
    static var requested: Bool { stylize_interrupted() != 0 }

    /// Ends the process by SIGINT after a graceful stop, so that the parent
    /// sees what it sent (a shell: status 130; a loop around stylize stops).
    static func exit() -> Never {
        stylize_interrupt_exit()
        Foundation.exit(130)
    }
}
