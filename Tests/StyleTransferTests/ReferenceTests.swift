import Foundation
import Testing
import StyleTransfer

/// The engine against an oracle written outside this codebase: README.md's loss
/// formulas in PyTorch (float64, autograd), Tests/reference/gatys_reference.py,
/// run once by hand on the same VGG16 file and fixtures; its numbers are
/// committed in Tests/fixtures/reference_losses.json. Iteration 0 of the default
/// objective (relu4_2; relu1_1..relu5_1; weights 1, 1e-4, 1e-2) at the fixture's
/// own 64x64, one scale, from two starts: the content (content loss exactly 0)
/// and the content plus an integer pattern (content loss > 0).
///
/// Both networks are compared: the Winograd one that runs, and the direct
/// convolution the engine keeps as its own reference.
/// - Losses: 1e-5 relative with Winograd (measured ≤ 5.2e-6, the content loss
///   of the pattern start: F - P is small, so F's rounding weighs more), 1e-6
///   with direct convolution (measured ≤ 1.1e-7, PyTorch's own float32 ≤ 1.7e-7).
/// - Gradient (dL/dpixels): norm, each term's norm and ten samples within 1e-4
///   (samples relative to the largest |gradient|). The gradient is not a smooth
///   function of rounding: a ReLU whose input is within float32 error of 0 may
///   switch. This fixture has one: conv4_2 channel 89 at (3, 3) is +7.2e-4 in
///   float64 (2e-7 of that layer's largest value); Winograd's rounding makes it
///   negative, which moves the content start's gradient by 5.4e-5 of its norm
///   (samples 3.1e-5, norm 7.7e-6; flipping that one ReLU in PyTorch brings it
///   to 2.5e-6). Direct convolution keeps the sign (measured ≤ 2.4e-7). A
///   tighter bound would test one pre-activation's rounding, not the formulas;
///   a wrong formula, factor, mean or channel order is off by far more than 1e-4.
@Suite(.serialized) struct ReferenceTests {
    struct Reference: Decodable {
        struct Losses: Decodable { let content, style, tv, total: Double }
        struct Sample: Decodable { let c, y, x: Int; let value: Double }
        struct TermNorms: Decodable { let content, style, tv: Double }
        struct Gradient: Decodable { let norm, max_abs: Double; let term_norms: TermNorms; let samples: [Sample] }
        struct Case: Decodable { let `init`: String; let init_sum: Double; let losses: Losses; let gradient: Gradient }
        struct Picture: Decodable { let pixel_sum: Double }
        struct Model: Decodable { let metadata: [String: String]; let conv_weight_sum: Double }
        struct Inputs: Decodable { let content, style: Picture; let model: Model }
        struct Generator: Decodable { let torch: String }
        let generator: Generator
        let inputs: Inputs
        let cases: [Case]
    }

    static let gradientTolerance = 1e-4

    static func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/reference_losses.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The script's second start: content + ((7x + 13y + 29c) mod 41) - 20, clamped (integers, so exact).
    static func patterned(_ content: Image) -> [Float] {
        var p = content.pixels
        for c in 0..<3 {
            for y in 0..<content.height {
                for x in 0..<content.width {
                    let i = (c * content.height + y) * content.width + x
                    p[i] = min(255, max(0, p[i] + Float((7 * x + 13 * y + 29 * c) % 41 - 20)))
                }
            }
        }
        return p
    }

    static func sum(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) } }
    static func norm(_ g: [Float]) -> Double { g.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// Relative difference; a reference of exactly 0 must be met exactly.
    static func relative(_ a: Double, _ b: Double) -> Double { b == 0 ? abs(a) : abs(a - b) / abs(b) }

    @Test(arguments: ["content", "pattern"], [true, false])
    func objectiveMatchesPyTorch(start: String, winograd: Bool) throws {
        let fast = try Support.realNetwork()
        let ref = try Self.reference()
        let expected = try #require(ref.cases.first { $0.`init` == start })
        let content = try Support.fixture("tiny_content_64.ppm"), style = try Support.fixture("tiny_style_64.ppm")

        // The inputs the script saw: otherwise a stale JSON would read as an engine error.
        let weights = try ModelWeights(safetensors: Support.bytes(try Support.requiredFile("STYLIZE_MODEL", "vgg16.safetensors")))
        let weightSum = weights.convs.reduce(0.0) { $0 + Self.sum($1.weight) }
        #expect(abs(weightSum - ref.inputs.model.conv_weight_sum) <= 1e-9 * abs(ref.inputs.model.conv_weight_sum),
                "STYLIZE_MODEL is not the model reference_losses.json was computed on; rerun Tests/reference/gatys_reference.py")
        #expect(weights.convention.rawValue == ref.inputs.model.metadata["convention"])
        #expect(Self.sum(content.pixels) == ref.inputs.content.pixel_sum && Self.sum(style.pixels) == ref.inputs.style.pixel_sum,
                "fixtures changed since reference_losses.json was made; rerun Tests/reference/gatys_reference.py")
        let x = start == "content" ? content.pixels : Self.patterned(content)
        #expect(Self.sum(x) == expected.init_sum, "starting image differs from the script's")

        let network = winograd ? fast : FeatureNetwork(weights: weights, useWinograd: false)
        let label = "\(start) start, \(winograd ? "Winograd" : "direct")"
        let lossTolerance = winograd ? 1e-5 : 1e-6
        var options = TransferOptions()  // default layers and weights
        options.size = 0  // the fixture's own size
        options.scales = 1
        let objective = try TransferObjective(network: network, width: content.width, height: content.height,
                                          content: content, styles: [style], options: options)
        let (terms, gradient) = objective.evaluate(x)

        let losses = [("content", terms.content, expected.losses.content), ("style", terms.style, expected.losses.style),
                      ("tv", terms.tv, expected.losses.tv), ("total", terms.total, expected.losses.total)]
        for (name, engine, torch) in losses {
            let r = Self.relative(engine, torch)
            print("reference (\(label)) \(name) loss: engine \(engine), PyTorch \(ref.generator.torch) \(torch), relative \(r)")
            #expect(r <= lossTolerance, "\(name) loss: engine \(engine), PyTorch \(torch)")
        }

        let n = Self.norm(gradient), rn = Self.relative(n, expected.gradient.norm)
        print("reference (\(label)) gradient norm: engine \(n), PyTorch \(expected.gradient.norm), relative \(rn)")
        #expect(rn <= Self.gradientTolerance, "gradient norm")
        var worst = 0.0
        for s in expected.gradient.samples {
            let v = Double(gradient[(s.c * content.height + s.y) * content.width + s.x])
            worst = max(worst, abs(v - s.value) / expected.gradient.max_abs)
            #expect(abs(v - s.value) <= Self.gradientTolerance * expected.gradient.max_abs,
                    "gradient at (\(s.c), \(s.y), \(s.x)): engine \(v), PyTorch \(s.value)")
        }
        print("reference (\(label)) gradient samples: largest |engine - PyTorch| / max |g| \(worst)")

        // Each term's gradient alone: the style gradient dominates the total
        // (norms 1565 against content 24 and TV 0.01), which would hide the others.
        let alone: [(String, Double, (inout TransferOptions) -> Void)] = [
            ("content", expected.gradient.term_norms.content, { $0.styleWeight = 0; $0.tvWeight = 0 }),
            ("style", expected.gradient.term_norms.style, { $0.contentWeight = 0; $0.tvWeight = 0 }),
            ("tv", expected.gradient.term_norms.tv, { $0.contentWeight = 0; $0.styleWeight = 0 }),
        ]
        for (name, torch, only) in alone {
            var o = options
            only(&o)
            let one = try TransferObjective(network: network, width: content.width, height: content.height,
                                        content: content, styles: [style], options: o)
            let n = Self.norm(one.evaluate(x).1), r = Self.relative(n, torch)
            print("reference (\(label)) \(name) gradient norm: engine \(n), PyTorch \(torch), relative \(r)")
            #expect(r <= Self.gradientTolerance, "\(name) gradient norm")
        }
    }
}
