import Foundation
import StylizeCHeader
import ModelStore
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
    /// `<libdir>/../share/stylize/vgg16.safetensors`, libdir being the folder
    /// of the loaded libstylize.so (found with dladdr on one of its functions).
    static var besideLibrary: String? {
        let symbol: @convention(c) () -> UnsafePointer<CChar> = cVersion
        var info = stylize_dl_info()
        guard dladdr(unsafeBitCast(symbol, to: UnsafeRawPointer.self), &info) != 0,
              let file = info.dli_fname else { return nil }
        let libdir = URL(fileURLWithPath: String(cString: file)).deletingLastPathComponent()
        return libdir.deletingLastPathComponent().appendingPathComponent("share/stylize/\(ModelStore.fileName)").standardizedFileURL.path
    }

    /// Opens `path` (NULL = the default lookup) and builds the network once.
    static func open(_ path: String?) throws -> ModelHandle {
        do {
            let installed = [besideLibrary, "/usr/local/share/stylize/\(ModelStore.fileName)"].compactMap { $0 }
            let (file, foundBy) = try ModelStore.locate(path, explicitName: "the given path", installed: installed)
            return ModelHandle(transfer: StyleTransfer(weights: try ModelStore.load(file, foundBy: foundBy)), path: file)
        } catch let failure as ModelStore.Failure {
            throw ABIError.model(failure.description)
        }
    }
}
