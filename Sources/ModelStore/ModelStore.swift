import Foundation
import StyleTransfer

/// How Stylize's front doors find and read the model file: one policy for the
/// CLI and the C library (the engine itself reads no files). Each caller
/// passes the installed locations it knows (beside its executable or library).
public enum ModelStore {
    public static let fileName = "vgg16.safetensors"

    /// A message naming the file, or the places looked at, and how to get a model.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The explicit path, then `$STYLIZE_MODEL`, then the first of `installed`
    /// that exists; `explicitName` says how the explicit path was given.
    public static func locate(_ explicit: String?, explicitName: String,
                              installed: [String]) throws -> (path: String, foundBy: String) {
        if let explicit { return (explicit, explicitName) }
        if let env = ProcessInfo.processInfo.environment["STYLIZE_MODEL"], !env.isEmpty {
            return (env, "$STYLIZE_MODEL")
        }
        if let found = installed.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return (found, "the installed model")
        }
        throw Failure("no model found (looked at \(explicitName), $STYLIZE_MODEL, then \(installed.joined(separator: ", "))); "
            + "run ./install.sh from the Stylize sources to install the default VGG16 weights, or make a model with "
            + "`stylize model import FILE.onnx -o FILE.safetensors`")
    }

    /// Reads and checks a model file.
    public static func load(_ path: String, foundBy: String) throws -> ModelWeights {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Failure("model file '\(path)' (from \(foundBy)) does not exist; run ./install.sh or "
                + "`stylize model import FILE.onnx -o FILE.safetensors`")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw Failure("model file '\(path)' (from \(foundBy)) cannot be read")
        }
        do {
            return try ModelWeights(safetensors: [UInt8](data))
        } catch {
            throw Failure("model file '\(path)' (from \(foundBy)): \(error); import a VGG16/VGG19 with `stylize model import`")
        }
    }
}
