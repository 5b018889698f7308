import Foundation
import Testing
@testable import StyleTransfer

/// L-BFGS and Adam on problems with a known minimum: the Rosenbrock valley
/// (2-D and the chained 10-D form, minimum at all ones) and a rotated,
/// ill-conditioned quadratic (no coordinate scaling can undo the rotation).
@Suite struct OptimizerTests {
    /// Chained Rosenbrock: sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; minimum 0 at all ones.
    static func rosenbrock(_ x: [Float]) -> (value: Double, gradient: [Float]) {
        let v = x.map(Double.init)
        var f = 0.0, g = [Double](repeating: 0, count: v.count)
        for i in 0..<(v.count - 1) {
            let a = v[i + 1] - v[i] * v[i], b = 1 - v[i]
            f += 100 * a * a + b * b
            g[i] += -400 * a * v[i] - 2 * b
            g[i + 1] += 200 * a
        }
        return (f, g.map(Float.init))
    }

    /// f = 1/2 (x - c)ᵀ Q diag(λ) Qᵀ (x - c) with λ log-spaced from 1 to `condition`
    /// and Q a seeded random rotation (Gram-Schmidt).
    struct Quadratic {
        let q: [[Double]]  // rows are the eigenvectors
        let lambda: [Double]
        let center: [Float]

        init(dimension n: Int, condition: Double, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            var rows: [[Double]] = []
            while rows.count < n {
                var v = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
                for r in rows {
                    let p = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 }
                    v = zip(v, r).map { $0 - p * $1 }
                }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-3 { rows.append(v.map { $0 / norm }) }
            }
            q = rows
            lambda = (0..<n).map { Foundation.pow(condition, Double($0) / Double(n - 1)) }
            center = (0..<n).map { _ in Float.random(in: -2...2, using: &rng) }
        }

        func callAsFunction(_ x: [Float]) -> (value: Double, gradient: [Float]) {
            let d = zip(x, center).map { Double($0) - Double($1) }
            var f = 0.0, g = [Double](repeating: 0, count: d.count)
            for (row, l) in zip(q, lambda) {
                let p = zip(row, d).reduce(0) { $0 + $1.0 * $1.1 }
                f += 0.5 * l * p * p
                for j in g.indices { g[j] += l * p * row[j] }
            }
            return (f, g.map(Float.init))
        }

        func distance(_ x: [Float]) -> Double {
            zip(x, center).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        }
    }

    static func distanceToOnes(_ x: [Float]) -> Double {
        x.reduce(0) { $0 + Double($1 - 1) * Double($1 - 1) }.squareRoot()
    }

    /// Runs L-BFGS until `done(x)` or `maxSteps`, checking that the value never
    /// rises from one step to the next. Returns the steps taken.
    static func runLBFGS(_ x: inout [Float], maxSteps: Int, _ f: @escaping Objective, until done: ([Float]) -> Bool) -> Int {
        var optimizer = LBFGS(history: 10)
        var previous = f(x).value, steps = 0
        while steps < maxSteps && !done(x) {
            let value = optimizer.step(&x, f)
            steps += 1
            #expect(value <= previous, "L-BFGS raised the loss at step \(steps): \(previous) -> \(value)")
            previous = value
        }
        return steps
    }

    @Test func lbfgsRosenbrock2D() {
        var x: [Float] = [-1.2, 1]
        let steps = Self.runLBFGS(&x, maxSteps: 100, Self.rosenbrock) { Self.distanceToOnes($0) < 1e-4 }
        print("L-BFGS Rosenbrock 2-D: \(steps) steps to |x - 1| = \(Self.distanceToOnes(x)), f = \(Self.rosenbrock(x).value)")
        #expect(Self.distanceToOnes(x) < 1e-4)
    }

    @Test func lbfgsRosenbrock10D() {
        var x = [Float](repeating: 0, count: 10)
        let steps = Self.runLBFGS(&x, maxSteps: 200, Self.rosenbrock) { Self.distanceToOnes($0) < 1e-4 }
        print("L-BFGS Rosenbrock 10-D: \(steps) steps to |x - 1| = \(Self.distanceToOnes(x)), f = \(Self.rosenbrock(x).value)")
        #expect(Self.distanceToOnes(x) < 1e-4)
    }

    @Test(arguments: [1e3, 1e4])
    func lbfgsIllConditionedQuadratic(condition: Double) {
        let f = Quadratic(dimension: 20, condition: condition, seed: 7)
        var x = [Float](repeating: 0, count: 20)
        let start = f.distance(x)
        let steps = Self.runLBFGS(&x, maxSteps: 1000, { f($0) }) { f.distance($0) < 1e-4 * start }
        print("L-BFGS quadratic cond \(condition): \(steps) steps to distance \(f.distance(x) / start) of the start's, f = \(f(x).value)")
        #expect(f.distance(x) < 1e-4 * start)
    }

    /// H₀ = diag(scale): with the inverse of a diagonal quadratic's Hessian as the
    /// scale, the first direction is Newton's, and one step lands on the minimum;
    /// without it, the first step of an ill-conditioned quadratic cannot.
    @Test func lbfgsScaleIsTheFirstInverseHessian() {
        let a: [Float] = [1, 4, 100, 2500]
        let f: Objective = { x in
            (zip(a, x).reduce(0.0) { $0 + 0.5 * Double($1.0 * $1.1 * $1.1) }, zip(a, x).map { $0 * $1 })
        }
        var scaled = LBFGS(scale: a.map { 1 / $0 }), plain = LBFGS()
        var x: [Float] = [1, 1, 1, 1], y = x
        let fScaled = scaled.step(&x, f), fPlain = plain.step(&y, f)
        #expect(fScaled < 1e-6 && fPlain > 1e-2, "scaled \(fScaled), plain \(fPlain)")
    }

    /// A known γ (a coarser level's) makes the first trial step the Newton step:
    /// on f = ½ c |x|² with γ = 1/c it lands on the minimum with one trial.
    @Test func lbfgsInitialGammaSeedsTheFirstStep() {
        let c: Float = 50
        let f: Objective = { x in (x.reduce(0.0) { $0 + 0.5 * Double(c * $1 * $1) }, x.map { c * $0 }) }
        var seeded = LBFGS(initialGamma: 1 / c), plain = LBFGS()
        var x: [Float] = [10, -20, 30, 5], y = x
        let fSeeded = seeded.step(&x, f), fPlain = plain.step(&y, f)
        #expect(fSeeded < 1e-6 && seeded.evaluations == 2, "seeded \(fSeeded) in \(seeded.evaluations) evaluations")
        #expect(plain.evaluations > 2, "plain \(fPlain) in \(plain.evaluations) evaluations")
        #expect(abs(seeded.gamma! - 1 / c) < 1e-6)
    }

    /// A step limited to the evaluations that fit (a timed run's last step): it calls
    /// the objective no more often than allowed, a start that uses up the limit
    /// leaves x where it was, and a one-evaluation step on Rosenbrock's valley, where
    /// the search would otherwise take several, still lowers the objective or keeps x.
    @Test func lbfgsStepKeepsToItsEvaluationLimit() {
        let f: Objective = { x in
            let (a, b) = (Double(x[0]), Double(x[1]))
            return ((1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a),
                    [Float(-2 * (1 - a) - 400 * a * (b - a * a)), Float(200 * (b - a * a))])
        }
        var started = LBFGS(), x: [Float] = [-1.2, 1]
        let start = f(x).value
        #expect(started.step(&x, f, evaluationLimit: 1) == start && x == [-1.2, 1] && started.evaluations == 1)
        var optimizer = LBFGS(), unlimited = LBFGS(), y = x
        _ = optimizer.step(&x, f)
        _ = unlimited.step(&y, f)
        var value = f(x).value, longest = 0
        for _ in 0..<30 {
            let before = optimizer.evaluations
            let v = optimizer.step(&x, f, evaluationLimit: 1)
            #expect(optimizer.evaluations - before <= 1)
            #expect(v <= value && v == f(x).value)
            value = v
            let used = unlimited.evaluations
            _ = unlimited.step(&y, f)
            longest = max(longest, unlimited.evaluations - used)
        }
        print("L-BFGS on Rosenbrock, 30 steps: one evaluation each \(value), the unlimited search \(f(y).value) (up to \(longest) a step)")
        #expect(longest > 1 && value < 0.1 * start)
    }

    /// A box: on a diagonal quadratic whose minimum lies outside it, the bounded
    /// optimisers stay inside at every step and end at the minimum's projection onto
    /// the box (for a diagonal quadratic, the box's minimiser).
    @Test func boundedOptimisersEndAtTheProjectedMinimum() {
        let a: [Float] = [1, 3, 10, 30], centre: [Float] = [300, -40, 128, 260]
        let f: Objective = { x in
            var value = 0.0, gradient = [Float](repeating: 0, count: x.count)
            for i in x.indices {
                let r = x[i] - centre[i]
                value += 0.5 * Double(a[i] * r * r)
                gradient[i] = a[i] * r
            }
            return (value, gradient)
        }
        let box: ClosedRange<Float> = 0...255, projected = centre.map { min(max($0, 0), 255) }
        var lbfgs: any Optimizer = LBFGS(bounds: box), adam: any Optimizer = Adam(learningRate: 5, bounds: box)
        for (name, steps) in [("L-BFGS", 30), ("Adam", 600)] {
            var x: [Float] = [100, 100, 100, 100], inside = true
            for _ in 0..<steps {
                _ = name == "L-BFGS" ? lbfgs.step(&x, f) : adam.step(&x, f)
                inside = inside && x.allSatisfy(box.contains)
            }
            let error = zip(x, projected).map { abs($0 - $1) }.max()!
            print("\(name) in 0...255: \(x), \(error) from the projected minimum")
            #expect(inside && error < 0.5, "\(name)")
        }
    }

    /// At the content image the style loss curves downward along its own
    /// descent direction (measured on the README's example at 256 px: sᵀy < 0
    /// on every one of the first steps), so L-BFGS keeps no curvature pair and
    /// each step is its cautious first step again, one unit at most; a line
    /// search that only shortens trials crawled (10 steps: loss 9.75e5 ->
    /// 9.15e5). Here the same shape: the double well f = Σ (x² − R²)², R = 100,
    /// from near its hilltop, concave for |x| < R/√3: the search must lengthen
    /// the steps to reach a well in a few of them.
    @Test func lbfgsLeavesConcaveStart() {
        let radius: Float = 100
        let f: Objective = { x in
            let value = x.reduce(0.0) { $0 + Double(($1 * $1 - radius * radius) * ($1 * $1 - radius * radius)) }
            return (value, x.map { 4 * $0 * ($0 * $0 - radius * radius) })
        }
        var optimizer = LBFGS(history: 10)
        var x: [Float] = [0.5, 1, 2, -3]
        for _ in 0..<12 { _ = optimizer.step(&x, f) }
        let farthest = x.map { abs(abs($0) - radius) }.max()!
        print("L-BFGS double well: |x| within \(farthest) of R = 100 after 12 steps, \(optimizer.evaluations) evaluations")
        #expect(farthest < 1)
    }

    /// The step the line search accepts meets both strong Wolfe conditions, on
    /// Rosenbrock's valley from scattered points along steepest descent and
    /// from trial steps far too short and far too long.
    @Test(arguments: [1e-6, 1e-3, 1.0, 1e3])
    func wolfeConditionsHold(start: Double) {
        var rng = SplitMix64(seed: 3)
        let search = WolfeLineSearch()
        for _ in 0..<20 {
            let x = (0..<10).map { _ in Float.random(in: -2...2, using: &rng) }
            let (f0, g0) = Self.rosenbrock(x)
            let d = g0.map { -$0 }
            let slope = zip(g0, d).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            var evaluations = 0
            guard let p = search.search(from: x, along: d, value: f0, slope: slope, start: start,
                                        Self.rosenbrock, evaluations: &evaluations)
            else { Issue.record("no step from \(x)"); continue }
            #expect(p.value <= f0 + search.sufficientDecrease * p.t * slope, "sufficient decrease at t = \(p.t)")
            #expect(abs(p.slope) <= -search.curvature * slope || evaluations == search.maxEvaluations,
                    "curvature at t = \(p.t): |\(p.slope)| vs \(-slope)")
        }
    }

    /// Adam with a constant rate hovers within about the rate of the minimum,
    /// so the rate is lowered tenfold every `stepsPerRate` steps (the optimiser
    /// keeps its moments). Runs until `done(x)` or the schedule ends; returns the steps taken.
    static func runAdam(_ x: inout [Float], rates: [Double], stepsPerRate: Int, _ f: Objective,
                        until done: ([Float]) -> Bool) -> Int {
        var adam = Adam(learningRate: rates[0])
        var steps = 0
        for rate in rates {
            adam.learningRate = rate
            for _ in 0..<stepsPerRate {
                if done(x) { return steps }
                _ = adam.step(&x, f)
                steps += 1
            }
        }
        return steps
    }

    @Test func adamRosenbrock2D() {
        var x: [Float] = [-1.2, 1]
        let steps = Self.runAdam(&x, rates: [2e-2, 2e-3, 2e-4], stepsPerRate: 5000, Self.rosenbrock) { Self.distanceToOnes($0) < 1e-3 }
        print("Adam Rosenbrock 2-D: \(steps) steps to |x - 1| = \(Self.distanceToOnes(x)), f = \(Self.rosenbrock(x).value)")
        #expect(Self.distanceToOnes(x) < 1e-3)
    }

    @Test func adamRosenbrock10D() {
        var x = [Float](repeating: 0, count: 10)
        let steps = Self.runAdam(&x, rates: [2e-2, 2e-3, 2e-4], stepsPerRate: 5000, Self.rosenbrock) { Self.distanceToOnes($0) < 1e-3 }
        print("Adam Rosenbrock 10-D: \(steps) steps to |x - 1| = \(Self.distanceToOnes(x)), f = \(Self.rosenbrock(x).value)")
        #expect(Self.distanceToOnes(x) < 1e-3)
    }

    @Test func adamIllConditionedQuadratic() {
        let f = Quadratic(dimension: 20, condition: 1e3, seed: 7)
        var x = [Float](repeating: 0, count: 20)
        let start = f.distance(x)
        let steps = Self.runAdam(&x, rates: [1e-1, 1e-2, 1e-3], stepsPerRate: 2000, { f($0) }) { f.distance($0) < 1e-4 * start }
        print("Adam quadratic cond 1e3: \(steps) steps to distance \(f.distance(x) / start) of the start's, f = \(f(x).value)")
        #expect(f.distance(x) < 1e-4 * start)
    }
}
