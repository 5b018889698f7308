import Foundation
import StylizeCHeader
import StyleTransfer

// The C entry points declared in include/stylize.h. They only marshal: check
// every argument, convert pixels, call the engine, map errors to statuses.
// No caller input can reach a trap (force unwrap, precondition, overflow).

@_cdecl("stylize_version")
public func cVersion() -> UnsafePointer<CChar> {
    cString(stylizeVersion)
}

@_cdecl("stylize_options_init")
public func cOptionsInit(_ options: UnsafeMutablePointer<stylize_options>?) {
    options?.pointee = Marshal.defaults()
}

@_cdecl("stylize_status_string")
public func cStatusString(_ status: stylize_status) -> UnsafePointer<CChar> {
    switch status {
    case STYLIZE_OK: return cString("success")
    case STYLIZE_ERROR_INVALID_ARGUMENT: return cString("invalid argument")
    case STYLIZE_ERROR_INVALID_OPTION: return cString("invalid option")
    case STYLIZE_ERROR_MODEL: return cString("model file missing, unreadable or not a VGG model")
    case STYLIZE_ERROR_CANCELLED: return cString("cancelled")
    case STYLIZE_ERROR_OUT_OF_MEMORY: return cString("out of memory")
    case STYLIZE_ERROR_INTERNAL: return cString("internal error")
    case STYLIZE_ERROR_DIVERGED: return cString("the optimisation diverged")
    default: return cString("unknown status")
    }
}

@_cdecl("stylize_blas_restart_core")
public func cBLASRestartCore() -> UnsafePointer<CChar>? {
    BLASCore.restartCore(environment: ProcessInfo.processInfo.environment) == nil ? nil : BLASCore.fittingName
}

@_cdecl("stylize_blas_restart")
public func cBLASRestart(_ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>?) {
    guard let argv else { return }
    BLASCore.restartProcess(arguments: argv)
}

@_cdecl("stylize_last_error")
public func cLastError() -> UnsafePointer<CChar> {
    lastErrorPointer()
}

@_cdecl("stylize_model_open")
public func cModelOpen(_ path: UnsafePointer<CChar>?,
                       _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> stylize_status {
    guarded {
        guard let outModel else { throw ABIError.argument("out_model is NULL") }
        outModel.pointee = nil
        outModel.pointee = try open(try pathString(path, "path"))
    }
}

@_cdecl("stylize_model_close")
public func cModelClose(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("stylize_with_model")
public func cStylizeWithModel(_ model: OpaquePointer?,
                              _ content: UnsafePointer<stylize_image>?,
                              _ styles: UnsafePointer<stylize_image>?, _ styleCount: Int32,
                              _ options: UnsafePointer<stylize_options>?,
                              _ progress: stylize_progress_fn?, _ user: UnsafeMutableRawPointer?,
                              _ output: UnsafeMutablePointer<UInt8>?, _ outputStride: Int) -> stylize_status {
    guarded {
        let request = try Request(content: content, styles: styles, styleCount: styleCount, options: options,
                                  output: output, outputStride: outputStride)
        guard let model else { throw ABIError.argument("model is NULL") }
        let handle = Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).takeUnretainedValue()
        try request.run(handle, progress: progress, user: user)
    }
}

@_cdecl("stylize")
public func cStylize(_ content: UnsafePointer<stylize_image>?,
                     _ styles: UnsafePointer<stylize_image>?, _ styleCount: Int32,
                     _ options: UnsafePointer<stylize_options>?,
                     _ progress: stylize_progress_fn?, _ user: UnsafeMutableRawPointer?,
                     _ output: UnsafeMutablePointer<UInt8>?, _ outputStride: Int) -> stylize_status {
    guarded {
        // Check the cheap things before reading a large model file.
        let request = try Request(content: content, styles: styles, styleCount: styleCount, options: options,
                                  output: output, outputStride: outputStride)
        let path = try pathString(request.rawOptions.model_path, "options->model_path")
        let handle = try ModelLookup.open(path)
        try request.run(handle, progress: progress, user: user)
    }
}

private func pathString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String? {
    guard let pointer else { return nil }
    guard let s = String(validatingCString: pointer), !s.isEmpty else {
        throw ABIError.argument("\(name) is empty or not valid UTF-8")
    }
    return s
}

private func open(_ path: String?) throws -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(try ModelLookup.open(path)).toOpaque())
}

@_cdecl("stylize_check")
public func cCheck(_ model: OpaquePointer?, _ content: UnsafePointer<stylize_image>?,
                   _ styles: UnsafePointer<stylize_image>?, _ styleCount: Int32,
                   _ options: UnsafePointer<stylize_options>?) -> stylize_status {
    guarded {
        let request = try Request(content: content, styles: styles, styleCount: styleCount, options: options,
                                  pixelsRequired: false)
        let handle = try model.map { Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
            ?? ModelLookup.open(try pathString(request.rawOptions.model_path, "options->model_path"))
        _ = try request.admit(handle)
    }
}

/// One checked call: images, options and output, ready to run.
struct Request {
    let content: stylize_image
    let styles: [stylize_image]
    let rawOptions: stylize_options
    let options: TransferOptions
    let output: UnsafeMutablePointer<UInt8>?
    let outputStride: Int

    /// `pixelsRequired` false (stylize_check): only sizes are read.
    init(content: UnsafePointer<stylize_image>?, styles: UnsafePointer<stylize_image>?, styleCount: Int32,
         options: UnsafePointer<stylize_options>?, output: UnsafeMutablePointer<UInt8>? = nil, outputStride: Int = 0,
         pixelsRequired: Bool = true) throws {
        self.content = try Marshal.checkImage(content, "content", pixelsRequired: pixelsRequired)
        guard (1...Marshal.maxStyles).contains(Int(styleCount)) else {
            throw ABIError.argument("style_count \(styleCount) is not in 1...\(Marshal.maxStyles)")
        }
        guard let styles else { throw ABIError.argument("styles is NULL") }
        self.styles = try (0..<Int(styleCount)).map {
            try Marshal.checkImage(styles + $0, "styles[\($0)]", pixelsRequired: pixelsRequired)
        }
        if pixelsRequired {
            guard output != nil else { throw ABIError.argument("output is NULL") }
            try Marshal.checkStride(outputStride, width: Int(self.content.width), height: Int(self.content.height),
                                    channels: self.content.layout.pixelBytes, name: "output_stride")
        }
        // The image rule before anything is allocated for these sizes (the mask's floats, the planar copies).
        try Admission.check(Marshal.size(self.content), name: "content")
        for (i, style) in self.styles.enumerated() { try Admission.check(Marshal.size(style), name: "styles[\(i)]") }
        self.output = output
        self.outputStride = outputStride
        rawOptions = try Marshal.readOptions(options)
        self.options = try Marshal.transferOptions(rawOptions, styleCount: Int(styleCount), content: self.content,
                                                   pixelsRequired: pixelsRequired)
        try self.options.validate(styleCount: Int(styleCount))  // ranges now; layer names once the model is open
    }

    /// The engine's admission: options, the image rule and the memory plan
    /// against what the machine can give, from sizes alone.
    func admit(_ model: ModelHandle) throws -> TransferPlan {
        try model.transfer.admit(content: Marshal.size(content), styles: styles.map(Marshal.size), options: options,
                                 names: ("content", { "styles[\($0)]" }))
    }

    func run(_ model: ModelHandle, progress: stylize_progress_fn?, user: UnsafeMutableRawPointer?) throws {
        _ = try admit(model)
        let callback: ((TransferProgress) -> Bool)? = progress.map { fn in
            { p in
                fn(user, Int32(clamping: p.iteration), Int32(clamping: p.total),
                   p.losses.total, p.losses.content, p.losses.style, p.losses.tv) == 0
            }
        }
        let contentImage = try Marshal.planar(content, name: "content")
        let styleImages = try styles.enumerated().map { try Marshal.planar($0.element, name: "styles[\($0.offset)]") }
        let result = try model.transfer.run(content: contentImage, styles: styleImages, options: options, progress: callback)
        guard result.width == Int(content.width), result.height == Int(content.height),
              result.pixels.count == 3 * result.width * result.height else {
            throw ABIError(status: STYLIZE_ERROR_INTERNAL, message: "internal error: the engine returned a "
                + "\(result.width)x\(result.height) image for \(content.width)x\(content.height) content")
        }
        guard result.pixels.allSatisfy({ $0.isFinite }), let output else {
            throw TransferError.diverged("the optimisation diverged (non-finite pixels): lower the weights or options->learning_rate")
        }
        Marshal.write(result, alphaFrom: content, to: output, stride: outputStride)
    }
}
