import ArgumentParser
import Foundation
import StyleTransfer

/// The words of a run as `stylize transfer` reads them, for `stylize batch`:
/// every item is parsed by transfer's own parser (the same flags, aliases and
/// validation), so batch needs only to tell option words from file names. It
/// learns each option's names and whether it takes a value from the parser's
/// own description of transfer (the JSON `--experimental-dump-help` prints),
/// not from a second table.
struct TransferWords {
    struct Entry {
        /// The first long name ("size" for --size and --image-size).
        let primary: String
        let takesValue: Bool
        let repeating: Bool
    }

    /// One option as written: its primary name, the words as given, its value.
    struct Option {
        let entry: Entry
        let words: [String]
        let value: String?
    }

    /// "--size", "--image-size", "-o" -> entry.
    let entries: [String: Entry]

    static let transfer = TransferWords(dump: Transfer._dumpHelp())

    init(dump: String) {
        var entries: [String: Entry] = [:]
        let root = (try? JSONSerialization.jsonObject(with: Data(dump.utf8))) as? [String: Any]
        let arguments = ((root?["command"] as? [String: Any])?["arguments"] as? [[String: Any]]) ?? []
        for argument in arguments {
            let kind = argument["kind"] as? String
            guard kind == "option" || kind == "flag" else { continue }
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { name -> String? in
                guard let text = name["name"] as? String else { return nil }
                return (name["kind"] as? String == "short" ? "-" : "--") + text
            }
            guard let first = names.first(where: { $0.hasPrefix("--") }) ?? names.first else { continue }
            let entry = Entry(primary: String(first.drop { $0 == "-" }), takesValue: kind == "option",
                              repeating: argument["isRepeating"] as? Bool ?? false)
            for name in names { entries[name] = entry }
        }
        self.entries = entries
    }

    /// Splits words the way the parser reads them: `--name value`, `--name=value`,
    /// flags, file names, and everything after `--` as file names.
    func split(_ words: [String]) throws -> (options: [Option], files: [String]) {
        var options: [Option] = [], files: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            if word == "--" { files += words[i...]; break }
            guard word.hasPrefix("-"), word.count > 1 else { files.append(word); continue }
            let (name, inline) = word.firstIndex(of: "=").map { (String(word[..<$0]), String(word[word.index(after: $0)...])) }
                ?? (word, nil)
            guard let entry = entries[name] else { throw CLIError("unknown option '\(name)'") }
            if Self.perFrame.contains(entry.primary) {
                throw CLIError("\(name): a video frame's own input, which batch items do not have (use 'stylize video')")
            }
            if !entry.takesValue || inline != nil {
                options.append(Option(entry: entry, words: [word], value: inline))
            } else {
                guard i < words.count else { throw CLIError("missing value for '\(name)'") }
                options.append(Option(entry: entry, words: [word, words[i]], value: words[i]))
                i += 1
            }
        }
        return (options, files)
    }

    /// Transfer's inputs for one frame of a clip (the previous frame warped into it):
    /// refused, since a batch's items are independent pictures.
    static let perFrame: Set<String> = ["temporal-target", "temporal-mask"]

    /// Options that change no pixel of a result, left out of its record.
    static let presentational: Set<String> = ["print-every", "quiet", "log", "save-every", "output"]
    /// Options naming files: recorded by the files' identity, not by their path.
    static let fileValued: Set<String> = {
        let kinds: [OptionSpec.Kind] = [.image, .path]
        return Set(OptionKey.allCases.filter { kinds.contains(OptionTable[$0].kind) }.map { OptionTable[$0].cli } + ["style"])
    }()

    /// The options that shape a result, one canonical text: primary names,
    /// `--name=value`, sorted, the last of a repeated single option winning
    /// (as the parser does), so that `--image-size 64` and `--size=64` agree.
    static func canonical(_ options: [Option]) -> String {
        var last: [String: String] = [:]
        for option in options where !presentational.contains(option.entry.primary) && !fileValued.contains(option.entry.primary) {
            let text = "--" + option.entry.primary + (option.value.map { "=" + $0 } ?? "")
            last[option.entry.primary] = option.entry.repeating ? (last[option.entry.primary].map { $0 + " " } ?? "") + text : text
        }
        return last.keys.sorted().map { last[$0]! }.joined(separator: " ")
    }
}
