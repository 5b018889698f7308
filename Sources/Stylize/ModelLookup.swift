import Foundation
import StylizeCHeader
import StyleTransfer

/// An opened model: the engine's immutable network, shared by every thread
/// that uses the handle (each run allocates its own buffers).
final class ModelHandle: @unchecked Sendable {
    let transfer: StyleTransfer
    let path: String

    init(transfer: StyleTransfer, path: String) {
        self.transfer = transfer
        self.path = path
    }
}

enum ModelLookup {
    static let fileName = "vgg16.safetensors"

    /// `<libdir>/../share/stylize/vgg16.safetensors`, libdir being the folder
    /// of the loaded libstylize.so (found with dladdr on one of its functions).
    static var besideLibrary: String? {
        let symbol: @convention(c) () -> UnsafePointer<CChar> = cVersion
        var info = stylize_dl_info()
        guard dladdr(unsafeBitCast(symbol, to: UnsafeRawPointer.self), &info) != 0,
              let file = info.dli_fname else { return nil }
        let libdir = URL(fileURLWithPath: String(cString: file)).deletingLastPathComponent()
        return libdir.deletingLastPathComponent().appendingPathComponent("share/stylize/\(fileName)").standardizedFileURL.path
    }

    /// The file to open for `path` (NULL = default lookup) and how it was found.
    static func locate(_ path: String?) throws -> (path: String, foundBy: String) {
        if let path { return (path, "the given path") }
        if let env = ProcessInfo.processInfo.environment["STYLIZE_MODEL"], !env.isEmpty {
            return (env, "$STYLIZE_MODEL")
        }
        let candidates = [besideLibrary, "/usr/local/share/stylize/\(fileName)"].compactMap { $0 }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return (found, "the installed model")
        }
        throw ABIError.model("no model found (looked at $STYLIZE_MODEL, which is unset, then \(candidates.joined(separator: ", "))); "
            + "run ./install.sh from the Stylize sources to install the default VGG16 weights, or make a model with "
            + "`stylize model import FILE.onnx -o FILE.safetensors` and set STYLIZE_MODEL or the model path")
    }

    /// Reads and checks the model file; builds the network once.
    static func open(_ path: String?) throws -> ModelHandle {
        let (file, foundBy) = try locate(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ABIError.model("model file '\(file)' (from \(foundBy)) does not exist; run ./install.sh or "
                + "`stylize model import FILE.onnx -o FILE.safetensors`")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: file) else {
            throw ABIError.model("model file '\(file)' (from \(foundBy)) cannot be read")
        }
        let weights: ModelWeights
        do {
            weights = try ModelWeights(safetensors: [UInt8](data))
        } catch {
            throw ABIError.model("model file '\(file)' (from \(foundBy)): \(error); "
                + "import a VGG16/VGG19 with `stylize model import`")
        }
        return ModelHandle(transfer: StyleTransfer(weights: weights), path: file)
    }
}
