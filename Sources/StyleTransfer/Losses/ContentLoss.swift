/// Content loss at one layer (Gatys et al., eq. 1, as a mean):
///   L = w / (C H W) * sum (F - P)^2,   dL/dF = 2 w / (C H W) * (F - P)
/// where F are the features of the image being optimised and P those of the
/// content image. The mean makes the weight independent of image size.
public struct ContentLoss {
    public let layer: Int
    public let weight: Double
    public let target: FeatureMap

    public init(layer: Int, weight: Double, target: FeatureMap) throws {
        self.layer = layer
        self.weight = weight
        self.target = try target.clone()
    }

    /// Value; when `gradient` is given, adds dL/dF into it.
    public func evaluate(_ f: FeatureMap, gradient: FeatureMap?) -> Double {
        precondition(f.count == target.count, "content target has another shape")
        let n = Double(f.channels * f.height * f.width)
        let scale = Float(2 * weight / n)
        let a = f.data, p = target.data
        let sums = parallelPartials(f.count) { range in
            var sum = 0.0
            for i in range {
                let d = a[i] - p[i]
                sum += Double(d * d)
                if let g = gradient { g.data[i] += scale * d }
            }
            return sum
        }
        return weight * sums.reduce(0, +) / n
    }
}
