import Foundation

/// What an output was made from, written beside it as `OUTPUT.stylize.json`
/// after the output is in place. A batch skips an item whose record matches:
/// the same input files (name, size and modification time), the same options
/// (canonical text) and save options, and the output still the file the
/// record describes. Anything else (no record, a changed option or input, an
/// output replaced or truncated since) makes the item again. Sizes and times,
/// not hashes: checking a million-item batch must not read a million images.
struct BatchRecord: Codable, Equatable {
    struct File: Codable, Equatable {
        var role: String
        var name: String
        var bytes: Int64
        var modified: String

        /// The file's identity now, or nil if it cannot be read.
        init?(role: String, path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            self.role = role
            name = (path as NSString).lastPathComponent
            bytes = Int64(s.st_size)
            modified = "\(s.st_mtim.tv_sec).\(String(format: "%09d", s.st_mtim.tv_nsec))"
        }
    }

    var inputs: [File]
    var options: String
    var save: String
    var output: File

    /// The record file of an output (vips save options stripped).
    static func path(for output: String) -> String { splitSaveOptions(output).0 + ".stylize.json" }

    /// Whether `output` exists and its record says it was made from `inputs` with `options`.
    static func matches(output: String, inputs: [File], options: String) -> Bool {
        let (file, save) = splitSaveOptions(output)
        guard let data = FileManager.default.contents(atPath: path(for: output)),
              let record = try? JSONDecoder().decode(BatchRecord.self, from: data),
              let now = File(role: "output", path: file) else { return false }
        return record == BatchRecord(inputs: inputs, options: options, save: save, output: now)
    }

    /// Writes the record of `output`, just made (atomically, like every written file).
    static func write(output: String, inputs: [File], options: String) throws {
        let (file, save) = splitSaveOptions(output)
        guard let now = File(role: "output", path: file) else { throw CLIError("\(file): vanished after writing") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(BatchRecord(inputs: inputs, options: options, save: save, output: now)),
                            to: path(for: output))
    }
}
