import Numerics

/// Keys of the random streams of a session. Each (purpose, episode, session) has its own stream, so
/// a policy change does not shift the users' own randomness: two policies run on common random
/// numbers, slot by slot (docs/design.md, "Replay": re-simulation with common random numbers).
enum StreamPurpose {
    static let retrieval = streamKey("retrieval")
    static let ranker = streamKey("ranker")
    static let policy = streamKey("policy")
    static let response = streamKey("response")
    static let returnGap = streamKey("return")
    static let exposure = streamKey("exposure")

    static func stream(_ purpose: UInt64, seed: UInt64, episode: Int, session: Int) -> RandomStream {
        RandomStream(seed: seed, keys: purpose, UInt64(episode), UInt64(session))
    }
}
