import CCTVContract
import Foundation
import Logging
import Synchronization
import Testing
@testable import Prober

@Suite("stream credentials from the registry")
struct StreamCredentialsSourceTests {
    func camera(version: Int, hasCredentials: Bool = true) -> CameraDefinition {
        CameraDefinition(id: "CAM-1", name: "c", address: "127.0.0.1", hlsURL: "http://127.0.0.1/x.m3u8", hasCredentials: hasCredentials,
                         createdAt: Date(), updatedAt: Date(), version: version)
    }

    @Test("asked once per definition version, and not at all for a camera without credentials")
    func cachedByVersion() async {
        let asked = Mutex(0)
        let source = StreamCredentialsSource(logger: Logger(label: "t")) { id in
            asked.withLock { $0 += 1 }
            return CameraCredentials(id: id, username: "admin", password: "pw", origin: "http://127.0.0.1:80")
        }
        #expect(await source.credentials(for: camera(version: 1, hasCredentials: false)) == nil)
        #expect(await source.credentials(for: camera(version: 1)) == StreamCredentials(username: "admin", password: "pw", origin: "http://127.0.0.1:80"),
                "bound to the origin the registry says they were entered for")
        _ = await source.credentials(for: camera(version: 1))
        #expect(asked.withLock { $0 } == 1)
        _ = await source.credentials(for: camera(version: 2))
        #expect(asked.withLock { $0 } == 2, "an edited camera is asked again")
    }

    @Test("a registry that cannot answer means checking without credentials, never a crash")
    func failureIsNil() async {
        let source = StreamCredentialsSource(logger: Logger(label: "t")) { _ in throw ContractError(code: "registry_unavailable", message: "down") }
        #expect(await source.credentials(for: camera(version: 1)) == nil)
    }
}

@Suite("where stream credentials may go")
struct StreamCredentialsDestinationTests {
    @Test("bound to an origin: HLS only there; RTSP to the same device on any port; nowhere else")
    func destinations() {
        let hls = StreamCredentials(username: "u", password: "pw", origin: "http://10.12.0.3:80")
        #expect(hls.mayBeSent(to: URL(string: "http://10.12.0.3/live.m3u8")!))
        #expect(!hls.mayBeSent(to: URL(string: "https://10.12.0.3/live.m3u8")!), "another scheme is another origin")
        #expect(hls.mayBeSent(toDeviceOf: URL(string: "rtsp://10.12.0.3:8554/stream1")!), "the same camera's RTSP server")
        #expect(!hls.mayBeSent(toDeviceOf: URL(string: "rtsp://198.51.100.9/stream1")!), "another device gets nothing")
        let rtsp = StreamCredentials(username: "u", password: "pw", origin: "rtsp://10.12.0.3:554")
        #expect(!rtsp.mayBeSent(to: URL(string: "http://198.51.100.9/a.m3u8")!))
    }
}

@Suite("ffprobe deep check output")
struct FFprobeOutputTests {
    @Test("ffprobe's JSON with a video stream is ok with codec and size; audio only is deep_no_video; garbage fails")
    func parsing() {
        let video = FFprobeDeepCheck.parse(Data(#"{"streams":[{"codec_type":"audio","codec_name":"aac"},{"codec_type":"video","codec_name":"hevc","width":1920,"height":1080}]}"#.utf8))
        #expect(video == .init(reason: "ok", codec: "hevc", width: 1920, height: 1080))
        #expect(FFprobeDeepCheck.parse(Data(#"{"streams":[{"codec_type":"audio","codec_name":"aac"}]}"#.utf8)).reason == "deep_no_video")
        #expect(FFprobeDeepCheck.parse(Data("not json".utf8)).reason == "deep_check_failed")
    }

    @Test("a missing ffprobe says how to install it instead of failing the camera")
    func missingBinary() async {
        let result = await FFprobeDeepCheck(binary: "/nonexistent/ffprobe").probe(URL(string: "http://127.0.0.1:1/x.m3u8")!)
        #expect(result?.reason == "deep_check_failed" || result?.reason == "ffprobe_missing")
    }
}
