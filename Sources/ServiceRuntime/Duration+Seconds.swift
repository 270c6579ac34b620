extension Duration {
    /// The duration in seconds, as a number (for logs and measurements).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
