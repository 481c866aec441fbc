/// A dense, row-major matrix of `Float` with contiguous storage.
///
/// Element `(r, c)` lives at `elements[r * columns + c]`. Rows are handed out as
/// `ArraySlice`s of the same storage (no copy), and every bulk operation works on
/// unsafe buffer pointers obtained once per call, so inner loops never subscript an array.
@frozen
public struct Matrix: Equatable, Sendable {
    /// Number of rows (for a mini-batch: the batch size).
    public private(set) var rows: Int
    /// Number of columns (for a mini-batch: the feature dimension).
    public private(set) var columns: Int
    @usableFromInline internal var storage: [Float]

    /// The row-major elements; `count == rows * columns`.
    public var elements: [Float] { storage }

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: value, count: rows * columns)
    }

    /// A matrix wrapping row-major `elements`.
    public init(rows: Int, columns: Int, elements: [Float]) {
        precondition(elements.count == rows * columns,
                     "Matrix: \(elements.count) elements do not fill \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix from nested rows (for tests and small literals).
    public init(_ nestedRows: [[Float]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(nestedRows.allSatisfy { $0.count == columns }, "Matrix: ragged rows")
        self.init(rows: nestedRows.count, columns: columns, elements: nestedRows.flatMap { $0 })
    }

    /// A `rows × columns` matrix whose element `(r, c)` is `body(r, c)`.
    public init(rows: Int, columns: Int, _ body: (Int, Int) throws -> Float) rethrows {
        var elements = [Float]()
        elements.reserveCapacity(rows * columns)
        for r in 0..<rows {
            for c in 0..<columns { elements.append(try body(r, c)) }
        }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// Total number of elements.
    @inlinable public var count: Int { rows * columns }

    /// `(rows, columns)`.
    @inlinable public var shape: (rows: Int, columns: Int) { (rows, columns) }

    public subscript(row: Int, column: Int) -> Float {
        get {
            checkIndex(row, column)
            return storage[row * columns + column]
        }
        set {
            checkIndex(row, column)
            storage[row * columns + column] = newValue
        }
    }

    @inline(__always)
    func checkIndex(_ row: Int, _ column: Int) {
        #if MTFSIM_INTERNAL_CHECKS
        precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                     "Matrix: index (\(row), \(column)) outside \(rows)×\(columns)")
        #endif
    }

    /// Row `r` as a slice of the same storage (no copy until written).
    @inlinable
    public func row(_ r: Int) -> ArraySlice<Float> {
        precondition(r >= 0 && r < rows, "Matrix: row \(r) outside 0..<\(rows)")
        return elements[(r * columns)..<((r + 1) * columns)]
    }

    /// Overwrites row `r` with `values`.
    @inlinable
    public mutating func setRow(_ r: Int, to values: [Float]) {
        precondition(values.count == columns, "Matrix: row of \(values.count) values for \(columns) columns")
        precondition(r >= 0 && r < rows, "Matrix: row \(r) outside 0..<\(rows)")
        guard columns > 0 else { return }
        let (start, count) = (r * columns, columns)
        storage.withUnsafeMutableBufferPointer { s in
            values.withUnsafeBufferPointer { v in (s.baseAddress! + start).update(from: v.baseAddress!, count: count) }
        }
    }

    /// Sets row `r` to `values` (one per column), from any collection.
    public mutating func setRow<C: Collection>(_ r: Int, to values: C) where C.Element == Float {
        precondition(values.count == columns, "Matrix: row of \(values.count) values for \(columns) columns")
        precondition(r >= 0 && r < rows, "Matrix: row \(r) outside 0..<\(rows)")
        var i = r * columns
        for v in values {
            storage[i] = v
            i += 1
        }
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Matrix: rows \(range) outside 0..<\(rows)")
        return Matrix(rows: range.count, columns: columns,
                      elements: Array(elements[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Rows picked by `indices` (a gather, used to draw mini-batches).
    public func gatherRows<S: Sequence>(_ indices: S) -> Matrix where S.Element == Int {
        var out = [Float]()
        out.reserveCapacity(indices.underestimatedCount * columns)
        var count = 0
        for i in indices {
            precondition(i >= 0 && i < rows, "Matrix: row \(i) outside 0..<\(rows)")
            out.append(contentsOf: storage[(i * columns)..<((i + 1) * columns)])
            count += 1
        }
        return Matrix(rows: count, columns: columns, elements: out)
    }

    /// Reinterprets the same elements with another shape of equal size.
    public func reshaped(rows: Int, columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns, elements: elements)
    }

    /// Changes the shape, reusing storage; contents are unspecified afterwards unless the size is unchanged.
    /// Used by layers to keep activation buffers between mini-batches of varying size.
    public mutating func resize(rows: Int, columns: Int) {
        if rows * columns != storage.count {
            storage = [Float](repeating: 0, count: rows * columns)
        }
        self.rows = rows
        self.columns = columns
    }

    /// The transpose.
    public var transposed: Matrix {
        var out = Matrix(rows: columns, columns: rows)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] }
                }
            }
        }
        return out
    }

    /// Calls `body` with the row-major elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try elements.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the mutable row-major elements.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// `true` when every element is finite (no NaN or infinity).
    public var isFinite: Bool {
        withUnsafeBufferPointer { $0.allSatisfy { $0.isFinite } }
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        var lines = ["Matrix \(rows)×\(columns)"]
        for r in 0..<min(rows, 8) {
            let values = row(r).prefix(8).map { "\($0)" }
            lines.append("  [" + values.joined(separator: ", ") + (columns > 8 ? ", …]" : "]"))
        }
        if rows > 8 { lines.append("  …") }
        return lines.joined(separator: "\n")
    }
}
