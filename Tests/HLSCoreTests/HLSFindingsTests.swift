import HLSCore
import Testing

@Suite("Reason codes")
struct HLSFindingsTests {
    @Test("reason codes are the documented stable snake_case strings")
    func stableStrings() {
        #expect(HLSReason.allCases.map(\.rawValue) == [
            "playlist_empty", "playlist_not_m3u8", "playlist_malformed", "playlist_too_large",
            "playlist_too_many_segments", "playlist_stale", "media_sequence_backwards",
            "endlist_on_live", "no_segments", "segment_empty", "segment_corrupt", "no_video",
            "no_keyframe",
        ])
    }

    @Test("parse errors convert to failure findings that keep the reason and line")
    func parseErrorFinding() {
        let finding = PlaylistError.malformed(line: 12, detail: "invalid URI").finding
        #expect(finding.reason == .playlistMalformed)
        #expect(finding.severity == .failure)
        #expect(finding.description == "playlist_malformed: line 12: invalid URI")
    }

    @Test("failures outrank warnings")
    func severityOrder() {
        #expect([HLSSeverity.warning, .failure, .warning].max() == .failure)
    }
}
