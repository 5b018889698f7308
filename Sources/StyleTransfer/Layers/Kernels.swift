import CKernels

/// Which code runs the engine's own loops (the Winograd transforms, ReLU,
/// pooling; GEMMs are OpenBLAS's either way).
///
/// Swift compiles for the baseline x86-64 (SSE2, four floats a vector), and
/// cannot pick an instruction set per function at run time. The C kernels
/// (Sources/CKernels) are compiled once per instruction set, so a network
/// runs the widest its CPU has: `.best`. The Swift loops stay as `.swift`,
/// the reference the tests compare each C path against.
public enum KernelPath: Sendable, Equatable, CustomStringConvertible {
    /// The Swift reference loops.
    case swift
    /// The C kernels of an instruction-set level: 0 baseline, 1 AVX2 + FMA, 2 AVX-512F.
    case native(Int)

    /// The C kernels of the widest instruction set this CPU supports.
    public static var best: KernelPath { .native(Int(sk_best_level())) }

    /// The Swift reference and every C path this CPU can run, narrowest first.
    public static var available: [KernelPath] { [.swift] + (0...Int(sk_best_level())).map { .native($0) } }

    /// "swift", or the C kernels' instruction set: "default", "avx2", "avx512f".
    public var description: String {
        switch self {
        case .swift: "swift"
        case .native(let level): sk_kernels_for(Int32(level)).map { String(cString: $0.pointee.name) } ?? "level \(level)"
        }
    }

    /// The path named `name` (a `description`), if this CPU can run it.
    public init?(name: String) {
        guard let path = Self.available.first(where: { $0.description == name }) else { return nil }
        self = path
    }

    /// The C function table, nil for the Swift reference (or a level this CPU lacks).
    var table: sk_kernels? {
        guard case .native(let level) = self else { return nil }
        return sk_kernels_for(Int32(level))?.pointee
    }
}
