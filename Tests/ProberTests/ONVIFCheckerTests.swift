import CCTVContract
import Foundation
import Prober
import TestSupport
import Testing

/// The ONVIF rung against the stub device (Scripts/onvif_stub.py) on a free loopback port, through
/// the prober's real HTTP adapter. The stub checks WS-UsernameToken the way cameras do: PasswordDigest
/// only, `Created` within 5 min of *its* clock, every nonce once.
@Suite("ONVIF check against a stub device", .serialized, .runsAlone)
struct ONVIFCheckerTests {
    static let admin = StreamCredentials(username: "admin", password: "secret")

    static func check(_ stub: ONVIFStub, credentials: StreamCredentials? = admin, limit: Double = 10) async -> ONVIFVerdict {
        let fetcher = HTTPClientHLSFetcher(connectionsPerHost: 2)
        let verdict = await ONVIFChecker(fetcher: fetcher, limits: .init(timeBudget: .seconds(10), clockSkewLimit: limit))
            .check(url: stub.url, credentials: credentials)
        await fetcher.shutdown()
        return verdict
    }

    /// How far a measured skew may be from the true one: the camera answers in whole seconds (1 s),
    /// the skew is rounded (0.5 s), and against the round trip's midpoint the answer may have been made
    /// anywhere in the round trip, which took at most `elapsed` (under load: seconds; CI once 3 s+).
    static func tolerance(_ elapsed: Duration) -> Double {
        1.5 + Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("a camera with the right clock is SUCCESS ok with its model, firmware and serial; the password never travels")
    func rightClock() async throws {
        let stub = try ONVIFStub()
        let started = ContinuousClock.now
        let verdict = await Self.check(stub)
        let tolerance = Self.tolerance(ContinuousClock.now - started)
        #expect(verdict.status == .success && verdict.reason == "ok", "\(verdict)")
        #expect(verdict.device?.serial == "SN-0001" && verdict.device?.firmware == "V5.7.3 build 240101")
        #expect(verdict.device?.model == "DS-2CD2143G2-I" && verdict.device?.manufacturer == "Stubvision")
        #expect(abs(verdict.clockSkewSeconds ?? 99) <= tolerance && verdict.clockSkewed == false, "\(verdict), tolerance \(tolerance) s")
        let log = try await stub.log()
        let signed = log.filter { $0["op"] as? String == "GetDeviceInformation" }
        #expect(signed.count == 1 && signed.first?["wsse"] as? String == "digest" && signed.first?["token_accepted"] as? Bool == true)
        #expect(!log.contains { $0["password_in_clear"] as? Bool == true })
    }

    @Test("a clock 7 minutes ahead is SUCCESS clock_skew, and device information is still read: the token is signed on the camera's clock")
    func skewedClock() async throws {
        let stub = try ONVIFStub(skew: 420)
        let started = ContinuousClock.now
        let verdict = await Self.check(stub)
        let tolerance = Self.tolerance(ContinuousClock.now - started)
        #expect(verdict.status == .success && verdict.reason == "clock_skew", "\(verdict)")
        #expect(abs((verdict.clockSkewSeconds ?? 0) - 420) <= tolerance && verdict.clockSkewed == true, "\(verdict), tolerance \(tolerance) s")
        // The detail names the measured skew with its sign (419–421 under load: whole seconds, a round trip).
        let shown = String(format: "+%.0f s off", verdict.clockSkewSeconds ?? 0)
        #expect(verdict.detail?.contains(shown) == true, "\(verdict.detail ?? "-")")
        // Signed on our own clock, the stub (like a camera) would refuse the token: 7 min > 5 min.
        #expect(verdict.device?.serial == "SN-0001")
        // A clock behind by as much is the same.
        let behind = await Self.check(try ONVIFStub(skew: -420))
        #expect(behind.reason == "clock_skew" && behind.device != nil && (behind.clockSkewSeconds ?? 0) < -400, "\(behind)")
    }

    @Test("a wrong password is FAIL onvif_auth_rejected, with the clock still reported")
    func wrongPassword() async throws {
        let stub = try ONVIFStub(password: "changed-on-the-camera")
        let verdict = await Self.check(stub)
        #expect(verdict.status == .fail && verdict.reason == "onvif_auth_rejected", "\(verdict)")
        #expect(verdict.clockSkewSeconds != nil && verdict.device == nil)
    }

    @Test("without credentials the clock is still read and the verdict says device information needs them")
    func noCredentials() async throws {
        let verdict = await Self.check(try ONVIFStub(), credentials: nil)
        #expect(verdict.status == .success && verdict.device == nil, "\(verdict)")
        #expect(verdict.detail?.contains("credentials") == true)
    }

    @Test("a changed serial number is read as such on the next check")
    func changedSerial() async throws {
        let stub = try ONVIFStub()
        #expect(await Self.check(stub).device?.serial == "SN-0001")
        try await stub.setIdentity(serial: "SN-9999", firmware: "V5.8.0")
        let after = await Self.check(stub)
        #expect(after.device?.serial == "SN-9999" && after.device?.firmware == "V5.8.0", "\(after)")
    }

    @Test("a reply with a DTD (entity expansion) is FAIL onvif_malformed, not parsed")
    func garbage() async throws {
        let verdict = await Self.check(try ONVIFStub(garbage: true))
        #expect(verdict.status == .fail && verdict.reason == "onvif_malformed", "\(verdict)")
        #expect(verdict.detail?.contains("DTD") == true)
    }

    @Test("HTTP Digest on top of the SOAP call is answered; Basic over plain http is refused without sending the password")
    func httpAuthentication() async throws {
        let digest = await Self.check(try ONVIFStub(httpAuth: "digest"))
        #expect(digest.status == .success && digest.device?.serial == "SN-0001", "\(digest)")
        let basicStub = try ONVIFStub(httpAuth: "basic")
        let basic = await Self.check(basicStub)
        #expect(basic.status == .fail && basic.reason == "onvif_auth_insecure", "\(basic)")
        #expect(!(try await basicStub.log()).contains { $0["password_in_clear"] as? Bool == true })
    }

    @Test("nothing listening is ERROR onvif_refused; a non-http address is ERROR bad_url")
    func unreachable() async throws {
        let port = try FreePort.find()
        let fetcher = HTTPClientHLSFetcher(connectionsPerHost: 2)
        let checker = ONVIFChecker(fetcher: fetcher, limits: .init(timeBudget: .seconds(5)))
        let refused = await checker.check(url: "http://127.0.0.1:\(port)/onvif/device_service")
        #expect(refused.status == .error && refused.reason == "onvif_refused", "\(refused)")
        let bad = await checker.check(url: "ftp://127.0.0.1/onvif")
        #expect(bad.status == .error && bad.reason == "bad_url")
        await fetcher.shutdown()
    }

    @Test("the PyPI reference client onvif-zeep talks to the stub: it is a device real clients accept")
    func referenceClientAcceptsTheStub() async throws {
        try RequiredTool.requirePythonModule("onvif", pipPackage: "onvif-zeep")
        let python = try RequiredTool.path("python3", package: "python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/onvif_reference_client.py").path
        let stub = try ONVIFStub(skew: 420)
        let adjusted = try await ToolProcess.run(python, [script, "127.0.0.1", "\(stub.port)", "admin", "secret"])
        #expect(adjusted.standardOutput.contains("\"ok\": true") && adjusted.standardOutput.contains("SN-0001"), "\(adjusted.output.suffix(600))")
        // Without reading the clock first, the reference client is refused by the skewed stub too.
        let unadjusted = try await ToolProcess.run(python, [script, "127.0.0.1", "\(stub.port)", "admin", "secret", "--no-adjust"])
        #expect(unadjusted.standardOutput.contains("\"ok\": false"), "\(unadjusted.output.suffix(600))")
    }
}
