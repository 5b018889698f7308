// plugin.swift - the GIMP 2.10 plug-in `plug-in-stylize`
// (Filters > Artistic > Neural Style Transfer): a thin adapter that reads the
// active drawable (or the selection's bounding box), calls the installed
// libstylize through its C ABI (stylize.h) and writes the result back through
// the shadow buffer, so GIMP blends it by the selection mask (feathering
// included) as one undo step. The GTK dialog is in dialog.c.
import CStylizeGimp
import Glibc

let procName = STYLIZE_GIMP_PROC
/// The same filter with the two later parameters (output-size, time-limit):
/// Script-Fu checks the argument count, so plug-in-stylize keeps its 16.
let procNameFull = STYLIZE_GIMP_PROC_FULL

// MARK: - Settings

/// A message for the user; the run returns GIMP_PDB_EXECUTION_ERROR with it.
struct PlugInError: Error { let message: String }

/// A NUL-terminated path kept in a fixed C array (imported as a tuple).
func pathString<T>(_ field: T) -> String {
    withUnsafeBytes(of: field) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
}

func setPath<T>(_ field: inout T, _ value: String) {
    withUnsafeMutableBytes(of: &field) { raw in
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        raw.copyBytes(from: Array(value.utf8.prefix(raw.count - 1)))
    }
}

extension StylizeGimpValues {
    var styleFile: String {
        get { pathString(style_file) }
        set { setPath(&style_file, newValue) }
    }
    var style2File: String {
        get { pathString(style2_file) }
        set { setPath(&style2_file, newValue) }
    }
}

// MARK: - Pixels

/// Interleaved pixels of a rectangle, as babl `format` gives them: 8-bit
/// ("R'G'B' u8") or float ("R'G'B'A float", STYLIZE_FORMAT_F32 for the library).
struct Pixels {
    var bytes: [UInt8]
    let width: Int32, height: Int32, channels: Int32
    /// 1 (u8) or 4 (float) bytes a sample.
    var sampleBytes = 1

    var stride: Int { Int(width) * Int(channels) * sampleBytes }
    /// stylize_image.channels: the count with the sample format or-ed in.
    var abiChannels: Int32 { channels | (sampleBytes == 4 ? Int32(STYLIZE_FORMAT_F32) : Int32(STYLIZE_FORMAT_U8)) }

    /// Reads `rect` of a drawable; babl converts grey, 16-bit and float to `format`.
    init(drawable: gint32, rect: GeglRectangle, format: String, channels: Int32, sampleBytes: Int = 1) {
        width = rect.width; height = rect.height; self.channels = channels; self.sampleBytes = sampleBytes
        bytes = [UInt8](repeating: 0, count: Int(width) * Int(height) * Int(channels) * sampleBytes)
        let buffer = gimp_drawable_get_buffer(drawable)
        var r = rect
        let stride = gint(self.stride)
        bytes.withUnsafeMutableBytes {
            gegl_buffer_get(buffer, &r, 1.0, babl_format(format), $0.baseAddress, stride, GEGL_ABYSS_NONE)
        }
        g_object_unref(UnsafeMutableRawPointer(buffer))
    }

    init(bytes: [UInt8], width: Int32, height: Int32, channels: Int32) {
        self.bytes = bytes; self.width = width; self.height = height; self.channels = channels
    }

    func withImage<R>(_ body: (UnsafePointer<stylize_image>) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            var image = stylize_image(pixels: buffer.baseAddress, width: width, height: height,
                                      channels: abiChannels, stride: stride)
            return body(&image)
        }
    }
}

/// A style image known by its size before any of its pixels is decoded: a
/// file libvips reads (header now, pixels shrunk later), or a drawable (an
/// open layer, or a file only GIMP's loaders open, e.g. .xcf).
struct StyleInput {
    enum Source { case vipsFile(String), drawable(gint32) }
    let source: Source
    /// How messages name it: "Style image '/path/style.jpg'".
    let name: String
    let width: Int32, height: Int32
    /// An image GIMP loaded for this style, deleted after the run.
    var loaded: gint32 = -1

    /// The size only, for stylize_check.
    var header: stylize_image {
        stylize_image(pixels: nil, width: width, height: height, channels: 3, stride: Int(width) * 3)
    }

    /// The pixels, at most `maxSide` on the longest side for a file.
    func decode(maxSide: Int32) throws -> Pixels {
        switch source {
        case .vipsFile(let path):
            var w: Int32 = 0, h: Int32 = 0
            var error = [CChar](repeating: 0, count: 1024)
            guard let p = stylize_gimp_style_decode(path, maxSide, &w, &h, &error, error.count) else {
                throw PlugInError(message: "\(name) could not be read: \(String(cString: error))")
            }
            defer { stylize_gimp_style_free(p) }
            return Pixels(bytes: Array(UnsafeBufferPointer(start: p, count: Int(w) * Int(h) * 3)),
                          width: w, height: h, channels: 3)
        case .drawable(let id):
            if loaded != -1, max(width, height) > maxSide {  // our copy: GIMP shrinks it before we read it
                let s = Double(maxSide) / Double(max(width, height))
                _ = gimp_layer_scale(id, max(1, gint((Double(width) * s).rounded())),
                                     max(1, gint((Double(height) * s).rounded())), 0)
            }
            let rect = GeglRectangle(x: 0, y: 0, width: gimp_drawable_width(id), height: gimp_drawable_height(id))
            return Pixels(drawable: id, rect: rect, format: "R'G'B' u8", channels: 3)  // a style's alpha is not used
        }
    }

    func close() { if loaded != -1 { _ = gimp_image_delete(loaded) } }
}

/// The first style: the open layer of the Style frame, or its image file.
func firstStyle(_ values: StylizeGimpValues) throws -> StyleInput {
    if values.style_drawable > 0 {
        let id = values.style_drawable
        guard gimp_item_is_valid(id) != 0, gimp_item_is_drawable(id) != 0 else {
            throw PlugInError(message: "Style layer \(id) is not an open layer or channel.")
        }
        return StyleInput(source: .drawable(id), name: "Style layer '\(itemName(id))'",
                          width: gimp_drawable_width(id), height: gimp_drawable_height(id))
    }
    let path = values.styleFile
    guard !path.isEmpty else {
        throw PlugInError(message: "No style image: choose an image file or an open layer under Style.")
    }
    return try styleFile(path, name: "Style image '\(path)'")
}

/// A style image file: its header through libvips, or, when no vips loader
/// takes it, the file as GIMP opens it with all layers composited.
func styleFile(_ path: String, name: String) throws -> StyleInput {
    guard g_file_test(path, G_FILE_TEST_IS_REGULAR) != 0 else {
        throw PlugInError(message: "\(name) does not exist or is not a file.")
    }
    var w: Int32 = 0, h: Int32 = 0
    var error = [CChar](repeating: 0, count: 1024)
    switch stylize_gimp_style_header(path, &w, &h, &error, error.count) {
    case 1: return StyleInput(source: .vipsFile(path), name: name, width: w, height: h)
    case 0: break
    default: throw PlugInError(message: "\(name) could not be read: \(String(cString: error))")
    }
    let image = gimp_file_load(GIMP_RUN_NONINTERACTIVE, path, path)
    guard image != -1 else {
        let why = gimp_get_pdb_error().map { String(cString: $0) } ?? ""
        throw PlugInError(message: "\(name) could not be opened: \(why)")
    }
    let layer = gimp_image_flatten(image)  // what the file looks like, all layers composited
    guard layer != -1 else {
        _ = gimp_image_delete(image)
        throw PlugInError(message: "\(name) could not be flattened.")
    }
    return StyleInput(source: .drawable(layer), name: name, width: gimp_drawable_width(layer),
                      height: gimp_drawable_height(layer), loaded: image)
}

func itemName(_ id: gint32) -> String {
    guard let p = gimp_item_get_name(id) else { return "#\(id)" }
    defer { g_free(p) }
    return String(cString: p)
}

/// The selection over `rect` of the drawable as a hard mask (255 = selected),
/// or nil when all of the box is selected. GIMP's merge of the shadow buffer
/// applies the feathered selection itself; the engine gets a hard mask so that
/// its style statistics only see selected pixels and feathering is not
/// applied twice.
func selectionMask(image: gint32, drawable: gint32, rect: GeglRectangle) -> [UInt8]? {
    guard gimp_selection_is_empty(image) == 0 else { return nil }
    var ox: gint = 0, oy: gint = 0
    _ = gimp_drawable_offsets(drawable, &ox, &oy)  // the selection is in image coordinates
    let box = GeglRectangle(x: rect.x + ox, y: rect.y + oy, width: rect.width, height: rect.height)
    let selection = Pixels(drawable: gimp_image_get_selection(image), rect: box, format: "Y u8", channels: 1)
    guard selection.bytes.contains(0) else { return nil }
    return selection.bytes.map { $0 == 0 ? 0 : 255 }
}

// MARK: - Running

/// One iteration of progress; a non-zero return cancels the engine. (A click on
/// the progress bar's cancel button makes GIMP end this process; we only write
/// pixels after the engine returns, so the image stays unchanged then too.)
let progressCallback: stylize_progress_fn = { _, iteration, total, _, _, _, _ in
    _ = gimp_progress_set_text("Neural style transfer: iteration \(iteration) of \(total)")
    let alive = gimp_progress_update(Double(iteration) / Double(max(total, 1)))
    return alive != 0 ? 0 : 1
}

/// Calls `body` with the options pointing at the blend weights (two styles) or none.
func withBlend<R>(_ options: inout stylize_options, _ values: StylizeGimpValues, styleCount: Int,
                  _ body: (inout stylize_options) -> R) -> R {
    let blend = [values.style_blend, 1 - values.style_blend]
    return blend.withUnsafeBufferPointer { weights in
        options.style_blend = styleCount == 2 ? weights.baseAddress : nil
        defer { options.style_blend = nil }
        return body(&options)
    }
}

func stylizeDrawable(image: gint32, drawable: gint32, values: StylizeGimpValues) throws {
    guard gimp_drawable_is_indexed(drawable) == 0 else {
        throw PlugInError(message: "Indexed layers cannot be stylized: convert the image to RGB (Image > Mode > RGB).")
    }
    guard gimp_item_is_group(drawable) == 0 else {
        throw PlugInError(message: "A layer group cannot be stylized: choose one of its layers.")
    }
    // The selection's bounding box within the layer (the whole layer without one).
    var x: gint = 0, y: gint = 0, w: gint = 0, h: gint = 0
    guard gimp_drawable_mask_intersect(drawable, &x, &y, &w, &h) != 0, w > 0, h > 0 else {
        return  // the selection misses this layer: nothing to do
    }
    let rect = GeglRectangle(x: x, y: y, width: w, height: h)
    _ = gimp_progress_init("Neural style transfer: loading…")

    // 1. Sizes only: the styles' headers and the layer's box.
    var styles = [try firstStyle(values)]
    defer { styles.forEach { $0.close() } }
    if !values.style2File.isEmpty { styles.append(try styleFile(values.style2File, name: "Second style image '\(values.style2File)'")) }
    let hasAlpha = gimp_drawable_has_alpha(drawable) != 0
    let channels: Int32 = hasAlpha ? 4 : 3
    let names = ImageNames(content: "Layer '\(itemName(drawable))'" + (w < gimp_drawable_width(drawable)
                               || h < gimp_drawable_height(drawable) ? " (the selection's box)" : ""),
                           styles: styles.map(\.name))
    var options = libraryOptions(values)

    // 2. Admission before any pixel is decoded or read: the image rule, the
    // options (the library's validator) and the memory the run needs. With no
    // model handle the library checks the sizes before it opens the model, so
    // a refused image costs neither the model nor GEGL's start-up.
    var contentHeader = stylize_image(pixels: nil, width: w, height: h, channels: channels, stride: Int(w) * Int(channels))
    let headers = styles.map(\.header)
    let admitted = withBlend(&options, values, styleCount: styles.count) {
        stylize_check(nil, &contentHeader, headers, Int32(headers.count), &$0)
    }
    guard admitted == STYLIZE_OK else { throw PlugInError(message: errorMessage(admitted, names: names)) }

    // 3. Pixels: styles only as large as the run uses them, then the layer.
    gegl_init(nil, nil)  // babl's start-up alone peaks at some 350 MB: only for admitted runs
    let decoded = try styles.map {
        try $0.decode(maxSide: try styleSide(content: (w, h), style: ($0.width, $0.height), options: options))
    }
    // Images of more than 8 bits (16/32-bit integer, half, float, or 8-bit
    // linear) go through the library as float, so smooth skies keep their levels.
    let deep = gimp_image_get_precision(image) != GIMP_PRECISION_U8_GAMMA
    let format = (hasAlpha ? "R'G'B'A " : "R'G'B' ") + (deep ? "float" : "u8")
    let content = Pixels(drawable: drawable, rect: rect, format: format, channels: channels, sampleBytes: deep ? 4 : 1)
    let mask = selectionMask(image: image, drawable: drawable, rect: rect)

    var output = [UInt8](repeating: 0, count: content.bytes.count)
    let status = content.withImage { contentImage in
        decoded[0].withImage { first in
            decoded[decoded.count - 1].withImage { last in
                let styleImages = decoded.count == 1 ? [first.pointee] : [first.pointee, last.pointee]
                return output.withUnsafeMutableBufferPointer { out in
                    (mask ?? []).withUnsafeBufferPointer { maskBytes in
                        withBlend(&options, values, styleCount: styleImages.count) { options in
                            options.mask = mask == nil ? nil : maskBytes.baseAddress
                            options.mask_stride = Int(rect.width)
                            return stylize(contentImage, styleImages, Int32(styleImages.count), &options,
                                           progressCallback, nil, out.baseAddress, content.stride)
                        }
                    }
                }
            }
        }
    }
    guard status == STYLIZE_OK else { throw PlugInError(message: errorMessage(status, names: names)) }

    // Shadow buffer + merge: GIMP applies the selection mask and records one undo step.
    gimp_image_undo_group_start(image)
    let shadow = gimp_drawable_get_shadow_buffer(drawable)
    var r = rect
    output.withUnsafeBytes {
        gegl_buffer_set(shadow, &r, 0, babl_format(format), $0.baseAddress, gint(content.stride))
    }
    g_object_unref(UnsafeMutableRawPointer(shadow))  // flushes the tiles to GIMP
    gimp_drawable_merge_shadow(drawable, 1)
    gimp_drawable_update(drawable, x, y, w, h)
    gimp_image_undo_group_end(image)
    _ = gimp_progress_update(1.0)
}

// MARK: - PDB

let blurb = "Repaint the layer in the style of another image (neural style transfer)"
let help = """
Stylizes the active layer after a style image with the neural algorithm of \
Gatys, Ecker and Bethge: starting from the layer, L-BFGS optimises an image \
whose VGG features match the layer (content loss) and whose Gram matrices \
match the style image (style loss). With a selection only its bounding box is \
processed and the result is blended by the selection mask. Composes at `size` px \
(longest side: the brush strokes), paints detail up to `output-size` (0 = the layer's \
size) and gives the layer back at its own size. Needs the installed \
libstylize and its VGG model ($STYLIZE_MODEL or <prefix>/share/stylize/vgg16.safetensors). \
Script-Fu: (plug-in-stylize RUN-NONINTERACTIVE image drawable "style.jpg" 300 512 1e-4 0 1.0 0 -1 1.0 3 "" 0.5 0)
"""
let helpFull = """
 plug-in-stylize2 takes two more parameters, output-size and time-limit: \
(plug-in-stylize2 RUN-NONINTERACTIVE image drawable "style.jpg" 300 512 1e-4 0 1.0 0 -1 1.0 3 "" 0.5 0 0 90)
"""

/// C strings GIMP keeps for the life of the process.
func cString(_ s: String) -> UnsafeMutablePointer<gchar> { strdup(s)! }

func query() {
    let defs = parameterDefinitions().map { GimpParamDef(type: $0.0, name: cString($0.1), description: cString($0.2)) }
    gimp_install_procedure(procName, blurb, help, "Stylize authors", "Stylize authors", "2025",
                           "Neural Style _Transfer...", "RGB*, GRAY*", GIMP_PLUGIN,
                           gint(firstParameterCount), 0, defs, nil)
    _ = gimp_plugin_menu_register(procName, "<Image>/Filters/Artistic")
    gimp_install_procedure(procNameFull, blurb + ", with a final size and a time limit", help + helpFull,
                           "Stylize authors", "Stylize authors", "2026", nil, "RGB*, GRAY*", GIMP_PLUGIN,
                           gint(defs.count), 0, defs, nil)
}

/// Return values must outlive run(): GIMP reads them after it returns.
let returnValues = UnsafeMutablePointer<GimpParam>.allocate(capacity: 2)

func run(_ name: UnsafePointer<gchar>?, _ nparams: gint, _ params: UnsafePointer<GimpParam>?,
         _ nReturnVals: UnsafeMutablePointer<gint>?,
         _ returnVals: UnsafeMutablePointer<UnsafeMutablePointer<GimpParam>?>?) {
    var status = GIMP_PDB_SUCCESS
    var errorText: String?
    do {
        guard let params, nparams >= 3 else { throw PlugInError(message: "\(procName): too few parameters") }
        let runMode = GimpRunMode(rawValue: UInt32(bitPattern: params[0].data.d_int32))
        let image = params[1].data.d_image
        let drawable = params[2].data.d_drawable

        var values = StylizeGimpValues()
        valuesDefault(&values)
        switch runMode {
        case GIMP_RUN_INTERACTIVE:
            _ = gimp_procedural_db_get_data(procName, &values)
            guard stylize_gimp_dialog(&values, image, drawable) != 0 else {
                status = GIMP_PDB_CANCEL
                throw PlugInError(message: "Cancelled")
            }
        case GIMP_RUN_WITH_LAST_VALS:
            _ = gimp_procedural_db_get_data(procName, &values)
        default:
            guard nparams >= 8 else {
                status = GIMP_PDB_CALLING_ERROR
                throw PlugInError(message: "\(procName) needs at least 8 parameters, got \(nparams)")
            }
            values.styleFile = params[3].data.d_string.map { String(cString: $0) } ?? ""
            values.iterations = params[4].data.d_int32
            values.size = params[5].data.d_int32
            values.style_weight = params[6].data.d_float
            values.preserve_colors = params[7].data.d_int32
            if nparams > 8 { values.content_weight = params[8].data.d_float }
            if nparams > 9 { values.seed = params[9].data.d_int32 }
            if nparams > 10 { values.style_drawable = params[10].data.d_int32 }
            if nparams > 11 { values.style_scale = params[11].data.d_float }
            if nparams > 12 { values.scales = params[12].data.d_int32 }
            if nparams > 13 { values.style2File = params[13].data.d_string.map { String(cString: $0) } ?? "" }
            if nparams > 14 { values.style_blend = params[14].data.d_float }
            if nparams > 15 { values.max_memory_mb = params[15].data.d_int32 }
            if nparams > 16 { values.output_size = params[16].data.d_int32 }
            if nparams > 17 { values.time_limit = params[17].data.d_float }
        }
        // (gimp_set_data/gimp_get_data are macros for these.)
        _ = gimp_procedural_db_set_data(procName, &values, guint32(MemoryLayout<StylizeGimpValues>.size))
        try stylizeDrawable(image: image, drawable: drawable, values: values)
        if runMode != GIMP_RUN_NONINTERACTIVE { gimp_displays_flush() }
    } catch let error as PlugInError {
        if status == GIMP_PDB_SUCCESS { status = GIMP_PDB_EXECUTION_ERROR }
        errorText = error.message
    } catch {
        status = GIMP_PDB_EXECUTION_ERROR
        errorText = "\(error)"
    }

    returnValues[0].type = GIMP_PDB_STATUS
    returnValues[0].data.d_status = status
    nReturnVals?.pointee = 1
    if let errorText, status != GIMP_PDB_CANCEL {
        returnValues[1].type = GIMP_PDB_STRING
        returnValues[1].data.d_string = cString(errorText)
        nReturnVals?.pointee = 2
    }
    returnVals?.pointee = returnValues
}

@main
enum PlugIn {
    static func main() {
        stylize_blas_restart(CommandLine.unsafeArgv)  // OpenBLAS's Prescott fallback: start again (stylize.h)
        var info = GimpPlugInInfo(init_proc: nil, quit_proc: nil, query_proc: query, run_proc: run)
        exit(gimp_main(&info, CommandLine.argc, CommandLine.unsafeArgv))
    }
}
