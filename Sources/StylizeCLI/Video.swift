import ArgumentParser
import Foundation
import StyleTransfer

/// `stylize video IN STYLE -o OUT`: every frame stylized after Ruder,
/// Dosovitskiy and Brox (GCPR 2016). Frame t starts from the stylized frame t-1
/// warped into it by the optical flow, and a temporal loss keeps the pixels
/// the flow can be trusted at close to that (`--temporal-weight`; 0 =
/// independent frames). Frames are written one by one into a folder
/// (OUT itself, or OUT.work/frames for a video OUT), so a stopped run continues
/// from the frames it has; the temporal error of the result is printed.
struct Video: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a video (mp4, webm, mov, gif, ...) or a folder of numbered frames, consistent from frame to frame.",
        discussion: """
            IN and OUT are video files or folders of numbered frames (OUT's extension decides). Frame rate, \
            frame count and audio are kept (FFmpeg: audio is copied). Each frame starts from the previous \
            result warped by the optical flow (OpenCV DIS) and is held near it where the flow is trusted \
            (Ruder et al. 2016); --temporal-weight 0 stylizes each frame on its own. Stylized frames go to \
            OUT (a folder) or OUT.work/frames (a video; removed when OUT is written unless --keep-frames); \
            rerunning a stopped command with the same inputs and options continues from the frames done. \
            The temporal error (mean squared difference, 0-1 scale, between each output frame and the one \
            before warped into it, over non-occluded pixels) is printed and logged.
            """)

    @Argument(help: "Input video file or folder of numbered frames.")
    var input: String

    @Argument(help: "Style image(s).")
    var styleImages: [String] = []

    @Option(name: [.customLong("style"), .customLong("style-image")], help: "Another style image (repeatable).")
    var extraStyles: [String] = []

    @OptionGroup var loss: LossOptions
    @Option(name: .table(.preserveColors), help: .table(.preserveColors)) var preserveColors: String?
    @Option(name: .table(.temporalWeight), parsing: .unconditional, help: .table(.temporalWeight)) var temporalWeight: Double?

    @Option(help: "Frame rate of a video OUT made from a folder of frames (a video IN keeps its own).")
    var fps = "25"

    @Flag(help: "Keep OUT.work (the decoded and stylized frames) after a video OUT is written.")
    var keepFrames = false

    @Option(help: "One chunk of a long video (e.g. one machine's share): stylize only frames FIRST-LAST (from 1) into the frames folder of OUT; OUT itself is written by a later run without --frames, which finds every frame done.")
    var frames: String?

    @Option(help: "With --frames: begin this many frames before FIRST, so the chunk meets the one before it; the run that writes OUT cross-fades these frames from the chunk before into this one.")
    var overlap = 0

    @OptionGroup var common: OptimizationOptions

    var stylePaths: [String] { styleImages + extraStyles.flatMap { $0.split(separator: ",").map(String.init) } }

    func transferOptions() throws -> TransferOptions {
        var o = try common.transferOptions()
        try loss.apply(to: &o)
        if let preserveColors {
            o.preserveColors = try OptionTable.choice(.preserveColors, preserveColors, in: OptionTable.colorModes)
        }
        if let temporalWeight { o.temporalWeight = temporalWeight }
        try o.validate(styleCount: stylePaths.count)
        return o
    }

    func validate() throws {
        guard !stylePaths.isEmpty else { throw ValidationError("no style image: give one after the input") }
        guard let rate = Double(fps.split(separator: "/").first ?? ""), rate > 0, rate <= 1000 else {
            throw ValidationError("--fps: '\(fps)' is not a frame rate such as 25, 29.97 or 30000/1001")
        }
        do { _ = try transferOptions() } catch let error as OptionError { throw ValidationError(error.description) }
        _ = try chunk()
        if overlap < 0 { throw ValidationError("--overlap: \(overlap) is out of range (0 or more)") }
        if overlap > 0 && frames == nil { throw ValidationError("--overlap needs --frames FIRST-LAST") }
    }

    /// --frames FIRST-LAST as 0-based (first, last); nil without it.
    func chunk() throws -> (Int, Int)? {
        guard let frames else { return nil }
        let parts = frames.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 1, b >= a else {
            throw ValidationError("--frames: '\(frames)' is not FIRST-LAST with 1 <= FIRST <= LAST (e.g. 1-250)")
        }
        return (a - 1, b - 1)
    }

    mutating func run() throws {
        let options = try transferOptions()
        try reportingErrors { try VideoRun(command: self, options: options).run() }
    }
}

/// One `stylize video` run: inputs checked, then frames, then the encoded OUT.
struct VideoRun {
    let command: Video
    let options: TransferOptions

    var output: String { command.common.output }
    var say: (String) -> Void {
        let quiet = command.common.quiet
        return { if !quiet { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) } }
    }

    func run() throws {
        // Everything that can be refused is, before anything is written.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: command.input, isDirectory: &isFolder) else {
            throw CLIError("\(command.input): no such file or folder")
        }
        let inputIsFolder = isFolder.boolValue
        let probe: VideoIO.Probe? = inputIsFolder ? nil : try VideoIO.probe(command.input)
        var inputFrames: [String] = []
        if inputIsFolder {
            inputFrames = try VideoIO.frames(in: command.input)
            guard !inputFrames.isEmpty else { throw CLIError("\(command.input): no frames (numbered image files) in the folder") }
        }
        let styleSizes = try command.stylePaths.map { path -> ImageSize in
            let size = try ImageFile.header(path)
            try Admission.check(size, name: path)
            return size
        }
        let outputIsVideo = VideoIO.isVideoName(output)
        let out = URL(fileURLWithPath: output).standardizedFileURL
        let parent = out.deletingLastPathComponent().path
        var parentIsFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsFolder), parentIsFolder.boolValue else {
            throw CLIError("\(output): folder \(parent) does not exist")
        }
        if let problem = unwritableFolder(parent) { throw CLIError("\(output): cannot write in folder \(parent) (\(problem))") }
        let resolvedIn = URL(fileURLWithPath: command.input).standardizedFileURL.resolvingSymlinksInPath().path
        if out.resolvingSymlinksInPath().path == resolvedIn { throw CLIError("\(output): would overwrite the input; choose another") }
        var outIsFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &outIsFolder), outIsFolder.boolValue == outputIsVideo {
            throw CLIError("\(output): is \(outIsFolder.boolValue ? "a folder" : "a file"); "
                + (outputIsVideo ? "a video OUT must be a file" : "a frames OUT is a folder (or name a video: .mp4, .webm, .mov, .gif)"))
        }
        if let log = command.common.log {
            try checkWrittenPaths([log], inputs: [command.input] + command.stylePaths, image: false)
        }
        let engine = StyleTransfer(weights: try ModelLocator.load(command.common.model).0)
        let frameSize = try probe.map { ImageSize(width: $0.width, height: $0.height) } ?? ImageFile.header(inputFrames[0])
        let plan = try engine.admit(content: frameSize, styles: styleSizes, options: options,
                                    names: ("frame 1", { command.stylePaths[$0] }))
        say("\(plan)")

        // The work folder beside OUT: decoded input frames, and the stylized frames of a video OUT.
        let work = out.path + ".work"
        let framesFolder = outputIsVideo ? work + "/frames" : out.path
        try FileManager.default.createDirectory(atPath: framesFolder, withIntermediateDirectories: true)
        if let probe {
            // Chunks may run at once on machines sharing the folder: each decodes into its own.
            let decoded = work + "/input" + (command.frames.map { "-" + $0 } ?? "")
            let marker = decoded + ".done"
            if !FileManager.default.fileExists(atPath: marker) {
                try? FileManager.default.removeItem(atPath: decoded)
                try FileManager.default.createDirectory(atPath: decoded, withIntermediateDirectories: true)
                let n = try VideoIO.decode(command.input, into: decoded)
                try writeAtomically(Data("\(n)\n".utf8), to: marker)
                say("decoded \(n) frames at \(probe.frameRate) fps\(probe.hasAudio ? " with audio" : "")")
            }
            inputFrames = try VideoIO.frames(in: decoded)
        }
        let styles = try zip(command.stylePaths, styleSizes).map { path, size in
            try ImageFile.load(path, maxSide: Admission.styleSide(content: frameSize, style: size, options: options)).image
        }
        let resume = try VideoResume(folder: framesFolder, inputs: [command.input] + command.stylePaths, options: options,
                                     frames: inputFrames.count)
        let chunk = try command.chunk().map { (min($0.0, inputFrames.count - 1), min($0.1, inputFrames.count - 1)) }
        let (first, last) = chunk ?? (0, inputFrames.count - 1)
        let start = max(0, first - command.overlap)  // the chunk's lead-in: frames start..<first
        let leadFolder = framesFolder + String(format: "/.overlap-%06d", first + 1)
        if start < first { try FileManager.default.createDirectory(atPath: leadFolder, withIntermediateDirectories: true) }
        var done = first  // this run's own frames present without a gap from `first` are done
        while done <= last && FileManager.default.fileExists(atPath: VideoResume.framePath(framesFolder, done)) { done += 1 }
        if !resume.matched { done = first }
        if chunk == nil { try VideoChunks.crossFade(framesFolder, frames: inputFrames.count, say: say) }
        if done > first { say("resuming: \(done - first) of \(last - first + 1) frames already done") }

        var log = VideoLog(frames: [], temporalError: nil, frameCount: inputFrames.count,
                           temporalWeight: options.temporalWeight)
        var previous: (input: Image, output: Image)?
        var errors: [Double] = []
        for t in start...last {
            let path = inputFrames[t]
            let frame = try ImageFile.load(path).image
            guard frame.width == frameSize.width && frame.height == frameSize.height else {
                throw CLIError("\(path): \(frame.width)x\(frame.height), not the first frame's \(frameSize.width)x\(frameSize.height)")
            }
            let pair = try previous.map { try FramePair(previous: $0.input, current: frame) }
            let target = VideoResume.framePath(t < first ? leadFolder : framesFolder, t)
            var entry = VideoLog.Frame(frame: t + 1)
            let result: Image
            if t >= first && t < done {
                result = try ImageFile.load(target).image
            } else {
                var o = options
                if let pair, let before = previous?.output, options.temporalWeight > 0 {
                    // Ruder et al.: start from the previous result carried along the flow, and stay near it where trusted.
                    let warped = pair.warp(before)
                    o.initialization = .image(warped)
                    o.temporal = TemporalTarget(target: warped, weight: Mask(width: frame.width, height: frame.height,
                                                                             values: pair.consistency))
                }
                let start = Date()
                var last = LossTerms()
                let made = try engine.run(content: frame, styles: styles, options: o) { p in last = p.losses; return true }
                // As the PNG holds it: what the next frame warps and what the error measures.
                result = Image(width: made.width, height: made.height, pixels: made.pixels.map { min(255, max(0, $0.rounded())) })
                try ImageFile(image: result, alpha: nil, sixteenBit: false).save(target)
                entry.seconds = Date().timeIntervalSince(start)
                (entry.content, entry.style, entry.tv, entry.temporal) = (last.content, last.style, last.tv, last.temporal)
            }
            if let pair, let before = previous?.output, let e = pair.temporalError(previous: before, current: result) {
                entry.temporalError = e
                errors.append(e)
            }
            log.frames.append(entry)
            say(entry.line(of: inputFrames.count))
            previous = (frame, result)
        }
        log.temporalError = errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
        if chunk != nil {
            if let path = command.common.log { try log.write(path) }
            say("frames \(first + 1)-\(last + 1) of \(inputFrames.count) in \(framesFolder)"
                + (start < first ? " (overlap \(start + 1)-\(first) in \(leadFolder))" : "") + "; temporal error "
                + (log.temporalError.map { String(format: "%.6f", $0) } ?? "n/a"))
            return
        }
        if outputIsVideo {
            try VideoIO.encode(frames: framesFolder, frameRate: probe?.frameRate ?? command.fps,
                               audioFrom: probe?.hasAudio == true ? command.input : nil, to: output)
        }
        if let path = command.common.log { try log.write(path) }
        if !command.keepFrames && (outputIsVideo || probe != nil) {
            // The decoded input (and a video OUT's frames) are done with.
            try? FileManager.default.removeItem(atPath: work)
        }
        let seconds = log.frames.compactMap(\.seconds)
        let perFrame = seconds.isEmpty ? "" : String(format: ", %.1f s per frame", seconds.reduce(0, +) / Double(seconds.count))
        say("wrote \(output): \(inputFrames.count) frames\(perFrame); temporal error "
            + (log.temporalError.map { String(format: "%.6f", $0) } ?? "n/a")
            + " (mean over \(errors.count) frame pairs, non-occluded pixels)")
    }
}

/// Which stylized frames of an earlier run can be kept: its record (inputs by
/// name, size and time; the options) in the frames folder must match, and then
/// the frames 000001.png ... present without a gap are done. Otherwise the
/// folder's numbered frames are made again.
struct VideoResume {
    let done: Int
    /// Whether the record matched (else every numbered frame was removed).
    let matched: Bool

    static func framePath(_ folder: String, _ t: Int) -> String { folder + String(format: "/%06d.png", t + 1) }

    init(folder: String, inputs: [String], options: TransferOptions, frames: Int) throws {
        let files = inputs.enumerated().compactMap { BatchRecord.File(role: $0.offset == 0 ? "input" : "style", path: $0.element) }
        let record = Record(inputs: files, options: "\(options)", frames: frames)
        let path = folder + "/.stylize-video.json"
        let old = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Record.self, from: $0) }
        if old == record {
            var n = 0
            while n < frames && FileManager.default.fileExists(atPath: Self.framePath(folder, n)) { n += 1 }
            done = n
            matched = true
            return
        }
        for t in 0..<frames { try? FileManager.default.removeItem(atPath: Self.framePath(folder, t)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(record), to: path)
        done = 0
        matched = false
    }

    struct Record: Codable, Equatable {
        var inputs: [BatchRecord.File]
        var options: String
        var frames: Int
    }
}

/// `--log` of a video run: per frame its losses, time and temporal error.
struct VideoLog: Encodable {
    struct Frame: Encodable {
        var frame: Int
        var seconds: Double?
        var content: Double?
        var style: Double?
        var tv: Double?
        var temporal: Double?
        var temporalError: Double?

        init(frame: Int) { self.frame = frame }

        func line(of count: Int) -> String {
            var parts = ["frame \(frame)/\(count)"]
            if let seconds { parts.append(String(format: "%.1f s", seconds)) } else { parts.append("done before") }
            if let style { parts.append(String(format: "style %.4g", style)) }
            if let content { parts.append(String(format: "content %.4g", content)) }
            if let temporalError { parts.append(String(format: "temporal error %.6f", temporalError)) }
            return parts.joined(separator: ", ")
        }
    }

    var frames: [Frame]
    var temporalError: Double?
    var frameCount: Int
    var temporalWeight: Double

    func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try writeAtomically(try encoder.encode(self), to: path)
    }
}

/// Chunks of one video made apart (`--frames FIRST-LAST --overlap K`): a chunk
/// begins K frames early, its first frame stylized on its own, and keeps those
/// K results in .overlap-FIRST beside the frames. The run that writes OUT
/// cross-fades them into the frames the chunk before made there:
///   o_t = (1 − α) o_t(chunk before) + α o_t(this chunk),  α = (t − s + 1) / (K + 1)
/// for t = s ..< FIRST (s = FIRST − K), so the picture passes gradually from one
/// chunk's optimisation to the next's instead of jumping at FIRST.
enum VideoChunks {
    static func crossFade(_ folder: String, frames: Int, say: (String) -> Void) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where name.hasPrefix(".overlap-") {
            let lead = folder + "/" + name
            guard let first = Int(name.dropFirst(".overlap-".count)).map({ $0 - 1 }) else { continue }
            let ts = try VideoIO.frames(in: lead).compactMap { Int(URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent).map { $0 - 1 } }
                .filter { $0 < first }.sorted()
            // Both chunks' frames must be there; else the chunk before is not done yet: leave it.
            guard let s = ts.first, ts.allSatisfy({ FileManager.default.fileExists(atPath: VideoResume.framePath(folder, $0)) }) else { continue }
            let k = first - s
            for t in ts {
                let before = try ImageFile.load(VideoResume.framePath(folder, t)).image
                let after = try ImageFile.load(VideoResume.framePath(lead, t)).image
                let alpha = Float(t - s + 1) / Float(k + 1)
                let pixels = zip(before.pixels, after.pixels).map { ((1 - alpha) * $0 + alpha * $1).rounded() }
                try ImageFile(image: Image(width: before.width, height: before.height, pixels: pixels), alpha: nil, sixteenBit: false)
                    .save(VideoResume.framePath(folder, t))
            }
            try FileManager.default.removeItem(atPath: lead)
            say("cross-faded frames \(s + 1)-\(first) into the chunk from frame \(first + 1)")
        }
    }
}
