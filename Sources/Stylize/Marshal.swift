import Foundation
import StylizeCHeader
import StyleTransfer

/// Checks and converts what a C caller passed in. Nothing here trusts the
/// caller: every size is checked before a pointer is read, and arithmetic on
/// caller values cannot overflow.
enum Marshal {
    static let maxDimension = Int(STYLIZE_MAX_DIMENSION)
    static let maxStyles = Int(STYLIZE_MAX_STYLES)

    // MARK: Images

    /// A checked image description: a pixel reader stays inside height x stride.
    static func checkImage(_ pointer: UnsafePointer<stylize_image>?, _ name: String) throws -> stylize_image {
        guard let pointer else { throw ABIError.argument("\(name) is NULL") }
        let image = pointer.pointee
        guard image.pixels != nil else { throw ABIError.argument("\(name)->pixels is NULL") }
        guard (1...maxDimension).contains(Int(image.width)) else {
            throw ABIError.argument("\(name)->width \(image.width) is not in 1...\(maxDimension)")
        }
        guard (1...maxDimension).contains(Int(image.height)) else {
            throw ABIError.argument("\(name)->height \(image.height) is not in 1...\(maxDimension)")
        }
        guard image.channels == 3 || image.channels == 4 else {
            throw ABIError.argument("\(name)->channels \(image.channels) must be 3 (RGB) or 4 (RGBA)")
        }
        try checkStride(image.stride, width: Int(image.width), height: Int(image.height),
                        channels: Int(image.channels), name: "\(name)->stride")
        return image
    }

    /// stride >= one row, and height rows of it fit in the address space.
    static func checkStride(_ stride: Int, width: Int, height: Int, channels: Int, name: String) throws {
        guard stride >= width * channels else {
            throw ABIError.argument("\(name) \(stride) is smaller than width * channels = \(width * channels)")
        }
        guard stride <= Int.max / height else { throw ABIError.argument("\(name) \(stride) is too large") }
    }

    /// Interleaved 8-bit sRGB to the engine's planar float RGB (alpha dropped).
    static func planar(_ image: stylize_image) -> Image {
        let w = Int(image.width), h = Int(image.height), c = Int(image.channels), plane = w * h
        var pixels = [Float](repeating: 0, count: 3 * plane)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                let row = image.pixels! + y * image.stride
                for x in 0..<w {
                    out[y * w + x] = Float(row[x * c])
                    out[plane + y * w + x] = Float(row[x * c + 1])
                    out[2 * plane + y * w + x] = Float(row[x * c + 2])
                }
            }
        }
        return Image(width: w, height: h, pixels: pixels)
    }

    /// Planar float RGB back to interleaved bytes (rounded, clamped); alpha is
    /// copied from the content. The caller has checked the result's size.
    static func write(_ result: Image, alphaFrom content: stylize_image,
                      to output: UnsafeMutablePointer<UInt8>, stride: Int) {
        let w = result.width, h = result.height, c = Int(content.channels), plane = w * h
        func byte(_ v: Float) -> UInt8 { v.isNaN ? 0 : UInt8(min(255, max(0, v.rounded()))) }
        result.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h {
                let row = output + y * stride
                let source = content.pixels! + y * content.stride
                for x in 0..<w {
                    row[x * c] = byte(p[y * w + x])
                    row[x * c + 1] = byte(p[plane + y * w + x])
                    row[x * c + 2] = byte(p[2 * plane + y * w + x])
                    if c == 4 { row[x * c + 3] = source[x * c + 3] }
                }
            }
        }
    }

    // MARK: Options

    /// The first published layout ended after style_scale: callers built
    /// against it pass at least this much. Later fields end at these offsets.
    static let optionsV1Size = fieldEnd(\.style_scale, Double.self)
    static let optionsFieldEnds = [optionsV1Size, fieldEnd(\.scales, Int32.self), fieldEnd(\.max_memory, UInt64.self),
                                   fieldEnd(\.mask, UnsafePointer<UInt8>?.self), fieldEnd(\.mask_stride, Int.self)]

    private static func fieldEnd<T>(_ field: PartialKeyPath<stylize_options>, _ type: T.Type) -> Int {
        (MemoryLayout<stylize_options>.offset(of: field) ?? MemoryLayout<stylize_options>.size) + MemoryLayout<T>.size
    }

    static func defaults() -> stylize_options {
        let d = TransferOptions()
        var o = stylize_options()
        o.struct_size = MemoryLayout<stylize_options>.size
        o.model_path = nil
        o.size = Int32(d.size)
        o.iterations = Int32(d.iterations)
        o.content_weight = d.contentWeight
        o.style_weight = d.styleWeight
        o.tv_weight = d.tvWeight
        o.style_blend = nil
        o.`init` = STYLIZE_INIT_CONTENT
        o.optimizer = STYLIZE_OPTIMIZER_LBFGS
        o.learning_rate = d.learningRate
        o.pooling = STYLIZE_POOLING_MAX
        o.seed = d.seed
        o.content_layers = nil
        o.style_layers = nil
        o.preserve_colors = STYLIZE_PRESERVE_COLORS_NONE
        o.style_scale = d.styleScale
        o.scales = Int32(d.scales)
        o.max_memory = 0
        o.mask = nil
        o.mask_stride = 0
        return o
    }

    /// Reads the caller's options (NULL = defaults), checking struct_size first.
    static func readOptions(_ pointer: UnsafePointer<stylize_options>?) throws -> stylize_options {
        guard let pointer else { return defaults() }
        let size = UnsafeRawPointer(pointer).load(as: Int.self)
        guard size >= optionsV1Size else {
            throw ABIError.option("options->struct_size \(size) is smaller than sizeof(stylize_options) = \(optionsV1Size) "
                + "of this library; fill the options with stylize_options_init()")
        }
        // An older caller's struct is shorter: take the fields it has (whole
        // fields only), defaults for the rest.
        var o = defaults()
        let known = optionsFieldEnds.filter { $0 <= size }.max() ?? optionsV1Size
        withUnsafeMutableBytes(of: &o) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: known)) }
        return o
    }

    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String? {
        guard let pointer else { return nil }
        guard let s = String(validatingCString: pointer) else { throw ABIError.option("\(name) is not valid UTF-8") }
        return s
    }

    /// The engine's options for a run with `styleCount` styles. Layer names are
    /// checked against the model later, in `checkLayers`.
    static func transferOptions(_ o: stylize_options, styleCount: Int, content: stylize_image) throws -> TransferOptions {
        var t = TransferOptions()
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw ABIError.option("options->\(message())") }
        }
        try check((0...16384).contains(Int(o.size)), "size \(o.size) is not in 0...16384 (0 = content size)")
        try check((1...1_000_000).contains(Int(o.iterations)), "iterations \(o.iterations) is not in 1...1000000")
        for (name, v) in [("content_weight", o.content_weight), ("style_weight", o.style_weight), ("tv_weight", o.tv_weight)] {
            try check(v.isFinite && v >= 0, "\(name) \(v) must be a finite number >= 0")
        }
        try check(o.learning_rate.isFinite && o.learning_rate > 0, "learning_rate \(o.learning_rate) must be a finite number > 0")
        try check(o.style_scale.isFinite && o.style_scale > 0 && o.style_scale <= 8, "style_scale \(o.style_scale) must be in (0, 8]")
        t.size = Int(o.size)
        t.iterations = Int(o.iterations)
        t.contentWeight = o.content_weight
        t.styleWeight = o.style_weight
        t.tvWeight = o.tv_weight
        t.learningRate = o.learning_rate
        t.styleScale = o.style_scale
        t.seed = o.seed

        switch o.`init` {
        case STYLIZE_INIT_CONTENT: t.initialization = .content
        case STYLIZE_INIT_NOISE: t.initialization = .noise
        case STYLIZE_INIT_STYLE: t.initialization = .style
        default: try check(false, "init \(o.`init`.rawValue) is not a stylize_init value (0...2)")
        }
        switch o.optimizer {
        case STYLIZE_OPTIMIZER_LBFGS: t.optimizer = .lbfgs
        case STYLIZE_OPTIMIZER_ADAM: t.optimizer = .adam
        default: try check(false, "optimizer \(o.optimizer.rawValue) is not a stylize_optimizer value (0...1)")
        }
        switch o.pooling {
        case STYLIZE_POOLING_MAX: t.pooling = .max
        case STYLIZE_POOLING_AVERAGE: t.pooling = .average
        default: try check(false, "pooling \(o.pooling.rawValue) is not a stylize_pooling value (0...1)")
        }
        switch o.preserve_colors {
        case STYLIZE_PRESERVE_COLORS_NONE: t.preserveColors = .none
        case STYLIZE_PRESERVE_COLORS_LUMINANCE: t.preserveColors = .luminance
        case STYLIZE_PRESERVE_COLORS_HISTOGRAM: t.preserveColors = .histogram
        default: try check(false, "preserve_colors \(o.preserve_colors.rawValue) is not a stylize_preserve_colors value (0...2)")
        }

        try check((1...8).contains(Int(o.scales)), "scales \(o.scales) is not in 1...8")
        t.scales = Int(o.scales)
        t.maxMemory = o.max_memory == 0 ? nil : Int(clamping: o.max_memory)
        if let mask = o.mask {
            let w = Int(content.width), h = Int(content.height)
            do {
                try checkStride(o.mask_stride, width: w, height: h, channels: 1, name: "options->mask_stride")
            } catch let e as ABIError {
                throw ABIError.option(e.message)
            }
            var values = [Float](repeating: 0, count: w * h)
            for y in 0..<h { for x in 0..<w { values[y * w + x] = Float(mask[y * o.mask_stride + x]) / 255 } }
            t.mask = Mask(width: w, height: h, values: values)
        }

        if let blend = o.style_blend {
            let weights = Array(UnsafeBufferPointer(start: blend, count: styleCount))
            for (i, w) in weights.enumerated() {
                try check(w.isFinite && w >= 0, "style_blend[\(i)] \(w) must be a finite number >= 0")
            }
            try check(weights.reduce(0, +) > 0, "style_blend weights must have a positive sum")
            t.styleBlend = weights
        }
        for (name, pointer, keyPath) in [("content_layers", o.content_layers, \TransferOptions.contentLayers),
                                         ("style_layers", o.style_layers, \TransferOptions.styleLayers)] {
            guard let text = try string(pointer, "options->\(name)") else { continue }
            do {
                t[keyPath: keyPath] = try LayerWeight.parseList(text)
            } catch TransferError.invalidOption(let message) {
                throw ABIError.option("options->\(name) '\(text)': \(message)")
            }
        }
        return t
    }

    /// Every layer named in the options exists in the model's network.
    static func checkLayers(_ t: TransferOptions, network: FeatureNetwork) throws {
        for (name, layers) in [("content_layers", t.contentLayers), ("style_layers", t.styleLayers)] {
            for layer in layers where network.layerIndex(layer.name) == nil {
                throw ABIError.option("options->\(name): unknown layer '\(layer.name)' (the \(network.topology.rawValue) model has "
                    + "\(network.layerNames.joined(separator: ", ")))")
            }
        }
        if t.contentLayers.isEmpty && t.styleLayers.isEmpty {
            throw ABIError.option("options->content_layers and style_layers are both empty")
        }
    }

    // MARK: Memory
    // Runs that cannot fit must fail with a status: the allocator would abort
    // the caller's process instead.

    /// Bytes the float copies of the inputs take (before the engine's own plan
    /// can be asked, which needs them).
    static func inputBytes(content: stylize_image, styles: [stylize_image]) -> Double {
        ([content] + styles).reduce(0.0) { $0 + Double($1.width) * Double($1.height) * 12 } + Double(content.width) * Double(content.height) * 4
    }

    static func outOfMemory(_ needed: Double) -> ABIError {
        ABIError(status: STYLIZE_ERROR_OUT_OF_MEMORY, message: String(
            format: "this run needs about %.1f GiB of working memory, the machine has %.1f GiB; lower options->size or set options->max_memory",
            needed / 1_073_741_824, physicalMemory / 1_073_741_824))
    }

    /// The machine's RAM (infinite when the system will not say).
    static var physicalMemory: Double {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? Double(pages) * Double(pageSize) : .infinity
    }
}
