import CVipsShim
import Foundation
import StyleTransfer

/// An image file as the CLI sees it: the engine's RGB image plus what the
/// engine does not touch (alpha, bit depth), which goes back into the output.
struct ImageFile {
    var image: Image
    /// Alpha in 0...255, one per pixel, if the file had it.
    var alpha: [Float]?
    var sixteenBit: Bool

    /// The image's size (EXIF orientation applied) from its header alone.
    static func header(_ path: String) throws -> ImageSize {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        try VipsRuntime.start()
        var w: Int32 = 0, h: Int32 = 0
        guard stylize_vips_header(path, &w, &h) == 0 else {
            throw CLIError("\(path): cannot read as an image (\(vipsError()))")
        }
        return ImageSize(width: Int(w), height: Int(h))
    }

    /// Loads through libvips: every format it reads, EXIF orientation applied,
    /// ICC profile / colourspace converted to sRGB; shrunk on load to `maxSide`
    /// when larger. A truncated or corrupt file is an error.
    static func load(_ path: String, maxSide: Int? = nil) throws -> ImageFile {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        try VipsRuntime.start()
        var pixels: UnsafeMutablePointer<Float>?
        var w: Int32 = 0, h: Int32 = 0, bands: Int32 = 0, deep: Int32 = 0
        guard stylize_vips_load(path, Int32(clamping: maxSide ?? 0), &pixels, &w, &h, &bands, &deep) == 0, let pixels else {
            throw CLIError("\(path): cannot read as an image (\(vipsError()))")
        }
        defer { free(pixels) }
        let width = Int(w), height = Int(h), n = Int(bands), plane = width * height
        var rgb = [Float](repeating: 0, count: 3 * plane)
        var alpha: [Float]? = n == 4 ? [Float](repeating: 0, count: plane) : nil
        for i in 0..<plane {
            for c in 0..<3 { rgb[c * plane + i] = pixels[i * n + c] }
            if n == 4 { alpha![i] = pixels[i * n + 3] }
        }
        return ImageFile(image: Image(width: width, height: height, pixels: rgb), alpha: alpha, sixteenBit: deep != 0)
    }

    /// Writes atomically (temporary file + rename) in the format the extension names.
    func save(_ path: String) throws {
        try VipsRuntime.start()
        let plane = image.width * image.height
        let n = alpha == nil ? 3 : 4
        var interleaved = [Float](repeating: 0, count: n * plane)
        for i in 0..<plane {
            for c in 0..<3 { interleaved[i * n + c] = image.pixels[c * plane + i] }
            if let alpha { interleaved[i * n + 3] = alpha[i] }
        }
        let status = interleaved.withUnsafeBufferPointer {
            stylize_vips_save(path, $0.baseAddress, Int32(image.width), Int32(image.height), Int32(n), sixteenBit ? 1 : 0)
        }
        if status != 0 { throw CLIError("\(path): cannot write (\(writeFailure(vipsError(), path: path)))") }
    }

    /// Why a write failed, short: libvips repeats the file name and every layer's
    /// complaint ("write error; unix error: No space left on device; wbuffer_write:
    /// write failed; ..."); the first system error is the cause.
    func writeFailure(_ text: String, path: String) -> String {
        if let start = text.range(of: "unix error: ") {
            let cause = text[start.upperBound...].prefix { $0 != ";" }
            if !cause.isEmpty { return String(cause) }
        }
        let prefix = "stylize: " + splitSaveOptions(path).0 + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// Refuses, before any work, a file name libvips has no writer for.
    static func checkSavable(_ path: String) throws {
        try VipsRuntime.start()
        guard stylize_vips_savable(path) == 0 else {
            _ = vipsError()
            throw CLIError("\(path): no image format for this file name (use .png, .jpg, .tif, .webp, ...)")
        }
    }
}

/// The vips error text on one line.
func vipsError() -> String {
    String(cString: stylize_vips_error()).split(separator: "\n").joined(separator: "; ")
}

/// The temporary file being written, removed by SIGINT/SIGTERM/SIGHUP.
enum TempFiles {
    static func register(_ path: String) { stylize_temp_register(path) }
    static func unregister() { stylize_temp_register(nil) }
}

enum VipsRuntime {
    nonisolated(unsafe) private static var started = false
    static func start() throws {
        if started { return }
        guard stylize_vips_init(CommandLine.arguments.first) == 0 else {
            throw CLIError("cannot start libvips: \(vipsError())")
        }
        stylize_temp_cleanup_install()
        started = true
    }
}

/// A one-line message for the user; the CLI exits non-zero with it.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
