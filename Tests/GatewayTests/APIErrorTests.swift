import CCTVContract
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every REST refusal is an ``APIError``: one code, one status per code, one JSON shape.
@Suite("REST errors: one code enum rendered in one place")
struct APIErrorTests {
    /// The answer to a route that throws `error`, through Hummingbird's own error path.
    func answer(_ error: APIError) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, error: [String: Any]) {
        let router = Router()
        router.get("/refused") { _, _ -> Response in throw error }
        let (status, headers, body) = try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/refused", method: .get)
            return (response.status, response.headers, Data(response.body.readableBytesView))
        }
        let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        return (status, headers, try #require(object?["error"] as? [String: Any]))
    }

    @Test("a refusal is {error: {code, field, message}} with its code's status and a JSON content type")
    func wireShape() async throws {
        let refusal = APIError(.invalidField, field: "range", "range must be 24h, 7d or 30d")
        let (status, headers, error) = try await answer(refusal)
        #expect(status == .badRequest)
        #expect(headers[.contentType] == "application/json; charset=utf-8")
        #expect(error["code"] as? String == "invalid_field")
        #expect(error["field"] as? String == "range")
        #expect(error["message"] as? String == "range must be 24h, 7d or 30d")
        // The same object the services send over MQTT.
        #expect(refusal.contractError == ContractError(code: "invalid_field", field: "range", message: "range must be 24h, 7d or 30d"))
    }

    @Test("statuses: not found 404, conflicts 409, sign-in 401, no right 403, busy 429, a service away 503")
    func statuses() {
        #expect(APIErrorCode.notFound.status == .notFound)
        for code: APIErrorCode in [.duplicateAddress, .duplicateID, .versionConflict, .illegalTransition, .alreadySetUp, .lastAdmin] {
            #expect(code.status == .conflict, "\(code)")
        }
        for code: APIErrorCode in [.unauthenticated, .invalidCredential, .signedOut, .loginFailed, .setupRequired] { #expect(code.status == .unauthorized, "\(code)") }
        for code: APIErrorCode in [.forbidden, .csrf, .wrongPassword] { #expect(code.status == .forbidden, "\(code)") }
        #expect(APIErrorCode.tooManyAttempts.status == .tooManyRequests)
        for code: APIErrorCode in [.registryUnavailable, .issuesUnavailable, .notifierUnavailable] { #expect(code.status == .serviceUnavailable, "\(code)") }
        #expect(APIErrorCode.internal.status == .internalServerError)
    }

    @Test("a service's refusal is relayed with its code, field and existing id; an unknown code is internal and keeps its name")
    func relaying() async throws {
        let duplicate = APIError(relaying: ContractError(code: "duplicate_address", field: "address", message: "taken", existingID: "cam-1"))
        #expect(duplicate.status == .conflict)
        #expect(try await answer(duplicate).error["existingID"] as? String == "cam-1")
        let strange = APIError(relaying: ContractError(code: "from_the_future", message: "new code"))
        #expect(strange.code == .internal)
        #expect(strange.message.contains("from_the_future"))
    }

    @Test("extra headers (Retry-After) go out with the answer")
    func headers() async throws {
        var refusal = APIError(.tooManyAttempts, "wait")
        refusal.headers[.retryAfter] = "30"
        let (status, headers, _) = try await answer(refusal)
        #expect(status == .tooManyRequests)
        #expect(headers[.retryAfter] == "30")
    }

    @Test("every code a service can send back is a known REST code (none falls through to internal)")
    func servicesCodesAreKnown() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(pattern: #"ContractError\(code: "([a-z_]+)""#)
        var unknown: Set<String> = []
        for service in ["CCTVContract", "Registry", "Issues", "Notifier", "Gateway"] {
            let enumerator = FileManager.default.enumerator(at: sources.appendingPathComponent(service), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text), APIErrorCode(rawValue: String(text[range])) == nil { unknown.insert(String(text[range])) }
                }
            }
        }
        #expect(unknown.isEmpty, "codes with no APIErrorCode case: \(unknown.sorted())")
    }
}
