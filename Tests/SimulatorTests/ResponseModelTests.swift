import Numerics
import Simulator
import Testing
import TestSupport

/// Conditionals and watch locations of `items` for `user`, with the true affinity ⟨x_u, e_i⟩.
func conditionals(_ world: World, user: Int, items: [Int], boredom: [Float]? = nil, fatigue: Float = 0)
    -> (conditional: [Float], watchLocation: [Float]) {
    let d = world.catalog.dimension, t = world.response.taskCount
    let affinity: [Float] = items.map { item in
        (0..<d).reduce(Float(0)) { $0 + world.population.latentInterests[user * d + $1] * world.catalog.latentEmbeddings[item * d + $1] }
    }
    let itemIDs = items.map(Int32.init)
    let b = boredom ?? [Float](repeating: 0, count: items.count)
    var conditional = [Float](repeating: .nan, count: items.count * t)
    var watch = [Float](repeating: .nan, count: items.count)
    conditional.withUnsafeMutableBufferPointer { c in
        watch.withUnsafeMutableBufferPointer { w in
            world.response.conditionals(user: user, items: itemIDs, affinity: affinity, boredom: b, fatigue: fatigue,
                                        count: items.count, conditional: c.baseAddress!, watchLocation: w.baseAddress!)
        }
    }
    return (conditional, watch)
}

func marginals(_ response: ResponseModel, _ conditional: [Float]) -> [Float] {
    let count = conditional.count / response.taskCount
    var p = [Float](repeating: .nan, count: conditional.count)
    p.withUnsafeMutableBufferPointer { response.marginals(conditional, count: count, into: $0.baseAddress!) }
    return p
}

func sample(_ world: World, item: Int, conditional: ArraySlice<Float>, watchLocation: Float, position: Int,
            stream: inout RandomStream) -> ResponseModel.Outcome {
    let response = world.response
    let uniforms = (0..<response.drawsPerImpression).map { _ in stream.nextUnitFloat() }
    return Array(conditional).withUnsafeBufferPointer { c in
        response.sample(item: item, conditional: c.baseAddress!, watchLocation: watchLocation,
                        durationSeconds: world.catalog.durationSeconds[item], position: position, uniforms: uniforms)
    }
}

@Suite("Response model")
struct ResponseModelTests {
    static let worlds: [(String, World)] = [
        ("tiny", Fixtures.tinyWorld),
        ("short-video (shrunk)", Fixtures.shrunkShortVideoWorld),
        ("ecommerce (shrunk)", Fixtures.shrunkEcommerceWorld),
    ]

    @Test func cascadeStructure() {
        let tiny = Fixtures.tinyWorld.response
        #expect(tiny.taskCount == 3)
        #expect(tiny.parent == [-1, 0, 0])
        #expect(tiny.unless == [-1, -1, 1])
        #expect(tiny.isWatchThreshold == [false, true, false])
        #expect(tiny.drawsPerImpression == 5)
        let sv = Fixtures.shrunkShortVideoWorld.response
        #expect(sv.parent == [-1, 0, 1, 1, 1, 1, 0])
        #expect(sv.unless == [-1, -1, -1, -1, -1, -1, 1])
        let ec = Fixtures.shrunkEcommerceWorld.response
        #expect(ec.parent == [-1, 0, 1, 0, 0])
        #expect(ec.unless == [-1, -1, -1, -1, 1])
        #expect(ec.isWatchThreshold.allSatisfy { !$0 })
        // Examination: decay^position, position 0 always examined.
        let decay = Fixtures.tinyConfig.slate.examinationDecay
        assertClose(tiny.examination.map(Double.init), (0..<4).map { Elementary.pow(decay, Double($0)) }, relative: 1e-6)
        #expect(tiny.examination[0] == 1)
    }

    @Test func marginalsIdentityOnRandomConditionals() {
        var rng = RandomStream(seed: 99)
        for (name, world) in Self.worlds {
            let r = world.response, t = r.taskCount, count = 257
            let c = (0..<(count * t)).map { _ in rng.nextUnitFloat() }
            let p = marginals(r, c)
            for j in 0..<count {
                let cj = Array(c[(j * t)..<((j + 1) * t)]), pj = Array(p[(j * t)..<((j + 1) * t)])
                var expected = [Double](repeating: 0, count: t)
                expected[0] = Double(cj[0])
                for k in 1..<t {
                    expected[k] = expected[r.parent[k]] * Double(cj[k]) * (r.unless[k] >= 0 ? 1 - Double(cj[r.unless[k]]) : 1)
                }
                assertClose(pj.map(Double.init), expected, relative: 1e-5, absolute: 1e-7, "\(name) candidate \(j)")
                // A child's probability never exceeds its parent's.
                for k in 1..<t { #expect(pj[k] <= pj[r.parent[k]], "\(name) task \(k)") }
            }
        }
    }

    @Test func conditionalsAreProbabilities() {
        for (name, world) in Self.worlds {
            var rng = RandomStream(seed: 5)
            let items = (0..<64).map { _ in rng.nextIndex(below: world.catalog.count) }
            let boredom = items.map { _ in Float(3 * rng.nextUniform()) }
            for user in [0, 17, 63] {
                let (c, m) = conditionals(world, user: user, items: items, boredom: boredom, fatigue: 0.7)
                #expect(c.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(name)")
                #expect(m.allSatisfy { $0.isFinite }, "\(name)")
            }
        }
    }

    /// The closed form of a watch-threshold task: c = P(f ≥ t_i) = σ((m − logit t_i)/s).
    @Test func watchThresholdConditionalIsClosedForm() throws {
        let world = Fixtures.tinyWorld, config = world.config, r = world.response
        let k = try #require(config.taskIndex("longView"))
        let task = config.tasks[k]
        let items = Array(0..<world.catalog.count)
        let (c, m) = conditionals(world, user: 3, items: items)
        for (j, item) in items.enumerated() {
            let duration = Double(world.catalog.durationSeconds[item])
            let ti = min(task.thresholdSeconds / duration, task.completionFraction)
            let expected = 1 / (1 + Elementary.exp(-(Double(m[j]) - Elementary.log(ti / (1 - ti))) / config.watch.scale))
            assertClose(Double(c[j * r.taskCount + k]), expected, relative: 1e-4, absolute: 1e-6, "item \(item)")
        }
    }

    /// Sampling position 0 (always examined) many times: every task's frequency matches its marginal.
    @Test(arguments: [0, 1, 2])
    func monteCarloFrequenciesMatchMarginals(worldIndex: Int) {
        let (name, world) = Self.worlds[worldIndex]
        let r = world.response, t = r.taskCount, draws = 20_000
        var rng = RandomStream(seed: 1234 + UInt64(worldIndex))
        // Items with varied probabilities: a few random ones for two users.
        let items = (0..<4).map { _ in rng.nextIndex(below: world.catalog.count) }
        for user in [1, 42] {
            let (c, m) = conditionals(world, user: user, items: items)
            let p = marginals(r, c)
            for (j, item) in items.enumerated() {
                var counts = [Int](repeating: 0, count: t)
                var examined = 0
                for _ in 0..<draws {
                    let o = sample(world, item: item, conditional: c[(j * t)..<((j + 1) * t)], watchLocation: m[j],
                                   position: 0, stream: &rng)
                    if o.examined { examined += 1 }
                    for k in 0..<t where o.tasks & (1 << UInt32(k)) != 0 { counts[k] += 1 }
                }
                #expect(examined == draws, "\(name): position 0 is always examined")
                for k in 0..<t {
                    let pk = Double(p[j * t + k])
                    let frequency = Double(counts[k]) / Double(draws)
                    let se = max((pk * (1 - pk) / Double(draws)).squareRoot(), 1 / Double(draws))
                    #expect(abs(frequency - pk) <= 4 * se,
                            "\(name) user \(user) item \(item) task \(k): frequency \(frequency), marginal \(pk), 4 SE = \(4 * se)")
                }
            }
        }
    }

    /// Examination at position j happens with probability decay^j.
    @Test func examinationFrequencyByPosition() {
        let world = Fixtures.tinyWorld, r = world.response, t = r.taskCount, draws = 20_000
        var rng = RandomStream(seed: 77)
        let (c, m) = conditionals(world, user: 0, items: [5])
        for position in [1, 3] {
            var examined = 0
            for _ in 0..<draws where sample(world, item: 5, conditional: c[0..<t], watchLocation: m[0], position: position,
                                            stream: &rng).examined {
                examined += 1
            }
            let e = Double(r.examination[position])
            let se = (e * (1 - e) / Double(draws)).squareRoot()
            #expect(abs(Double(examined) / Double(draws) - e) <= 4 * se, "position \(position)")
        }
    }

    /// Realised outcomes respect the cascade, and the watch-threshold task is realised iff the watch time
    /// reaches min(thresholdSeconds, completionFraction · duration).
    @Test(arguments: [0, 1])
    func realisedOutcomesRespectTheCascade(worldIndex: Int) throws {
        let (name, world) = Self.worlds[worldIndex]
        let config = world.config, r = world.response, t = r.taskCount
        let longView = try #require(config.taskIndex("longView"))
        let hate = try #require(config.taskIndex("hate"))
        let task = config.tasks[longView]
        var rng = RandomStream(seed: 31)
        var plays = 0, longViews = 0, nearBoundary = 0
        for _ in 0..<1_000 {
            let items = (0..<8).map { _ in rng.nextIndex(below: world.catalog.count) }
            let user = rng.nextIndex(below: world.population.count)
            let (c, m) = conditionals(world, user: user, items: items)
            for (j, item) in items.enumerated() {
                for position in 0..<config.slate.size {
                    let o = sample(world, item: item, conditional: c[(j * t)..<((j + 1) * t)], watchLocation: m[j],
                                   position: position, stream: &rng)
                    let has = { (k: Int) in o.tasks & (1 << UInt32(k)) != 0 }
                    #expect(o.tasks >> UInt32(t) == 0, "\(name): bits beyond the tasks")
                    if !o.examined { #expect(o.tasks == 0, "\(name): unexamined item with feedback") }
                    if !has(0) {
                        #expect(o.tasks == 0 && o.watchSeconds == 0 && o.watchFraction == 0, "\(name): feedback without a play")
                        continue
                    }
                    plays += 1
                    for k in 1..<t where has(k) {
                        #expect(has(r.parent[k]), "\(name): task \(k) without its parent")
                        if r.unless[k] >= 0 { #expect(!has(r.unless[k]), "\(name): task \(k) with its exclusive sibling") }
                    }
                    #expect(!(has(hate) && has(longView)), "\(name): hate with a long view")
                    let duration = world.catalog.durationSeconds[item]
                    #expect(o.watchFraction > 0 && o.watchFraction < 1, "\(name)")
                    assertClose(Double(o.watchSeconds), Double(o.watchFraction * duration), relative: 1e-6)
                    let threshold = min(Float(task.thresholdSeconds), Float(task.completionFraction) * duration)
                    if abs(o.watchSeconds - threshold) <= 1e-4 * max(threshold, 1) {
                        nearBoundary += 1
                        continue
                    }
                    if has(longView) { longViews += 1 }
                    #expect(has(longView) == (o.watchSeconds >= threshold),
                            "\(name) item \(item): watched \(o.watchSeconds) s of \(duration) s, threshold \(threshold) s, longView \(has(longView))")
                }
            }
        }
        #expect(plays > 1_000, "\(name): too few plays to check (\(plays))")
        #expect(longViews > 100 && longViews < plays, "\(name): \(longViews) long views of \(plays) plays")
        #expect(nearBoundary < plays / 100)
    }
}
