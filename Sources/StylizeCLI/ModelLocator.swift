import Foundation
import StyleTransfer

/// Finds and loads the model: `--model FILE`, then `$STYLIZE_MODEL`, then the
/// installed copies (beside the executable's prefix, ~/.local, /usr/local).
enum ModelLocator {
    static let fileName = "vgg16.safetensors"

    static var installedCandidates: [String] {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let prefix = exe.deletingLastPathComponent().deletingLastPathComponent().path
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        return ["\(prefix)/share/stylize/\(fileName)", "\(home)/.local/share/stylize/\(fileName)",
                "/usr/local/share/stylize/\(fileName)", "/usr/share/stylize/\(fileName)"]
    }

    /// The path to use and how it was found.
    static func locate(_ explicit: String?) throws -> (path: String, foundBy: String) {
        if let explicit { return (explicit, "--model") }
        if let env = ProcessInfo.processInfo.environment["STYLIZE_MODEL"], !env.isEmpty { return (env, "$STYLIZE_MODEL") }
        if let found = installedCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return (found, "installed model")
        }
        throw CLIError("no model found (looked at --model, $STYLIZE_MODEL, \(installedCandidates.joined(separator: ", "))); run ./install.sh to get the default VGG16 weights, or `stylize model import FILE.onnx -o FILE.safetensors` and pass --model")
    }

    static func load(_ explicit: String?) throws -> (ModelWeights, String, String) {
        let (path, foundBy) = try locate(explicit)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("\(path): cannot read the model file (found by \(foundBy)); run ./install.sh or pass --model")
        }
        do {
            return (try ModelWeights(safetensors: [UInt8](data)), path, foundBy)
        } catch {
            throw CLIError("\(path): \(error); import a VGG16/VGG19 with `stylize model import`")
        }
    }
}
