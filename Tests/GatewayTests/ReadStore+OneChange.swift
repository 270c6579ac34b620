import CCTVContract
import Gateway

/// One change at a time, for tests that build a read store by hand (the gateway applies batches).
extension ReadStore {
    func apply(camera: CameraDefinition) async throws { _ = try await apply([.camera(camera)]) }
    func apply(status: CameraHealth) async throws { _ = try await apply([.status(status)]) }
    func apply(issue: IssueRecord, event: String = "opened") async throws { _ = try await apply([.issue(event: event, issue)]) }
    func apply(notification: NotificationRecord) async throws { _ = try await apply([.notification(notification)]) }
}
