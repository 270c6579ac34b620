import Foundation
import Testing
@testable import CCTVContract
import TestSupport

/// Camera definitions written and read by hand mean exactly what `JSONEncoder` writes and
/// `JSONDecoder` reads (or the reader declines and `JSONDecoder` decides): compared on random
/// definitions, on the same JSON reformatted, and on damaged payloads.
@Suite("camera definitions written and read by hand")
struct CameraDefinitionJSONTests {
    static func randomDefinitions(count: Int, seed: UInt64) -> [CameraDefinition] {
        var rng = SeededGenerator(seed: seed)
        let texts = ["CAM-000123", "", "a/b", "정문 카메라 東", "127.100.0.1", "http://10.0.0.1/live.m3u8?x=1&y=é", "정문 \"east\" \\ 카메라",
                     "tab\there\nnew\r\u{01}\u{1F}\u{7F}", "KT-SEOUL", "rtsp://10.0.0.2:554/Streaming/Channels/101"]
        let numbers: [Double] = [0, -0.0, 37.5665, 126.978, 33.333333333333336, 1e-05, -42.25, 0.1, 90, -180]
        func text() -> String { texts.randomElement(using: &rng)! }
        func number() -> Double { Bool.random(using: &rng) ? numbers.randomElement(using: &rng)! : Double.random(in: -180...180, using: &rng) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &rng)) }
        return (0..<count).map { _ in
            let checks = maybe(CameraChecks(rtspURL: maybe(text()), onvifURL: maybe(text()), onvifEvents: maybe(Bool.random(using: &rng)),
                                            picture: maybe(Bool.random(using: &rng)),
                                            pictureCrop: maybe(PictureCrop(x: number(), y: number(), width: number(), height: number()))))
            let device = maybe(CameraDevice(manufacturer: maybe(text()), model: maybe(text()), firmware: maybe(text()), serial: maybe(text()),
                                            hardwareID: maybe(text()), since: maybe(date())))
            return CameraDefinition(id: text(), name: text(), address: text(), hlsURL: maybe(text()), site: maybe(text()), location: maybe(text()),
                                    latitude: maybe(number()), longitude: maybe(number()), group: maybe(text()),
                                    tags: (0..<Int.random(in: 0...3, using: &rng)).map { _ in text() }, lineTeam: maybe(text()), vendor: maybe(text()),
                                    enabled: Bool.random(using: &rng), intervalSeconds: maybe(Int.random(in: -5...86_400, using: &rng)),
                                    hasCredentials: Bool.random(using: &rng), checks: checks, device: device, createdAt: date(), updatedAt: date(),
                                    version: Int.random(in: 0...Int.max, using: &rng))
        }
    }

    /// What JSONDecoder alone reads from `bytes`, re-encoded by JSONEncoder alone, or nil.
    static func reference(_ bytes: [UInt8]) -> [UInt8]? {
        guard let envelope = try? ContractCodec.decoder.decode(Envelope<CameraDefinition>.self, from: Data(bytes)) else { return nil }
        return Array(try! ContractCodec.encoder.encode(envelope))
    }

    @Test("a definition is written by hand byte for byte as JSONEncoder writes it, alone and in its envelope")
    func written() throws {
        for camera in Self.randomDefinitions(count: 3_000, seed: 0xCA11) {
            let codable = try ContractCodec.encoder.encode(camera)
            #expect(try ContractCodec.encodeValue(camera) == codable, "\(String(decoding: codable, as: UTF8.self))")
            let envelope = Envelope(type: .cameraConfig, source: "registry", data: camera)
            #expect(ContractCodec.encode(envelope) == Array(try ContractCodec.encoder.encode(envelope)))
            // The registry's path: the value encoded once, then its envelope around it.
            #expect(ContractCodec.encode(type: .cameraConfig, id: envelope.id, at: envelope.at, source: "registry", encodedData: codable) == ContractCodec.encode(envelope))
        }
        // Not finite: JSONEncoder refuses it, and so does the writer (encodeValue then takes JSONEncoder's path and throws).
        let odd = CameraDefinition(id: "C", name: "n", address: "a", latitude: .infinity, createdAt: Date(), updatedAt: Date(), version: 1)
        #expect(ContractJSONWriter.value(odd) == nil)
        #expect(throws: (any Error).self) { try ContractCodec.encodeValue(odd) }
    }

    @Test("a definition as the registry writes it is read by hand, and the same as JSONDecoder reads it")
    func read() throws {
        var byHand = 0
        for camera in Self.randomDefinitions(count: 3_000, seed: 0xC0DE) {
            let bytes = ContractCodec.encode(Envelope(type: .cameraConfig, source: "registry", data: camera))
            let expected = Self.reference(bytes)
            let decoded = try ContractCodec.decode(bytes, as: CameraDefinition.self, expecting: [.cameraConfig])
            // Dates are written to the millisecond: compared as JSONDecoder alone reads the same bytes.
            #expect(Array(try ContractCodec.encoder.encode(decoded)) == expected)
            let value = try ContractCodec.encodeValue(camera)
            #expect(try ContractCodec.decodeValue(CameraDefinition.self, from: value) == ContractCodec.decoder.decode(CameraDefinition.self, from: value))
            if let hand = ContractJSONReader.envelope(bytes, as: CameraDefinition.self) {
                byHand += 1
                #expect(Array(try ContractCodec.encoder.encode(hand)) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // A text with an escape sends a definition to JSONDecoder (2 of the 10 texts, in up to 20 fields); most are still read by hand.
        #expect(byHand > 100, "read by hand: \(byHand) of 3,000")
        let typical = CameraDefinition(id: "CAM-000123", name: "카메라 123", address: "127.100.0.124", hlsURL: "http://127.100.0.124/live/index.m3u8",
                                       site: "현장23", group: "구역3", tags: ["정문", "야외"], lineTeam: "KT-SEOUL", vendor: "HANWHA", intervalSeconds: 60,
                                       checks: CameraChecks(rtspURL: "rtsp://127.100.0.124/stream1", picture: true, pictureCrop: PictureCrop(x: 0, y: 0.1, width: 1, height: 0.9)),
                                       device: CameraDevice(manufacturer: "Hanwha", model: "XNO-6080R", firmware: "1.41.02", serial: "ZE12", since: Date(timeIntervalSince1970: 1_800_000_000)),
                                       createdAt: Date(timeIntervalSince1970: 1_800_000_000.5), updatedAt: Date(timeIntervalSince1970: 1_800_000_001), version: 3)
        let hand = try #require(ContractJSONReader.envelope(ContractCodec.encode(Envelope(type: .cameraConfig, source: "registry", data: typical)), as: CameraDefinition.self))
        #expect(hand.data == typical)
    }

    @Test("the same JSON reformatted (spaces, key order, unknown keys, null optionals) reads the same")
    func reformatted() throws {
        var rng = SeededGenerator(seed: 43)
        for camera in Self.randomDefinitions(count: 1_000, seed: 8) {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(ContractCodec.encode(Envelope(type: .cameraConfig, source: "r", data: camera)))) as? [String: Any])
            var data = try #require(object["data"] as? [String: Any])
            if Bool.random(using: &rng) { data["site"] = NSNull(); data["checks"] = NSNull() }
            if Bool.random(using: &rng), var device = data["device"] as? [String: Any] { device["serial"] = NSNull(); device["future"] = [1, 2]; data["device"] = device }
            if Bool.random(using: &rng) { data["futureField"] = ["nested": [1, 2, ["deep": true]]]; object["traceparent"] = "00-abc" }
            object["data"] = data
            let options: JSONSerialization.WritingOptions = Bool.random(using: &rng) ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
            let bytes = Array(try JSONSerialization.data(withJSONObject: object, options: options))
            let expected = Self.reference(bytes)
            #expect(expected != nil)
            if let hand = ContractJSONReader.envelope(bytes, as: CameraDefinition.self) {
                #expect(Array(try ContractCodec.encoder.encode(hand)) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
            #expect((try? ContractCodec.decode(bytes, as: CameraDefinition.self, expecting: [.cameraConfig])).map { Array(try! ContractCodec.encoder.encode($0)) } == expected)
        }
    }

    @Test("a damaged definition is never read by hand where JSONDecoder would refuse it or read it otherwise")
    func damaged() {
        var rng = SeededGenerator(seed: 98)
        var byHand = 0, refused = 0
        for camera in Self.randomDefinitions(count: 2_000, seed: 12) {
            var bytes = ContractCodec.encode(Envelope(type: .cameraConfig, source: "r", data: camera))
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes.removeLast(Int.random(in: 1...min(40, bytes.count), using: &rng))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.insert(Array("{[\",:}]0e-.".utf8).randomElement(using: &rng)!, at: Int.random(in: 0..<bytes.count, using: &rng))
            default: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            }
            let expected = Self.reference(bytes)
            if expected == nil { refused += 1 }
            if let hand = ContractJSONReader.envelope(bytes, as: CameraDefinition.self) {
                byHand += 1
                #expect(Array(try! ContractCodec.encoder.encode(hand)) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(refused > 500 && byHand > 30, "refused by JSONDecoder \(refused), read by hand \(byHand)")
    }

    @Test("what JSONDecoder might read differently is left to it", arguments: [
        // a tag that is not a string, a Bool written as a number, a duplicate key inside a known nested object, an Int written as 60.0
        #"{"address":"a","createdAt":"2026-12-02T03:00:00.000Z","enabled":true,"hasCredentials":false,"id":"C","name":"n","tags":["a",1],"updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
        #"{"address":"a","createdAt":"2026-12-02T03:00:00.000Z","enabled":1,"hasCredentials":false,"id":"C","name":"n","tags":[],"updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
        #"{"address":"a","checks":{"picture":true,"picture":false},"createdAt":"2026-12-02T03:00:00.000Z","enabled":true,"hasCredentials":false,"id":"C","name":"n","tags":[],"updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
        #"{"address":"a","createdAt":"2026-12-02T03:00:00.000Z","enabled":true,"hasCredentials":false,"id":"C","intervalSeconds":60.0,"name":"n","tags":[],"updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
        #"{"address":"a","checks":{"pictureCrop":{"x":0,"y":0,"width":1}},"createdAt":"2026-12-02T03:00:00.000Z","enabled":true,"hasCredentials":false,"id":"C","name":"n","tags":[],"updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
        #"{"address":"a","createdAt":"2026-12-02T03:00:00.000Z","enabled":true,"hasCredentials":false,"id":"C","name":"n","updatedAt":"2026-12-02T03:00:00.000Z","version":1}"#,
    ])
    func declines(_ text: String) {
        Array(text.utf8).withUnsafeBytes { #expect(ContractJSONReader.value($0, as: CameraDefinition.self) == nil) }
    }

    @Test("nested objects, empty arrays and null members are read by hand as JSONDecoder reads them")
    func nested() throws {
        let text = #" { "address" : "a", "checks" : { "pictureCrop" : { "height" : 0.9, "width" : 1, "x" : 0, "y" : 0.1 }, "picture" : true, "unknown" : [ ] }, "createdAt":"2026-12-02T03:00:00.000Z", "device":{"since":null,"serial":"S1"}, "enabled":true, "hasCredentials":false, "id":"C", "name":"정문", "site":null, "tags":[ "x" , "y" ], "updatedAt":"2026-12-02T03:00:00.000Z", "version":1 } "#
        let hand = try Array(text.utf8).withUnsafeBytes { try #require(ContractJSONReader.value($0, as: CameraDefinition.self)) }
        #expect(hand == (try ContractCodec.decoder.decode(CameraDefinition.self, from: Data(text.utf8))))
        #expect(hand.checks?.pictureCrop?.height == 0.9 && hand.device?.serial == "S1" && hand.tags == ["x", "y"] && hand.site == nil)
    }
}
