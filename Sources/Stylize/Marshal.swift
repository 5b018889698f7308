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
    static func checkImage(_ pointer: UnsafePointer<stylize_image>?, _ name: String,
                           pixelsRequired: Bool = true) throws -> stylize_image {
        guard let pointer else { throw ABIError.argument("\(name) is NULL") }
        let image = pointer.pointee
        guard image.pixels != nil || !pixelsRequired else { throw ABIError.argument("\(name)->pixels is NULL") }
        guard (1...maxDimension).contains(Int(image.width)) else {
            throw ABIError.argument("\(name)->width \(image.width) is not in 1...\(maxDimension)")
        }
        guard (1...maxDimension).contains(Int(image.height)) else {
            throw ABIError.argument("\(name)->height \(image.height) is not in 1...\(maxDimension)")
        }
        guard let layout = PixelLayout(image.channels) else {
            throw ABIError.argument("\(name)->channels \(image.channels) must be 3 (RGB) or 4 (RGBA), "
                + "optionally | STYLIZE_FORMAT_U16 or STYLIZE_FORMAT_F32")
        }
        try checkStride(image.stride, width: Int(image.width), height: Int(image.height),
                        channels: layout.pixelBytes, name: "\(name)->stride")
        return image
    }

    /// The image's size, for the engine's admission.
    static func size(_ image: stylize_image) -> ImageSize { ImageSize(width: Int(image.width), height: Int(image.height)) }

    /// stride >= one row (`channels` bytes a pixel), and height rows of it fit in the address space.
    static func checkStride(_ stride: Int, width: Int, height: Int, channels: Int, name: String) throws {
        guard stride >= width * channels else {
            throw ABIError.argument("\(name) \(stride) is smaller than width * channels\(channels > 4 ? " * sample size" : "") = \(width * channels)")
        }
        guard stride <= Int.max / height else { throw ABIError.argument("\(name) \(stride) is too large") }
    }

    // MARK: Options

    /// The first published layout ended after style_scale: callers built
    /// against it pass at least this much. Later fields end at these offsets.
    static let optionsV1Size = fieldEnd(\.style_scale, Double.self)
    static let optionsFieldEnds = [optionsV1Size, fieldEnd(\.scales, Int32.self), fieldEnd(\.max_memory, UInt64.self),
                                   fieldEnd(\.mask, UnsafePointer<UInt8>?.self), fieldEnd(\.mask_stride, Int.self),
                                   fieldEnd(\.time_limit, Double.self),
                                   fieldEnd(\.temporal_weight, Double.self)]

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
        o.output_size = Int32(d.outputSize)
        o.time_limit = d.timeLimit
        o.init_image = nil
        o.temporal_target = nil
        o.temporal_mask = nil
        o.temporal_mask_stride = 0
        o.temporal_weight = d.temporalWeight
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

    /// The engine's options for a run with `styleCount` styles: a plain
    /// translation. Ranges, layer names and blend weights are checked by the
    /// engine's one validator (`TransferOptions.validate`); only what cannot be
    /// represented in Swift (an enum value outside the C enum, a bad string,
    /// a short mask stride) is refused here.
    static func transferOptions(_ o: stylize_options, styleCount: Int, content: stylize_image,
                                pixelsRequired: Bool = true) throws -> TransferOptions {
        var t = TransferOptions()
        t.size = Int(o.size)
        t.outputSize = Int(o.output_size)
        t.iterations = Int(o.iterations)
        t.timeLimit = o.time_limit
        t.contentWeight = o.content_weight
        t.styleWeight = o.style_weight
        t.tvWeight = o.tv_weight
        t.learningRate = o.learning_rate
        t.styleScale = o.style_scale
        t.seed = o.seed
        t.scales = Int(o.scales)
        t.maxMemory = o.max_memory == 0 ? nil : Int(clamping: o.max_memory)

        /// The enum value as an index into the option's choices.
        func choice<T>(_ key: OptionKey, _ raw: UInt32, _ values: [T]) throws -> T {
            guard Int(raw) < values.count else {
                let names = OptionTable[key].choices.enumerated().map { "\($0.offset) (\($0.element))" }
                throw OptionError(key, "\(raw) is not one of \(names.joined(separator: ", "))")
            }
            return values[Int(raw)]
        }
        t.initialization = try choice(.initialization, o.`init`.rawValue, OptionTable.initializations)
        t.optimizer = try choice(.optimizer, o.optimizer.rawValue, OptionTable.optimizers)
        t.pooling = try choice(.pooling, o.pooling.rawValue, OptionTable.poolings)
        t.preserveColors = try choice(.preserveColors, o.preserve_colors.rawValue, OptionTable.colorModes)

        if let mask = o.mask {
            let w = Int(content.width), h = Int(content.height)
            do {
                try checkStride(o.mask_stride, width: w, height: h, channels: 1, name: "options->mask_stride")
            } catch let e as ABIError {
                throw ABIError.option(e.message)
            }
            var values = [Float](repeating: 1, count: w * h)  // stylize_check: the size is what counts
            if pixelsRequired {
                for y in 0..<h { for x in 0..<w { values[y * w + x] = Float(mask[y * o.mask_stride + x]) / 255 } }
            }
            t.mask = Mask(width: w, height: h, values: values)
        }
        try videoFrame(o, into: &t, pixelsRequired: pixelsRequired)
        if let blend = o.style_blend {
            t.styleBlend = Array(UnsafeBufferPointer(start: blend, count: styleCount))
        }
        for (key, pointer, keyPath) in [(OptionKey.contentLayers, o.content_layers, \TransferOptions.contentLayers),
                                        (.styleLayers, o.style_layers, \TransferOptions.styleLayers)] {
            guard let pointer else { continue }
            guard let text = String(validatingCString: pointer) else { throw OptionError(key, "is not valid UTF-8") }
            t[keyPath: keyPath] = try LayerWeight.parseList(text, key: key)
        }
        return t
    }
}

extension Marshal {
    /// A video frame's inputs (Ruder et al.): the start picture, the warped previous
    /// frame w and its per-pixel weight c. Checked like the content; without pixels
    /// (stylize_check) only their sizes are, and 1 x 1 stand-ins go to the validator.
    static func videoFrame(_ o: stylize_options, into t: inout TransferOptions, pixelsRequired: Bool) throws {
        t.temporalWeight = o.temporal_weight
        func image(_ pointer: UnsafePointer<stylize_image>, _ name: String) throws -> Image {
            let image = try checkImage(pointer, name, pixelsRequired: pixelsRequired)
            try Admission.check(size(image), name: name)
            return pixelsRequired ? try planar(image, name: name) : Image(width: 1, height: 1, pixels: [0, 0, 0])
        }
        if let p = o.init_image { t.initialization = .image(try image(p, "options->init_image")) }
        guard let p = o.temporal_target else { return }
        let target = try image(p, "options->temporal_target")
        let w = target.width, h = target.height
        var values = [Float](repeating: 1, count: w * h)
        if let mask = o.temporal_mask {
            do {
                try checkStride(o.temporal_mask_stride, width: Int(p.pointee.width), height: Int(p.pointee.height),
                                channels: 1, name: "options->temporal_mask_stride")
            } catch let e as ABIError {
                throw ABIError.option(e.message)
            }
            if pixelsRequired {
                for y in 0..<h { for x in 0..<w { values[y * w + x] = Float(mask[y * o.temporal_mask_stride + x]) / 255 } }
            }
        }
        t.temporal = TemporalTarget(target: target, weight: Mask(width: w, height: h, values: values))
    }
}
