/// MQTT topic-filter matching (`+` one level, `#` the rest), done in Swift so it can be unit tested
/// and used to route one incoming message to every local subscription it matches.
public enum TopicFilter {
    /// Whether `topic` matches `filter`. A shared subscription `$share/group/f` matches like `f`.
    ///
    /// Walks both UTF-8 views level by level without splitting them into arrays: every incoming
    /// message is matched against every filter of every subscription (the gateway has 14), and
    /// the splitting version was 7.9 % of serve's CPU while a 100,000-camera import fanned out
    /// (`perf`, `scripts/bench-import.sh 100000`).
    public static func matches(_ topic: String, filter: String) -> Bool {
        let effective = stripShare(filter)
        var topic = topic
        var effectiveFilter = effective
        return topic.withUTF8 { t in effectiveFilter.withUTF8 { f in matches(topic: t, filter: f) } }
    }

    private static let slash = UInt8(ascii: "/"), plus = UInt8(ascii: "+"), hash = UInt8(ascii: "#"), dollar = UInt8(ascii: "$")

    private static func matches(topic t: UnsafeBufferPointer<UInt8>, filter f: UnsafeBufferPointer<UInt8>) -> Bool {
        // Topics beginning with `$` are not matched by filters starting with a wildcard (MQTT 4.7.2).
        if t.first == dollar, let first = f.first, first == hash || first == plus, f.count == 1 || f[1] == slash { return false }
        var ti = 0, fi = 0
        while true {
            // One level of each: [fi, fEnd) and [ti, tEnd).
            var fEnd = fi
            while fEnd < f.count && f[fEnd] != slash { fEnd += 1 }
            if fEnd - fi == 1 && f[fi] == hash { return true }
            // The topic has no level left here (it ended, after its last level).
            if ti > t.count { return false }
            var tEnd = ti
            while tEnd < t.count && t[tEnd] != slash { tEnd += 1 }
            if !(fEnd - fi == 1 && f[fi] == plus) {
                guard fEnd - fi == tEnd - ti else { return false }
                var k = 0
                while k < fEnd - fi { if f[fi + k] != t[ti + k] { return false }; k += 1 }
            }
            let filterDone = fEnd >= f.count, topicDone = tEnd >= t.count
            if filterDone { return topicDone }
            fi = fEnd + 1
            ti = tEnd + 1
            // The topic ended but the filter goes on: only a trailing `#` still matches ("a/#" matches "a").
            if topicDone { ti = t.count + 1 }
        }
    }

    /// Whether every topic `filter` matches also matches `outer` (both valid filters; a shared
    /// subscription's `$share/group/` is ignored): `cctv/+/icmp` lies within `cctv/#` and
    /// `cctv/+/+`, not within `cctv/+/hls`. Used to check a subscription against an ACL's reads.
    public static func lies(_ filter: String, within outer: String) -> Bool {
        let inner = stripShare(filter).split(separator: "/", omittingEmptySubsequences: false)
        let outer = stripShare(outer).split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in outer.enumerated() {
            if level == "#" { return true }
            guard index < inner.count, inner[index] != "#" else { return false }
            if level != "+" && level != inner[index] { return false }
        }
        return inner.count == outer.count
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
