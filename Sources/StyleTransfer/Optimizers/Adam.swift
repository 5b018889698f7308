/// Adam (Kingma & Ba 2015) with bias correction; `learningRate` is in the
/// units of x (pixel levels for images).
public struct Adam: Optimizer {
    public var learningRate: Double
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    private var m: [Float] = []
    private var v: [Float] = []
    private var t = 0

    /// A box every x stays in (a picture's 0...255): each step is projected onto it.
    public var bounds: ClosedRange<Float>?

    public init(learningRate: Double, bounds: ClosedRange<Float>? = nil) {
        self.learningRate = learningRate
        self.bounds = bounds
    }

    /// One evaluation a step, so any limit allows it.
    public mutating func step(_ x: inout [Float], _ objective: Objective, evaluationLimit: Int) -> Double {
        let (f, g) = objective(x)
        if m.isEmpty {
            m = [Float](repeating: 0, count: x.count)
            v = m
        }
        t += 1
        let b1 = Float(beta1), b2 = Float(beta2)
        let c1 = Float(1 - Foundation.pow(beta1, Double(t))), c2 = Float(1 - Foundation.pow(beta2, Double(t)))
        let lr = Float(learningRate), eps = Float(epsilon)
        for i in x.indices {
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            x[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
        }
        if let bounds { project(&x, onto: bounds) }
        return f  // the value before this step; the next call evaluates the new x
    }
}

import Foundation
