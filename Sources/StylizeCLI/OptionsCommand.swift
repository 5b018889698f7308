import ArgumentParser
import Foundation
import StyleTransfer

/// `stylize options`: the option table, the one declaration of every option
/// with its range, default and name at each front door. README.md embeds the
/// `--markdown` output, and a test keeps the two equal.
struct OptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "options",
        abstract: "List every option of a run: range, default, and its name in the CLI, C, vips and GIMP.")

    @Flag(help: "Print a Markdown table (as in README.md).")
    var markdown = false

    func run() throws {
        if markdown {
            print("| option | range | default | C field | vips | GIMP | meaning |")
            print("|---|---|---|---|---|---|---|")
        }
        for spec in OptionTable.all {
            let range: String
            switch spec.kind {
            case .integer, .real, .list: range = spec.rangeText
            case .choice: range = spec.choices.joined(separator: ", ")
            case .bytes: range = "\(formatBytes(Int(spec.minimum))) or more"
            case .layers: range = "layer[:weight],..."
            case .image, .path: range = "file"
            }
            let gimp = spec.label.map { "\($0) (`\(spec.gimp ?? "")`)" } ?? ""
            let cells = ["`--\(spec.cli)`" + spec.cliAliases.map { ", `--\($0)`" }.joined(), range,
                         spec.defaultText.isEmpty ? "none" : "`\(spec.defaultText)`",
                         spec.c.map { "`\($0)`" } ?? "", spec.vips.map { "`\($0)`" } ?? "", gimp, spec.help]
            if markdown {
                print("| " + cells.joined(separator: " | ") + " |")
            } else {
                print("--\(spec.cli)\t\(range)\tdefault \(spec.defaultText.isEmpty ? "none" : spec.defaultText)\t\(spec.help)")
            }
        }
    }
}
