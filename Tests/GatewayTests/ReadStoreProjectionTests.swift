import CCTVContract
import Foundation
@testable import Gateway
import Testing

/// The gateway's read store fed in batches, as the gateway does it: one transaction per batch,
/// changes applied in order.
@Suite("read store projections")
struct ReadStoreProjectionTests {
    func camera(_ n: Int) -> CameraDefinition {
        CameraDefinition(id: "CAM-\(n)", name: "카메라 \(n)", address: "127.0.9.\(n % 250 + 1)", site: "본관", createdAt: Date(), updatedAt: Date(), version: 1)
    }

    func issue(version: Int, state: IssueState) -> IssueRecord {
        IssueRecord(id: "I-1", cameraID: "CAM-1", kind: .line, state: state, responsible: .lineTeam, reason: "no_reply",
                    openedAt: Date(), updatedAt: Date(), version: version)
    }

    @Test("a batch applies cameras, statuses, incidents and tombstones in order, keeps the newest incident, and says what to push")
    func batch() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-read-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ReadStore(dataDir: dir)
        let status = CameraHealth(cameraID: "CAM-1", state: .lineDown, since: Date(), updatedAt: Date())
        let pushed = try await store.apply([
            .camera(camera(1)), .camera(camera(2)), .status(status),
            .issue(event: "resolved", issue(version: 3, state: .resolved)), .issue(event: "opened", issue(version: 1, state: .open)),
            .cameraRemoved("CAM-2"), .service(name: "issues", state: "online"),
        ])
        #expect(try store.camera("CAM-1")?.status?.state == .lineDown)
        #expect(try store.camera("CAM-2") == nil, "the tombstone later in the batch wins")
        #expect(try store.issue("I-1")?.state == .resolved, "an older version arriving later is ignored")
        #expect(try store.summary().services["issues"] == "online")
        let issuePushes = pushed.filter { if case .issue = $0 { true } else { false } }
        #expect(issuePushes.count == 1, "the stale incident version is not pushed")
        let cameraPushes = pushed.compactMap { if case let .camera(row) = $0 { row } else { nil } }
        #expect(cameraPushes.map(\.camera.id) == ["CAM-1"], "a camera deleted in the same batch is not pushed as changed")
        #expect(cameraPushes.first?.status?.state == .lineDown, "pushed with its current status")
    }

    @Test("10,000 cameras in batches of 2,000 all land")
    func manyCameras() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-read-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ReadStore(dataDir: dir)
        for start in stride(from: 0, to: 10_000, by: 2_000) {
            _ = try await store.apply((start..<start + 2_000).map { .camera(camera($0)) })
        }
        #expect(try store.summary().cameras == 10_000)
    }
}
