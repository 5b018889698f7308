/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4) with a strong Wolfe
/// line search (WolfeLineSearch.swift).
///
/// The line search is what keeps the first iterations sane: plain L-BFGS with
/// a unit step (torch.optim.LBFGS without line_search_fn) can jump the loss to
/// 1e25 on style transfer, and one that only backtracks never lengthens the
/// deliberately small first step. Memory: `history` pairs (s, y) of the image's
/// size, so 2 * history * 3 * H * W floats (10 pairs at 512x512 = 63 MB).
public struct LBFGS: Optimizer {
    public let history: Int
    private var s: [[Float]] = []
    private var y: [[Float]] = []
    private var value: Double?
    private var gradient: [Float] = []
    /// Objective evaluations so far (a step may take more than one).
    public private(set) var evaluations = 0

    /// The diagonal of the first inverse Hessian guess, H₀ = γ·diag(scale) (γ = sᵀy/yᵀy
    /// of the newest pair, 1 before there is one), or nil for the identity.
    private let scale: [Float]?
    /// γ before there is a pair, when a caller knows it (a coarse-to-fine level: the
    /// coarser level's `gamma`); nil: the first trial step moves no pixel more than one unit.
    private let initialGamma: Float?
    /// A box every x stays in (a picture's 0...255), or nil. The search runs along the
    /// projected path (WolfeLineSearch.bounds), and a coordinate held at a bound by the
    /// direction does not take part in it: without the box, 16 % of the values of a
    /// 512 px Evening Glow x Great Wave run ended outside 0...255, and clamping the
    /// result multiplied its style loss by 7.
    private let bounds: ClosedRange<Float>?
    /// sᵀy/yᵀy of the newest pair: the scale of the inverse Hessian seen so far.
    public var gamma: Float? { s.indices.last.map { Float(dot(s[$0], y[$0]) / dot(y[$0], y[$0])) } }

    public init(history: Int = 10, scale: [Float]? = nil, initialGamma: Float? = nil, bounds: ClosedRange<Float>? = nil) {
        precondition(history >= 1)
        self.history = history
        self.scale = scale
        self.bounds = bounds
        self.initialGamma = initialGamma.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    /// Two-loop recursion: d = -H g, without the coordinates that the box holds at x.
    private func direction(_ g: [Float], at x: [Float]) -> [Float] {
        var q = g
        var alphas = [Double](repeating: 0, count: s.count)
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            let rho = 1 / dot(y[i], s[i])
            alphas[i] = rho * dot(s[i], q)
            axpy(-alphas[i], y[i], &q)
        }
        let gamma = self.gamma ?? initialGamma ?? 1
        if let scale {
            for i in q.indices { q[i] *= gamma * scale[i] }
        } else {
            for i in q.indices { q[i] *= gamma }
        }
        for i in 0..<s.count {
            let rho = 1 / dot(y[i], s[i])
            let beta = rho * dot(y[i], q)
            axpy(alphas[i] - beta, s[i], &q)
        }
        for i in q.indices { q[i] = -q[i] }
        if let b = bounds {
            for i in q.indices where WolfeLineSearch.held(x[i], q[i], bounds: b) { q[i] = 0 }
        }
        return q
    }

    public mutating func step(_ x: inout [Float], _ objective: Objective, evaluationLimit: Int) -> Double {
        let startEvaluations = evaluations
        if value == nil {
            let (f, g) = objective(x)
            evaluations += 1
            value = f; gradient = g
        }
        let searchEvaluations = min(WolfeLineSearch.evaluations, evaluationLimit - (evaluations - startEvaluations))
        guard searchEvaluations > 0 else { return value! }
        let f0 = value!, g0 = gradient
        var d = direction(g0, at: x)
        var slope = dot(g0, d)
        if !(slope < 0) {  // not a descent direction: forget the curvature pairs
            s.removeAll(); y.removeAll()
            d = direction(g0, at: x)
            slope = dot(g0, d)
        }
        if slope == 0 { return f0 }  // at a stationary point
        // Without curvature information, the first trial moves no coordinate
        // more than one unit; the line search lengthens it as far as it pays.
        var t = 1.0
        if s.isEmpty && initialGamma == nil {
            let largest = d.reduce(Float(0)) { max($0, abs($1)) }
            t = largest > 0 ? 1 / Double(largest) : 1
        }
        let search = WolfeLineSearch(maxEvaluations: searchEvaluations, bounds: bounds)
        guard let accepted = search.search(from: x, along: d, value: f0, slope: slope, start: t, objective,
                                           evaluations: &evaluations)
        else { return f0 }  // no progress possible along d
        let trial = WolfeLineSearch.moved(x, along: d, by: accepted.t, within: bounds)
        let f = accepted.value, g = accepted.gradient
        var sNew = trial, yNew = g
        axpy(-1, x, &sNew)
        axpy(-1, g0, &yNew)
        let sy = dot(sNew, yNew)
        if sy > 1e-10 * dot(yNew, yNew) {  // keep only pairs with positive curvature
            s.append(sNew); y.append(yNew)
            if s.count > history { s.removeFirst(); y.removeFirst() }
        }
        x = trial
        value = f; gradient = g
        return f
    }
}
