import NeuralNet
import Numerics

/// Hyper-parameters of ranker training.
public struct RankerTrainingOptions: Codable, Equatable, Sendable {
    /// Upper bound on passes over the training users' impressions.
    public var maxEpochs = 20
    /// Stop after this many epochs without a lower validation loss (and keep the best epoch's weights).
    public var patience = 2
    public var batchSize = 1024
    public var learningRate: Float = 1e-3
    /// The learning rate of epoch `e` is `learningRate · learningRateDecay^(e−1)`: the late, small steps settle
    /// the rare tasks, whose calibration otherwise swings by tens of percent from one epoch to the next.
    public var learningRateDecay: Float = 0.6
    /// Decoupled (AdamW) weight decay.
    public var weightDecay: Float = 0
    /// Loss weight of the watch-time regression relative to the binary tasks (weight 1 each).
    public var watchWeight: Float = 0.1
    /// Global gradient-norm clip per step (`nil`: none).
    public var gradientClip: Float? = 10
    /// Seeds initialisation and shuffling.
    public var seed: UInt64 = 1

    public init() {}
}

/// One epoch's account: the mean training loss, the validation loss, and whether it was the best so far.
public struct RankerEpochReport: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var best: Bool
    /// Validation metrics of each binary (or cascade) task, in task order (empty without validation users).
    public var validation: [RankerTaskEvaluation]
}

/// Trains a `MultiTaskRanker` on logged impressions with Adam, shuffled mini-batches and early stopping on
/// the validation loss; the tasks are `RankerTasks.specs` (environment tasks, then watch time).
///
/// Targets: bit `k` of an impression's realised tasks for column `k` (the joint "parent and task" label of an
/// ESMM cascade column is the same bit, since a conditional task implies its parent); `log(1 + watch seconds)`
/// for the regression column, masked to played impressions.
public struct RankerTrainer<Network: MultiTaskNetwork> {
    public private(set) var ranker: MultiTaskRanker<Network>
    public let features: RankerFeatures
    public let options: RankerTrainingOptions
    /// Number of environment (binary or cascade) tasks: every column but the watch-time regression.
    public let binaryTaskCount: Int

    private var loss: MultiTaskLoss
    private var optimizer: Adam
    private var batch: FeatureBatch
    private var outputs = Matrix(rows: 0, columns: 0)
    private var gradient = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)
    private var mask = Matrix(rows: 0, columns: 0)

    public init(ranker: MultiTaskRanker<Network>, features: RankerFeatures, options: RankerTrainingOptions) {
        precondition(ranker.layout == features.layout, "RankerTrainer: the ranker was built for another feature layout")
        precondition(ranker.tasks.last?.kind == .regression, "RankerTrainer: the last task must be the watch-time regression")
        self.ranker = ranker
        self.features = features
        self.options = options
        binaryTaskCount = ranker.tasks.count - 1
        var weights = [Float](repeating: 1, count: ranker.tasks.count)
        weights[binaryTaskCount] = options.watchWeight
        loss = MultiTaskLoss(tasks: ranker.tasks, taskWeights: weights, normalization: .batch)
        optimizer = .adamW(learningRate: options.learningRate, weightDecay: options.weightDecay)
        batch = FeatureBatch(count: 0, categorical: [], numerical: Matrix(rows: 0, columns: features.layout.numericalDimension))
    }

    /// Trains until the validation loss has not improved for `options.patience` epochs (or `maxEpochs`), then
    /// restores the best epoch's weights. `progress(done, total)` counts training impressions over all epochs
    /// (`total` assumes every epoch runs); `report` is called after each epoch.
    public mutating func fit(train: ImpressionDataset, validation: ImpressionDataset,
                             progress: (Int, Int) -> Void = { _, _ in },
                             report: (RankerEpochReport) -> Void = { _ in }) -> [RankerEpochReport] {
        precondition(!train.isEmpty, "RankerTrainer.fit: no training impressions")
        var reports: [RankerEpochReport] = []
        var bestLoss = Double.infinity, bestParameters = ranker.parameterVector(), sinceBest = 0
        let total = train.count * options.maxEpochs
        for epoch in 1...options.maxEpochs {
            optimizer.learningRate = options.learningRate * Float(Elementary.pow(Double(options.learningRateDecay), Double(epoch - 1)))
            let trainLoss = trainEpoch(train, epoch: epoch) { progress((epoch - 1) * train.count + $0, total) }
            let validationLoss = validation.isEmpty ? trainLoss : meanLoss(on: validation)
            let improved = validationLoss < bestLoss
            if improved {
                bestLoss = validationLoss
                bestParameters = ranker.parameterVector()
                sinceBest = 0
            } else {
                sinceBest += 1
            }
            let line = RankerEpochReport(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss, best: improved,
                                         validation: validation.isEmpty ? [] : evaluate(validation))
            reports.append(line)
            report(line)
            if sinceBest >= options.patience { break }
        }
        ranker.setParameterVector(bestParameters)
        progress(total, total)
        return reports
    }

    /// One pass over `data` in an order drawn from (seed, epoch); returns the mean mini-batch loss.
    public mutating func trainEpoch(_ data: ImpressionDataset, epoch: Int, progress: (Int) -> Void = { _ in }) -> Double {
        var order = Array(0..<data.count)
        var stream = RandomStream(seed: options.seed, keys: streamKey("ranker-shuffle"), UInt64(epoch))
        stream.shuffle(&order)
        var total = 0.0, batches = 0
        for start in stride(from: 0, to: order.count, by: options.batchSize) {
            let rows = order[start..<min(start + options.batchSize, order.count)]
            load(data, rows: rows)
            ranker.zeroGradients()
            ranker.forward(batch, into: &outputs)
            total += loss.evaluate(outputs: outputs, targets: targets, mask: mask, gradient: &gradient)
            ranker.backward(batch, outputGradient: gradient)
            if let clip = options.gradientClip { _ = ranker.clipGradients(maxNorm: clip) }
            optimizer.step(&ranker)
            batches += 1
            progress(min(start + options.batchSize, order.count))
        }
        return total / Double(max(batches, 1))
    }

    /// The training loss (same weights and masks) of the current ranker on `data`, averaged over impressions.
    public mutating func meanLoss(on data: ImpressionDataset) -> Double {
        var total = 0.0
        let size = 8192
        for start in stride(from: 0, to: data.count, by: size) {
            let rows = start..<min(start + size, data.count)
            load(data, rows: rows)
            ranker.forward(batch, into: &outputs)
            total += loss.evaluate(outputs: outputs, targets: targets, mask: mask, gradient: &gradient) * Double(rows.count)
        }
        return total / Double(max(data.count, 1))
    }

    /// Per-task AUC, log-loss, calibration and ceiling AUC of the current ranker on `data`.
    public mutating func evaluate(_ data: ImpressionDataset) -> [RankerTaskEvaluation] {
        RankerTaskEvaluation.evaluate(&ranker, features: features, data: data)
    }

    /// Features, targets and mask of `rows` of `data`.
    private mutating func load<Rows: Collection<Int>>(_ data: ImpressionDataset, rows: Rows) where Rows.Index == Int {
        let n = rows.count, t = ranker.tasks.count, tb = binaryTaskCount
        let first = rows.startIndex
        features.fill(count: n, users: { data.users[rows[first + $0]] }, items: { data.items[rows[first + $0]] },
                      requestIndices: { data.requestIndices[rows[first + $0]] },
                      history: { data.writeHistory(rows[first + $0], into: $1) }, into: &batch)
        targets.resize(rows: n, columns: t)
        mask.resize(rows: n, columns: t)
        targets.withUnsafeMutableBufferPointer { y in
            mask.withUnsafeMutableBufferPointer { m in
                for (i, row) in rows.enumerated() {
                    let bits = data.tasks[row]
                    for k in 0..<tb {
                        y[i * t + k] = bits >> UInt32(k) & 1 == 1 ? 1 : 0
                        m[i * t + k] = 1
                    }
                    let seconds = data.watchSeconds[row]
                    y[i * t + tb] = seconds > 0 ? Float(Elementary.log1p(Double(seconds))) : 0
                    m[i * t + tb] = seconds > 0 ? 1 : 0
                }
            }
        }
    }
}
