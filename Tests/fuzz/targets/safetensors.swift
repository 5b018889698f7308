import StyleTransfer

/// libFuzzer target: arbitrary bytes as a safetensors model file.
/// Property: reading either returns tensors or throws a ModelError, never
/// traps or reads outside the buffer (AddressSanitizer); what was read
/// survives write -> read bit for bit; the model reader either yields a
/// checked VGG or throws.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (tensors, metadata) = try? Safetensors.read(bytes) {
        let list = tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value.shape, $0.value.values) }
        guard let written = try? Safetensors.write(list, metadata: metadata),
              let (again, metadataAgain) = try? Safetensors.read(written) else {
            fatalError("tensors that were read cannot be written and read back")
        }
        precondition(metadataAgain == metadata, "metadata changed in a round trip")
        precondition(again.count == tensors.count, "tensor count changed in a round trip")
        for (name, t) in tensors {
            guard let u = again[name], u.shape == t.shape,
                  u.values.map(\.bitPattern) == t.values.map(\.bitPattern) else {
                fatalError("tensor \(name) changed in a round trip")
            }
        }
    }
    if let weights = try? ModelWeights(safetensors: bytes) {
        precondition(weights.convs.count == weights.topology.convChannels.count)
    }
    return 0
}
