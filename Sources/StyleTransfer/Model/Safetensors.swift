import Foundation

/// Stylize's model file: safetensors (an 8-byte little-endian header length,
/// a JSON header, raw little-endian tensors) holding `convB_I.weight` (OIHW)
/// and `convB_I.bias` as F32, with `__metadata__` naming the topology and the
/// convention. Written by hand: the format is ~40 lines to read or write and
/// no maintained Swift package for it is available here.
public enum Safetensors {
    public static let format = "stylize-vgg"

    public struct Tensor {
        public var dtype: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// Reads any safetensors file with F32 (or F16/BF16, widened) tensors.
    public static func read(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw ModelError.malformed("file is \(bytes.count) bytes, too short for safetensors") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, headerLength <= bytes.count - 8 else {
            throw ModelError.malformed("safetensors header length \(headerLength) does not fit a \(bytes.count)-byte file")
        }
        let headerData = Data(bytes[8..<(8 + headerLength)])
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw ModelError.malformed("safetensors header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int],
                  offsets.count == 2 else {
                throw ModelError.malformed("tensor \(name) has no dtype/shape/data_offsets")
            }
            // Checked before any arithmetic: crafted numbers must not overflow (the engine builds -Ounchecked).
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= bytes.count - dataStart else {
                throw ModelError.malformed("tensor \(name) data range \(offsets) lies outside the \(bytes.count)-byte file")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, product <= bytes.count else {
                    throw ModelError.malformed("tensor \(name) has shape \(shape), larger than the file")
                }
                count = product
            }
            let begin = dataStart + offsets[0], end = dataStart + offsets[1]
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw ModelError.unsupported("tensor \(name) has dtype \(dtype); F32, F16 and BF16 are read")
            }
            guard begin >= dataStart, end <= bytes.count, end - begin == count * width else {
                throw ModelError.malformed("tensor \(name) data range \(offsets) does not match shape \(shape)")
            }
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let at = begin + i * width
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                    case "F16": values[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian))
                    default: values[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) << 16)
                    }
                }
            }
            tensors[name] = Tensor(dtype: dtype, shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// Serialises F32 tensors in the given order with string metadata.
    public static func write(_ tensors: [(String, [Int], [Float])], metadata: [String: String]) throws -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for (name, shape, values) in tensors {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * values.count]]
            offset += 4 * values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }  // pad with spaces so tensor data is aligned
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        for i in 0..<8 { out.append(UInt8((json.count >> (8 * i)) & 0xff)) }
        out.append(contentsOf: json)
        for (_, _, values) in tensors {
            for v in values {
                let b = v.bitPattern.littleEndian
                out.append(UInt8(b & 0xff)); out.append(UInt8((b >> 8) & 0xff))
                out.append(UInt8((b >> 16) & 0xff)); out.append(UInt8(b >> 24))
            }
        }
        return out
    }
}

extension ModelWeights {
    /// Stylize's own safetensors model file.
    public func safetensors() throws -> [UInt8] {
        var tensors: [(String, [Int], [Float])] = []
        for c in convs {
            tensors.append(("\(c.name).weight", [c.outChannels, c.inChannels, 3, 3], c.weight))
            tensors.append(("\(c.name).bias", [c.outChannels], c.bias))
        }
        return try Safetensors.write(tensors, metadata: [
            "format": Safetensors.format, "topology": topology.rawValue,
            "convention": convention.rawValue, "source": source,
        ])
    }

    /// Reads Stylize's own file, or a torchvision-style export whose keys are
    /// `features.N.weight` / `features.N.bias` (then the convention is torch
    /// unless `convention` says otherwise).
    public init(safetensors bytes: [UInt8], convention override: Convention? = nil) throws {
        let (tensors, metadata) = try Safetensors.read(bytes)
        // Conv weights are the rank-4 tensors with 3x3 kernels; order them by
        // our names (convB_I) or by torchvision's layer index (features.N).
        func sortKey(_ name: String) -> [Int] {
            name.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        let weightNames = tensors.filter { $0.key.hasSuffix(".weight") && $0.value.shape.count == 4 }
            .map(\.key).sorted { sortKey($0).lexicographicallyPrecedes(sortKey($1)) }
        var convs: [ConvWeights] = []
        for name in weightNames {
            let w = tensors[name]!
            guard w.shape[2] == 3, w.shape[3] == 3 else {
                throw ModelError.notVGG("tensor \(name) has kernel \(w.shape[2])x\(w.shape[3]), VGG convs are 3x3")
            }
            let biasName = String(name.dropLast(".weight".count)) + ".bias"
            guard let b = tensors[biasName] else { throw ModelError.malformed("tensor \(biasName) is missing") }
            convs.append(ConvWeights(name: name, outChannels: w.shape[0], inChannels: w.shape[1], weight: w.values, bias: b.values))
        }
        guard let topology = Topology.allCases.first(where: { $0.convChannels.count == convs.count }) else {
            throw ModelError.notVGG("found \(convs.count) 3x3 convolutions; VGG16 has 13, VGG19 has 16")
        }
        if let t = metadata["topology"], t != topology.rawValue {
            throw ModelError.malformed("metadata says \(t) but the file holds \(convs.count) convolutions")
        }
        let convention = override ?? metadata["convention"].flatMap(Convention.init(rawValue:)) ?? .torch
        try self.init(topology: topology, convention: convention, convs: convs,
                      source: metadata["source"] ?? "safetensors file")
    }
}
