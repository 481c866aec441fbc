import Rollout
import Simulator
import Testing
import TestSupport

@Suite("Summary edge cases")
struct SummaryEdgeCaseTests {
    /// A run in which no session has a return gap (every user churns) still has a summary.
    @Test func summaryWithoutReturnGaps() async {
        await #expect(processExitsWith: .success) {
            var records = Fixtures.tinyRun.sessions.filter { $0.sessionIndex == 0 }.prefix(20).map { $0 }
            for i in records.indices {
                records[i].end = .churned
                records[i].returnGapMinutes = nil
            }
            let s = SimulationSummary(sessions: records, config: Fixtures.tinyConfig)
            precondition(s.returnGaps.returned == 0 && s.returnGaps.churnRate == 1)
        }
    }

    /// An empty run has a summary of NaNs and zeros rather than a trap.
    @Test func summaryOfNoSessions() async {
        await #expect(processExitsWith: .success) {
            let s = SimulationSummary(sessions: [], config: Fixtures.tinyConfig)
            precondition(s.sessions == 0 && s.impressions == 0)
        }
    }
}
