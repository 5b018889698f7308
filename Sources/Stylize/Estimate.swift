import StylizeCHeader
import StyleTransfer

/// stylize_estimate: stylize_check plus the plan it admitted (memory peak,
/// work, levels), so a host can show what a run will cost before it starts.
@_cdecl("stylize_estimate")
public func cEstimate(_ model: OpaquePointer?, _ content: UnsafePointer<stylize_image>?,
                      _ styles: UnsafePointer<stylize_image>?, _ styleCount: Int32,
                      _ options: UnsafePointer<stylize_options>?,
                      _ out: UnsafeMutablePointer<stylize_estimate_info>?) -> stylize_status {
    guarded {
        guard let out else { throw ABIError.argument("out is NULL") }
        // Fields a caller's (older, shorter) struct has: whole fields only.
        let size = UnsafeRawPointer(out).load(as: Int.self)
        guard size >= MemoryLayout<Int>.size + MemoryLayout<UInt64>.size else {
            throw ABIError.argument("out->struct_size \(size) is too small: set it to sizeof(stylize_estimate_info)")
        }
        let request = try Request(content: content, styles: styles, styleCount: styleCount, options: options,
                                  pixelsRequired: false)
        let handle = try model.map { Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
            ?? ModelLookup.open(try modelPath(request.rawOptions.model_path))
        let plan = try request.admit(handle)
        let finest = plan.levels.last
        var info = stylize_estimate_info()
        info.struct_size = min(size, MemoryLayout<stylize_estimate_info>.size)
        info.peak_bytes = UInt64(max(0, plan.estimatedPeakBytes))
        info.pixel_iterations = plan.pixelIterations
        info.levels = Int32(clamping: plan.levels.count)
        info.width = Int32(clamping: finest?.width ?? 0)
        info.height = Int32(clamping: finest?.height ?? 0)
        info.tiled = plan.levels.contains { $0.tile != nil } ? 1 : 0
        let count = info.struct_size
        withUnsafeBytes(of: &info) { UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: count) }
    }
}

/// options->model_path as stylize_check reads it: NULL = the default lookup.
private func modelPath(_ pointer: UnsafePointer<CChar>?) throws -> String? {
    guard let pointer else { return nil }
    guard let s = String(validatingCString: pointer), !s.isEmpty else {
        throw ABIError.argument("options->model_path is empty or not valid UTF-8")
    }
    return s
}
