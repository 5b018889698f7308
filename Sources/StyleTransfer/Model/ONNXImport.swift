/// Imports the conv stack of a VGG16/VGG19 ONNX graph.
///
/// A small protobuf reader instead of swift-protobuf: we need six fields of
/// four messages (ModelProto, GraphProto, NodeProto, TensorProto), and
/// swift-protobuf's generated code plus its build plugin would cost minutes of
/// build time for every user and CI run.
public enum ONNXImport {
    /// Protobuf wire reader over a byte range.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at: Int
        let end: Int

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard at < end, shift < 64 else { throw ModelError.malformed("truncated protobuf varint at byte \(at)") }
                let b = bytes[at]; at += 1
                value |= UInt64(b & 0x7f) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }

        /// Next (field number, wire type), or nil at the end.
        mutating func field() throws -> (Int, Int)? {
            guard at < end else { return nil }
            let key = try varint()
            return (Int(key >> 3), Int(key & 7))
        }

        mutating func lengthDelimited() throws -> Range<Int> {
            let length = try varint()  // compared as UInt64: Int(length) could wrap negative
            guard length <= UInt64(end - at) else { throw ModelError.malformed("protobuf field runs past the end of the file") }
            let n = Int(length)
            defer { at += n }
            return at..<(at + n)
        }

        mutating func skip(_ wire: Int) throws {
            switch wire {
            case 0: _ = try varint()
            case 1: at += 8
            case 2: _ = try lengthDelimited()
            case 5: at += 4
            default: throw ModelError.malformed("unknown protobuf wire type \(wire)")
            }
            guard at <= end else { throw ModelError.malformed("protobuf field runs past the end of the file") }
        }

        func sub(_ r: Range<Int>) -> Reader { Reader(bytes: bytes, at: r.lowerBound, end: r.upperBound) }
        func string(_ r: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self) }

        /// Repeated int64, packed or not.
        mutating func ints(_ wire: Int, into out: inout [Int]) throws {
            if wire == 2 {
                var r = sub(try lengthDelimited())
                while r.at < r.end { out.append(Int(Int64(bitPattern: try r.varint()))) }
            } else {
                out.append(Int(Int64(bitPattern: try varint())))
            }
        }
    }

    struct Node {
        var op = ""
        var inputs: [String] = []
        var ints: [String: [Int]] = [:]
        var strings: [String: String] = [:]
    }

    struct Tensor {
        var dims: [Int] = []
        var dataType = 0
        var floats: [Float] = []
    }

    /// Reads the graph and returns its VGG conv stack. `convention` overrides
    /// the guess from the producer (tf2onnx/keras2onnx exports of Keras' VGG use
    /// Caffe preprocessing; others are assumed to be torchvision's).
    public static func importVGG(_ data: [UInt8], convention override: Convention? = nil, source: String) throws -> ModelWeights {
        var producer = ""
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        try data.withUnsafeBytes { raw in
            var model = Reader(bytes: raw, at: 0, end: raw.count)
            var sawGraph = false
            while let (field, wire) = try model.field() {
                if field == 2, wire == 2 {
                    producer = model.string(try model.lengthDelimited())
                } else if field == 7, wire == 2 {
                    sawGraph = true
                    var graph = model.sub(try model.lengthDelimited())
                    while let (gf, gw) = try graph.field() {
                        if gf == 1, gw == 2 {
                            nodes.append(try node(graph.sub(try graph.lengthDelimited())))
                        } else if gf == 5, gw == 2 {
                            let (name, t) = try tensor(graph.sub(try graph.lengthDelimited()))
                            initializers[name] = t
                        } else {
                            try graph.skip(gw)
                        }
                    }
                } else {
                    try model.skip(wire)
                }
            }
            guard sawGraph else { throw ModelError.malformed("no ONNX graph found (is this an .onnx file?)") }
        }
        return try recognise(nodes: nodes, initializers: initializers, producer: producer,
                             convention: override, source: source)
    }

    static func node(_ r0: Reader) throws -> Node {
        var r = r0, n = Node()
        while let (f, w) = try r.field() {
            switch (f, w) {
            case (1, 2): n.inputs.append(r.string(try r.lengthDelimited()))
            case (4, 2): n.op = r.string(try r.lengthDelimited())
            case (5, 2):
                var a = r.sub(try r.lengthDelimited())
                var name = "", ints: [Int] = [], s: String?
                while let (af, aw) = try a.field() {
                    switch (af, aw) {
                    case (1, 2): name = a.string(try a.lengthDelimited())
                    case (3, 0): ints.append(Int(Int64(bitPattern: try a.varint())))
                    case (8, _): try a.ints(aw, into: &ints)
                    case (4, 2): s = a.string(try a.lengthDelimited())
                    default: try a.skip(aw)
                    }
                }
                n.ints[name] = ints
                if let s { n.strings[name] = s }
            default: try r.skip(w)
            }
        }
        return n
    }

    static func tensor(_ r0: Reader) throws -> (String, Tensor) {
        var r = r0, t = Tensor(), name = ""
        var raw: Range<Int>?
        while let (f, w) = try r.field() {
            switch (f, w) {
            case (1, _): try r.ints(w, into: &t.dims)
            case (2, 0): t.dataType = Int(truncatingIfNeeded: try r.varint())  // any varint: unknown types are refused below
            case (8, 2): name = r.string(try r.lengthDelimited())
            case (9, 2): raw = try r.lengthDelimited()
            case (4, 2):
                let range = try r.lengthDelimited()
                for i in stride(from: range.lowerBound, to: range.upperBound - 3, by: 4) {
                    t.floats.append(Float(bitPattern: r.bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian))
                }
            case (4, 5):
                guard r.at + 4 <= r.end else { throw ModelError.malformed("tensor \(name) ends inside a float") }
                t.floats.append(Float(bitPattern: r.bytes.loadUnaligned(fromByteOffset: r.at, as: UInt32.self).littleEndian))
                r.at += 4
            case (14, 2):  // data_location / external data: not supported
                throw ModelError.unsupported("tensor \(name) keeps its data in an external file; re-save the model with the weights inside it")
            default: try r.skip(w)
            }
        }
        if let raw, t.dataType == 1 {
            t.floats = stride(from: raw.lowerBound, to: raw.upperBound - 3, by: 4).map {  // whole floats only
                Float(bitPattern: r.bytes.loadUnaligned(fromByteOffset: $0, as: UInt32.self).littleEndian)
            }
        }
        return (name, t)
    }

    /// Walks the graph in order and reads Conv/Relu/pool blocks until the
    /// first node of the classifier (Flatten, Reshape, Gemm, ...).
    static func recognise(nodes: [Node], initializers: [String: Tensor], producer: String,
                          convention override: Convention?, source: String) throws -> ModelWeights {
        var counts: [Int] = [], inBlock = 0
        var convs: [ConvWeights] = []
        var started = false
        // Ops that may appear inside the conv stack; anything else ends it.
        let stackOps: Set = ["Conv", "Relu", "MaxPool", "AveragePool", "Transpose", "Identity", "Dropout", "Cast"]
        for n in nodes {
            guard stackOps.contains(n.op) else {
                if started { break } else { continue }
            }
            switch n.op {
            case "Conv":
                started = true
                guard n.inputs.count >= 3, let w = initializers[n.inputs[1]], let b = initializers[n.inputs[2]] else {
                    throw ModelError.notVGG("a Conv node has no weight and bias initializers")
                }
                guard w.dataType == 1, b.dataType == 1 else {
                    throw ModelError.unsupported("Conv weights of ONNX data type \(w.dataType); float32 is read")
                }
                guard w.dims.count == 4, w.dims[2] == 3, w.dims[3] == 3 else {
                    throw ModelError.notVGG("a Conv has weight shape \(w.dims), VGG convs are Cout x Cin x 3 x 3")
                }
                let strides = n.ints["strides"] ?? [1, 1], group = n.ints["group"]?.first ?? 1
                let pads = n.ints["pads"] ?? [0, 0, 0, 0]
                let autoPad = n.strings["auto_pad"] ?? "NOTSET"
                guard strides.allSatisfy({ $0 == 1 }), group == 1,
                      pads.allSatisfy({ $0 == 1 }) || autoPad.hasPrefix("SAME") else {
                    throw ModelError.notVGG("a Conv has strides \(strides), pads \(pads), group \(group); VGG uses stride 1, pad 1")
                }
                // Bounded first, so the product below cannot overflow on crafted dims.
                guard w.dims[0] > 0, w.dims[0] < 1 << 24, w.dims[1] > 0, w.dims[1] < 1 << 24,
                      w.floats.count == w.dims.reduce(1, *), b.floats.count == w.dims[0] else {
                    throw ModelError.malformed("Conv weight data does not match its shape \(w.dims)")
                }
                convs.append(ConvWeights(name: "", outChannels: w.dims[0], inChannels: w.dims[1], weight: w.floats, bias: b.floats))
                inBlock += 1
            case "MaxPool", "AveragePool":
                if inBlock > 0 { counts.append(inBlock); inBlock = 0 }
            default:
                continue
            }
        }
        if inBlock > 0 { counts.append(inBlock) }
        guard !convs.isEmpty else { throw ModelError.notVGG("the graph has no Conv nodes") }
        guard let topology = Topology(convsPerBlock: counts) else {
            throw ModelError.notVGG("conv blocks \(counts); VGG16 is [2, 2, 3, 3, 3], VGG19 is [2, 2, 4, 4, 4]")
        }
        let lower = producer.lowercased()
        let convention = override ?? ((lower.contains("tf2onnx") || lower.contains("keras")) ? .caffe : .torch)
        return try ModelWeights(topology: topology, convention: convention, convs: convs,
                                source: "\(source) (ONNX, producer \(producer.isEmpty ? "unknown" : producer))")
    }
}
