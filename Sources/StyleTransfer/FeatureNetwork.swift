import Dispatch

/// The VGG feature extractor: conv/relu/pool layers named as in the papers
/// (conv1_1, relu1_1, ..., pool1, ...), evaluated only up to the deepest layer
/// a run needs. Immutable after init, so one network serves many threads.
public final class FeatureNetwork: @unchecked Sendable {
    public enum Kind { case conv(Conv3x3), relu, pool }

    public struct Layer {
        public let name: String
        public let kind: Kind
    }

    public let topology: Topology
    public let convention: Convention
    public let pooling: PoolingMode
    public let layers: [Layer]
    /// Who runs the transforms, ReLU and pooling: the CPU's widest C kernels by default.
    public let kernels: KernelPath

    /// `useWinograd: false` runs every convolution directly (the reference for tests);
    /// `kernels: .swift` runs the engine's own loops in Swift (the reference for the C kernels).
    public init(weights: ModelWeights, pooling: PoolingMode = .max, useWinograd: Bool = true, kernels: KernelPath = .best) {
        self.kernels = kernels
        topology = weights.topology
        convention = weights.convention
        self.pooling = pooling
        var layers: [Layer] = []
        var conv = weights.convs.makeIterator()
        for (b, n) in weights.topology.convsPerBlock.enumerated() {
            for i in 1...n {
                let w = conv.next()!
                layers.append(Layer(name: "conv\(b + 1)_\(i)", kind: .conv(Conv3x3(
                    weight: w.weight, bias: w.bias, inChannels: w.inChannels, outChannels: w.outChannels,
                    useWinograd: useWinograd, kernels: kernels))))
                layers.append(Layer(name: "relu\(b + 1)_\(i)", kind: .relu))
            }
            layers.append(Layer(name: "pool\(b + 1)", kind: .pool))
        }
        self.layers = layers
    }

    /// Same weights, other pooling (convolutions are shared, not copied).
    public init(sharing other: FeatureNetwork, pooling: PoolingMode) {
        topology = other.topology
        convention = other.convention
        self.pooling = pooling
        layers = other.layers
        kernels = other.kernels
    }

    public var layerNames: [String] { layers.map(\.name) }

    public func layerIndex(_ name: String) -> Int? { layers.firstIndex { $0.name == name } }

    /// Activations and gradient buffers of one image size, reused across
    /// iterations so that an iteration allocates nothing large.
    public final class Pass {
        public let height: Int
        public let width: Int
        public let depth: Int  // layers 0..<depth are evaluated
        let input: FeatureMap
        /// outputs[i]: output of layer i. A ReLU shares its conv's map (in place).
        let outputs: [FeatureMap]
        /// Copies of conv outputs taken before their ReLU, for losses on conv layers.
        var preActivation: [Int: FeatureMap]
        /// gradients[i]: buffer for the gradient with respect to layer i's input.
        /// Backward needs only the gradient it reads and the one it writes, so these
        /// and `outputGradient` take turns in two allocations of the largest one's size.
        let inputGradients: [FeatureMap?]
        /// The gradient with respect to the last output, where backward starts (nil when forward-only).
        let outputGradient: FeatureMap?

        init(height: Int, width: Int, depth: Int, input: FeatureMap, outputs: [FeatureMap],
             preActivation: [Int: FeatureMap], inputGradients: [FeatureMap?], outputGradient: FeatureMap?) {
            self.height = height; self.width = width; self.depth = depth
            self.input = input; self.outputs = outputs
            self.preActivation = preActivation; self.inputGradients = inputGradients
            self.outputGradient = outputGradient
        }

        /// The activation a loss on layer i sees.
        public func activation(_ i: Int) -> FeatureMap { preActivation[i] ?? outputs[i] }

        /// When set, forward and backward add each layer's seconds into it
        /// (`stylize bench --profile`).
        public var profile: LayerProfile?
    }

    /// Seconds per layer, one sample per pass that recorded into it (medians
    /// resist this machine's noise better than sums).
    /// `backward[i]` includes the losses evaluated at layer i's output.
    public final class LayerProfile {
        public var forward: [[Double]]
        public var backward: [[Double]]
        init(layers: Int) {
            forward = Array(repeating: [], count: layers)
            backward = Array(repeating: [], count: layers)
        }
        public static func median(_ samples: [Double]) -> Double {
            samples.isEmpty ? 0 : samples.sorted()[samples.count / 2]
        }
    }

    public func startProfiling(_ pass: Pass) -> LayerProfile {
        let p = LayerProfile(layers: pass.depth)
        pass.profile = p
        return p
    }

    /// Runs `body`, recording its seconds through `slot` when profiling.
    @inline(__always)
    private func timed(_ profile: LayerProfile?, _ body: () -> Void, into slot: (LayerProfile, Double) -> Void) {
        guard let profile else { body(); return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        slot(profile, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }

    /// Allocates a pass through layer `last` (inclusive) for an image size.
    /// Conv layers in `keepPreActivation` keep a copy of their output before ReLU.
    /// A `forwardOnly` pass (for computing targets) has no gradient buffers.
    /// The maps are a run's largest buffers: when memory runs out this throws
    /// `TransferError.allocationFailed`, and the maps made so far are freed.
    public func makePass(height: Int, width: Int, through last: Int, keepPreActivation: Set<Int> = [],
                         forwardOnly: Bool = false) throws -> Pass {
        var outputs: [FeatureMap] = []
        var gradientShapes: [(layer: Int, channels: Int, height: Int, width: Int)] = []  // each conv's and pool's input
        var pre: [Int: FeatureMap] = [:]
        func map(_ channels: Int, _ height: Int, _ width: Int) throws -> FeatureMap {
            try FeatureMap(allocating: channels, height: height, width: width)
        }
        let input = try map(3, height, width)
        var current = input
        for i in 0...last {
            switch layers[i].kind {
            case .conv(let conv):
                gradientShapes.append((i, current.channels, current.height, current.width))
                current = try map(conv.outChannels, current.height, current.width)
                if keepPreActivation.contains(i) { pre[i] = try current.clone() }
            case .relu:
                break  // in place
            case .pool:
                gradientShapes.append((i, current.channels, current.height, current.width))
                let (h, w) = Pool2x2.outputSize(height: current.height, width: current.width)
                current = try map(current.channels, h, w)
            }
            outputs.append(current)
        }
        var gradients = [FeatureMap?](repeating: nil, count: last + 1), outputGradient: FeatureMap?
        if !forwardOnly {
            // Backward reads one gradient and writes the next: two buffers, taken in turns from the last layer down.
            let shapes = [(layer: last + 1, channels: current.channels, height: current.height, width: current.width)]
                + gradientShapes.reversed()
            let largest = shapes.max { $0.channels * ($0.height + 2) * ($0.width + 2) < $1.channels * ($1.height + 2) * ($1.width + 2) }!
            let buffers = try (0..<2).map { _ in try map(largest.channels, largest.height, largest.width) }
            for (k, shape) in shapes.enumerated() {
                let view = FeatureMap(viewing: buffers[k % 2], channels: shape.channels, height: shape.height, width: shape.width)
                if k == 0 { outputGradient = view } else { gradients[shape.layer] = view }
            }
        }
        return Pass(height: height, width: width, depth: last + 1, input: input, outputs: outputs,
                    preActivation: pre, inputGradients: gradients, outputGradient: outputGradient)
    }

    /// Runs the network on planar RGB pixels in 0...255 (3 x H x W).
    public func forward(_ pass: Pass, pixels: [Float]) {
        let (source, offset, scale) = convention.affine
        let plane = pass.height * pass.width
        pixels.withUnsafeBufferPointer { px in
            for c in 0..<3 {
                let s = source[c]
                for y in 0..<pass.height {
                    let row = pass.input.data + pass.input.index(c, y, 0)
                    let src = px.baseAddress! + s * plane + y * pass.width
                    for x in 0..<pass.width { row[x] = (src[x] - offset[c]) * scale[c] }
                }
            }
        }
        var current = pass.input
        var reluDone = false  // the conv before applied this ReLU while writing its output
        for i in 0..<pass.depth {
            timed(pass.profile, {
                switch layers[i].kind {
                case .conv(let conv):
                    // Fold the next ReLU into the conv unless a loss needs the conv's own output.
                    let next = i + 1 < pass.depth ? layers[i + 1].kind : nil
                    if case .relu = next, pass.preActivation[i] == nil { reluDone = true } else { reluDone = false }
                    conv.forward(current, into: pass.outputs[i], relu: reluDone)
                    if let copy = pass.preActivation[i] { copy.copy(from: pass.outputs[i]) }
                case .relu:
                    if !reluDone { ReLU.forward(pass.outputs[i], kernels: kernels) }
                    reluDone = false
                case .pool:
                    Pool2x2.forward(current, into: pass.outputs[i], mode: pooling, kernels: kernels)
                }
            }, into: { $0.forward[i].append($1) })
            current = pass.outputs[i]
        }
    }

    /// Backpropagates to the pixels. `addLossGradient(i, g)` is called when the
    /// sweep reaches layer i's output and must add dLoss/d(output i) into g.
    /// Returns dLoss/dpixels, planar RGB (3 x H x W).
    public func backward(_ pass: Pass, addLossGradient: (Int, FeatureMap) -> Void) -> [Float] {
        var g = pass.outputGradient!  // a forward-only pass cannot be differentiated
        g.zero()
        // A ReLU right after a conv is not a pass of its own: the conv's backward
        // applies its mask while reading g (`pendingReLU`).
        var pendingReLU: FeatureMap?
        for i in stride(from: pass.depth - 1, through: 0, by: -1) {
            timed(pass.profile, {
                if let mask = pendingReLU, pass.preActivation[i] != nil {
                    // A loss on the conv's own output adds gradient that must not be masked.
                    ReLU.backward(g, output: mask, kernels: kernels)
                    pendingReLU = nil
                }
                addLossGradient(i, g)
                switch layers[i].kind {
                case .relu:
                    if i > 0, case .conv = layers[i - 1].kind {
                        pendingReLU = pass.outputs[i]
                    } else {
                        ReLU.backward(g, output: pass.outputs[i], kernels: kernels)
                    }
                case .conv(let conv):
                    conv.backward(g, into: pass.inputGradients[i]!, reluOutput: pendingReLU)
                    pendingReLU = nil
                    g = pass.inputGradients[i]!
                case .pool:
                    let input = i == 0 ? pass.input : pass.outputs[i - 1]
                    Pool2x2.backward(g, input: input, into: pass.inputGradients[i]!, mode: pooling, kernels: kernels)
                    g = pass.inputGradients[i]!
                }
            }, into: { $0.backward[i].append($1) })
        }
        // Through the input affine map back to RGB pixels.
        let (source, _, scale) = convention.affine
        let plane = pass.height * pass.width
        var out = [Float](repeating: 0, count: 3 * plane)
        out.withUnsafeMutableBufferPointer { o in
            for c in 0..<3 {
                let s = source[c]
                for y in 0..<pass.height {
                    let row = g.data + g.index(c, y, 0)
                    let dst = o.baseAddress! + s * plane + y * pass.width
                    for x in 0..<pass.width { dst[x] = row[x] * scale[c] }
                }
            }
        }
        return out
    }

    /// FLOPs of the convolutions of one forward pass through layer `last`.
    public func forwardFlops(height: Int, width: Int, through last: Int) -> Double {
        var h = height, w = width, total = 0.0
        for i in 0...last {
            switch layers[i].kind {
            case .conv(let conv): total += conv.flops(height: h, width: w)
            case .pool: (h, w) = Pool2x2.outputSize(height: h, width: w)
            case .relu: break
            }
        }
        return total
    }
}
