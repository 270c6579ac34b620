/// What a person or tool may do. Each role has the rights of the roles before it.
package enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Reads everything: cameras, incidents, delivery history, the live view.
    case viewer
    /// Also the incident lifecycle (acknowledge, dispatch, fixed, close, notes) and maintenance windows.
    case `operator`
    /// Also cameras, imports, contacts, accounts, API tokens and the audit log.
    case admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    package static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
