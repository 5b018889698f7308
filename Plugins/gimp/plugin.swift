// plugin.swift - the GIMP 2.10 plug-in `plug-in-stylize`
// (Filters > Artistic > Neural Style Transfer): a thin adapter that reads the
// active drawable (or the selection's bounding box), calls the installed
// libstylize through its C ABI (stylize.h) and writes the result back through
// the shadow buffer, so GIMP blends it by the selection mask (feathering
// included) as one undo step. The GTK dialog is in dialog.c.
import CStylizeGimp
import Glibc

let procName = STYLIZE_GIMP_PROC

// MARK: - Settings

/// A message for the user; the run returns GIMP_PDB_EXECUTION_ERROR with it.
struct PlugInError: Error { let message: String }

@_cdecl("stylize_gimp_values_default")
func valuesDefault(_ values: UnsafeMutablePointer<StylizeGimpValues>?) {
    guard let values else { return }
    var options = stylize_options()
    stylize_options_init(&options)  // the engine's defaults, so the dialog's Reset matches the CLI
    values.pointee = StylizeGimpValues()
    values.pointee.iterations = options.iterations
    values.pointee.size = options.size
    values.pointee.style_weight = options.style_weight
    values.pointee.preserve_colors = Int32(STYLIZE_PRESERVE_COLORS_NONE.rawValue)
    values.pointee.content_weight = options.content_weight
    values.pointee.seed = Int32(truncatingIfNeeded: options.seed)
    values.pointee.style_drawable = -1
    values.pointee.style_scale = options.style_scale
    values.pointee.scales = options.scales
    values.pointee.style_blend = 0.5
    values.pointee.max_memory_mb = 0
}

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

/// Interleaved 8-bit pixels of a rectangle, as babl `format` gives them.
struct Pixels {
    var bytes: [UInt8]
    let width: Int32, height: Int32, channels: Int32

    var stride: Int { Int(width) * Int(channels) }

    /// Reads `rect` of a drawable; babl converts grey, 16-bit and float to `format`.
    init(drawable: gint32, rect: GeglRectangle, format: String, channels: Int32) {
        width = rect.width; height = rect.height; self.channels = channels
        bytes = [UInt8](repeating: 0, count: Int(width) * Int(height) * Int(channels))
        let buffer = gimp_drawable_get_buffer(drawable)
        var r = rect
        let stride = gint(self.stride)
        bytes.withUnsafeMutableBytes {
            gegl_buffer_get(buffer, &r, 1.0, babl_format(format), $0.baseAddress, stride, GEGL_ABYSS_NONE)
        }
        g_object_unref(UnsafeMutableRawPointer(buffer))
    }

    func withImage<R>(_ body: (UnsafePointer<stylize_image>) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            var image = stylize_image(pixels: buffer.baseAddress, width: width, height: height,
                                      channels: channels, stride: stride)
            return body(&image)
        }
    }
}

/// The style image: the composite of a file GIMP can open, or an open drawable.
func loadStyle(_ values: StylizeGimpValues) throws -> Pixels {
    let rgb = "R'G'B' u8"  // a style's alpha is not used
    if values.style_drawable > 0 {
        let id = values.style_drawable
        guard gimp_item_is_valid(id) != 0, gimp_item_is_drawable(id) != 0 else {
            throw PlugInError(message: "style-drawable \(id) is not an open layer or channel.")
        }
        let rect = GeglRectangle(x: 0, y: 0, width: gimp_drawable_width(id), height: gimp_drawable_height(id))
        return Pixels(drawable: id, rect: rect, format: rgb, channels: 3)
    }
    let path = values.styleFile
    guard !path.isEmpty else {
        throw PlugInError(message: "No style image: choose a style file (style-file) or an open layer (style-drawable).")
    }
    return try loadStyleFile(path)
}

/// A style image file as GIMP opens it, all layers composited.
func loadStyleFile(_ path: String) throws -> Pixels {
    let rgb = "R'G'B' u8"
    guard g_file_test(path, G_FILE_TEST_IS_REGULAR) != 0 else {
        throw PlugInError(message: "Style image '\(path)' does not exist or is not a file.")
    }
    let image = gimp_file_load(GIMP_RUN_NONINTERACTIVE, path, path)
    guard image != -1 else {
        let why = gimp_get_pdb_error().map { String(cString: $0) } ?? ""
        throw PlugInError(message: "Could not open style image '\(path)': \(why)")
    }
    defer { gimp_image_delete(image) }
    let layer = gimp_image_flatten(image)  // what the file looks like, all layers composited
    guard layer != -1 else { throw PlugInError(message: "Could not flatten style image '\(path)'.") }
    let rect = GeglRectangle(x: 0, y: 0, width: gimp_drawable_width(layer), height: gimp_drawable_height(layer))
    return Pixels(drawable: layer, rect: rect, format: rgb, channels: 3)
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

func stylizeDrawable(image: gint32, drawable: gint32, values: StylizeGimpValues) throws {
    guard gimp_drawable_is_indexed(drawable) == 0 else {
        throw PlugInError(message: "Indexed layers cannot be stylized: convert the image to RGB (Image > Mode > RGB).")
    }
    guard gimp_item_is_group(drawable) == 0 else {
        throw PlugInError(message: "A layer group cannot be stylized: choose one of its layers.")
    }
    guard (0...2).contains(values.preserve_colors) else {
        throw PlugInError(message: "preserve-colors must be 0 (none), 1 (luminance) or 2 (histogram), not \(values.preserve_colors).")
    }
    guard values.iterations >= 1 else {
        throw PlugInError(message: "iterations must be at least 1, not \(values.iterations).")
    }
    // The selection's bounding box within the layer (the whole layer without one).
    var x: gint = 0, y: gint = 0, w: gint = 0, h: gint = 0
    guard gimp_drawable_mask_intersect(drawable, &x, &y, &w, &h) != 0, w > 0, h > 0 else {
        return  // the selection misses this layer: nothing to do
    }
    let rect = GeglRectangle(x: x, y: y, width: w, height: h)

    _ = gimp_progress_init("Neural style transfer: loading…")
    let style = try loadStyle(values)
    let style2 = values.style2File.isEmpty ? nil : try loadStyleFile(values.style2File)
    let blend = [values.style_blend, 1 - values.style_blend]
    let hasAlpha = gimp_drawable_has_alpha(drawable) != 0
    let format = hasAlpha ? "R'G'B'A u8" : "R'G'B' u8"
    let content = Pixels(drawable: drawable, rect: rect, format: format, channels: hasAlpha ? 4 : 3)

    var options = stylize_options()
    stylize_options_init(&options)
    options.iterations = values.iterations
    options.size = values.size
    options.style_weight = values.style_weight
    options.content_weight = values.content_weight
    options.seed = UInt64(UInt32(bitPattern: values.seed))
    options.preserve_colors = stylize_preserve_colors(rawValue: UInt32(values.preserve_colors))
    options.style_scale = values.style_scale
    options.scales = values.scales
    options.max_memory = UInt64(max(0, values.max_memory_mb)) << 20
    let mask = selectionMask(image: image, drawable: drawable, rect: rect)

    var output = [UInt8](repeating: 0, count: content.bytes.count)
    let status = content.withImage { contentImage in
        style.withImage { first in
            (style2 ?? style).withImage { second in
                let styles = style2 == nil ? [first.pointee] : [first.pointee, second.pointee]
                return output.withUnsafeMutableBufferPointer { out in
                    (mask ?? []).withUnsafeBufferPointer { maskBytes in
                        blend.withUnsafeBufferPointer { weights in
                            options.mask = mask == nil ? nil : maskBytes.baseAddress
                            options.mask_stride = Int(rect.width)
                            options.style_blend = style2 == nil ? nil : weights.baseAddress
                            return stylize(contentImage, styles, Int32(styles.count), &options, progressCallback, nil,
                                           out.baseAddress, content.stride)
                        }
                    }
                }
            }
        }
    }
    guard status == STYLIZE_OK else {
        let detail = String(cString: stylize_last_error())
        let text = detail.isEmpty ? String(cString: stylize_status_string(status)) : detail
        throw PlugInError(message: "Neural style transfer failed: \(text)")
    }

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

let paramDefs: [(GimpPDBArgType, String, String)] = [
    (GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"),
    (GIMP_PDB_IMAGE, "image", "Input image"),
    (GIMP_PDB_DRAWABLE, "drawable", "Drawable to stylize (only the selection, if there is one)"),
    (GIMP_PDB_STRING, "style-file", "Style image: a file in any format GIMP opens (ignored when style-drawable is set)"),
    (GIMP_PDB_INT32, "iterations", "Optimiser steps, >= 1 (default 300)"),
    (GIMP_PDB_INT32, "size", "Detail size: longest side in px the optimisation runs at, 0 = the layer or selection size (default 512); the result is scaled to the layer"),
    (GIMP_PDB_FLOAT, "style-weight", "Strength: the style loss weight, >= 0 (default 1e-4)"),
    (GIMP_PDB_INT32, "preserve-colors", "Keep the layer's colours { NONE (0), LUMINANCE (1), HISTOGRAM (2) }"),
    (GIMP_PDB_FLOAT, "content-weight", "Content loss weight, >= 0 (default 1)"),
    (GIMP_PDB_INT32, "seed", "Random seed (default 0)"),
    (GIMP_PDB_INT32, "style-drawable", "ID of an open drawable to use as the style instead of style-file, or -1"),
    (GIMP_PDB_FLOAT, "style-scale", "Style image size relative to the detail size, > 0 and <= 8: smaller gives finer strokes (default 1)"),
    (GIMP_PDB_INT32, "scales", "Coarse-to-fine levels, 1 to 8: 1 optimises at the detail size only (default 3)"),
    (GIMP_PDB_STRING, "style2-file", "A second style image mixed with the first, or \"\" for none"),
    (GIMP_PDB_FLOAT, "style-blend", "Weight of the first style against style2-file, 0 to 1 (default 0.5)"),
    (GIMP_PDB_INT32, "max-memory", "Working-memory budget in MiB; larger images are processed in tiles; 0 = no budget (default 0)"),
]

let blurb = "Repaint the layer in the style of another image (neural style transfer)"
let help = """
Stylizes the active layer after a style image with the neural algorithm of \
Gatys, Ecker and Bethge: starting from the layer, L-BFGS optimises an image \
whose VGG features match the layer (content loss) and whose Gram matrices \
match the style image (style loss). With a selection only its bounding box is \
processed and the result is blended by the selection mask. Runs at `size` px \
(longest side) and scales the result to the layer. Needs the installed \
libstylize and its VGG model ($STYLIZE_MODEL or <prefix>/share/stylize/vgg16.safetensors). \
Script-Fu: (plug-in-stylize RUN-NONINTERACTIVE image drawable "style.jpg" 300 512 1e-4 0 1.0 0 -1 1.0 3 "" 0.5 0)
"""

/// C strings GIMP keeps for the life of the process.
func cString(_ s: String) -> UnsafeMutablePointer<gchar> { strdup(s)! }

func query() {
    let defs = paramDefs.map { GimpParamDef(type: $0.0, name: cString($0.1), description: cString($0.2)) }
    gimp_install_procedure(procName, blurb, help, "Stylize authors", "Stylize authors", "2025",
                           "Neural Style _Transfer...", "RGB*, GRAY*", GIMP_PLUGIN,
                           gint(defs.count), 0, defs, nil)
    _ = gimp_plugin_menu_register(procName, "<Image>/Filters/Artistic")
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
        gegl_init(nil, nil)

        var values = StylizeGimpValues()
        valuesDefault(&values)
        switch runMode {
        case GIMP_RUN_INTERACTIVE:
            _ = gimp_procedural_db_get_data(procName, &values)
            guard stylize_gimp_dialog(&values, image) != 0 else {
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

var info = GimpPlugInInfo(init_proc: nil, quit_proc: nil, query_proc: query, run_proc: run)
exit(gimp_main(&info, CommandLine.argc, CommandLine.unsafeArgv))
