import CCTVContract
import Foundation
import Gateway
import HummingbirdOTP
import Testing
import TestSupport

/// Browser sessions against the real gateway: first-start setup, cookie flags, CSRF, the sign-in
/// throttle, sign-out and revocation, the second factor, the audit log and the security headers.
@Suite("browser sessions, CSRF and sign-in", .serialized, .runsAlone)
struct SessionSecurityTests {
    /// Signs in and returns the session cookie (`name=value`), its full Set-Cookie line and the CSRF token.
    static func signIn(_ rest: RESTCaller, name: String, password: String, code: String? = nil) async throws -> (cookie: String, setCookie: String, csrf: String) {
        let body = code.map { #"{"name":"\#(name)","password":"\#(password)","code":"\#($0)"}"# } ?? #"{"name":"\#(name)","password":"\#(password)"}"#
        let answer = try await rest.call(.POST, "/api/session", body: body)
        #expect(answer.status == 200, "sign-in: \(answer.body)")
        let setCookie = answer.values("Set-Cookie").first { $0.hasPrefix(AccessControl.cookieName + "=") } ?? ""
        struct Me: Decodable { var csrfToken: String? }
        let csrf = (try? JSONDecoder().decode(Me.self, from: answer.data))?.csrfToken ?? ""
        return (String(setCookie.split(separator: ";").first ?? ""), setCookie, csrf)
    }

    @Test("first start: nothing but the setup page until the first admin exists, made with the code from the log")
    func firstStart() async throws {
        let harness = try await GatewayHarness()
        let rest = harness.rest
        let before = try await rest.call(.GET, "/api/summary")
        #expect(before.status == 401 && before.body.contains("setup_required"))
        let page = try await rest.call(.GET, "/", headers: [("Accept", "text/html")])
        #expect(page.status == 303 && page.values("Location") == ["/setup"])
        #expect(try await rest.call(.GET, "/setup").status == 200)
        #expect(try await rest.call(.GET, "/login").status == 401, "not even the sign-in page before setup")

        let line = harness.logs.all.first { $0.contains("setup code") } ?? ""
        let code = line.split(separator: " ").first { $0.count == 14 && $0.filter { $0 == "-" }.count == 2 }.map(String.init) ?? ""
        #expect(!code.isEmpty, "the setup code is in the log: \(line)")
        let wrong = try await rest.call(.POST, "/api/setup", body: #"{"code":"AAAA-BBBB-CCCC","name":"chief","password":"long enough password"}"#)
        #expect(wrong.status == 403)
        let made = try await rest.call(.POST, "/api/setup", body: #"{"code":"\#(code)","name":"chief","password":"long enough password"}"#)
        #expect(made.status == 201, "\(made.body)")
        let cookie = String(made.values("Set-Cookie").first?.split(separator: ";").first ?? "")
        #expect(try await rest.call(.GET, "/api/summary", cookie: cookie).status == 200, "signed in as the new admin")
        let again = try await rest.call(.POST, "/api/setup", body: #"{"code":"\#(code)","name":"second","password":"long enough password"}"#)
        #expect(again.status == 409, "the code works once")
        await harness.stop()
    }

    @Test("the session cookie is HttpOnly, SameSite=Strict; a change needs the CSRF token and our own Origin")
    func cookieAndCSRF() async throws {
        let harness = try await GatewayHarness()
        try TestAccounts.account(dataDir: harness.dataDir, name: "alice", role: .admin)
        let rest = harness.rest
        let session = try await Self.signIn(rest, name: "alice", password: TestAccounts.password)
        let flags = session.setCookie.lowercased()
        #expect(flags.contains("httponly"), "\(session.setCookie)")
        #expect(flags.contains("samesite=strict"), "\(session.setCookie)")
        #expect(flags.contains("path=/"), "\(session.setCookie)")
        #expect(!flags.contains("secure"), "no Secure flag over plain HTTP: \(session.setCookie)")

        let camera = #"{"id":"CAM-CSRF","address":"csrf.cams.test"}"#
        let missing = try await rest.call(.POST, "/api/cameras", body: camera, cookie: session.cookie)
        #expect(missing.status == 403 && missing.body.contains("csrf"), "no CSRF token: \(missing.body)")
        let forged = try await rest.call(.POST, "/api/cameras", body: camera, cookie: session.cookie, csrf: "forged")
        #expect(forged.status == 403)
        let foreign = try await rest.call(.POST, "/api/cameras", body: camera, cookie: session.cookie, csrf: session.csrf,
                                          headers: [("Origin", "http://evil.example")])
        #expect(foreign.status == 403, "another site's page cannot post with our cookie")
        let ok = try await rest.call(.POST, "/api/cameras", body: camera, cookie: session.cookie, csrf: session.csrf,
                                     headers: [("Origin", rest.base)])
        #expect(ok.status == 201, "\(ok.body)")
        #expect(try await rest.call(.GET, "/api/cameras/CAM-CSRF", cookie: session.cookie).status == 200, "reading needs no CSRF token")

        // Security headers on pages and API answers alike.
        for path in ["/", "/api/summary"] {
            let answer = try await rest.call(.GET, path, cookie: session.cookie)
            let csp = answer.values("Content-Security-Policy").first ?? ""
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "\(path): \(csp)")
            #expect(answer.values("X-Content-Type-Options") == ["nosniff"])
        }

        // Signing out ends the session on the server: the old cookie is worthless.
        let out = try await rest.call(.DELETE, "/api/session", cookie: session.cookie, csrf: session.csrf)
        #expect(out.status == 204)
        #expect(try await rest.call(.GET, "/api/summary", cookie: session.cookie).status == 401)
        await harness.stop()
    }

    @Test("sign-in is throttled per account and per address, and a wrong name reads exactly like a wrong password")
    func throttle() async throws {
        let harness = try await GatewayHarness()
        try TestAccounts.account(dataDir: harness.dataDir, name: "bob", role: .viewer)
        let rest = harness.rest
        let wrongName = try await rest.call(.POST, "/api/session", body: #"{"name":"no-such-person","password":"whatever it is"}"#)
        let wrongPassword = try await rest.call(.POST, "/api/session", body: #"{"name":"bob","password":"not his password"}"#)
        #expect(wrongName.status == 401 && wrongPassword.status == 401)
        #expect(wrongName.body == wrongPassword.body, "same answer: \(wrongName.body) vs \(wrongPassword.body)")
        for _ in 0..<4 { _ = try await rest.call(.POST, "/api/session", body: #"{"name":"bob","password":"not his password"}"#) }
        let locked = try await rest.call(.POST, "/api/session", body: #"{"name":"bob","password":"\#(TestAccounts.password)"}"#)
        #expect(locked.status == 429, "after 5 failures even the right password waits: \(locked.body)")
        #expect(Int(locked.values("Retry-After").first ?? "") ?? 0 > 0)
        // The address is counted too: guessing other names from it is stopped as well.
        for index in 0..<20 { _ = try await rest.call(.POST, "/api/session", body: #"{"name":"guess-\#(index)","password":"whatever it is"}"#) }
        let fromAddress = try await rest.call(.POST, "/api/session", body: #"{"name":"someone-new","password":"whatever it is"}"#)
        #expect(fromAddress.status == 429)

        let audit = try await rest.call(.GET, "/api/audit?limit=1000", token: try TestAccounts.adminToken(dataDir: harness.dataDir))
        #expect(audit.body.contains("\"action\":\"session.login\"") && audit.body.contains("\"outcome\":429") && audit.body.contains("127.0.0.1"))
        await harness.stop()
    }

    @Test("a password change or a removed account ends its sessions; the audit log names who did what from where")
    func revocationAndAudit() async throws {
        let harness = try await GatewayHarness()
        try TestAccounts.account(dataDir: harness.dataDir, name: "carol", role: .operator)
        let rest = harness.rest
        let session = try await Self.signIn(rest, name: "carol", password: TestAccounts.password)
        let admin = try TestAccounts.adminToken(dataDir: harness.dataDir)
        _ = try await rest.call(.POST, "/api/cameras", body: #"{"id":"CAM-ACT","address":"act.cams.test","site":"A"}"#, token: admin)
        try await harness.publishICMP("CAM-ACT", .fail)
        struct Items: Decodable { var items: [IssueRecord] }
        let found = Recorder<String>()
        #expect(await eventually(timeout: .seconds(15)) {
            guard let answer = try? await rest.call(.GET, "/api/issues?camera=CAM-ACT", token: admin),
                  let id = (try? ContractCodec.decodeValue(Items.self, from: answer.data))?.items.first?.id else { return false }
            found.append(id)
            return true
        })
        let issueID = found.all.first ?? ""
        // The actor is the signed-in account, whatever the body claims.
        let acked = try await rest.call(.POST, "/api/issues/\(issueID)/acknowledge", body: #"{"actor":"someone else","note":"seen"}"#,
                                        cookie: session.cookie, csrf: session.csrf)
        #expect(acked.status == 200, "\(acked.body)")
        let record = try? ContractCodec.decodeValue(IssueRecord.self, from: acked.data)
        #expect(record?.history.last?.actor == "carol", "\(acked.body)")

        let audit = try await rest.call(.GET, "/api/audit?limit=1000", token: admin)
        struct Entries: Decodable { var items: [AccountStore.AuditEntry] }
        let entries = try ContractCodec.decodeValue(Entries.self, from: audit.data).items
        #expect(entries.contains { $0.actor == "carol" && $0.action == "issue.acknowledge" && $0.outcome == 200 && $0.address == "127.0.0.1" && $0.target == "/api/issues/\(issueID)/acknowledge" })
        #expect(entries.contains { $0.actor.hasPrefix("token:") && $0.action == "camera.create" && $0.outcome == 201 })
        #expect(try await rest.call(.GET, "/api/audit", cookie: session.cookie).status == 403, "operators do not read the audit log")

        // `cctv-out users passwd` works on the same file: the session ends at its next request.
        try AccountStore(dataDir: harness.dataDir, bcryptCost: 4).setPassword(name: "carol", password: "a brand new password")
        #expect(try await rest.call(.GET, "/api/summary", cookie: session.cookie).status == 401)
        let again = try await Self.signIn(rest, name: "carol", password: "a brand new password")
        try AccountStore(dataDir: harness.dataDir, bcryptCost: 4).removeAccount(name: "carol")
        #expect(try await rest.call(.GET, "/api/summary", cookie: again.cookie).status == 401)
        await harness.stop()
    }

    @Test("with a second factor, sign-in needs the authenticator code, and a code works once")
    func secondFactor() async throws {
        let harness = try await GatewayHarness()
        try TestAccounts.account(dataDir: harness.dataDir, name: "dave", role: .admin)
        let rest = harness.rest
        let session = try await Self.signIn(rest, name: "dave", password: TestAccounts.password)
        let enrol = try await rest.call(.POST, "/api/account/totp", cookie: session.cookie, csrf: session.csrf)
        let enrolment = try JSONDecoder().decode(AccountStore.SecondFactorEnrolment.self, from: enrol.data)
        #expect(enrolment.uri.hasPrefix("otpauth://totp/"))
        let key = String(decoding: try #require(Base32.decode(enrolment.secret)), as: UTF8.self)
        let code = String(format: "%06d", TOTP(secret: key).compute())
        let confirmed = try await rest.call(.POST, "/api/account/totp/confirm", body: #"{"code":"\#(code)"}"#, cookie: session.cookie, csrf: session.csrf)
        #expect(confirmed.status == 204, "\(confirmed.body)")

        let noCode = try await rest.call(.POST, "/api/session", body: #"{"name":"dave","password":"\#(TestAccounts.password)"}"#)
        #expect(noCode.status == 401 && noCode.body.contains("second_factor_required"))
        let reused = try await rest.call(.POST, "/api/session", body: #"{"name":"dave","password":"\#(TestAccounts.password)","code":"\#(code)"}"#)
        #expect(reused.status == 401, "the code used to confirm cannot sign in again")
        // The next time step's code signs in.
        let next = String(format: "%06d", TOTP(secret: key).compute(date: Date().addingTimeInterval(30)))
        _ = try await Self.signIn(rest, name: "dave", password: TestAccounts.password, code: next)
        await harness.stop()
    }

    @Test("over HTTPS (http.tls-cert/key) the gateway serves TLS, the session cookie is Secure, and HSTS is sent")
    func https() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("https-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let certificate = try TestCertificate(in: dir, name: "gateway")
        let harness = try await GatewayHarness { configuration in
            configuration.gateway.tlsCertificate = certificate.certificate
            configuration.gateway.tlsKey = certificate.key
        }
        #expect(harness.rest.base.hasPrefix("https://"))
        try TestAccounts.account(dataDir: harness.dataDir, name: "erin", role: .viewer)
        let session = try await Self.signIn(harness.rest, name: "erin", password: TestAccounts.password)
        #expect(session.setCookie.lowercased().contains("secure"), "\(session.setCookie)")
        let answer = try await harness.rest.call(.GET, "/api/summary", cookie: session.cookie)
        #expect(answer.status == 200)
        #expect(answer.values("Strict-Transport-Security").first?.contains("max-age=") == true)
        await harness.stop()
    }
}

/// RFC 4648 base32 (what authenticator apps take), decoding only.
enum Base32 {
    static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0, value = 0
        var out: [UInt8] = []
        for character in text.uppercased() where character != "=" {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            value = (value << 5) | index
            bits += 5
            if bits >= 8 { out.append(UInt8((value >> (bits - 8)) & 0xff)); bits -= 8 }
        }
        return out
    }
}
