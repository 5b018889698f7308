import CKernels
import COpenBLAS

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
}
