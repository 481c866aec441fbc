/// A field that failed validation: its dotted path and what was expected.
public struct ValidationProblem: Sendable, Equatable {
    public var path: String
    public var message: String
}

extension EnvironmentConfig {
    /// Every problem in the configuration, in field order (empty when valid).
    public func validationProblems() -> [ValidationProblem] {
        var v = Validator()
        let taskSet = Set(taskNames)

        v.positive(catalog.items, "catalog.items")
        v.positive(catalog.categories, "catalog.categories")
        if catalog.categories > catalog.items {
            v.fail("catalog.categories", "expected at most catalog.items (\(catalog.items)), got \(catalog.categories)")
        }
        v.positive(catalog.embeddingDimension, "catalog.embeddingDimension")
        v.positive(catalog.creators, "catalog.creators")
        v.nonNegative(catalog.categorySkew, "catalog.categorySkew")
        v.nonNegative(catalog.creatorSkew, "catalog.creatorSkew")
        v.nonNegative(catalog.topicSpread, "catalog.topicSpread")
        v.logNormal(catalog.durationSeconds, "catalog.durationSeconds")
        v.logNormal(catalog.price, "catalog.price")
        v.inRange(catalog.qualityAppealCorrelation, -1...1, "catalog.qualityAppealCorrelation")
        v.nonNegative(catalog.popularity.logSigma, "catalog.popularity.logSigma")

        v.positive(users.count, "users.count")
        v.positive(users.favoriteCategories, "users.favoriteCategories")
        v.nonNegative(users.interestSpread, "users.interestSpread")
        v.nonNegative(users.activitySpread, "users.activitySpread")
        v.nonNegative(users.boredomSensitivitySpread, "users.boredomSensitivitySpread")
        if users.activityDegreeShares.count > 16 {
            v.fail("users.activityDegreeShares", "expected at most 16 activity degrees, got \(users.activityDegreeShares.count)")
        }
        if users.activityDegreeShares.isEmpty || users.activityDegreeShares.contains(where: { !($0 >= 0) })
            || users.activityDegreeShares.reduce(0, +) <= 0 {
            v.fail("users.activityDegreeShares", "expected a non-empty list of non-negative shares with a positive sum")
        }

        v.positive(retrieval.candidates, "retrieval.candidates")
        if kuairand?.videoFeatures == nil && retrieval.candidates > catalog.items {
            v.fail("retrieval.candidates", "expected at most catalog.items (\(catalog.items)) distinct candidates, got \(retrieval.candidates)")
        }
        v.inRange(retrieval.interestShare, 0...1, "retrieval.interestShare")
        v.inRange(retrieval.popularShare, 0...1, "retrieval.popularShare")
        if retrieval.interestShare + retrieval.popularShare > 1 + 1e-9 {
            v.fail("retrieval.popularShare", "expected interestShare + popularShare ≤ 1, got \(retrieval.interestShare + retrieval.popularShare)")
        }
        v.positiveReal(retrieval.interestTemperature, "retrieval.interestTemperature")

        v.positive(slate.size, "slate.size")
        if slate.size > retrieval.candidates {
            v.fail("slate.size", "expected at most retrieval.candidates (\(retrieval.candidates)), got \(slate.size)")
        }
        v.inRange(slate.examinationDecay, 0.000_001...1, "slate.examinationDecay")

        validateTasks(&v)

        v.positiveReal(watch.scale, "watch.scale")
        v.nonNegative(watch.userSpread, "watch.userSpread")
        v.inRange(dynamics.satisfactionDecay, 0...1, "dynamics.satisfactionDecay")
        v.inRange(dynamics.boredomDecay, 0...1, "dynamics.boredomDecay")
        v.positiveReal(dynamics.boredomHalfLifeHours, "dynamics.boredomHalfLifeHours")
        v.inRange(dynamics.interestDriftRate, 0...1, "dynamics.interestDriftRate")
        v.nonNegative(dynamics.browseSecondsPerImpression, "dynamics.browseSecondsPerImpression")
        v.taskKeys(dynamics.satisfactionTaskValues, taskSet, "dynamics.satisfactionTaskValues")
        v.nonNegative(leave.userSpread, "leave.userSpread")
        if !(leave.hookRequests > 0) { v.fail("leave.hookRequests", "expected a positive number of requests, got \(leave.hookRequests)") }
        v.nonNegative(returnModel.minimumGapMinutes, "return.minimumGapMinutes")
        v.positiveReal(returnModel.medianExtraMinutes, "return.medianExtraMinutes")
        v.nonNegative(returnModel.logSigma, "return.logSigma")
        v.inRange(returnModel.endWeight, 0...1, "return.endWeight")
        v.positiveReal(episode.horizonDays, "episode.horizonDays")
        v.positive(episode.maxRequestsPerSession, "episode.maxRequestsPerSession")

        v.taskKeys(ranker.noise, taskSet, "ranker.noise")
        for (task, sigma) in ranker.noise.sorted(by: { $0.key < $1.key }) { v.nonNegative(sigma, "ranker.noise.\(task)") }
        v.nonNegative(ranker.defaultNoise, "ranker.defaultNoise")

        v.taskKeys(fusion.weightBounds, taskSet, "fusion.weightBounds")
        for (task, b) in fusion.weightBounds.sorted(by: { $0.key < $1.key }) { v.bounds(b, "fusion.weightBounds.\(task)") }
        v.bounds(fusion.defaultWeightBounds, "fusion.defaultWeightBounds")
        v.taskKeys(fusion.beta, taskSet, "fusion.beta")
        for (task, beta) in fusion.beta.sorted(by: { $0.key < $1.key }) { v.positiveReal(beta, "fusion.beta.\(task)") }
        v.positiveReal(fusion.defaultBeta, "fusion.defaultBeta")
        v.bounds(fusion.biasBounds, "fusion.biasBounds")
        if fusion.form == .powerProduct {
            for (task, beta) in fusion.beta.sorted(by: { $0.key < $1.key })
            where !(beta >= fusion.biasBounds.low && beta <= fusion.biasBounds.high) {
                v.fail("fusion.beta.\(task)", "expected a baseline bias within biasBounds [\(fusion.biasBounds.low), \(fusion.biasBounds.high)], got \(beta)")
            }
        }
        if fusion.form == .powerProduct && !(fusion.biasBounds.low > 0) {
            v.fail("fusion.biasBounds.low", "expected a positive lower bound for the power-product form, got \(fusion.biasBounds.low)")
        }

        v.taskKeys(reward.taskValues, taskSet, "reward.taskValues")
        if let task = reward.gmvTask, !taskSet.contains(task) {
            v.fail("reward.gmvTask", "expected a task name (one of \(taskNames.joined(separator: ", "))), got '\(task)'")
        }
        v.inRange(reward.discount, 0...1, "reward.discount")
        v.positiveReal(reward.returnScaleHours, "reward.returnScaleHours")

        v.taskKeys(policies.baseline, taskSet, "policies.baseline")
        for (task, w) in policies.baseline.sorted(by: { $0.key < $1.key }) {
            let b = fusion.weightBounds[task] ?? fusion.defaultWeightBounds
            if !(w >= b.low && w <= b.high) {
                v.fail("policies.baseline.\(task)", "expected a weight within its bounds [\(b.low), \(b.high)], got \(w)")
            }
        }
        v.positiveReal(policies.explorationSigma, "policies.explorationSigma")
        if !(policies.boxHalfWidth > 0 && policies.boxHalfWidth <= 1) {
            v.fail("policies.boxHalfWidth", "expected a number in (0, 1], got \(policies.boxHalfWidth)")
        }

        if let calibration {
            for (i, t) in calibration.targets.enumerated() {
                let path = "calibration.targets[\(i)]"
                if t.metric == .rate || t.metric == .rankerAUC {
                    if let task = t.task {
                        if !taskSet.contains(task) { v.fail("\(path).task", "expected one of the tasks \(taskNames), got '\(task)'") }
                    } else {
                        v.fail("\(path).task", "expected a task name for a rate target")
                    }
                }
                v.positiveReal(t.value, "\(path).value")
                v.positiveReal(t.tolerance, "\(path).tolerance")
            }
        }
        return v.problems
    }

    private func validateTasks(_ v: inout Validator) {
        guard let root = tasks.first else {
            v.fail("tasks", "expected at least one task (the engagement root)")
            return
        }
        if tasks.count > 32 { v.fail("tasks", "expected at most 32 tasks, got \(tasks.count)") }
        if root.kind != .engagement {
            v.fail("tasks[0].kind", "expected 'engagement' for the first task (the root of the cascade), got '\(root.kind.rawValue)'")
        }
        var seen: [String: Int] = [:]
        for (i, task) in tasks.enumerated() {
            let path = "tasks[\(i)]"
            if task.name.isEmpty { v.fail("\(path).name", "expected a non-empty name") }
            if seen[task.name] != nil { v.fail("\(path).name", "expected a unique name, '\(task.name)' is used twice") }
            if i > 0 {
                if task.kind == .engagement {
                    v.fail("\(path).kind", "expected 'conditional' or 'watch-threshold' (only the first task is the engagement root)")
                }
                guard let given = task.given else {
                    v.fail("\(path).given", "expected the name of an earlier task this one is conditional on")
                    seen[task.name] = i
                    continue
                }
                guard let parent = seen[given] else {
                    v.fail("\(path).given", "expected the name of an earlier task, got '\(given)'")
                    seen[task.name] = i
                    continue
                }
                if task.kind == .watchThreshold {
                    if task.unless != nil {
                        v.fail("\(path).unless", "expected no 'unless' on a watch-threshold task (its realisation is fixed by the watch draw)")
                    }
                    if parent != 0 { v.fail("\(path).given", "expected '\(root.name)': a watch threshold follows the engagement root") }
                    v.positiveReal(task.thresholdSeconds, "\(path).thresholdSeconds")
                    v.inRange(task.completionFraction, 0.01...0.999, "\(path).completionFraction")
                }
                if let unless = task.unless {
                    if let sibling = seen[unless] {
                        if tasks[sibling].unless != nil || (task.kind == .watchThreshold && tasks[sibling].kind == .watchThreshold) {
                            v.fail("\(path).unless", "expected a task without an 'unless' of its own ('\(unless)' has one)")
                        }
                        if tasks[sibling].given != given {
                            v.fail("\(path).unless", "expected a task with the same parent '\(given)', '\(unless)' has parent '\(tasks[sibling].given ?? "none")'")
                        }
                    } else {
                        v.fail("\(path).unless", "expected the name of an earlier task, got '\(unless)'")
                    }
                }
            } else if task.given != nil || task.unless != nil {
                v.fail("\(path).given", "expected no parent for the engagement root")
            }
            v.nonNegative(task.userSpread, "\(path).userSpread")
            seen[task.name] = i
        }
    }
}

/// Collects validation problems with their field paths.
struct Validator {
    var problems: [ValidationProblem] = []

    mutating func fail(_ path: String, _ message: String) {
        problems.append(ValidationProblem(path: path, message: message))
    }

    mutating func positive(_ value: Int, _ path: String) {
        if value <= 0 { fail(path, "expected a positive integer, got \(value)") }
    }

    mutating func positiveReal(_ value: Double, _ path: String) {
        if !(value > 0 && value.isFinite) { fail(path, "expected a positive number, got \(value)") }
    }

    mutating func nonNegative(_ value: Double, _ path: String) {
        if !(value >= 0 && value.isFinite) { fail(path, "expected a number ≥ 0, got \(value)") }
    }

    mutating func inRange(_ value: Double, _ range: ClosedRange<Double>, _ path: String) {
        if !range.contains(value) { fail(path, "expected a number in [\(range.lowerBound), \(range.upperBound)], got \(value)") }
    }

    mutating func bounds(_ b: Bounds, _ path: String) {
        if !(b.low < b.high && b.low.isFinite && b.high.isFinite) {
            fail(path, "expected finite bounds with low < high, got [\(b.low), \(b.high)]")
        }
    }

    mutating func logNormal(_ d: LogNormalConfig, _ path: String) {
        positiveReal(d.median, "\(path).median")
        nonNegative(d.logSigma, "\(path).logSigma")
        positiveReal(d.minimum, "\(path).minimum")
        if !(d.minimum < d.maximum) { fail("\(path).maximum", "expected maximum > minimum (\(d.minimum)), got \(d.maximum)") }
    }

    mutating func taskKeys<V>(_ dictionary: [String: V], _ tasks: Set<String>, _ path: String) {
        for key in dictionary.keys.sorted() where !tasks.contains(key) {
            fail("\(path).\(key)", "expected a task name (one of \(tasks.sorted().joined(separator: ", ")))")
        }
    }
}
