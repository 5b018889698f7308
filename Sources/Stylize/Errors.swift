import Foundation
import StylizeCHeader
import StyleTransfer

/// A failure on its way to the C caller: a status and a message that names the
/// argument, option or file at fault.
struct ABIError: Error {
    let status: stylize_status
    let message: String
    /// The option at fault and the problem without its name (for hosts that spell it their own way).
    var option: OptionKey?
    var problem = ""

    static func argument(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_INVALID_ARGUMENT, message: message) }
    static func option(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_INVALID_OPTION, message: message) }
    static func model(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_MODEL, message: message) }

    /// Maps the engine's errors to statuses; anything unexpected is a bug.
    init(_ error: Error) {
        switch error {
        case let e as ABIError: self = e
        case TransferError.cancelled: self.init(status: STYLIZE_ERROR_CANCELLED, message: "cancelled by the progress callback")
        case let e as OptionError:
            let name = OptionTable[e.key].c.map { "options->\($0)" } ?? OptionTable[e.key].cli
            self.init(status: STYLIZE_ERROR_INVALID_OPTION, message: e.message(naming: name))
            option = e.key
            problem = e.problem
        case TransferError.invalidImage(let m): self.init(status: STYLIZE_ERROR_INVALID_ARGUMENT, message: m)
        case let e as TransferError where e.isOutOfMemory:
            self.init(status: STYLIZE_ERROR_OUT_OF_MEMORY,
                      message: e.memoryMessage(size: "options->size", maxMemory: "options->max_memory"))
        case TransferError.diverged(let m): self.init(status: STYLIZE_ERROR_DIVERGED, message: m)
        case let e as ModelError: self.init(status: STYLIZE_ERROR_MODEL, message: e.description)
        default: self.init(status: STYLIZE_ERROR_INTERNAL, message: "internal error: \(error)")
        }
    }

    init(status: stylize_status, message: String) {
        self.status = status
        self.message = message
    }
}

/// Per-thread last error: one fixed buffer per thread under a pthread key,
/// overwritten in place, so a pointer from stylize_last_error() never dangles
/// (it only changes text). Freed when the thread exits.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()
private let lastErrorCapacity = 2048

private func lastErrorBuffer() -> UnsafeMutablePointer<CChar>? {
    if let p = pthread_getspecific(lastErrorKey) { return p.assumingMemoryBound(to: CChar.self) }
    guard let p = calloc(lastErrorCapacity, 1) else { return nil }
    pthread_setspecific(lastErrorKey, p)
    return p.assumingMemoryBound(to: CChar.self)
}

func setLastError(_ message: String) {
    guard let buffer = lastErrorBuffer() else { return }  // no memory: the status alone must do
    var bytes = Array(message.utf8.prefix(lastErrorCapacity - 1))
    if bytes.count < message.utf8.count {  // cut at a character boundary, not inside one
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
    }
    for (i, byte) in bytes.enumerated() { buffer[i] = CChar(bitPattern: byte) }
    buffer[bytes.count] = 0
}

func lastErrorPointer() -> UnsafePointer<CChar> {
    if let p = pthread_getspecific(lastErrorKey) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
    return cString("")
}

/// A C string for a Swift string literal (static, NUL-terminated, never freed).
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Runs a C entry point's body: every thrown error becomes a status and this
/// thread's last error.
func guarded(_ body: () throws -> Void) -> stylize_status {
    do {
        try body()
        return STYLIZE_OK
    } catch {
        let e = ABIError(error)
        setLastError(e.message)
        LastErrorOption.set(e.option, problem: e.problem)
        return e.status
    }
}

extension TransferError {
    var isOutOfMemory: Bool {
        switch self {
        case .outOfMemory, .allocationFailed: return true
        default: return false
        }
    }
}

/// This thread's last option at fault (an index into the table, -1 = none) and its problem text.
enum LastErrorOption {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()
    private static let problemCapacity = 1024

    /// [index as Int32][problem, NUL-terminated] in one per-thread buffer, like the last error.
    private static func buffer() -> UnsafeMutableRawPointer? {
        if let p = pthread_getspecific(key) { return p }
        guard let p = calloc(8 + problemCapacity, 1) else { return nil }
        p.storeBytes(of: Int32(-1), as: Int32.self)
        pthread_setspecific(key, p)
        return p
    }

    static func set(_ option: OptionKey?, problem: String) {
        guard let p = buffer() else { return }
        p.storeBytes(of: Int32(option.flatMap { o in OptionTable.all.firstIndex { $0.key == o } } ?? -1), as: Int32.self)
        let bytes = Array(problem.utf8.prefix(problemCapacity - 1))
        let text = (p + 8).assumingMemoryBound(to: UInt8.self)
        for (i, b) in bytes.enumerated() { text[i] = b }
        text[bytes.count] = 0
    }

    static var index: Int32 { pthread_getspecific(key)?.load(as: Int32.self) ?? -1 }
    static var problem: UnsafePointer<CChar> {
        guard let p = pthread_getspecific(key) else { return cString("") }
        return UnsafePointer((p + 8).assumingMemoryBound(to: CChar.self))
    }
}
