import Foundation
import Testing
@testable import CCTVContract
import TestSupport

/// Check results read by hand (``ContractJSONReader``) mean exactly what `JSONDecoder` reads, or
/// the reader declines and `JSONDecoder` decides: compared on random results, on the same JSON
/// reformatted, and on damaged payloads.
@Suite("check results read by hand")
struct ContractJSONReaderTests {
    static func randomResults(count: Int, seed: UInt64) -> [Envelope<ICMPResult>] {
        var rng = SeededGenerator(seed: seed)
        let texts = ["CAM-1", "", "a/b", "정문 카메라 東", "127.0.0.1", "line_unreachable", "정문 \"east\" \\ 카메라", "tab\there\u{01}"]
        let numbers: [Double] = [0, -0.0, 100, 33.333333333333336, 1e-05, 1e16, 2e15, 0.1, 123_456_789_012, 1.5e300, -42.25, 0.30000000000000004]
        func text() -> String { texts.randomElement(using: &rng)! }
        func number() -> Double { Bool.random(using: &rng) ? numbers.randomElement(using: &rng)! : Double.random(in: -1e6...1e6, using: &rng) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &rng)) }
        return (0..<count).map { _ in
            let icmp = ICMPResult(cameraID: text(), address: text(), status: ICMPStatus.allCases.randomElement(using: &rng)!, reason: text(),
                                  sent: Int.random(in: 0...10, using: &rng), received: Int.random(in: -5...10, using: &rng), refused: maybe(Int.random(in: 0...3, using: &rng)),
                                  lossPercent: number(), rttMinMs: maybe(number()), rttAvgMs: maybe(number()), rttMaxMs: maybe(number()), replyFrom: maybe(text()),
                                  startedAt: date(), durationMs: number(), prober: text(), inconclusive: maybe(text()))
            return Envelope(type: .probeICMP, at: date(), source: text(), data: icmp)
        }
    }

    /// What JSONDecoder alone reads from `bytes`, re-encoded (deterministic: sorted keys), or nil.
    static func reference(_ bytes: [UInt8]) -> [UInt8]? {
        guard let envelope = try? ContractCodec.decoder.decode(Envelope<ICMPResult>.self, from: Data(bytes)) else { return nil }
        return ContractCodec.encode(envelope)
    }

    @Test("a result as the prober writes it is read by hand, and the same as JSONDecoder reads it")
    func proberResults() throws {
        var byHand = 0
        for envelope in Self.randomResults(count: 3_000, seed: 0xC0FFEE) {
            let bytes = ContractCodec.encode(envelope)
            let decoded = try ContractCodec.decode(bytes, as: ICMPResult.self, expecting: [.probeICMP])
            #expect(ContractCodec.encode(decoded) == Self.reference(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            if let hand = ContractJSONReader.envelope(bytes, as: ICMPResult.self) {
                byHand += 1
                #expect(ContractCodec.encode(hand) == Self.reference(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // Texts with an escape (2 of the 8) send a result to JSONDecoder; the rest are read by hand.
        #expect(byHand > 500, "read by hand: \(byHand) of 3,000")
        let typical = ICMPResult(cameraID: "CAM-000123", address: "127.100.0.124", status: .success, reason: "ok", sent: 3, received: 3,
                                 lossPercent: 0, rttMinMs: 0.031, rttAvgMs: 0.04, rttMaxMs: 0.052, replyFrom: "127.100.0.124",
                                 startedAt: Date(), durationMs: 2.5, prober: "cctv-out")
        #expect(ContractJSONReader.envelope(ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: typical)), as: ICMPResult.self) != nil)
    }

    @Test("an HLS result as the prober writes it reads the same by hand as with JSONDecoder")
    func hlsResults() throws {
        var rng = SeededGenerator(seed: 5)
        let texts = ["CAM-1", "", "http://10.0.0.1/live.m3u8?x=1&y=é", "segment_stale", "a \"b\""]
        func text() -> String { texts.randomElement(using: &rng)! }
        func number() -> Double { Double.random(in: -1e6...1e6, using: &rng) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        var byHand = 0
        for _ in 0..<1_000 {
            let hls = HLSResult(cameraID: text(), url: text(), status: HLSStatus.allCases.randomElement(using: &rng)!, reason: text(), detail: maybe(text()),
                                httpStatus: maybe(Int.random(in: 100...599, using: &rng)), playlistLatencyMs: maybe(number()), segmentAgeSeconds: maybe(number()),
                                bitrateKbps: maybe(number()), codec: maybe(text()), width: maybe(1920), height: maybe(1080), bytes: maybe(Int.random(in: 0...1 << 40, using: &rng)),
                                startedAt: Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &rng)), durationMs: number(), prober: text(),
                                inconclusive: maybe(text()))
            let bytes = ContractCodec.encode(Envelope(type: .probeHLS, source: "prober", data: hls))
            let reference = try ContractCodec.decoder.decode(Envelope<HLSResult>.self, from: Data(bytes))
            #expect(try ContractCodec.decode(bytes, as: HLSResult.self, expecting: [.probeHLS]).data == reference.data)
            if let hand = ContractJSONReader.envelope(bytes, as: HLSResult.self) {
                byHand += 1
                #expect(hand.data == reference.data && hand.id == reference.id && hand.at == reference.at)
            }
        }
        #expect(byHand > 100, "read by hand: \(byHand) of 1,000")
    }

    @Test("the same JSON reformatted (spaces, key order, unknown keys, null optionals) reads the same")
    func reformatted() throws {
        var rng = SeededGenerator(seed: 42)
        for envelope in Self.randomResults(count: 1_000, seed: 7) {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(ContractCodec.encode(envelope))) as? [String: Any])
            var data = try #require(object["data"] as? [String: Any])
            if Bool.random(using: &rng) { data["rttMinMs"] = NSNull(); data["replyFrom"] = NSNull() }
            if Bool.random(using: &rng) { data["futureField"] = ["nested": [1, 2, ["deep": true]]]; object["traceparent"] = "00-abc" }
            object["data"] = data
            let options: JSONSerialization.WritingOptions = Bool.random(using: &rng) ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
            let bytes = Array(try JSONSerialization.data(withJSONObject: object, options: options))
            let expected = Self.reference(bytes)
            #expect(expected != nil)
            if let hand = ContractJSONReader.envelope(bytes, as: ICMPResult.self) {
                #expect(ContractCodec.encode(hand) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
            #expect((try? ContractCodec.decode(bytes, as: ICMPResult.self, expecting: [.probeICMP])).map { ContractCodec.encode($0) } == expected)
        }
    }

    @Test("a damaged payload is never read by hand where JSONDecoder would refuse it or read it otherwise")
    func damaged() {
        var rng = SeededGenerator(seed: 99)
        var byHand = 0, refused = 0
        for envelope in Self.randomResults(count: 2_000, seed: 11) {
            var bytes = ContractCodec.encode(envelope)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes.removeLast(Int.random(in: 1...min(40, bytes.count), using: &rng))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.insert(Array("{[\",:}]0e-.".utf8).randomElement(using: &rng)!, at: Int.random(in: 0..<bytes.count, using: &rng))
            default: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            }
            let expected = Self.reference(bytes)
            if expected == nil { refused += 1 }
            if let hand = ContractJSONReader.envelope(bytes, as: ICMPResult.self) {
                byHand += 1
                #expect(ContractCodec.encode(hand) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(refused > 500 && byHand > 30, "refused by JSONDecoder \(refused), read by hand \(byHand)")
    }

    @Test("what JSONDecoder might read differently is left to it", arguments: [
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3.0,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":1e1,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","cameraID":"D","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C\u0041","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":1e400,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"success","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","refused":"2"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","x":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}} x"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","n":01}}"#,
    ])
    func declines(_ text: String) {
        #expect(ContractJSONReader.envelope(Array(text.utf8), as: ICMPResult.self) == nil)
    }

    @Test("read in one pass: integers to their limits, an unknown member's duplicate keys, and a data object met before the header, as JSONDecoder reads them", arguments: [
        #"{"data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":-9223372036854775808,"received":9223372036854775807,"lossPercent":-0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"},"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p"}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","future":{"k":1,"k":[2,{"k":3,"k":4}]},"data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","x":{"y":null,"y":true}}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"정문 東","address":"a","status":"TIMEOUT","reason":"no_reply","sent":3,"received":0,"refused":null,"lossPercent":100,"rttAvgMs":null,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":3000.5,"prober":"p","inconclusive":"reference_unreachable"}}"#,
    ])
    func readsInOnePass(_ text: String) throws {
        let hand = try #require(ContractJSONReader.envelope(Array(text.utf8), as: ICMPResult.self))
        #expect(ContractCodec.encode(hand) == Self.reference(Array(text.utf8)))
    }

    @Test("a number an Int cannot hold, or a key met twice among those the reader does not know, is left to JSONDecoder", arguments: [
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":9223372036854775808,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":-9223372036854775809,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","x":1,"x":2}}"#,
        #"{"v":1,"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p","x":"\u00e9"}}"#,
        #"{"v":1,"type":"probe.icmp","id":"e","at":"2026-12-02T03:00:00.000Z","source":"p","data":{"cameraID":"C","address":"a","status":"SUCCESS","reason":"ok","sent":3,"received":3,"lossPercent":0,"startedAt":"2026-12-02T03:00:00.000Z","durationMs":1,"prober":"p"},"data":{}}"#,
    ])
    func leavesToJSONDecoder(_ text: String) {
        #expect(ContractJSONReader.envelope(Array(text.utf8), as: ICMPResult.self) == nil)
    }

    @Test("the readable form is read by hand, whitespace and all")
    func readsPlainJSON() throws {
        let text = #" { "v" : 1 , "type" : "probe.icmp", "id":"e", "at":"2026-12-02T03:00:00.000Z", "source":"p", "data" : { "cameraID":"CAM-1", "address":"a", "status":"LOSS", "reason":"partial_loss", "sent":3, "received":2, "lossPercent":33.333333333333336, "rttAvgMs":null, "startedAt":"2026-12-02T03:00:00.000Z", "durationMs":1.5, "prober":"p" } } "#
        let hand = try #require(ContractJSONReader.envelope(Array(text.utf8), as: ICMPResult.self))
        #expect(hand.data.lossPercent == 33.333333333333336 && hand.data.rttAvgMs == nil && hand.data.received == 2 && hand.data.status == .loss)
        #expect(ContractCodec.encode(hand) == Self.reference(Array(text.utf8)))
    }
}
