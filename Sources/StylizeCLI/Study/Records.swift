import Foundation

// What study.json holds, as Codable records (keys are the property names,
// sorted when written). Each experiment's `numbers` has its own record type.

/// study.json: settings, machine, timing, inputs and every experiment's numbers.
struct StudyDocument: Encodable {
    struct Inputs: Codable {
        var content: [String]
        var style: [String]
    }
    var settings: SettingsRecord
    var machine: Machine
    var timing: Timing
    var inputs: Inputs
    var experiments: [ExperimentReport]

    /// Pretty-printed with sorted keys, so reruns diff cleanly.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// JSON has no NaN or infinity: a measure that is not finite (the PSNR of
/// equal images, a loss that was never reached) is written as null and read
/// back as NaN.
@propertyWrapper struct JSONNumber: Codable {
    var wrappedValue: Double

    init(wrappedValue: Double) { self.wrappedValue = wrappedValue }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? .nan : try c.decode(Double.self)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if wrappedValue.isFinite { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

/// `JSONNumber` for a list: non-finite entries are null.
@propertyWrapper struct JSONNumbers: Codable {
    var wrappedValue: [Double]

    init(wrappedValue: [Double]) { self.wrappedValue = wrappedValue }

    init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode([Double?].self).map { $0 ?? .nan }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(wrappedValue.map { $0.isFinite ? $0 : nil })
    }
}

/// The study's settings as study.json and the report's settings table show
/// them (the transfer defaults the runs start from included).
struct SettingsRecord: Codable {
    var quick: Bool
    var size: Int
    var iterations: Int
    var sweepIterations: [Int]
    var contentWeights: [Double]
    var styleWeights: [Double]
    var reconstructionLayers: [String]
    var seedLayer: String
    var textureLayers: [String]
    var seeds: [UInt64]
    var gramCandidates: Int
    var contentWeight: Double
    var styleWeight: Double
    var tvWeight: Double
    var contentLayers: [String]
    var styleLayers: [String]
    var optimizer: String
    var pooling: String
}

struct Machine: Codable {
    var cores: Int
    var cpu: String
    var memoryGiB: Double
    var os: String

    static var current: Machine {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        let cpu = line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
        let info = ProcessInfo.processInfo
        return Machine(cores: info.activeProcessorCount, cpu: cpu, memoryGiB: Double(info.physicalMemory) / 1_073_741_824,
                       os: info.operatingSystemVersionString)
    }
}

struct Timing: Codable {
    var secondsThisInvocation: Double
    var computeSecondsAllRuns: Double
    var runsComputed: Int
    var runsCached: Int
    var iterationsComputed: Int
}

/// Experiment 1: reconstruction from each layer, and two seeds at one layer.
struct ReconstructionNumbers: Codable {
    struct Layer: Codable {
        var layer: String
        @JSONNumber var psnr: Double
        @JSONNumber var ssim: Double
        @JSONNumber var finalLoss: Double
        var seconds: Double
        var seed: UInt64
    }
    struct Seeds: Codable {
        var layer: String
        var seeds: [UInt64]
        @JSONNumber var psnrBetweenSeeds: Double
        @JSONNumber var ssimBetweenSeeds: Double
        @JSONNumbers var psnrToContent: [Double]
        @JSONNumbers var ssimToContent: [Double]
    }
    var content: String
    var layers: [Layer]
    var seedComparison: Seeds
}

/// Experiment 2: texture from growing layer sets, and two seeds.
struct TextureNumbers: Codable {
    struct Configuration: Codable {
        var layers: [String]
        @JSONNumber var styleDistance: Double
        @JSONNumber var finalLoss: Double
        var seconds: Double
    }
    struct Seeds: Codable {
        var layers: [String]
        var seeds: [UInt64]
        @JSONNumber var psnrBetweenSeeds: Double
        @JSONNumber var ssimBetweenSeeds: Double
        @JSONNumbers var styleDistance: [Double]
    }
    var style: String
    var configurations: [Configuration]
    var seedComparison: Seeds
}

/// Experiment 3: snapshots of one run, and the content and style weight sweeps.
struct SweepNumbers: Codable {
    struct Snapshot: Codable {
        var iterations: Int
        @JSONNumber var loss: Double
        @JSONNumber var ssimToContent: Double
        @JSONNumber var styleDistance: Double
    }
    struct Weight: Codable {
        var value: Double
        @JSONNumber var ssimToContent: Double
        @JSONNumber var styleDistance: Double
        @JSONNumber var finalLoss: Double
        @JSONNumber var finalContentLoss: Double
        @JSONNumber var finalStyleLoss: Double
        var seconds: Double
    }
    var iterations: [Snapshot]
    var contentWeight: [Weight]
    var styleWeight: [Weight]
    var iterationCurve: [RunRecord.Point]
}

/// Experiment 4: every content x every style.
struct GridNumbers: Codable {
    struct Cell: Codable {
        var content: String
        var style: String
        @JSONNumber var ssimToContent: Double
        @JSONNumber var styleDistance: Double
        @JSONNumber var finalLoss: Double
        var seconds: Double
    }
    var cells: [Cell]
}

/// Experiment 5: noise vs content initialisation.
struct InitNumbers: Codable {
    struct Run: Codable {
        var initialization: String
        @JSONNumber var target: Double
        /// -1: never reached.
        var iterationsToTarget: Int
        var secondsToTarget: Double
        @JSONNumber var finalLoss: Double
        var seconds: Double
        @JSONNumber var ssimToContent: Double
        enum CodingKeys: String, CodingKey {
            case initialization = "init", target, iterationsToTarget, secondsToTarget, finalLoss, seconds, ssimToContent
        }
    }
    struct Point: Codable {
        var iteration: Int
        var seconds: Double
        var total: Double
    }
    struct Curve: Codable {
        var initialization: String
        var curve: [Point]
        enum CodingKeys: String, CodingKey { case initialization = "init", curve }
    }
    var runs: [Run]
    var curves: [Curve]
}

/// Experiment 6: the normalised Gram against un-normalised ones at several style weights.
struct GramNumbers: Codable {
    struct LayerFactor: Codable {
        var layer: String
        var hwSquared: Double
    }
    struct Candidate: Codable {
        var factor: Double
        var styleWeight: Double
        @JSONNumber var ssimToNormalised: Double
        @JSONNumber var psnrToNormalised: Double
        @JSONNumber var styleDistance: Double
        @JSONNumber var ssimToContent: Double
        @JSONNumber var finalLoss: Double
        @JSONNumber var equalInitialLossFactor: Double
    }
    var layerFactors: [LayerFactor]
    var normalisedStyleWeight: Double
    var candidates: [Candidate]
    var bestFactor: Double
    @JSONNumber var equalInitialLossFactor: Double
}
