/// A reflected margin around the picture. VGG's convolutions pad with zeros (the
/// ImageNet mean colour after normalisation), so features at the canvas edge see a
/// grey frame that no style image has there, and the optimiser paints a 1-3 px band
/// (a "pinkish rim") to fight it. The objective is therefore evaluated on the
/// picture x extended by its own mirror image, M px on every side:
///   f(x) = L(P x),   ∇f(x) = Pᵀ ∇L(P x)
/// where P (`MirrorMap.forward`) copies each canvas pixel from the picture pixel it
/// mirrors and Pᵀ (`MirrorMap.adjoint`) adds each canvas pixel's gradient back onto
/// that picture pixel. The margin is a function of the picture, not a free
/// variable, so f is what `stylize score` measures of the written picture.
enum Margin {
    /// M for a w x h picture: 8 px, or 1/160 of the longest side when that is more.
    /// 8 px moves the edge past the reach of conv1_x and conv2_x padding (the 1-3 px band
    /// of BorderTests). The deeper layers' padding reaches further in pixels, and on a
    /// large picture their grey frame painted a band again within a few steps: 3 steps
    /// at 2560x1600 (path photo, Starry Night, from a 1497 px result) left a rim of 4.00
    /// pixel levels (k = 3 px; the inside 1.0-1.7, the photo 1.55) with 8 px, 2.39 with
    /// 16 and 2.35 with 32. Cost: (1 + 2M/side)² - 1 more work per level, 6 % at 512 px.
    static func width(_ w: Int, _ h: Int) -> Int { max(8, max(w, h) / 160) }

    /// The canvas the network sees for a w x h picture: the picture and its margin on every side.
    static func canvas(_ w: Int, _ h: Int) -> (width: Int, height: Int) {
        let m = width(w, h)
        return (w + 2 * m, h + 2 * m)
    }

    /// Index `i` (may be outside 0..<n) mirrored into 0..<n without repeating the
    /// edge pixel (… 2 1 | 0 1 2 … n-1 | n-2 …), periodic for margins wider than n.
    static func mirror(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var k = i % period
        if k < 0 { k += period }
        return k < n ? k : period - k
    }

    /// Planar channels (c x h x w) extended by `m` px on every side, mirrored: P p.
    static func padded(_ p: [Float], channels: Int, width w: Int, height h: Int, margin m: Int) -> [Float] {
        if m == 0 { return p }
        return MirrorMap(width: w, height: h, margin: m).forward(p, channels: channels)
    }

    /// The inner w x h of a padded canvas.
    static func cropped(_ p: [Float], channels: Int, width w: Int, height h: Int, margin m: Int) -> [Float] {
        if m == 0 { return p }
        let W = w + 2 * m, H = h + 2 * m
        var out = [Float](repeating: 0, count: channels * w * h)
        for c in 0..<channels {
            for y in 0..<h {
                let src = c * W * H + (y + m) * W + m, dst = c * w * h + y * w
                for x in 0..<w { out[dst + x] = p[src + x] }
            }
        }
        return out
    }
}

/// P: a window of the mirrored canvas as a gather from a region of the picture.
/// Canvas pixel (X, Y) (canvas coordinates: the picture starts at (m, m)) copies
/// picture pixel (mirror(X - m, w), mirror(Y - m, h)). Linear, so its adjoint Pᵀ
/// is the scatter-add of the same indices: <P x, y> = <x, Pᵀ y>.
struct MirrorMap {
    /// The window's size (what the network sees).
    let width: Int
    let height: Int
    /// The picture region the window reads (the optimised variable's size).
    let regionWidth: Int
    let regionHeight: Int
    /// Where the region starts, in canvas coordinates.
    let origin: (x: Int, y: Int)
    /// Per window pixel, the region pixel it copies.
    let source: [Int32]

    /// The whole canvas of a w x h picture with margin `m`.
    init(width w: Int, height h: Int, margin m: Int) {
        self.init(picture: (w, h), margin: m, x: 0, y: 0, width: w + 2 * m, height: h + 2 * m)
    }

    /// The canvas window at (x, y) of size `width` x `height`; it reads the part of
    /// the picture under the window. Every mirrored pixel of the window must come
    /// from that part (true for windows that reach the canvas edge they mirror
    /// across and are wider than 2m: the tiles of `optimiseTiled`).
    init(picture: (width: Int, height: Int), margin m: Int, x: Int, y: Int, width: Int, height: Int) {
        let (w, h) = picture
        let rx0 = min(max(x - m, 0), w), rx1 = max(min(x + width - m, w), rx0)
        let ry0 = min(max(y - m, 0), h), ry1 = max(min(y + height - m, h), ry0)
        self.width = width
        self.height = height
        regionWidth = rx1 - rx0
        regionHeight = ry1 - ry0
        let xs = (0..<width).map { Margin.mirror(x + $0 - m, w) - rx0 }
        let ys = (0..<height).map { Margin.mirror(y + $0 - m, h) - ry0 }
        precondition(xs.allSatisfy { (0..<(rx1 - rx0)).contains($0) } && ys.allSatisfy { (0..<(ry1 - ry0)).contains($0) },
                     "a mirrored pixel of the window lies outside the picture region it reads")
        var source = [Int32](repeating: 0, count: width * height)
        for r in 0..<height { for i in 0..<width { source[r * width + i] = Int32(ys[r] * (rx1 - rx0) + xs[i]) } }
        self.source = source
        origin = (rx0 + m, ry0 + m)
    }

    /// P p: planar channels of the region -> planar channels of the window.
    func forward(_ p: [Float], channels: Int) -> [Float] {
        let n = regionWidth * regionHeight, N = width * height
        precondition(p.count == channels * n)
        var out = [Float](repeating: 0, count: channels * N)
        for c in 0..<channels {
            for i in 0..<N { out[c * N + i] = p[c * n + Int(source[i])] }
        }
        return out
    }

    /// 1 / (copies of each region pixel in the window), for every channel: the diagonal
    /// of (PᵀP)⁻¹. Pᵀ adds a rim pixel's gradient from its place and from each mirror
    /// image, so without this scale L-BFGS's first steps move the rim two (corners
    /// four) times as far as the inside (`MirroredObjective.preconditioner`).
    func inverseCopies(channels: Int) -> [Float] {
        var copies = [Float](repeating: 0, count: regionWidth * regionHeight)
        for i in source { copies[Int(i)] += 1 }
        let one = copies.map { 1 / max(1, $0) }
        return [[Float]](repeating: one, count: channels).flatMap { $0 }
    }

    /// Pᵀ g: each window pixel's value added onto the region pixel it was copied from.
    func adjoint(_ g: [Float], channels: Int) -> [Float] {
        let n = regionWidth * regionHeight, N = width * height
        precondition(g.count == channels * N)
        var out = [Float](repeating: 0, count: channels * n)
        for c in 0..<channels {
            for i in 0..<N { out[c * n + Int(source[i])] += g[c * N + i] }
        }
        return out
    }
}

/// The objective of a picture seen with its mirrored margin: f(x) = L(P x),
/// ∇f = Pᵀ ∇L(P x), L the Gatys objective (`TransferObjective`) on the canvas.
/// A run optimises this at each level; `stylize score` evaluates it.
public final class MirroredObjective {
    let objective: TransferObjective
    let map: MirrorMap
    /// Ruder et al.'s temporal loss, on the picture (not its margin), or nil.
    let temporal: (target: TemporalTarget, weight: Double)?
    /// The picture's size.
    public let width: Int
    public let height: Int
    public var evaluations: Int { objective.evaluations }
    /// Each loss layer's term at the last evaluation (`TransferObjective.layerTerms`).
    public var layerTerms: (content: [LayerTerm], style: [LayerTerm]) { objective.layerTerms }
    /// L-BFGS's first inverse-Hessian guess for the picture: 1 / copies of each pixel
    /// on the canvas (`MirrorMap.inverseCopies`).
    var preconditioner: [Float] { map.inverseCopies(channels: 3) }

    /// `content` is the picture-sized content (mirrored here like the picture);
    /// `styles` are used at their own sizes, their Gram matrices summed over
    /// crops of `styleCrop` px when given (as a run's plan may ask).
    public convenience init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styles: [Image],
                            options: TransferOptions, styleCrop: Int? = nil) throws {
        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let targets = try StyleTransfer.styleTargets(network: network, styles: styles, options: options, layers: layers,
                                                 crop: styleCrop)
        try self.init(network: network, width: width, height: height, content: content, styleTargets: targets, mask: nil,
                      options: options, layers: layers, margin: Margin.width(width, height))
    }

    /// Content and mask at the picture's size.
    init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styleTargets: [[Float]], mask: Mask?,
         options: TransferOptions, layers: LayerSelection, margin m: Int) throws {
        self.width = width
        self.height = height
        map = MirrorMap(width: width, height: height, margin: m)
        temporal = TemporalTarget.level(options, width: width, height: height).map { ($0, options.temporalWeight) }
        objective = try TransferObjective(network: network, width: width + 2 * m, height: height + 2 * m,
                                      content: content?.reflectPadded(m), styleTargets: styleTargets,
                                      mask: mask?.reflectPadded(m), options: options, layers: layers)
    }

    /// Loss terms of P x and the gradient with respect to the picture x (planar RGB 0-255).
    public func evaluate(_ picture: [Float]) -> (LossTerms, [Float]) {
        var (terms, g) = objective.evaluate(map.forward(picture, channels: 3))
        var gradient = map.adjoint(g, channels: 3)
        if let temporal {
            terms.temporal = gradient.withUnsafeMutableBufferPointer {
                TemporalLoss.evaluate(picture, temporal.target, weight: temporal.weight, gradient: $0.baseAddress)
            }
        }
        return (terms, gradient)
    }
}

extension Image {
    func reflectPadded(_ m: Int) -> Image {
        Image(width: width + 2 * m, height: height + 2 * m,
              pixels: Margin.padded(pixels, channels: 3, width: width, height: height, margin: m))
    }
}

extension Mask {
    func reflectPadded(_ m: Int) -> Mask {
        Mask(width: width + 2 * m, height: height + 2 * m,
             values: Margin.padded(values, channels: 1, width: width, height: height, margin: m))
    }
}
