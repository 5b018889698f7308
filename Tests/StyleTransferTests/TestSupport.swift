import Foundation
import Testing
import StyleTransfer

/// Shared helpers of the engine tests: seeded random tensors, Float32-aware
/// finite differences, the real-weight files from the environment, PPM fixtures.
enum Support {
    static func random(_ n: Int, in range: ClosedRange<Float> = -1...1, _ rng: inout SplitMix64) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &rng) }
    }

    static func randomMap(_ c: Int, _ h: Int, _ w: Int, in range: ClosedRange<Float> = -1...1,
                          _ rng: inout SplitMix64) -> FeatureMap {
        let m = FeatureMap(channels: c, height: h, width: w)
        m.setInterior(random(c * h * w, in: range, &rng))
        return m
    }

    /// Sum over the interior of r ⊙ y, in Double: the scalar whose gradient
    /// with respect to y is r, used to test a layer's backward (vector-Jacobian product).
    static func dot(_ y: FeatureMap, _ r: [Float]) -> Double {
        zip(y.interior(), r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Central difference of f at x[i]. The step actually taken is what Float
    /// can represent (x ± h rounded), so the quotient divides by that, not by 2h.
    static func centralDifference(_ x: inout [Float], _ i: Int, step h: Float, _ f: ([Float]) -> Double) -> Double {
        let x0 = x[i]
        x[i] = x0 + h; let up = Double(x[i]); let fUp = f(x)
        x[i] = x0 - h; let down = Double(x[i]); let fDown = f(x)
        x[i] = x0
        return (fUp - fDown) / (up - down)
    }

    /// |a - b| / max(|a|, |b|, floor): relative error that stays meaningful near zero.
    static func relativeError(_ a: Double, _ b: Double, floor: Double) -> Double {
        abs(a - b) / max(abs(a), abs(b), floor)
    }

    /// ‖a - b‖ / ‖b‖ over whole vectors.
    static func normRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        let d = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let n = b.reduce(0) { $0 + $1 * $1 }
        return (d / max(n, .leastNonzeroMagnitude)).squareRoot()
    }

    /// A file named by an environment variable. Missing variable or file is a
    /// test failure with a message saying how to set it, never a silent pass.
    static func requiredFile(_ variable: String, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
            Issue.record("\(variable) is not set: point it at \(what)", sourceLocation: sourceLocation)
            throw MissingInput()
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            Issue.record("\(variable)=\(path): no readable file there (\(what))", sourceLocation: sourceLocation)
            throw MissingInput()
        }
        return URL(fileURLWithPath: path)
    }

    struct MissingInput: Error, CustomStringConvertible {
        var description: String { "a required input file is missing (see the issue above)" }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// The network over the real VGG16 weights of $STYLIZE_MODEL, loaded once for all tests.
    static func realNetwork(sourceLocation: SourceLocation = #_sourceLocation) throws -> FeatureNetwork {
        _ = try requiredFile("STYLIZE_MODEL", "Stylize's vgg16.safetensors (install.sh puts it in <prefix>/share/stylize/)",
                             sourceLocation: sourceLocation)
        return try loadedNetwork.get()
    }

    private static let loadedNetwork = Result<FeatureNetwork, Error> {
        let path = ProcessInfo.processInfo.environment["STYLIZE_MODEL"] ?? ""
        return FeatureNetwork(weights: try ModelWeights(safetensors: bytes(URL(fileURLWithPath: path))))
    }

    /// A binary PPM (P6, maxval 255) from Tests/fixtures as an engine Image.
    static func fixture(_ name: String) throws -> Image {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/\(name)")
        return try decodePPM(bytes(url))
    }

    struct PPMError: Error, CustomStringConvertible { let description: String }

    static func decodePPM(_ b: [UInt8]) throws -> Image {
        var at = 0
        func token() throws -> Int {
            while at < b.count {  // whitespace and # comments between header fields
                if b[at] == UInt8(ascii: "#") { while at < b.count && b[at] != 10 { at += 1 } }
                else if b[at] == 32 || (9...13).contains(b[at]) { at += 1 } else { break }
            }
            var v = 0, digits = 0
            while at < b.count, (48...57).contains(b[at]) { v = v * 10 + Int(b[at] - 48); at += 1; digits += 1 }
            guard digits > 0 else { throw PPMError(description: "bad PPM header at byte \(at)") }
            return v
        }
        guard b.count > 2, b[0] == UInt8(ascii: "P"), b[1] == UInt8(ascii: "6") else { throw PPMError(description: "not a P6 PPM") }
        at = 2
        let w = try token(), h = try token(), maxval = try token()
        at += 1  // the single whitespace byte before the raster
        guard maxval == 255, b.count - at == 3 * w * h else { throw PPMError(description: "PPM raster size or maxval unexpected") }
        var pixels = [Float](repeating: 0, count: 3 * w * h)
        for i in 0..<(w * h) {
            for c in 0..<3 { pixels[c * w * h + i] = Float(b[at + 3 * i + c]) }
        }
        return Image(width: w, height: h, pixels: pixels)
    }

    /// PSNR in dB for pixels in 0...255.
    static func psnr(_ a: [Float], _ b: [Float]) -> Double {
        let mse = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)
        return 10 * log10(255 * 255 / mse)
    }

    /// Each 2x2 block of pixels averaged (odd edges dropped): the image without its
    /// highest frequencies.
    static func halved(_ image: Image) -> Image {
        let (w, h) = (image.width / 2, image.height / 2)
        var out = [Float](repeating: 0, count: 3 * w * h)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    let at = { (dy: Int, dx: Int) in image.pixels[(c * image.height + 2 * y + dy) * image.width + 2 * x + dx] }
                    out[(c * h + y) * w + x] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4
                }
            }
        }
        return Image(width: w, height: h, pixels: out)
    }

    /// VGG weights with He-scaled random values (std sqrt(2 / (9 Cin))) so
    /// activations neither vanish nor explode through 13 layers.
    static func randomWeights(_ topology: Topology, seed: UInt64, convention: Convention = .caffe) throws -> ModelWeights {
        var rng = SplitMix64(seed: seed)
        let convs = zip(topology.convNames, topology.convChannels).map { name, shape in
            let (cin, cout) = shape
            let a = Float((6.0 / Double(9 * cin)).squareRoot())  // uniform with He variance
            return ConvWeights(name: name, outChannels: cout, inChannels: cin,
                               weight: random(cout * cin * 9, in: -a...a, &rng), bias: random(cout, in: -0.1...0.1, &rng))
        }
        return try ModelWeights(topology: topology, convention: convention, convs: convs, source: "random seed \(seed)")
    }
}
