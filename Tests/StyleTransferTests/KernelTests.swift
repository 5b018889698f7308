import Foundation
import Testing
@testable import StyleTransfer

/// The C kernels (Sources/CKernels, one copy per instruction set) against the
/// Swift reference loops, for every path this CPU can run: the Winograd
/// transforms through whole convolutions (ReLU folded in or not, masked
/// gradient or not, edge tiles clipped), ReLU, and 2x2 pooling with clamped
/// one-pixel sides. The kernels do the reference's float operations in its
/// order, with no fused multiply-adds (-ffp-contract=off), so every result must
/// be bit-identical: the picture a run makes does not depend on the CPU's vector width.
@Suite struct KernelTests {
    static let native = KernelPath.available.filter { $0 != .swift }

    static func identical(_ a: FeatureMap, _ b: FeatureMap) -> Bool {
        a.count == b.count && (0..<a.count).allSatisfy { a.data[$0] == b.data[$0] }
    }

    /// The path `.best` picks is the widest the CPU's flags (/proc/cpuinfo) promise.
    @Test func bestIsTheWidestTheCPUHas() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let expected = flags.contains("avx512f") && flags.contains("avx2") && flags.contains("fma") ? "avx512f"
            : flags.contains("avx2") && flags.contains("fma") ? "avx2" : "default"
        #expect(KernelPath.best.description == expected)
        #expect(KernelPath(name: expected) == KernelPath.best)
        #expect(KernelPath(name: "swift") == .swift)
        #expect(KernelPath(name: "sse9") == nil)
    }

    // (cin, cout, h, w): tile-aligned for F(4x4) and F(6x6), ragged edges, one-pixel sides, many tile rows,
    // and bands (more transformed values than a band holds: 2 bands of each tile).
    static let shapes = [(16, 8, 8, 8), (16, 8, 12, 6), (24, 16, 7, 9), (32, 20, 5, 1), (16, 16, 1, 6), (20, 12, 13, 11),
                         (16, 64, 70, 37), (256, 256, 100, 50)]

    @Test(arguments: native, shapes)
    func winogradMatchesSwift(kernels: KernelPath, shape: (Int, Int, Int, Int)) {
        for tile in [WinogradTile.f4, .f6] { winogradMatchesSwift(kernels: kernels, shape: shape, tile: tile) }
    }

    func winogradMatchesSwift(kernels: KernelPath, shape: (Int, Int, Int, Int), tile: WinogradTile) {
        let (cin, cout, h, w) = shape
        var rng = SplitMix64(seed: UInt64(cin * 1000 + cout * 10 + h))
        let weight = Support.random(cout * cin * 9, in: -0.5...0.5, &rng), bias = Support.random(cout, &rng)
        let fast = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, winogradTile: tile, kernels: kernels)
        let reference = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, winogradTile: tile,
                                kernels: .swift)
        let x = Support.randomMap(cin, h, w, &rng)
        for relu in [false, true] {
            let y1 = FeatureMap(channels: cout, height: h, width: w), y2 = FeatureMap(channels: cout, height: h, width: w)
            fast.forward(x, into: y1, relu: relu)
            reference.forward(x, into: y2, relu: relu)
            #expect(Self.identical(y1, y2), "\(kernels) \(tile) forward relu \(relu) \(shape)")
        }
        let dy = Support.randomMap(cout, h, w, &rng), mask = Support.randomMap(cout, h, w, &rng)
        for m in [nil, mask] {
            let dx1 = FeatureMap(channels: cin, height: h, width: w), dx2 = FeatureMap(channels: cin, height: h, width: w)
            dx1.data.update(repeating: .nan, count: dx1.count)  // every value, border included, must be written
            fast.backward(dy, into: dx1, reluOutput: m)
            reference.backward(dy, into: dx2, reluOutput: m)
            #expect(Self.identical(dx1, dx2), "\(kernels) \(tile) backward mask \(m != nil) \(shape)")
        }
    }

    @Test(arguments: native)
    func reluMatchesSwift(kernels: KernelPath) throws {
        var rng = SplitMix64(seed: 3)
        let x = Support.randomMap(5, 41, 37, &rng)  // 5 * 43 * 39 floats: not a multiple of any vector width
        let y1 = try x.clone(), y2 = try x.clone()
        ReLU.forward(y1, kernels: kernels)
        ReLU.forward(y2, kernels: .swift)
        #expect(Self.identical(y1, y2))
        let g1 = Support.randomMap(5, 41, 37, &rng), g2 = try g1.clone()
        ReLU.backward(g1, output: x, kernels: kernels)
        ReLU.backward(g2, output: x, kernels: .swift)
        #expect(Self.identical(g1, g2))
    }

    @Test(arguments: native, [(3, 8, 8), (2, 7, 9), (2, 9, 4), (2, 1, 5), (2, 6, 1), (1, 1, 1), (4, 35, 67)])
    func poolingMatchesSwift(kernels: KernelPath, shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: UInt64(h * 100 + w))
        // Values on a coarse grid, so max windows have ties (the first maximum takes the gradient).
        let x = FeatureMap(channels: c, height: h, width: w)
        x.setInterior((0..<(c * h * w)).map { _ in Float(Int.random(in: -3...3, using: &rng)) })
        let (oh, ow) = Pool2x2.outputSize(height: h, width: w)
        let dy = Support.randomMap(c, oh, ow, &rng)
        for mode in PoolingMode.allCases {
            let y1 = FeatureMap(channels: c, height: oh, width: ow), y2 = FeatureMap(channels: c, height: oh, width: ow)
            Pool2x2.forward(x, into: y1, mode: mode, kernels: kernels)
            Pool2x2.forward(x, into: y2, mode: mode, kernels: .swift)
            #expect(Self.identical(y1, y2), "\(kernels) pool \(mode) forward \(shape)")
            let dx1 = FeatureMap(channels: c, height: h, width: w), dx2 = FeatureMap(channels: c, height: h, width: w)
            dx1.data.update(repeating: .nan, count: dx1.count)  // the whole plane, border included, must be written
            Pool2x2.backward(dy, input: x, into: dx1, mode: mode, kernels: kernels)
            Pool2x2.backward(dy, input: x, into: dx2, mode: mode, kernels: .swift)
            #expect(Self.identical(dx1, dx2), "\(kernels) pool \(mode) backward \(shape)")
        }
    }

    /// The whole objective (real weights, odd size, a loss on a conv so one ReLU is
    /// not folded) with the CPU's kernels against the Swift reference loops.
    @Test func objectiveMatchesSwift() throws {
        let best = try Support.realNetwork()
        #expect(best.kernels == .best)
        let weights = try ModelWeights(safetensors: Support.bytes(URL(fileURLWithPath: ProcessInfo.processInfo.environment["STYLIZE_MODEL"]!)))
        let reference = FeatureNetwork(weights: weights, kernels: .swift)
        let (w, h) = (45, 38)
        let full = try Support.fixture("tiny_content_64.ppm"), style = try Support.fixture("tiny_style_64.ppm")
        let content = Image(width: w, height: h, pixels: (0..<3).flatMap { c in
            (0..<h).flatMap { y in (0..<w).map { x in full.pixels[(c * 64 + y) * 64 + x] } }
        })
        var options = TransferOptions()
        options.contentLayers = [LayerWeight("conv3_1", 0.5), LayerWeight("relu4_2")]
        var results: [(LossTerms, [Float])] = []
        for network in [best, reference] {
            let objective = try TransferObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
            var rng = SplitMix64(seed: 9)
            results.append(objective.evaluate(content.pixels.map { min(255, max(0, $0 + Float.random(in: -20...20, using: &rng))) }))
        }
        let (a, ga) = results[0], (b, gb) = results[1]
        #expect(a == b, "losses \(a) vs \(b)")
        #expect(ga == gb, "pixel gradient: \(zip(ga, gb).filter { $0 != $1 }.count) of \(ga.count) entries differ")
    }
}
