extension TransferPlan {
    /// The work of a run, for a time estimate: Σ over levels of the optimised
    /// pixels times iterations, where a whole level optimises its picture and
    /// mirrored margin, (w + 2M)(h + 2M) px (Margin.swift), and a tiled level
    /// its tiles, (number of tiles) x tile² (Tiling.swift, first pass's grid).
    /// One pixel-iteration costs about the same at any size above ~256 px
    /// (README: Performance), so seconds ≈ pixelIterations x a measured rate.
    public var pixelIterations: Double {
        levels.reduce(0) { total, level in
            let (cw, ch) = (level.width + 2 * Margin.width, level.height + 2 * Margin.width)
            guard let tile = level.tile else { return total + Double(cw * ch) * Double(level.iterations) }
            let overlap = max(16, tile / 8)
            let xs = Tiling.spans(length: cw, tile: tile, overlap: overlap, shift: 0).count
            let ys = Tiling.spans(length: ch, tile: tile, overlap: overlap, shift: 0).count
            return total + Double(xs * ys * min(tile, cw) * min(tile, ch)) * Double(level.iterations)
        }
    }
}
