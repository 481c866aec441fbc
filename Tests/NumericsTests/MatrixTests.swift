import Numerics
import TestSupport
import Testing

/// `α·op(A)·op(B) + β·C` in `Double`, straight from the definition.
private func referenceGEMM(_ a: Matrix, _ transposeA: Bool, _ b: Matrix, _ transposeB: Bool,
                           alpha: Double = 1, beta: Double = 0, c: Matrix? = nil) -> [Double] {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    var out = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = transposeA ? a[p, i] : a[i, p]
                let y = transposeB ? b[j, p] : b[p, j]
                s += Double(x) * Double(y)
            }
            out[i * n + j] = alpha * s + beta * (c.map { Double($0[i, j]) } ?? 0)
        }
    }
    return out
}

struct GEMMShape: CustomTestStringConvertible, Sendable {
    var m: Int, k: Int, n: Int
    var testDescription: String { "(M,K,N)=(\(m),\(k),\(n))" }
}

private let gemmShapes = [
    GEMMShape(m: 1, k: 1, n: 1), GEMMShape(m: 1, k: 7, n: 5), GEMMShape(m: 1, k: 128, n: 128),
    GEMMShape(m: 3, k: 0, n: 4), GEMMShape(m: 5, k: 3, n: 1), GEMMShape(m: 2, k: 1, n: 3),
    GEMMShape(m: 17, k: 33, n: 9), GEMMShape(m: 64, k: 64, n: 64),
]
private let transposeCases = [(false, false), (true, false), (false, true), (true, true)]

@Suite("Matrix")
struct MatrixTests {
    @Test("GEMM matches a Double reference", arguments: gemmShapes, transposeCases)
    func gemmMatchesReference(shape: GEMMShape, transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var stream = RandomStream(seed: 11, keys: UInt64(shape.m), UInt64(shape.k), UInt64(shape.n))
        let a = ta ? Matrix.random(rows: shape.k, columns: shape.m, stream: &stream)
                   : Matrix.random(rows: shape.m, columns: shape.k, stream: &stream)
        let b = tb ? Matrix.random(rows: shape.n, columns: shape.k, stream: &stream)
                   : Matrix.random(rows: shape.k, columns: shape.n, stream: &stream)
        let tolerance = 2e-6 * Double(max(shape.k, 1))
        let context = "\(shape.testDescription) transposeA=\(ta) transposeB=\(tb)"

        let product = a.multiplied(transposed: ta, by: b, transposed: tb)
        #expect(product.rows == shape.m && product.columns == shape.n, "\(context)")
        assertClose(product.elements.map(Double.init), referenceGEMM(a, ta, b, tb),
                    relative: 1e-5, absolute: tolerance, context)

        let c0 = Matrix.random(rows: shape.m, columns: shape.n, stream: &stream)
        var c = c0
        Matrix.multiply(a, transposed: ta, b, transposed: tb, into: &c, alpha: 0.5, beta: 2)
        assertClose(c.elements.map(Double.init), referenceGEMM(a, ta, b, tb, alpha: 0.5, beta: 2, c: c0),
                    relative: 1e-5, absolute: tolerance, "accumulate \(context)")
    }

    @Test func emptyInnerDimensionGivesZerosOrScaledAccumulator() {
        let a = Matrix(rows: 3, columns: 0)
        let b = Matrix(rows: 0, columns: 4)
        #expect(a.multiplied(by: b) == Matrix(rows: 3, columns: 4, repeating: 0))
        var c = Matrix(rows: 3, columns: 4, repeating: 1.5)
        Matrix.multiply(a, b, into: &c, beta: 2)
        #expect(c == Matrix(rows: 3, columns: 4, repeating: 3))
    }

    @Test func smallProductByHand() {
        let a = Matrix([[1, 2], [3, 4]])
        let b = Matrix([[5, 6], [7, 8]])
        #expect(a.multiplied(by: b) == Matrix([[19, 22], [43, 50]]))
        #expect(a.multiplied(transposed: true, by: b) == Matrix([[26, 30], [38, 44]]))
        #expect(a.multiplied(by: b, transposed: true) == Matrix([[17, 23], [39, 53]]))
        let row = Matrix([[1, -1]])
        #expect(row.multiplied(by: b) == Matrix([[-2, -2]]))
        #expect(row.multiplied(by: b, transposed: true) == Matrix([[-1, -1]]))
    }

    @Test(arguments: [(1, 1), (1, 7), (4, 3), (9, 16)])
    func softmaxRowsSumToOne(rows: Int, columns: Int) {
        var x = Matrix.random(rows: rows, columns: columns, seed: 5, scale: 10)
        x.softmaxRows()
        #expect(x.isFinite)
        assertClose(x.rowSums().map(Double.init), [Double](repeating: 1, count: rows), relative: 1e-6)
        #expect(x.elements.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func softmaxIsStableForLargeInputs() {
        var big = Matrix([[1000, 1001, 1002], [-1000, -1001, -1002], [88, 89, 90]])
        big.softmaxRows()
        let e = [1.0, 2.718281828459045, 7.38905609893065]
        let total = e.reduce(0, +)
        let expected = e.map { $0 / total }
        #expect(big.isFinite)
        assertClose(big.row(0).map(Double.init), expected, relative: 1e-6)
        assertClose(big.row(1).map(Double.init), expected.reversed(), relative: 1e-6)
        assertClose(big.row(2).map(Double.init), expected, relative: 1e-6)
    }

    @Test func elementwiseAndReductions() {
        var x = Matrix([[1, -2, 3], [4, 5, -6]])
        #expect(x.columnSums() == [5, 3, -3])
        #expect(x.rowSums() == [2, 3])
        #expect(x.rowMaxima() == [3, 5])
        #expect(x.sum() == 5)
        #expect(x.transposed == Matrix([[1, 4], [-2, 5], [3, -6]]))
        x.addRowVector([1, 1, 1])
        #expect(x == Matrix([[2, -1, 4], [5, 6, -5]]))
        x.add(Matrix(rows: 2, columns: 3, repeating: 1), scaledBy: -2)
        #expect(x == Matrix([[0, -3, 2], [3, 4, -7]]))
        x.scale(by: 2)
        x.multiplyElementwise(by: Matrix([[1, 1, 1], [0, 0, 1]]))
        #expect(x == Matrix([[0, -6, 4], [0, 0, -14]]))
        #expect(x.map { max($0, 0) } == Matrix([[0, 0, 4], [0, 0, 0]]))
        #expect(!Matrix([[1, .nan]]).isFinite)
    }

    @Test func rowsAndGather() {
        var x = Matrix(rows: 4, columns: 2) { r, c in Float(10 * r + c) }
        #expect(Array(x.row(2)) == [20, 21])
        #expect(x.rows(1..<3) == Matrix([[10, 11], [20, 21]]))
        #expect(x.gatherRows([3, 0, 3]) == Matrix([[30, 31], [0, 1], [30, 31]]))
        #expect(Matrix(rows: 5, columns: 0).gatherRows([1, 2, 4]).shape == (3, 0))
        x.setRow(1, to: [7, 8])
        #expect(x[1, 0] == 7 && x[1, 1] == 8)
        #expect(x.reshaped(rows: 2, columns: 4).row(0).elementsEqual([0, 1, 7, 8]))
    }
}

@Test func secondOperandTransposeOverloads() {
    let a = Matrix.random(rows: 3, columns: 4, seed: 31)
    let b = Matrix.random(rows: 5, columns: 4, seed: 32)
    var c = Matrix(rows: 0, columns: 0)
    Matrix.multiply(a, b, transposed: true, into: &c)
    #expect(c == a.multiplied(transposed: false, by: b, transposed: true))
    #expect(a.multiplied(by: b, transposed: true) == c)
}

/// `BLAS.ssyrkTransposed` against AᵀA from the definition: the upper triangle is the Gram matrix (α, β applied),
/// the strictly lower triangle is left as it was.
@Suite struct SyrkTests {
    @Test func upperTriangleIsTheGramMatrix() {
        var stream = RandomStream(seed: 3)
        let (k, n) = (37, 9)
        let a = Matrix(rows: k, columns: n) { _, _ in stream.normalFloat() }
        let before = (0..<(n * n)).map { Float($0) - 40 }
        var c = before
        a.elements.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                BLAS.ssyrkTransposed(n: n, k: k, alpha: 2, a: ap.baseAddress!, lda: n, beta: 0.5, c: cp.baseAddress!, ldc: n)
            }
        }
        for i in 0..<n {
            for j in 0..<n {
                if j < i {
                    #expect(c[i * n + j] == before[i * n + j], "lower (\(i), \(j)) was written")
                } else {
                    let gram = (0..<k).reduce(0.0) { $0 + Double(a[$1, i]) * Double(a[$1, j]) }
                    let expected = 2 * gram + 0.5 * Double(before[i * n + j])
                    #expect(abs(Double(c[i * n + j]) - expected) < 1e-4 * max(1, abs(expected)), "(\(i), \(j))")
                }
            }
        }
    }
}
