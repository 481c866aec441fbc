import EpisodeLog
import Numerics
import Simulator

/// Runs a block of episodes together, one lane per episode, advancing every active session by one
/// request per step so that the ranker and the policy see whole batches (matrix products for
/// neural models). Each lane draws only from its own (episode, session) streams, so a block's
/// results do not depend on how blocks are spread over threads.
final class BlockSimulator {
    let world: World
    // The world's parts, held once so the hot loops read class constants instead of copying structs.
    let config: EnvironmentConfig
    let catalog: Catalog
    let population: UserPopulation
    let response: ResponseModel
    let dynamics: UserDynamics
    let leaveModel: LeaveModel
    let returnModel: ReturnModel
    let rewardModel: RewardModel
    let ranker: any Ranker
    let policy: any FusionPolicy
    /// The seed of every keyed stream; a stepped environment may change it between episodes.
    var seed: UInt64
    /// The users of episodes: episode `e` is user `userRange.lowerBound + e mod userRange.count` (`UserPool.user`).
    let userRange: Range<Int>
    /// Probability that a slot shows a uniformly random candidate instead of the ranked one.
    let randomExposure: Double
    /// Recorded with every traced step (the learner's update count when the behaviour policy was taken).
    let policyVersion: Int
    let collectImpressions: Bool
    /// Whether sessions are traced for the episode log, and whether traces include the candidate sets.
    let trace: Bool
    let logCandidates: Bool
    /// Whether each answered request's outcome (reward, components, flags) is kept per lane, for a stepped
    /// environment (`VectorEnvironment`), and session records are left out of the block's result.
    let reportsOutcomes: Bool

    // Sizes.
    let lanes: Int, k: Int, t: Int, n: Int, d: Int, categories: Int, stateDimension: Int

    // Per-lane state.
    var lane: [LaneState] = []
    /// Current interests, `lanes × d`, and boredom per category, `lanes × categories`.
    let interest: UnsafeMutablePointer<Float>
    let boredom: UnsafeMutablePointer<Float>

    // Request workspaces, allocated once and reused every step (no bounds or exclusivity checks in the hot loops).
    let items: UnsafeMutablePointer<Int32>
    let conditional: UnsafeMutablePointer<Float>
    let truth: UnsafeMutablePointer<Float>
    let watchLocation: UnsafeMutablePointer<Float>
    let predictions: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    let slate: UnsafeMutablePointer<Int32>
    let stamp: UnsafeMutablePointer<Int32>
    let categoryCDF: UnsafeMutablePointer<Double>
    let uniforms: UnsafeMutablePointer<Float>
    let users: UnsafeMutablePointer<Int32>
    let requestIndices: UnsafeMutablePointer<Int32>
    let affinity: UnsafeMutablePointer<Float>
    let candidateBoredom: UnsafeMutablePointer<Float>
    var stampCounter: Int32 = 0
    /// The active lanes' engagement histories, in batch-row order, while the ranker runs.
    var historyRows: [EngagementHistory] = []
    /// Realised tasks and examination of the slate being answered (for the engagement history).
    let slateTasks: UnsafeMutablePointer<UInt32>
    let slateExamined: UnsafeMutablePointer<Bool>
    /// Whether each slot of the slates being answered holds a random exposure, `lanes × n`.
    let slateRandom: UnsafeMutablePointer<Bool>
    var states: Matrix
    var policyOutput: PolicyOutput
    /// Per-lane stream scratch for the ranker and the policy, in batch-row order.
    var streams: [RandomStream]
    /// Reward components of each lane's last answered request, `lanes × rewardModel.componentCount`
    /// (when `reportsOutcomes`).
    let outcomeComponents: UnsafeMutablePointer<Float>

    init(world: World, ranker: any Ranker, policy: any FusionPolicy, seed: UInt64, lanes: Int, collectImpressions: Bool,
         trace: Bool = false, logCandidates: Bool = false, userPool: UserPool = .all, userRange: Range<Int>? = nil,
         policyVersion: Int = 0, randomExposure: Double = 0, reportsOutcomes: Bool = false) {
        self.userRange = userRange ?? userPool.users(population: world.population.count)
        self.reportsOutcomes = reportsOutcomes
        self.randomExposure = randomExposure
        self.policyVersion = policyVersion
        self.world = world
        self.ranker = ranker
        self.policy = policy
        self.seed = seed
        self.collectImpressions = collectImpressions
        self.trace = trace
        self.logCandidates = logCandidates
        let config = world.config
        self.config = config
        catalog = world.catalog
        population = world.population
        response = world.response
        dynamics = world.dynamics
        leaveModel = world.leave
        returnModel = world.returns
        rewardModel = world.reward
        self.lanes = lanes
        k = config.retrieval.candidates
        t = config.tasks.count
        n = config.slate.size
        d = world.catalog.dimension
        categories = world.catalog.categoryCount
        stateDimension = world.stateLayout.dimension
        interest = .allocate(zeroed: lanes * d)
        boredom = .allocate(zeroed: lanes * categories)
        items = .allocate(zeroed: lanes * k)
        conditional = .allocate(zeroed: lanes * k * t)
        truth = .allocate(zeroed: lanes * k * t)
        watchLocation = .allocate(zeroed: lanes * k)
        predictions = .allocate(zeroed: lanes * k * t)
        scores = .allocate(zeroed: k)
        slate = .allocate(zeroed: lanes * n)
        stamp = .allocate(zeroed: world.catalog.count)
        categoryCDF = .allocate(zeroed: categories)
        uniforms = .allocate(zeroed: t + 2)
        users = .allocate(zeroed: lanes)
        requestIndices = .allocate(zeroed: lanes)
        slateTasks = .allocate(zeroed: n)
        slateExamined = .allocate(capacity: max(n, 1))
        slateExamined.initialize(repeating: false, count: max(n, 1))
        slateRandom = .allocate(capacity: max(lanes * n, 1))
        slateRandom.initialize(repeating: false, count: max(lanes * n, 1))
        affinity = .allocate(zeroed: k)
        candidateBoredom = .allocate(zeroed: k)
        states = Matrix(rows: lanes, columns: stateDimension)
        policyOutput = PolicyOutput(batch: lanes, actionDimension: world.actionSpace.dimension)
        streams = [RandomStream](repeating: RandomStream(seed: 0), count: lanes)
        outcomeComponents = .allocate(zeroed: reportsOutcomes ? lanes * world.reward.componentCount : 1)
    }

    deinit {
        for p in [interest, boredom, conditional, truth, watchLocation, predictions, scores, uniforms, affinity, candidateBoredom,
                  outcomeComponents] {
            p.deallocate()
        }
        for p in [items, slate, stamp, users, requestIndices] { p.deallocate() }
        slateTasks.deallocate()
        slateExamined.deallocate()
        slateRandom.deallocate()
        categoryCDF.deallocate()
    }

    struct LaneState {
        var episode: Int
        var user: Int
        var session = 0
        var sessionStartMinutes = 0.0
        var satisfaction: Float = 0
        var fatigue: Float = 0
        var satisfactionSum = 0.0
        var reward = 0.0
        var observables: SessionObservables
        var history = HistoryObservables()
        var engagement: EngagementHistory
        var active = true
        var retrieval: RandomStream
        var rankerStream: RandomStream
        var policyStream: RandomStream
        var response: RandomStream
        var exposure: RandomStream
        /// The session's steps so far, when tracing.
        var steps: [LoggedStep] = []
        /// The last answered request's outcome, when the simulator reports outcomes.
        var outcome = StepOutcome()
    }

    /// What a lane's last answered request brought (`reportsOutcomes`); its components are in `outcomeComponents`.
    struct StepOutcome {
        /// The request's reward, with the return reward when it ended the session.
        var reward = 0.0
        /// Minutes the request took on the simulation clock.
        var elapsedMinutes = 0.0
        var sessionEnd = false
        /// The user churned after the request (the episode's terminal step).
        var terminated = false
        /// The episode was cut at the horizon after the request.
        var truncated = false
        /// The session hit its request cap.
        var sessionCapped = false
    }

    /// Starts episode `e` in lane `l`: its user's latent interests, no boredom, and the streams of its first session.
    func startEpisode(_ e: Int, lane l: Int) -> LaneState {
        let user = userRange.lowerBound + e % userRange.count
        for j in 0..<d { interest[l * d + j] = population.latentInterests[user * d + j] }
        for c in 0..<categories { boredom[l * categories + c] = 0 }
        return LaneState(
            episode: e, user: user, observables: SessionObservables(taskCount: t),
            engagement: EngagementHistory(taskCount: t, categoryCount: categories),
            retrieval: StreamPurpose.stream(StreamPurpose.retrieval, seed: seed, episode: e, session: 0),
            rankerStream: StreamPurpose.stream(StreamPurpose.ranker, seed: seed, episode: e, session: 0),
            policyStream: StreamPurpose.stream(StreamPurpose.policy, seed: seed, episode: e, session: 0),
            response: StreamPurpose.stream(StreamPurpose.response, seed: seed, episode: e, session: 0),
            exposure: StreamPurpose.stream(StreamPurpose.exposure, seed: seed, episode: e, session: 0))
    }

    /// Simulates episodes `episodes` (one lane each) to their ends.
    func run(episodes: Range<Int>) -> BlockResult {
        precondition(episodes.count <= lanes, "BlockSimulator: more episodes than lanes")
        lane = episodes.enumerated().map { l, e in startEpisode(e, lane: l) }
        var result = BlockResult(sessions: [], impressionSamples: [])
        var active = Array(lane.indices)
        while !active.isEmpty {
            step(active: active, result: &result)
            active.removeAll { !lane[$0].active }
        }
        result.sessions.sort { $0.key < $1.key }
        return result
    }

    /// One request for every active lane: its observation, the policy's actions, and the users' responses.
    private func step(active: [Int], result: inout BlockResult) {
        prepare(active: active)
        for (r, l) in active.enumerated() { streams[r] = lane[l].policyStream }
        streams.withUnsafeMutableBufferPointer { s in
            policy.act(states: states, streams: s.baseAddress!, into: &policyOutput)
        }
        for (r, l) in active.enumerated() { lane[l].policyStream = streams[r] }
        policyOutput.actions.withUnsafeBufferPointer { actions in
            for (r, l) in active.enumerated() {
                answer(lane: l, row: r, action: actions.baseAddress! + r * world.actionSpace.dimension, result: &result)
            }
        }
    }

    /// The next request of every lane of `active`: retrieval, the world's truth, the ranker's predictions and the
    /// observed state. Row `r` of the request workspaces and of `states` belongs to lane `active[r]`.
    func prepare(active: [Int]) {
        let b = active.count
        // Retrieval and the world's true probabilities, written compactly: row block r is lane active[r].
        for (r, l) in active.enumerated() { retrieve(lane: l, row: r) }
        for (r, l) in active.enumerated() { computeTruth(lane: l, row: r) }

        // Ranker predictions for all candidates of the batch.
        for (r, l) in active.enumerated() {
            users[r] = Int32(lane[l].user)
            requestIndices[r] = Int32(lane[l].observables.requestIndex)
            streams[r] = lane[l].rankerStream
        }
        historyRows.removeAll(keepingCapacity: true)
        for l in active { historyRows.append(lane[l].engagement) }
        historyRows.withUnsafeBufferPointer { h in
            let batch = CandidateBatch(lanes: b, candidatesPerLane: k, taskCount: t, users: users, items: items,
                                       catalog: catalog, population: population, oracleProbabilities: truth,
                                       requestIndices: requestIndices, histories: h.baseAddress)
            streams.withUnsafeMutableBufferPointer { s in
                ranker.predict(batch, streams: s.baseAddress!, into: predictions)
            }
        }
        // Release the copies so that recording the responses does not copy the histories' storage.
        historyRows.removeAll(keepingCapacity: true)
        for (r, l) in active.enumerated() { lane[l].rankerStream = streams[r] }

        // Observed states.
        states.resize(rows: b, columns: stateDimension)
        let layout = world.stateLayout
        states.withUnsafeMutableBufferPointer { s in
            for (r, l) in active.enumerated() {
                let user = lane[l].user
                layout.write(degree: Int(population.activityDegree[user]), registerDays: population.registerDays[user],
                             session: lane[l].observables, history: lane[l].history,
                             predictions: predictions + r * k * t, candidates: k,
                             into: s.baseAddress! + r * stateDimension)
            }
        }
    }

    /// Answers lane `l`'s prepared request (row `r`) with the raw fusion weights at `action`: fuses, picks the slate,
    /// and lets the user respond.
    func answer(lane l: Int, row r: Int, action: UnsafePointer<Float>, result: inout BlockResult) {
        world.fusion.score(predictions: predictions + r * k * t, count: k, action: action, into: scores)
        Fusion.topIndices(scores: scores, count: k, n: n, into: slate + r * n)
        if randomExposure > 0 { exposeRandomly(lane: l, row: r) }
        respond(&lane[l], lane: l, row: r, result: &result)
    }

    /// Replaces each slot of row `row`'s slate, with probability `randomExposure`, by a uniformly random
    /// candidate not already in the slate, drawing from the lane's own exposure stream (so the other streams
    /// stay on common random numbers).
    private func exposeRandomly(lane l: Int, row: Int) {
        let s = slate + row * n
        var rng = lane[l].exposure
        for position in 0..<n {
            slateRandom[row * n + position] = false
            guard rng.nextUniform() < randomExposure else { continue }
            var candidate: Int32
            repeat { candidate = Int32(rng.nextIndex(below: k)) } while (0..<n).contains { s[$0] == candidate }
            s[position] = candidate
            slateRandom[row * n + position] = true
        }
        lane[l].exposure = rng
    }

    /// Fills row block `row` of `items` with K distinct candidates: interest-matched, popular, random.
    private func retrieve(lane l: Int, row: Int) {
        let config = self.config.retrieval
        let interestCount = Int((Double(k) * config.interestShare).rounded())
        let popularCount = min(k - interestCount, Int((Double(k) * config.popularShare).rounded()))
        // Category distribution: softmax of ⟨interest, centre_c⟩ / temperature (O(C·d), independent of the catalog size).
        let invTemperature = 1 / config.interestTemperature
        var maxLogit = -Double.infinity
        for c in 0..<categories {
            var dot: Float = 0
            for j in 0..<d { dot += interest[l * d + j] * catalog.categoryCentres[c * d + j] }
            let logit = catalog.hasItems(inCategory: c) ? Double(dot) * invTemperature : -Double.infinity
            categoryCDF[c] = logit
            maxLogit = max(maxLogit, logit)
        }
        var total = 0.0
        for c in 0..<categories {
            total += categoryCDF[c] == -.infinity ? 0 : Elementary.exp(categoryCDF[c] - maxLogit)
            categoryCDF[c] = total
        }
        stampCounter &+= 1
        if stampCounter == Int32.max {
            stamp.update(repeating: 0, count: catalog.count)
            stampCounter = 1
        }
        let base = row * k, currentStamp = stampCounter
        var rng = lane[l].retrieval
        for j in 0..<k {
            var item = 0
            for attempt in 0..<8 {
                if j < interestCount && attempt < 4 {
                    let target = rng.nextUniform() * total
                    var lo = 0, hi = categories - 1
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if categoryCDF[mid] > target { hi = mid } else { lo = mid + 1 }
                    }
                    item = Int(catalog.categoryItems[lo][catalog.categoryPools[lo].sample(&rng)])
                } else if j < interestCount + popularCount && attempt < 4 {
                    item = catalog.popularPool.sample(&rng)
                } else {
                    item = rng.nextIndex(below: catalog.count)
                }
                if stamp[item] != currentStamp { break }
            }
            stamp[item] = currentStamp
            items[base + j] = Int32(item)
        }
        lane[l].retrieval = rng
    }

    /// Conditionals, watch locations and true per-impression probabilities of the row's candidates.
    private func computeTruth(lane l: Int, row: Int) {
        let user = lane[l].user
        let sensitivity = population.latentBoredomSensitivity[user]
        let x = interest + l * d, laneBoredom = boredom + l * categories
        let rowItems = items + row * k
        catalog.latentEmbeddings.withUnsafeBufferPointer { emb in
            catalog.category.withUnsafeBufferPointer { category in
                for j in 0..<k {
                    let item = Int(rowItems[j])
                    let e = emb.baseAddress! + item * d
                    var dot: Float = 0
                    for q in 0..<d { dot += x[q] * e[q] }
                    affinity[j] = dot
                    candidateBoredom[j] = laneBoredom[Int(category[item])] * sensitivity
                }
            }
        }
        response.conditionals(user: user, items: rowItems, affinity: affinity, boredom: candidateBoredom,
                                    fatigue: lane[l].fatigue, count: k, conditional: conditional + row * k * t,
                                    watchLocation: watchLocation + row * k)
        response.marginals(conditional + row * k * t, count: k, into: truth + row * k * t)
    }

    /// The trace of the request just served to row `row`: its state, the policy's behaviour fields, reward and impressions.
    private func loggedStep(row: Int, requestIndex: Int, reward: Double, components: [Float],
                            impressions: [LoggedImpression], elapsedMinutes: Double) -> LoggedStep {
        let candidates = logCandidates
            ? LoggedCandidates(items: Array(UnsafeBufferPointer(start: items + row * k, count: k)),
                               predictions: Array(UnsafeBufferPointer(start: predictions + row * k * t, count: k * t)))
            : nil
        return LoggedStep(
            requestIndex: requestIndex, state: Array(states.row(row)),
            action: Array(policyOutput.actions.row(row)), behaviourMean: Array(policyOutput.means.row(row)),
            explorationScale: policy.explorationScale, explorationGroup: policyOutput.groups[row].rawValue,
            logDensity: policyOutput.logDensities[row], policyVersion: policyVersion, reward: reward, rewardComponents: components,
            sessionEnd: false, terminal: false, truncated: false, impressions: impressions, candidates: candidates,
            elapsedMinutes: elapsedMinutes)
    }

    /// Samples the user's response to the lane's slate, lets the world's models update the user's state and the
    /// reward, and decides leave / return.
    private func respond(_ state: inout LaneState, lane l: Int, row: Int, result: inout BlockResult) {
        var request = UserDynamics.Request()
        var requestReward = RewardModel.Request()
        var loggedImpressions: [LoggedImpression] = []
        var requestTaskCounts = trace ? [Float](repeating: 0, count: t) : []
        let laneInterest = interest + l * d, laneBoredom = boredom + l * categories
        let components = outcomeComponents + l * rewardModel.componentCount
        if reportsOutcomes { components.update(repeating: 0, count: rewardModel.componentCount) }
        for position in 0..<n {
            let r = row * k + Int(slate[row * n + position])
            let item = Int(items[r])
            for i in 0..<(t + 2) { uniforms[i] = state.response.nextUnitFloat() }
            let outcome = response.sample(item: item, conditional: conditional + r * t, watchLocation: watchLocation[r],
                                          durationSeconds: catalog.durationSeconds[item], position: position, uniforms: uniforms)
            state.observables.impressions += 1
            slateTasks[position] = outcome.tasks
            slateExamined[position] = outcome.examined
            if trace {
                loggedImpressions.append(LoggedImpression(
                    position: position, item: Int32(item), predictions: Array(UnsafeBufferPointer(start: predictions + r * t, count: t)),
                    tasks: outcome.tasks, examined: outcome.examined, watchSeconds: outcome.watchSeconds,
                    trueProbabilities: Array(UnsafeBufferPointer(start: truth + r * t, count: t)),
                    randomExposure: randomExposure > 0 && slateRandom[row * n + position]))
            }
            if collectImpressions {
                result.impressionSamples.append(ImpressionSample(
                    predictions: Array(UnsafeBufferPointer(start: predictions + r * t, count: t)),
                    truth: Array(UnsafeBufferPointer(start: truth + r * t, count: t)),
                    tasks: outcome.tasks))
            }
            guard outcome.examined else { continue }
            dynamics.examine(fatigue: &state.fatigue, request: &request)
            guard outcome.tasks & 1 != 0 else {
                dynamics.skip(request: &request)
                continue
            }
            for task in 0..<t where outcome.tasks & (1 << UInt32(task)) != 0 {
                state.observables.taskCounts[task] += 1
                if trace { requestTaskCounts[task] += 1 }
                if reportsOutcomes { components[rewardModel.countIndex(task: task)] += 1 }
            }
            rewardModel.addRealised(tasks: outcome.tasks, price: catalog.price[item], to: &requestReward)
            dynamics.play(watchFraction: outcome.watchFraction, watchSeconds: outcome.watchSeconds,
                          quality: catalog.latentQuality[item], appeal: catalog.latentAppeal[item], tasks: outcome.tasks,
                          fatigue: &state.fatigue, request: &request)
            dynamics.bore(laneBoredom, category: Int(catalog.category[item]))
            catalog.latentEmbeddings.withUnsafeBufferPointer { embeddings in
                dynamics.drift(laneInterest, toward: embeddings.baseAddress! + item * d, dimension: d,
                               watchFraction: outcome.watchFraction)
            }
        }
        dynamics.decayBoredom(laneBoredom, categories: categories)
        let slateRow = slate + row * n, rowItems = items + row * k
        catalog.category.withUnsafeBufferPointer { category in
            state.engagement.record(count: n, examined: { self.slateExamined[$0] },
                                    categories: { category[Int(rowItems[Int(slateRow[$0])])] },
                                    tasks: { self.slateTasks[$0] })
        }
        rewardModel.addWatchTime(seconds: request.watchSeconds, to: &requestReward)
        state.satisfaction = dynamics.satisfaction(after: request, previous: state.satisfaction)
        state.satisfactionSum += Double(state.satisfaction)
        // The request's minutes on the clock (browsing and watching).
        let minutes = request.minutes
        state.observables.requestIndex += 1
        state.observables.minutes += minutes
        state.observables.watchSeconds += request.watchSeconds
        state.observables.lastPlays = request.plays
        state.observables.lastImpressions = n
        state.observables.lastWatchSeconds = request.watchSeconds
        state.reward += requestReward.reward
        if reportsOutcomes {
            state.outcome = StepOutcome(reward: requestReward.reward, elapsedMinutes: minutes)
            components[rewardModel.watchMinutesIndex] = Float(request.watchSeconds / 60)
            components[rewardModel.gmvPriceIndex] = Float(requestReward.gmvPrice)
        }
        if trace {
            let components = rewardModel.components(watchSeconds: request.watchSeconds, taskCounts: requestTaskCounts,
                                                    gmvPrice: requestReward.gmvPrice)
            state.steps.append(loggedStep(row: row, requestIndex: state.observables.requestIndex - 1,
                                          reward: requestReward.reward, components: components,
                                          impressions: loggedImpressions, elapsedMinutes: minutes))
        }

        let decision = leaveModel.decide(user: state.user, fatigue: state.fatigue, satisfaction: state.satisfaction,
                                         request: state.observables.requestIndex, plays: request.plays,
                                         stream: &state.response)
        if decision.endsSession {
            endSession(&state, lane: l, truncated: decision == .capped, result: &result)
        }
    }

    /// Closes the session: return gap or churn, the session record, and the next session's start.
    private func endSession(_ state: inout LaneState, lane l: Int, truncated: Bool, result: inout BlockResult) {
        let requests = state.observables.requestIndex
        let durationMinutes = state.observables.minutes
        var rng = StreamPurpose.stream(StreamPurpose.returnGap, seed: seed, episode: state.episode, session: state.session)
        let outcome = returnModel.sample(user: state.user, satisfactionSum: state.satisfactionSum, requests: requests,
                                         endSatisfaction: state.satisfaction, startMinutes: state.sessionStartMinutes,
                                         durationMinutes: durationMinutes, stream: &rng)
        let gap = outcome.gapMinutes, nextStart = outcome.nextStartMinutes
        let end: SessionEnd = switch outcome.end {
        case .churned: .churned
        case .horizon: .horizon
        case .returned: .returned
        }
        let returnBonus = rewardModel.returnBonus(gapMinutes: outcome.churned ? nil : gap)
        if rewardModel.returnWeight != 0 {
            state.reward += rewardModel.returnReward(bonus: returnBonus)
        }
        if reportsOutcomes {
            state.outcome.reward += rewardModel.returnReward(bonus: returnBonus)
            outcomeComponents[l * rewardModel.componentCount + rewardModel.returnBonusIndex] = Float(returnBonus)
            state.outcome.sessionEnd = true
            state.outcome.terminated = end == .churned
            state.outcome.truncated = end == .horizon
            state.outcome.sessionCapped = truncated
        }
        if trace, !state.steps.isEmpty {
            let last = state.steps.count - 1
            state.steps[last].reward += rewardModel.returnReward(bonus: returnBonus)
            state.steps[last].rewardComponents[rewardModel.returnBonusIndex] = Float(returnBonus)
            state.steps[last].sessionEnd = true
            state.steps[last].terminal = end == .churned
            state.steps[last].truncated = end == .horizon
        }
        if !reportsOutcomes || trace {
            result.sessions.append(SessionRecord(
                episode: state.episode, user: state.user, sessionIndex: state.session,
                startMinutes: state.sessionStartMinutes, durationMinutes: durationMinutes,
                requests: requests, impressions: state.observables.impressions, taskCounts: state.observables.taskCounts,
                watchSeconds: state.observables.watchSeconds, reward: state.reward, meanSatisfaction: outcome.meanSatisfaction,
                returnGapMinutes: outcome.churned ? nil : gap, end: end, truncated: truncated, steps: state.steps))
        }
        state.steps = []

        guard end == .returned else {
            state.active = false
            return
        }
        // The next session: history observables, boredom recovery, fresh in-session state and streams.
        state.history = dynamics.history(after: state.history, requests: requests, impressions: state.observables.impressions,
                                         plays: state.observables.taskCounts[0], gapMinutes: gap)
        dynamics.recoverBoredom(boredom + l * categories, categories: categories, gapMinutes: gap)
        state.session += 1
        // The same expression the ranker-training loader evaluates from the logged session times.
        state.engagement.startSession(idleHours: (nextStart - (state.sessionStartMinutes + durationMinutes)) / 60)
        state.sessionStartMinutes = nextStart
        state.satisfaction = 0
        state.fatigue = 0
        state.satisfactionSum = 0
        state.reward = 0
        state.observables = SessionObservables(taskCount: t)
        let e = state.episode, s = state.session
        state.retrieval = StreamPurpose.stream(StreamPurpose.retrieval, seed: seed, episode: e, session: s)
        state.rankerStream = StreamPurpose.stream(StreamPurpose.ranker, seed: seed, episode: e, session: s)
        state.policyStream = StreamPurpose.stream(StreamPurpose.policy, seed: seed, episode: e, session: s)
        state.response = StreamPurpose.stream(StreamPurpose.response, seed: seed, episode: e, session: s)
        state.exposure = StreamPurpose.stream(StreamPurpose.exposure, seed: seed, episode: e, session: s)
    }
}

extension UnsafeMutablePointer where Pointee: Numeric {
    /// A zero-filled allocation of `count` elements (freed by the owner's `deinit`).
    static func allocate(zeroed count: Int) -> UnsafeMutablePointer<Pointee> {
        let p = UnsafeMutablePointer<Pointee>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        return p
    }
}
