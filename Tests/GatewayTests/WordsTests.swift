import CCTVContract
import FleetFile
import Foundation
import Gateway
import HLSCore
import ICMPEngine
import Prober
import Testing

/// Every machine code a person can meet — check reasons, incident reasons, request and import
/// errors — has Korean and English words in the one table (`ReasonWords`). A new code anywhere in
/// the sources without both fails here.
@Suite("words for every reason and error code")
struct WordsTests {
    /// Codes the sources produce: enums we can list, pure mapping functions, and every
    /// `reason:` / `code:` string literal in the services' sources.
    static func producedCodes() throws -> Set<String> {
        var codes = Set<String>()
        codes.formUnion(HLSReason.allCases.map(\.rawValue))
        codes.formUnion(RowProblemReason.allCases.map(\.rawValue))
        codes.formUnion(FleetFileWarningCode.allCases.map(\.rawValue))
        codes.formUnion(FleetFileErrorCode.allCases.map(\.rawValue))
        codes.formUnion(APIErrorCode.allCases.map(\.rawValue))
        let failures: [HLSFetchFailure] = [.connectRefused, .timeout, .dns, .tls, .redirectLoop, .tooManyRedirects(5), .tooLarge(limit: 1),
                                           .connectionClosed, .badURL("x"), .other("x")]
        codes.formUnion(failures.map(\.reason))
        let payloadErrors: [PayloadError] = [.empty, .tooLarge(bytes: 2, limit: 1), .notAnEnvelope(""), .unsupportedVersion(2), .unexpectedType("", expected: []), .invalidData("")]
        codes.formUnion(payloadErrors.map(\.code))
        for type in UInt8.min...UInt8.max {
            for code in UInt8.min...UInt8.max {
                codes.insert(ICMPErrorQuote.reasonIPv4(type: type, code: code))
                codes.insert(ICMPErrorQuote.reasonIPv6(type: type, code: code))
            }
        }
        codes.formUnion(IssueKind.allCases.map { $0.rawValue.lowercased() })
        // String literals given as a reason or an error code in the services (not the MQTT client's own log words).
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(pattern: #"\b(?:reason|code|failReason)\s*[:=]\s*"([a-z][a-z0-9_]*)""#)
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift", !url.path.contains("/MQTTBus/"), !url.path.contains("/Vocabulary/") else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { codes.insert(String(text[range])) }
            }
        }
        codes.formUnion(try contractReasons())
        return codes
    }

    /// Every reason `docs/CONTRACT.md` documents for the checks' results (`probe.*` sections), so a
    /// code passed along positionally (e.g. `failed("rtsp_no_packets", …)`) is covered too.
    static func contractReasons() throws -> Set<String> {
        let contract = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/CONTRACT.md")
        var inProbe = false, codes = Set<String>()
        let code = try NSRegularExpression(pattern: #"`(ok|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)`"#)
        for line in try String(contentsOf: contract, encoding: .utf8).split(separator: "\n").map(String.init) {
            if line.hasPrefix("### ") { inProbe = line.hasPrefix("### `probe.") }
            guard inProbe else { continue }
            for match in code.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
                if let range = Range(match.range(at: 1), in: line) { codes.insert(String(line[range])) }
            }
        }
        return codes
    }

    @Test("every code the sources produce has Korean and English words")
    func everyCodeHasWords() throws {
        let codes = try Self.producedCodes()
        #expect(codes.count > 80, "the scan found the codes: \(codes.count)")
        #expect(try Self.contractReasons().isSuperset(of: ["rtsp_no_packets", "picture_frozen", "playlist_stale"]), "the contract's reasons were read")
        let missing = codes.filter { ReasonWords.words(for: $0) == nil }.sorted()
        #expect(missing.isEmpty, "no words in ReasonWords.table for: \(missing.joined(separator: ", "))")
        let incomplete = ReasonWords.table.filter { !$0.value.isComplete }.keys.sorted()
        #expect(incomplete.isEmpty, "words missing a language: \(incomplete.joined(separator: ", "))")
    }

    @Test("HTTP status reasons get the number in both languages")
    func httpStatus() {
        #expect(ReasonWords.words(for: "http_404") == Bilingual("HTTP 404 응답", "answered HTTP 404"))
        #expect(ReasonWords.words(for: "http_x") == nil)
    }

    @Test("Korean and English texts differ, so a copy-paste placeholder is caught")
    func languagesDiffer() {
        let same = ReasonWords.table.filter { $0.value.ko == $0.value.en && $0.key != "ok" && !$0.value.ko.hasPrefix("HTTP") }.keys.sorted()
        #expect(same.isEmpty, "same text in both languages: \(same)")
    }
}
