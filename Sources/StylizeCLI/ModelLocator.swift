import Foundation
import ModelStore
import StyleTransfer

/// The CLI's model: `--model FILE`, then `$STYLIZE_MODEL`, then the installed
/// copies (beside the executable's prefix, ~/.local, /usr/local, /usr).
enum ModelLocator {
    static var installedCandidates: [String] {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let prefix = exe.deletingLastPathComponent().deletingLastPathComponent().path
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let name = ModelStore.fileName
        return ["\(prefix)/share/stylize/\(name)", "\(home)/.local/share/stylize/\(name)",
                "/usr/local/share/stylize/\(name)", "/usr/share/stylize/\(name)"]
    }

    /// The weights, the file they came from and how it was found.
    static func load(_ explicit: String?) throws -> (ModelWeights, String, String) {
        do {
            let (path, foundBy) = try ModelStore.locate(explicit, explicitName: "--model", installed: installedCandidates)
            return (try ModelStore.load(path, foundBy: foundBy), path, foundBy)
        } catch let failure as ModelStore.Failure {
            throw CLIError(failure.description)
        }
    }
}
