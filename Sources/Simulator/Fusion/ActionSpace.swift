import Numerics

/// The box of fusion parameters a policy chooses per request, in raw units, with the map to the
/// normalised box [-1, 1]^n used for learning and exploration.
///
/// Weighted-sum and log-sum forms act with one weight per task; the power-product form also chooses
/// one bias per task (UnifiedRL), so its dimension is twice the task count.
public struct ActionSpace: Sendable, Equatable {
    /// Names of the dimensions: `w.<task>` then, for the power-product form, `b.<task>`.
    public let names: [String]
    public let low: [Float]
    public let high: [Float]
    /// The environment's baseline (logging-like) action in raw units.
    public let baseline: [Float]

    public var dimension: Int { names.count }

    public init(names: [String], low: [Float], high: [Float], baseline: [Float]) {
        precondition(names.count == low.count && low.count == high.count && high.count == baseline.count,
                     "ActionSpace: names, bounds and baseline must have one entry per dimension")
        self.names = names
        self.low = low
        self.high = high
        self.baseline = baseline
    }

    public init(config: EnvironmentConfig) {
        var names = [String](), low = [Float](), high = [Float](), baseline = [Float]()
        for task in config.taskNames {
            let b = config.fusion.weightBounds[task] ?? config.fusion.defaultWeightBounds
            names.append("w.\(task)")
            low.append(Float(b.low))
            high.append(Float(b.high))
            baseline.append(Float(config.policies.baseline[task] ?? (b.low + b.high) / 2))
        }
        if config.fusion.form == .powerProduct {
            let b = config.fusion.biasBounds
            for task in config.taskNames {
                names.append("b.\(task)")
                low.append(Float(b.low))
                high.append(Float(b.high))
                baseline.append(Float(min(max(config.fusion.beta[task] ?? config.fusion.defaultBeta, b.low), b.high)))
            }
        }
        self.init(names: names, low: low, high: high, baseline: baseline)
    }

    /// Raw value of dimension `i` for the normalised value `x ∈ [-1, 1]`.
    @inline(__always)
    public func denormalize(_ x: Float, dimension i: Int) -> Float {
        low[i] + (x + 1) * 0.5 * (high[i] - low[i])
    }

    /// Normalised value in [-1, 1] of the raw value `a` of dimension `i`.
    @inline(__always)
    public func normalize(_ a: Float, dimension i: Int) -> Float {
        2 * (a - low[i]) / (high[i] - low[i]) - 1
    }

    /// Raw action for a normalised one.
    public func denormalize(_ x: [Float]) -> [Float] { x.indices.map { denormalize(x[$0], dimension: $0) } }

    /// Normalised action for a raw one.
    public func normalize(_ a: [Float]) -> [Float] { a.indices.map { normalize(a[$0], dimension: $0) } }

    /// log |∂raw/∂normalised| = Σ log((high − low)/2): converts a density on the normalised box to raw units.
    public var logJacobian: Double {
        (0..<dimension).reduce(0) { $0 + Double(((high[$1] - low[$1]) / 2)).logValue }
    }

    /// The box of half-width `h` (in normalised units of this box) around `centre` (raw weights; default the
    /// baseline), cut to this box: a residual action space, where a learner adjusts the production weights instead
    /// of searching the whole box (BatchRL-MTF explores ±0.15 around its baseline).
    public func restricted(toHalfWidth h: Float, around centre: [Float]? = nil) -> ActionSpace {
        precondition(h > 0, "ActionSpace.restricted: half-width must be positive, got \(h)")
        let weights = centre ?? baseline
        precondition(weights.count == dimension, "ActionSpace.restricted: \(weights.count) centre weights for \(dimension) dimensions")
        var low = self.low, high = self.high
        for i in 0..<dimension {
            let centre = min(max(normalize(weights[i], dimension: i), -1), 1)
            low[i] = denormalize(max(centre - h, -1), dimension: i)
            high[i] = denormalize(min(centre + h, 1), dimension: i)
        }
        return ActionSpace(names: names, low: low, high: high, baseline: baseline)
    }

    /// Whether `a` (raw) lies in the box.
    public func contains(_ a: [Float]) -> Bool {
        a.count == dimension && a.indices.allSatisfy { a[$0] >= low[$0] && a[$0] <= high[$0] }
    }
}

extension Double {
    @inline(__always) var logValue: Double { Numerics.Elementary.log(self) }
}
