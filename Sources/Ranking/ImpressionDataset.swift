import Numerics
import Simulator

/// Examined impressions as a ranker learns from them, struct-of-arrays: the keys its features are built from
/// (user, item, request index, the user's engagement history before the request), the realised feedback, and,
/// where the log has it, the world's true probabilities (for the AUC ceiling only; never a feature).
public struct ImpressionDataset: Sendable {
    public let taskCount: Int
    /// History features per impression (`EngagementHistory.featureCount`).
    public let historyWidth: Int
    /// `count × historyWidth` history features.
    public private(set) var history: [Float] = []
    public private(set) var users: [Int32] = []
    public private(set) var items: [Int32] = []
    public private(set) var requestIndices: [Int32] = []
    /// Realised tasks: bit `k` set when the user did task `k`.
    public private(set) var tasks: [UInt32] = []
    public private(set) var watchSeconds: [Float] = []
    /// `count × taskCount` true probabilities, or empty when any impression lacks them.
    public private(set) var trueProbabilities: [Float] = []
    private var truthComplete = true

    public init(taskCount: Int) {
        self.taskCount = taskCount
        historyWidth = EngagementHistory.featureCount(taskCount: taskCount)
    }

    public var count: Int { users.count }
    public var isEmpty: Bool { users.isEmpty }
    /// Whether every impression carries its true probabilities.
    public var hasTruth: Bool { truthComplete && !users.isEmpty }

    public mutating func reserveCapacity(_ n: Int) {
        users.reserveCapacity(n)
        items.reserveCapacity(n)
        requestIndices.reserveCapacity(n)
        tasks.reserveCapacity(n)
        watchSeconds.reserveCapacity(n)
    }

    /// Appends one impression; `history` writes its `historyWidth` history features.
    public mutating func append(user: Int32, item: Int32, requestIndex: Int32, history write: (UnsafeMutablePointer<Float>) -> Void,
                                tasks bits: UInt32, watchSeconds seconds: Float, trueProbabilities truth: [Float]?) {
        let start = history.count
        history.append(contentsOf: repeatElement(0, count: historyWidth))
        history.withUnsafeMutableBufferPointer { write($0.baseAddress! + start) }
        users.append(user)
        items.append(item)
        requestIndices.append(requestIndex)
        tasks.append(bits)
        watchSeconds.append(seconds)
        if let truth, truth.count == taskCount, truthComplete {
            trueProbabilities.append(contentsOf: truth)
        } else if truthComplete {
            truthComplete = false
            trueProbabilities = []
        }
    }

    /// Copies impression `i`'s history features to `out`.
    @inline(__always)
    public func writeHistory(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        history.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + i * historyWidth, count: historyWidth) }
    }

    /// Whether impression `i` has task `task`.
    @inline(__always)
    public func label(_ i: Int, task: Int) -> Bool { tasks[i] >> UInt32(task) & 1 == 1 }

    /// Number of impressions with task `task`.
    public func positives(task: Int) -> Int { tasks.reduce(0) { $0 + Int($1 >> UInt32(task) & 1) } }

    /// The impressions whose user `belongs(user)` says so, in order.
    public func filter(users belongs: (Int32) -> Bool) -> ImpressionDataset {
        var out = ImpressionDataset(taskCount: taskCount)
        for i in 0..<count where belongs(users[i]) {
            out.append(user: users[i], item: items[i], requestIndex: requestIndices[i],
                       history: { writeHistory(i, into: $0) }, tasks: tasks[i],
                       watchSeconds: watchSeconds[i],
                       trueProbabilities: hasTruth ? Array(trueProbabilities[(i * taskCount)..<((i + 1) * taskCount)]) : nil)
        }
        return out
    }
}

/// A split of users into training, validation and test sets, drawn per user from a seeded stream so that
/// every impression of a user lands in the same set (no user leaks between training and evaluation).
public struct UserSplit: Sendable, Equatable {
    public enum Part: String, Sendable, CaseIterable { case train, validation, test }

    public let seed: UInt64
    public let validationShare: Double
    public let testShare: Double

    public init(seed: UInt64, validationShare: Double = 0.1, testShare: Double = 0.1) {
        precondition(validationShare >= 0 && testShare >= 0 && validationShare + testShare < 1,
                     "UserSplit: shares \(validationShare) + \(testShare) must be non-negative and below 1")
        self.seed = seed
        self.validationShare = validationShare
        self.testShare = testShare
    }

    /// The part user `user` belongs to.
    public func part(of user: Int32) -> Part {
        var stream = RandomStream(seed: seed, keys: streamKey("user-split"), UInt64(UInt32(bitPattern: user)))
        let u = stream.nextUniform()
        return u < testShare ? .test : (u < testShare + validationShare ? .validation : .train)
    }

    /// `data` restricted to the users of `part`.
    public func select(_ part: Part, from data: ImpressionDataset) -> ImpressionDataset {
        data.filter { self.part(of: $0) == part }
    }
}
