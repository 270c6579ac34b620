import Foundation
@testable import Prober
import Testing

@Suite("camera stream authentication")
struct HTTPAuthenticationTests {
    @Test("MD5 matches the RFC 1321 test vectors")
    func md5() {
        #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890") == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test("a digest challenge is answered as in the RFC 2617 example")
    func digest() throws {
        let challenge = #"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#
        let answer = try #require(HTTPAuthentication.authorization(
            for: challenge, credentials: .init(username: "Mufasa", password: "Circle Of Life"), method: "GET",
            url: URL(string: "http://www.nowhere.org/dir/index.html")!, cnonce: "0a4f113b"))
        #expect(answer.contains(#"response="6629fae49393a05397450978507c4ef1""#))
        #expect(answer.contains(#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#))
    }

    @Test("a basic challenge is answered with base64 user:password")
    func basic() {
        let answer = HTTPAuthentication.authorization(for: #"Basic realm="cam""#, credentials: .init(username: "admin", password: "secret"),
                                                      method: "GET", url: URL(string: "http://cam/x")!)
        #expect(answer == "Basic YWRtaW46c2VjcmV0")
    }

    @Test("credentials never show in their description")
    func redacted() {
        let credentials = StreamCredentials(username: "admin", password: "hunter2")
        #expect(!"\(credentials)".contains("hunter2"))
        #expect(!"\(credentials)".contains("admin"))
    }
}
