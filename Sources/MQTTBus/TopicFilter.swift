/// MQTT topic-filter matching (`+` one level, `#` the rest), done in Swift so it can be unit tested
/// and used to route one incoming message to every local subscription it matches.
public enum TopicFilter {
    /// Whether `topic` matches `filter`. A shared subscription `$share/group/f` matches like `f`.
    ///
    /// Walks both texts level by level without splitting them: every incoming message is matched
    /// against every filter of every local subscription (the gateway's has 14), and splitting both
    /// into arrays cost ~3 % of `serve`'s CPU with 100,000 cameras (`perf`, 1,667 results/s).
    public static func matches(_ topic: String, filter: String) -> Bool {
        let f = stripShare(filter).utf8
        let t = topic.utf8
        let slash = UInt8(ascii: "/")
        // Topics beginning with `$` are not matched by filters starting with a wildcard (MQTT 4.7.2).
        if t.first == UInt8(ascii: "$"), let first = f.first, first == UInt8(ascii: "#") || first == UInt8(ascii: "+"),
           f.count == 1 || f[f.index(after: f.startIndex)] == slash {
            return false
        }
        var fi = f.startIndex
        // The start of the topic's next level; `nil` once it has no more levels.
        var ti: String.UTF8View.Index? = t.startIndex
        while true {
            let fEnd = f[fi...].firstIndex(of: slash) ?? f.endIndex
            let level = f[fi..<fEnd]
            if level.elementsEqual("#".utf8) { return true }
            guard let start = ti else { return false }
            let tEnd = t[start...].firstIndex(of: slash) ?? t.endIndex
            if !level.elementsEqual("+".utf8) && !level.elementsEqual(t[start..<tEnd]) { return false }
            if fEnd == f.endIndex { return tEnd == t.endIndex }
            fi = f.index(after: fEnd)
            ti = tEnd == t.endIndex ? nil : t.index(after: tEnd)
        }
    }

    /// Whether `filter` is a valid MQTT subscription filter.
    public static func isValidFilter(_ filter: String) -> Bool {
        let effective = stripShare(filter)
        if effective.isEmpty || effective.utf8.count > 65_535 { return false }
        let levels = effective.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || index != levels.count - 1) { return false }
            if level.contains("+") && level != "+" { return false }
        }
        return !effective.contains("\u{0}")
    }

    /// Whether `topic` is a valid topic to publish to (no wildcards).
    public static func isValidTopic(_ topic: String) -> Bool {
        !topic.isEmpty && topic.utf8.count <= 65_535 && !topic.contains("+") && !topic.contains("#") && !topic.contains("\u{0}")
    }

    static func stripShare(_ filter: String) -> Substring {
        guard filter.hasPrefix("$share/") else { return Substring(filter) }
        let rest = filter.dropFirst("$share/".count)
        guard let slash = rest.firstIndex(of: "/") else { return rest }
        return rest[rest.index(after: slash)...]
    }
}
