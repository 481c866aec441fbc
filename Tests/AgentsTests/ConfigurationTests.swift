import Agents
import EpisodeLog
import Foundation
import Testing

@Suite("Agent configurations")
struct ConfigurationTests {
    @Test("published defaults")
    func defaults() {
        let c = TD3Configuration()
        #expect(c.actorCritic.hiddenSizes == [256, 256] && c.actorCritic.actorLearningRate == 3e-4)
        #expect(c.actorCritic.criticLearningRate == 3e-4 && c.actorCritic.discount == 0.95)
        #expect(c.actorCritic.targetUpdateRate == 0.005 && c.actorCritic.batchSize == 256)
        #expect(c.actorCritic.explorationSigma == 0.1)
        #expect(c.policyNoise == 0.2 && c.noiseClip == 0.5 && c.policyDelay == 2)
        let s = SACConfiguration()
        #expect(s.targetEntropy == nil && s.learnTemperature && s.minimumLogStd == -20 && s.maximumLogStd == 2)
    }

    @Test("partial JSON overrides keep the other defaults; encoding is flat and round-trips")
    func partialDecoding() throws {
        let json = #"{"hiddenSizes": [64, 64], "discount": 0.9, "policyDelay": 3}"#
        let c = try JSONDecoder().decode(TD3Configuration.self, from: Data(json.utf8))
        #expect(c.actorCritic.hiddenSizes == [64, 64] && c.actorCritic.discount == 0.9 && c.policyDelay == 3)
        #expect(c.actorCritic.batchSize == 256 && c.policyNoise == 0.2)
        let encoded = try JSONEncoder().encode(c)
        let object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any]
        #expect(object?["policyDelay"] as? Int == 3 && object?["batchSize"] as? Int == 256)
        #expect(try JSONDecoder().decode(TD3Configuration.self, from: encoded) == c)
        let sac = try JSONDecoder().decode(SACConfiguration.self, from: Data(#"{"targetEntropy": -1.5}"#.utf8))
        #expect(sac.targetEntropy == -1.5 && sac.actorCritic.discount == 0.95)
    }

    @Test("an unknown key is an error that names it")
    func unknownKey() {
        let json = #"{"polcyNoise": 0.3}"#
        #expect {
            _ = try JSONDecoder().decode(TD3Configuration.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains("unknown agent hyper-parameter 'polcyNoise'")
        }
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(DDPGConfiguration.self, from: Data(#"{"policyDelay": 2}"#.utf8))
        }
    }

    @Test("out-of-range values are refused, naming the field")
    func validation() {
        var c = TD3Configuration()
        c.actorCritic.discount = 1
        #expect(throws: AgentConfigurationError(field: "discount", message: "must be in [0, 1), got 1.0")) {
            _ = try TD3Agent(environment: ToyTask.environment, configuration: c, seed: 1)
        }
        // γ = 1 is allowed only when discounting by time, which then bounds the horizon.
        c.actorCritic.discountHalfLifeHours = 6
        #expect(throws: Never.self) { try c.validate() }
        #expect(c.actorCritic.discounting == Discounting(perDecision: 1, halfLifeHours: 6))
        c.actorCritic.discountHalfLifeHours = -1
        #expect(throws: AgentConfigurationError.self) { try c.validate() }
        var penalised = DDPGConfiguration()
        penalised.actorCritic.actionPenalty = -0.5
        #expect(throws: AgentConfigurationError(field: "actionPenalty", message: "must be non-negative (0: off), got -0.5")) {
            try penalised.validate()
        }
        var s = SACConfiguration()
        s.minimumLogStd = 3
        #expect(throws: AgentConfigurationError.self) { try s.validate() }
        // The target entropy must stay below the uniform distribution's, dim(A)·log 2, or α would grow without bound.
        var wide = SACConfiguration()
        let uniform = Float(ToyTask.environment.actionDimension) * Float(log(2.0))
        wide.targetEntropy = uniform
        #expect(throws: AgentConfigurationError.self) { _ = try SACAgent(environment: ToyTask.environment, configuration: wide, seed: 1) }
        wide.targetEntropy = uniform - 0.01
        #expect(throws: Never.self) { _ = try SACAgent(environment: ToyTask.environment, configuration: wide, seed: 1) }
        var cem = CrossEntropyMethodConfiguration()
        cem.eliteFraction = 0
        #expect(throws: AgentConfigurationError.self) { try cem.validate() }
    }
}
