/// Why a playlist could not be parsed.
///
/// Every case maps to a stable ``HLSReason`` (`reason`) for machines and a sentence naming
/// the offending line (`message`) for people reading alerts.
public enum PlaylistError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The body was empty, whitespace only, or just the `#EXTM3U` header.
    case empty
    /// The first non-blank line (1-based `line`) is not `#EXTM3U`.
    case notM3U8(line: Int, found: String)
    /// The playlist violates RFC 8216 at the 1-based `line`.
    case malformed(line: Int, detail: String)
    /// The body is larger than the caller's byte limit; parsing was not attempted.
    case tooLarge(bytes: Int, limit: Int)
    /// The body has more lines than the caller allowed; parsing stopped at `line`.
    case tooManyLines(line: Int, limit: Int)
    /// More segments or variants than allowed; parsing stopped at `line`.
    case tooManySegments(line: Int, limit: Int)

    /// Stable reason code for this error.
    public var reason: HLSReason {
        switch self {
        case .empty: .playlistEmpty
        case .notM3U8: .playlistNotM3U8
        case .malformed: .playlistMalformed
        case .tooLarge, .tooManyLines: .playlistTooLarge
        case .tooManySegments: .playlistTooManySegments
        }
    }

    /// Human-readable explanation including the line number where one applies.
    public var message: String {
        switch self {
        case .empty:
            "playlist is empty"
        case let .notM3U8(line, found):
            "line \(line): expected #EXTM3U, found \"\(found)\""
        case let .malformed(line, detail):
            "line \(line): \(detail)"
        case let .tooLarge(bytes, limit):
            "playlist is \(bytes) bytes, over the \(limit)-byte limit"
        case let .tooManyLines(line, limit):
            "line \(line): playlist has more than \(limit) lines"
        case let .tooManySegments(line, limit):
            "line \(line): playlist lists more than \(limit) segments or variants"
        }
    }

    /// The error as a finding, so parse failures flow through the same reporting path as checks.
    public var finding: HLSFinding {
        HLSFinding(reason: reason, severity: .failure, message: message)
    }

    /// `reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }
}
