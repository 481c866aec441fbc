import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("Embeddings and feature encoder")
struct EncoderTests {
    @Test("embedding forward gathers rows")
    func gather() {
        var stream = RandomStream(seed: 1)
        let table = EmbeddingTable(vocabularySize: 5, dimension: 3, stream: &stream)
        var y = Matrix(rows: 0, columns: 0)
        table.forward(ids: [4, 0, 4], into: &y)
        #expect(y.rows == 3 && y.columns == 3)
        #expect(Array(y.row(0)) == Array(table.table.value.row(4)))
        #expect(Array(y.row(1)) == Array(table.table.value.row(0)))
        #expect(Array(y.row(2)) == Array(table.table.value.row(4)))
    }

    @Test("embedding backward scatter-adds repeated ids (gradient check)")
    func embeddingGradient() {
        var stream = RandomStream(seed: 2)
        var table = EmbeddingTable(vocabularySize: 6, dimension: 4, stream: &stream, name: "e")
        let ids: [Int32] = [1, 3, 1, 5, 1]
        let c = randomMatrix(ids.count, 4, seed: 3)
        table.backward(ids: ids, outputGradient: c)
        checkParameterGradients(table, label: "embedding") { t in
            var y = Matrix(rows: 0, columns: 0)
            t.forward(ids: ids, into: &y)
            return projection(y, c)
        }.expectPassed()
        // Rows never looked up get no gradient.
        #expect(table.table.gradient.row(0).allSatisfy { $0 == 0 })
        #expect(table.table.gradient.row(2).allSatisfy { $0 == 0 })
    }

    @Test("layout offsets and encoded width")
    func layoutShape() {
        let layout = smallLayout()
        #expect(layout.offsets == [0, 3, 5])
        #expect(layout.encodedDimension == 8)
        #expect(smallLayout(projection: nil).encodedDimension == 9)
        #expect(layout.difference(from: layout) == nil)
        #expect(layout.difference(from: smallLayout(projection: 5)) != nil)
    }

    @Test("encoder concatenates embeddings and the numerical part", arguments: [3, nil] as [Int?])
    func concatenation(_ width: Int?) {
        let layout = smallLayout(projection: width)
        var stream = RandomStream(seed: 4)
        var encoder = FeatureEncoder(layout: layout, stream: &stream)
        let batch = randomBatch(layout, count: 5, seed: 5)
        var y = Matrix(rows: 0, columns: 0)
        encoder.forward(batch, into: &y)
        #expect(y.rows == 5 && y.columns == layout.encodedDimension)
        for i in 0..<5 {
            let item = Int(batch.categorical[2 * i]), creator = Int(batch.categorical[2 * i + 1])
            #expect(Array(y.row(i)[(i * y.columns)..<(i * y.columns + 3)]) == Array(encoder.tables[0].table.value.row(item)))
            #expect(Array(y.row(i)[(i * y.columns + 3)..<(i * y.columns + 5)]) == Array(encoder.tables[1].table.value.row(creator)))
            if width == nil {
                #expect(Array(y.row(i)[(i * y.columns + 5)...]) == Array(batch.numerical.row(i)))
            }
        }
    }

    @Test("encoder gradients (embeddings and numerical dense layer)")
    func encoderGradient() {
        let layout = smallLayout()
        var stream = RandomStream(seed: 6)
        var encoder = FeatureEncoder(layout: layout, stream: &stream)
        let batch = randomBatch(layout, count: 6, seed: 7)
        let c = randomMatrix(6, layout.encodedDimension, seed: 8)
        var y = Matrix(rows: 0, columns: 0)
        encoder.forward(batch, into: &y)
        encoder.backward(batch, outputGradient: c)
        checkParameterGradients(encoder, label: "encoder") { e in
            var copy = e
            var out = Matrix(rows: 0, columns: 0)
            copy.forward(batch, into: &out)
            return projection(out, c)
        }.expectPassed()
    }
}
