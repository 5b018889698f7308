import Foundation
import StylizeCHeader
import StyleTransfer

// The image rule and the style-decoding size for hosts that read image headers
// themselves (the vips module): they apply the engine's rule to an image that
// is not a stylize_image (a mask, an init image) and decode styles shrunk.

/// The image rule (`Admission.check`) on a header's size: STYLIZE_ERROR_INVALID_ARGUMENT
/// with "<name>: WxH pixels is outside what Stylize takes (...)" when it fails.
@_cdecl("stylize_check_image")
public func cCheckImage(_ width: Int32, _ height: Int32, _ name: UnsafePointer<CChar>?) -> stylize_status {
    guarded {
        let label = name.flatMap { String(validatingCString: $0) } ?? "image"
        try Admission.check(ImageSize(width: Int(width), height: Int(height)), name: label)
    }
}

/// The longest side to decode a `styleWidth` x `styleHeight` style at for a run
/// with `options` on a `contentWidth` x `contentHeight` content:
/// `Admission.styleSide` (size x style_scale, size 0 = the content's longest
/// side; never larger than the style; the shorter side kept at least STYLIZE_MIN_SIDE). 0 with the last error set on a bad argument
/// (STYLIZE_ERROR_INVALID_OPTION for size or style_scale out of range).
@_cdecl("stylize_style_side")
public func cStyleSide(_ options: UnsafePointer<stylize_options>?, _ contentWidth: Int32, _ contentHeight: Int32,
                       _ styleWidth: Int32, _ styleHeight: Int32) -> Int32 {
    var side: Int32 = 0
    let status = guarded {
        guard contentWidth > 0, contentHeight > 0, styleWidth > 0, styleHeight > 0 else {
            throw ABIError.argument("image sizes must be positive, not \(contentWidth)x\(contentHeight) "
                + "and \(styleWidth)x\(styleHeight)")
        }
        let raw = try Marshal.readOptions(options)
        var o = TransferOptions()
        o.size = Int(raw.size)
        o.styleScale = raw.style_scale
        try o.validate(styleCount: 1)  // the one validator: no trap on a NaN or 1e308 style scale
        let style = ImageSize(width: Int(styleWidth), height: Int(styleHeight))
        let s = Admission.styleSide(content: ImageSize(width: Int(contentWidth), height: Int(contentHeight)),
                                    style: style, options: o)
        side = Int32(clamping: s)
    }
    return status == STYLIZE_OK ? side : 0
}
