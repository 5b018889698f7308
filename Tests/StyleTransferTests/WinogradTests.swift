import Testing
@testable import StyleTransfer

/// The fast convolution (Winograd F(2x2,3x3)) against the direct nine-GEMM
/// convolution on random inputs: outputs and input gradients within 1e-4
/// relative (measured to the largest magnitude of the reference).
@Suite struct WinogradTests {
    func randomMap(_ c: Int, _ h: Int, _ w: Int, _ rng: inout SplitMix64) -> FeatureMap {
        let m = FeatureMap(channels: c, height: h, width: w)
        m.setInterior((0..<(c * h * w)).map { _ in Float.random(in: -1...1, using: &rng) })
        return m
    }

    func relativeError(_ a: FeatureMap, _ b: FeatureMap) -> Float {
        var worst: Float = 0, scale: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a.data[i] - b.data[i])); scale = max(scale, abs(b.data[i])) }
        return worst / scale
    }

    @Test(arguments: [(16, 24, 8, 8), (64, 32, 7, 9), (32, 64, 5, 4), (128, 16, 1, 3), (24, 24, 13, 11)])
    func matchesDirect(shape: (Int, Int, Int, Int)) {
        let (cin, cout, h, w) = shape
        var rng = SplitMix64(seed: UInt64(cin * 1000 + h))
        let weight = (0..<(cout * cin * 9)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let bias = (0..<cout).map { _ in Float.random(in: -1...1, using: &rng) }
        let fast = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout)
        let direct = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, useWinograd: false)
        let x = randomMap(cin, h, w, &rng)
        let y1 = FeatureMap(channels: cout, height: h, width: w), y2 = FeatureMap(channels: cout, height: h, width: w)
        fast.forward(x, into: y1)
        direct.forward(x, into: y2)
        #expect(relativeError(y1, y2) < 1e-4)

        let dy = randomMap(cout, h, w, &rng)
        let dx1 = FeatureMap(channels: cin, height: h, width: w), dx2 = FeatureMap(channels: cin, height: h, width: w)
        fast.backward(dy, into: dx1)
        direct.backward(dy, into: dx2)
        #expect(relativeError(dx1, dx2) < 1e-4)
    }
}
