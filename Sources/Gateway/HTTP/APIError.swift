import CCTVContract
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The machine code of every refusal the REST API gives, and the HTTP status each one is
/// answered with: the one mapping, for the gateway's own refusals and for the registry's,
/// the issues service's and the notifier's replies it relays. Every code has Korean and English
/// words in `ReasonWords` (a test checks), so the console can say what went wrong.
package enum APIErrorCode: String, CaseIterable, Sendable, Codable {
    // The request itself.
    case badRequest = "bad_request"
    case invalidField = "invalid_field"
    case emptyFile = "empty_file"
    case payloadTooLarge = "payload_too_large"
    case tooManyRows = "too_many_rows"
    case notFound = "not_found"
    case idempotencyKeyReused = "idempotency_key_reused"
    // The state of what it acts on.
    case duplicateAddress = "duplicate_address"
    case duplicateID = "duplicate_id"
    case versionConflict = "version_conflict"
    case illegalTransition = "illegal_transition"
    case credentialsOriginChanged = "credentials_origin_changed"
    case unknownTeam = "unknown_team"
    case teamWithoutChannel = "team_without_channel"
    case importRejected = "import_rejected"
    // Signing in, first start, accounts.
    case setupRequired = "setup_required"
    case alreadySetUp = "already_set_up"
    case wrongSetupCode = "wrong_setup_code"
    case signedOut = "signed_out"
    case unauthenticated
    case invalidCredential = "invalid_credential"
    case loginFailed = "login_failed"
    case secondFactorRequired = "second_factor_required"
    case wrongCode = "wrong_code"
    case wrongPassword = "wrong_password"
    case tooManyAttempts = "too_many_attempts"
    case forbidden
    case csrf
    case duplicateAccount = "duplicate_account"
    case lastAdmin = "last_admin"
    // The gateway and the services behind it.
    case busy
    case registryUnavailable = "registry_unavailable"
    case issuesUnavailable = "issues_unavailable"
    case notifierUnavailable = "notifier_unavailable"
    case historyUnavailable = "history_unavailable"
    case `internal`

    /// The HTTP status this code is answered with.
    package var status: HTTPResponse.Status {
        switch self {
        case .badRequest, .invalidField, .emptyFile, .tooManyRows, .credentialsOriginChanged, .unknownTeam, .teamWithoutChannel,
             .importRejected, .wrongCode:
            .badRequest
        case .payloadTooLarge: .contentTooLarge
        case .notFound: .notFound
        case .idempotencyKeyReused: .unprocessableContent
        case .duplicateAddress, .duplicateID, .versionConflict, .illegalTransition, .alreadySetUp, .duplicateAccount, .lastAdmin: .conflict
        case .setupRequired, .signedOut, .unauthenticated, .invalidCredential, .loginFailed, .secondFactorRequired: .unauthorized
        case .wrongSetupCode, .wrongPassword, .forbidden, .csrf: .forbidden
        case .tooManyAttempts, .busy: .tooManyRequests
        case .registryUnavailable, .issuesUnavailable, .notifierUnavailable, .historyUnavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// A refused REST request: its code, the field to fix and a sentence saying how. Handlers throw
/// it; ``SecurityHeaders`` renders it, the one place an error becomes an HTTP answer:
/// `{"error": {"code", "field"?, "message", "existingID"?}}` with the code's status.
package struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    package var code: APIErrorCode
    package var field: String?
    package var message: String
    /// For duplicates: the camera that already has the address or id.
    package var existingID: String?
    /// Extra headers (`Retry-After`).
    package var headers: HTTPFields = [:]

    package init(_ code: APIErrorCode, field: String? = nil, _ message: String, existingID: String? = nil) {
        self.code = code; self.field = field; self.message = message; self.existingID = existingID
    }

    /// A refusal a service sent back (registry, issues, notifier) or a store threw, answered as
    /// it came. A code this gateway does not know is a fault between services: `internal`,
    /// with the code kept in the message.
    package init(relaying refusal: ContractError) {
        if let code = APIErrorCode(rawValue: refusal.code) {
            self.init(code, field: refusal.field, refusal.message, existingID: refusal.existingID)
        } else {
            self.init(.internal, field: refusal.field, "\(refusal.code): \(refusal.message)", existingID: refusal.existingID)
        }
    }

    /// A service's refusal without a reason.
    static func unexplained(_ service: String) -> APIError { APIError(.internal, "the \(service) refused without a reason") }

    package var status: HTTPResponse.Status { code.status }

    package var description: String { field.map { "\(code.rawValue) (\($0)): \(message)" } ?? "\(code.rawValue): \(message)" }

    /// The wire form: the same object the services send (`ContractError`).
    package var contractError: ContractError { ContractError(code: code.rawValue, field: field, message: message, existingID: existingID) }

    package func response(from request: Request, context: some RequestContext) throws -> Response { response }

    /// The answer, also for code that is not a route handler (the access middleware).
    package var response: Response {
        struct Body: Encodable { var error: ContractError }
        let data = (try? ContractCodec.encodeValue(Body(error: contractError))) ?? Data()
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
