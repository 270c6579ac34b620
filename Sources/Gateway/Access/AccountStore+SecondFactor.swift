import Foundation
import GRDB
import HummingbirdOTP

/// The optional second factor: TOTP (RFC 6238, 6 digits, 30 s, SHA-1 — what authenticator apps
/// speak) from hummingbird-auth's `HummingbirdOTP`. The key is sealed at rest; a code is accepted
/// once (the last used time step is kept), one step of clock drift either way is tolerated.
extension AccountStore {
    /// What an authenticator app needs to enrol.
    package struct SecondFactorEnrolment: Codable, Sendable, Equatable {
        /// Base32, for typing into the app.
        package var secret: String
        /// `otpauth://totp/…`, for a QR code.
        package var uri: String
    }

    /// Starts enrolment: a new key kept as pending until ``confirmSecondFactor(name:code:now:)``.
    package func beginSecondFactor(name: String) throws -> SecondFactorEnrolment {
        let secret = Self.randomText(count: 20, alphabet: Self.base32)
        let sealed = try secrets.seal(text: secret)
        try database.write { db in
            try db.execute(sql: "UPDATE account SET totpPending = ? WHERE name = ?", arguments: [sealed, name])
            guard db.changesCount == 1 else { throw AccountError.notFound(name) }
        }
        let totp = TOTP(secret: secret)
        // The app wants the key's bytes in base32; HummingbirdOTP uses the secret's UTF-8 bytes as the key.
        let uri = totp.createAuthenticatorURL(label: "CCTV Out:\(name)", issuer: "CCTV Out")
        let base32 = URLComponents(string: uri)?.queryItems?.first(where: { $0.name == "secret" })?.value ?? ""
        return SecondFactorEnrolment(secret: base32, uri: uri)
    }

    /// Turns the pending key on when `code` matches it. - Returns: whether it did.
    package func confirmSecondFactor(name: String, code: String, now: Date = Date()) throws -> Bool {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT totpPending FROM account WHERE name = ?", arguments: [name]),
                  let sealed = row["totpPending"] as String?, let step = Self.matchingStep(try secrets.open(text: sealed), code: code, now: now) else {
                return false
            }
            try db.execute(sql: "UPDATE account SET totp = totpPending, totpPending = NULL, totpLastStep = ?, epoch = epoch + 1 WHERE name = ?",
                           arguments: [step, name])
            return true
        }
    }

    /// Removes the second factor (the account signs in with its password alone again).
    package func removeSecondFactor(name: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE account SET totp = NULL, totpPending = NULL, totpLastStep = NULL WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw AccountError.notFound(name) }
        }
    }

    /// Checks a code for an account that has a second factor; a code is good once.
    func verifySecondFactor(name: String, code: String, now: Date = Date()) throws -> Bool {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT totp, totpLastStep FROM account WHERE name = ?", arguments: [name]),
                  let sealed = row["totp"] as String? else { return false }
            guard let step = Self.matchingStep(try secrets.open(text: sealed), code: code, now: now) else { return false }
            if let last = row["totpLastStep"] as Int64?, step <= last { return false }
            try db.execute(sql: "UPDATE account SET totpLastStep = ? WHERE name = ?", arguments: [step, name])
            return true
        }
    }

    /// The time step (now, one before or one after) whose code is `code`, or nil.
    static func matchingStep(_ secret: String, code: String, now: Date) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let wanted = Int(digits) else { return nil }
        let totp = TOTP(secret: secret)
        for offset in [0, -1, 1] {
            let date = now.addingTimeInterval(Double(offset * 30))
            if totp.compute(date: date) == wanted { return Int64(date.timeIntervalSince1970 / 30) }
        }
        return nil
    }

    static let base32 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

extension AccountStore {
    /// Re-seals every second-factor key with the current key (`cctv-out secrets rotate`).
    /// - Returns: how many were re-sealed.
    package func resealSecondFactors() throws -> Int {
        try database.write { db in
            var count = 0
            for row in try Row.fetchAll(db, sql: "SELECT name, totp, totpPending FROM account WHERE totp IS NOT NULL OR totpPending IS NOT NULL") {
                var values: [String?] = []
                for column in ["totp", "totpPending"] {
                    guard let sealed = row[column] as String? else { values.append(nil); continue }
                    if try secrets.isCurrent(sealed) { values.append(sealed); continue }
                    values.append(try secrets.seal(try secrets.open(sealed)))
                    count += 1
                }
                try db.execute(sql: "UPDATE account SET totp = ?, totpPending = ? WHERE name = ?", arguments: [values[0], values[1], row["name"] as String])
            }
            return count
        }
    }
}
