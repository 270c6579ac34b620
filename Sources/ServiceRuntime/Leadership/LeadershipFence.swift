/// Proof that this instance leads `role` at `epoch`. Every write transaction on a shared store
/// starts with ``check(_:)``: it reads the role's `leadership` row `FOR SHARE`, so a new leader's
/// epoch bump waits for writes already past their check, and a write checked after the bump fails.
/// An old leader that was paused or cut off therefore writes nothing once another has taken over.
package struct LeadershipFence: Sendable, Equatable {
    package let role: String
    /// The leadership term this instance won; each new leader's is higher.
    package let epoch: Int64

    package init(role: String, epoch: Int64) {
        self.role = role
        self.epoch = epoch
    }

    /// The fence of a store nobody else shares (SQLite, one box): ``check(_:)`` passes.
    package static let unfenced = LeadershipFence(role: "", epoch: 0)

    /// - Throws: ``LeadershipError/lost(role:epoch:)`` unless this instance still holds the role.
    package func check(_ connection: any SQLConnection) throws {
        guard self != .unfenced, connection.dialect == .postgres else { return }
        let current = try connection.row("SELECT epoch FROM \"\(role)\".leadership WHERE role = ? FOR SHARE", role)?.int("epoch").map(Int64.init)
        guard current == epoch else { throw LeadershipError.lost(role: role, epoch: epoch) }
    }
}

/// Why an instance stopped leading.
package enum LeadershipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another instance leads `role` now (or this one's lock session died): stop writing, go standby.
    case lost(role: String, epoch: Int64)

    package var description: String {
        switch self {
        case let .lost(role, epoch): "no longer the leader of \(role) (term \(epoch) ended): another instance took over"
        }
    }
}
