import Evaluation
import Testing
import TestSupport

/// Off-policy selection metrics on hand-made cases computed here.
@Suite("Off-policy selection")
struct SelectionTests {
    @Test func spearmanRegretAndSafeChoice() {
        // Ranks of the estimates 1, 3, 2 against the truths' 1, 2, 3: ρ = 1 − 6 Σd²/(n(n² − 1)) = 1 − 6·2/24 = 0.5.
        let s = OffPolicySelection(estimator: "X", estimates: [1, 3, 2], lowerBounds: [0.5, 1, 2.5], truths: [10, 20, 30])
        assertClose(s.spearman, 0.5, relative: 1e-12)
        #expect(s.chosen == 1 && s.regret == 10)
        assertClose(s.normalizedRegret, 0.5, relative: 1e-12)
        #expect(s.safeChoice == 2 && s.safeRegret == 0)
    }

    @Test func tiesTakeAverageRanksAndAPerfectRankingHasNoRegret() {
        // Estimates 1, 1, 2 have ranks 1.5, 1.5, 3; truths 1, 2, 3 ranks 1, 2, 3: ρ = 1.5/√(1.5·2) = √3/2.
        let tied = OffPolicySelection(estimator: "X", estimates: [1, 1, 2], lowerBounds: [0, 0, 0], truths: [1, 2, 3])
        assertClose(tied.spearman, 3.0.squareRoot() / 2, relative: 1e-12)
        #expect(tied.chosen == 2 && tied.regret == 0 && tied.safeChoice == 0 && tied.safeRegret == 2)
        let reversed = OffPolicySelection(estimator: "X", estimates: [3, 2, 1, 0], lowerBounds: [0, 1, 2, 3], truths: [0, 1, 2, 4])
        assertClose(reversed.spearman, -1, relative: 1e-12)
        #expect(reversed.regret == 4 && reversed.normalizedRegret == 1 && reversed.safeChoice == 3 && reversed.safeRegret == 0)
        let constant = OffPolicySelection(estimator: "X", estimates: [1, 1], lowerBounds: [0, 0], truths: [1, 2])
        #expect(constant.spearman.isNaN)
    }
}
