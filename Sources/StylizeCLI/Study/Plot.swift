import Foundation

/// Line plots as standalone SVG (no scripts, no fonts to fetch), so the
/// report opens from disk. Several panels sit side by side in one file.
struct Plot {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    struct Panel {
        var title: String
        var xLabel: String
        var yLabel: String
        var logY = true
        var series: [Series]
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let panelWidth = 380.0, panelHeight = 280.0
    static let left = 62.0, right = 12.0, top = 28.0, bottom = 44.0

    static func svg(_ panels: [Panel]) -> String {
        let width = panelWidth * Double(panels.count)
        let legendRows = panels.map(\.series.count).max() ?? 0
        let height = panelHeight + 16 * Double(legendRows) + 8
        var out = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" "#
            + #"viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif" font-size="11">"# + "\n"
        out += #"<rect width="100%" height="100%" fill="white"/>"# + "\n"
        for (i, panel) in panels.enumerated() {
            out += "<g transform=\"translate(\(f(Double(i) * panelWidth)),0)\">\n" + draw(panel) + "</g>\n"
        }
        return out + "</svg>\n"
    }

    static func draw(_ panel: Panel) -> String {
        let plotW = panelWidth - left - right, plotH = panelHeight - top - bottom
        let usable = panel.series.map { s in s.points.filter { $0.x.isFinite && $0.y.isFinite && (!panel.logY || $0.y > 0) } }
        let xs = usable.flatMap { $0.map(\.x) }, ys = usable.flatMap { $0.map { panel.logY ? log10($0.y) : $0.y } }
        var out = "<text x=\"\(f(panelWidth / 2))\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
        guard var x0 = xs.min(), var x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else {
            return out + "<text x=\"\(f(panelWidth / 2))\" y=\"\(f(panelHeight / 2))\" text-anchor=\"middle\">no data</text>\n"
        }
        if x1 == x0 { x1 = x0 + 1 }
        if panel.logY { y0 = y0.rounded(.down); y1 = max(y1.rounded(.up), y0 + 1) }
        else if y1 == y0 { y0 -= 1; y1 += 1 }
        else { let pad = 0.05 * (y1 - y0); y0 -= pad; y1 += pad }
        if !panel.logY && x0 > 0 && x0 < 0.2 * x1 { x0 = 0 }
        let sx = { (x: Double) in left + (x - x0) / (x1 - x0) * plotW }
        let sy = { (y: Double) in top + (1 - (y - y0) / (y1 - y0)) * plotH }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        // Y ticks: decades on a log axis, about five round values otherwise.
        let yTicks: [Double] = panel.logY
            ? stride(from: y0, through: y1, by: max(1, ((y1 - y0) / 6).rounded(.up))).map { $0 }
            : niceTicks(y0, y1)
        for t in yTicks {
            let y = sy(t)
            let label = panel.logY ? "1e\(Int(t))" : short(t)
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        for t in niceTicks(x0, x1) {
            let x = sx(t)
            out += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 14))\" text-anchor=\"middle\">\(short(t))</text>\n"
        }
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(panelHeight - 8))\" text-anchor=\"middle\">\(escape(panel.xLabel))</text>\n"
        out += "<text transform=\"translate(14,\(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(panel.yLabel + (panel.logY ? " (log)" : "")))</text>\n"
        for (k, points) in usable.enumerated() where !points.isEmpty {
            let color = colors[k % colors.count]
            let path = points.map { "\(f(sx($0.x))),\(f(sy(panel.logY ? log10($0.y) : $0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(path)\"/>\n"
            let ly = panelHeight + 16 * Double(k)
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + 18))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(left + 24))\" y=\"\(f(ly))\">\(escape(panel.series[k].name))</text>\n"
        }
        return out
    }

    /// About five round tick values covering [a, b].
    static func niceTicks(_ a: Double, _ b: Double) -> [Double] {
        let raw = (b - a) / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let first = (a / step).rounded(.up) * step
        return stride(from: first, through: b + 1e-9 * step, by: step).map { $0 }
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func short(_ v: Double) -> String {
        abs(v) >= 1e4 || (abs(v) < 1e-2 && v != 0) ? String(format: "%.0e", v) : String(format: "%g", (v * 1000).rounded() / 1000)
    }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
