import StyleTransfer

/// libFuzzer target: the option-string parsers every front door shares (CLI
/// flags, vips arguments, GIMP fields). The first byte picks the parser, the
/// rest is the text. Property: each parser returns values inside the option
/// table's range or throws an OptionError for that option; never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOptions(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    func expect<T>(_ key: OptionKey, _ parse: () throws -> T, _ valid: (T) -> Bool) {
        do {
            let value = try parse()
            precondition(valid(value), "\(key) parsed '\(text)' to \(value), outside the table")
        } catch let e as OptionError {
            precondition(e.key == key, "error for \(e.key) while parsing \(key)")
            precondition(!e.problem.isEmpty)
        } catch {
            fatalError("\(key) threw \(error), not an OptionError")
        }
    }
    switch data[0] % 6 {
    case 0, 1:  // layer lists with weights: "relu1_1:0.5,relu2_1"
        let key: OptionKey = data[0] % 6 == 0 ? .contentLayers : .styleLayers
        expect(key, { try LayerWeight.parseList(text, key: key) }) { layers in
            layers.allSatisfy { !$0.name.isEmpty && OptionTable[key].admits($0.weight) }
        }
    case 2:  // --scale-iterations 100,200
        expect(.scaleIterations, { try OptionTable.numbers(.scaleIterations, text) }) {
            $0.allSatisfy { OptionTable[.scaleIterations].admits($0) }
        }
    case 3:  // --style-blend 0.7,0.3
        expect(.styleBlend, { try OptionTable.numbers(.styleBlend, text) }) {
            $0.allSatisfy { OptionTable[.styleBlend].admits($0) }
        }
    case 4:  // --max-memory 2G
        expect(.maxMemory, { try OptionTable.bytes(.maxMemory, text) }) { OptionTable[.maxMemory].admits(Double($0)) }
        if let n = parseByteCount(text) { precondition(n >= 0, "'\(text)' parsed to \(n) bytes") }
    default:  // choices and option names
        for key in OptionKey.allCases where !OptionTable[key].choices.isEmpty {
            expect(key, { try OptionTable.choiceIndex(key, text) }) { $0 < OptionTable[key].choices.count }
        }
        _ = OptionTable.find(text)
    }
    return 0
}
