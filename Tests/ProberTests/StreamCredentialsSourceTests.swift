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
            return CameraCredentials(id: id, username: "admin", password: "pw")
        }
        #expect(await source.credentials(for: camera(version: 1, hasCredentials: false)) == nil)
        #expect(await source.credentials(for: camera(version: 1)) == StreamCredentials(username: "admin", password: "pw"))
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
