import Foundation
import StyleTransfer

/// Progress on stderr: a one-line bar redrawn in place on a terminal, plain
/// lines every N iterations otherwise; optionally a JSON log of every iteration.
final class ProgressReporter {
    let quiet: Bool
    let printEvery: Int
    let logPath: String?
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var entries: [[String: Double]] = []
    private var lastImage: Image?

    init(quiet: Bool, printEvery: Int, logPath: String?) {
        self.quiet = quiet
        self.printEvery = printEvery
        self.logPath = logPath
    }

    func report(_ p: TransferProgress) {
        entries.append(["iteration": Double(p.iteration), "elapsed": p.elapsed, "total": p.losses.total,
                        "content": p.losses.content, "style": p.losses.style, "tv": p.losses.tv,
                        "evaluations": Double(p.evaluations)])
        guard !quiet else { return }
        let losses = String(format: "loss %.4g (content %.3g, style %.3g, tv %.3g)",
                            p.losses.total, p.losses.content, p.losses.style, p.losses.tv)
        let eta = p.iteration > 0 ? p.elapsed / Double(p.iteration) * Double(p.total - p.iteration) : 0
        if isTerminal {
            let width = 24, done = width * p.iteration / max(1, p.total)
            let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
            FileHandle.standardError.write("\r[\(bar)] \(p.iteration)/\(p.total) \(losses) ETA \(Int(eta))s \u{1B}[K".data(using: .utf8)!)
        } else if p.iteration % printEvery == 0 || p.iteration == p.total {
            FileHandle.standardError.write("iteration \(p.iteration)/\(p.total) \(losses) \(String(format: "%.1f", p.elapsed))s\n".data(using: .utf8)!)
        }
    }

    func finish() {
        if !quiet && isTerminal { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }

    /// The picture of progress `p` as a file like `template` (alpha, bit depth),
    /// clamped and at the template's size: a snapshot, or the result of a run
    /// stopped by Ctrl-C.
    func current(_ p: TransferProgress, template: ImageFile) -> ImageFile {
        var file = template
        file.image = p.image.clamped().resized(width: template.image.width, height: template.image.height)
        return file
    }

    func writeLog() throws {
        guard let logPath else { return }
        let data = try JSONSerialization.data(withJSONObject: ["iterations": entries], options: [.prettyPrinted, .sortedKeys])
        try writeAtomically(data, to: logPath)
    }
}
