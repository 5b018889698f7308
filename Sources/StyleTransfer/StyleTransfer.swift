import Foundation
import Synchronization

/// Runs Gatys style transfer with one network. Stateless between runs, so one
/// instance (and its network) may serve several threads at once.
public final class StyleTransfer: @unchecked Sendable {
    public let network: FeatureNetwork
    /// This machine's measured speeds (`speed(layers:options:)`), by pooling and layers.
    let speeds = Mutex<[SpeedKey: Speed]>([:])
    struct SpeedKey: Hashable {
        let pooling: PoolingMode
        let content: [Int]
        let style: [Int]
    }

    public init(network: FeatureNetwork) { self.network = network }

    public convenience init(weights: ModelWeights) { self.init(network: FeatureNetwork(weights: weights)) }

    /// Stylizes `content` after `styles`. With `content` nil (texture
    /// synthesis) the canvas is the first style's size. The optimisation runs
    /// coarse to fine: `options.scales` levels composing the picture up to
    /// `options.size`, then refinement levels up to `options.outputSize` (the
    /// content's own size by default), in tiles where `options.maxMemory`
    /// requires it, with iterations planned from `options.timeLimit` when set
    /// (`TransferPlan`, `TimeBudget`); the result has the content's size. `progress` is called at
    /// iteration 0 and after each step (counted over all levels); returning
    /// false cancels (throws `TransferError.cancelled`).
    public func run(content: Image?, styles: [Image], options: TransferOptions,
                    progress: ((TransferProgress) -> Bool)? = nil) throws -> Image {
        let plan = try self.plan(content: content, styles: styles, options: options)
        let network = options.pooling == self.network.pooling ? self.network
            : FeatureNetwork(sharing: self.network, pooling: options.pooling)
        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let canvas = (content ?? styles[0]).imageSize

        // What the network sees: with colour preservation, grey or recoloured inputs.
        var seenContent = content, seenStyles = styles, initialization = options.initialization
        if let content {
            switch options.preserveColors {
            case .luminance:
                seenContent = ColorPreservation.luminanceImage(content)
                seenStyles = styles.map { ColorPreservation.matchedLuminance($0, to: content) }
                if case .image(let i) = initialization { initialization = .image(ColorPreservation.luminanceImage(i)) }
            case .histogram:
                seenStyles = styles.map { ColorPreservation.matchedHistogram($0, to: content) }
            case .none: break
            }
        }

        var total = plan.levels.reduce(0) { $0 + $1.iterations }
        let start = Date()
        // A time limit: each level's steps are replanned as it starts, with the speed measured so far.
        var budget = plan.budget
        let deadline = start.addingTimeInterval((budget?.limit ?? 0) - (budget?.reserve ?? 0))
        var x: [Float] = []  // the level's picture, w x h; the margin is always its mirror (Margin.swift)
        var iteration = 0, evaluations = 0
        var (w, h) = (0, 0)
        // `picture` is handed in, never read from x: optimiseTiled and optimiseWhole hold x inout
        // while they call back (an exclusivity conflict: a trap in -O builds, found by Tests/sanitize.sh).
        func report(_ losses: LossTerms, evaluationsNow: Int, picture: [Float]) throws {
            // The backstop behind the option ranges: a non-finite loss means the image is garbage.
            guard losses.total.isFinite else {
                throw TransferError.diverged("the loss became \(losses.total) at iteration \(iteration): "
                    + "lower the style, content or TV weight or the learning rate")
            }
            let p = TransferProgress(iteration: iteration, total: total, losses: losses,
                                     elapsed: Date().timeIntervalSince(start), evaluations: evaluationsNow,
                                     image: Image(width: w, height: h, pixels: picture))
            if let progress, !progress(p) { throw TransferError.cancelled }
        }
        var styleTargets: (sizes: [Int], crop: Int?, targets: [[Float]])?
        var previousGamma: (gamma: Float, pixels: Int)?  // L-BFGS's last γ on a whole level
        for (k, level) in plan.levels.enumerated() {
            // Behind its plan, a timed run gives up the finest levels that no longer get their least
            // steps (TimeBudget.fit); the result is then resampled from the last level it ran.
            if let b = budget {
                budget = b.fit(from: k, remaining: deadline.timeIntervalSinceNow)
                if k > budget!.last { break }
            }
            // Swift arrays end the process when malloc fails: the level's pictures are checked first (Memory.ensure).
            try Memory.ensureLevel(canvas: (canvas.width, canvas.height), width: level.width, height: level.height)
            let levelContent = seenContent?.resized(width: level.width, height: level.height)
            if k == 0 {
                x = initialPixels(initialization, width: level.width, height: level.height, content: levelContent,
                                  styles: seenStyles, seed: options.seed)
            } else {
                x = Self.refine(Image(width: w, height: h, pixels: x), width: level.width, height: level.height,
                                content: levelContent).pixels
            }
            project(&x, onto: Image.levels)  // the optimisers keep x in Image.levels
            (w, h) = (level.width, level.height)
            let m = Margin.width(w, h)
            let styleSizes = seenStyles.map { options.styleSize($0.imageSize, levelSide: max(w, h), canvas: canvas) }
            // Styles stop growing at their own size: the finer levels share their targets.
            if styleTargets?.sizes != styleSizes.flatMap({ [$0.width, $0.height] }) || styleTargets?.crop != level.styleCrop {
                let scaledStyles = zip(seenStyles, styleSizes).map { $0.resized(width: $1.width, height: $1.height) }
                styleTargets = (styleSizes.flatMap { [$0.width, $0.height] }, level.styleCrop,
                                try Self.styleTargets(network: network, styles: scaledStyles, options: options,
                                                      layers: layers, crop: level.styleCrop))
            }
            let targets = styleTargets!.targets
            var steps = level.iterations
            var later = 0  // the steps of the levels after this one that the run reaches
            if let b = budget {
                steps = b.steps(level: k, remaining: deadline.timeIntervalSinceNow)
                later = plan.levels[(k + 1)...].prefix(max(0, b.last - k)).reduce(0) { $0 + $1.iterations }
                total = iteration + steps + later
            }
            let levelStart = (date: Date(), evaluations: evaluations, iteration: iteration)
            // What the level's steps took, for the budget: a whole level's from its second step on
            // (the first also carries the level's start), a tiled level's in all.
            var timed: (seconds: Double, steps: Int, evaluations: Int, includesStart: Bool)?
            let mask = options.mask?.resized(width: w, height: h)
            // The level's objective weighs the content by its emphasis; its reports keep the options' weights.
            var levelOptions = options
            levelOptions.contentWeight *= level.contentEmphasis
            func levelReport(_ losses: LossTerms, evaluationsNow: Int, picture: [Float]) throws {
                try report(losses.contentDivided(by: level.contentEmphasis), evaluationsNow: evaluationsNow, picture: picture)
            }
            if let tile = level.tile {
                previousGamma = nil  // tiles keep their own optimisers
                if k == 0 { try levelReport(LossTerms(), evaluationsNow: 0, picture: x) }
                try optimiseTiled(&x, width: w, height: h, margin: m, content: levelContent, targets: targets, mask: mask,
                                  options: levelOptions, layers: layers, network: network, tile: tile,
                                  iterations: steps, deadline: budget == nil ? nil : deadline,
                                  untilDeadline: k == budget?.last) { losses, stepsDone, levelSteps, evals, picture in
                    evaluations += evals
                    if budget != nil { total = levelStart.iteration + levelSteps + later }
                    while iteration < levelStart.iteration + stepsDone {
                        iteration += 1
                        try levelReport(losses, evaluationsNow: evaluations, picture: picture)
                    }
                }
                timed = (Date().timeIntervalSince(levelStart.date), iteration - levelStart.iteration,
                         evaluations - levelStart.evaluations, true)
            } else {
                // f(x) = L(P x): the picture seen with its mirrored margin, ∇f = Pᵀ ∇L (Margin.swift).
                let objective = try MirroredObjective(network: network, width: w, height: h, content: levelContent,
                                                  styleTargets: targets, mask: mask, options: levelOptions, layers: layers,
                                                  margin: m)
                if k == 0 { try levelReport(objective.evaluate(x).0, evaluationsNow: objective.evaluations, picture: x) }
                let paced = try optimiseWhole(&x, objective: objective, options: options, steps: steps,
                                              budget: budget.map { ($0, k, deadline) }, gamma: &previousGamma) { losses, levelSteps, picture in
                    if budget != nil { total = levelStart.iteration + levelSteps + later }
                    iteration += 1
                    try levelReport(losses, evaluationsNow: evaluations + objective.evaluations, picture: picture)
                }
                evaluations += objective.evaluations
                timed = paced.map { ($0.seconds, $0.steps, $0.evaluations, false) }
            }
            if let b = budget, let timed {
                budget = b.measured(level: k, seconds: timed.seconds, steps: timed.steps, evaluations: timed.evaluations,
                                    includesStart: timed.includesStart)
            }
        }
        let outW = content?.width ?? w, outH = content?.height ?? h
        // The result at the content's size: the resample, its clamped copy, the colours and mask recombined.
        try Memory.ensure(Float.self, count: 3 * Memory.resampleFloats(from: (w, h), to: (outW, outH)))
        var result = Image(width: w, height: h, pixels: x).clamped().resized(width: outW, height: outH).clamped()
        if let content, options.preserveColors == .luminance {
            result = ColorPreservation.recombine(luminance: result, chroma: content)
        }
        if let content, let mask = options.mask {
            result = mask.resized(width: outW, height: outH).blend(result, content).clamped()
        }
        return result
    }

    /// One whole (untiled) level: `steps` steps of the optimiser on `objective`, or, in a timed
    /// run, as many as `TimeBudget.next` decides from the pace of the steps after the first
    /// (which also carries the level's start). `gamma`: the coarser level's L-BFGS γ in (it
    /// seeds the first step), this level's out. `advance(losses, levelSteps, picture)` follows
    /// every step, `levelSteps` being the level's count as it now stands. Returns what the steps
    /// after the first took, for the budget, when there were two or more of them.
    func optimiseWhole(_ x: inout [Float], objective: MirroredObjective, options: TransferOptions, steps planned: Int,
                       budget: (budget: TimeBudget, level: Int, deadline: Date)?, gamma: inout (gamma: Float, pixels: Int)?,
                       advance: (LossTerms, Int, [Float]) throws -> Void) throws -> TimeBudget.Pace? {
        var stepTerms = StepTerms()
        let f: Objective = { px in
            let (terms, g) = objective.evaluate(px)
            stepTerms.evaluated(terms)
            return (terms.total, g)
        }
        // The losses are means over pixels, so the inverse Hessian per pixel grows with the pixel count.
        let pixels = objective.width * objective.height
        var optimizer = options.makeOptimizer(scale: objective.preconditioner,
                                              initialGamma: gamma.map { $0.gamma * Float(pixels) / Float($0.pixels) })
        var steps = planned, done = 0, firstStepEnd = Date(), firstStepEvaluations = 0
        func pace() -> TimeBudget.Pace {
            TimeBudget.Pace(seconds: Date().timeIntervalSince(firstStepEnd), steps: done - 1,
                            evaluations: objective.evaluations - firstStepEvaluations)
        }
        while true {
            var evaluationLimit = Int.max
            if let budget, done > 0 {
                guard let next = budget.budget.next(level: budget.level, done: done, planned: steps,
                                                    remaining: budget.deadline.timeIntervalSinceNow, pace: pace())
                else { break }
                (steps, evaluationLimit) = (next.steps, next.evaluationLimit)
            }
            if done >= steps { break }
            try Memory.ensureStep(floats: x.count)  // its vectors are Swift arrays (Memory.swift)
            // Adam reports the loss where its step began.
            stepTerms.stepped(to: optimizer.step(&x, f, evaluationLimit: evaluationLimit))
            done += 1
            if done == 1 { (firstStepEnd, firstStepEvaluations) = (Date(), objective.evaluations) }
            try advance(stepTerms.terms, steps, x)
        }
        gamma = ((optimizer as? LBFGS)?.gamma).map { ($0, pixels) }
        return done >= 3 ? pace() : nil
    }

    /// The start of every level after the first: the previous level's picture
    /// upsampled, plus the content's detail that the smaller level could not hold,
    /// x₀ = up(x) + (c − up(down(c))). The photo's lines come back at the finer
    /// size, where a refinement level's few steps only restyle them (the cat at
    /// 512 px, 100 steps a level: final loss 1.586e4 against 1.636e4 without; 1.580e4 with the seeded first step).
    static func refine(_ previous: Image, width w: Int, height h: Int, content: Image?) -> Image {
        let up = previous.resized(width: w, height: h)
        guard let content else { return up }
        let blurred = content.resized(width: previous.width, height: previous.height).resized(width: w, height: h)
        var pixels = up.pixels
        for i in pixels.indices { pixels[i] += content.pixels[i] - blurred.pixels[i] }
        return Image(width: w, height: h, pixels: pixels)
    }

    /// Gram targets per style layer: each style's Gram matrices (over crops of
    /// `crop` px when given), mixed by the blend weights.
    static func styleTargets(network: FeatureNetwork, styles: [Image], options: TransferOptions, layers: LayerSelection,
                             crop: Int?) throws -> [[Float]] {
        var targets = [[Float]](repeating: [], count: layers.style.count)
        let blend = options.styleBlend ?? [Double](repeating: 1, count: styles.count)
        let blendSum = blend.reduce(0, +)
        for (style, b) in zip(styles, blend) where b > 0 && !layers.style.isEmpty {
            let grams: [[Float]]
            if let crop, max(style.width, style.height) > crop {
                grams = try Tiling.gramMatrices(network: network, image: style, layers: layers.styleIndices,
                                            depth: layers.depth, convs: layers.convs, crop: crop)
            } else {
                let pass = try network.makePass(height: style.height, width: style.width, through: layers.depth - 1,
                                            keepPreActivation: layers.convs, forwardOnly: true)
                network.forward(pass, pixels: style.pixels)
                grams = layers.styleIndices.map { gramMatrix(pass.activation($0)) }
            }
            let w = Float(b / blendSum)
            for k in grams.indices {
                if targets[k].isEmpty { targets[k] = [Float](repeating: 0, count: grams[k].count) }
                for i in grams[k].indices { targets[k][i] += w * grams[k][i] }
            }
        }
        return targets
    }

    func initialPixels(_ initialization: Initialization, width: Int, height: Int, content: Image?,
                       styles: [Image], seed: UInt64) -> [Float] {
        switch initialization {
        case .content where content != nil:
            return content!.pixels
        case .style:
            return styles[0].resized(width: width, height: height).pixels
        case .image(let image):
            return image.resized(width: width, height: height).pixels
        default:  // noise (or content init without a content image)
            var rng = SplitMix64(seed: seed)
            return (0..<(3 * width * height)).map { _ in Float.random(in: 0..<255, using: &rng) }
        }
    }
}
