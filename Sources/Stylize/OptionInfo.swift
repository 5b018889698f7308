import Foundation
import StylizeCHeader
import StyleTransfer

// The engine's option table as C structs, for hosts that build their own
// argument tables from it (the vips module, the GIMP plug-in). Made once;
// the strings and structs live as long as the process.

nonisolated(unsafe) private let infos: UnsafeMutablePointer<stylize_option_info> = {  // written once, then only read
    let table = OptionTable.all
    let p = UnsafeMutablePointer<stylize_option_info>.allocate(capacity: table.count)
    func c(_ s: String?) -> UnsafePointer<CChar>? { s.map { UnsafePointer(strdup($0)!) } }
    let types: [OptionSpec.Kind: stylize_option_type] = [
        .integer: STYLIZE_OPTION_INTEGER, .real: STYLIZE_OPTION_REAL, .choice: STYLIZE_OPTION_CHOICE,
        .layers: STYLIZE_OPTION_LAYERS, .list: STYLIZE_OPTION_LIST, .bytes: STYLIZE_OPTION_BYTES,
        .image: STYLIZE_OPTION_IMAGE, .path: STYLIZE_OPTION_PATH,
    ]
    for (i, spec) in table.enumerated() {
        let defaultValue = spec.kind == .choice ? Double(spec.choices.firstIndex(of: spec.defaultText) ?? 0) : spec.defaultValue
        p[i] = stylize_option_info(
            field: c(spec.c), cli: c(spec.cli), vips: c(spec.vips), gimp: c(spec.gimp), label: c(spec.label),
            help: c(spec.fullHelp), unit: c(spec.unit), type: types[spec.kind]!, minimum: spec.minimum,
            maximum: spec.maximum, minimum_exclusive: spec.lowerExclusive ? 1 : 0, default_value: defaultValue,
            default_text: c(spec.defaultText), choices: c(spec.choices.joined(separator: ",")))
    }
    return p
}()


@_cdecl("stylize_option_count")
public func cOptionCount() -> Int32 { Int32(OptionTable.all.count) }

@_cdecl("stylize_option_at")
public func cOptionAt(_ index: Int32) -> UnsafePointer<stylize_option_info>? {
    (0..<Int32(OptionTable.all.count)).contains(index) ? UnsafePointer(infos + Int(index)) : nil
}

@_cdecl("stylize_option_find")
public func cOptionFind(_ name: UnsafePointer<CChar>?) -> UnsafePointer<stylize_option_info>? {
    guard let name, let text = String(validatingCString: name), let spec = OptionTable.find(text),
          let i = OptionTable.all.firstIndex(where: { $0.key == spec.key }) else { return nil }
    return UnsafePointer(infos + i)
}

@_cdecl("stylize_last_error_option")
public func cLastErrorOption() -> UnsafePointer<stylize_option_info>? { cOptionAt(LastErrorOption.index) }

@_cdecl("stylize_last_error_problem")
public func cLastErrorProblem() -> UnsafePointer<CChar> { LastErrorOption.problem }

@_cdecl("stylize_parse_bytes")
public func cParseBytes(_ text: UnsafePointer<CChar>?, _ bytes: UnsafeMutablePointer<UInt64>?) -> stylize_status {
    guarded {
        guard let bytes else { throw ABIError.argument("bytes is NULL") }
        guard let text, let s = String(validatingCString: text) else { throw ABIError.argument("text is NULL or not UTF-8") }
        bytes.pointee = UInt64(try OptionTable.bytes(.maxMemory, s))
    }
}
