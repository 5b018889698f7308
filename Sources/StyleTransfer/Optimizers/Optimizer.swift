/// A differentiable objective: value and gradient at x.
public typealias Objective = (_ x: [Float]) -> (value: Double, gradient: [Float])

/// An optimiser takes one step at a time so the caller can report progress,
/// cancel, or change level between steps.
public protocol Optimizer {
    /// Moves `x` one step downhill and returns the objective at the new x, calling
    /// the objective at most `evaluationLimit` times (at least 1). A step cut short
    /// keeps the lowest point it found, or leaves x where it was.
    mutating func step(_ x: inout [Float], _ objective: Objective, evaluationLimit: Int) -> Double
}

extension Optimizer {
    /// A step with as many evaluations as it needs.
    public mutating func step(_ x: inout [Float], _ objective: Objective) -> Double {
        step(&x, objective, evaluationLimit: .max)
    }
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

/// x projected onto a box: each coordinate clamped into `bounds`.
@inline(__always) func project(_ x: inout [Float], onto bounds: ClosedRange<Float>) {
    let (lo, hi) = (bounds.lowerBound, bounds.upperBound)
    x.withUnsafeMutableBufferPointer { x in
        for i in 0..<x.count { x[i] = min(max(x[i], lo), hi) }
    }
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

/// The loss terms where a step landed, for its report. L-BFGS's line search
/// evaluates trial points it may reject, so the last evaluation is not always
/// the new x; the accepted point is the lowest of its step (every trial the
/// search keeps is below all before it), and Adam evaluates once a step.
struct StepTerms {
    private(set) var terms = LossTerms()
    private var lowest: LossTerms?

    mutating func evaluated(_ t: LossTerms) {
        if lowest == nil || t.total < lowest!.total { lowest = t }
    }

    /// After a step that returned `value`: its terms, or the last ones when it
    /// did not move (no trial was accepted).
    mutating func stepped(to value: Double) {
        if let l = lowest, l.total == value || terms == LossTerms() { terms = l }
        lowest = nil
    }
}

extension TransferOptions {
    /// The optimiser of a level or a tile, keeping its pixels in the picture's `Image.levels`.
    /// `scale`: L-BFGS's first inverse-Hessian diagonal; `initialGamma`: its γ before the first pair.
    func makeOptimizer(scale: [Float], initialGamma: Float? = nil) -> any Optimizer {
        optimizer == .lbfgs
            ? LBFGS(history: lbfgsHistory, scale: scale, initialGamma: initialGamma, bounds: Image.levels)
            : Adam(learningRate: learningRate, bounds: Image.levels)
    }
}
