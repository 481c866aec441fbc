import NeuralNet
import Numerics

/// A lookup table mapping categorical ids to dense vectors (the embedding layer of every deep
/// recommender since Covington et al., RecSys 2016): row `id` of a `vocabularySize × dimension`
/// matrix `E`.
///
/// Forward gathers rows, `Y[i] = E[id_i]`; backward scatter-adds, `∂L/∂E[id_i] += ∂L/∂Y[i]`, so a
/// batch costs `O(batch · dimension)` whatever the vocabulary size, and an id repeated in the batch
/// accumulates every example's gradient. (Adam still updates every row with its moments, as
/// PyTorch's dense `nn.Embedding` does.)
public struct EmbeddingTable: ParameterStore, Sendable {
    /// `E`, `vocabularySize × dimension`.
    public var table: Parameter

    /// A table with entries drawn from `N(0, 1/dimension)`, so embeddings start with norm ≈ 1.
    ///
    /// - Parameter standardDeviation: overrides the `1/√dimension` scale; 0 gives an all-zero table, whose rows
    ///   stay zero until an example uses them (Adam leaves a row with zero gradients in place), so an id never
    ///   seen in training is scored as the average id rather than by a random vector.
    public init(vocabularySize: Int, dimension: Int, stream: inout RandomStream, name: String = "embedding",
                standardDeviation: Float? = nil) {
        precondition(vocabularySize > 0 && dimension > 0,
                     "EmbeddingTable(\(name)): vocabulary \(vocabularySize) and dimension \(dimension) must be positive")
        let std = standardDeviation ?? Float((1.0 / Double(dimension)).squareRoot())
        var values = Matrix(rows: vocabularySize, columns: dimension)
        values.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = std * stream.normalFloat() }
        }
        self.init(table: values, name: name)
    }

    /// A table with the given values.
    public init(table: Matrix, name: String = "embedding") {
        self.table = Parameter(name: name + ".table", value: table)
    }

    public var vocabularySize: Int { table.value.rows }
    public var dimension: Int { table.value.columns }

    /// `output ← E[ids]`, `ids.count × dimension` (resized, storage reused).
    public func forward(ids: [Int32], into output: inout Matrix) {
        output.resize(rows: ids.count, columns: dimension)
        let stride = dimension
        ids.withUnsafeBufferPointer { id in
            output.withUnsafeMutableBufferPointer { y in
                gather(ids: id.baseAddress, idStride: 1, count: id.count, into: y.baseAddress, outputStride: stride)
            }
        }
    }

    /// `∂L/∂E[ids[i]] += outputGradient[i]` for every `i`.
    public mutating func backward(ids: [Int32], outputGradient: Matrix) {
        precondition(outputGradient.rows == ids.count && outputGradient.columns == dimension,
                     "EmbeddingTable(\(table.name)).backward: gradient is \(outputGradient.rows)×\(outputGradient.columns) "
                     + "for \(ids.count) ids of dimension \(dimension)")
        let stride = dimension
        ids.withUnsafeBufferPointer { id in
            outputGradient.withUnsafeBufferPointer { dy in
                scatterAdd(ids: id.baseAddress, idStride: 1, count: id.count, gradient: dy.baseAddress, gradientStride: stride)
            }
        }
    }

    /// Copies row `ids[i * idStride]` to `output + i * outputStride` for `i < count`.
    ///
    /// Ids are always range-checked: an out-of-vocabulary id is a caller bug that would otherwise
    /// read out of bounds.
    func gather(ids: UnsafePointer<Int32>?, idStride: Int, count: Int,
                into output: UnsafeMutablePointer<Float>?, outputStride: Int) {
        guard count > 0, let ids, let output else { return }
        let (d, v) = (dimension, vocabularySize)
        table.value.withUnsafeBufferPointer { e in
            let base = e.baseAddress!
            for i in 0..<count {
                let id = Int(ids[i * idStride])
                precondition(id >= 0 && id < v, "EmbeddingTable(\(table.name)): id \(id) outside vocabulary 0..<\(v)")
                (output + i * outputStride).update(from: base + id * d, count: d)
            }
        }
    }

    /// `∂L/∂E[ids[i * idStride]] += gradient[i * gradientStride ..< + dimension]`.
    mutating func scatterAdd(ids: UnsafePointer<Int32>?, idStride: Int, count: Int,
                    gradient: UnsafePointer<Float>?, gradientStride: Int) {
        guard count > 0, let ids, let gradient else { return }
        let (d, v) = (dimension, vocabularySize)
        let name = table.name
        table.gradient.withUnsafeMutableBufferPointer { g in
            let base = g.baseAddress!
            for i in 0..<count {
                let id = Int(ids[i * idStride])
                precondition(id >= 0 && id < v, "EmbeddingTable(\(name)): id \(id) outside vocabulary 0..<\(v)")
                let row = base + id * d
                let dy = gradient + i * gradientStride
                for j in 0..<d { row[j] += dy[j] }
            }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&table)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try body(table)
    }
}
