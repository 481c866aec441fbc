import NeuralNet
import Numerics

/// Encodes a `FeatureBatch` into the network input: one embedding lookup per categorical field and
/// a dense layer over the numerical features, concatenated (the "embedding & concatenation" input
/// layer of MMoE, Ma et al. KDD 2018 §4, and of PLE, Tang et al. RecSys 2020 §4).
///
/// Output layout per example: `[E₀[id₀] | … | E_{F−1}[id_{F−1}] | f(x·W + b)]` (see
/// `FeatureLayout.offsets`). Backward scatter-adds into the tables and accumulates `W`, `b`; the
/// raw features need no gradient.
public struct FeatureEncoder: ParameterStore, Sendable {
    public let layout: FeatureLayout
    public private(set) var tables: [EmbeddingTable]
    /// The dense layer over numerical features, when `layout.numericalProjection` is set.
    public private(set) var numerical: Dense?

    private var projected = Matrix(rows: 0, columns: 0)
    private var projectedGradient = Matrix(rows: 0, columns: 0)

    /// An encoder for `layout` with embeddings from `N(0, σ²)` (σ = `embeddingStandardDeviation`, default
    /// 1/√d) and a He-initialised projection.
    ///
    /// Rankers trained on logged impressions use σ = 0: a log shows only the top of each candidate set, so most
    /// items of a catalog never appear in it (15% of short-video's 10,000 items in 1M impressions), yet the
    /// simulator asks the ranker to score every candidate. Zero rows score an unseen item as the average item of
    /// its category, creator and attributes; random rows would score it at random, and ranking by them fills
    /// slates with items nobody wants.
    public init(layout: FeatureLayout, stream: inout RandomStream, embeddingStandardDeviation: Float? = nil) {
        self.layout = layout
        tables = layout.categorical.map {
            EmbeddingTable(vocabularySize: $0.vocabularySize, dimension: $0.embeddingDimension, stream: &stream,
                           name: "encoder.\($0.name)", standardDeviation: embeddingStandardDeviation)
        }
        if let width = layout.numericalProjection {
            numerical = Dense(inputSize: layout.numericalDimension, outputSize: width,
                              initialization: layout.numericalActivation == .relu ? .he : .xavier,
                              stream: &stream, name: "encoder.numerical")
        }
    }

    /// Width of the encoded vector.
    public var outputSize: Int { layout.encodedDimension }

    /// `output ← encode(batch)`, `batch.count × outputSize` (resized, storage reused).
    public mutating func forward(_ batch: FeatureBatch, into output: inout Matrix) {
        batch.validate(against: layout)
        let (n, fields, width) = (batch.count, layout.fieldCount, outputSize)
        output.resize(rows: n, columns: width)
        let offsets = layout.offsets
        if let numerical {
            numerical.forward(batch.numerical, into: &projected)
            layout.numericalActivation.apply(&projected)
        }
        let numericalOffset = offsets[fields]
        let numericalWidth = layout.numericalOutputDimension
        batch.categorical.withUnsafeBufferPointer { ids in
            output.withUnsafeMutableBufferPointer { y in
                for f in 0..<fields {
                    tables[f].gather(ids: ids.baseAddress.map { $0 + f }, idStride: fields, count: n,
                                     into: y.baseAddress! + offsets[f], outputStride: width)
                }
                guard numericalWidth > 0 else { return }
                let source = numerical == nil ? batch.numerical : projected
                source.withUnsafeBufferPointer { x in
                    for i in 0..<n {
                        (y.baseAddress! + i * width + numericalOffset)
                            .update(from: x.baseAddress! + i * numericalWidth, count: numericalWidth)
                    }
                }
            }
        }
    }

    /// Accumulates the gradients of the last `forward(batch)` given `∂L/∂output`.
    public mutating func backward(_ batch: FeatureBatch, outputGradient: Matrix) {
        let (n, fields, width) = (batch.count, layout.fieldCount, outputSize)
        precondition(outputGradient.rows == n && outputGradient.columns == width,
                     "FeatureEncoder.backward: gradient is \(outputGradient.rows)×\(outputGradient.columns), "
                     + "expected \(n)×\(width)")
        let offsets = layout.offsets
        batch.categorical.withUnsafeBufferPointer { ids in
            outputGradient.withUnsafeBufferPointer { dy in
                for f in 0..<fields {
                    tables[f].scatterAdd(ids: ids.baseAddress.map { $0 + f }, idStride: fields, count: n,
                                         gradient: dy.baseAddress! + offsets[f], gradientStride: width)
                }
            }
        }
        guard numerical != nil else { return }
        let p = layout.numericalOutputDimension
        let offset = offsets[fields]
        projectedGradient.resize(rows: n, columns: p)
        outputGradient.withUnsafeBufferPointer { dy in
            projectedGradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<n { (g.baseAddress! + i * p).update(from: dy.baseAddress! + i * width + offset, count: p) }
            }
        }
        layout.numericalActivation.backward(output: projected, gradient: &projectedGradient)
        numerical!.backward(input: batch.numerical, outputGradient: projectedGradient)
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        for f in tables.indices { try tables[f].updateParameters(body) }
        if numerical != nil { try numerical!.updateParameters(body) }
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        for table in tables { try table.forEachParameter(body) }
        try numerical?.forEachParameter(body)
    }
}
