import Foundation

/// Where a batch's images come from: files, folders (their images, sorted by
/// name) and glob patterns (sorted), and manifest files of one item a line.
enum BatchInputs {
    /// Extensions taken from a folder; anything else in it (records, notes) is
    /// left alone. A named file or a glob match is taken whatever its name.
    static let imageExtensions: Set<String> = [
        "jpg", "jpeg", "jpe", "png", "tif", "tiff", "webp", "heic", "heif", "avif", "gif", "jxl", "jp2", "j2k",
        "ppm", "pgm", "pbm", "pnm", "pfm", "exr", "hdr", "fits", "fit", "bmp", "v", "vips",
    ]

    /// The images `spec` names: a file (even one that does not exist: the
    /// item then fails saying so), a folder's images, or a glob's matches.
    /// Relative paths are taken from `base` (a manifest's folder) when given.
    static func expand(_ spec: String, base: String? = nil) throws -> [String] {
        let path = base.map { spec.hasPrefix("/") ? spec : ($0 as NSString).appendingPathComponent(spec) } ?? spec
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let images = names.filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
            guard !images.isEmpty else { throw CLIError("\(spec): folder has no images (\(imageExtensions.sorted().prefix(6).joined(separator: ", ")), ...)") }
            return images
        }
        guard path.contains(where: { "*?[".contains($0) }) else { return [path] }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(path, 0, nil, &matches) == 0 else { throw CLIError("\(spec): no file matches") }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    }

    /// One manifest line: `CONTENT STYLE [more styles] [options of stylize transfer]`.
    struct Line {
        let number: Int
        let words: [String]
    }

    /// Reads a manifest: one item a line, words split as a shell does (quotes
    /// '...' and "...", backslash escapes), `#` starting a comment, blank lines skipped.
    static func manifest(_ path: String) throws -> [Line] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError("\(path): cannot read the manifest (\(FileManager.default.fileExists(atPath: path) ? "not UTF-8 text or unreadable" : "no such file"))")
        }
        var lines: [Line] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = try shellWords(String(line), at: "\(path):\(k + 1)")
            if !words.isEmpty { lines.append(Line(number: k + 1, words: words)) }
        }
        return lines
    }

    static func shellWords(_ line: String, at place: String) throws -> [String] {
        var words: [String] = [], word = "", inWord = false
        var quote: Character? = nil, escaped = false
        for c in line {
            if escaped { word.append(c); escaped = false; continue }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { word.append(c) }
                continue
            }
            switch c {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = c; inWord = true
            case "#" where !inWord: return words
            case " ", "\t", "\r":
                if inWord { words.append(word); word = ""; inWord = false }
            default: word.append(c); inWord = true
            }
        }
        guard quote == nil else { throw CLIError("\(place): unclosed quote") }
        if inWord { words.append(word) }
        return words
    }
}

/// Output names from a pattern: `{content}` and `{style}` are the files' names
/// without extension (several styles joined by +), `{index}` the item's place
/// in the whole batch counted from 1 (zero-padded, so names sort in order).
struct NamePattern {
    let text: String
    static let placeholders = ["{content}", "{style}", "{index}"]

    init(_ text: String) throws {
        var rest = text
        for p in Self.placeholders { rest = rest.replacingOccurrences(of: p, with: "") }
        if let open = rest.firstIndex(of: "{") {
            let unknown = rest[open...].prefix { $0 != "}" } + "}"
            throw CLIError("--name: unknown placeholder \(unknown) in '\(text)' (use \(Self.placeholders.joined(separator: ", ")))")
        }
        let file = splitSaveOptions(text).0
        guard !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
            throw CLIError("--name: '\(text)' must stay inside the output folder (no leading / or ..)")
        }
        guard !(file as NSString).pathExtension.isEmpty else {
            throw CLIError("--name: '\(text)' has no extension to choose a format (e.g. {content}_{style}.png)")
        }
        self.text = text
    }

    func name(content: String, styles: [String], index: Int, count: Int) -> String {
        let stem = { (path: String) in ((path as NSString).lastPathComponent as NSString).deletingPathExtension }
        let digits = String(count).count
        let number = String(index + 1)
        return text.replacingOccurrences(of: "{content}", with: stem(content))
            .replacingOccurrences(of: "{style}", with: styles.map(stem).joined(separator: "+"))
            .replacingOccurrences(of: "{index}", with: String(repeating: "0", count: max(0, digits - number.count)) + number)
    }
}
