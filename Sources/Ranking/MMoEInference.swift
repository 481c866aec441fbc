import NeuralNet
import Numerics

/// A trained MMoE ranker (encoder + `MMoE`) evaluated for inference only, the way the simulator needs it:
/// `mtfsim simulate --ranker` scores every candidate of a block (64 lanes × K = 200 → 12,800 rows) every step, and
/// the training-shaped `MultiTaskRanker.forward` spends most of that time outside arithmetic (re-packing the input
/// for each of the gates' and towers' thin GEMMs, separate bias, activation, copy and zeroing passes, each
/// streaming 12,800-row activations through memory).
///
/// The same function as `MultiTaskRanker.forward`, computed differently:
/// - rows are scored in chunks of `chunkRows` (features, encoding, every layer), so that a chunk's activations
///   (about 2.2 KB per row for the default simulation ranker) are still in cache when the next layer reads them;
/// - the experts' first layer and every gate read the same input, so their weights sit side by side in one matrix
///   and are one GEMM (for the default simulation ranker N = 4·64 + 7·4 = 284, padded to 288: one packing of the
///   input instead of eight);
/// - biases are written into a GEMM's output before it accumulates into them (β = 1: no separate bias pass, no
///   zeroing); the gates' softmax runs eight exponentials at a time, the mixing sums the experts in registers, and
///   a tower's last ReLU happens inside its output dot product;
/// - only the network columns the caller reads are computed (`heads`: the first `taskCount` columns and the
///   parents of cascade columns among them), so the simulator pays nothing for the watch-time regression head.
///
/// Predictions agree with the generic path to float rounding (about 1e-6 relative; the GEMMs sum in another
/// order). They are deterministic and depend on a row's chunk only through its position, so a block of candidates
/// gets the same predictions whatever the thread count. The value holds the weights of the ranker it was built
/// from (copy-on-write): later training does not change it.
public struct MMoEInference: Sendable {
    /// Rows scored together: few enough that a chunk's activations stay in cache, enough that GEMM calls and the
    /// packing of the weights (once per GEMM call) are amortised. On the benchmark machine (1 MB L2 per core) 256
    /// to 2,048 rows ran within noise of each other.
    public static let defaultChunkRows = 512

    public let chunkRows: Int
    /// Network output columns computed, ascending.
    public let heads: [Int]
    /// Number of leading output columns turned into predictions.
    public let taskCount: Int

    // Encoder.
    private let fieldCount: Int
    private let numericalDimension: Int
    private let tables: [Matrix]
    private let tableOffsets: [Int]
    private let numericalOffset: Int
    private let numericalWidth: Int
    /// `numericalDimension × numericalWidth` and its bias, when the layout projects numerical inputs.
    private let numericalWeight: Matrix?
    private let numericalBias: Matrix?
    private let numericalActivation: Activation
    private let inputWidth: Int

    // Experts and gates.
    private let expertCount: Int
    /// `[input, hidden…, output]` of each expert.
    private let expertSizes: [Int]
    /// `inputWidth × firstWidth`: experts' first layer (`expertCount · expertSizes[1]` columns), then each head's gate
    /// (`expertCount` columns), then zero columns up to a multiple of 8 (so that the gates' exponentials run eight at
    /// a time and N suits the GEMM kernel; their outputs are never read).
    private let firstWeight: Matrix
    private let firstBias: Matrix
    private let gateOffset: Int
    /// Expert layers after the first, as in `ExpertBank` (`h_l × (expertCount · h_{l+1})`).
    private let deeperWeights: [Matrix]
    private let deeperBiases: [Matrix]

    // Towers, per head.
    /// `[expert width, hidden…]`; the output layer maps the last to one value.
    private let towerSizes: [Int]
    private let towerWeights: [[Matrix]]
    private let towerBiases: [[Matrix]]
    /// The output layer's weights, `heads.count × towerSizes.last`, and bias per head.
    private let outputWeights: Matrix
    private let outputBiases: [Float]
    /// For each prediction column: its head index, and its parent's head index for cascade columns.
    private let columns: [(head: Int, parent: Int?)]

    /// Inference for `ranker`'s first `taskCount` output columns (all of them by default).
    public init(_ ranker: MultiTaskRanker<MMoE>, taskCount: Int? = nil, chunkRows: Int = MMoEInference.defaultChunkRows) {
        let network = ranker.network
        let configuration = network.configuration
        let count = taskCount ?? ranker.tasks.count
        precondition(count > 0 && count <= ranker.tasks.count && chunkRows > 0,
                     "MMoEInference: \(count) tasks of \(ranker.tasks.count), chunks of \(chunkRows) rows")
        var needed = Set(0..<count)
        for task in ranker.tasks.prefix(count) {
            if case .cascade(let parent) = task.kind { needed.insert(parent) }
        }
        let heads = needed.sorted()
        let headIndex = Dictionary(uniqueKeysWithValues: heads.enumerated().map { ($1, $0) })
        self.heads = heads
        self.taskCount = count
        self.chunkRows = chunkRows
        columns = ranker.tasks.prefix(count).enumerated().map { j, task in
            if case .cascade(let parent) = task.kind { return (headIndex[j]!, headIndex[parent]!) }
            return (headIndex[j]!, nil)
        }

        let layout = ranker.layout
        let encoder = ranker.encoder
        fieldCount = layout.fieldCount
        numericalDimension = layout.numericalDimension
        tables = encoder.tables.map(\.table.value)
        let offsets = layout.offsets
        tableOffsets = Array(offsets.prefix(layout.fieldCount))
        numericalOffset = offsets[layout.fieldCount]
        numericalWidth = layout.numericalOutputDimension
        numericalWeight = encoder.numerical?.weight.value
        numericalBias = encoder.numerical?.bias.value
        numericalActivation = layout.numericalActivation
        inputWidth = layout.encodedDimension

        let experts = network.experts
        expertCount = configuration.expertCount
        expertSizes = experts.layerSizes
        let (e, h1) = (configuration.expertCount, experts.layerSizes[1])
        let gateOffset = e * h1
        self.gateOffset = gateOffset
        let firstWidth = gateOffset + (heads.count * e + 7) / 8 * 8
        var weight = Matrix(rows: layout.encodedDimension, columns: firstWidth)
        var bias = Matrix(rows: 1, columns: firstWidth)
        weight.withUnsafeMutableBufferPointer { w in
            bias.withUnsafeMutableBufferPointer { b in
                func place(_ source: Matrix, _ sourceBias: Matrix, at column: Int) {
                    let width = source.columns
                    source.withUnsafeBufferPointer { s in
                        for r in 0..<source.rows {
                            (w.baseAddress! + r * firstWidth + column).update(from: s.baseAddress! + r * width, count: width)
                        }
                    }
                    sourceBias.withUnsafeBufferPointer { (b.baseAddress! + column).update(from: $0.baseAddress!, count: width) }
                }
                place(experts.weights[0].value, experts.biases[0].value, at: 0)
                for (i, head) in heads.enumerated() {
                    let gate = network.gates[head].dense
                    place(gate.weight.value, gate.bias.value, at: gateOffset + i * e)
                }
            }
        }
        firstWeight = weight
        firstBias = bias
        deeperWeights = experts.weights.dropFirst().map(\.value)
        deeperBiases = experts.biases.dropFirst().map(\.value)

        let towers = heads.map { network.towers.towers[$0] }
        towerSizes = Array(towers[0].layerSizes.dropLast())
        towerWeights = towers.map { $0.layers.dropLast().map(\.weight.value) }
        towerBiases = towers.map { $0.layers.dropLast().map(\.bias.value) }
        let last = towerSizes.last!
        outputWeights = Matrix(rows: heads.count, columns: last) { t, j in towers[t].layers.last!.weight.value[j, 0] }
        outputBiases = towers.map { $0.layers.last!.bias.value[0, 0] }
    }

    /// Dense-layer FLOPs per scored row, `2 · Σ weights` over the weight matrices actually multiplied (embedding
    /// lookups, biases, activations and mixing not counted).
    public var denseFlopsPerRow: Int {
        let first = inputWidth * (gateOffset + heads.count * expertCount)  // without the padding
        var weights = (numericalWeight?.count ?? 0) + first + deeperWeights.reduce(0) { $0 + $1.count }
        weights += towerWeights.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } + outputWeights.count
        return 2 * weights
    }

    /// A workspace for this network's chunks (reuse it between calls; one per thread).
    public func makeWorkspace() -> Workspace {
        Workspace(rows: chunkRows, fields: fieldCount, numerical: numericalDimension, input: inputWidth,
                  first: firstWeight.columns, deeper: deeperWeights.map(\.columns), mixture: expertSizes.last!,
                  hidden: Array(towerSizes.dropFirst()), heads: heads.count)
    }

    /// Buffers for one chunk's features and activations, allocated once (rows of the widths given).
    public final class Workspace {
        fileprivate let rows: Int
        fileprivate let ids: UnsafeMutablePointer<Int32>
        fileprivate let numerical: UnsafeMutablePointer<Float>
        fileprivate let input: UnsafeMutablePointer<Float>
        fileprivate let first: UnsafeMutablePointer<Float>
        fileprivate let deeper: [UnsafeMutablePointer<Float>]
        fileprivate let mixture: UnsafeMutablePointer<Float>
        fileprivate let hidden: [UnsafeMutablePointer<Float>]
        fileprivate let logits: UnsafeMutablePointer<Float>

        fileprivate init(rows: Int, fields: Int, numerical: Int, input: Int, first: Int, deeper: [Int], mixture: Int,
                         hidden: [Int], heads: Int) {
            func floats(_ width: Int) -> UnsafeMutablePointer<Float> {
                let p = UnsafeMutableRawPointer.allocate(byteCount: max(rows * width, 1) * 4, alignment: 64)
                return p.initializeMemory(as: Float.self, repeating: 0, count: max(rows * width, 1))
            }
            self.rows = rows
            ids = .allocate(capacity: max(rows * fields, 1))
            ids.initialize(repeating: 0, count: max(rows * fields, 1))
            self.numerical = floats(numerical)
            self.input = floats(input)
            self.first = floats(first)
            self.deeper = deeper.map(floats)
            self.mixture = floats(mixture)
            self.hidden = hidden.map(floats)
            logits = floats(heads)
        }

        deinit {
            ids.deallocate()
            for p in [numerical, input, first, mixture, logits] + deeper + hidden { p.deallocate() }
        }
    }

    // MARK: Public entry points (a `FeatureBatch` in, a matrix out; for tests and tools)

    /// The network's output columns `heads` for `batch` (`batch.count × heads.count`): logits, or raw values for
    /// regression heads.
    public func logits(_ batch: FeatureBatch, workspace: Workspace? = nil) -> Matrix {
        var out = Matrix(rows: batch.count, columns: heads.count)
        out.withUnsafeMutableBufferPointer { o in
            let width = heads.count
            run(rows: batch.count, fill: Self.copying(batch), workspace: workspace ?? makeWorkspace()) { start, count, z in
                (o.baseAddress! + start * width).update(from: z, count: count * width)
            }
        }
        return out
    }

    /// Predictions of the first `taskCount` columns for `batch` (`batch.count × taskCount`): σ(z), or
    /// p(parent)·p(task | parent) for cascade columns (regression columns too go through σ, as in the simulator).
    public func predictions(_ batch: FeatureBatch, workspace: Workspace? = nil) -> Matrix {
        var out = Matrix(rows: batch.count, columns: taskCount)
        out.withUnsafeMutableBufferPointer { o in
            predict(rows: batch.count, fill: Self.copying(batch), workspace: workspace ?? makeWorkspace(), into: o.baseAddress!)
        }
        return out
    }

    /// Writes a chunk's features: rows `start ..< start + count` into `ids` (`count × fieldCount`) and `numerical`
    /// (`count × numericalDimension`).
    typealias Fill = (_ start: Int, _ count: Int, _ ids: UnsafeMutablePointer<Int32>, _ numerical: UnsafeMutablePointer<Float>) -> Void

    private static func copying(_ batch: FeatureBatch) -> Fill {
        { start, count, ids, numerical in
            let (fields, width) = (batch.count == 0 ? 0 : batch.categorical.count / batch.count, batch.numerical.columns)
            batch.categorical.withUnsafeBufferPointer { src in
                ids.update(from: src.baseAddress! + start * fields, count: count * fields)
            }
            batch.numerical.withUnsafeBufferPointer { src in
                numerical.update(from: src.baseAddress! + start * width, count: count * width)
            }
        }
    }

    // MARK: The chunked forward pass

    /// Predictions (`rows × taskCount`, see `predictions(_:)`) for rows whose features `fill` writes chunk by chunk.
    func predict(rows: Int, fill: Fill, workspace: Workspace, into out: UnsafeMutablePointer<Float>) {
        let (tasks, width) = (taskCount, heads.count)
        run(rows: rows, fill: fill, workspace: workspace) { start, count, z in
            for (j, column) in columns.enumerated() {
                let dst = out + start * tasks + j
                if let parent = column.parent {
                    for i in 0..<count {
                        dst[i * tasks] = FastMath.sigmoid(z[i * width + parent]) * FastMath.sigmoid(z[i * width + column.head])
                    }
                } else {
                    for i in 0..<count { dst[i * tasks] = FastMath.sigmoid(z[i * width + column.head]) }
                }
            }
        }
    }

    /// Runs every chunk and hands `emit(start, count, logits)` each chunk's head outputs (`count × heads.count`).
    private func run(rows: Int, fill: Fill, workspace: Workspace,
                     emit: (_ start: Int, _ count: Int, _ logits: UnsafePointer<Float>) -> Void) {
        precondition(workspace.rows == chunkRows, "MMoEInference: workspace for \(workspace.rows) rows, chunks of \(chunkRows)")
        let (ids, raw, input, first) = (workspace.ids, workspace.numerical, workspace.input, workspace.first)
        let (deeper, mixture, hidden, logits) = (workspace.deeper, workspace.mixture, workspace.hidden, workspace.logits)
        var start = 0
        while start < rows {
            let count = min(chunkRows, rows - start)
            fill(start, count, ids, raw)
            encode(count: count, ids: ids, raw: raw, into: input)
            let experts = expertsAndGates(count: count, input: input, first: first, deeper: deeper)
            softmaxGates(count: count, first: first)
            for t in heads.indices {
                mix(count: count, head: t, first: first, experts: experts, into: mixture)
                tower(count: count, head: t, mixture: mixture, hidden: hidden, logits: logits)
            }
            emit(start, count, logits)
            start += count
        }
    }

    /// `input ← [E₀[id₀] | … | f(x·W + b)]` for a chunk (`FeatureEncoder.forward`).
    private func encode(count: Int, ids: UnsafeMutablePointer<Int32>, raw: UnsafeMutablePointer<Float>,
                        into input: UnsafeMutablePointer<Float>) {
        let (d, fields) = (inputWidth, fieldCount)
        for f in 0..<fields {
            let (offset, v) = (tableOffsets[f], tables[f].rows)
            let width = tables[f].columns
            tables[f].withUnsafeBufferPointer { e in
                for i in 0..<count {
                    let id = Int(ids[i * fields + f])
                    precondition(id >= 0 && id < v, "MMoEInference: field \(f) id \(id) outside vocabulary 0..<\(v)")
                    (input + i * d + offset).update(from: e.baseAddress! + id * width, count: width)
                }
            }
        }
        let (offset, width) = (numericalOffset, numericalWidth)
        guard width > 0 else { return }
        guard let numericalWeight, let numericalBias else {
            for i in 0..<count { (input + i * d + offset).update(from: raw + i * width, count: width) }
            return
        }
        numericalBias.withUnsafeBufferPointer { bias in
            for i in 0..<count { (input + i * d + offset).update(from: bias.baseAddress!, count: width) }
        }
        numericalWeight.withUnsafeBufferPointer { w in
            BLAS.sgemm(transposeA: false, transposeB: false, m: count, n: width, k: numericalDimension, alpha: 1,
                       a: raw, lda: numericalDimension, b: w.baseAddress!, ldb: width, beta: 1, c: input + offset, ldc: d)
        }
        Self.activate(numericalActivation, rows: count, columns: width, at: input + offset, stride: d)
    }

    /// The fused first layer (experts' first layer and the gate logits), then the experts' deeper layers; returns
    /// the experts' outputs (`count × expertCount·d`, row stride `expertCount·d`; inside `first` for one layer).
    private func expertsAndGates(count: Int, input: UnsafeMutablePointer<Float>, first: UnsafeMutablePointer<Float>,
                                 deeper: [UnsafeMutablePointer<Float>]) -> UnsafeMutablePointer<Float> {
        let n = firstWeight.columns
        Self.gemmWithBias(count: count, input: input, inputStride: inputWidth, weight: firstWeight, bias: firstBias,
                          into: first, outputStride: n)
        Self.activate(.relu, rows: count, columns: gateOffset, at: first, stride: n)
        var previous = (pointer: first, stride: n)
        for l in deeperWeights.indices {
            let (hIn, hOut) = (expertSizes[l + 1], expertSizes[l + 2])
            let stride = expertCount * hOut
            let out = deeper[l]
            deeperBiases[l].withUnsafeBufferPointer { bias in
                for i in 0..<count { (out + i * stride).update(from: bias.baseAddress!, count: stride) }
            }
            deeperWeights[l].withUnsafeBufferPointer { w in
                for k in 0..<expertCount {
                    BLAS.sgemm(transposeA: false, transposeB: false, m: count, n: hOut, k: hIn, alpha: 1,
                               a: previous.pointer + k * hIn, lda: previous.stride, b: w.baseAddress! + k * hOut, ldb: stride,
                               beta: 1, c: out + k * hOut, ldc: stride)
                }
            }
            Self.activate(.relu, rows: count, columns: stride, at: out, stride: stride)
            previous = (out, stride)
        }
        return previous.pointer
    }

    /// Replaces every head's gate logits by the gate weights `softmax(W_{gk} x + b)` (eq. 6), row by row.
    private func softmaxGates(count: Int, first: UnsafeMutablePointer<Float>) {
        let (e, n, width) = (expertCount, firstWeight.columns, heads.count * expertCount)
        let vectorEnd = n - gateOffset  // padded to a multiple of 8
        for i in 0..<count {
            let g = first + (i &* n &+ gateOffset)
            var h = 0
            if e == 4 {
                while h < width {
                    let v = UnsafeRawPointer(g + h).loadUnaligned(as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(g + h).storeBytes(of: v - v.max(), as: SIMD4<Float>.self)
                    h += 4
                }
            } else {
                while h < width {
                    var largest = g[h]
                    for k in (h + 1)..<(h + e) { largest = max(largest, g[k]) }
                    for k in h..<(h + e) { g[k] -= largest }
                    h += e
                }
            }
            let raw = UnsafeMutableRawPointer(g)
            var c = 0
            while c < vectorEnd {
                raw.storeBytes(of: FastMath.exp(raw.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)),
                               toByteOffset: c &* 4, as: SIMD8<Float>.self)
                c += 8
            }
            h = 0
            if e == 4 {
                while h < width {
                    let v = UnsafeRawPointer(g + h).loadUnaligned(as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(g + h).storeBytes(of: v * (1 / v.sum()), as: SIMD4<Float>.self)
                    h += 4
                }
            } else {
                while h < width {
                    var total: Float = 0
                    for k in h..<(h + e) { total += g[k] }
                    let inverse = 1 / total
                    for k in h..<(h + e) { g[k] *= inverse }
                    h += e
                }
            }
        }
    }

    /// `mixture[i] ← Σ_k g_k[i] · E_k[i]` for head `t`'s gate weights `g` (eq. 5).
    private func mix(count: Int, head t: Int, first: UnsafeMutablePointer<Float>, experts: UnsafeMutablePointer<Float>,
                     into mixture: UnsafeMutablePointer<Float>) {
        let (e, d, n) = (expertCount, expertSizes.last!, firstWeight.columns)
        let expertStride = deeperWeights.isEmpty ? n : e &* d
        let vectorEnd = d - d % 8
        for i in 0..<count {
            let g = first + (i &* n &+ gateOffset &+ t &* e)
            let out = mixture + (i &* d)
            let input = experts + (i &* expertStride)
            // Eight columns at a time, summed over the experts in registers: one store per column.
            var c = 0
            if e == 4 {
                // The default simulation ranker's experts, unrolled.
                let (w0, w1, w2, w3) = (SIMD8<Float>(repeating: g[0]), SIMD8<Float>(repeating: g[1]),
                                        SIMD8<Float>(repeating: g[2]), SIMD8<Float>(repeating: g[3]))
                let (e0, e1, e2, e3) = (UnsafeRawPointer(input), UnsafeRawPointer(input + d), UnsafeRawPointer(input + 2 &* d),
                                        UnsafeRawPointer(input + 3 &* d))
                let o = UnsafeMutableRawPointer(out)
                while c < vectorEnd {
                    let offset = c &* 4
                    let a = w0 * e0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        + w1 * e1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    let b = w2 * e2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        + w3 * e3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    o.storeBytes(of: a + b, toByteOffset: offset, as: SIMD8<Float>.self)
                    c += 8
                }
            }
            while c < vectorEnd {
                var sum = g[0] * UnsafeRawPointer(input + c).loadUnaligned(as: SIMD8<Float>.self)
                var block = input + c
                for k in 1..<e {
                    block += d
                    sum += g[k] * UnsafeRawPointer(block).loadUnaligned(as: SIMD8<Float>.self)
                }
                UnsafeMutableRawPointer(out + c).storeBytes(of: sum, as: SIMD8<Float>.self)
                c += 8
            }
            while c < d {
                var sum = g[0] * input[c]
                for k in 1..<e { sum += g[k] * input[k &* d &+ c] }
                out[c] = sum
                c += 1
            }
        }
    }

    /// `logits[:, t] ← tower_t(mixture)`: hidden layers as GEMMs, the output layer a dot product per row with the
    /// last ReLU inside it.
    private func tower(count: Int, head t: Int, mixture: UnsafeMutablePointer<Float>, hidden: [UnsafeMutablePointer<Float>],
                       logits: UnsafeMutablePointer<Float>) {
        var current = mixture
        for l in towerWeights[t].indices {
            let width = towerSizes[l + 1]
            Self.gemmWithBias(count: count, input: current, inputStride: towerSizes[l], weight: towerWeights[t][l],
                              bias: towerBiases[t][l], into: hidden[l], outputStride: width)
            if l + 1 < towerWeights[t].count { Self.activate(.relu, rows: count, columns: width, at: hidden[l], stride: width) }
            current = hidden[l]
        }
        let width = towerSizes.last!
        let relu = !towerWeights[t].isEmpty
        let (heads, bias) = (self.heads.count, outputBiases[t])
        outputWeights.withUnsafeBufferPointer { all in
            let w = all.baseAddress! + t * width
            for i in 0..<count {
                logits[i * heads + t] = bias + Self.dot(current + i * width, w, count: width, relu: relu)
            }
        }
    }

    // MARK: Kernels

    /// `out ← bias` per row, then `out += input · weight` (one GEMM, β = 1).
    private static func gemmWithBias(count: Int, input: UnsafePointer<Float>, inputStride: Int, weight: Matrix, bias: Matrix,
                                     into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        let n = weight.columns
        bias.withUnsafeBufferPointer { b in
            for i in 0..<count { (out + i * outputStride).update(from: b.baseAddress!, count: n) }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.sgemm(transposeA: false, transposeB: false, m: count, n: n, k: weight.rows, alpha: 1,
                       a: input, lda: inputStride, b: w.baseAddress!, ldb: n, beta: 1, c: out, ldc: outputStride)
        }
    }

    /// Applies `activation` in place to `rows × columns` values at `p` with row stride `stride`.
    private static func activate(_ activation: Activation, rows: Int, columns: Int, at p: UnsafeMutablePointer<Float>, stride: Int) {
        switch activation {
        case .identity:
            return
        case .relu:
            for i in 0..<rows {
                let row = p + i * stride
                for j in 0..<columns { row[j] = row[j] > 0 ? row[j] : 0 }
            }
        case .tanh:
            for i in 0..<rows {
                let row = p + i * stride
                for j in 0..<columns { row[j] = Elementary.tanh(row[j]) }
            }
        case .sigmoid:
            for i in 0..<rows {
                let row = p + i * stride
                for j in 0..<columns { row[j] = Elementary.sigmoid(row[j]) }
            }
        case .softmax:
            preconditionFailure("MMoEInference: softmax is not an elementwise activation")
        }
    }

    /// `Σ_j f(x_j)·w_j` with `f` = ReLU or identity, in eight lanes (a scalar Float reduction does not vectorise).
    @inline(__always)
    private static func dot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int, relu: Bool) -> Float {
        var lanes = SIMD8<Float>()
        var j = 0
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(w)
        while j + 8 <= count {
            var v = rx.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            lanes += v * rw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        var total = lanes.sum()
        while j < count {
            total += (relu ? max(x[j], 0) : x[j]) * w[j]
            j += 1
        }
        return total
    }
}
