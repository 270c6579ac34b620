import CCTVContract
import Foundation

/// What `GET /api/vocabulary` answers: every state, kind and action with its words and rules, and
/// the words of every reason and error code. The dashboard keeps no copy of these: it asks.
struct Vocabulary: Encodable, Sendable {
    struct Term: Encodable, Sendable {
        var code: String
        var ko: String
        var en: String
    }

    struct CameraStateTerm: Encodable, Sendable {
        var code: String
        var ko: String
        var en: String
        /// Problems view order, worst first.
        var severity: Int
        var needsAttention: Bool
    }

    struct IssueStateTerm: Encodable, Sendable {
        var code: String
        var ko: String
        var en: String
        /// Still needs someone (not resolved or closed).
        var active: Bool
    }

    struct KindTerm: Encodable, Sendable {
        var code: String
        var ko: String
        var en: String
        var responsible: String
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

    var cameraStates: [CameraStateTerm]
    var issueStates: [IssueStateTerm]
    var issueKinds: [KindTerm]
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
            CameraStateTerm(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en, severity: $0.severity, needsAttention: $0.needsAttention)
        },
        issueStates: IssueState.allCases.map { IssueStateTerm(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en, active: $0 != .resolved && $0 != .closed) },
        issueKinds: IssueKind.allCases.map { KindTerm(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en, responsible: $0.responsible.rawValue) },
        parties: ResponsibleParty.allCases.map { Term(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en) },
        icmpStatuses: ICMPStatus.allCases.map { Term(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en) },
        hlsStatuses: HLSStatus.allCases.map { Term(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en) },
        actions: IssueCommand.Action.allCases.compactMap { action in
            action.restPath.map {
                ActionTerm(code: action.rawValue, path: $0, from: action.allowedFrom.map(\.rawValue), to: action.target?.rawValue,
                           needsActor: action.needsActor, ko: action.words.ko, en: action.words.en)
            }
        },
        silenceScopes: Silence.Scope.allCases.map { Term(code: $0.rawValue, ko: $0.words.ko, en: $0.words.en) },
        reasons: ReasonWords.table,
        httpStatus: ReasonWords.httpStatus)
}
