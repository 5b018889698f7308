import ArgumentParser
import StyleTransfer

/// The objective's own options (what L = alpha L_content + beta L_style weighs and
/// where it looks), shared by `transfer` and `score` so that a result is scored
/// with exactly the flags it was made with. Spellings, help and defaults come
/// from the engine's OptionTable; a flag left out keeps the table's default;
/// values are checked by the engine's validator, never here.
struct LossOptions: ParsableArguments {
    @Option(name: .table(.styleBlend), help: .table(.styleBlend)) var styleBlend: String?
    @Option(name: .table(.styleScale), parsing: .unconditional, help: .table(.styleScale)) var styleScale: Double?
    @Option(name: .table(.contentWeight), parsing: .unconditional, help: .table(.contentWeight)) var contentWeight: Double?
    @Option(name: .table(.styleWeight), parsing: .unconditional, help: .table(.styleWeight)) var styleWeight: Double?
    @Option(name: .table(.contentLayers), help: .table(.contentLayers)) var contentLayers: String?
    @Option(name: .table(.styleLayers), help: .table(.styleLayers)) var styleLayers: String?

    /// Sets the options these flags give (parsing lists; ranges are the validator's).
    func apply(to o: inout TransferOptions) throws {
        if let contentWeight { o.contentWeight = contentWeight }
        if let styleWeight { o.styleWeight = styleWeight }
        if let styleScale { o.styleScale = styleScale }
        if let contentLayers { o.contentLayers = try LayerWeight.parseList(contentLayers, key: .contentLayers) }
        if let styleLayers { o.styleLayers = try LayerWeight.parseList(styleLayers, key: .styleLayers) }
        if let styleBlend { o.styleBlend = try OptionTable.numbers(.styleBlend, styleBlend) }
    }
}
