import Numerics

/// A mini-batch of raw examples shaped by a `FeatureLayout`.
public struct FeatureBatch: Sendable {
    /// Number of examples.
    public var count: Int
    /// Categorical ids, `count × fieldCount` row-major: example `i`'s id for field `f` is at
    /// `i * fieldCount + f`.
    public var categorical: [Int32]
    /// Numerical inputs, `count × numericalDimension`.
    public var numerical: Matrix

    public init(count: Int, categorical: [Int32], numerical: Matrix) {
        precondition(numerical.rows == count || (numerical.count == 0 && numerical.columns == 0),
                     "FeatureBatch: numerical inputs have \(numerical.rows) rows for \(count) examples")
        self.count = count
        self.categorical = categorical
        self.numerical = numerical.rows == count ? numerical : Matrix(rows: count, columns: 0)
    }

    /// A batch of numerical inputs only.
    public init(numerical: Matrix) {
        self.init(count: numerical.rows, categorical: [], numerical: numerical)
    }

    /// Checks the batch against `layout`, naming the first problem.
    public func validate(against layout: FeatureLayout) {
        precondition(categorical.count == count * layout.fieldCount,
                     "FeatureBatch: \(categorical.count) ids for \(count) examples × \(layout.fieldCount) fields")
        precondition(numerical.columns == layout.numericalDimension,
                     "FeatureBatch: \(numerical.columns) numerical columns, layout has \(layout.numericalDimension)")
    }
}
