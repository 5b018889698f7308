import Foundation
import Testing
@testable import StyleTransfer

/// Native-resolution results (issue 15): the levels from the composition size
/// up to the final size, styles never upscaled, the refinement start, and the
/// time limit's planner.
@Suite(.serialized) struct ScheduleTests {
    let photo = ImageSize(width: 2560, height: 1600)

    func options(size: Int = 512, output: Int = 0, iterations: Int = 300, scales: Int = 3) -> TransferOptions {
        var o = TransferOptions()
        (o.size, o.outputSize, o.iterations, o.scales) = (size, output, iterations, scales)
        return o
    }

    @Test func refinementLevelsContinueFromTheCompositionToTheContentsOwnSize() throws {
        let (sides, iterations) = try StyleTransfer.levelSchedule(canvas: photo, options: options())
        // 512·5^(1/3) = 876, 512·5^(2/3) = 1497, then 2560: each at most twice the one before.
        #expect(sides == [128, 256, 512, 876, 1497, 2560])
        for (a, b) in zip(sides, sides.dropFirst()) { #expect(b <= 2 * a) }
        // Composition: 300 split over 3 levels; refinement: 100·(512/side)², at least 5.
        #expect(iterations == [100, 100, 100, 34, 12, 5])
    }

    @Test func anOutputSizeAtOrBelowTheCompositionSizeEndsThere() throws {
        // No output size on a content smaller than --size: composed larger and resampled down, as before.
        #expect(try StyleTransfer.levelSchedule(canvas: ImageSize(width: 64, height: 64), options: options(size: 128, scales: 2)).sides == [64, 128])
        #expect(try StyleTransfer.levelSchedule(canvas: photo, options: options(output: 512)).sides == [128, 256, 512])
        // The composition never runs above the final size.
        #expect(try StyleTransfer.levelSchedule(canvas: photo, options: options(output: 300)).sides == [75, 150, 300])
        #expect(try StyleTransfer.levelSchedule(canvas: ImageSize(width: 512, height: 341), options: options()).sides == [128, 256, 512])
        // --size 0: the composition is the final size, as before.
        #expect(try StyleTransfer.levelSchedule(canvas: photo, options: options(size: 0)).sides == [640, 1280, 2560])
    }

    @Test func scaleIterationsCountTheRefinementLevelsToo() throws {
        var o = options(output: 2048)
        o.levelIterations = [50, 50, 20, 10]
        let (sides, iterations) = try StyleTransfer.levelSchedule(canvas: photo, options: o)
        #expect(sides == [256, 512, 1024, 2048] && iterations == [50, 50, 20, 10])
        o.levelIterations = [50, 20]
        #expect(throws: OptionError.self) { try StyleTransfer.levelSchedule(canvas: photo, options: o) }
        do { _ = try StyleTransfer.levelSchedule(canvas: photo, options: o) } catch let e as OptionError {
            #expect(e.key == .scaleIterations && e.problem.contains("2 refinement levels"))
        }
    }

    @Test func stylesAreNotEnlargedAboveTheComposition() {
        let o = options()
        let style = ImageSize(width: 512, height: 384)
        #expect(o.styleSize(style, levelSide: 256, canvas: photo) == (256, 192))
        #expect(o.styleSize(style, levelSide: 2560, canvas: photo) == (512, 384))
        // A small style is scaled to the composition as before, and no further.
        let small = ImageSize(width: 200, height: 100)
        #expect(o.styleSize(small, levelSide: 512, canvas: photo) == (512, 256))
        #expect(o.styleSize(small, levelSide: 1497, canvas: photo) == (512, 256))
        // Decoded no larger than the last level needs, and never larger than the file.
        #expect(Admission.styleSide(content: photo, style: style, options: o) == 512)
        #expect(Admission.styleSide(content: photo, style: ImageSize(width: 4000, height: 3000), options: o) == 2560)
        #expect(Admission.styleSide(content: photo, style: ImageSize(width: 4000, height: 3000), options: options(output: 512)) == 512)
    }

    /// x₀ = up(x) + (c − up(down(c))): a previous level that held the content
    /// exactly starts the next level at exactly the content.
    @Test func aRefinementLevelStartsWithTheContentsDetailAddedBack() {
        var rng = SplitMix64(seed: 3)
        let content = Image(width: 48, height: 32, pixels: Support.random(3 * 48 * 32, in: 0...255, &rng))
        let previous = content.resized(width: 24, height: 16)
        let start = StyleTransfer.refine(previous, width: 48, height: 32, content: content)
        #expect(zip(start.pixels, content.pixels).allSatisfy { abs($0 - $1) < 1e-3 })
        // Without a content (texture) it is the upsampled picture.
        #expect(StyleTransfer.refine(previous, width: 48, height: 32, content: nil).pixels
            == previous.resized(width: 48, height: 32).pixels)
    }

    func level(_ w: Int, _ h: Int, _ n: Int, tile: Int? = nil, refines: Bool = false) -> TransferPlan.Level {
        .init(width: w, height: h, iterations: n, tile: tile, styleCrop: nil, refines: refines, estimatedBytes: 0)
    }

    /// One evaluation costs 0.01 s + 1 µs per canvas pixel in these tests.
    let speed = Speed(fixed: 0.01, perPixel: 1e-6)

    @Test func aTimedPlanFitsItsLimitAndGivesTheRestToTheLastLevel() {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(256, 160, 100), level(512, 320, 100), level(1024, 640, 34)])
        for limit in [20.0, 60, 180, 600] {
            let timed = TimeBudget(plan: plan, limit: limit, speed: speed).planned
            let budget = timed.budget!
            let seconds = timed.levels.indices.reduce(0.0) { $0 + budget.levelSeconds(level: $1, steps: timed.levels[$1].iterations) }
            #expect(seconds <= limit - budget.reserve + 1e-9, "limit \(limit)")
            #expect(abs(seconds - timed.estimatedSeconds!) < 1e-9)
            // Coarse levels take at most their own count; the last ends near the limit (within one step).
            for (k, l) in timed.levels.dropLast().enumerated() { #expect(l.iterations <= plan.levels[k].iterations) }
            #expect(limit - budget.reserve - seconds < budget.stepSeconds(level: timed.levels.count - 1) + 1e-9)
        }
    }

    @Test func tooShortALimitLeavesOutTheFinestLevels() {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(256, 160, 100), level(2560, 1600, 5)])
        // 5 steps at 2560x1600 alone, with the level's 2 start evaluations, take 7·(0.01 + 2576·1616 µs) ≈ 29 s.
        let short = TimeBudget(plan: plan, limit: 10, speed: speed).planned
        #expect(short.levels.map(\.width) == [128, 256])
        let long = TimeBudget(plan: plan, limit: 120, speed: speed).planned
        #expect(long.levels.map(\.width) == [128, 256, 2560])
    }

    /// A refinement level is given its 3 steps or left out (`TimeBudget.leastRefinementSteps`;
    /// the final one is kept for 1, below).
    @Test func aRefinementLevelGetsItsLeastStepsOrIsLeftOut() {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(512, 320, 100), level(1024, 640, 20, refines: true),
                                         level(2048, 1280, 20, refines: true)])
        // 3 steps at 2048x1280 and the level's start take 5·(0.01 + 2064·1296 µs) ≈ 13.4 s; at 1024x640 about 3.5 s.
        let short = TimeBudget(plan: plan, limit: 10, speed: speed).planned
        #expect(short.levels.map(\.width) == [128, 512, 1024])
        #expect(short.levels[2].iterations >= 3)
        // The coarse levels leave the refinement levels their 5 steps: the plan stays within the limit.
        for limit in [10.0, 20, 75, 200] {
            let timed = TimeBudget(plan: plan, limit: limit, speed: speed).planned
            #expect(timed.estimatedSeconds! <= limit - timed.budget!.reserve + 1e-9, "limit \(limit): \(timed)")
        }
        let long = TimeBudget(plan: plan, limit: 200, speed: speed).planned
        #expect(long.levels.map(\.width) == [128, 512, 1024, 2048] && long.levels.allSatisfy { $0.iterations >= 1 })
        #expect(long.levels[2].iterations == 3 && long.levels[3].iterations >= 3)
    }

    /// The final refinement level is kept while its start and one step fit, as a run behind
    /// its plan keeps it (`TimeBudget.leastStepsBehindPlan`); the bridge levels before it keep their 3.
    @Test func aPlanKeepsItsFinalRefinementLevelForOneStep() {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(512, 320, 100), level(1024, 640, 20, refines: true),
                                         level(2048, 1280, 20, refines: true)])
        // 2048x1280: its start and 1 step ≈ 3.5·2.7 s, with 3 steps ≈ 5.5·2.7 s; 1024x640's start and 3 steps ≈ 5.5·0.7 s.
        // In 17 s the composition, 1024's 3 steps and one step at 2048 fit; 3 at 2048 would not.
        let timed = TimeBudget(plan: plan, limit: 17, speed: speed).planned
        #expect(timed.levels.map(\.width) == [128, 512, 1024, 2048], "\(timed)")
        #expect(timed.levels[2].iterations == 3 && timed.levels[3].iterations >= 1 && timed.levels[3].iterations < 3)
        #expect(timed.estimatedSeconds! <= 17 - timed.budget!.reserve + 1e-9, "\(timed)")
    }

    /// A run behind its plan gives up the finest levels as it goes, and the level it
    /// then ends with runs until the limit (it becomes `last`).
    @Test func aRunBehindItsPlanGivesUpTheFinestLevels() {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(512, 320, 100), level(1024, 640, 20, refines: true),
                                         level(2048, 1280, 20, refines: true)])
        let budget = TimeBudget(plan: plan, limit: 200, speed: speed)
        #expect(budget.last == 3)
        // Behind its plan a refinement level is kept while its start and one step fit:
        // 3.5·(evaluation at 1024) + 3.5·(evaluation at 2048) ≈ 2.4 + 9.4 s. With 10 s left at level 2, 2048 goes.
        #expect(budget.fit(from: 2, remaining: 10).last == 2)
        #expect(budget.fit(from: 2, remaining: 12).last == 3)
        // With 2 s left at level 2, level 2 goes too: level 1 was the last.
        #expect(budget.fit(from: 2, remaining: 2).last == 1)
        // The last level takes all the time left, past its planned count.
        let fitted = budget.fit(from: 2, remaining: 10)
        #expect(fitted.steps(level: 2, remaining: 10) == Int((10 - fitted.levelSeconds(level: 2, steps: 0)) / fitted.stepSeconds(level: 2)))
        #expect(budget.fit(from: 0, remaining: 0.001).last == 0)
    }

    /// Each step of a timed whole level after its first: none that would end past the
    /// deadline; the last level runs until the limit, its final step cut to the
    /// evaluations that still fit.
    @Test func aTimedLevelStepsByItsPaceAndCutsItsLastStep() throws {
        let plan = TransferPlan(levels: [level(128, 80, 100), level(512, 320, 100)])
        let budget = TimeBudget(plan: plan, limit: 200, speed: speed)
        // Timed: 4 steps after the first took 8 s with 10 evaluations (2 s a step, 0.8 s an evaluation).
        let pace = TimeBudget.Pace(seconds: 8, steps: 4, evaluations: 10)
        // A level before the last keeps its planned count while a step fits, and stops when none does.
        #expect(try #require(budget.next(level: 0, done: 5, planned: 40, remaining: 30, pace: pace)) == (40, Int.max))
        #expect(budget.next(level: 0, done: 40, planned: 40, remaining: 30, pace: pace) == nil)
        #expect(budget.next(level: 0, done: 5, planned: 40, remaining: 1.9, pace: pace) == nil)
        // The last level counts again: 9 s left is 4 more whole steps, whatever it planned.
        #expect(try #require(budget.next(level: 1, done: 5, planned: 6, remaining: 9, pace: pace)) == (9, Int.max))
        // 1.9 s left: no whole step, but one cut to the 2 evaluations that fit; 0.7 s: not one.
        #expect(try #require(budget.next(level: 1, done: 5, planned: 6, remaining: 1.9, pace: pace)) == (6, 2))
        #expect(budget.next(level: 1, done: 5, planned: 6, remaining: 0.7, pace: pace) == nil)
        // Before any step is timed, the plan's figures: here 2 evaluations a step.
        var planned = budget
        planned.evaluationsPerStep = 2
        let untimed = TimeBudget.Pace(seconds: 0, steps: 0, evaluations: 0)
        let step = planned.stepSeconds(level: 1)
        #expect(abs(step - 2 * planned.evaluationSeconds(level: 1)) < 1e-12)
        #expect(try #require(planned.next(level: 1, done: 1, planned: 6, remaining: 3.5 * step, pace: untimed)) == (4, Int.max))
        #expect(try #require(planned.next(level: 1, done: 1, planned: 6, remaining: 0.99 * step, pace: untimed)) == (2, 1))
    }

    @Test func aTiledLevelCostsItsTiles() {
        let whole = level(1000, 1000, 10), tiled = level(1000, 1000, 10, tile: 512)
        let tiles = TimeBudget.tiles(tiled)
        #expect(tiles == 9)  // 1016 px with 64 px overlaps: 3 spans a side
        #expect(TimeBudget.stepSeconds(tiled, speed: speed, evaluations: 1)
            == 9 * speed.seconds(pixels: 512 * 512))
        #expect(TimeBudget.stepSeconds(whole, speed: speed, evaluations: 1) == speed.seconds(pixels: 1016 * 1016))
        // Every tile of each of the 2 passes of 10 steps starts its optimiser, the whole level once
        // (2 evaluations and the content's forward pass, half of one).
        #expect(TimeBudget.levelSeconds(tiled, steps: 10, speed: speed, evaluations: 1)
            == (10 + 2 * 2.5) * 9 * speed.seconds(pixels: 512 * 512))
        #expect(TimeBudget.levelSeconds(whole, steps: 10, speed: speed, evaluations: 1) == 12.5 * speed.seconds(pixels: 1016 * 1016))
    }

    @Test func theSpeedModelIsRefittedFromWhatALevelTook() {
        let fitted = Speed.fit(100, 0.02, 400, 0.05)
        #expect(abs(fitted.perPixel - 1e-4) < 1e-12 && abs(fitted.fixed - 0.01) < 1e-12)
        let plan = TransferPlan(levels: [level(128, 80, 100), level(1024, 640, 100), level(2048, 1280, 20, refines: true)])
        let budget = TimeBudget(plan: plan, limit: 200, speed: speed)
        // 1024x640 took twice its prediction with one evaluation a step: the 2048 px level will too,
        // measured from a level's steps after its first or over all, its start included.
        let slow = budget.measured(level: 1, seconds: 2 * budget.levelSeconds(level: 1, steps: 40), steps: 40,
                                   evaluations: 40 + Int(TimeBudget.startEvaluations), includesStart: true)
        #expect(abs(slow.stepSeconds(level: 2) / budget.stepSeconds(level: 2) - 2) < 1e-9)
        let steps = budget.measured(level: 1, seconds: 2 * 39 * budget.stepSeconds(level: 1), steps: 39, evaluations: 39,
                                    includesStart: false)
        #expect(abs(steps.stepSeconds(level: 2) / budget.stepSeconds(level: 2) - 2) < 1e-9)
        // A level whose evaluations take under 0.2 s (here 0.024 s) leaves the speed as it was.
        let tiny = budget.measured(level: 0, seconds: 2 * budget.levelSeconds(level: 0, steps: 40), steps: 40, evaluations: 42,
                                   includesStart: true)
        #expect(tiny.speed.seconds(pixels: 1_000_000) == speed.seconds(pixels: 1_000_000))
    }

    /// A real timed run on the 64 px fixtures: it plans from a measured speed
    /// within the limit, runs at least one step per level, stops by itself and
    /// returns the content's size.
    @Test func aTinyTimedRunFollowsItsPlan() throws {
        let engine = StyleTransfer(network: try Support.realNetwork())
        let content = try Support.fixture("tiny_content_64.ppm"), style = try Support.fixture("tiny_style_64.ppm")
        var o = options(size: 32, output: 64, scales: 1)
        o.timeLimit = 5
        let plan = try engine.plan(content: content, styles: [style], options: o)
        // The 64 px refinement level is there when this machine can give it its 5 steps.
        #expect([[32], [32, 64]].contains(plan.levels.map(\.width)) && plan.estimatedSeconds! <= 5, "\(plan)")
        var steps = 0, last = 0
        let result = try engine.run(content: content, styles: [style], options: o) { p in
            steps = p.iteration
            last = p.total
            return true
        }
        #expect(result.width == 64 && steps >= 2 && steps <= last + 1)
    }

    /// A timed run whose last level is tiled: its passes follow the plan and then
    /// continue while the time allows, and the progress it reports stays in step.
    @Test func aTimedTiledLevelRunsItsPassesWithinItsLimit() throws {
        let engine = StyleTransfer(network: try Support.realNetwork())
        let content = try Support.fixture("tiny_content_64.ppm"), style = try Support.fixture("tiny_style_64.ppm")
        var o = options(size: 64, output: 64, scales: 1)
        o.maxMemory = try engine.plan(content: content, styles: [style], options: o).estimatedPeakBytes - 1
        o.timeLimit = 4
        let plan = try engine.plan(content: content, styles: [style], options: o)
        _ = try #require(plan.levels.last?.tile)
        var steps = 0, total = 0, inStep = true
        let result = try engine.run(content: content, styles: [style], options: o) { p in
            inStep = inStep && p.iteration <= p.total
            (steps, total) = (p.iteration, p.total)
            return true
        }
        #expect(result.width == 64 && steps >= 1 && inStep && steps <= total, "\(steps) of \(total): \(plan)")
    }
}
