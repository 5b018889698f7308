import StyleTransfer

/// libFuzzer target: arbitrary bytes as an ONNX file for `stylize model import`.
/// Property: the importer returns a checked VGG or throws a ModelError; it
/// never traps, hangs or reads outside the buffer (AddressSanitizer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let weights = try ONNXImport.importVGG(bytes, source: "fuzz")
        precondition(weights.convs.count == weights.topology.convChannels.count)
    } catch is ModelError {
    } catch {
        fatalError("the ONNX importer threw \(type(of: error)), not a ModelError: \(error)")
    }
    return 0
}
