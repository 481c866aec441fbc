import NeuralNet

/// How one example's raw features are laid out and encoded into the network's input vector.
///
/// An example has one integer id per categorical field (user id, item id, creator, category…) and
/// `numericalDimension` floats. The encoder turns them into
/// `[embedding(field 0) | … | embedding(field F−1) | numerical part]`, where the numerical part is
/// `f(x·W + b)` when `numericalProjection` is set and the raw floats otherwise.
/// The layout is stored in ranker checkpoints so that a model can only score features shaped the
/// way it was trained on.
public struct FeatureLayout: Codable, Equatable, Hashable, Sendable {
    /// One categorical feature and its embedding table.
    public struct CategoricalField: Codable, Equatable, Hashable, Sendable {
        /// A stable name (`"item"`, `"creator"`), used in error messages and layout comparisons.
        public var name: String
        /// Number of distinct ids: valid ids are `0..<vocabularySize`.
        public var vocabularySize: Int
        /// Width of the embedding vector.
        public var embeddingDimension: Int

        public init(name: String, vocabularySize: Int, embeddingDimension: Int) {
            self.name = name
            self.vocabularySize = vocabularySize
            self.embeddingDimension = embeddingDimension
        }
    }

    public var categorical: [CategoricalField]
    /// Number of numerical inputs per example.
    public var numericalDimension: Int
    /// Names of the numerical inputs (empty, or `numericalDimension` names).
    public var numericalNames: [String]
    /// Width of the dense layer over numerical features; `nil` passes them through unchanged.
    public var numericalProjection: Int?
    /// Activation after the numerical dense layer (ignored without a projection).
    public var numericalActivation: Activation

    public init(categorical: [CategoricalField] = [], numericalDimension: Int, numericalNames: [String] = [],
                numericalProjection: Int? = nil, numericalActivation: Activation = .relu) {
        precondition(categorical.allSatisfy { $0.vocabularySize > 0 && $0.embeddingDimension > 0 },
                     "FeatureLayout: vocabulary sizes and embedding dimensions must be positive, got \(categorical)")
        precondition(numericalDimension >= 0, "FeatureLayout: negative numerical dimension \(numericalDimension)")
        precondition(numericalNames.isEmpty || numericalNames.count == numericalDimension,
                     "FeatureLayout: \(numericalNames.count) numerical names for \(numericalDimension) inputs")
        precondition(numericalProjection.map { $0 > 0 && numericalDimension > 0 } ?? true,
                     "FeatureLayout: a numerical projection needs a positive width and numerical inputs")
        precondition(numericalActivation != .softmax, "FeatureLayout: softmax is not an elementwise activation")
        self.categorical = categorical
        self.numericalDimension = numericalDimension
        self.numericalNames = numericalNames
        self.numericalProjection = numericalProjection
        self.numericalActivation = numericalActivation
    }

    /// Number of categorical fields per example.
    public var fieldCount: Int { categorical.count }

    /// Width of the numerical part of the encoded vector.
    public var numericalOutputDimension: Int { numericalProjection ?? numericalDimension }

    /// Width of the encoded vector: the network's input size.
    public var encodedDimension: Int {
        categorical.reduce(0) { $0 + $1.embeddingDimension } + numericalOutputDimension
    }

    /// Column offset of each field's embedding in the encoded vector, then of the numerical part.
    public var offsets: [Int] {
        var out = [Int]()
        var offset = 0
        for field in categorical {
            out.append(offset)
            offset += field.embeddingDimension
        }
        out.append(offset)
        return out
    }

    /// A one-line account of the first difference from `other`, or `nil` when equal (for
    /// "checkpoint was trained on another layout" errors).
    public func difference(from other: FeatureLayout) -> String? {
        if categorical.count != other.categorical.count {
            return "\(categorical.count) categorical fields vs \(other.categorical.count)"
        }
        for (a, b) in zip(categorical, other.categorical) where a != b {
            return "field \(a.name) (vocabulary \(a.vocabularySize), dimension \(a.embeddingDimension)) vs "
                + "\(b.name) (vocabulary \(b.vocabularySize), dimension \(b.embeddingDimension))"
        }
        if numericalDimension != other.numericalDimension {
            return "\(numericalDimension) numerical inputs vs \(other.numericalDimension)"
        }
        if numericalNames != other.numericalNames { return "numerical names \(numericalNames) vs \(other.numericalNames)" }
        if numericalProjection != other.numericalProjection || numericalActivation != other.numericalActivation {
            return "numerical projection \(numericalProjection.map(String.init) ?? "none") (\(numericalActivation)) vs "
                + "\(other.numericalProjection.map(String.init) ?? "none") (\(other.numericalActivation))"
        }
        return nil
    }
}
