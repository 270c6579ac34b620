import CCTVContract
import Foundation
import Logging
import MQTTBus
import Testing
@testable import ServiceRuntime

@Suite("definitions decoded once per process")
struct DefinitionReaderTests {
    static let decoder = MessageDecoder(service: "test", logger: Logger(label: "test.definitions"))

    static func config(_ id: String, version: Int = 1) -> MQTTMessage {
        let camera = CameraDefinition(id: id, name: "카메라 \(id)", address: "127.0.0.1", site: "현장", createdAt: Date(), updatedAt: Date(), version: version)
        return MQTTMessage(topic: "cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "registry", data: camera)), retain: true)
    }

    @Test("the first of four readers decodes a definition, the other three take it, and then nothing is kept")
    func decodedOnce() throws {
        let shared = DecodedDefinitions(capacity: 16)
        let readers = (0..<4).map { _ in DefinitionReader(decoder: Self.decoder, shared: shared) }
        let message = Self.config("CAM-1")
        let expected = try ContractCodec.decode(message.payload, as: CameraDefinition.self, expecting: [.cameraConfig])
        let first = try #require(readers[0].definition(message))
        #expect(first.data == expected.data && first.id == expected.id)
        #expect(shared.count == 1)
        for reader in readers[1...2] {
            #expect(reader.definition(message)?.data == expected.data)
            #expect(shared.count == 1)
        }
        #expect(readers[3].definition(message)?.id == expected.id)
        #expect(shared.count == 0)
        // Delivered again (QoS 1, a reconnect): decoded again, the same.
        #expect(readers[2].definition(message)?.data == expected.data)
    }

    @Test("a payload that is no definition is refused by every reader and never kept")
    func refusedNotKept() {
        let shared = DecodedDefinitions(capacity: 16)
        let readers = (0..<2).map { _ in DefinitionReader(decoder: Self.decoder, shared: shared) }
        let status = ContractCodec.encode(Envelope(type: .cameraStatus, source: "issues", data: ["cameraID": "CAM-1"]))
        for payload in [Array("{not json".utf8), status] {
            let message = MQTTMessage(topic: "cctv/CAM-1/config", payload: payload)
            #expect(readers[0].definition(message) == nil)
            #expect(readers[1].definition(message) == nil)
            #expect(shared.count == 0)
        }
    }

    @Test("a reader alone keeps nothing; a reader that goes away is not waited for")
    func readersCount() {
        let shared = DecodedDefinitions(capacity: 16)
        let alone = DefinitionReader(decoder: Self.decoder, shared: shared)
        #expect(alone.definition(Self.config("CAM-1")) != nil)
        #expect(shared.count == 0)
        var other: DefinitionReader? = DefinitionReader(decoder: Self.decoder, shared: shared)
        var third: DefinitionReader? = DefinitionReader(decoder: Self.decoder, shared: shared)
        let message = Self.config("CAM-2")
        #expect(alone.definition(message) != nil)
        #expect(other?.definition(message) != nil)
        #expect(shared.count == 1)
        third = nil
        // Two readers left: the kept entries are dropped, and what is decoded next is kept for one other.
        #expect(shared.count == 0)
        #expect(other?.definition(Self.config("CAM-3")) != nil)
        #expect(shared.count == 1)
        other = nil
        #expect(third == nil && other == nil && shared.count == 0)
    }

    @Test("at most `capacity` definitions are kept, the oldest go first, and a reader that lags decodes for itself")
    func capacity() throws {
        let shared = DecodedDefinitions(capacity: 3)
        let ahead = DefinitionReader(decoder: Self.decoder, shared: shared)
        let behind = DefinitionReader(decoder: Self.decoder, shared: shared)
        let messages = (0..<50).map { Self.config("CAM-\($0)", version: $0 + 1) }
        for message in messages {
            #expect(ahead.definition(message) != nil)
            #expect(shared.count <= 3)
        }
        #expect(shared.count == 3)
        for (index, message) in messages.enumerated() {
            #expect(behind.definition(message)?.data.version == index + 1)
            #expect(shared.count <= 3)
        }
        // `behind`'s own decodes pushed out what `ahead` kept: its last three are kept now, for `ahead`.
        #expect(shared.count == 3)
    }
}
