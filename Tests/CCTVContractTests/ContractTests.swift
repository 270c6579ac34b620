import Foundation
import Testing
@testable import CCTVContract

@Suite("event contract")
struct ContractTests {
    static let document: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/CONTRACT.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    @Test("every event type is documented in docs/CONTRACT.md")
    func everyTypeDocumented() {
        #expect(!Self.document.isEmpty, "docs/CONTRACT.md is missing")
        for type in EventType.allCases {
            #expect(Self.document.contains("`\(type.rawValue)`"), "\(type.rawValue) is not in the contract document")
        }
    }

    @Test("every topic is documented")
    func everyTopicDocumented() {
        let topics = Topics()
        for topic in [topics.config("{id}"), topics.icmp("{id}"), topics.hls("{id}"), topics.rtsp("{id}"), topics.picture("{id}"), topics.status("{id}"),
                      topics.registryCommands(from: "{account}"), topics.credentialRequests(from: "{account}"),
                      topics.registryResults, topics.registryEvents, topics.issueOpened, topics.issueUpdated, topics.issueResolved,
                      topics.notificationSent, topics.notificationFailed, topics.notificationAcks, topics.issueCommands(from: "{account}"), topics.availability("{service}"), topics.retainedMarker("{service}"), topics.replies + "/{clientId}",
                      topics.monitorPulse, topics.monitorChecked, topics.notifierCommands(from: "{account}"), topics.notifierDirectory, topics.notifierHealth, topics.proberMember("{member}")] {
            #expect(Self.document.contains("`\(topic)`"), "\(topic) is not in the contract document")
        }
    }

    @Test("an envelope round-trips with fractional-second dates")
    func roundTrip() throws {
        let result = ICMPResult(cameraID: "CAM-1", address: "127.0.0.1", status: .loss, reason: "partial_loss", sent: 3, received: 2,
                                lossPercent: 33.3, startedAt: Date(timeIntervalSince1970: 1_800_000_000.125), durationMs: 5, prober: "p")
        let bytes = ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: result))
        let decoded = try ContractCodec.decode(bytes, as: ICMPResult.self, expecting: [.probeICMP])
        #expect(decoded.data == result)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"status\":\"LOSS\""))
    }

    @Test("bad payloads are refused with a precise reason", arguments: [
        ("", "empty_payload"), ("not json", "not_an_envelope"), (#"{"v":2,"type":"probe.icmp","id":"x","at":"2026-01-01T00:00:00Z","source":"s","data":{}}"#, "unsupported_version"),
        (#"{"v":1,"type":"camera.config","id":"x","at":"2026-01-01T00:00:00Z","source":"s","data":{}}"#, "unexpected_type"),
        (#"{"v":1,"type":"probe.icmp","id":"x","at":"2026-01-01T00:00:00Z","source":"s","data":{"cameraID":1}}"#, "invalid_data"),
    ])
    func refusals(payload: String, code: String) {
        do {
            _ = try ContractCodec.decode(Array(payload.utf8), as: ICMPResult.self, expecting: [.probeICMP])
            Issue.record("accepted \(payload)")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("an envelope around already-encoded data is byte for byte the envelope of the value")
    func splicedEnvelope() throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000.5)
        var issue = IssueRecord(id: "I-1", cameraID: "CAM-1", cameraName: "정문, \"east\"", kind: .line, state: .open, responsible: .lineTeam,
                                reason: "no_reply", openedAt: at, updatedAt: at, version: 1)
        issue.members = ["a,b", "c"]
        let whole = ContractCodec.encode(Envelope(type: .issueOpened, id: "E-1", at: at, source: "issues", data: issue))
        let spliced = ContractCodec.encode(type: .issueOpened, id: "E-1", at: at, source: "issues", encodedData: try ContractCodec.encodeValue(issue))
        #expect(spliced == whole)
        #expect(try ContractCodec.decode(spliced, as: IssueRecord.self, expecting: [.issueOpened]).data == issue)
    }

    @Test("the header written directly is the encoder's, and texts that need escapes still come out the encoder's way",
          arguments: ["E-1", "6F1C2A4E-0B3D-4E5F-9A1B-2C3D4E5F6A7B", "a/b", "정문 카메라", "tab\there", "quote\"d", "back\\slash", "nul\u{0}", "del\u{7F}", "line\u{2028}sep", ""])
    func directHeader(text: String) throws {
        let camera = CameraDefinition(id: "CAM-1", name: "카메라 1", address: "127.0.0.1", hlsURL: "http://127.0.0.1/live/index.m3u8", site: "현장",
                                      createdAt: Date(timeIntervalSince1970: 1_800_000_000.25), updatedAt: Date(timeIntervalSince1970: 1_800_000_001), version: 3)
        for at in [Date(timeIntervalSince1970: 1_800_000_000.5), Date(timeIntervalSince1970: -86_400.25)] {
            let asID = ContractCodec.encode(type: .cameraConfig, id: text, at: at, source: "registry", encodedData: try ContractCodec.encodeValue(camera))
            #expect(asID == ContractCodec.encode(Envelope(type: .cameraConfig, id: text, at: at, source: "registry", data: camera)))
            let asSource = ContractCodec.encode(type: .cameraCreated, id: "E-1", at: at, source: text, encodedData: try ContractCodec.encodeValue(camera))
            #expect(asSource == ContractCodec.encode(Envelope(type: .cameraCreated, id: "E-1", at: at, source: text, data: camera)))
            let decoded = try ContractCodec.decode(asSource, as: CameraDefinition.self, expecting: [.cameraCreated])
            #expect(decoded.data == camera && decoded.source == text && decoded.at == at)
        }
    }

    @Test("event ids are distinct random version-4 UUIDs in UUID's own text")
    func eventIDs() {
        let ids = (0..<10_000).map { _ in EventID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(600) {
            let uuid = UUID(uuidString: id)
            #expect(uuid?.uuidString == id)
            #expect(Array(id)[14] == "4" && "89AB".contains(Array(id)[19]))
        }
        // Every hex digit appears in every random position (not a constant or a short cycle).
        let position = ids.map { Array($0)[0] }
        #expect(Set(position).count == 16)
        #expect(EventID.text(of: Array(0..<16)) == "00010203-0405-0607-0809-0A0B0C0D0E0F")
    }

    @Test("check results are written by hand byte for byte as JSONEncoder writes them; what it cannot write goes through JSONEncoder")
    func handWrittenResults() throws {
        var rng = SystemRandomNumberGenerator()
        let texts = ["CAM-1", "", "a/b", "정문 \"east\" \\ 카메라", "tab\there\nnew\r\u{01}\u{1F}\u{7F}\u{08}\u{0C}", "http://10.0.0.1/live.m3u8?x=1&y=é"]
        let numbers: [Double] = [0, -0.0, 100, 33.333333333333336, 1e-05, 1e16, 2e15, 0.1, 123_456_789_012, 1.5e300, -42.25]
        func text() -> String { texts.randomElement(using: &rng)! }
        func number() -> Double { Bool.random(using: &rng) ? numbers.randomElement(using: &rng)! : Double.random(in: -1e6...1e6, using: &rng) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &rng)) }
        func expectSame<P: Codable & Sendable>(_ envelope: Envelope<P>) throws {
            let codable = Array(try ContractCodec.encoder.encode(envelope))
            let written = ContractCodec.encode(envelope)
            #expect(written == codable, "\(String(decoding: written, as: UTF8.self)) ≠ \(String(decoding: codable, as: UTF8.self))")
        }
        for _ in 0..<2_000 {
            let icmp = ICMPResult(cameraID: text(), address: text(), status: ICMPStatus.allCases.randomElement(using: &rng)!, reason: text(),
                                  sent: Int.random(in: 0...10, using: &rng), received: Int.random(in: -5...10, using: &rng), refused: maybe(Int.random(in: 0...3, using: &rng)),
                                  lossPercent: number(), rttMinMs: maybe(number()), rttAvgMs: maybe(number()), rttMaxMs: maybe(number()), replyFrom: maybe(text()),
                                  startedAt: date(), durationMs: number(), prober: text(), inconclusive: maybe(text()))
            try expectSame(Envelope(type: .probeICMP, at: date(), source: text(), data: icmp))
            let hls = HLSResult(cameraID: text(), url: text(), status: HLSStatus.allCases.randomElement(using: &rng)!, reason: text(), detail: maybe(text()),
                                httpStatus: maybe(Int.random(in: 100...599, using: &rng)), playlistLatencyMs: maybe(number()), segmentAgeSeconds: maybe(number()),
                                bitrateKbps: maybe(number()), codec: maybe(text()), width: maybe(1920), height: maybe(1080), bytes: maybe(Int.random(in: 0...1 << 40, using: &rng)),
                                startedAt: date(), durationMs: number(), prober: text(), inconclusive: maybe(text()))
            try expectSame(Envelope(type: .probeHLS, id: text(), at: date(), source: text(), data: hls))
        }
        // Not finite: JSONEncoder refuses it, and so does the writer (encode then takes JSONEncoder's path, as before).
        let odd = ICMPResult(cameraID: "CAM-1", address: "a", status: .loss, reason: "r", sent: 1, received: 0, lossPercent: .nan, startedAt: Date(), durationMs: 1, prober: "p")
        #expect(ContractJSONWriter.envelope(Envelope(type: .probeICMP, source: "p", data: odd)) == nil)
    }

    @Test("dates are written and read exactly as ISO8601FormatStyle does, quickly")
    func dates() throws {
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000.125), Date(timeIntervalSince1970: 951_782_400.999_9),
                     Date(timeIntervalSince1970: 4_107_542_399.5), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 253_402_300_800)]
        for _ in 0..<5_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &generator))) }
        for date in dates {
            let expected = date.formatted(ContractDate.style)
            #expect(ContractDate.format(date) == expected, "\(date.timeIntervalSince1970)")
            if let fast = ContractDate.parse(expected) {
                let slow = try Date(expected, strategy: ContractDate.style)
                #expect(abs(fast.timeIntervalSince1970 - slow.timeIntervalSince1970) < 0.000_5, "\(expected)")
            }
        }
        #expect(ContractDate.parse("2026-11-24T21:15:11.123+09:00") == nil, "other forms take the style's path")
    }

    @Test("an oversize payload is refused before parsing")
    func oversize() {
        #expect(throws: PayloadError.tooLarge(bytes: 300_000, limit: ContractCodec.defaultMaxBytes)) {
            _ = try ContractCodec.decode([UInt8](repeating: 0x20, count: 300_000), as: ICMPResult.self, expecting: [.probeICMP])
        }
    }

    @Test("topic root prefixes every topic and camera ids are read back")
    func root() {
        let topics = Topics(root: "campus-a/")
        #expect(topics.icmp("CAM-1") == "campus-a/cctv/CAM-1/icmp")
        #expect(topics.cameraID(in: "campus-a/cctv/CAM-1/icmp") == "CAM-1")
        #expect(topics.cameraID(in: "cctv/CAM-1/icmp") == nil)
        #expect(Topics().cameraID(in: "cctv/CAM-1/config") == "CAM-1")
    }
}

@Suite("endpoint URL validation")
struct EndpointURLTests {
    @Test("ports outside 1–65535 are refused before any client sees them", arguments: ["70000", "65536", "0", "123456789012345678901234567890"])
    func badPorts(port: String) {
        #expect(throws: EndpointURLError.port(port.count > 24 ? String(port.prefix(24)) : port)) {
            try EndpointURL(validating: "http://cam.example:\(port)/live.m3u8", schemes: EndpointURL.web)
        }
        #expect(throws: EndpointURLError.self) { try EndpointURL(validating: "http://[::1]:\(port)/", schemes: EndpointURL.web) }
    }

    @Test("good URLs keep their host and explicit or default port")
    func goodURLs() throws {
        #expect(try EndpointURL(validating: "http://10.0.0.5:8080/a.m3u8", schemes: EndpointURL.web).port == 8080)
        #expect(try EndpointURL(validating: "https://cam.example/a.m3u8", schemes: EndpointURL.web).port == 443)
        #expect(try EndpointURL(validating: "rtsp://10.0.0.5/stream1", schemes: EndpointURL.rtsp).port == 554)
        #expect(try EndpointURL(validating: "http://[::1]:65535/", schemes: EndpointURL.web).host == "::1")
    }

    @Test("schemes, hosts and junk are refused with a reason")
    func refused() {
        #expect(throws: EndpointURLError.scheme("rtsp", allowed: ["http", "https"])) { try EndpointURL(validating: "rtsp://10.0.0.5/x", schemes: EndpointURL.web) }
        #expect(throws: EndpointURLError.noHost) { try EndpointURL(validating: "http:///x", schemes: EndpointURL.web) }
        #expect(throws: EndpointURLError.malformed) { try EndpointURL(validating: "http://cam example/", schemes: EndpointURL.web) }
        #expect(throws: EndpointURLError.tooLong(limit: 2048)) { try EndpointURL(validating: "http://h/" + String(repeating: "a", count: 2048), schemes: EndpointURL.web) }
    }

    @Test("origin: scheme, host and port")
    func origin() throws {
        let a = try EndpointURL(validating: "http://Cam.example/a", schemes: EndpointURL.web)
        #expect(a.isSameOrigin(as: try EndpointURL(validating: "http://cam.example:80/b", schemes: EndpointURL.web)))
        #expect(!a.isSameOrigin(as: try EndpointURL(validating: "http://cam.example:81/b", schemes: EndpointURL.web)))
        #expect(!a.isSameOrigin(as: try EndpointURL(validating: "https://cam.example/b", schemes: EndpointURL.web)))
    }
}
