import Foundation
import StylizeCHeader
import StyleTransfer

/// A failure on its way to the C caller: a status and a message that names the
/// argument, option or file at fault.
struct ABIError: Error {
    let status: stylize_status
    let message: String

    static func argument(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_INVALID_ARGUMENT, message: message) }
    static func option(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_INVALID_OPTION, message: message) }
    static func model(_ message: String) -> ABIError { ABIError(status: STYLIZE_ERROR_MODEL, message: message) }

    /// Maps the engine's errors to statuses; anything unexpected is a bug.
    init(_ error: Error) {
        switch error {
        case let e as ABIError: self = e
        case TransferError.cancelled: self.init(status: STYLIZE_ERROR_CANCELLED, message: "cancelled by the progress callback")
        case TransferError.invalidOption(let m): self.init(status: STYLIZE_ERROR_INVALID_OPTION, message: "options: \(m)")
        case TransferError.invalidImage(let m): self.init(status: STYLIZE_ERROR_INVALID_ARGUMENT, message: m)
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
        return e.status
    }
}
