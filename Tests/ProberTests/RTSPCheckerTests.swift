import CCTVContract
import Foundation
@testable import Prober
import TestSupport
import Testing

/// GStreamer's RTSP server (gst-rtsp-server through Debian's /usr/bin/python3) on a free
/// loopback port: `/good`, `/audio` (audio only), `/silent` (DESCRIBE but no packets), with
/// Digest or Basic authentication for admin/secret. Ends when the test drops it (its stdin
/// closes) and by itself after 300 s.
final class GStreamerRTSPServer: Sendable {
    static let packages = "gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-rtsp"
    let port: Int
    private let server: ReadyScript

    init(auth: String) throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw FixtureError("/usr/bin/python3 is missing: the RTSP tests run GStreamer's RTSP server through Debian's python3 (apt-get install python3 \(Self.packages))")
        }
        port = try FreePort.find()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/rtsp_server.py").path
        // The first line says READY, or why not (a missing GStreamer module's traceback).
        server = try ReadyScript(python: python, script: script, arguments: ["\(port)", auth],
                                 failure: "GStreamer's RTSP server did not start (scripts/install-deps.sh installs \(Self.packages))")
    }

    func url(_ path: String) -> String { "rtsp://127.0.0.1:\(port)\(path)" }

    func stop() { server.stop() }
}

@Suite("RTSP check against GStreamer's RTSP server", .serialized, .runsAlone)
struct RTSPCheckerTests {
    static let admin = StreamCredentials(username: "admin", password: "secret")
    static let checker = RTSPChecker(limits: .init(timeBudget: .seconds(10), packetWindow: .seconds(2)))

    @Test("a good stream behind Digest auth is SUCCESS with codec H264 and video packets flowing")
    func goodDigest() async throws {
        let server = try GStreamerRTSPServer(auth: "digest")
        let verdict = await Self.checker.check(url: server.url("/good"), credentials: Self.admin)
        #expect(verdict.status == .success, "\(verdict)")
        #expect(verdict.reason == "ok" && verdict.codec == "H264" && verdict.rtspStatus == 200)
        #expect((verdict.packets ?? 0) > 0)
        #expect(verdict.describeMs != nil)
    }

    @Test("Basic auth works too, and without the packet window the check stops after DESCRIBE")
    func basicDescribeOnly() async throws {
        let server = try GStreamerRTSPServer(auth: "basic")
        let verdict = await RTSPChecker(limits: .init(packetWindow: nil)).check(url: server.url("/good"), credentials: Self.admin)
        #expect(verdict.status == .success, "\(verdict)")
        #expect(verdict.codec == "H264" && verdict.packets == nil)
    }

    @Test("a wrong password or none is FAIL rtsp_auth_rejected (credentials changed)")
    func authRejected() async throws {
        let server = try GStreamerRTSPServer(auth: "digest")
        let wrong = await Self.checker.check(url: server.url("/good"), credentials: .init(username: "admin", password: "changed"))
        #expect(wrong.status == .fail && wrong.reason == "rtsp_auth_rejected" && wrong.rtspStatus == 401, "\(wrong)")
        let none = await Self.checker.check(url: server.url("/good"))
        #expect(none.status == .fail && none.reason == "rtsp_auth_rejected", "\(none)")
        #expect(none.detail?.contains("none are registered") == true)
    }

    @Test("a wrong path is FAIL rtsp_not_found")
    func notFound() async throws {
        let server = try GStreamerRTSPServer(auth: "digest")
        let verdict = await Self.checker.check(url: server.url("/nope"), credentials: Self.admin)
        #expect(verdict.status == .fail && verdict.reason == "rtsp_not_found", "\(verdict)")
    }

    @Test("an audio-only stream is FAIL rtsp_no_video")
    func audioOnly() async throws {
        let server = try GStreamerRTSPServer(auth: "digest")
        let verdict = await Self.checker.check(url: server.url("/audio"), credentials: Self.admin)
        #expect(verdict.status == .fail && verdict.reason == "rtsp_no_video", "\(verdict)")
        #expect(verdict.hasAudio == true)
    }

    @Test("a server that answers DESCRIBE but sends no packets is FAIL rtsp_no_packets")
    func noPackets() async throws {
        let server = try GStreamerRTSPServer(auth: "digest")
        let verdict = await Self.checker.check(url: server.url("/silent"), credentials: Self.admin)
        #expect(verdict.status == .fail && verdict.reason == "rtsp_no_packets", "\(verdict)")
        #expect(verdict.codec == "H264" && verdict.packets == 0)
    }

    @Test("nothing listening is ERROR rtsp_refused; a port above 65535 is ERROR bad_url")
    func unreachable() async throws {
        let refused = await Self.checker.check(url: "rtsp://127.0.0.1:\(try FreePort.find())/good")
        #expect(refused.status == .error && refused.reason == "rtsp_refused", "\(refused)")
        let bad = await Self.checker.check(url: "rtsp://127.0.0.1:70000/good")
        #expect(bad.status == .error && bad.reason == "bad_url", "\(bad)")
    }

    @Test("a server that accepts and never answers is ERROR rtsp_timeout within the budget")
    func silentServer() async throws {
        let listener = try SilentListener()
        let started = ContinuousClock.now
        let verdict = await RTSPChecker(limits: .init(timeBudget: .seconds(1), packetWindow: .seconds(1))).check(url: "rtsp://127.0.0.1:\(listener.port)/x")
        #expect(verdict.status == .error && verdict.reason == "rtsp_timeout", "\(verdict)")
        #expect(ContinuousClock.now - started < .seconds(10), "bounded by the budget (generous safety net)")
    }
}

/// A TCP port that completes handshakes (the kernel's backlog) and never says a word.
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw FixtureError("could not listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

@Suite("RTSP wire format", .runsAlone)
struct RTSPWireTests {
    @Test("responses and interleaved packets are split wherever the bytes are cut")
    func reader() throws {
        let bytes = Array("RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nhello".utf8) + [0x24, 0, 0, 3, 1, 2, 3]
            + Array("RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"a\"\r\nWWW-Authenticate: Basic realm=\"a\"\r\n\r\n".utf8)
        var reader = RTSPStreamReader()
        var seen: [RTSPInbound] = []
        for byte in bytes {
            reader.append([byte])
            while let message = try reader.next() { seen.append(message) }
        }
        #expect(seen.count == 3)
        guard case let .response(ok) = seen[0], case .interleaved(0, 3) = seen[1], case let .response(challenge) = seen[2] else {
            Issue.record("\(seen)"); return
        }
        #expect(ok.status == 200 && ok.body == Array("hello".utf8))
        #expect(challenge.headers("www-authenticate").count == 2)
    }

    @Test("a camera's endless header or huge body is refused, not buffered")
    func limits() {
        var reader = RTSPStreamReader()
        reader.append(Array("RTSP/1.0 200 OK\r\n".utf8) + [UInt8](repeating: 65, count: RTSPStreamReader.maxHeaderBytes + 10))
        #expect(throws: RTSPProtocolError.headerTooLarge(limit: RTSPStreamReader.maxHeaderBytes)) { _ = try reader.next() }
        var huge = RTSPStreamReader()
        huge.append(Array("RTSP/1.0 200 OK\r\nContent-Length: 999999999\r\n\r\n".utf8))
        #expect(throws: RTSPProtocolError.bodyTooLarge(limit: RTSPStreamReader.maxBodyBytes)) { _ = try huge.next() }
        var http = RTSPStreamReader()
        http.append(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        #expect(throws: RTSPProtocolError.self) { _ = try http.next() }
    }

    @Test("SDP: the video track, its codec and control URL; audio-only has no video")
    func sdp() {
        let text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\nm=audio 0 RTP/AVP 0\r\na=control:trackID=2\r\n"
        let sdp = SessionDescription(parsing: text)
        #expect(sdp.video?.codec == "H264" && sdp.video?.control == "trackID=1")
        #expect(sdp.media.map(\.kind) == ["video", "audio"])
        #expect(SessionDescription.controlURL("trackID=1", base: "rtsp://cam/live/") == "rtsp://cam/live/trackID=1")
        #expect(SessionDescription.controlURL("rtsp://other/x", base: "rtsp://cam/live") == "rtsp://other/x")
        #expect(SessionDescription(parsing: "v=0\nm=audio 0 RTP/AVP 0\n").video == nil)
        #expect(SessionDescription(parsing: "v=0\nm=video 0 RTP/AVP 26\n").video?.codec == "JPEG")
    }

    @Test("Digest for RTSP digests the whole rtsp:// URL, with qop (nc, cnonce) or without")
    func digest() {
        let url = "rtsp://10.0.0.5:554/Streaming/Channels/101"
        let credentials = StreamCredentials(username: "admin", password: "secret")
        let plain = RTSPSession.answer(#"Digest realm="cam", nonce="abc""#, method: "DESCRIBE", url: url, credentials: credentials) ?? ""
        let ha1 = MD5.hex("admin:cam:secret"), ha2 = MD5.hex("DESCRIBE:\(url)")
        #expect(plain.contains(#"uri="\#(url)""#) && plain.contains(#"response="\#(MD5.hex("\(ha1):abc:\(ha2)"))""#))
        let qop = RTSPSession.answer(#"Digest realm="cam", nonce="abc", qop="auth""#, method: "DESCRIBE", url: url, credentials: credentials) ?? ""
        #expect(qop.contains("qop=auth") && qop.contains("nc=00000001") && qop.contains("cnonce="))
        #expect(RTSPSession.answer(#"Basic realm="cam""#, method: "DESCRIBE", url: url, credentials: credentials) == "Basic YWRtaW46c2VjcmV0")
    }
}
