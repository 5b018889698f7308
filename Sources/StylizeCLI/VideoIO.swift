import Foundation

/// Video in and out through the `ffmpeg` and `ffprobe` programs (Debian's
/// ffmpeg package): every container and codec FFmpeg reads, audio kept by
/// stream copy, and no dependency on libav*'s ABI, which changes with each
/// FFmpeg release. Frames travel as numbered PNG files in a work folder.
enum VideoIO {
    static let videoExtensions = ["mp4", "webm", "mov", "gif", "mkv", "m4v", "avi"]
    static let frameExtensions = ["png", "jpg", "jpeg", "tif", "tiff", "webp", "ppm", "bmp"]

    /// Whether `path` names a video file (by its extension) rather than a folder of frames.
    static func isVideoName(_ path: String) -> Bool {
        videoExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    struct Probe {
        var width: Int
        var height: Int
        /// As ffprobe gives it, e.g. "30000/1001": passed on unchanged.
        var frameRate: String
        var hasAudio: Bool
    }

    /// Runs a program; its status and stderr (stdout discarded unless `output`).
    @discardableResult
    static func run(_ program: String, _ arguments: [String], output: Bool = false) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/" + program)
        process.arguments = arguments
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = output ? out : FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CLIError("cannot run \(program) (install Debian's ffmpeg package): \(error.localizedDescription)")
        }
        // Read both pipes to their end before waiting, so a full pipe cannot stall the child.
        final class Box: @unchecked Sendable { var data = Data() }  // written by one thread, read after wait()
        let outData = Box()
        let group = DispatchGroup()
        if output {
            group.enter()
            DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let text = String(decoding: errData, as: UTF8.self)
        return (process.terminationStatus, String(decoding: outData.data, as: UTF8.self), text)
    }

    /// The first line of a tool's complaint.
    static func firstLine(_ text: String) -> String {
        text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "no message"
    }

    /// The video's size, frame rate and whether it has sound; an error line when it is not a video.
    static func probe(_ path: String) throws -> Probe {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        let (status, out, err) = try run("ffprobe", ["-v", "error", "-show_entries",
                                                     "stream=codec_type,width,height,r_frame_rate", "-of", "json", path],
                                         output: true)
        guard status == 0 else { throw CLIError("\(path): not a video FFmpeg can read (\(firstLine(err)))") }
        struct Streams: Decodable {
            struct Stream: Decodable { var codec_type: String?; var width: Int?; var height: Int?; var r_frame_rate: String? }
            var streams: [Stream]
        }
        guard let streams = try? JSONDecoder().decode(Streams.self, from: Data(out.utf8)).streams,
              let video = streams.first(where: { $0.codec_type == "video" }),
              let w = video.width, let h = video.height, w > 0, h > 0 else {
            throw CLIError("\(path): not a video (no video stream)")
        }
        let rate = video.r_frame_rate.flatMap { $0 == "0/0" ? nil : $0 } ?? "25"
        return Probe(width: w, height: h, frameRate: rate, hasAudio: streams.contains { $0.codec_type == "audio" })
    }

    /// Every frame of the first video stream as FOLDER/000001.png, ... (one file per
    /// decoded frame: no frame dropped or repeated, whatever the timestamps).
    static func decode(_ path: String, into folder: String) throws -> Int {
        let (status, _, err) = try run("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", path, "-map", "0:v:0",
                                                  "-fps_mode", "passthrough", "-start_number", "1",
                                                  folder + "/%06d.png"])
        guard status == 0 else { throw CLIError("\(path): cannot decode (\(firstLine(err)))") }
        return try frames(in: folder).count
    }

    /// The image files of a folder in frame order: by the number in their name
    /// (frame_2 before frame_10), then by name.
    static func frames(in folder: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw CLIError("\(folder): cannot read the folder")
        }
        func number(_ name: String) -> Int {
            let digits = name.reversed().drop { !$0.isNumber }.prefix { $0.isNumber }
            return Int(String(digits.reversed())) ?? -1
        }
        return names.filter { !$0.hasPrefix(".") && frameExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
            .sorted { (number($0), $0) < (number($1), $1) }
            .map { folder + "/" + $0 }
    }

    /// FOLDER/000001.png ... as the video `output` at `frameRate`, with the audio
    /// streams of `audioFrom` copied as they are (re-encoded only when the
    /// container cannot hold them). Written to a temporary file, then renamed.
    static func encode(frames folder: String, frameRate: String, audioFrom: String?, to output: String) throws {
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        let formats = ["mp4": "mp4", "m4v": "mp4", "mov": "mov", "webm": "webm", "gif": "gif", "mkv": "matroska", "avi": "avi"]
        let format = formats[ext] ?? "mp4"
        let temp = output + ".tmp-\(getpid())"
        TempFiles.register(temp)
        defer { TempFiles.unregister() }
        var video: [String]
        switch format {
        case "gif":
            video = ["-filter_complex", "[0:v]split[a][b];[a]palettegen[p];[b][p]paletteuse"]
        case "webm":
            video = ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "30", "-pix_fmt", "yuv420p"]
        default:
            // yuv420p (what players expect) needs even sides: one mirrored pixel is added to an odd one.
            video = ["-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
        }
        let input = ["-v", "error", "-nostdin", "-y", "-framerate", frameRate, "-start_number", "1", "-i", folder + "/%06d.png"]
        let audio = format != "gif" && audioFrom != nil
        func attempt(_ audioCodec: [String]) throws -> (Int32, String) {
            var args = input
            if audio { args += ["-i", audioFrom!, "-map", "0:v:0", "-map", "1:a?"] + audioCodec }
            args += video + ["-f", format, temp]
            let (status, _, err) = try run("ffmpeg", args)
            return (status, err)
        }
        var (status, err) = try attempt(["-c:a", "copy"])
        if status != 0 && audio {
            // The source's audio codec has no place in this container (Vorbis in MP4, AAC in WebM).
            (status, err) = try attempt(["-c:a", format == "webm" ? "libopus" : "aac"])
        }
        guard status == 0 else {
            unlink(temp)
            throw CLIError("\(output): cannot encode (\(firstLine(err)))")
        }
        guard rename(temp, output) == 0 else {
            unlink(temp)
            throw CLIError("\(output): cannot move into place")
        }
    }
}
