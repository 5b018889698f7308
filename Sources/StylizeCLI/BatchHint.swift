import Foundation

extension Transfer {
    /// `stylize a.jpg b.jpg style.jpg -o x.png` reads b.jpg as a second style
    /// (neural-style's positional style list, kept for scripts that rely on it),
    /// while a new user often means two contents. Two or more styles after the
    /// content without --style-blend get a note on stderr naming what happens
    /// and `stylize batch`; the run itself is unchanged.
    func noteSeveralStyles() {
        guard styleImages.count > 1, loss.styleBlend == nil, !common.quiet else { return }
        let names = styleImages.map { ($0 as NSString).lastPathComponent }
        let note = "stylize: note: \(names.dropLast().joined(separator: ", ")) and \(names.last!) are all style images, "
            + "blended into one result; to stylize several contents use "
            + "'stylize batch \(content) \(styleImages.dropLast().joined(separator: " ")) --style \(styleImages.last!) -o FOLDER' "
            + "(--style-blend or --style for each style silences this note)\n"
        FileHandle.standardError.write(note.data(using: .utf8)!)
    }
}
