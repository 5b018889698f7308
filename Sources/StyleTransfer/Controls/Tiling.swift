import Foundation

/// Tiles for images whose whole-size optimisation would not fit in memory.
enum Tiling {
    /// Context kept around each crop when summing Gram matrices over crops;
    /// a multiple of 16 so every pooling grid lines up with the whole image's.
    static let gramMargin = 96

    /// Starts of `tile`-long spans covering 0..<length with overlap, the grid
    /// shifted back by `shift`. Spans that would stick out are moved inside,
    /// so every span is whole (they overlap more at the image edges).
    static func spans(length: Int, tile: Int, overlap: Int, shift: Int) -> [Int] {
        if tile >= length { return [0] }
        let stride = tile - overlap
        var starts: [Int] = []
        var s = -(shift % stride)
        while true {
            let start = min(max(0, s), length - tile)
            if starts.last != start { starts.append(start) }
            if start + tile >= length { break }
            s += stride
        }
        return starts
    }

    /// Blend weights along one axis of a span: ramps over `overlap` at the
    /// sides inside the image, 1 at the image's own edges, never 0.
    static func feather(start: Int, length: Int, total: Int, overlap: Int) -> [Float] {
        (0..<length).map { t in
            var w: Float = 1
            if start > 0 { w = min(w, Float(t + 1) / Float(overlap + 1)) }
            if start + length < total { w = min(w, Float(length - t) / Float(overlap + 1)) }
            return w
        }
    }

    /// Passes over all tiles for a tiled level of `n` steps: each pass shifts the
    /// tile grid, so seams move; a few, as every pass restarts each tile's optimiser.
    static func passes(steps n: Int) -> Int { n >= 2 ? max(2, min(4, n / 4)) : 1 }

    /// A planar RGB crop.
    static func crop(_ pixels: [Float], width: Int, height: Int, x: Int, y: Int, w: Int, h: Int) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * w * h)
        pixels.withUnsafeBufferPointer { p in
            for c in 0..<3 {
                for r in 0..<h {
                    let src = c * width * height + (y + r) * width + x, dst = c * w * h + r * w
                    for i in 0..<w { out[dst + i] = p[src + i] }
                }
            }
        }
        return out
    }

    /// Gram matrices of `layers` over a whole image, summed over overlapping
    /// crops of at most `crop` + 2 `gramMargin` pixels a side, so a style image
    /// larger than the memory budget allows still gives whole-image targets.
    /// Each crop contributes only its interior (the margin gives the deep
    /// layers their context); the sums are normalised by the pixel count.
    static func gramMatrices(network: FeatureNetwork, image: Image, layers: [Int], depth: Int, convs: Set<Int>,
                             crop: Int) throws -> [[Float]] {
        let strides = layers.map { layer in
            network.layers[0..<layer].reduce(1) { s, l in if case .pool = l.kind { return s * 2 }; return s }
        }
        var sums = [[Float]](repeating: [], count: layers.count)
        var counts = [Int](repeating: 0, count: layers.count)
        let m = gramMargin
        for ty in Swift.stride(from: 0, to: image.height, by: crop) {
            for tx in Swift.stride(from: 0, to: image.width, by: crop) {
                let cx0 = max(0, tx - m), cy0 = max(0, ty - m)
                let cx1 = min(image.width, tx + crop + m), cy1 = min(image.height, ty + crop + m)
                let tx1 = min(image.width, tx + crop), ty1 = min(image.height, ty + crop)
                let pass = try network.makePass(height: cy1 - cy0, width: cx1 - cx0, through: depth - 1,
                                            keepPreActivation: convs, forwardOnly: true)
                network.forward(pass, pixels: Self.crop(image.pixels, width: image.width, height: image.height,
                                                        x: cx0, y: cy0, w: cx1 - cx0, h: cy1 - cy0))
                for (k, layer) in layers.enumerated() {
                    let f = pass.activation(layer), d = strides[k]
                    let x0 = (tx - cx0) / d, y0 = (ty - cy0) / d
                    let x1 = min(f.width, (tx1 - cx0) / d), y1 = min(f.height, (ty1 - cy0) / d)
                    guard x1 > x0, y1 > y0 else { continue }
                    let n = (x1 - x0) * (y1 - y0), c = f.channels
                    var packed = [Float](repeating: 0, count: c * n)
                    for ch in 0..<c {
                        for y in y0..<y1 {
                            let row = f.data + f.index(ch, y, x0)
                            for x in 0..<(x1 - x0) { packed[ch * n + (y - y0) * (x1 - x0) + x] = row[x] }
                        }
                    }
                    if sums[k].isEmpty { sums[k] = [Float](repeating: 0, count: c * c) }
                    packed.withUnsafeBufferPointer { p in
                        sums[k].withUnsafeMutableBufferPointer { g in
                            gram(p.baseAddress!, rows: c, columns: n, stride: n, scale: 1, into: g.baseAddress!, accumulate: true)
                        }
                    }
                    counts[k] += n
                }
            }
        }
        return zip(sums, counts).map { sum, count in
            sum.map { $0 / Float(count) }
        }
    }
}

extension StyleTransfer {
    /// Optimises the picture `x` (width x height) in overlapping square tiles of
    /// side `tile` laid over its canvas (the picture and its mirrored margin of
    /// `margin` px, Margin.swift). Every tile matches the same whole-image Gram
    /// targets; its content target is its own crop of the mirrored content. A
    /// tile's variable is the part of the picture under it and it sees that part
    /// mirrored, f(t) = L_tile(P t), ∇f = Pᵀ ∇L_tile: a tile at the canvas edge is
    /// wider than 2 margins and starts at that edge, so every margin pixel it
    /// shows is mirrored from a picture pixel inside it, and the margin stays a
    /// function of the picture, as at whole levels, rather than a free variable
    /// that tiles would paint independently. A level's iterations are split into
    /// passes over all tiles; each pass shifts the tile grid so seams move, and
    /// tiles are blended with feathered (linear ramp) overlaps.
    /// A timed run passes its `deadline`: no pass begins that the last one says
    /// would end after it, and with `untilDeadline` (the run's last level) passes
    /// of n / passes steps follow the planned ones until it.
    /// `advance(losses, steps, levelSteps, evaluations, x)` reports steps done in this
    /// level, the steps it will then have taken, and the picture as of the last
    /// finished pass (the caller must not read its x meanwhile).
    func optimiseTiled(_ x: inout [Float], width w: Int, height h: Int, margin m: Int, content: Image?,
                       targets: [[Float]], mask: Mask?, options: TransferOptions, layers: LayerSelection,
                       network: FeatureNetwork, tile: Int, iterations n: Int, deadline: Date?, untilDeadline: Bool,
                       advance: (LossTerms, Int, Int, Int, [Float]) throws -> Void) throws {
        let (cw, ch) = (w + 2 * m, h + 2 * m)
        let canvasContent = content?.reflectPadded(m), canvasMask = mask?.reflectPadded(m)
        let temporal = TemporalTarget.level(options, width: w, height: h)
        let overlap = max(16, tile / 8)  // ramps of tile/8: enough to hide seams, little repeated work
        let planned = Tiling.passes(steps: n)
        var stepsBefore = 0, levelSteps = n
        var previous: (steps: Int, seconds: Double)?  // the last pass
        for p in 0... {
            let steps = p < planned ? n / planned + (p < n % planned ? 1 : 0) : max(1, n / planned)
            if let deadline, let previous {
                // Each tile restarts its optimiser: a pass costs its steps plus the start's.
                let start = TimeBudget.startCost
                let seconds = previous.seconds * (Double(steps) + start) / (Double(previous.steps) + start)
                let fits = Date().addingTimeInterval(seconds) <= deadline
                if p >= planned && !(untilDeadline && fits) { break }
                if !fits { levelSteps = stepsBefore; break }
            } else if p >= planned { break }
            if p >= planned { levelSteps += steps }
            let passStart = Date()
            let shift = (tile - overlap) * p / planned
            let xs = Tiling.spans(length: cw, tile: tile, overlap: overlap, shift: shift)
            let ys = Tiling.spans(length: ch, tile: tile, overlap: overlap, shift: shift)
            let tw = min(tile, cw), th = min(tile, ch)
            var acc = [Float](repeating: 0, count: 3 * w * h)
            var weights = [Float](repeating: 0, count: w * h)
            var losses = LossTerms()
            var done = 0
            for y0 in ys {
                for x0 in xs {
                    let map = MirrorMap(picture: (w, h), margin: m, x: x0, y: y0, width: tw, height: th)
                    let (rx, ry, rw, rh) = (map.origin.x - m, map.origin.y - m, map.regionWidth, map.regionHeight)
                    var t = Tiling.crop(x, width: w, height: h, x: rx, y: ry, w: rw, h: rh)
                    let tileContent = canvasContent.map {
                        Image(width: tw, height: th, pixels: Tiling.crop($0.pixels, width: cw, height: ch, x: x0, y: y0, w: tw, h: th))
                    }
                    let objective = try TransferObjective(network: network, width: tw, height: th, content: tileContent,
                                                      styleTargets: targets, mask: canvasMask?.cropped(x: x0, y: y0, width: tw, height: th),
                                                      options: options, layers: layers)
                    var tileLoss = StepTerms()
                    // The temporal loss on the tile's own picture region (a mean over it, as over the picture).
                    let tileTemporal = temporal?.cropped(x: rx, y: ry, width: rw, height: rh)
                    let f: Objective = { px in
                        var (terms, g) = objective.evaluate(map.forward(px, channels: 3))
                        var gradient = map.adjoint(g, channels: 3)
                        if let tileTemporal {
                            terms.temporal = gradient.withUnsafeMutableBufferPointer {
                                TemporalLoss.evaluate(px, tileTemporal, weight: options.temporalWeight, gradient: $0.baseAddress)
                            }
                        }
                        tileLoss.evaluated(terms)
                        return (terms.total, gradient)
                    }
                    var optimizer = options.makeOptimizer(scale: map.inverseCopies(channels: 3))
                    for _ in 0..<steps {
                        try Memory.ensureStep(floats: t.count)  // its vectors are Swift arrays (Memory.swift)
                        tileLoss.stepped(to: optimizer.step(&t, f))
                    }
                    let share = 1 / Double(xs.count * ys.count)
                    losses.content += share * tileLoss.terms.content
                    losses.style += share * tileLoss.terms.style
                    losses.tv += share * tileLoss.terms.tv
                    losses.temporal += share * tileLoss.terms.temporal
                    // Feathers over the tile's canvas window, read where the picture region lies in it.
                    let fx = Tiling.feather(start: x0, length: tw, total: cw, overlap: overlap)
                    let fy = Tiling.feather(start: y0, length: th, total: ch, overlap: overlap)
                    let (ox, oy) = (map.origin.x - x0, map.origin.y - y0)
                    for r in 0..<rh {
                        for i in 0..<rw {
                            let wgt = fx[ox + i] * fy[oy + r], dst = (ry + r) * w + rx + i
                            weights[dst] += wgt
                            for c in 0..<3 { acc[c * w * h + dst] += wgt * t[c * rw * rh + r * rw + i] }
                        }
                    }
                    done += 1
                    let stepsNow = stepsBefore + steps * done / (xs.count * ys.count)
                    let seen = Double(xs.count * ys.count) / Double(done)  // mean over the tiles done so far
                    var mean = LossTerms()
                    (mean.content, mean.style, mean.tv) = (losses.content * seen, losses.style * seen, losses.tv * seen)
                    mean.temporal = losses.temporal * seen
                    try advance(mean, stepsNow, levelSteps, objective.evaluations, x)
                }
            }
            for c in 0..<3 { for i in 0..<(w * h) { acc[c * w * h + i] /= weights[i] } }
            x = acc
            stepsBefore += steps
            previous = (steps, Date().timeIntervalSince(passStart))
        }
    }
}
