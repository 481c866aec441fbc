import Agents
import NeuralNet
import Numerics
import Simulator

/// Small smooth networks for gradient checks (tanh hidden layers: no ReLU kinks within a
/// finite-difference step), with weights of order one so every path carries signal.
enum Fixtures {
    static func mlp(_ sizes: [Int], output: Activation, seed: UInt64) -> MLP {
        var stream = RandomStream(seed: seed)
        return MLP(layerSizes: sizes, hiddenActivation: .tanh, outputActivation: output,
                   initialization: .xavier, stream: &stream)
    }

    /// A deterministic actor `states → A` actions.
    static func deterministicActor(states: Int, actions: Int, seed: UInt64) -> ActorNetwork {
        ActorNetwork(network: mlp([states, 6, 5, actions], output: .tanh, seed: seed), head: .deterministic,
                     actionDimension: actions)
    }

    /// A squashed-Gaussian actor whose log σ stays well inside wide bounds.
    static func gaussianActor(states: Int, actions: Int, seed: UInt64, bounds: (Float, Float) = (-20, 2)) -> ActorNetwork {
        ActorNetwork(network: mlp([states, 6, 5, 2 * actions], output: .identity, seed: seed),
                     head: .squashedGaussian(minimumLogStd: bounds.0, maximumLogStd: bounds.1), actionDimension: actions)
    }

    static func critic(states: Int, actions: Int, seed: UInt64) -> Critic {
        Critic(network: mlp([states + actions, 7, 5, 1], output: .identity, seed: seed), stateDimension: states)
    }

    static func matrix(_ rows: Int, _ columns: Int, seed: UInt64, scale: Float = 1) -> Matrix {
        var stream = RandomStream(seed: seed)
        return Matrix(rows: rows, columns: columns) { _, _ in scale * stream.normalFloat() }
    }

    static func uniform(_ rows: Int, _ columns: Int, seed: UInt64, bound: Float = 1) -> Matrix {
        var stream = RandomStream(seed: seed)
        return Matrix(rows: rows, columns: columns) { _, _ in bound * Float(2 * stream.nextUniform() - 1) }
    }
}

/// `Σ (p − y)² / B` in `Double`.
func meanSquaredError(_ p: Matrix, _ y: Matrix) -> Double {
    var total = 0.0
    for (a, b) in zip(p.elements, y.elements) { total += (Double(a) - Double(b)) * (Double(a) - Double(b)) }
    return total / Double(p.rows)
}
