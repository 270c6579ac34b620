import CCTVContract
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// What an RTSP check found, before it is stamped with the camera and prober ids.
package struct RTSPVerdict: Sendable, Equatable {
    /// SUCCESS, FAIL (the camera answered but the stream is unusable) or ERROR (unreachable).
    package var status: HLSStatus
    /// `ok`, `rtsp_auth_rejected`, `rtsp_not_found`, `rtsp_no_video`, `rtsp_no_packets`,
    /// `rtsp_timeout`, `rtsp_refused`, `rtsp_error`, `rtsp_protocol`, `dns_unresolved`, `bad_url`.
    package var reason: String
    package var detail: String?
    /// The status code of the last RTSP response.
    package var rtspStatus: Int?
    /// Video codec from the SDP (`H264`, `H265`, `JPEG`, …).
    package var codec: String?
    package var hasAudio: Bool?
    /// Video RTP packets seen in the packet window (`nil` when the window was not run).
    package var packets: Int?
    /// Connect to the DESCRIBE answer (the camera's RTSP server latency).
    package var describeMs: Double?

    package init(status: HLSStatus, reason: String, detail: String? = nil, rtspStatus: Int? = nil) {
        self.status = status; self.reason = reason; self.detail = detail; self.rtspStatus = rtspStatus
    }
}

/// Budgets of one RTSP check.
package struct RTSPCheckLimits: Sendable {
    /// Connect, OPTIONS, DESCRIBE (and SETUP/PLAY) must finish within this.
    package var timeBudget: Duration
    package var connectTimeout: Duration
    /// How long to count video packets after PLAY; `nil` stops after DESCRIBE (no media flows).
    package var packetWindow: Duration?
    /// Packets that prove the encoder runs; the window ends early once this many arrived.
    package var packetsEnough: Int

    package init(timeBudget: Duration = .seconds(5), connectTimeout: Duration = .seconds(3), packetWindow: Duration? = .seconds(2), packetsEnough: Int = 20) {
        self.timeBudget = timeBudget; self.connectTimeout = connectTimeout; self.packetWindow = packetWindow; self.packetsEnough = packetsEnough
    }
}

/// The RTSP rung of the check ladder, written over SwiftNIO (no ffmpeg): OPTIONS → DESCRIBE
/// (answering a Digest — with or without qop — or Basic challenge) → SDP with a video track
/// and its codec → optionally SETUP (RTP interleaved over the same TCP connection) + PLAY and
/// count video packets for ~2 s. Every step is bounded by the check's deadline and every byte
/// the camera sends is bounded in size (``RTSPStreamReader``).
package final class RTSPChecker: Sendable {
    let limits: RTSPCheckLimits
    let group: any EventLoopGroup
    let userAgent = "cctv-out-prober/1"

    package init(limits: RTSPCheckLimits = .init(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.limits = limits
        self.group = group
    }

    /// Checks `url` (an `rtsp://` URL without credentials) within the limits.
    package func check(url text: String, credentials: StreamCredentials? = nil) async -> RTSPVerdict {
        let endpoint: EndpointURL
        do {
            endpoint = try EndpointURL(validating: text, schemes: EndpointURL.rtsp)
        } catch {
            return RTSPVerdict(status: .error, reason: "bad_url", detail: "RTSP URL \(error)")
        }
        let started = ContinuousClock.now
        let window = limits.packetWindow ?? .zero
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(limits.timeBudget + window))
        let connected: (any Channel, NIOAsyncChannel<ByteBuffer, ByteBuffer>)
        do {
            connected = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(Self.nanoseconds(limits.connectTimeout)))
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        (channel, try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel))
                    }
                }
        } catch {
            return Self.connectFailure(error)
        }
        let (channel, asyncChannel) = connected
        // Closing the channel at the deadline ends every pending read: no step can outlive the budget.
        let expired = Atomic<Bool>(false)
        let closer = channel.eventLoop.scheduleTask(deadline: deadline) {
            expired.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        defer { closer.cancel() }
        do {
            return try await asyncChannel.executeThenClose { inbound, outbound in
                var session = RTSPSession(inbound: inbound.makeAsyncIterator(), outbound: outbound, userAgent: userAgent,
                                          credentials: credentials)
                return try await ladder(session: &session, url: endpoint.url.absoluteString, channel: channel, started: started)
            }
        } catch let stop as RTSPSession.Stop {
            return stop.verdict
        } catch {
            if expired.load(ordering: .relaxed) {
                return RTSPVerdict(status: .error, reason: "rtsp_timeout", detail: "no complete answer within \(limits.timeBudget + window)")
            }
            if let failure = error as? RTSPProtocolError {
                return RTSPVerdict(status: .fail, reason: "rtsp_protocol", detail: failure.description)
            }
            return RTSPVerdict(status: .error, reason: "rtsp_timeout", detail: "connection ended: \(String("\(error)".prefix(160)))")
        }
    }

    /// The rungs in order: OPTIONS, DESCRIBE (a video track in the SDP), then, with a packet window,
    /// SETUP and PLAY and the video packets counted.
    private func ladder(session: inout RTSPSession, url: String, channel: any Channel, started: ContinuousClock.Instant) async throws -> RTSPVerdict {
        let options = try await session.request("OPTIONS", url: url)
        // Some cameras want credentials even for OPTIONS; DESCRIBE answers the challenge.
        if options.status != 200 && options.status != 401 {
            if options.status == 404 { throw session.stop(.fail, "rtsp_not_found", "OPTIONS answered 404", options) }
        }
        let (verdict, describe, sdp, video) = try await describeVideo(session: &session, url: url, started: started)
        guard let window = limits.packetWindow else { return verdict }
        return try await play(video, of: sdp, describe: describe, verdict: verdict, window: window, session: &session, url: url, channel: channel)
    }

    /// DESCRIBE (authenticated when asked): the verdict so far with the codec, the answer, its SDP
    /// and the video track; throws the stop for a refusal, a missing stream or an SDP without video.
    private func describeVideo(session: inout RTSPSession, url: String, started: ContinuousClock.Instant) async throws
        -> (RTSPVerdict, RTSPResponse, SessionDescription, SessionDescription.Media) {
        let describe = try await session.authenticated("DESCRIBE", url: url, headers: [("Accept", "application/sdp")])
        var verdict = RTSPVerdict(status: .success, reason: "ok", rtspStatus: describe.status)
        verdict.describeMs = Self.milliseconds(ContinuousClock.now - started)
        switch describe.status {
        case 200: break
        case 401, 403:
            let why = session.credentials == nil ? "the camera asks for credentials and none are registered" : "the camera refused the registered credentials"
            throw session.stop(.fail, "rtsp_auth_rejected", "DESCRIBE answered \(describe.status): \(why)", describe)
        case 404: throw session.stop(.fail, "rtsp_not_found", "DESCRIBE answered 404: no stream at this path", describe)
        default: throw session.stop(.fail, "rtsp_error", "DESCRIBE answered \(describe.status) \(describe.reason)", describe)
        }
        let sdp = SessionDescription(parsing: String(decoding: describe.body, as: UTF8.self))
        verdict.hasAudio = sdp.media.contains { $0.kind == "audio" }
        guard let video = sdp.video else {
            let offered = sdp.media.map(\.kind).joined(separator: ", ")
            throw Self.failed(verdict, "rtsp_no_video", "the SDP offers no video track" + (offered.isEmpty ? "" : " (only \(offered))"), describe)
        }
        verdict.codec = video.codec
        return (verdict, describe, sdp, video)
    }

    /// The verdict so far turned into a FAIL stop with `reason`, `detail` and the answer's status.
    private static func failed(_ verdict: RTSPVerdict, _ reason: String, _ detail: String, _ response: RTSPResponse) -> RTSPSession.Stop {
        var stopped = verdict
        stopped.status = .fail; stopped.reason = reason; stopped.detail = detail; stopped.rtspStatus = response.status
        return RTSPSession.Stop(verdict: stopped)
    }

    /// SETUP of the video track over TCP, PLAY, and the video packets counted within `window`:
    /// `rtsp_no_packets` when SETUP or PLAY is refused, PLAY is not answered or no packet arrives.
    private func play(_ video: SessionDescription.Media, of sdp: SessionDescription, describe: RTSPResponse, verdict: RTSPVerdict, window: Duration,
                      session: inout RTSPSession, url: String, channel: any Channel) async throws -> RTSPVerdict {
        var verdict = verdict
        let base = describe.header("Content-Base") ?? describe.header("Content-Location") ?? url
        let setup = try await session.authenticated("SETUP", url: SessionDescription.controlURL(video.control, base: base),
                                                    headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")])
        guard setup.status == 200, let sessionID = setup.header("Session")?.split(separator: ";").first.map(String.init) else {
            throw Self.failed(verdict, "rtsp_no_packets", "SETUP of the video track answered \(setup.status) \(setup.reason)", setup)
        }
        // The window starts with PLAY and ends by closing the connection (which also ends the
        // RTSP session). Some servers answer PLAY only once their encoder delivers a frame, so a
        // PLAY still unanswered at the window's end is the same fault: no packets.
        let windowClosed = Atomic<Bool>(false)
        let windowEnd = channel.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(window))) {
            windowClosed.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        defer { windowEnd.cancel() }
        let play: RTSPResponse
        do {
            play = try await session.authenticated("PLAY", url: SessionDescription.controlURL(sdp.control, base: base),
                                                   headers: [("Session", sessionID), ("Range", "npt=0.000-")])
        } catch where windowClosed.load(ordering: .relaxed) {
            var stopped = verdict
            stopped.status = .fail; stopped.reason = "rtsp_no_packets"; stopped.packets = 0; stopped.rtspStatus = setup.status
            stopped.detail = "PLAY was not answered within \(window): the server is waiting for its encoder"
            return stopped
        }
        guard play.status == 200 else {
            throw Self.failed(verdict, "rtsp_no_packets", "PLAY answered \(play.status) \(play.reason)", play)
        }
        let packets = try await session.countPackets(channel: 0, enough: limits.packetsEnough)
        verdict.packets = packets
        if packets == 0 {
            verdict.status = .fail
            verdict.reason = "rtsp_no_packets"
            verdict.detail = "PLAY answered 200 but no video packet arrived within \(window)"
        }
        return verdict
    }

    static func connectFailure(_ error: any Error) -> RTSPVerdict {
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return RTSPVerdict(status: .error, reason: "dns_unresolved", detail: "the camera's host name does not resolve")
            }
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return RTSPVerdict(status: .error, reason: "rtsp_refused", detail: "connection refused: no RTSP server on this port")
            }
            if error.connectionErrors.contains(where: { if case .connectTimeout? = $0.error as? ChannelError { true } else { false } }) {
                return RTSPVerdict(status: .error, reason: "rtsp_timeout", detail: "TCP connect timed out")
            }
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return RTSPVerdict(status: .error, reason: "rtsp_refused", detail: "connection refused: no RTSP server on this port")
        }
        if "\(error)".contains("connectTimeout") { return RTSPVerdict(status: .error, reason: "rtsp_timeout", detail: "TCP connect timed out") }
        return RTSPVerdict(status: .error, reason: "rtsp_refused", detail: "could not connect: \(String("\(error)".prefix(160)))")
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }
}

/// One RTSP connection's requests and reads (CSeq, authentication, interleaved packets).
struct RTSPSession {
    /// A step that ended the check.
    struct Stop: Error { var verdict: RTSPVerdict }

    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let userAgent: String
    let credentials: StreamCredentials?
    var reader = RTSPStreamReader()
    var cseq = 0
    /// The challenge answered once; later requests answer it again for their method and URL.
    var challenge: String?

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
         userAgent: String, credentials: StreamCredentials?) {
        self.inbound = inbound; self.outbound = outbound; self.userAgent = userAgent; self.credentials = credentials
    }

    func stop(_ status: HLSStatus, _ reason: String, _ detail: String, _ response: RTSPResponse) -> Stop {
        Stop(verdict: RTSPVerdict(status: status, reason: reason, detail: detail, rtspStatus: response.status))
    }

    /// Sends a request, answering one 401 challenge with the credentials (Digest preferred).
    mutating func authenticated(_ method: String, url: String, headers: [(String, String)] = []) async throws -> RTSPResponse {
        var response = try await request(method, url: url, headers: headers + authorization(method, url: url))
        if response.status == 401, let credentials {
            let challenges = response.headers("WWW-Authenticate").sorted { lhs, _ in lhs.lowercased().hasPrefix("digest") }
            guard let first = challenges.first(where: { Self.answer($0, method: method, url: url, credentials: credentials) != nil }) else { return response }
            // A fresh challenge (new nonce) after credentials were sent means they were refused.
            guard challenge == nil || challenge != first else { return response }
            challenge = first
            response = try await request(method, url: url, headers: headers + authorization(method, url: url))
        }
        return response
    }

    private func authorization(_ method: String, url: String) -> [(String, String)] {
        guard let challenge, let credentials, let answer = Self.answer(challenge, method: method, url: url, credentials: credentials) else { return [] }
        return [("Authorization", answer)]
    }

    static func answer(_ challenge: String, method: String, url: String, credentials: StreamCredentials) -> String? {
        guard let parsed = URL(string: url) else { return nil }
        // RTSP digests the request URI as sent: the whole rtsp:// URL (RFC 2326 §D.2 via RFC 2069).
        return HTTPAuthentication.authorization(for: challenge, credentials: credentials, method: method, url: parsed, uri: url)
    }

    /// Sends one request and reads its response (skipping interleaved packets).
    mutating func request(_ method: String, url: String, headers: [(String, String)] = []) async throws -> RTSPResponse {
        cseq += 1
        var text = "\(method) \(url) RTSP/1.0\r\nCSeq: \(cseq)\r\nUser-Agent: \(userAgent)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        try await outbound.write(ByteBuffer(string: text))
        while true {
            while let message = try reader.next() {
                if case let .response(response) = message { return response }
            }
            guard let bytes = try await inbound.next() else { throw ChannelError.eof }
            reader.append(bytes.readableBytesView)
        }
    }

    /// Counts interleaved packets on `channel` until the connection is closed (the window's
    /// end) or `enough` arrived.
    mutating func countPackets(channel: UInt8, enough: Int) async throws -> Int {
        var count = 0
        while count < enough {
            while let message = try reader.next() {
                if case let .interleaved(arrived, _) = message, arrived == channel { count += 1 }
            }
            guard count < enough, let bytes = try? await inbound.next() else { break }
            reader.append(bytes.readableBytesView)
        }
        return count
    }
}
