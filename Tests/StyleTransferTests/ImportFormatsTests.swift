import Foundation
import Testing
@testable import StyleTransfer

/// The other VGG files users bring: an ONNX model-zoo style VGG19 graph
/// (no layout transposes, Dropout/Flatten/Gemm classifier, torchvision
/// convention) and a torchvision safetensors export (`features.N.weight`).
/// Each conv's bias is filled with its index so the test sees the order.
@Suite struct ImportFormatsTests {
    typealias Proto = ModelFileTests.Proto

    /// The VGG19 conv stack as (name-in-file, out, in) with torchvision's layer indices.
    static func vgg19Layers() -> [(index: Int, cout: Int, cin: Int)] {
        var layers: [(Int, Int, Int)] = [], index = 0, cin = 3
        for (b, n) in Topology.vgg19.convsPerBlock.enumerated() {
            for _ in 0..<n {
                layers.append((index, Topology.blockChannels[b], cin))
                cin = Topology.blockChannels[b]
                index += 2  // conv, relu
            }
            index += 1  // pool
        }
        return layers
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    @Test func importsModelZooStyleVGG19() throws {
        var nodes: [[UInt8]] = [], inits: [[UInt8]] = []
        for (k, layer) in Self.vgg19Layers().enumerated() {
            nodes.append(Proto.node("Conv", ["x", "w\(k)", "b\(k)"], ints: ["pads": [1, 1, 1, 1], "kernel_shape": [3, 3]]))
            nodes.append(Proto.node("Relu", ["c"]))
            inits.append(Proto.tensor("w\(k)", [layer.cout, layer.cin, 3, 3]))
            let bias = [Float](repeating: Float(k), count: layer.cout)
            inits.append([Int](arrayLiteral: layer.cout).flatMap { Proto.int(1, $0) } + Proto.int(2, 1)
                         + Proto.string(8, "b\(k)") + Proto.bytes(9, Self.floats(bias)))
            if [1, 3, 7, 11, 15].contains(k) { nodes.append(Proto.node("MaxPool", ["r"], ints: ["kernel_shape": [2, 2], "strides": [2, 2]])) }
        }
        nodes += [Proto.node("Flatten", ["p"]), Proto.node("Gemm", ["f", "fc"]), Proto.node("Relu", ["g"]), Proto.node("Dropout", ["h"])]
        let weights = try ONNXImport.importVGG(Proto.model(nodes: nodes, initializers: inits, producer: "pytorch"), source: "zoo")
        #expect(weights.topology == .vgg19)
        #expect(weights.convention == .torch)
        #expect(weights.convs.count == 16)
        #expect(weights.convs.map { Int($0.bias[0]) } == Array(0..<16))
        #expect(weights.convs.last!.name == "conv5_4")
        // And through Stylize's own file.
        #expect(try ModelWeights(safetensors: try weights.safetensors()) == weights)
    }

    @Test func importsTorchvisionSafetensorsVGG19() throws {
        var tensors: [(String, [Int], [Float])] = []
        for (k, layer) in Self.vgg19Layers().enumerated() {
            tensors.append(("features.\(layer.index).weight", [layer.cout, layer.cin, 3, 3],
                            [Float](repeating: 0.01, count: layer.cout * layer.cin * 9)))
            tensors.append(("features.\(layer.index).bias", [layer.cout], [Float](repeating: Float(k), count: layer.cout)))
        }
        tensors.append(("classifier.0.weight", [4, 8], [Float](repeating: 0, count: 32)))  // ignored: not a 3x3 conv
        tensors.append(("classifier.0.bias", [4], [0, 0, 0, 0]))
        let bytes = try Safetensors.write(tensors.reversed(), metadata: [:])  // file order must not matter
        let weights = try ModelWeights(safetensors: bytes)
        #expect(weights.topology == .vgg19)
        #expect(weights.convention == .torch)
        // features.10 sorts after features.7, not after features.1.
        #expect(weights.convs.map { Int($0.bias[0]) } == Array(0..<16))
        #expect(try ModelWeights(safetensors: bytes, convention: .caffe).convention == .caffe)
    }
}
