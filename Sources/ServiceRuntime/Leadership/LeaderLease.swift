import Foundation
import Logging

// PLACEHOLDER of the lead's LeaderLease (announced API, landing on main): lets the notifier be
// written and built against it now. On `git merge main`, main's file replaces this one whole.

/// Proof that this instance holds a role; checked first in every write transaction.
public struct LeadershipFence: Sendable {
    public let role: String
    public let epoch: Int64
    public static let unfenced = LeadershipFence(role: "", epoch: 0)

    init(role: String, epoch: Int64) { self.role = role; self.epoch = epoch }

    /// Throws ``LeadershipError/lost(role:epoch:)`` unless this instance still holds the role.
    public func check(_ connection: any SQLConnection) throws {}
}

public enum LeadershipError: Error { case lost(role: String, epoch: Int64) }

public struct LeaseTiming: Sendable { public init() {} }

/// One leader per role.
public final class LeaderLease: Sendable {
    let role: String

    public init(location: DatabaseLocation, role: String, holder: String, logger: Logger, timing: LeaseTiming = LeaseTiming()) {
        self.role = role
    }

    /// Runs `body` while this instance leads `role`.
    public func withLeadership<T: Sendable>(onStandby: @Sendable () async -> Void = {}, _ body: @Sendable (LeadershipFence) async throws -> T) async throws -> T {
        try await body(.unfenced)
    }
}
