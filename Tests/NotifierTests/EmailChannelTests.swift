import Foundation
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// A real SMTP server (aiosmtpd, started by the test on a free loopback port) receiving the mail.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let directory: String
    let process: ChildProcess

    init(auth: (String, String)? = nil, starttls: (cert: String, key: String)? = nil) async throws {
        try RequiredTool.requirePythonModule("aiosmtpd")
        port = try FreePort.find()
        directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/smtp_sink.py").path
        var arguments = [script, String(port), directory]
        if let auth { arguments += ["--auth", "\(auth.0):\(auth.1)"] }
        if let starttls { arguments += ["--starttls", starttls.cert, starttls.key] }
        // Debian's python3 (where install-deps.sh puts aiosmtpd), not the first python3 on PATH:
        // CI's PATH starts with a pyenv python3 without it, and three tests failed there.
        let python = try RequiredTool.path("python3", package: "python3")
        process = try ChildProcess.dyingWithTests(executable: python, arguments: arguments, logFile: directory + "/server.log")
        for _ in 0..<250 where !FreePort.isListening(port) { try await Task.sleep(for: .milliseconds(20)) }
        guard FreePort.isListening(port) else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw FixtureError("aiosmtpd did not start (scripts/install-deps.sh installs it): \(log.suffix(500))")
        }
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every mail received so far, in order.
    var mails: [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
            .sorted { Int($0.dropLast(5)) ?? 0 < Int($1.dropLast(5)) ?? 0 }
        return names.compactMap { name in
            FileManager.default.contents(atPath: "\(directory)/\(name)").flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }
}

@Suite("email over SMTP (libcurl) to a real SMTP server on loopback", .runsAlone)
struct EmailChannelTests {
    func deliver(_ channel: ChannelConfig, event: NotificationEvent = .opened) async -> DeliveryOutcome {
        let team = Team(id: "KT-1", name: "KT", role: .lineTeam, language: .ko, channels: [channel])
        let payload = ChannelPayload.render(Recipient(team: team, channel: channel), event: event, issue: sampleIssue(kind: .line, team: "KT-1"),
                                            dashboard: "http://dash.example", timeZone: TimeZone(identifier: "Asia/Seoul")!, deliveryID: "D-42")
        return await EmailChannel(timeoutSeconds: 10).send(payload, via: channel, deliveryID: "D-42")
    }

    @Test("a Korean incident mail arrives with subject and body intact")
    func plainSMTP() async throws {
        let smtp = try await SMTPSink()
        let outcome = await deliver(.init(id: "mail", type: .email, url: "smtp://127.0.0.1:\(smtp.port)", from: "cctv@example.kr", to: ["noc@example.kr", "kt@example.kr"]))
        #expect(outcome == .delivered(status: 250))
        let mail = try #require(smtp.mails.first)
        #expect(mail["from"] as? String == "cctv@example.kr")
        #expect(mail["to"] as? [String] == ["noc@example.kr", "kt@example.kr"])
        let subject = try #require(mail["subject"] as? String)
        #expect(subject.hasPrefix("회선 장애 발생 — [회선 장애] 정문 (10.0.0.1) [본관] 핑 응답 없음"))
        let body = try #require(mail["body"] as? String)
        #expect(body.contains("카메라: 정문 (10.0.0.1)"))
        #expect(body.contains("현장: 본관"))
        #expect(body.contains("진단: 회선"))
        #expect(body.contains("발생 시각: 2027-01-15 17:00:00 KST"))
        #expect(body.contains("대시보드: http://dash.example/#camera=CAM-1&incident=I-1"))
        #expect((mail["headers"] as? [String: String])?["Message-ID"] == "<D-42@cctv-out>")
    }

    @Test("STARTTLS with AUTH: TLS required, the server's CA trusted, credentials accepted")
    func starttlsAndAuth() async throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let certificate = try TestCertificate(in: dir)
        let smtp = try await SMTPSink(auth: ("cctv", "비밀-pass"), starttls: (certificate.certificate, certificate.key))
        var channel = ChannelConfig(id: "mail", type: .email, url: "smtp://127.0.0.1:\(smtp.port)", from: "cctv@example.kr", to: ["noc@example.kr"],
                                    username: "cctv", password: "비밀-pass", requireTLS: true, caFile: certificate.certificate)
        #expect(await deliver(channel, event: .resolved) == .delivered(status: 250))
        let mail = try #require(smtp.mails.first)
        #expect(mail["tls"] as? Bool == true)
        #expect(mail["authenticated"] as? Bool == true)
        #expect((mail["subject"] as? String)?.hasPrefix("정상화: 회선 장애 해소") == true)

        channel.password = "wrong"
        if case let .failed(_, error, permanent) = await deliver(channel) {
            #expect(permanent, "refused credentials are not retried: \(error)")
        } else {
            Issue.record("a wrong password was accepted")
        }
        #expect(smtp.mails.count == 1)
    }

    @Test("credentials are never sent to a server that does not offer STARTTLS")
    func noCleartextAuth() async throws {
        let smtp = try await SMTPSink(auth: ("cctv", "secret"))
        let outcome = await deliver(.init(id: "mail", type: .email, url: "smtp://127.0.0.1:\(smtp.port)", from: "cctv@example.kr", to: ["noc@example.kr"],
                                          username: "cctv", password: "secret"))
        if case .delivered = outcome { Issue.record("sent AUTH in clear") }
        #expect(smtp.mails.isEmpty)
    }

    @Test("a dead SMTP server is a transient failure, bounded in time")
    func refused() async throws {
        let port = try FreePort.find()
        if case let .failed(_, error, permanent) = await deliver(.init(id: "mail", type: .email, url: "smtp://127.0.0.1:\(port)", from: "a@b.c", to: ["d@e.f"])) {
            #expect(!permanent)
            #expect(error.hasPrefix("SMTP: "))
        } else {
            Issue.record("delivered to nowhere")
        }
    }
}
