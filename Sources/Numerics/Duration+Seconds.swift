extension Duration {
    /// The duration in seconds as a `Double` (for rates: items per wall-clock second).
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
