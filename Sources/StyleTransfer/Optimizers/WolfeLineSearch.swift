/// Line search for a step length t along a descent direction d that meets the
/// strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6):
///   f(x + t d) <= f(x) + c1 t ∇f·d          (sufficient decrease)
///   |∇f(x + t d)·d| <= c2 |∇f(x)·d|         (curvature)
/// Bracketing grows t up to tenfold per evaluation by cubic interpolation
/// until the minimum along d is enclosed; zooming then shrinks the bracket.
/// The same algorithm as minFunc's and torch.optim.LBFGS's `strong_wolfe`.
///
/// Why not backtracking alone: it can only shorten the trial step. The first
/// step of L-BFGS has no curvature to scale it and starts deliberately small,
/// and on style losses (quartic in the pixels through the Gram matrices) the
/// next ones stay small: 30 steps took a 256 px picture from 9.8e5 to 8.3e5,
/// where growing the step reaches 1e5 in about 15 evaluations.
struct WolfeLineSearch {
    var sufficientDecrease = 1e-4  // c1
    var curvature = 0.9  // c2: loose, so that t = 1 usually passes after the first steps
    var maxEvaluations = Self.evaluations
    /// The evaluations a search may take unless told fewer.
    static let evaluations = 25
    /// Stop zooming when the bracket moves every pixel by less than this.
    var tolerance = 1e-9
    /// A box the trial points are projected onto: the search runs along the
    /// path P(x + t d), whose slope counts only the coordinates the box does not stop.
    var bounds: ClosedRange<Float>?

    struct Point {
        var t: Double
        var value: Double
        var gradient: [Float]
        var slope: Double  // ∇f(x + t d)·d
    }

    /// Searches from x along d; `start` is the first trial step. Returns the
    /// accepted point (value, gradient), or the best one seen below f(x) when
    /// the conditions could not be met in `maxEvaluations`, or nil when no
    /// trial lowered the objective.
    func search(from x: [Float], along d: [Float], value f0: Double, slope g0: Double,
                start: Double, _ objective: Objective, evaluations: inout Int) -> Point? {
        let dMax = Double(d.reduce(Float(0)) { max($0, abs($1)) })
        func evaluate(_ t: Double) -> Point {
            let trial = Self.moved(x, along: d, by: t, within: bounds)
            let (f, g) = objective(trial)
            evaluations += 1
            return Point(t: t, value: f, gradient: g, slope: f.isFinite ? Self.slope(g, d, at: trial, within: bounds) : .nan)
        }
        func armijoFails(_ p: Point) -> Bool {
            !p.value.isFinite || p.value > f0 + sufficientDecrease * p.t * g0
        }
        func curvatureHolds(_ p: Point) -> Bool { abs(p.slope) <= -curvature * g0 }

        // Bracketing: find an interval [lo, hi] that contains acceptable steps.
        var previous = Point(t: 0, value: f0, gradient: [], slope: g0)
        var t = start, used = 0
        var lo = previous, hi: Point
        while true {
            let p = evaluate(t)
            used += 1
            if armijoFails(p) || (used > 1 && p.value >= previous.value) {
                lo = previous; hi = p; break
            }
            if curvatureHolds(p) { return p }
            if p.slope >= 0 { lo = p; hi = previous; break }
            if used >= maxEvaluations { return p }  // still descending, and below f(x)
            // Extrapolate: at least a little further, at most ten times as far.
            let next = Self.cubicMinimum(previous, p, bounds: (p.t + 0.01 * (p.t - previous.t), 10 * p.t))
            previous = p
            t = next
        }
        // Zoom: lo satisfies sufficient decrease and is the lowest point seen; hi bounds the step.
        var insufficientProgress = false
        while used < maxEvaluations && abs(hi.t - lo.t) * dMax >= tolerance {
            var t = hi.value.isFinite && hi.slope.isFinite ? Self.cubicMinimum(lo, hi) : (lo.t + hi.t) / 2
            // Keep a trial away from the bracket's ends, or the bracket stops shrinking.
            let (a, b) = (min(lo.t, hi.t), max(lo.t, hi.t)), margin = 0.1 * (b - a)
            if min(b - t, t - a) < margin {
                if insufficientProgress || t >= b || t <= a {
                    t = abs(t - b) < abs(t - a) ? b - margin : a + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            let p = evaluate(t)
            used += 1
            if armijoFails(p) || p.value >= lo.value {
                hi = p
            } else {
                if curvatureHolds(p) { return p }
                if p.slope * (hi.t - lo.t) >= 0 { hi = lo }
                lo = p
            }
        }
        return lo.t > 0 && lo.value < f0 ? lo : nil
    }

    /// P(x + t d): the trial point, projected onto `bounds` when given.
    static func moved(_ x: [Float], along d: [Float], by t: Double, within bounds: ClosedRange<Float>?) -> [Float] {
        var trial = x
        axpy(t, d, &trial)
        if let bounds { project(&trial, onto: bounds) }
        return trial
    }

    /// d/dt f(P(x + t d)) = Σ gᵢ dᵢ over the coordinates that are free at the trial point
    /// or move back inside from their bound (those pressed against it stay there).
    static func slope(_ g: [Float], _ d: [Float], at trial: [Float], within bounds: ClosedRange<Float>?) -> Double {
        guard let b = bounds else { return dot(g, d) }
        var s = 0.0
        for i in g.indices where !Self.held(trial[i], d[i], bounds: b) { s += Double(g[i]) * Double(d[i]) }
        return s
    }

    /// Whether a coordinate at `value` moving along `direction` is stopped by the box.
    @inline(__always) static func held(_ value: Float, _ direction: Float, bounds b: ClosedRange<Float>) -> Bool {
        (value <= b.lowerBound && direction < 0) || (value >= b.upperBound && direction > 0)
    }

    /// The minimiser of the cubic through two points with their values and
    /// slopes, clamped to `bounds` (default: between the points); the midpoint
    /// when the cubic has no minimum.
    static func cubicMinimum(_ p1: Point, _ p2: Point, bounds: (Double, Double)? = nil) -> Double {
        let (lower, upper) = bounds ?? (min(p1.t, p2.t), max(p1.t, p2.t))
        let d1 = p1.slope + p2.slope - 3 * (p1.value - p2.value) / (p1.t - p2.t)
        let d2Squared = d1 * d1 - p1.slope * p2.slope
        guard d2Squared >= 0 else { return (lower + upper) / 2 }
        let d2 = d2Squared.squareRoot()
        let t = p1.t <= p2.t
            ? p2.t - (p2.t - p1.t) * ((p2.slope + d2 - d1) / (p2.slope - p1.slope + 2 * d2))
            : p1.t - (p1.t - p2.t) * ((p1.slope + d2 - d1) / (p1.slope - p2.slope + 2 * d2))
        guard t.isFinite else { return (lower + upper) / 2 }
        return min(max(t, lower), upper)
    }
}
