import Testing
@testable import StyleTransfer

/// The option table is the one declaration of every option: these tests keep
/// it whole (every key once, defaults in range, the validator using its ranges).
@Suite struct OptionTableTests {
    @Test func everyKeyHasOneEntryAndUniqueSpellings() {
        #expect(OptionTable.all.map(\.key) == OptionKey.allCases)
        for door in [\OptionSpec.cli, \OptionSpec.c, \OptionSpec.vips, \OptionSpec.gimp, \OptionSpec.label] as [PartialKeyPath<OptionSpec>] {
            let names = OptionTable.all.compactMap { $0[keyPath: door] as? String }
            #expect(Set(names).count == names.count, "a spelling is used twice: \(names)")
        }
        for spec in OptionTable.all {
            #expect(OptionTable.find(spec.cli)?.key == spec.key)
            if let c = spec.c { #expect(OptionTable.find(c)?.key == spec.key) }
        }
    }

    @Test func numericDefaultsAreInTheirRanges() {
        for spec in OptionTable.all where [.integer, .real].contains(spec.kind) {
            #expect(spec.admits(spec.defaultValue), "\(spec.cli) default \(spec.defaultText) outside \(spec.rangeText)")
        }
        for spec in OptionTable.all where spec.kind == .choice {
            #expect(spec.choices.contains(spec.defaultText), "\(spec.cli)")
        }
    }

    @Test func choiceValuesFollowTheirNames() throws {
        #expect(OptionTable.initializations.count == OptionTable[.initialization].choices.count)
        #expect(try OptionTable.choice(.initialization, "noise", in: OptionTable.initializations) == .noise)
        #expect(try OptionTable.choice(.pooling, "avg", in: OptionTable.poolings) == .average)
        #expect(throws: OptionError.self) { try OptionTable.choice(.optimizer, "sgd", in: OptionTable.optimizers) }
    }

    @Test func defaultsPassTheValidator() throws {
        try TransferOptions().validate(styleCount: 1)
    }

    /// For every number: the bounds pass, just outside, NaN and infinity fail with that option's key.
    @Test func validatorUsesTheTableRanges() throws {
        let setters: [OptionKey: (inout TransferOptions, Double) -> Void] = [
            .size: { $0.size = Int($1) }, .iterations: { $0.iterations = Int($1) },
            .contentWeight: { $0.contentWeight = $1 }, .styleWeight: { $0.styleWeight = $1 },
            .tvWeight: { $0.tvWeight = $1 }, .learningRate: { $0.learningRate = $1 },
            .styleScale: { $0.styleScale = $1 }, .scales: { $0.scales = Int($1) },
        ]
        for (key, set) in setters {
            let spec = OptionTable[key]
            var bad = [spec.maximum + (spec.kind == .integer ? 1 : spec.maximum * 1e-6)]
            bad.append(spec.lowerExclusive ? spec.minimum : spec.minimum - 1)
            if spec.kind == .real { bad += [.nan, .infinity] }
            for value in bad {
                var o = TransferOptions()
                set(&o, value)
                #expect(throws: OptionError.self, "\(spec.cli) \(value)") { try o.validate(styleCount: 1) }
                do { try o.validate(styleCount: 1) } catch let e as OptionError { #expect(e.key == key) }
            }
            for value in [spec.lowerExclusive ? spec.minimum + 1e-3 : spec.minimum, spec.maximum] {
                var o = TransferOptions()
                set(&o, value)
                #expect(throws: Never.self, "\(spec.cli) \(value)") { try o.validate(styleCount: 1) }
            }
        }
    }

    @Test func layerListsAndByteSizes() throws {
        #expect(try LayerWeight.parseList("relu1_1:0.5, relu2_1", key: .styleLayers) == [LayerWeight("relu1_1", 0.5), LayerWeight("relu2_1")])
        #expect(try LayerWeight.parseList("", key: .styleLayers).isEmpty)
        for text in [",,,", "relu1_1:abc", "relu1_1:-1", "relu1_1:nan", ":2"] {
            #expect(throws: OptionError.self, "\(text)") { try LayerWeight.parseList(text, key: .styleLayers) }
        }
        #expect(try OptionTable.bytes(.maxMemory, "2G") == 2 << 30)
        #expect(try OptionTable.bytes(.maxMemory, "512M") == 512 << 20)
        for text in ["abc", "1K", "-5G", "nanG"] {
            #expect(throws: OptionError.self, "\(text)") { try OptionTable.bytes(.maxMemory, text) }
        }
    }

    @Test func imageRule() throws {
        try Admission.check(ImageSize(width: 16, height: 16), name: "x")
        try Admission.check(ImageSize(width: 2560, height: 1600), name: "x")
        for (w, h) in [(1, 1), (15, 64), (60000, 60000), (16000, 16000), (20000, 1), (32 * 20 + 1, 20)] {
            #expect(throws: TransferError.self, "\(w)x\(h)") { try Admission.check(ImageSize(width: w, height: h), name: "x") }
        }
    }
}
