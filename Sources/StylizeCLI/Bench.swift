import ArgumentParser
import COpenBLAS
import Foundation
import StyleTransfer

/// `stylize bench`: seconds per iteration (one forward + one backward through
/// VGG16 to conv5_1, content relu4_2, style relu1_1..relu5_1) per image size,
/// next to this machine's own sgemm rate, measured in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure seconds per iteration, GFLOP/s and peak memory on this machine.")

    @Option(help: "Square image sizes to measure.")
    var sizes = "256,384,512"

    @Option(help: "Timed iterations per size (the median is reported).")
    var repeats = 10

    @Option(help: "Threads for the engine, OpenBLAS running inside them (default: all cores, at most 8).")
    var threads: Int?

    @Option(help: "Model file (default: $STYLIZE_MODEL, then the installed VGG16).")
    var model: String?

    @Option(help: "The engine's own loops (Winograd transforms, ReLU, pooling): swift (the reference), default, avx2 or avx512f (default: the widest this CPU has).")
    var kernels: String?

    @Flag(help: "After each size's table row, print median milliseconds per layer (forward, and backward with the losses at that layer).")
    var profile = false

    @Option(help: "CONTENT,STYLE: instead of timing, run 100 iterations of L-BFGS and of Adam at the first size and print the loss at 0, 25, 50 and 100 with wall time.")
    var convergence: String?

    /// Every size, or a usage error naming the one that is not a size in 16...4096.
    var sizeList: [Int] {
        get throws {
            try sizes.split(separator: ",", omittingEmptySubsequences: false).map { item in
                guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (16...4096).contains(n) else {
                    throw ValidationError("--sizes: '\(item)' is not a size in 16...4096")
                }
                return n
            }
        }
    }

    /// Which GEMM kernels this run gets: OpenBLAS's own words (its build and the core it chose,
    /// which OPENBLAS_CORETYPE overrides, and whether the tool set it: `BLASCore`) and the
    /// vector units the CPU has.
    static var kernels: String {
        let env = ProcessInfo.processInfo.environment
        let forced = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"].compactMap { k in env[k].map { "\(k)=\($0)" } }
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        let units = ["avx2", "fma", "avx512f"].filter(flags.contains)
        return "OpenBLAS: \(String(cString: openblas_get_config())), core \(BLASCore.current)"
            + (forced.isEmpty ? " (its own choice)"
               : env[BLASCore.fallbackVariable].map { " (\(forced.joined(separator: ", ")) set by stylize: OpenBLAS chose \($0) for this CPU)" }
               ?? " (set by \(forced.joined(separator: ", ")))")
            + "; CPU has \(units.isEmpty ? "none of avx2, fma, avx512f" : units.joined(separator: ", "))"
    }

    /// The engine's kernel path: --kernels, or the CPU's widest.
    var kernelPath: KernelPath {
        get throws {
            guard let kernels else { return .best }
            guard let path = KernelPath(name: kernels) else {
                throw ValidationError("--kernels: '\(kernels)' is not one this CPU runs (\(KernelPath.available.map(\.description).joined(separator: ", ")))")
            }
            return path
        }
    }

    func validate() throws {
        _ = try sizeList
        _ = try kernelPath
        guard repeats >= 1 else { throw ValidationError("--repeats: \(repeats) is out of range (1 or more)") }
        if let threads, threads < 1 { throw ValidationError("--threads: \(threads) is out of range (1 or more)") }
    }

    mutating func run() throws {
        try reportingErrors {
            let sizeList = try self.sizeList
            if let threads {
                setEngineThreads(threads)
            }
            let (weights, path, _) = try ModelLocator.load(model)
            let kernelPath = try self.kernelPath
            let network = FeatureNetwork(weights: weights, kernels: kernelPath)
            let cores = ProcessInfo.processInfo.activeProcessorCount
            print("model \(path); \(weights.topology.rawValue) to conv5_1; \(engineThreads) threads on \(cores) cores")
            print(Self.kernels)
            print("Engine kernels: \(kernelPath)" + (kernels == nil ? " (the CPU's widest" : " (set by --kernels; the CPU's widest is \(KernelPath.best)")
                  + "; transforms, ReLU, pooling; runnable here: \(KernelPath.available.map(\.description).joined(separator: ", ")))")
            if let convergence {
                try runConvergence(convergence, network: network, size: sizeList[0])
                return
            }
            let sgemm = sgemmRate(n: 1024)
            print(String(format: "cblas_sgemm 1024^3 (%d threads): %.1f GFLOP/s", engineThreads, sgemm))
            print("")
            print("| size | s/iter median [min-max] | forward s | GFLOP/iter | GFLOP/s | % of sgemm | peak RSS MB | CPU s/iter |")
            print("|---|---|---|---|---|---|---|---|")
            var options = TransferOptions()
            options.tvWeight = 0
            for s in sizeList {
                var rng = SplitMix64(seed: UInt64(s))
                let noise = { Image(width: s, height: s, pixels: (0..<(3 * s * s)).map { _ in Float.random(in: 0..<255, using: &rng) }) }
                let content = noise(), style = noise()
                let objective = try TransferObjective(network: network, width: s, height: s, content: content,
                                                  styles: [style], options: options)
                let x = noise().pixels
                for _ in 0..<2 { _ = objective.evaluate(x) }  // warm-up: page faults, thread pools
                let layerTimes = profile ? objective.startProfiling() : nil
                var times: [Double] = []
                let cpu0 = processCPUSeconds()
                for _ in 0..<repeats {
                    let t0 = Date()
                    _ = objective.evaluate(x)
                    times.append(Date().timeIntervalSince(t0))
                }
                // CPU seconds of all threads: on a shared machine less disturbed by others' load than wall time.
                let cpu = (processCPUSeconds() - cpu0) / Double(repeats)
                times.sort()
                let rss = peakRSSMegabytes()  // before forwardTime's own buffers
                let forward = try forwardTime(network, size: s, pixels: x)
                // The reference formula: 1,149,696 * S^2 FLOP per iteration (convolutions, forward + input gradient).
                let flop = 1_149_696.0 * Double(s * s)
                let median = times[times.count / 2]
                print(String(format: "| %d | %.3f [%.3f-%.3f] | %.3f | %.1f | %.1f | %.0f%% | %.0f | %.3f |",
                             s, median, times.first!, times.last!, forward, flop / 1e9, flop / median / 1e9,
                             100 * flop / median / 1e9 / sgemm, rss, cpu))
                if let layerTimes { printProfile(layerTimes, network: network) }
            }
        }
    }

    /// Per-layer milliseconds (medians over the timed evaluations), as a table under the size's row.
    func printProfile(_ p: FeatureNetwork.LayerProfile, network: FeatureNetwork) {
        let forward = p.forward.map(FeatureNetwork.LayerProfile.median)
        let backward = p.backward.map(FeatureNetwork.LayerProfile.median)
        print("")
        print("| layer | forward ms | backward ms (with losses) |")
        print("|---|---|---|")
        for i in forward.indices {
            print(String(format: "| %@ | %.1f | %.1f |", network.layers[i].name, 1e3 * forward[i], 1e3 * backward[i]))
        }
        print(String(format: "| sum | %.1f | %.1f |", 1e3 * forward.reduce(0, +), 1e3 * backward.reduce(0, +)))
        print("")
    }

    func runConvergence(_ files: String, network: FeatureNetwork, size: Int) throws {
        let paths = files.split(separator: ",").map(String.init)
        guard paths.count == 2 else { throw CLIError("--convergence needs CONTENT,STYLE") }
        let content = try ImageFile.load(paths[0]).image, style = try ImageFile.load(paths[1]).image
        let engine = StyleTransfer(network: network)
        print("| optimiser | wall s | loss at 0 | at 25 | at 50 | at 100 | evaluations |")
        print("|---|---|---|---|---|---|---|")
        for kind in OptimizerKind.allCases {
            var options = TransferOptions()
            options.size = size
            options.iterations = 100
            options.scales = 1  // one size, comparable with the reference figures
            options.optimizer = kind
            var losses: [Int: Double] = [:], last: TransferProgress?
            _ = try engine.run(content: content, styles: [style], options: options) { p in
                if [0, 25, 50, 100].contains(p.iteration) { losses[p.iteration] = p.losses.total }
                last = p
                return true
            }
            print(String(format: "| %@ | %.1f | %.4g | %.4g | %.4g | %.4g | %d |", kind.rawValue, last!.elapsed,
                         losses[0]!, losses[25]!, losses[50]!, losses[100]!, last!.evaluations))
        }
    }

    func forwardTime(_ network: FeatureNetwork, size s: Int, pixels: [Float]) throws -> Double {
        let pass = try network.makePass(height: s, width: s, through: network.layerIndex("relu5_1")!, forwardOnly: true)
        network.forward(pass, pixels: pixels)
        var times: [Double] = []
        for _ in 0..<max(3, repeats / 2) {
            let t0 = Date()
            network.forward(pass, pixels: pixels)
            times.append(Date().timeIntervalSince(t0))
        }
        return times.sorted()[times.count / 2]
    }

    /// GFLOP/s of one n x n x n cblas_sgemm on OpenBLAS's own threads (as many
    /// as the engine's), best of 5: the ceiling the engine's figures compare with.
    func sgemmRate(n: Int) -> Double {
        openblas_set_num_threads(Int32(engineThreads))
        defer { openblas_set_num_threads(1) }  // the engine calls OpenBLAS from its own threads
        var a = [Float](repeating: 0, count: n * n)
        var rng = SplitMix64(seed: 1)
        for i in a.indices { a[i] = Float.random(in: -1...1, using: &rng) }
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = Date()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                        1, a, Int32(n), a, Int32(n), 0, &c, Int32(n))
            best = min(best, Date().timeIntervalSince(t0))
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}

/// User + system CPU seconds of this process (all threads) so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Peak resident memory of this process so far (getrusage, kilobytes on Linux).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
