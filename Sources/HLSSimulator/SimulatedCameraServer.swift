import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Simulated HLS cameras on loopback, for the HLS benchmark and the prober's tests: any number
/// of live streams that advance with the clock, each of which can be switched into one of the
/// faults real cameras and hostile servers show (``Fault``).
///
/// Stream `n` is `/s/n/index.m3u8` (media playlist), `/s/n/master.m3u8` (a master listing it),
/// and `/s/n/seg{sequence}.ts`. Every segment is the same real H.264 320x240 one-second transport
/// stream (`Resources/segment.ts`, made with `ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -t 2
/// -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -f hls -hls_time 1`, first segment).
public final class SimulatedCameraServer: Sendable {
    /// What a stream does wrong.
    public enum Fault: Sendable, Equatable {
        /// The playlist stops advancing (encoder hung) at the sequence it had when set.
        case stall
        /// Every request answers this status.
        case httpStatus(Int)
        /// The playlist carries `#EXT-X-ENDLIST`.
        case endlist
        /// The first playlist load is 1,000 segments ahead; later ones go back to the real
        /// sequence (a server that lost its window).
        case sequenceBackwards
        /// Segments are random bytes.
        case garbageSegment
        /// Segments are cut after 1,000 bytes (mid transport-stream packet).
        case truncatedSegment
        /// Segments answer 404 while the playlist lists them.
        case missingSegment
        /// The playlist arrives one byte every 200 ms.
        case drip
        /// The playlist is an endless body (claims 1 GB).
        case hugePlaylist
        /// The playlist redirects to a page that redirects back.
        case redirectLoop
        /// The playlist request is accepted and never answered.
        case hang
        /// The playlist is not HLS (an HTML login page).
        case htmlPage
        /// The playlist (and the master) answers 302 to this location, taken as the camera sends
        /// it (e.g. `http://127.0.0.1:70000/live.m3u8`, a port no client may connect to).
        case redirect(to: String)
        /// The playlist lists its segments at this absolute URL prefix instead of beside it
        /// (`{prefix}seg{n}.ts`); the master lists its variant there too (`{prefix}index.m3u8`).
        case entriesAt(String)
    }

    public let port: Int
    /// Target duration in seconds of every simulated stream.
    public let targetDuration: Int
    private let state: State
    private let task: Task<Void, any Error>

    final class State: Sendable {
        let faults = Mutex<[Int: Fault]>([:])
        let stalledAt = Mutex<[Int: Int]>([:])
        let loads = Mutex<[Int: Int]>([:])
        let requests = Atomic<Int>(0)
        let epoch = ContinuousClock.now
        let segment: ByteBuffer
        init(segment: Data) { self.segment = ByteBuffer(bytes: segment) }
    }

    /// Starts the server on 127.0.0.1 at `port` (0 = let the kernel choose).
    /// - Parameters:
    ///   - targetDuration: seconds per segment; 1 keeps stall tests short.
    public init(port: Int, targetDuration: Int = 1) async throws {
        guard let url = Bundle.module.url(forResource: "segment", withExtension: "ts") else {
            throw SimulatorError.missingSegment
        }
        let state = State(segment: try Data(contentsOf: url))
        self.state = state
        self.targetDuration = targetDuration
        let router = Router()
        router.get("/s/:stream/:file") { request, context -> Response in
            state.requests.add(1, ordering: .relaxed)
            guard let stream = context.parameters.get("stream", as: Int.self), let file = context.parameters.get("file") else {
                return Response(status: .notFound)
            }
            return try await Self.respond(stream: stream, file: file, state: state, targetDuration: targetDuration)
        }
        let ready = PortBox()
        // Quiet: cancelling the server at the end of a test or benchmark is expected, not an error.
        var logger = Logger(label: "hls-simulator")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
                              onServerRunning: { channel in ready.set(channel.localAddress?.port ?? 0) }, logger: logger)
        task = Task { try await app.runService() }
        var boundPort = 0
        for _ in 0..<500 {
            boundPort = ready.value
            if boundPort != 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard boundPort != 0 else { task.cancel(); throw SimulatorError.didNotStart }
        self.port = boundPort
    }

    deinit { task.cancel() }

    /// Stops serving.
    public func stop() { task.cancel() }

    /// Switches stream `n` into `fault`, or back to healthy with `nil`.
    public func set(_ fault: Fault?, stream: Int) {
        state.faults.withLock { $0[stream] = fault }
        state.stalledAt.withLock { $0[stream] = fault == .stall ? Self.sequence(stream: stream, state: state, targetDuration: targetDuration) : nil }
        state.loads.withLock { $0[stream] = 0 }
    }

    /// The media sequence stream `n` serves now (frozen while it is stalled).
    public func mediaSequence(stream: Int) -> Int {
        state.stalledAt.withLock { $0[stream] } ?? Self.sequence(stream: stream, state: state, targetDuration: targetDuration)
    }

    /// Requests served so far.
    public var requestCount: Int { state.requests.load(ordering: .relaxed) }

    /// The media playlist URL of stream `n`.
    public func mediaURL(_ stream: Int) -> URL { URL(string: "http://127.0.0.1:\(port)/s/\(stream)/index.m3u8")! }
    /// The master playlist URL of stream `n`.
    public func masterURL(_ stream: Int) -> URL { URL(string: "http://127.0.0.1:\(port)/s/\(stream)/master.m3u8")! }

    /// The live sequence of stream `n`: streams are phase-shifted so they do not all roll over at once.
    static func sequence(stream: Int, state: State, targetDuration: Int) -> Int {
        let elapsed = ContinuousClock.now - state.epoch
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return 100 + Int((milliseconds + Int64(stream * 37 % 1000)) / Int64(targetDuration * 1000))
    }

    static func respond(stream: Int, file: String, state: State, targetDuration: Int) async throws -> Response {
        let fault = state.faults.withLock { $0[stream] }
        if case let .httpStatus(code) = fault { return Response(status: .init(code: code)) }
        if case let .redirect(location) = fault, file.hasSuffix(".m3u8") {
            return Response(status: .found, headers: [.location: location])
        }
        switch file {
        case "master.m3u8":
            var variant = "index.m3u8"
            if case let .entriesAt(prefix) = fault { variant = prefix + variant }
            let body = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x240,CODECS=\"avc1.64000d\"\n\(variant)\n"
            return text(body)
        case "index.m3u8":
            return try await playlist(stream: stream, fault: fault, state: state, targetDuration: targetDuration)
        case "loop-a.m3u8":
            return Response(status: .found, headers: [.location: "index.m3u8"])
        default:
            guard file.hasPrefix("seg"), file.hasSuffix(".ts") else { return Response(status: .notFound) }
            switch fault {
            case .missingSegment: return Response(status: .notFound)
            case .garbageSegment:
                var buffer = ByteBuffer()
                for _ in 0..<4096 { buffer.writeInteger(UInt8.random(in: 0...255) & 0xFE) }
                return Response(status: .ok, headers: [.contentType: "video/mp2t"], body: .init(byteBuffer: buffer))
            case .truncatedSegment:
                return Response(status: .ok, headers: [.contentType: "video/mp2t"], body: .init(byteBuffer: state.segment.getSlice(at: 0, length: 1000)!))
            default:
                return Response(status: .ok, headers: [.contentType: "video/mp2t"], body: .init(byteBuffer: state.segment))
            }
        }
    }

    static func playlist(stream: Int, fault: Fault?, state: State, targetDuration: Int) async throws -> Response {
        let load = state.loads.withLock { loads -> Int in loads[stream, default: 0] += 1; return loads[stream]! }
        var sequence = state.stalledAt.withLock { $0[stream] } ?? sequence(stream: stream, state: state, targetDuration: targetDuration)
        switch fault {
        case .sequenceBackwards where load == 1: sequence += 1000
        case .redirectLoop: return Response(status: .found, headers: [.location: "loop-a.m3u8"])
        case .hang:
            // Bounded so a test process never keeps a handler alive for long after it is done.
            try? await Task.sleep(for: .seconds(60))
            return Response(status: .serviceUnavailable)
        case .htmlPage: return text("<html><body>Login required</body></html>")
        case .hugePlaylist:
            let chunk = ByteBuffer(repeating: UInt8(ascii: "#"), count: 64 << 10)
            return Response(status: .ok, headers: [.contentType: "application/vnd.apple.mpegurl"],
                            body: .init(contentLength: 1 << 30) { writer in
                                var chunks = 0
                                // Ends by itself after 1 GB; normally the client hangs up far earlier.
                                while chunks < (1 << 30) / (64 << 10) { try await writer.write(chunk); chunks += 1 }
                                try await writer.finish(nil)
                            })
        default: break
        }
        var body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:\(targetDuration)\n#EXT-X-MEDIA-SEQUENCE:\(sequence)\n"
        var prefix = ""
        if case let .entriesAt(location) = fault { prefix = location }
        for index in sequence..<(sequence + 5) { body += "#EXTINF:\(targetDuration).000,\n\(prefix)seg\(index).ts\n" }
        if fault == .endlist { body += "#EXT-X-ENDLIST\n" }
        if fault == .drip {
            let bytes = Array(body.utf8)
            return Response(status: .ok, headers: [.contentType: "application/vnd.apple.mpegurl"],
                            body: .init(contentLength: bytes.count) { writer in
                                for byte in bytes {
                                    try await writer.write(ByteBuffer(bytes: [byte]))
                                    try await Task.sleep(for: .milliseconds(200))
                                }
                                try await writer.finish(nil)
                            })
        }
        return text(body)
    }

    static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/vnd.apple.mpegurl"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Why the simulator could not start.
public enum SimulatorError: Error {
    case missingSegment
    case didNotStart
}

/// The bound port, handed from the server's start callback to the initializer.
final class PortBox: Sendable {
    private let port = Mutex(0)
    func set(_ value: Int) { port.withLock { $0 = value } }
    var value: Int { port.withLock { $0 } }
}
