/// MQTT topic-filter matching (`+` one level, `#` the rest), done in Swift so it can be unit tested
/// and used to route one incoming message to every local subscription it matches.
public enum TopicFilter {
    /// Whether `topic` matches `filter`. A shared subscription `$share/group/f` matches like `f`.
    public static func matches(_ topic: String, filter: String) -> Bool {
        let effective = stripShare(filter)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        let f = effective.split(separator: "/", omittingEmptySubsequences: false)
        // Topics beginning with `$` are not matched by filters starting with a wildcard (MQTT 4.7.2).
        if topic.hasPrefix("$"), let first = f.first, first == "#" || first == "+" { return false }
        var i = 0
        while i < f.count {
            if f[i] == "#" { return true }
            if i >= t.count { return false }
            if f[i] != "+" && f[i] != t[i] { return false }
            i += 1
        }
        return i == t.count
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
