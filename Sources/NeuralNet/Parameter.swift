import Numerics

/// A trainable tensor with its accumulated gradient.
///
/// `gradient` has the shape of `value` and holds `∂L/∂value` summed over every `backward` since the
/// last `zeroGradients()`; optimisers read it and update `value` in place.
public struct Parameter: Sendable {
    /// A stable, human-readable name (`"dense0.weight"`), used by checkpoints and error messages.
    public var name: String
    /// The current value.
    public var value: Matrix
    /// `∂L/∂value`, accumulated.
    public var gradient: Matrix

    /// A parameter with the given value and a zero gradient.
    public init(name: String, value: Matrix) {
        self.name = name
        self.value = value
        self.gradient = Matrix(rows: value.rows, columns: value.columns)
    }

    /// Number of scalars.
    @inlinable public var count: Int { value.count }

    /// The name and shape, as recorded in checkpoints.
    public var descriptor: TensorDescriptor {
        TensorDescriptor(name: name, rows: value.rows, columns: value.columns)
    }
}

/// The name and shape of a parameter tensor.
public struct TensorDescriptor: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var rows: Int
    public var columns: Int

    public init(name: String, rows: Int, columns: Int) {
        self.name = name
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { rows * columns }

    public var description: String { "\(name) \(rows)×\(columns)" }
}
