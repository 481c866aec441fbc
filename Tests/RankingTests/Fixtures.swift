import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

/// A seeded `rows × columns` matrix with entries uniform in `range`.
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Matrix {
    var stream = RandomStream(seed: seed, keys: streamKey("ranking-fixture"))
    return Matrix(rows: rows, columns: columns) { _, _ in
        range.lowerBound + (range.upperBound - range.lowerBound) * stream.nextUnitFloat()
    }
}

/// Sets every bias to a seeded value in [0.1, 0.5]. Freshly initialised biases are exactly zero, so
/// a ReLU unit whose inputs are all zero (a dead row upstream) sits exactly on its kink, where
/// central differences are meaningless; positive biases move evaluation points off the kinks.
func offsetBiases<Model: ParameterStore>(_ model: inout Model, seed: UInt64) {
    var stream = RandomStream(seed: seed, keys: streamKey("biases"))
    model.updateParameters { p in
        guard p.name.hasSuffix(".bias") else { return }
        p.value.withUnsafeMutableBufferPointer { b in
            for i in 0..<b.count { b[i] = 0.1 + 0.4 * stream.nextUnitFloat() }
        }
    }
}

/// Gradient checks of a multi-task network with respect to its parameters and its input, for the
/// loss `Σ c ⊙ logits`.
func checkNetwork<N: MultiTaskNetwork>(_ network: N, batch: Int, seed: UInt64, label: String,
                                       check: GradientCheck = GradientCheck()) {
    var net = network
    offsetBiases(&net, seed: seed)
    let x = randomMatrix(batch, net.inputSize, seed: seed)
    let c = randomMatrix(batch, net.taskCount, seed: seed + 1)
    net.zeroGradients()
    _ = net.forward(x)
    let dx = net.backward(c)
    checkParameterGradients(net, label: "\(label) parameters", check: check) { model in
        projection(model.predict(x), c)
    }.expectPassed()
    check.check(label: "\(label) input", at: x, analytic: dx) { x in projection(net.predict(x), c) }.expectPassed()
}

/// A small layout with two categorical fields and a numerical projection.
func smallLayout(projection: Int? = 3, activation: Activation = .tanh) -> FeatureLayout {
    FeatureLayout(categorical: [.init(name: "item", vocabularySize: 7, embeddingDimension: 3),
                                .init(name: "creator", vocabularySize: 4, embeddingDimension: 2)],
                  numericalDimension: 4, numericalProjection: projection, numericalActivation: activation)
}

/// A seeded batch for `layout`, each id drawn uniformly (repeats are likely, which the scatter-add
/// must handle).
func randomBatch(_ layout: FeatureLayout, count: Int, seed: UInt64) -> FeatureBatch {
    var stream = RandomStream(seed: seed, keys: streamKey("batch"))
    var ids = [Int32]()
    for _ in 0..<count {
        for field in layout.categorical { ids.append(Int32(stream.nextIndex(below: field.vocabularySize))) }
    }
    return FeatureBatch(count: count, categorical: ids,
                        numerical: randomMatrix(count, layout.numericalDimension, seed: seed + 7))
}
