import Foundation
import StyleTransfer

/// Runs a batch's items (this shard's): skips those whose record matches,
/// admits the rest on headers and the memory plan before any work (a bad
/// input fails its item, not the batch), loads each model once, then runs
/// items on `jobs` threads sharing one engine, each item reserving its
/// planned peak memory so that items side by side never exceed what the
/// machine can give. Progress is over the batch: items done of total, ETA.
final class BatchRunner: @unchecked Sendable {
    /// Outputs up to this side run all cores' worth of items at once by default;
    /// larger ones one at a time (the engine already fills the cores there).
    static let parallelSide = 256

    let items: [BatchItem]
    let total: Int
    let shard: (Int, Int)?
    let jobs: Int?
    let redo: Bool
    let quiet: Bool

    init(items: [BatchItem], total: Int, shard: (Int, Int)?, jobs: Int?, redo: Bool, quiet: Bool) {
        self.items = items
        self.total = total
        self.shard = shard
        self.jobs = jobs
        self.redo = redo
        self.quiet = quiet
    }

    /// An item admitted to run: its input identities (for the record), its engine and plan.
    struct Job {
        let item: BatchItem
        let inputs: [BatchRecord.File]
        let engine: StyleTransfer
        let contentSize: ImageSize
        let styleSizes: [ImageSize]
        let plan: TransferPlan
    }

    // Progress, shared by the workers (under `lock`).
    private let lock = NSLock()
    private var done = 0, made = 0, skipped = 0, interrupted = 0
    private var failures: [(String, String)] = []
    private var workStart = Date()
    private var finishedRuns = 0, toRun = 0
    private var queued: [Job] = []
    private var next = 0
    /// Loads and saves, one at a time: libvips' error text and the CLI's
    /// temporary-file registration (which a signal removes) are process-wide.
    private let io = NSLock()

    private func say(_ line: String, always: Bool = false) {
        if always || !quiet { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) }
    }

    private func describe(_ error: Error) -> String {
        String(describing: error)  // the one-line description every error of the CLI and engine has
    }

    private func fail(_ item: BatchItem, _ error: Error) {
        lock.lock()
        failures.append((item.origin, describe(error)))
        done += 1
        let n = done
        lock.unlock()
        say("stylize: [\(n)/\(items.count)] FAILED \(item.origin) -> \(item.output): \(describe(error))", always: true)
    }

    /// Whether the item is done already: output and record match its inputs and options.
    private func isDone(_ item: BatchItem, inputs: [BatchRecord.File]) -> Bool {
        !redo && BatchRecord.matches(output: item.output, inputs: inputs, options: item.canonical)
    }

    /// `--dry-run`: one line per item, 'make' or 'skip', on stdout. Returns 0.
    func list() throws -> Int {
        var models: [String?: String] = [:]
        for item in items {
            let model = try models[item.transfer.common.model] ?? item.modelPath()
            models[item.transfer.common.model] = model
            let state: String
            if let inputs = try? item.inputFiles(model: model) { state = isDone(item, inputs: inputs) ? "skip" : "make" } else { state = "fail" }
            print("\(state) \(item.output) <- \(item.inputPaths.joined(separator: " "))\(item.canonical.isEmpty ? "" : " " + item.canonical)")
        }
        return 0
    }

    /// Runs the batch; returns how many items failed.
    func run() throws -> Int {
        let start = Date()
        // Resume: items whose record matches are done. A missing input fails its item.
        var models: [String?: String] = [:]
        var pending: [(BatchItem, [BatchRecord.File], String)] = []
        for item in items {
            let model = try models[item.transfer.common.model] ?? item.modelPath()  // no model at all stops the batch
            models[item.transfer.common.model] = model
            do {
                let inputs = try item.inputFiles(model: model)
                if isDone(item, inputs: inputs) { skipped += 1; done += 1 } else { pending.append((item, inputs, model)) }
            } catch { fail(item, error) }
        }

        // Admission before any work: every header, each model once, each plan against the memory there is.
        var jobList: [Job] = []
        if !pending.isEmpty {
            try VipsRuntime.start()
            var headers: [String: Result<ImageSize, Error>] = [:]
            func header(_ path: String) throws -> ImageSize {
                if headers[path] == nil { headers[path] = Result { try ImageFile.header(path) } }
                return try headers[path]!.get()
            }
            var engines: [String: StyleTransfer] = [:]
            for (_, _, model) in pending where engines[model] == nil {
                engines[model] = StyleTransfer(weights: try ModelLocator.load(model).0)
            }
            AddressSpace.prepareForLimit()  // before admission measures what is mapped
            for (item, inputs, model) in pending {
                do {
                    let fileSize = try header(item.content)
                    try Admission.check(fileSize, name: item.content)
                    let contentSize = fileSize  // the result has the content's size
                    let styleSizes = try item.styles.map(header)
                    for path in item.others { try Admission.check(try header(path), name: path) }
                    let names: (content: String, style: (Int) -> String) = (item.content, { item.styles[$0] })
                    let plan = try engines[model]!.admit(content: fileSize, styles: styleSizes, options: item.options, names: names)
                    jobList.append(Job(item: item, inputs: inputs, engine: engines[model]!, contentSize: contentSize,
                                       styleSizes: styleSizes, plan: plan))
                } catch let error as OptionError {
                    throw error  // a bad option (a layer the model lacks) is the batch's: a usage error before any work
                } catch { fail(item, error) }
            }
        }

        let budget = MemoryBudget(bytes: Admission.availableMemory)
        let largest = jobList.map { job in job.plan.levels.last.map { max($0.width, $0.height) } ?? 0 }.max() ?? 0
        let cores = Self.usableCores
        let workers = max(1, min(jobList.count, jobs ?? (largest <= Self.parallelSide ? cores : 1)))
        say("batch: \(items.count) items" + (shard.map { " (shard \($0.0)/\($0.1) of \(total))" } ?? "")
            + ": \(skipped) done already, \(failures.count) failed before starting, \(jobList.count) to make, \(workers) at a time")

        Interrupt.install()
        Interrupt.deferFirst(true)  // the first Ctrl-C stops the batch after cancelling its runs; nothing half-made is kept
        workStart = Date()
        toRun = jobList.count
        queued = jobList
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let thread = Thread { [self] in
                work(budget)
                finished.leave()
            }
            thread.stackSize = 8 << 20  // the main thread's size: the engine's inlined frames are large
            thread.start()
        }
        finished.wait()
        Interrupt.deferFirst(false)

        let wall = Date().timeIntervalSince(start)
        let notDone = items.count - done
        say("batch: \(items.count) items: \(made) made, \(skipped) skipped (done already), \(failures.count) failed"
            + (Interrupt.requested ? ", \(notDone) not done (interrupted: run the same command again to continue)" : "")
            + " in \(Self.duration(wall))", always: true)
        for (origin, message) in failures { say("  failed: \(origin): \(message)", always: true) }
        if Interrupt.requested { Interrupt.exit() }
        return failures.count
    }

    /// A worker: takes the next job until none is left or Ctrl-C came.
    private func work(_ budget: MemoryBudget) {
        while true {
            lock.lock()
            let k = next
            next += 1
            lock.unlock()
            guard k < queued.count, !Interrupt.requested else { return }
            let job = queued[k]
            budget.reserve(job.plan.estimatedPeakBytes)
            defer { budget.release(job.plan.estimatedPeakBytes) }
            let itemStart = Date()
            do {
                try make(job)
                finishedOne(job.item, seconds: Date().timeIntervalSince(itemStart))
            } catch TransferError.cancelled {
                lock.lock(); interrupted += 1; lock.unlock()
            } catch {
                lock.lock(); finishedRuns += 1; lock.unlock()
                fail(job.item, error)
            }
        }
    }

    private func finishedOne(_ item: BatchItem, seconds: Double) {
        lock.lock()
        made += 1; done += 1; finishedRuns += 1
        let n = done
        let remaining = toRun - finishedRuns
        let eta = Date().timeIntervalSince(workStart) / Double(finishedRuns) * Double(remaining)
        lock.unlock()
        say("[\(n)/\(items.count)] made \(item.output) (\(String(format: "%.1f", seconds)) s)"
            + (remaining > 0 ? "; ETA \(Self.duration(eta))" : ""))
    }

    /// Loads, runs and saves one item, then writes its record.
    private func make(_ job: Job) throws {
        let began = Date()
        let item = job.item, t = item.transfer
        var options = item.options
        let (contentFile, styleFiles): (ImageFile, [ImageFile]) = try io.withLock {
            let contentFile = try ImageFile.load(item.content)
            let styles = try zip(item.styles, job.styleSizes).map { path, size in
                try ImageFile.load(path, maxSide: Admission.styleSide(content: job.contentSize, style: size, options: options))
            }
            // Mask and init image: decoded no larger than the content (as `stylize transfer` does).
            let side = max(job.contentSize.width, job.contentSize.height)
            if let mask = t.mask { options.mask = Mask(image: try ImageFile.load(mask, maxSide: side).image) }
            if let initImage = t.initImage { options.initialization = .image(try ImageFile.load(initImage, maxSide: side).image) }
            return (contentFile, styles)
        }
        var out = contentFile
        options.countTimeLimit(from: began)  // each item's own
        out.image = try job.engine.run(content: contentFile.image, styles: styleFiles.map(\.image), options: options) { _ in
            !Interrupt.requested
        }
        try io.withLock {
            try out.save(item.output)
            try BatchRecord.write(output: item.output, inputs: job.inputs, options: item.canonical)
        }
    }

    /// The CPUs this process may run on: its affinity list (`Cpus_allowed_list`
    /// in /proc/self/status, e.g. "0-3,8"), which a Slurm task or `taskset`
    /// narrows and Foundation's activeProcessorCount does not see.
    static var usableCores: Int {
        let all = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return all }
        var count = 0
        for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            guard let first = ends.first, let last = ends.last, last >= first else { return all }
            count += last - first + 1
        }
        return max(1, min(all, count))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s)s" : s < 3600 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}

/// The memory items running side by side may take together: each reserves its
/// planned peak before it starts and waits while others hold too much. One
/// item alone always starts (admission has checked it fits on its own).
final class MemoryBudget: @unchecked Sendable {
    private let condition = NSCondition()
    private let total: Int
    private var reserved = 0

    init(bytes: Int) { total = bytes }

    func reserve(_ bytes: Int) {
        condition.lock()
        while reserved > 0 && reserved + bytes > total { condition.wait() }
        reserved += bytes
        condition.unlock()
    }

    func release(_ bytes: Int) {
        condition.lock()
        reserved -= bytes
        condition.broadcast()
        condition.unlock()
    }
}
