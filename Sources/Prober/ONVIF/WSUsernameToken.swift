import Crypto
import Foundation

/// WS-Security UsernameToken with `PasswordDigest` (OASIS UsernameToken Profile 1.0 §3.1), the way
/// ONVIF devices authenticate SOAP calls (ONVIF Core §5.12):
/// `PasswordDigest = Base64(SHA-1(nonce + Created + password))`, `nonce` being the raw bytes.
///
/// The password never travels: only the digest, which is good for one nonce and a `Created` time
/// the device accepts (within a few minutes of *its own* clock, hence ``created`` is the camera's
/// time, not ours). `PasswordText` is never sent.
struct WSUsernameToken: Sendable, Equatable {
    var username: String
    /// Base64 of the raw nonce bytes.
    var nonce: String
    /// `yyyy-MM-ddTHH:mm:ssZ` in the device's time.
    var created: String
    /// Base64(SHA-1(nonce bytes + created + password)).
    var digest: String

    /// - Parameters:
    ///   - deviceTime: the camera's clock now (ours plus the measured skew).
    ///   - nonce: 16 random bytes unless a test gives its own.
    init(username: String, password: String, deviceTime: Date, nonce: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }) {
        self.username = username
        self.nonce = Data(nonce).base64EncodedString()
        self.created = Self.timestamp(deviceTime)
        self.digest = Self.digest(nonce: nonce, created: created, password: password)
    }

    static func digest(nonce: [UInt8], created: String, password: String) -> String {
        Data(Insecure.SHA1.hash(data: nonce + Array(created.utf8) + Array(password.utf8))).base64EncodedString()
    }

    /// UTC, whole seconds, `Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// The `<wsse:Security>` SOAP header element.
    var header: String {
        """
        <wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" \
        xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken>\
        <wsse:Username>\(SOAPMessage.escape(username))</wsse:Username>\
        <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">\(digest)</wsse:Password>\
        <wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">\(nonce)</wsse:Nonce>\
        <wsu:Created>\(created)</wsu:Created></wsse:UsernameToken></wsse:Security>
        """
    }
}
