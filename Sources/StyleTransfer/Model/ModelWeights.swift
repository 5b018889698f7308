/// Which VGG: the conv stack of VGG16 (13 convs) or VGG19 (16 convs).
public enum Topology: String, Sendable, CaseIterable {
    case vgg16, vgg19

    /// Convolutions per block, each block ending in a 2x2 pool.
    public var convsPerBlock: [Int] {
        switch self {
        case .vgg16: return [2, 2, 3, 3, 3]
        case .vgg19: return [2, 2, 4, 4, 4]
        }
    }

    public static let blockChannels = [64, 128, 256, 512, 512]

    /// Conv layer names in order: conv1_1, conv1_2, conv2_1, ...
    public var convNames: [String] {
        var names: [String] = []
        for (b, n) in convsPerBlock.enumerated() {
            for i in 1...n { names.append("conv\(b + 1)_\(i)") }
        }
        return names
    }

    /// (in, out) channels of each conv, in order.
    public var convChannels: [(Int, Int)] {
        var shapes: [(Int, Int)] = []
        var cin = 3
        for (b, n) in convsPerBlock.enumerated() {
            for _ in 0..<n {
                shapes.append((cin, Self.blockChannels[b]))
                cin = Self.blockChannels[b]
            }
        }
        return shapes
    }

    /// Recognises a conv stack by its per-block conv counts.
    public init?(convsPerBlock counts: [Int]) {
        guard let t = Topology.allCases.first(where: { $0.convsPerBlock == counts }) else { return nil }
        self = t
    }
}

/// How pixels are turned into network input.
public enum Convention: String, Sendable, CaseIterable {
    /// Caffe / Keras 'caffe': BGR, 0-255, minus the ImageNet mean (B 103.939, G 116.779, R 123.68).
    case caffe
    /// torchvision: RGB, 0-1, minus mean (0.485, 0.456, 0.406), divided by std (0.229, 0.224, 0.225).
    case torch

    /// Network input channel c = (pixel[source[c]] - offset[c]) * scale[c], pixels in 0-255 RGB.
    public var affine: (source: [Int], offset: [Float], scale: [Float]) {
        switch self {
        case .caffe:
            return ([2, 1, 0], [103.939, 116.779, 123.68], [1, 1, 1])
        case .torch:
            return ([0, 1, 2], [0.485 * 255, 0.456 * 255, 0.406 * 255],
                    [1 / (0.229 * 255), 1 / (0.224 * 255), 1 / (0.225 * 255)])
        }
    }
}

/// One convolution's frozen parameters, OIHW.
public struct ConvWeights: Sendable, Equatable {
    public var name: String
    public var outChannels: Int
    public var inChannels: Int
    public var weight: [Float]  // [out][in][3][3]
    public var bias: [Float]    // [out]

    public init(name: String, outChannels: Int, inChannels: Int, weight: [Float], bias: [Float]) {
        self.name = name
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.weight = weight
        self.bias = bias
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case notVGG(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .malformed(let m): return "malformed model file: \(m)"
        case .notVGG(let m): return "not a VGG16/VGG19 conv stack: \(m)"
        case .unsupported(let m): return "unsupported model: \(m)"
        }
    }
}

/// The conv stack of a VGG network with the convention its weights expect.
public struct ModelWeights: Sendable, Equatable {
    public var topology: Topology
    public var convention: Convention
    public var convs: [ConvWeights]
    /// Free text: where the weights came from.
    public var source: String

    /// Checks count, names and shapes against the topology.
    public init(topology: Topology, convention: Convention, convs: [ConvWeights], source: String) throws {
        let shapes = topology.convChannels
        guard convs.count == shapes.count else {
            throw ModelError.notVGG("\(topology.rawValue) has \(shapes.count) convolutions, found \(convs.count)")
        }
        var named: [ConvWeights] = []
        for (i, (conv, shape)) in zip(convs, shapes).enumerated() {
            guard conv.inChannels == shape.0, conv.outChannels == shape.1,
                  conv.weight.count == shape.0 * shape.1 * 9, conv.bias.count == shape.1 else {
                throw ModelError.notVGG("convolution \(i + 1) has shape \(conv.outChannels)x\(conv.inChannels)x3x3, expected \(shape.1)x\(shape.0)x3x3")
            }
            guard conv.weight.allSatisfy({ $0.isFinite }), conv.bias.allSatisfy({ $0.isFinite }) else {
                throw ModelError.malformed("convolution \(topology.convNames[i]) has non-finite values")
            }
            var c = conv
            c.name = topology.convNames[i]
            named.append(c)
        }
        self.topology = topology
        self.convention = convention
        self.convs = named
        self.source = source
    }
}
