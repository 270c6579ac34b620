import AsyncHTTPClient
import Foundation
import NIOCore

/// The ONVIF device stub (`Tests/ProberTests/Scripts/onvif_stub.py`, Python standard library only)
/// on a free loopback port: `GetSystemDateAndTime` from a clock `skew` seconds off,
/// `GetDeviceInformation` behind WS-UsernameToken PasswordDigest checked against that clock, an
/// identity and a clock the test can change (``setIdentity(serial:firmware:)``, ``setClock(skew:)``) and a log of what each request
/// carried (``log()``); a PullPoint event service that emits events on demand (``emit(_:state:)``) and
/// can refuse renewals (``refuseRenewals(_:)``). Ends when the test drops it (its stdin closes) and by itself after 300 s.
package final class ONVIFStub: Sendable {
    package let port: Int
    private let script: ReadyScript

    /// - Parameters:
    ///   - skew: the device clock minus the real one, seconds.
    ///   - httpAuth: `none`, `digest` or `basic` HTTP authentication on the signed calls as well.
    ///   - garbage: answer `GetDeviceInformation` with a DTD (entity expansion).
    package init(skew: Double = 0, user: String = "admin", password: String = "secret", serial: String = "SN-0001",
                firmware: String = "V5.7.3 build 240101", httpAuth: String = "none", garbage: Bool = false) throws {
        let python = try RequiredTool.path("python3", package: "python3")
        port = try FreePort.find()
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ProberTests/Scripts/onvif_stub.py").standardized.path
        script = try ReadyScript(python: python, script: path,
                                 arguments: ["\(port)", "--skew", "\(skew)", "--user", user, "--password", password, "--serial", serial,
                                             "--firmware", firmware, "--http-auth", httpAuth] + (garbage ? ["--garbage"] : []),
                                 failure: "the ONVIF stub did not start")
    }

    /// The device service URL.
    package var url: String { "http://127.0.0.1:\(port)/onvif/device_service" }

    /// What each request carried: `op`, `wsse` (`digest`/`text`), `token_accepted`, `http_auth`, `password_in_clear`.
    package func log() async throws -> [[String: Any]] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/stub/log"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]]) ?? []
    }

    /// Makes the device report another serial number and/or firmware version.
    package func setIdentity(serial: String? = nil, firmware: String? = nil) async throws {
        var change: [String: String] = [:]
        change["serial"] = serial
        change["firmware"] = firmware
        try await post("/stub/identity", change)
    }

    /// Sets the device clock `skew` seconds off the real one (0 = right).
    package func setClock(skew: Double) async throws {
        try await post("/stub/clock", ["skew": skew])
    }

    private func post(_ path: String, _ object: [String: Any]) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
        _ = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    }

    /// Emits an event to every open pull point: `signal_loss` or `tamper`, its state.
    package func emit(_ kind: String = "signal_loss", state: Bool = true) async throws {
        try await post("/stub/event", ["kind": kind, "state": state])
    }

    /// Refuses the next `count` subscription renewals (a fault), as a camera that dropped them.
    package func refuseRenewals(_ count: Int = 1) async throws {
        try await post("/stub/refuse-renew", ["count": count])
    }

    package func stop() { script.stop() }
}
