import Foundation

/// Slows down password guessing: after `perAccount` failed sign-ins for one name, or `perAddress`
/// from one address, within `window`, further attempts are refused for a lock-out that doubles
/// with every further failure (from `baseLockout` up to `maxLockout`). The name is counted whether
/// or not the account exists, so the throttle says nothing about which names are real.
///
/// A pure value: ``GatewayAPI`` keeps one behind a lock and passes the clock in.
struct LoginThrottle: Sendable {
    struct Policy: Sendable {
        var perAccount = 5
        var perAddress = 20
        var window: TimeInterval = 15 * 60
        var baseLockout: TimeInterval = 30
        var maxLockout: TimeInterval = 15 * 60
        /// Keys remembered at most (oldest forgotten first): an attacker cycling names cannot grow memory.
        var maxKeys = 100_000
    }

    struct Record: Sendable {
        var failures: [Date] = []
        var lockedUntil: Date?
    }

    let policy: Policy
    private(set) var records: [String: Record] = [:]

    init(policy: Policy = Policy()) { self.policy = policy }

    /// Until when an attempt for `account` from `address` must wait, or nil when it may go ahead.
    func lockedUntil(account: String, address: String?, now: Date) -> Date? {
        Self.keys(account: account, address: address).compactMap { records[$0]?.lockedUntil }.filter { $0 > now }.max()
    }

    /// Counts a failed attempt.
    mutating func failed(account: String, address: String?, now: Date) {
        for (key, limit) in zip(Self.keys(account: account, address: address), [policy.perAccount, policy.perAddress]) {
            var record = records[key] ?? Record()
            record.failures = record.failures.filter { now.timeIntervalSince($0) < policy.window } + [now]
            if record.failures.count >= limit {
                let over = record.failures.count - limit
                record.lockedUntil = now.addingTimeInterval(min(policy.maxLockout, policy.baseLockout * pow(2, Double(min(over, 20)))))
            }
            records[key] = record
        }
        if records.count > policy.maxKeys { forgetOldest(now: now) }
    }

    /// A successful sign-in clears the account's failures (not the address's: one good password
    /// must not reset the count of an address that is guessing others).
    mutating func succeeded(account: String) {
        records.removeValue(forKey: "account:" + account.lowercased())
    }

    private mutating func forgetOldest(now: Date) {
        records = records.filter { _, record in
            (record.lockedUntil.map { $0 > now } ?? false) || record.failures.contains { now.timeIntervalSince($0) < policy.window }
        }
        if records.count > policy.maxKeys {
            let keep = records.sorted { ($0.value.failures.last ?? .distantPast) > ($1.value.failures.last ?? .distantPast) }.prefix(policy.maxKeys / 2)
            records = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    static func keys(account: String, address: String?) -> [String] {
        ["account:" + account.lowercased(), "address:" + (address ?? "unknown")]
    }
}
