extension TransferPlan {
    /// The work of a run, for a time estimate: Σ over levels of the pixels one
    /// step evaluates (a whole level its picture and mirrored margin, a tiled
    /// level each of its tiles: `TimeBudget.tiles` x `TimeBudget.pixels`) times
    /// its iterations. One pixel-iteration costs about the same at any size above
    /// ~256 px (README: Performance), so seconds ≈ pixelIterations x a measured rate.
    public var pixelIterations: Double {
        levels.reduce(0) { total, level in
            total + Double(TimeBudget.tiles(level) * TimeBudget.pixels(level)) * Double(level.iterations)
        }
    }
}
