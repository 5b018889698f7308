import Foundation

/// An image's size, known from its header before any pixel is decoded.
public struct ImageSize: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var pixels: Int { width * height }

    /// The size with the longest side scaled to `longest`, keeping the aspect ratio.
    public func size(longestSide longest: Int) -> (width: Int, height: Int) {
        let scale = Double(longest) / Double(max(width, height))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }
}

extension Image {
    public var imageSize: ImageSize { ImageSize(width: width, height: height) }
}

/// What a run may take on, decided on image headers and the memory plan before
/// any work starts; the same rule for every front door.
public enum Admission {
    /// Refuses an image outside `OptionTable`'s limits. `name` is how the
    /// front door names it (a file, "content", "styles[1]").
    public static func check(_ size: ImageSize, name: String) throws {
        let (w, h) = (size.width, size.height)
        let short = min(w, h), long = max(w, h)
        let rule = "images must be \(OptionTable.minimumSide) to \(OptionTable.maximumSide) px a side, "
            + "at most \(OptionTable.maximumPixels / 1_000_000) megapixels, at most \(OptionTable.maximumAspect):1"
        guard short >= OptionTable.minimumSide, long <= OptionTable.maximumSide,
              w * h <= OptionTable.maximumPixels, long <= OptionTable.maximumAspect * short else {
            throw TransferError.invalidImage("\(name): \(w)x\(h) pixels is outside what Stylize takes (\(rule))")
        }
    }

    /// The longest side a style image is needed at: its size at the last level
    /// (`TransferOptions.styleSize`), so decoding it larger is waste (front doors
    /// decode styles shrunk to this). Never larger than the style, and large
    /// enough that the shrunk style's shorter side keeps the image rule's minimum.
    public static func styleSide(content: ImageSize?, style: ImageSize, options: TransferOptions) -> Int {
        let canvas = content ?? style
        let own = max(style.width, style.height)
        let top = max(options.finalSide(canvas: canvas), options.composeSide(canvas: canvas))  // the largest level
        let needed = options.styleSize(style, levelSide: top, canvas: canvas)
        var side = min(own, max(needed.width, needed.height))
        func shorter(_ s: Int) -> Int { let t = style.size(longestSide: s); return min(t.width, t.height) }
        while side < own && shorter(side) < OptionTable.minimumSide { side += 1 }
        return side
    }

    /// Bytes this process can still be given: the smallest of physical memory,
    /// the cgroup's memory.max and RLIMIT_AS (minus what is mapped already).
    public static var availableMemory: Int {
        var limit = Int.max
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && pageSize > 0 { limit = pages * pageSize }
        limit = min(limit, cgroupHeadroom)
        var rl = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0, rl.rlim_cur != rlim_t.max {  // RLIM_INFINITY
            AddressLimit.mapEngineBuffers()  // so that what is mapped now includes the threads' buffers
            limit = min(limit, Int(clamping: rl.rlim_cur) - mappedBytes)
        }
        return max(0, limit)
    }

    /// The least (limit - usage) over this process's memory cgroup and its parents:
    /// v2 `memory.max` - `memory.current`, v1 `memory.limit_in_bytes` - `memory.usage_in_bytes`.
    static var cgroupHeadroom: Int {
        func number(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return .max }
        var headroom = Int.max
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            let (roots, files): ([String], (String, String))
            if parts[0] == "0" && parts[1].isEmpty {
                (roots, files) = (["/sys/fs/cgroup", "/sys/fs/cgroup/unified"], ("memory.max", "memory.current"))
            } else if parts[1].split(separator: ",").contains("memory") {
                (roots, files) = (["/sys/fs/cgroup/memory"], ("memory.limit_in_bytes", "memory.usage_in_bytes"))
            } else { continue }
            for root in roots {
                var group = parts[2]
                while true {  // the group and each parent up to the root
                    let dir = root + (group == "/" ? "" : group)
                    if let max = number(dir + "/" + files.0) {
                        headroom = min(headroom, max - (number(dir + "/" + files.1) ?? 0))
                    }
                    if group == "/" || group.isEmpty { break }
                    group = (group as NSString).deletingLastPathComponent
                }
            }
        }
        return headroom
    }

    /// Address space mapped now (VmSize), which RLIMIT_AS counts.
    static var mappedBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}

extension StyleTransfer {
    /// Admission: options, image sizes and the memory plan checked against what
    /// the machine can give, from sizes alone. Throws `OptionError`,
    /// `TransferError.invalidImage` or `TransferError.outOfMemory`.
    public func admit(content: ImageSize?, styles: [ImageSize], options: TransferOptions,
                      names: (content: String, style: (Int) -> String) = ("content", { "style \($0 + 1)" })) throws -> TransferPlan {
        if let content { try Admission.check(content, name: names.content) }
        for (i, style) in styles.enumerated() { try Admission.check(style, name: names.style(i)) }
        let plan = try plan(content: content, styles: styles, options: options)
        let available = Admission.availableMemory
        if plan.estimatedPeakBytes > available {
            throw TransferError.outOfMemory(needed: plan.estimatedPeakBytes, available: available)
        }
        return plan
    }
}
