// options.swift - the plug-in's settings as the engine's option table
// (stylize_option_find) describes them: defaults, PDB parameter descriptions
// and the translation into stylize_options. Nothing here checks a value:
// the library's one validator decides, and its errors are reworded in the
// dialog's labels (errorMessage).
import CStylizeGimp
import Glibc

/// The table's entry for a GIMP parameter name. Every name used here is in
/// the table of the libstylize this plug-in is built against.
func option(_ gimp: String) -> stylize_option_info {
    guard let info = stylize_option_find(gimp) else {
        fatalError("libstylize has no option '\(gimp)': rebuild the plug-in against the installed library")
    }
    return info.pointee
}

extension stylize_option_info {
    var labelText: String { String(cString: label ?? gimp ?? field) }
    var helpText: String { String(cString: help) }
    /// Enum names of a choice, in enum order.
    var choiceNames: [String] { String(cString: choices).split(separator: ",").map(String.init) }
}

/// Bytes in one MiB: the Memory budget parameter counts MiB (a PDB INT32).
let mebibyte = 1_048_576.0

@_cdecl("stylize_gimp_values_default")
func valuesDefault(_ values: UnsafeMutablePointer<StylizeGimpValues>?) {
    guard let values else { return }
    values.pointee = StylizeGimpValues()
    values.pointee.iterations = Int32(option("iterations").default_value)
    values.pointee.size = Int32(option("size").default_value)
    values.pointee.style_weight = option("style-weight").default_value
    values.pointee.preserve_colors = Int32(option("preserve-colors").default_value)
    values.pointee.content_weight = option("content-weight").default_value
    values.pointee.seed = Int32(truncatingIfNeeded: Int64(option("seed").default_value))
    values.pointee.style_drawable = -1
    values.pointee.style_scale = option("style-scale").default_value
    values.pointee.scales = Int32(option("scales").default_value)
    // The table's blend default is equal weights: a share of one half.
    values.pointee.style_blend = 0.5
    // No default budget in the table: 0 = none.
    values.pointee.max_memory_mb = Int32(option("max-memory").default_value / mebibyte)
    values.pointee.output_size = Int32(option("output-size").default_value)
    values.pointee.time_limit = option("time-limit").default_value
}

// MARK: - PDB parameters

/// "Label: help (range; default)" from the table, for a parameter whose
/// GIMP value means what the table's value means.
func tableDescription(_ gimp: String) -> String {
    let info = option(gimp)
    var text = "\(info.labelText): \(info.helpText)"
    if info.type == STYLIZE_OPTION_CHOICE {  // the PDB takes the enum's integer
        let values = info.choiceNames.enumerated().map { "\($0.element.uppercased()) (\($0.offset))" }
        text += " { \(values.joined(separator: ", ")) }"
    }
    return text
}

/// The first 16 parameters are plug-in-stylize's, in the order Script-Fu
/// callers use; plug-in-stylize2 takes all 18 (Script-Fu checks the count,
/// so the two later ones could not be appended to plug-in-stylize).
let firstParameterCount = 16

/// The 18 positional parameters.
/// Descriptions come from the option table; the few GIMP-only parameters
/// (images, the share of two styles, the budget in MiB) say how they map to it.
func parameterDefinitions() -> [(GimpPDBArgType, String, String)] {
    let blend = option("style-blend"), memory = option("max-memory")
    let memoryRange = "\(Int(memory.minimum / mebibyte)) to \(Int(memory.maximum / mebibyte)) MiB"
    return [
        (GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"),
        (GIMP_PDB_IMAGE, "image", "Input image"),
        (GIMP_PDB_DRAWABLE, "drawable", "Drawable to stylize (only the selection, if there is one)"),
        (GIMP_PDB_STRING, "style-file", "Style image: a file in any format GIMP opens (ignored when style-drawable is set)"),
        (GIMP_PDB_INT32, "iterations", tableDescription("iterations")),
        (GIMP_PDB_INT32, "size", tableDescription("size")),
        (GIMP_PDB_FLOAT, "style-weight", tableDescription("style-weight")),
        (GIMP_PDB_INT32, "preserve-colors", tableDescription("preserve-colors")),
        (GIMP_PDB_FLOAT, "content-weight", tableDescription("content-weight")),
        (GIMP_PDB_INT32, "seed", tableDescription("seed") + "; any 32-bit integer here (its bits as unsigned)"),
        (GIMP_PDB_INT32, "style-drawable", "Style layer: ID of an open drawable to use as the style instead of style-file, or -1"),
        (GIMP_PDB_FLOAT, "style-scale", tableDescription("style-scale")),
        (GIMP_PDB_INT32, "scales", tableDescription("scales")),
        (GIMP_PDB_STRING, "style2-file", "Second style image mixed with the first, or \"\" for none"),
        (GIMP_PDB_FLOAT, "style-blend", "\(blend.labelText): the first style's blend weight w, the second's 1 - w "
            + "(each weight \(Int(blend.minimum)) to \(Int(blend.maximum)), so w is 0 to 1; default 0.5, equal weights)"),
        (GIMP_PDB_INT32, "max-memory", "\(memory.labelText) in MiB: \(memory.helpText.prefix { $0 != "(" })"
            + "(\(memoryRange); 0 = no budget, the default)"),
        (GIMP_PDB_INT32, "output-size", tableDescription("output-size")),
        (GIMP_PDB_FLOAT, "time-limit", tableDescription("time-limit")),
    ]
}

// MARK: - Into the library

/// The run's options: a plain translation of the settings. `blend` must
/// outlive the use of the result (the options point into it).
func libraryOptions(_ values: StylizeGimpValues) -> stylize_options {
    var options = stylize_options()
    stylize_options_init(&options)
    options.iterations = values.iterations
    options.size = values.size
    options.style_weight = values.style_weight
    options.content_weight = values.content_weight
    options.seed = UInt64(UInt32(bitPattern: values.seed))
    options.preserve_colors = stylize_preserve_colors(rawValue: UInt32(bitPattern: values.preserve_colors))
    options.style_scale = values.style_scale
    options.scales = values.scales
    // Negative MiB cannot be written as bytes: they pass as the largest
    // value, which the validator refuses like any other out-of-range budget.
    options.max_memory = values.max_memory_mb < 0 ? UInt64.max : UInt64(values.max_memory_mb) << 20
    options.output_size = values.output_size
    options.time_limit = values.time_limit
    return options
}

/// libraryOptions for the C dialog (its estimate and preview).
@_cdecl("stylize_gimp_options")
func cLibraryOptions(_ values: UnsafePointer<StylizeGimpValues>?, _ options: UnsafeMutablePointer<stylize_options>?) {
    guard let values, let options else { return }
    options.pointee = libraryOptions(values.pointee)
}

/// The longest side the run uses a style at, to decode it no larger: the
/// library's rule (stylize_style_side: detail size, 0 = the layer's longest
/// side, times style scale, never more than the style's own side, and the
/// shrunk style's shorter side kept at least STYLIZE_MIN_SIDE).
func styleSide(content: (Int32, Int32), style: (Int32, Int32), options: stylize_options) throws -> Int32 {
    var options = options
    let side = stylize_style_side(&options, content.0, content.1, style.0, style.1)
    guard side > 0 else { throw PlugInError(message: String(cString: stylize_last_error())) }
    return side
}

// MARK: - Errors in the dialog's words

/// Names of the images in a run, as the user sees them in GIMP.
struct ImageNames {
    var content: String
    var styles: [String]
}

/// The library's last error in the dialog's words: an option error names the
/// option's dialog label; other messages have the C names of images
/// ("content", "styles[0]") and fields ("options->size") replaced.
func errorMessage(_ status: stylize_status, names: ImageNames) -> String {
    if status == STYLIZE_ERROR_INVALID_OPTION, let info = stylize_last_error_option() {
        return "\(info.pointee.labelText): \(String(cString: stylize_last_error_problem()))"
    }
    var text = String(cString: stylize_last_error())
    if text.isEmpty { return String(cString: stylize_status_string(status)) }
    for (i, name) in names.styles.enumerated().reversed() {
        text = text.replacing("styles[\(i)]", with: name)
    }
    if text.hasPrefix("content") { text = names.content + text.dropFirst("content".count) }
    // Field names, longest first (so options->style_scale is not read as options->style...).
    let fields = (0..<stylize_option_count()).compactMap { stylize_option_at($0)?.pointee }
        .filter { $0.field != nil }
        .sorted { strlen($0.field) > strlen($1.field) }
    for info in fields {
        text = text.replacing("options->\(String(cString: info.field))", with: info.labelText)
    }
    return text
}
