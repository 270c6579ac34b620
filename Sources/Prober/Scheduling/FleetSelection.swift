import CCTVContract

/// Which cameras this prober checks: all, one shard of n (stable hash of the id), or one site.
public struct FleetSelection: Sendable, Equatable {
    public var shard: (index: Int, count: Int)?
    public var site: String?

    public init(shard: (index: Int, count: Int)? = nil, site: String? = nil) {
        self.shard = shard
        self.site = site
    }

    /// Parses `i/n` (0 ≤ i < n).
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count > 0, (0..<count).contains(index) else { return nil }
        return (index, count)
    }

    /// Whether this prober owns `camera`.
    public func includes(_ camera: CameraDefinition) -> Bool {
        if let site, camera.site != site { return false }
        if let shard { return Int(Self.stableHash(camera.id) % UInt64(shard.count)) == shard.index }
        return true
    }

    /// FNV-1a: the same on every machine and every run (Swift's `hashValue` is not).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    public static func == (lhs: FleetSelection, rhs: FleetSelection) -> Bool {
        lhs.site == rhs.site && lhs.shard?.index == rhs.shard?.index && lhs.shard?.count == rhs.shard?.count
    }
}
