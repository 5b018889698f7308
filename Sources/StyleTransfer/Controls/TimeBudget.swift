import Foundation

/// How long one evaluation of the objective (a forward and a backward pass)
/// takes on this machine: t(p) = fixed + perPixel · p for a canvas of p pixels,
/// measured at the start of a timed run (`StyleTransfer.speed`) and corrected
/// at each level from what the level actually took.
public struct Speed: Sendable {
    public var fixed: Double
    public var perPixel: Double

    public func seconds(pixels: Int) -> Double { fixed + perPixel * Double(pixels) }

    /// The model through the first measurement (p1, t1) and a later one (p2, t2).
    static func fit(_ p1: Int, _ t1: Double, _ p2: Int, _ t2: Double) -> Speed {
        let perPixel = max(1e-12, (t2 - t1) / Double(p2 - p1))
        return Speed(fixed: max(0, t1 - perPixel * Double(p1)), perPixel: perPixel)
    }

    /// The model after a level of `pixels` measured `seconds` per evaluation:
    /// the fixed part kept, the per-pixel part refitted (large levels dominate).
    func corrected(pixels: Int, seconds: Double) -> Speed {
        Speed(fixed: fixed, perPixel: max(1e-12, (seconds - fixed) / Double(pixels)))
    }
}

/// Iterations per level that end a run within a time limit.
///
/// A step at level k costs s_k = e · Σ_tiles t(p_tile) seconds (e evaluations
/// per step: L-BFGS' line search sometimes takes two). Level k starts with R
/// seconds left, keeps the least steps of the finer refinement levels for them,
/// and gets an equal share of the rest over itself, the composition levels
/// after it and the last level, n_k = ⌊R / sharers / s_k⌋ (a refinement level
/// below the last takes only its least steps: measured at the final size, the
/// last level's steps are what count), at most the level's own count for coarse
/// levels (more steps there barely lower the loss: the time goes to finer
/// levels instead), at least 1 (a refinement level: `leastSteps`); the last
/// level takes all that is left. When
/// the limit cannot give every level its `leastSteps`, the finest levels are left
/// out and the result is resampled from the largest that fits. Levels are replanned as they start, with the speed they measured, so the run ends
/// close to the limit; a step is not begun when it would end past it.
public struct TimeBudget: Sendable {
    public var limit: Double
    public var speed: Speed
    /// Evaluations per step: 1 to start, then as measured.
    public var evaluationsPerStep = 1.0
    /// Time kept back for what follows the last step (resampling the result).
    public var reserve: Double { min(5, 0.03 * limit) }

    let levels: [TransferPlan.Level]
    /// The fewest steps worth a level: 5 for a composition level (fewer barely change
    /// the picture), `minimumRefinementSteps` for a refinement level.
    static func leastSteps(_ level: TransferPlan.Level) -> Int {
        level.refines ? StyleTransfer.minimumRefinementSteps : 5
    }
    /// The most steps a level takes (its planned count; nil for the last level).
    let caps: [Int?]
    /// The last level the run will reach: lowered as it starts a level with less
    /// time left than the finer levels' least steps need (`fit`).
    public private(set) var last: Int

    init(plan: TransferPlan, limit: Double, speed: Speed) {
        var levels = plan.levels
        self.limit = limit
        self.speed = speed
        // Too little time for every level's least useful work: the finest levels go first
        // (the result is then resampled from the largest level that fits).
        func least(_ l: TransferPlan.Level) -> Double {
            Double(min(l.iterations, TimeBudget.leastSteps(l))) * TimeBudget.stepSeconds(l, speed: speed, evaluations: 1)
        }
        while levels.count > 1 && levels.map(least).reduce(0, +) > limit - min(5, 0.03 * limit) {
            levels.removeLast()
        }
        self.levels = levels
        caps = levels.indices.map { $0 == levels.count - 1 ? nil : levels[$0].iterations }
        last = levels.count - 1
    }

    /// The plan with the counts this budget gives from the start, and its time.
    var planned: TransferPlan {
        var plan = TransferPlan(levels: levels)
        var remaining = limit - reserve, total = 0.0
        for k in levels.indices {
            let n = steps(level: k, remaining: remaining)
            let seconds = Double(n) * Self.stepSeconds(levels[k], speed: speed, evaluations: evaluationsPerStep)
            plan.levels[k].iterations = n
            remaining -= seconds
            total += seconds
        }
        plan.estimatedSeconds = total
        plan.budget = self
        return plan
    }

    /// The budget after level `k` took `seconds` for `steps` steps and
    /// `evaluations` evaluations: its speed is what the later levels expect.
    func measured(level k: Int, seconds: Double, steps: Int, evaluations: Int) -> TimeBudget {
        guard steps > 0, evaluations > 0 else { return self }
        var b = self
        b.evaluationsPerStep = Double(evaluations) / Double(steps * Self.tiles(levels[k]))
        b.speed = speed.corrected(pixels: Self.pixels(levels[k]), seconds: seconds / Double(evaluations))
        return b
    }

    /// Steps for level `k` with `remaining` seconds left when it starts.
    func steps(level k: Int, remaining: Double) -> Int {
        // A refinement level below the last is a bridge to it: its least steps, and the
        // time goes to the final size, where the result is scored and seen.
        if levels[k].refines && k < last { return min(Self.leastSteps(levels[k]), caps[k] ?? Int.max) }
        let finer = (k + 1)..<max(k + 1, last + 1)  // the levels after k this run reaches
        // The finer refinement levels' least steps are kept for them first.
        let kept = finer.filter { levels[$0].refines }
            .reduce(0.0) { $0 + Double(Self.leastSteps(levels[$1])) * stepSeconds(level: $1) }
        let left = max(0, remaining - kept)
        // An equal share among this level, the composition levels after it and the last.
        let sharers = 1 + finer.filter { $0 == last || !levels[$0].refines }.count
        let share = k == last ? left : left / Double(sharers)
        let n = Int(share / stepSeconds(level: k))
        return max(levels[k].refines ? Self.leastSteps(levels[k]) : 1, k == last ? n : caps[k].map { min($0, n) } ?? n)
    }

    /// The budget as level `k` starts with `remaining` seconds: the finest levels
    /// whose least steps (and a set-up of about one step each) no longer fit are
    /// given up, so that this level, or the one before when even this one does not
    /// fit, is the last, and runs until the limit instead of leaving the time unused.
    func fit(from k: Int, remaining: Double) -> TimeBudget {
        var b = self
        func least(_ j: Int) -> Double { Double(Self.leastSteps(levels[j]) + 1) * stepSeconds(level: j) }
        // Level 0 always runs; a later level k may go too (then k - 1 was the last).
        while b.last >= max(k, 1) && (k...b.last).map(least).reduce(0, +) > remaining { b.last -= 1 }
        return b
    }

    /// Seconds one step of level `k` is expected to take.
    func stepSeconds(level k: Int) -> Double { Self.stepSeconds(levels[k], speed: speed, evaluations: evaluationsPerStep) }

    /// The pixels one evaluation of a level covers: its canvas, or one tile.
    static func pixels(_ level: TransferPlan.Level) -> Int {
        let (w, h) = (level.width + 2 * Margin.width, level.height + 2 * Margin.width)
        return level.tile.map { min($0, w) * min($0, h) } ?? w * h
    }

    /// The tiles of a level's pass (1 for a whole level).
    static func tiles(_ level: TransferPlan.Level) -> Int {
        guard let tile = level.tile else { return 1 }
        let (w, h) = (level.width + 2 * Margin.width, level.height + 2 * Margin.width)
        let overlap = max(16, tile / 8)
        return Tiling.spans(length: w, tile: tile, overlap: overlap, shift: 0).count
            * Tiling.spans(length: h, tile: tile, overlap: overlap, shift: 0).count
    }

    static func stepSeconds(_ level: TransferPlan.Level, speed: Speed, evaluations: Double) -> Double {
        evaluations * Double(tiles(level)) * speed.seconds(pixels: pixels(level))
    }
}

extension StyleTransfer {
    /// This machine's speed for the objective of `options` (the layers it
    /// reads): two evaluations each at two small canvases, the second of each
    /// timed (the first also prepares the layers' weights).
    func speed(layers: LayerSelection, options: TransferOptions) throws -> Speed {
        let network = options.pooling == self.network.pooling ? self.network
            : FeatureNetwork(sharing: self.network, pooling: options.pooling)
        func seconds(_ side: Int) throws -> Double {
            var rng = SplitMix64(seed: 1)
            let pixels = (0..<(3 * side * side)).map { _ in Float.random(in: 0..<255, using: &rng) }
            let image = Image(width: side, height: side, pixels: pixels)
            let targets = layers.styleIndices.map { i -> [Float] in
                let c = network.layers[0...i].reduce(3) { c, l in if case .conv(let conv) = l.kind { return conv.outChannels }; return c }
                return [Float](repeating: 0, count: c * c)
            }
            let objective = try TransferObjective(network: network, width: side, height: side,
                                              content: layers.content.isEmpty ? nil : image, styleTargets: targets,
                                              mask: nil, options: options, layers: layers)
            _ = objective.evaluate(pixels)
            let start = Date()
            _ = objective.evaluate(pixels)
            return Date().timeIntervalSince(start)
        }
        let (small, large) = (96, 192)
        return try Speed.fit(small * small, seconds(small), large * large, seconds(large))
    }
}
