import CKernels
import COpenBLAS
import Foundation

/// Which GEMM kernels OpenBLAS runs. OpenBLAS picks them once, when it loads, from the
/// CPU's model number, and an Intel model newer than the OpenBLAS build gets its generic
/// Prescott (SSE3) kernels (OpenBLAS issue 4267, fixed in 0.3.25; Debian 12 ships 0.3.21,
/// which does not know Sapphire, Emerald or Granite Rapids). On 2 cores of an Emerald
/// Rapids Xeon that made sgemm 3.7x slower (56.7 against 208 GFLOP/s) and an iteration
/// at 256 px 3.5x (0.945 s against 0.271). OPENBLAS_CORETYPE, read at load, overrides it.
public enum BLASCore {
    /// The core OpenBLAS runs: "Prescott", "Haswell", "SkylakeX", "Cooperlake", ...
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The core that fits this CPU by its feature bits (`sk_openblas_core`), nil for a CPU
    /// without AVX2 and FMA.
    public static var fitting: String? { fittingName.map { String(cString: $0) } }
    /// `fitting` as a C string that lives as long as the process (for the C ABI).
    public static var fittingName: UnsafePointer<CChar>? { sk_openblas_core() }

    /// The OPENBLAS_CORETYPE a process should start again with, or nil to keep its kernels:
    /// only when OpenBLAS fell back to Prescott on a CPU that fits a better core and nobody
    /// named one (an empty variable counts as named: OpenBLAS reads it).
    public static func restartCore(environment: [String: String], current: String = current,
                                   fitting: String? = fitting) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, current.lowercased() == "prescott" else { return nil }
        return fitting
    }

    /// Set beside OPENBLAS_CORETYPE by a process that started again: the core OpenBLAS had chosen.
    public static let fallbackVariable = "STYLIZE_OPENBLAS_FALLBACK"

    /// Starts this process again with the core that fits, when `restartCore` names one: the
    /// same program, pid and `arguments` (execv of /proc/self/exe), with OPENBLAS_CORETYPE and
    /// `fallbackVariable` set. Only a program that owns its process calls it (the stylize tool,
    /// the GIMP plug-ins), before it has started anything it would lose. Returns when there is
    /// nothing to do, or when exec failed; both variables are then unset again (OPENBLAS_CORETYPE
    /// was unset to begin with), and the process carries on with the kernels it has.
    public static func restartProcess(arguments: UnsafePointer<UnsafeMutablePointer<CChar>?>) {
        guard let core = restartCore(environment: ProcessInfo.processInfo.environment) else { return }
        setenv(fallbackVariable, current, 1)
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", arguments)
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(fallbackVariable)
    }
}
