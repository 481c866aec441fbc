import Numerics

/// How a user responds to an item: the task cascade, compiled into flat tables.
///
/// For a user u with interest vector x_u and an item i with embedding e_i, quality q_i, appeal a_i and
/// duration D_i, with boredom b (the user's boredom with the item's category × sensitivity) and fatigue F:
/// - engagement root (click / play):  c₀ = σ(β₀ + o_{u,0} + β_aff⟨x_u,e_i⟩ + β_q q_i + β_a a_i + β_b b + β_F F)
/// - watch fraction of a play:        f = σ(m + s·L), L ~ Logistic(0, 1),
///   m = w₀ + o_u^w + w_aff⟨x_u,e_i⟩ + w_q q_i + w_a a_i + w_D log(D_i / 60 s) + w_b b
/// - watch-threshold task (long view): realised iff f ≥ t_i with t_i = min(threshold / D_i, completion),
///   so c_k = P(f ≥ t_i) = σ((m − logit t_i) / s) in closed form
/// - conditional task k with parent p(k) and optional exclusive sibling x(k):
///   c_k = σ(β_k + o_{u,k} + β_aff⟨x_u,e_i⟩ + β_q q_i + β_a a_i + β_l l_i + β_b b + β_F F), realised iff the parent
///   was realised, the sibling was not, and U_k < c_k (l_i: the item's likeability).
/// The per-impression probability of an examined item is then exact:
/// p₀ = c₀, p_k = p_{p(k)} · (1 − c_{x(k)}) · c_k — the "true probabilities" an oracle ranker sees and
/// against which ranker AUCs are compared.
///
/// Every logit is linear in the per-candidate covariates (affinity, boredom, fatigue), so the item-only
/// and user-only parts are tabulated once: a candidate costs one dot product, T multiply-adds and T
/// logistic evaluations.
public struct ResponseModel: Sendable {
    public let taskCount: Int
    /// Parent task of each task (−1 for the root).
    public let parent: [Int]
    /// Exclusive sibling of each task (−1 for none).
    public let unless: [Int]
    /// Whether each task is a watch threshold.
    public let isWatchThreshold: [Bool]
    /// Coefficients of affinity, boredom and fatigue in each task's logit (watch thresholds: divided by s).
    public let affinityCoefficient: [Float], boredomCoefficient: [Float], fatigueCoefficient: [Float]
    /// Item part of each task's logit, `items × taskCount`.
    public let itemLogit: [Float]
    /// User part of each task's logit, `users × taskCount`.
    public let userLogit: [Float]
    /// Item part of the watch location m, and logit t_i of each watch-threshold task (`items × taskCount`).
    public let itemWatchLocation: [Float]
    public let thresholdLogit: [Float]
    /// Watch model: user offsets, coefficients of affinity and boredom, and the logistic scale s.
    public let userWatchLocation: [Float]
    public let watchAffinity: Float, watchBoredom: Float, watchScale: Float
    /// Examination probability per slate position.
    public let examination: [Float]

    public init(config: EnvironmentConfig, catalog: Catalog, population: UserPopulation) {
        let tasks = config.tasks, t = tasks.count, w = config.watch
        taskCount = t
        let index = Dictionary(uniqueKeysWithValues: tasks.enumerated().map { ($1.name, $0) })
        parent = tasks.map { $0.given.flatMap { index[$0] } ?? -1 }
        unless = tasks.map { $0.unless.flatMap { index[$0] } ?? -1 }
        let threshold = tasks.map { $0.kind == .watchThreshold }
        isWatchThreshold = threshold
        let invScale = 1 / w.scale
        affinityCoefficient = tasks.indices.map { Float(threshold[$0] ? w.affinity * invScale : tasks[$0].affinity) }
        boredomCoefficient = tasks.indices.map { Float(threshold[$0] ? w.boredom * invScale : tasks[$0].boredom) }
        fatigueCoefficient = tasks.indices.map { Float(threshold[$0] ? 0 : tasks[$0].fatigue) }
        watchAffinity = Float(w.affinity)
        watchBoredom = Float(w.boredom)
        watchScale = Float(w.scale)
        examination = (0..<config.slate.size).map { Float(Elementary.pow(config.slate.examinationDecay, Double($0))) }

        var itemLogit = [Float](repeating: 0, count: catalog.count * t)
        var thresholdLogit = [Float](repeating: 0, count: catalog.count * t)
        var itemWatch = [Float](repeating: 0, count: catalog.count)
        for i in 0..<catalog.count {
            let q = Double(catalog.latentQuality[i]), a = Double(catalog.latentAppeal[i]), duration = Double(catalog.durationSeconds[i])
            let m = w.intercept + w.quality * q + w.appeal * a + w.durationLog * Elementary.log(duration / 60)
            itemWatch[i] = Float(m)
            for (k, task) in tasks.enumerated() {
                if threshold[k] {
                    let ti = min(task.thresholdSeconds / duration, task.completionFraction)
                    let logitT = Elementary.log(ti / (1 - ti))
                    thresholdLogit[i * t + k] = Float(logitT)
                    itemLogit[i * t + k] = Float((m - logitT) * invScale)
                } else {
                    itemLogit[i * t + k] = Float(task.intercept + task.quality * q + task.appeal * a
                                                 + task.likeability * Double(catalog.latentLikeability[i]))
                }
            }
        }
        self.itemLogit = itemLogit
        self.thresholdLogit = thresholdLogit
        itemWatchLocation = itemWatch

        var userLogit = [Float](repeating: 0, count: population.count * t)
        for u in 0..<population.count {
            for k in 0..<t {
                userLogit[u * t + k] = threshold[k] ? population.latentWatchOffset[u] * Float(invScale) : population.latentTaskOffsets[u * t + k]
            }
        }
        self.userLogit = userLogit
        userWatchLocation = population.latentWatchOffset
    }

    /// Conditional probabilities of `count` candidates of one user.
    ///
    /// Writes c_k into `conditional` (`count × taskCount`) and each watch location m into `watchLocation`.
    /// `affinity` and `boredom` hold the candidates' covariates.
    @inlinable
    public func conditionals(user: Int, items: UnsafePointer<Int32>, affinity: UnsafePointer<Float>, boredom: UnsafePointer<Float>,
                             fatigue: Float, count: Int, conditional: UnsafeMutablePointer<Float>,
                             watchLocation: UnsafeMutablePointer<Float>) {
        let t = taskCount
        itemLogit.withUnsafeBufferPointer { itemPart in
            userLogit.withUnsafeBufferPointer { userPart in
                affinityCoefficient.withUnsafeBufferPointer { ca in
                    boredomCoefficient.withUnsafeBufferPointer { cb in
                        fatigueCoefficient.withUnsafeBufferPointer { cf in
                            let u = userPart.baseAddress! + user * t
                            for j in 0..<count {
                                let item = itemPart.baseAddress! + Int(items[j]) * t
                                let out = conditional + j * t
                                let x = affinity[j], b = boredom[j]
                                for k in 0..<t { out[k] = item[k] + u[k] + ca[k] * x + cb[k] * b + cf[k] * fatigue }
                            }
                        }
                    }
                }
            }
        }
        FastMath.sigmoid(conditional, count: count * t)
        let userWatch = userWatchLocation[user]
        itemWatchLocation.withUnsafeBufferPointer { m in
            for j in 0..<count {
                watchLocation[j] = m[Int(items[j])] + userWatch + watchAffinity * affinity[j] + watchBoredom * boredom[j]
            }
        }
    }

    /// Per-impression probabilities of examined items from their conditionals: p₀ = c₀, p_k = p_{p(k)}(1 − c_{x(k)})c_k.
    @inlinable
    public func marginals(_ conditional: UnsafePointer<Float>, count: Int, into p: UnsafeMutablePointer<Float>) {
        let t = taskCount
        parent.withUnsafeBufferPointer { parent in
            unless.withUnsafeBufferPointer { unless in
                for j in 0..<count {
                    let c = conditional + j * t, out = p + j * t
                    out[0] = c[0]
                    for k in 1..<t {
                        var v = out[parent[k]] * c[k]
                        if unless[k] >= 0 { v *= 1 - c[unless[k]] }
                        out[k] = v
                    }
                }
            }
        }
    }

    /// Number of uniforms one shown item consumes: examination, one per task, and the watch draw.
    /// Always the same, so that two policies stay on common random numbers slot by slot.
    @inlinable public var drawsPerImpression: Int { taskCount + 2 }

    /// One sampled impression.
    public struct Outcome: Sendable {
        public var examined: Bool
        /// Bit k set when task k was realised (bit 0: played / clicked).
        public var tasks: UInt32
        public var watchFraction: Float
        public var watchSeconds: Float
    }

    /// Samples the response to `item` at `position` from its conditionals, its watch location `m`, and
    /// `drawsPerImpression` uniforms.
    public func sample(item: Int, conditional: UnsafePointer<Float>, watchLocation m: Float, durationSeconds: Float,
                       position: Int, uniforms u: UnsafePointer<Float>) -> Outcome {
        var outcome = Outcome(examined: u[0] < examination[position], tasks: 0, watchFraction: 0, watchSeconds: 0)
        guard outcome.examined, u[1] < conditional[0] else { return outcome }
        outcome.tasks = 1
        let v = min(max(u[taskCount + 1], 1e-7), 1 - 1e-7)
        let z = m + watchScale * Elementary.log(v / (1 - v))
        let f = Elementary.sigmoid(z)
        outcome.watchFraction = f
        outcome.watchSeconds = f * durationSeconds
        for k in 1..<taskCount {
            guard outcome.tasks & (1 << UInt32(parent[k])) != 0 else { continue }
            if unless[k] >= 0 && outcome.tasks & (1 << UInt32(unless[k])) != 0 { continue }
            let realised = isWatchThreshold[k] ? z >= thresholdLogit[item * taskCount + k] : u[k + 1] < conditional[k]
            if realised { outcome.tasks |= 1 << UInt32(k) }
        }
        return outcome
    }
}
