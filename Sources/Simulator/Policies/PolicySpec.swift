import Foundation

/// Parses `--policy` specs into policies.
///
/// - `baseline`: the environment's baseline weights, fixed
/// - `fixed:w1,w2,…`: fixed raw weights (one per action dimension)
/// - `random`: uniform in the action box
/// - `gaussian:SIGMA` or `gaussian:SIGMA@w1,…`: truncated Gaussian exploration (σ in normalised units) around the weights (default: baseline)
/// - `mixture`, `mixture:SIGMA,BOX` or `mixture:SIGMA,BOX@w1,…`: BatchRL-MTF's 50/50 uniform-box / Gaussian mixture
/// - `box:B` or `box:B@w1,…`: uniform in the box ±B (normalised units, cut at the faces) around the weights (default:
///   baseline), UnifiedRL's exploration
/// - `gaussian:SIGMA@POLICY`, `box:B@POLICY`, `mixture[:SIGMA,BOX]@POLICY`: the same kernels around a deterministic
///   policy whose action may depend on the state (`ExplorationAround`): another spec here (`box:0.1@ramp:…`), or a
///   checkpoint through `PolicyResolver` (`box:0.15@models/x.ckpt`)
/// - `ramp:FEATURE=LOW..HIGH@w1,…@w1,…`: weights moving linearly from the first to the second vector as the state feature goes from LOW to HIGH
public enum PolicySpec {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let spec: String
        public let message: String
        public var description: String { "policy '\(spec)': \(message)" }

        public init(spec: String, message: String) {
            self.spec = spec
            self.message = message
        }
    }

    public static let forms = "baseline, fixed:w1,…, random, gaussian:SIGMA[@w1,…|@POLICY], box:B[@w1,…|@POLICY], "
        + "mixture[:SIGMA,BOX][@w1,…|@POLICY], ramp:FEATURE=LOW..HIGH@w1,…@w1,…"

    public static func parse(_ spec: String, world: World) throws(ParseError) -> any FusionPolicy {
        do {
            let around = try parseExplorationAround(spec, world: world) { text in
                let centre = try parse(text, world: world)
                return (centre, centre.parametersJSON)
            }
            if let around { return around }
        } catch let error as ParseError {
            throw error
        } catch {
            throw ParseError(spec: spec, message: "\(error)")
        }
        let space = world.actionSpace
        var (kind, rest) = split(spec, at: ":")
        if kind.hasPrefix("mixture@") {
            // `mixture@w1,…`: the default exploration around given weights.
            let p = world.config.policies
            (kind, rest) = ("mixture", "\(p.explorationSigma),\(p.boxHalfWidth)@" + kind.dropFirst("mixture@".count))
        }
        func fail(_ message: String) -> ParseError { ParseError(spec: spec, message: message) }
        func vector(_ text: String) throws(ParseError) -> [Float] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            var values = [Float]()
            for part in parts {
                guard let v = Float(part.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw fail("expected a number, got '\(part)'")
                }
                values.append(v)
            }
            guard values.count == space.dimension else {
                throw fail("expected \(space.dimension) weights (\(space.names.joined(separator: ","))), got \(values.count)")
            }
            for i in values.indices where !(values[i] >= space.low[i] && values[i] <= space.high[i]) {
                throw fail("\(space.names[i]) = \(values[i]) is outside its bounds [\(space.low[i]), \(space.high[i])]")
            }
            return values
        }
        func positive(_ text: Substring.SubSequence, _ what: String) throws(ParseError) -> Float {
            guard let v = Float(text), v > 0, v.isFinite else { throw fail("expected a positive \(what), got '\(text)'") }
            return v
        }
        let defaults = world.config.policies
        switch kind {
        case "baseline":
            return FixedPolicy(action: space.baseline, actionSpace: space)
        case "fixed":
            guard let rest else { throw fail("expected fixed:w1,w2,…") }
            return FixedPolicy(action: try vector(rest), actionSpace: space)
        case "random":
            return UniformRandomPolicy(actionSpace: space)
        case "gaussian":
            guard let rest else { throw fail("expected gaussian:SIGMA or gaussian:SIGMA@w1,…") }
            let (sigmaText, weights) = split(rest, at: "@")
            let sigma = try positive(Substring(sigmaText), "sigma")
            return GaussianPolicy(mean: try weights.map(vector) ?? space.baseline, sigma: sigma, actionSpace: space)
        case "mixture":
            var sigma = Float(defaults.explorationSigma), box = Float(defaults.boxHalfWidth), mean = space.baseline
            if let rest {
                let (params, weights) = split(rest, at: "@")
                let parts = params.split(separator: ",")
                guard parts.count == 2 else { throw fail("expected mixture:SIGMA,BOX[@w1,…]") }
                sigma = try positive(parts[0], "sigma")
                box = try positive(parts[1], "box half-width")
                if let weights { mean = try vector(weights) }
            }
            return MixturePolicy(mean: mean, sigma: sigma, boxHalfWidth: box, actionSpace: space)
        case "box":
            guard let rest else { throw fail("expected box:B or box:B@w1,…") }
            let (halfWidthText, weights) = split(rest, at: "@")
            let halfWidth = try positive(Substring(halfWidthText), "box half-width")
            let centre = FixedPolicy(action: try weights.map(vector) ?? space.baseline, actionSpace: space)
            return ExplorationAround(centre: centre, kernel: .box(halfWidth: halfWidth), actionSpace: space, spec: spec)
        case "ramp":
            guard let rest else { throw fail("expected ramp:FEATURE=LOW..HIGH@w1,…@w1,…") }
            let parts = rest.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw fail("expected ramp:FEATURE=LOW..HIGH@w1,…@w1,…") }
            let (feature, range) = split(String(parts[0]), at: "=")
            guard let index = world.stateLayout.index(of: feature) else {
                throw fail("unknown state feature '\(feature)'; features: \(world.stateLayout.names.joined(separator: ", "))")
            }
            let bounds = range?.components(separatedBy: "..") ?? []
            guard bounds.count == 2, let low = Float(bounds[0]), let high = Float(bounds[1]), high > low else {
                throw fail("expected FEATURE=LOW..HIGH with LOW < HIGH")
            }
            return RampPolicy(featureName: feature, featureIndex: index, low: low, high: high,
                              from: try vector(String(parts[1])), to: try vector(String(parts[2])), actionSpace: space)
        default:
            throw fail("unknown policy kind '\(kind)'; expected one of: \(forms)")
        }
    }

    /// A kernel around a policy, `gaussian:SIGMA@POLICY`, `box:B@POLICY` or `mixture[:SIGMA,BOX]@POLICY`, its centre
    /// given by `resolve` (the policy and its parameters as JSON); nil when `spec` is not of that form (no `@`, or
    /// weights after it, which `parse` reads). The policy's spec is `spec` as given.
    ///
    /// - Throws: `ParseError` naming `spec` for a malformed kernel, a centre that is not a deterministic policy, or a
    ///   centre spec that does not parse; whatever else `resolve` throws (a checkpoint's errors name its file).
    public static func parseExplorationAround(
        _ spec: String, world: World, centre resolve: (String) throws -> (policy: any FusionPolicy, parameters: String)
    ) throws -> ExplorationAround? {
        func fail(_ message: String) -> ParseError { ParseError(spec: spec, message: message) }
        var text = spec
        if text.hasPrefix("mixture@") {
            let p = world.config.policies
            text = "mixture:\(p.explorationSigma),\(p.boxHalfWidth)" + text.dropFirst("mixture".count)
        }
        let (head, centreText) = split(text, at: "@")
        let (kind, parameters) = split(head, at: ":")
        guard ["gaussian", "box", "mixture"].contains(kind), let centreText, !isWeightList(centreText) else { return nil }
        func positive(_ text: Substring, _ what: String) throws(ParseError) -> Float {
            guard let v = Float(text), v > 0, v.isFinite else { throw fail("expected a positive \(what), got '\(text)'") }
            return v
        }
        let values = parameters?.split(separator: ",", omittingEmptySubsequences: false) ?? []
        let kernel: ExplorationKernel
        switch kind {
        case "gaussian":
            guard values.count == 1 else { throw fail("expected gaussian:SIGMA@POLICY") }
            kernel = .gaussian(sigma: try positive(values[0], "sigma"))
        case "box":
            guard values.count == 1 else { throw fail("expected box:B@POLICY") }
            kernel = .box(halfWidth: try positive(values[0], "box half-width"))
        default:
            guard values.count == 2 else { throw fail("expected mixture:SIGMA,BOX@POLICY") }
            kernel = .mixture(sigma: try positive(values[0], "sigma"), boxHalfWidth: try positive(values[1], "box half-width"))
        }
        guard !centreText.isEmpty else { throw fail("expected a policy after '@'") }
        let centre: (policy: any FusionPolicy, parameters: String)
        do {
            centre = try resolve(centreText)
        } catch let error as ParseError {
            throw fail("centre \(error.description)")
        }
        if let reason = ExplorationAround.refusal(centre: centre.policy) { throw fail(reason) }
        guard centre.policy.actionSpace.names == world.actionSpace.names else {
            throw fail("the centre '\(centreText)' acts on \(centre.policy.actionSpace.names.joined(separator: ",")), "
                       + "the world on \(world.actionSpace.names.joined(separator: ","))")
        }
        return ExplorationAround(centre: centre.policy, kernel: kernel, actionSpace: world.actionSpace, spec: spec,
                                 centreParameters: centre.parameters)
    }

    /// Whether `text` (what follows a kernel's `@`) is a list of weights rather than a policy: its first item is a number.
    static func isWeightList(_ text: String) -> Bool {
        let first = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return Float(first.trimmingCharacters(in: .whitespaces)) != nil
    }

    static func split(_ text: String, at separator: Character) -> (String, String?) {
        guard let i = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<i]), String(text[text.index(after: i)...]))
    }
}
