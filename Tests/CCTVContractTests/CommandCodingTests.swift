import CCTVContract
import Foundation
import Testing

/// Registry and issue commands are enums with associated values, but the wire is the flat JSON
/// object every tool sends today: each golden string below is what the struct-shaped command
/// (before the enums) encoded, byte for byte.
@Suite("typed commands keep today's JSON")
struct CommandCodingTests {
    static let until = Date(timeIntervalSince1970: 1_800_000_000)

    static var patch: CameraPatch {
        var patch = CameraPatch()
        patch.name = .some("정문")
        patch.site = .some(nil)
        return patch
    }

    static let registry: [(RegistryCommand, String)] = [
        (RegistryCommand(.create(CameraInput(id: "CAM-1", name: "정문", address: "10.0.0.1")), actor: "kim"),
         #"{"action":"create","actor":"kim","camera":{"address":"10.0.0.1","id":"CAM-1","name":"정문"}}"#),
        (RegistryCommand(.update(id: "CAM-1", camera: CameraInput(name: "정문", address: "10.0.0.2"), expectedVersion: 3), actor: "kim"),
         #"{"action":"update","actor":"kim","camera":{"address":"10.0.0.2","name":"정문"},"expectedVersion":3,"id":"CAM-1"}"#),
        (RegistryCommand(.delete(id: "CAM-1", expectedVersion: 4)), #"{"action":"delete","expectedVersion":4,"id":"CAM-1"}"#),
        (RegistryCommand(.get(id: "CAM-1")), #"{"action":"get","id":"CAM-1"}"#),
        (RegistryCommand(.list(CameraListQuery(query: "gate", site: "HQ", group: "A", enabled: true, sort: "-name", offset: 10, limit: 50))),
         #"{"action":"list","enabled":true,"group":"A","limit":50,"offset":10,"query":"gate","site":"HQ","sort":"-name"}"#),
        (RegistryCommand(.list(CameraListQuery())), #"{"action":"list"}"#),
        (RegistryCommand(.enable(id: "CAM-1", expectedVersion: nil)), #"{"action":"enable","id":"CAM-1"}"#),
        (RegistryCommand(.disable(id: "CAM-1", expectedVersion: 2)), #"{"action":"disable","expectedVersion":2,"id":"CAM-1"}"#),
        (RegistryCommand(.importBegin(importID: "imp-1", columns: [.id, .address])), #"{"action":"importBegin","columns":["id","address"],"importID":"imp-1"}"#),
        (RegistryCommand(.importRows(importID: "imp-1", rows: [ImportRow(row: 2, camera: CameraInput(address: "10.0.0.3"))])),
         #"{"action":"importRows","importID":"imp-1","rows":[{"camera":{"address":"10.0.0.3"},"row":2}]}"#),
        (RegistryCommand(.importCommit(importID: "imp-1", skipInvalid: false)), #"{"action":"importCommit","importID":"imp-1","skipInvalid":false}"#),
        (RegistryCommand(.importAbort(importID: "imp-1")), #"{"action":"importAbort","importID":"imp-1"}"#),
        (RegistryCommand(.patch(id: "CAM-1", patch: patch, expectedVersion: 5)),
         #"{"action":"patch","expectedVersion":5,"id":"CAM-1","patch":{"name":"정문","site":null}}"#),
        (RegistryCommand(.bulkDelete(ids: ["A", "B"])), #"{"action":"bulkDelete","ids":["A","B"]}"#),
        (RegistryCommand(.credentials(id: "CAM-1")), #"{"action":"credentials","id":"CAM-1"}"#),
    ]

    static let issues: [(IssueCommand, String)] = [
        (IssueCommand(.acknowledge(issueID: "ISS-1", note: nil), actor: "kim"), #"{"action":"acknowledge","actor":"kim","issueID":"ISS-1"}"#),
        (IssueCommand(.dispatch(issueID: "ISS-1", note: "KT"), actor: "kim"), #"{"action":"dispatch","actor":"kim","issueID":"ISS-1","note":"KT"}"#),
        (IssueCommand(.markFixed(issueID: "ISS-1", note: nil), actor: "kim"), #"{"action":"markFixed","actor":"kim","issueID":"ISS-1"}"#),
        (IssueCommand(.close(issueID: "ISS-1", note: nil), actor: "kim"), #"{"action":"close","actor":"kim","issueID":"ISS-1"}"#),
        (IssueCommand(.note(issueID: "ISS-1", note: "called"), actor: "kim"), #"{"action":"note","actor":"kim","issueID":"ISS-1","note":"called"}"#),
        (IssueCommand(.silence(Silence(id: "S-1", scope: .site, value: "HQ", until: until, reason: "work")), actor: "kim"),
         #"{"action":"silence","actor":"kim","silence":{"id":"S-1","reason":"work","scope":"site","until":"2027-01-15T08:00:00.000Z","value":"HQ"}}"#),
        (IssueCommand(.listSilences), #"{"action":"listSilences"}"#),
    ]

    @Test("every registry action encodes as today's flat JSON and decodes back to the same value", arguments: registry.indices)
    func registryRoundTrip(_ index: Int) throws {
        let (command, golden) = Self.registry[index]
        #expect(String(decoding: try ContractCodec.encodeValue(command), as: UTF8.self) == golden)
        #expect(try ContractCodec.decodeValue(RegistryCommand.self, from: Data(golden.utf8)) == command)
    }

    @Test("the golden strings cover every registry action")
    func registryCoverage() {
        #expect(Set(Self.registry.map(\.0.action.name)) == Set(RegistryCommand.Name.allCases))
    }

    @Test("the golden strings cover every issue action")
    func issueCoverage() {
        #expect(Set(Self.issues.map(\.0.action.name) + [.unsilence, .endSilence]) == Set(IssueCommand.Name.allCases))
    }

    @Test("every issue action encodes as today's flat JSON and decodes back to the same value", arguments: issues.indices)
    func issueRoundTrip(_ index: Int) throws {
        let (command, golden) = Self.issues[index]
        #expect(String(decoding: try ContractCodec.encodeValue(command), as: UTF8.self) == golden)
        #expect(try ContractCodec.decodeValue(IssueCommand.self, from: Data(golden.utf8)) == command)
    }

    @Test("deleting or ending a window reads only the silence's id, and still sends a whole window for services before typed commands",
          arguments: ["unsilence", "endSilence"])
    func silenceByID(_ action: String) throws {
        // What the gateway sent before the enums: a placeholder window around the id.
        let before = #"{"action":"\#(action)","actor":"kim","silence":{"id":"S-1","scope":"camera","until":"2027-01-15T08:00:00.000Z","value":"-"}}"#
        let command = try ContractCodec.decodeValue(IssueCommand.self, from: Data(before.utf8))
        let expected: IssueCommand.Action = action == "unsilence" ? .unsilence(id: "S-1") : .endSilence(id: "S-1")
        #expect(command == IssueCommand(expected, actor: "kim"))
        let sent = String(decoding: try ContractCodec.encodeValue(command), as: UTF8.self)
        #expect(sent == #"{"action":"\#(action)","actor":"kim","silence":{"id":"S-1","scope":"camera","until":"1970-01-01T00:00:00.000Z","value":"-"}}"#)
        let old = try ContractCodec.decodeValue(Silence.self, from: Data(#"{"id":"S-1","scope":"camera","until":"1970-01-01T00:00:00.000Z","value":"-"}"#.utf8))
        #expect(old.id == "S-1", "the placeholder is a whole window")
    }

    @Test("older tools: an unsilence naming the window in issueID, an update naming the camera only in its body")
    func olderForms() throws {
        let unsilence = try ContractCodec.decodeValue(IssueCommand.self, from: Data(#"{"action":"unsilence","issueID":"S-9"}"#.utf8))
        #expect(unsilence.action == .unsilence(id: "S-9"))
        #expect(try ContractCodec.decodeValue(IssueCommand.self, from: Data(#"{"action":"unsilence"}"#.utf8)).action == .unsilence(id: nil))
        let update = try ContractCodec.decodeValue(RegistryCommand.self, from: Data(#"{"action":"update","camera":{"id":"C-7","address":"10.0.0.7"}}"#.utf8))
        #expect(update.action == .update(id: "C-7", camera: CameraInput(id: "C-7", address: "10.0.0.7"), expectedVersion: nil))
        let commit = try ContractCodec.decodeValue(RegistryCommand.self, from: Data(#"{"action":"importCommit","importID":"i"}"#.utf8))
        #expect(commit.action == .importCommit(importID: "i", skipInvalid: false))
    }

    @Test("a command without a field its action needs is refused with bad_request naming the field, under the envelope's id",
          arguments: [
              (#"{"action":"create"}"#, "camera"), (#"{"action":"update","camera":{"address":"10.0.0.1"}}"#, "id"),
              (#"{"action":"update","id":"C"}"#, "camera"), (#"{"action":"delete"}"#, "id"), (#"{"action":"get"}"#, "id"),
              (#"{"action":"enable"}"#, "id"), (#"{"action":"disable"}"#, "id"), (#"{"action":"importBegin","importID":"i"}"#, "columns"),
              (#"{"action":"importBegin","columns":["address"]}"#, "importID"), (#"{"action":"importRows","importID":"i"}"#, "rows"),
              (#"{"action":"importCommit"}"#, "importID"), (#"{"action":"importAbort"}"#, "importID"), (#"{"action":"patch","id":"C"}"#, "patch"),
              (#"{"action":"patch","patch":{}}"#, "id"), (#"{"action":"bulkDelete"}"#, "ids"), (#"{"action":"credentials"}"#, "id"),
          ])
    func registryMissingField(_ json: String, _ field: String) {
        let refusal = Self.refusal(json, type: "registry.command") { bytes throws(PayloadError) in
            try ContractCodec.decode(bytes, as: RegistryCommand.self, expecting: [.registryCommand])
        }
        #expect(refusal?.error.code == "bad_request" && refusal?.error.field == field && refusal?.envelopeID == "cmd-7", "\(String(describing: refusal))")
    }

    @Test("an issue command without what its action needs is refused as before: no incident, no window",
          arguments: [
              (#"{"action":"acknowledge"}"#, "not_found", "issueID"), (#"{"action":"note","note":"x"}"#, "not_found", "issueID"),
              (#"{"action":"silence"}"#, "bad_request", "silence"), (#"{"action":"endSilence"}"#, "not_found", "silence.id"),
          ])
    func issueMissingField(_ json: String, _ code: String, _ field: String) {
        let refusal = Self.refusal(json, type: "issue.command") { bytes throws(PayloadError) in
            try ContractCodec.decode(bytes, as: IssueCommand.self, expecting: [.issueCommand])
        }
        #expect(refusal?.error.code == code && refusal?.error.field == field && refusal?.envelopeID == "cmd-7", "\(String(describing: refusal))")
    }

    /// The refusal of `json` as an envelope's data, if decoding refuses it as a command.
    static func refusal<T>(_ json: String, type: String, _ decode: ([UInt8]) throws(PayloadError) -> T) -> (error: ContractError, envelopeID: String)? {
        let envelope = #"{"at":"2026-12-01T00:00:00.000Z","data":\#(json),"id":"cmd-7","source":"tool","type":"\#(type)","v":1}"#
        guard case let .refused(error, envelopeID)? = Self.error({ () throws(PayloadError) in try decode(Array(envelope.utf8)) }) else { return nil }
        return (error, envelopeID)
    }

    @Test("an unknown action is not a command: refused as invalid data (answered bad_request)")
    func unknownAction() {
        for (json, type) in [(#"{"action":"explode","id":"C"}"#, "registry.command"), (#"{"action":"explode","issueID":"I"}"#, "issue.command")] {
            let envelope = Array(#"{"at":"2026-12-01T00:00:00.000Z","data":\#(json),"id":"cmd-8","source":"tool","type":"\#(type)","v":1}"#.utf8)
            let error: PayloadError? = type == "registry.command"
                ? Self.error { () throws(PayloadError) in try ContractCodec.decode(envelope, as: RegistryCommand.self, expecting: [.registryCommand]) }
                : Self.error { () throws(PayloadError) in try ContractCodec.decode(envelope, as: IssueCommand.self, expecting: [.issueCommand]) }
            #expect(error?.code == "invalid_data", "\(String(describing: error))")
        }
    }

    static func error<T>(_ body: () throws(PayloadError) -> T) -> PayloadError? {
        do { _ = try body(); return nil } catch { return error }
    }
}
