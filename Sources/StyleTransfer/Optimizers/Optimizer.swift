/// A differentiable objective: value and gradient at x.
public typealias Objective = (_ x: [Float]) -> (value: Double, gradient: [Float])

/// An optimiser takes one step at a time so the caller can report progress,
/// cancel, or change level between steps.
public protocol Optimizer {
    /// Moves `x` one step downhill and returns the objective at the new x.
    mutating func step(_ x: inout [Float], _ objective: Objective) -> Double
}

@inline(__always) func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
        }
    }
    return s
}

/// y += alpha * x
@inline(__always) func axpy(_ alpha: Double, _ x: [Float], _ y: inout [Float]) {
    let a = Float(alpha)
    x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
            for i in 0..<x.count { y[i] += a * x[i] }
        }
    }
}
