import CCTVContract
import Foundation

/// What `GET /api/vocabulary` answers: every state, kind and action with its words and rules, and
/// the words of every reason and error code. The dashboard keeps no copy of these: it asks.
struct Vocabulary: Encodable, Sendable {
    /// A state, kind, status or scope with its words; the optional facts are those of its group.
    struct Term: Encodable, Sendable {
        var code: String
        var ko: String
        var en: String
        /// Camera states: problems view order, worst first, and whether a person is needed.
        var severity: Int? = nil
        var needsAttention: Bool? = nil
        /// Incident states: still needs someone (not resolved or closed).
        var active: Bool? = nil
        /// Incident kinds: who is told.
        var responsible: String? = nil

        init(_ code: String, _ words: Bilingual, severity: Int? = nil, needsAttention: Bool? = nil, active: Bool? = nil, responsible: String? = nil) {
            self.code = code; ko = words.ko; en = words.en
            self.severity = severity; self.needsAttention = needsAttention; self.active = active; self.responsible = responsible
        }
    }

    struct ActionTerm: Encodable, Sendable {
        var code: String
        /// `POST /api/issues/{id}/{path}`.
        var path: String
        var from: [String]
        var to: String?
        var needsActor: Bool
        var ko: String
        var en: String
    }

    var cameraStates: [Term]
    var issueStates: [Term]
    var issueKinds: [Term]
    var parties: [Term]
    var icmpStatuses: [Term]
    var hlsStatuses: [Term]
    var actions: [ActionTerm]
    var silenceScopes: [Term]
    /// Reason and error code → words.
    var reasons: [String: Bilingual]
    /// Words for `http_{n}` reasons, `{n}` replaced by the status.
    var httpStatus: Bilingual

    static let current = Vocabulary(
        cameraStates: CameraState.allCases.sorted { $0.severity < $1.severity }.map {
            Term($0.rawValue, $0.words, severity: $0.severity, needsAttention: $0.needsAttention)
        },
        issueStates: IssueState.allCases.map { Term($0.rawValue, $0.words, active: $0 != .resolved && $0 != .closed) },
        issueKinds: IssueKind.allCases.map { Term($0.rawValue, $0.words, responsible: $0.responsible.rawValue) },
        parties: ResponsibleParty.allCases.map { Term($0.rawValue, $0.words) },
        icmpStatuses: ICMPStatus.allCases.map { Term($0.rawValue, $0.words) },
        hlsStatuses: HLSStatus.allCases.map { Term($0.rawValue, $0.words) },
        actions: IssueCommand.Name.allCases.compactMap { action in
            action.restPath.map {
                ActionTerm(code: action.rawValue, path: $0, from: action.allowedFrom.map(\.rawValue), to: action.target?.rawValue,
                           needsActor: action.needsActor, ko: action.words.ko, en: action.words.en)
            }
        },
        silenceScopes: Silence.Scope.allCases.map { Term($0.rawValue, $0.words) },
        reasons: ReasonWords.table,
        httpStatus: ReasonWords.httpStatus)
}
