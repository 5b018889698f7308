import Foundation
import Synchronization

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

    /// The model `ratio` times slower: a level took `ratio` times what it predicted.
    /// Both parts are scaled, so the shape measured at the start is kept. (Refitting
    /// the per-pixel part alone from a small level, where the fixed part is most of
    /// the time, predicted a 2560 px level at a fraction of its cost: a 3-minute run
    /// spent its time on 73 steps at 512 px and never reached its last level.)
    func scaled(by ratio: Double) -> Speed { Speed(fixed: fixed * ratio, perPixel: perPixel * ratio) }
}

/// Iterations per level that end a run within a time limit.
///
/// A step at level k costs s_k = e · Σ_tiles t(p_tile) seconds (e evaluations
/// per step: L-BFGS' line search sometimes takes two), and n steps cost
/// (n · e + `startEvaluations`) · Σ_tiles t(p_tile). Level k starts with R
/// seconds left, keeps the least steps of the finer refinement levels for them,
/// and gets an equal share of the rest over itself, the composition levels
/// after it and the last level, n_k = ⌊R / sharers / s_k⌋ (a refinement level
/// below the last takes only its least steps: measured at the final size, the
/// last level's steps are what count), at most the level's own count for coarse
/// levels (more steps there barely lower the loss: the time goes to finer
/// levels instead), at least `leastSteps`; the last
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
    public var reserve: Double { Self.reserve(limit) }
    static func reserve(_ limit: Double) -> Double { min(5, 0.03 * limit) }

    let levels: [TransferPlan.Level]
    /// The fewest steps worth a level: 5 for a composition level (fewer barely change
    /// the picture), `leastRefinementSteps` for a refinement level, or
    /// `leastStepsBehindPlan` for one the run must reach in what time is left
    /// (`final`: the level a plan ends with, and every level of a run behind its plan, `fit`).
    static func leastSteps(_ level: TransferPlan.Level, final: Bool = false) -> Int {
        !level.refines ? 5 : final ? leastStepsBehindPlan : leastRefinementSteps
    }
    /// A timed run's refinement levels are worth 3 steps: at 1024 px (composed at
    /// 256) 3 steps a level took the style loss from the resampled picture's 1.10e6
    /// to 3.91e4 (5 steps: 1.73e4; `StyleTransfer.minimumRefinementSteps`), and one
    /// step at 2560x1600 after a 3-minute run that ended at 1497 px took it from
    /// 5.42e5 to 2.07e5. With 5 steps a level, the refinement levels up to 2560x1600
    /// needed 143 of a 3-minute run's 175 s, and runs gave up their last level
    /// whenever the speed they measured was a little slower than planned.
    static let leastRefinementSteps = 3
    /// A run behind its plan keeps a refinement level while one step of it still
    /// fits (`fit`), and a plan keeps its final refinement level for one step: one
    /// step at 2560x1600 took a 1497 px result's style loss from 5.42e5 to 2.07e5,
    /// and the speed measured at small levels predicted the large ones up to 20 %
    /// low. (Keeping room for that in the plan instead, 25 % more than the finer
    /// levels' 3 steps, left a 3-minute run one step per composition level, and its
    /// picture kept the photo's colours. A plan that wanted 3 steps at the final level
    /// left the 2560 px level out of 7 of 25 3-minute starts on a slower 2-core Xeon,
    /// by the two evaluations it times at the start, and those runs ended at 1497 px
    /// with half the resampled result's style loss.)
    static let leastStepsBehindPlan = 1
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
        func least(_ k: Int) -> Double {
            let l = levels[k], n = TimeBudget.leastSteps(l, final: k == levels.count - 1)
            return TimeBudget.levelSeconds(l, steps: min(l.iterations, n), speed: speed, evaluations: 1)
        }
        while levels.count > 1 && levels.indices.map(least).reduce(0, +) > limit - TimeBudget.reserve(limit) {
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
            let seconds = levelSeconds(level: k, steps: n)
            plan.levels[k].iterations = n
            remaining -= seconds
            total += seconds
        }
        plan.estimatedSeconds = total
        plan.budget = self
        return plan
    }

    /// The budget after `steps` steps of level `k` took `seconds` and `evaluations`
    /// evaluations (`includesStart`: the level's start among them): the
    /// evaluations per step, and the speed scaled by the time over what the model
    /// predicted for it, are what the later levels expect. Steps whose evaluations
    /// take under `leastMeasuredSeconds` do not rescale the speed.
    func measured(level k: Int, seconds: Double, steps: Int, evaluations: Int, includesStart: Bool) -> TimeBudget {
        guard steps > 0, evaluations > 0 else { return self }
        var b = self
        let level = levels[k], tiles = Self.tiles(level)
        let starts = Double(!includesStart ? 0 : level.tile == nil ? 1 : Tiling.passes(steps: steps) * tiles)
        // Seconds per evaluation against the model's, the content targets' forward passes counted in.
        if speed.seconds(pixels: Self.pixels(level)) >= Self.leastMeasuredSeconds {
            let perEvaluation = seconds / (Double(evaluations) + Self.startForward * starts)
            b.speed = speed.scaled(by: perEvaluation / speed.seconds(pixels: Self.pixels(level)))
        }
        // Evaluations per step from 5 steps or more: a bridge's 2 timed steps, which the Wolfe
        // search may still lengthen, once predicted 2.5 a step at 2560 px, and the level was given up.
        if steps >= 5 {
            b.evaluationsPerStep = max(1, (Double(evaluations) - Self.startEvaluations * starts) / Double(steps * tiles))
        }
        return b
    }

    /// Below this an evaluation's time is mostly what every step adds (progress
    /// reports, the optimiser's vectors): a 128x80 level measured 30 % slower per
    /// pixel than the speed, and a 3-minute run then squeezed its 256 and 512 px
    /// levels to one step each for a 2560 px level that turned out as predicted.
    static let leastMeasuredSeconds = 0.2

    /// Steps for level `k` with `remaining` seconds left when it starts.
    func steps(level k: Int, remaining: Double) -> Int {
        // A refinement level below the last is a bridge to it: its least steps, and the
        // time goes to the final size, where the result is scored and seen.
        if levels[k].refines && k < last { return min(Self.leastSteps(levels[k]), caps[k] ?? Int.max) }
        let finer = (k + 1)..<max(k + 1, last + 1)  // the levels after k this run reaches
        // Every level's start, and the finer refinement levels' least steps, are kept for them first.
        let kept = finer.reduce(levelSeconds(level: k, steps: 0)) {
            $0 + levelSeconds(level: $1, steps: levels[$1].refines ? Self.leastSteps(levels[$1]) : 0)
        }
        let left = max(0, remaining - kept)
        // An equal share among this level, the composition levels after it and the last.
        let sharers = 1 + finer.filter { $0 == last || !levels[$0].refines }.count
        let share = k == last ? left : left / Double(sharers)
        let n = Int(share / stepSeconds(level: k))
        // At least the level's least steps: a 1-minute run to 1497 px that gave its composition levels one step
        // each (the finer levels' kept time took it all) came back in the photo's own colours.
        let least = min(Self.leastSteps(levels[k], final: k == last), caps[k] ?? Int.max)
        return max(least, k == last ? n : caps[k].map { min($0, n) } ?? n)
    }

    /// The budget as level `k` starts with `remaining` seconds: the finest levels
    /// that no longer fit with their start and one step each (a composition level:
    /// its least steps; `leastStepsBehindPlan`) are given up, so that this level, or
    /// the one before when even this one does not fit, is the last, and runs until
    /// the limit instead of leaving the time unused.
    func fit(from k: Int, remaining: Double) -> TimeBudget {
        var b = self
        func least(_ j: Int) -> Double { levelSeconds(level: j, steps: Self.leastSteps(levels[j], final: true)) }
        // Level 0 always runs; a later level k may go too (then k - 1 was the last).
        while b.last >= max(k, 1) && (k...b.last).map(least).reduce(0, +) > remaining { b.last -= 1 }
        return b
    }

    /// What a whole level's steps after its first took (the first also carries the level's start).
    struct Pace {
        var seconds: Double
        var steps: Int
        var evaluations: Int
    }

    /// The next step of whole level `k` after `done` of its `planned` steps, with `remaining`
    /// seconds to the deadline: the level's step count from here and the evaluations that
    /// step may use, or nil to end the level. Steps and evaluations cost what `pace` timed,
    /// or the plan's figures before it timed any. A level begins no step that would end past
    /// the deadline. The last level counts again at every step, so it runs until the limit,
    /// and when a whole step no longer fits it takes one cut to the evaluations that do (at
    /// 2560x1600 one evaluation takes 14.5 s, a step with its line search 15-20 s).
    func next(level k: Int, done: Int, planned: Int, remaining: Double, pace: Pace) -> (steps: Int, evaluationLimit: Int)? {
        let timed = pace.steps > 0 && pace.evaluations > 0
        let stepSeconds = timed ? pace.seconds / Double(pace.steps) : self.stepSeconds(level: k)
        if stepSeconds > remaining {
            guard k == last else { return nil }
            let evaluationSeconds = timed ? pace.seconds / Double(pace.evaluations) : self.evaluationSeconds(level: k)
            let evaluations = Int(min(remaining / evaluationSeconds, 1e9))
            return evaluations >= 1 ? (done + 1, evaluations) : nil
        }
        let steps = k == last ? done + Int(min(remaining / stepSeconds, 1e9)) : planned
        return done < steps ? (steps, Int.max) : nil
    }

    /// Seconds one step of level `k` is expected to take.
    func stepSeconds(level k: Int) -> Double { Self.stepSeconds(levels[k], speed: speed, evaluations: evaluationsPerStep) }

    /// Seconds one evaluation of level `k` (all its tiles) is expected to take.
    func evaluationSeconds(level k: Int) -> Double { Self.stepSeconds(levels[k], speed: speed, evaluations: 1) }

    /// Seconds level `k` is expected to take for `n` steps, its start included.
    func levelSeconds(level k: Int, steps n: Int) -> Double {
        Self.levelSeconds(levels[k], steps: n, speed: speed, evaluations: evaluationsPerStep)
    }

    /// Evaluations a level (or a tile of a tiled level's pass) takes besides its
    /// steps': the evaluation where its optimiser starts and the first line search
    /// lengthening its cautious first trial. Measured: 8 evaluations for 5 steps at
    /// 876 and at 1497 px; at 2560x1600 (one evaluation 14-15 s), 50 s for the first step.
    /// A level whose L-BFGS is seeded with the coarser level's γ (StyleTransfer.run)
    /// takes one evaluation less; counted as such, the plan gave the composition levels
    /// more steps and the 2560 px level fewer, and a 3-minute run on the path photo
    /// ended at 2.00e4 / 3.66e4 (content / style at 2560x1600) against 1.91e4 / 2.38e4.
    static let startEvaluations = 2.0
    /// The content targets' forward pass at a level's start, in evaluations.
    static let startForward = 0.5
    /// What an optimiser's start costs, in evaluations (a level's, or a tile's in each pass).
    static var startCost: Double { startEvaluations + startForward }

    /// The pixels one evaluation of a level covers: its canvas, or one tile.
    static func pixels(_ level: TransferPlan.Level) -> Int {
        let (w, h) = Margin.canvas(level.width, level.height)
        return level.tile.map { min($0, w) * min($0, h) } ?? w * h
    }

    /// The tiles of a level's pass (1 for a whole level).
    static func tiles(_ level: TransferPlan.Level) -> Int {
        guard let tile = level.tile else { return 1 }
        let (w, h) = Margin.canvas(level.width, level.height)
        let overlap = max(16, tile / 8)
        return Tiling.spans(length: w, tile: tile, overlap: overlap, shift: 0).count
            * Tiling.spans(length: h, tile: tile, overlap: overlap, shift: 0).count
    }

    static func stepSeconds(_ level: TransferPlan.Level, speed: Speed, evaluations: Double) -> Double {
        evaluations * Double(tiles(level)) * speed.seconds(pixels: pixels(level))
    }

    static func levelSeconds(_ level: TransferPlan.Level, steps n: Int, speed: Speed, evaluations: Double) -> Double {
        // A tiled level starts an optimiser for every tile of every pass.
        let starts = Double(level.tile == nil ? 1 : Tiling.passes(steps: n)) * startCost
        return (Double(n) * evaluations + starts) * Double(tiles(level)) * speed.seconds(pixels: pixels(level))
    }
}

extension StyleTransfer {
    /// This machine's speed for the objective of `options` (the layers it
    /// reads): two evaluations each at two canvases, the second of each timed
    /// (the first also prepares the layers' weights). Measured with `stylize
    /// bench` (s per evaluation 0.069, 0.091, 0.142, 0.333, 0.552, 0.934, 3.35,
    /// 13.1 at 96, 128, 192, 320, 384, 512, 1024, 2048 px), the cost per pixel
    /// grows up to about 512 px: the fit through 96 and 192 px predicted 2048 px
    /// 15 % low, and timed runs gave up their last level when they got there;
    /// through 128 and 384 px it is within 7 %. Kept per network and layers, so
    /// a host's estimates and a batch's runs measure once.
    func speed(layers: LayerSelection, options: TransferOptions) throws -> Speed {
        let key = SpeedKey(pooling: options.pooling, content: layers.contentIndices, style: layers.styleIndices)
        if let known = speeds.withLock({ $0[key] }) { return known }
        let measured = try measureSpeed(layers: layers, options: options)
        speeds.withLock { $0[key] = measured }
        return measured
    }

    private func measureSpeed(layers: LayerSelection, options: TransferOptions) throws -> Speed {
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
        let (small, large) = (128, 384)
        return try Speed.fit(small * small, seconds(small), large * large, seconds(large))
    }
}
