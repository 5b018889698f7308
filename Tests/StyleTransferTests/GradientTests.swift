import Foundation
import Testing
import StyleTransfer

/// Every layer's backward (and the whole objective's gradient) against central
/// finite differences on small seeded random tensors.
///
/// The engine computes in Float32; the differences divide by the step Float
/// actually took (see `Support.centralDifference`) and sum losses in Double.
/// Linear layers (conv, average pool) are checked with large steps, where the
/// difference is exact up to rounding; kinks (ReLU at 0, max-pool ties) are
/// kept further from the inputs than the step.
@Suite struct GradientTests {
    /// Largest elementwise relative error over `indices`, with a floor of 1e-3
    /// of the largest gradient so that near-zero entries do not dominate.
    static func compare(_ name: String, analytic: [Float], indices: [Int], _ x: inout [Float],
                        step: Float, _ f: ([Float]) -> Double) -> (worst: Double, norm: Double, median: Double) {
        let floor = 1e-3 * Double(indices.map { abs(analytic[$0]) }.max() ?? 0) + 1e-12
        var errors: [Double] = [], numeric: [Double] = [], exact: [Double] = []
        for i in indices {
            let d = Support.centralDifference(&x, i, step: step, f)
            errors.append(Support.relativeError(d, Double(analytic[i]), floor: floor))
            numeric.append(d); exact.append(Double(analytic[i]))
        }
        let norm = Support.normRelativeError(numeric, exact)
        let worst = errors.max() ?? 0, median = errors.sorted()[errors.count / 2]
        print("gradient \(name): relative error worst \(String(format: "%.2e", worst)), median \(String(format: "%.2e", median)), of the whole vector \(String(format: "%.2e", norm)) (\(indices.count) entries)")
        return (worst, norm, median)
    }

    // MARK: convolution

    /// y[o,i,j] = b[o] + sum_c,dy,dx W[o,c,dy,dx] x[c, i+dy-1, j+dx-1], zero outside: the definition, in Double.
    static func naiveConv(_ x: [Float], _ weight: [Float], _ bias: [Float], cin: Int, cout: Int, h: Int, w: Int) -> [Double] {
        var y = [Double](repeating: 0, count: cout * h * w)
        for o in 0..<cout {
            for i in 0..<h {
                for j in 0..<w {
                    var s = Double(bias[o])
                    for c in 0..<cin {
                        for dy in 0..<3 {
                            for dx in 0..<3 {
                                let yi = i + dy - 1, xj = j + dx - 1
                                guard yi >= 0, yi < h, xj >= 0, xj < w else { continue }
                                s += Double(weight[((o * cin + c) * 3 + dy) * 3 + dx]) * Double(x[(c * h + yi) * w + xj])
                            }
                        }
                    }
                    y[(o * h + i) * w + j] = s
                }
            }
        }
        return y
    }

    /// (cin, cout, h, w, winograd): cin < 16 takes the im2col path, cin >= 16 the
    /// nine-GEMM path (winograd false) or Winograd F(4x4,3x3); odd and tiny sizes included.
    static let convShapes: [(Int, Int, Int, Int, Bool)] = [
        (3, 4, 5, 7, true), (4, 4, 5, 7, true), (5, 4, 7, 5, true), (3, 64, 1, 1, true),
        (16, 4, 5, 7, false), (16, 4, 5, 7, true), (20, 8, 3, 1, true), (17, 6, 6, 9, true),
    ]

    @Test(arguments: convShapes)
    func convForwardMatchesNaiveLoop(shape: (Int, Int, Int, Int, Bool)) {
        let (cin, cout, h, w, winograd) = shape
        var rng = SplitMix64(seed: UInt64(100 * cin + 10 * h + w))
        let weight = Support.random(cout * cin * 9, &rng), bias = Support.random(cout, &rng)
        let conv = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, useWinograd: winograd)
        let x = Support.randomMap(cin, h, w, &rng)
        let y = FeatureMap(channels: cout, height: h, width: w)
        // NaN inside: every output value must be written. The border starts at zero (as in the
        // engine's zero-allocated passes): the Winograd path relies on that and must keep it.
        y.setInterior([Float](repeating: .nan, count: cout * h * w))
        conv.forward(x, into: y)
        let reference = Self.naiveConv(x.interior(), weight, bias, cin: cin, cout: cout, h: h, w: w)
        let got = y.interior().map(Double.init)
        let scale = reference.map(abs).max()!
        let worst = zip(got, reference).map { abs($0 - $1) }.max()! / scale
        print("conv forward \(cin)->\(cout) \(h)x\(w) winograd \(winograd): max error / max |y| = \(String(format: "%.2e", worst))")
        #expect(worst < 1e-5)
        let bordered = FeatureMap(channels: cout, height: h, width: w)
        bordered.setInterior(y.interior())  // the same interior with a zero border
        #expect((0..<y.count).allSatisfy { y.data[$0] == bordered.data[$0] }, "the output's border must stay zero")
    }

    @Test(arguments: convShapes)
    func convBackward(shape: (Int, Int, Int, Int, Bool)) {
        let (cin, cout, h, w, winograd) = shape
        var rng = SplitMix64(seed: UInt64(7 + 100 * cin + 10 * h + w))
        let weight = Support.random(cout * cin * 9, &rng), bias = Support.random(cout, &rng)
        let conv = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, useWinograd: winograd)
        var x = Support.random(cin * h * w, &rng)
        let r = Support.random(cout * h * w, &rng)
        let dy = FeatureMap(channels: cout, height: h, width: w)
        dy.setInterior(r)
        let dx = FeatureMap(channels: cin, height: h, width: w)
        dx.setInterior([Float](repeating: .nan, count: cin * h * w))  // every value must be written
        conv.backward(dy, into: dx)
        // Differences of the definition (in Double): the conv is affine in x, so a large
        // step loses nothing to truncation and the only error left is the layer's own rounding.
        let err = Self.compare("conv \(cin)->\(cout) \(h)x\(w) winograd \(winograd)", analytic: dx.interior(),
                               indices: Array(x.indices), &x, step: 0.5) { x in
            zip(Self.naiveConv(x, weight, bias, cin: cin, cout: cout, h: h, w: w), r).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        // Measured: worst 4e-6 direct, 4e-4 Winograd F(4x4) (its transforms round more); whole vector < 1e-6.
        #expect(err.worst < 1e-3)
        #expect(err.norm < 1e-5)
        let bordered = FeatureMap(channels: cin, height: h, width: w)
        bordered.setInterior(dx.interior())
        #expect((0..<dx.count).allSatisfy { dx.data[$0] == bordered.data[$0] }, "the input gradient's border must stay zero")
    }

    // MARK: ReLU and pooling

    @Test func reluBackward() {
        var rng = SplitMix64(seed: 11)
        let (c, h, w) = (4, 5, 7)
        // Inputs at least 0.05 from the kink at 0; the step is 0.01.
        var x = Support.random(c * h * w, &rng).map { $0 < 0 ? $0 - 0.05 : $0 + 0.05 }
        let r = Support.random(c * h * w, &rng)
        let y = FeatureMap(channels: c, height: h, width: w)
        y.setInterior(x)
        ReLU.forward(y)
        let g = FeatureMap(channels: c, height: h, width: w)
        g.setInterior(r)
        ReLU.backward(g, output: y)
        let err = Self.compare("relu", analytic: g.interior(), indices: Array(x.indices), &x, step: 0.01) { x in
            let m = FeatureMap(channels: c, height: h, width: w)
            m.setInterior(x)
            ReLU.forward(m)
            return Support.dot(m, r)
        }
        #expect(err.worst < 1e-4)
    }

    @Test(arguments: [PoolingMode.max, .average], [(3, 4, 6), (2, 5, 7), (2, 7, 5), (3, 3, 3), (2, 1, 5), (1, 1, 1)])
    func poolBackward(mode: PoolingMode, shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: UInt64(h * 10 + w))
        // Distinct values 0.05 apart (shuffled), so no max-pool window has a tie within the 0.01 step.
        var x = (0..<(c * h * w)).map { Float($0) * 0.05 - 1 }
        x.shuffle(using: &rng)
        let (oh, ow) = Pool2x2.outputSize(height: h, width: w)
        let r = Support.random(c * oh * ow, &rng)
        let input = FeatureMap(channels: c, height: h, width: w)
        input.setInterior(x)
        let dy = FeatureMap(channels: c, height: oh, width: ow)
        dy.setInterior(r)
        let dx = FeatureMap(channels: c, height: h, width: w)
        dx.data.update(repeating: .nan, count: dx.count)
        Pool2x2.backward(dy, input: input, into: dx, mode: mode)
        let err = Self.compare("pool \(mode) \(c)x\(h)x\(w)", analytic: dx.interior(), indices: Array(x.indices), &x, step: 0.01) { x in
            let m = FeatureMap(channels: c, height: h, width: w), y = FeatureMap(channels: c, height: oh, width: ow)
            m.setInterior(x)
            Pool2x2.forward(m, into: y, mode: mode)
            return Support.dot(y, r)
        }
        #expect(err.worst < 1e-4)
        #expect((0..<dx.count).allSatisfy { dx.data[$0].isFinite }, "pool backward must overwrite its whole output, border included")
    }

    // MARK: losses

    @Test func contentLossGradient() throws {
        var rng = SplitMix64(seed: 21)
        let (c, h, w) = (4, 5, 7)
        let target = Support.randomMap(c, h, w, &rng)
        var f = Support.random(c * h * w, &rng)
        let loss = try ContentLoss(layer: 0, weight: 0.7, target: target)
        let fm = FeatureMap(channels: c, height: h, width: w)
        fm.setInterior(f)
        let g = FeatureMap(channels: c, height: h, width: w)
        let value = loss.evaluate(fm, gradient: g)
        // The value is the documented formula: w / (C H W) * sum (F - P)^2.
        let expected = 0.7 * zip(f, target.interior()).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(c * h * w)
        #expect(abs(value - expected) <= 1e-6 * expected)
        let err = Self.compare("content loss", analytic: g.interior(), indices: Array(f.indices), &f, step: 0.01) { f in
            let m = FeatureMap(channels: c, height: h, width: w)
            m.setInterior(f)
            return loss.evaluate(m, gradient: nil)
        }
        #expect(err.worst < 1e-3)
    }

    @Test func gramMatrixIsNormalisedFFt() {
        var rng = SplitMix64(seed: 31)
        let (c, h, w) = (5, 3, 4)
        let f = Support.randomMap(c, h, w, &rng)
        let v = f.interior(), g = gramMatrix(f)
        for i in 0..<c {
            for j in 0..<c {
                var s = 0.0
                for p in 0..<(h * w) { s += Double(v[i * h * w + p]) * Double(v[j * h * w + p]) }
                #expect(abs(Double(g[i * c + j]) - s / Double(h * w)) < 1e-5)
            }
        }
    }

    /// Plain, and guided by a random mask in 0...1 with zeros: d/dF of
    /// w/C² Σ((F∘m)(F∘m)ᵀ/Σm² - A)².
    @Test(arguments: [(4, 5, 7), (6, 3, 1)], [false, true])
    func styleLossGradient(shape: (Int, Int, Int), masked: Bool) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: UInt64(41 + h))
        let target = gramMatrix(Support.randomMap(c, h, w, &rng))
        var f = Support.random(c * h * w, &rng)
        let mask = masked ? Mask(width: w, height: h, values: (0..<(h * w)).map { $0 % 3 == 0 ? 0 : Float.random(in: 0...1, using: &rng) }) : nil
        let loss = StyleLoss(layer: 0, weight: 0.3, target: target, mask: mask)
        let fm = FeatureMap(channels: c, height: h, width: w)
        fm.setInterior(f)
        let g = FeatureMap(channels: c, height: h, width: w)
        _ = loss.evaluate(fm, gradient: g)
        #expect((0..<g.count).allSatisfy { i in g.data[i].isFinite })
        let analytic = g.interior()
        if let mask {  // where the mask is 0 the feature does not enter the loss
            #expect((0..<c).allSatisfy { ch in (0..<(h * w)).allSatisfy { mask.values[$0] != 0 || analytic[ch * h * w + $0] == 0 } })
        }
        let name = "\(masked ? "masked " : "")style loss \(c)x\(h)x\(w)"
        let err = Self.compare(name, analytic: analytic, indices: Array(f.indices), &f, step: 0.01) { f in
            let m = FeatureMap(channels: c, height: h, width: w)
            m.setInterior(f)
            return loss.evaluate(m, gradient: nil)
        }
        // Measured: worst 4.6e-3 (small entries; Float Gram rounding), whole vector 3e-5 (masked: 5.6e-3, 7.5e-5).
        #expect(err.worst < 2e-2)
        #expect(err.norm < 1e-3)
    }

    /// With an all-ones mask, F∘m = F and Σm² = H W: the guided loss is the plain one.
    @Test func allOnesMaskGivesThePlainStyleLoss() {
        let (c, h, w) = (5, 6, 7)
        var rng = SplitMix64(seed: 47)
        let target = gramMatrix(Support.randomMap(c, h, w, &rng))
        let f = Support.randomMap(c, h, w, &rng)
        let plain = StyleLoss(layer: 0, weight: 0.7, target: target)
        let masked = StyleLoss(layer: 0, weight: 0.7, target: target,
                               mask: Mask(width: w, height: h, values: [Float](repeating: 1, count: h * w)))
        let g1 = FeatureMap(channels: c, height: h, width: w), g2 = FeatureMap(channels: c, height: h, width: w)
        let l1 = plain.evaluate(f, gradient: g1), l2 = masked.evaluate(f, gradient: g2)
        #expect(l1 > 0)
        #expect(abs(l1 - l2) <= 1e-6 * l1)
        let a = g1.interior(), b = g2.interior()
        let scale = a.map { abs($0) }.max()!
        #expect(scale > 0 && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * scale })
    }

    @Test(arguments: [(5, 7), (1, 4), (3, 1)])
    func totalVariationGradient(size: (Int, Int)) {
        let (h, w) = size
        var rng = SplitMix64(seed: UInt64(51 + w))
        var p = Support.random(3 * h * w, in: 0...255, &rng)
        var g = [Float](repeating: 0, count: p.count)
        _ = g.withUnsafeMutableBufferPointer {
            TotalVariation.evaluate(p, height: h, width: w, weight: 0.5, gradient: $0.baseAddress)
        }
        // Quadratic: the central difference is exact up to rounding at any step.
        let err = Self.compare("total variation \(h)x\(w)", analytic: g, indices: Array(p.indices), &p, step: 0.5) { p in
            TotalVariation.evaluate(p, height: h, width: w, weight: 0.5, gradient: nil)
        }
        #expect(err.worst < 1e-4)
    }

    // MARK: the whole objective

    /// Random VGG16 (He-scaled weights), an 8x8 image, content losses on a conv
    /// (pre-ReLU) and a ReLU layer, style losses on five layers through every
    /// pooling, and total variation: d(total loss)/d(pixel) on a sample of pixels.
    @Test(arguments: [PoolingMode.max, .average])
    func objectiveGradient(pooling: PoolingMode) throws {
        let network = FeatureNetwork(weights: try Support.randomWeights(.vgg16, seed: 3), pooling: pooling)
        var rng = SplitMix64(seed: 61)
        let (w, h) = (8, 8)
        let content = Image(width: w, height: h, pixels: Support.random(3 * w * h, in: 0...255, &rng))
        let style = Image(width: w, height: h, pixels: Support.random(3 * w * h, in: 0...255, &rng))
        var options = TransferOptions()
        options.contentLayers = [LayerWeight("conv2_1"), LayerWeight("relu4_2", 0.5)]
        options.styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map { LayerWeight($0) }
        options.styleWeight = 1e-4
        options.tvWeight = 1e-2
        let objective = try TransferObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
        var x = Support.random(3 * w * h, in: 0...255, &rng)
        let (terms, gradient) = objective.evaluate(x)
        print("objective \(pooling): content \(terms.content), style \(terms.style), tv \(terms.tv)")
        #expect(terms.content > 0 && terms.style > 0 && terms.tv > 0)
        var sample = Array(x.indices)
        sample.shuffle(using: &rng)
        let err = Self.compare("objective (VGG16, \(pooling) pooling)", analytic: gradient, indices: Array(sample.prefix(48)),
                               &x, step: Self.objectiveStep) { x in objective.evaluate(x).0.total }
        let directional = Self.directionalError(gradient, at: x) { objective.evaluate($0).0.total }
        print("gradient objective (VGG16, \(pooling) pooling): directional derivative relative error \(String(format: "%.2e", directional))")
        // Measured (max / average pooling): directional 8.5e-5 / 5.8e-4; per pixel, whole vector
        // 1.8e-3 / 6.3e-3, median 6e-4 / 1.2e-3 (a step of 0.1 level; smaller ones are
        // dominated by Float32 rounding, larger ones by ReLU kinks). The per-pixel figures are
        // that rounding and depend on OpenBLAS's kernels: on an Emerald Rapids Xeon, medians
        // 6.8e-3 / 1.14e-2 with its Prescott kernels, 6.2e-3 / 7.9e-3 with Cooperlake's, up to
        // 1.0e-2 with Haswell's, while the directional error stays 2-3e-4. A wrong scale,
        // channel order or layer would be off by O(1).
        #expect(directional < 5e-3)
        #expect(err.norm < 2e-2)
        #expect(err.median < 2e-2)
    }

    /// In pixel levels (0-255).
    static let objectiveStep: Float = 0.1

    /// Relative error of the central difference of `f` along the gradient itself (largest
    /// move 1 level), all pixels at once: ReLU kinks average out, and the slope |g|²
    /// cannot cancel the way a random direction's can.
    static func directionalError(_ gradient: [Float], at x: [Float], _ f: ([Float]) -> Double) -> Double {
        let largest = gradient.map(abs).max()!
        let d = gradient.map { $0 / largest }
        let slope = zip(gradient, d).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let t: Float = 0.05
        let up = f(zip(x, d).map { $0 + t * $1 }), down = f(zip(x, d).map { $0 - t * $1 })
        return Support.relativeError((up - down) / Double(2 * t), slope, floor: 0)
    }
}
