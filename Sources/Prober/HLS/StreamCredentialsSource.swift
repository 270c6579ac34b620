import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Synchronization

/// Gets a camera's stream credentials from the registry when its definition says it has some.
///
/// Credentials are write-only: never in the retained definition, never on a shared topic. The
/// prober asks with the registry's `credentials` action on `registry/credentials/{its account}`
/// (only prober accounts may publish there; the answer comes only on this account's own reply
/// topic, which the broker ACL restricts to it) and keeps the answer in memory, keyed by the
/// definition's version so an edit is picked up at once. The answer carries the origin the
/// credentials were entered for; the fetcher sends them to no other.
package final class StreamCredentialsSource: Sendable {
    package typealias Ask = @Sendable (_ cameraID: String) async throws -> CameraCredentials?

    private let ask: Ask
    private let logger: Logger
    private let cache = Mutex<[String: (version: Int, credentials: StreamCredentials?)]>([:])

    package init(logger: Logger, ask: @escaping Ask) {
        self.logger = logger
        self.ask = ask
    }

    /// Asks the registry over `bus` on `commandTopic` (`registry/credentials/{account}`).
    package convenience init(bus: ServiceBus, commandTopic: String, logger: Logger) {
        self.init(logger: logger) { cameraID in
            let reply: RegistryReply = try await bus.request(commandTopic, type: .registryCommand, RegistryCommand(.credentials(id: cameraID)),
                                                             reply: .registryReply, timeout: .seconds(10))
            guard reply.ok else { throw reply.error ?? ContractError(code: "internal", message: "registry refused without a reason") }
            return reply.credentials
        }
    }

    /// The credentials for `camera`, or `nil` when it has none or the registry cannot say
    /// (the check then runs without them and a camera that insists answers 401).
    package func credentials(for camera: CameraDefinition) async -> StreamCredentials? {
        guard camera.hasCredentials else { return nil }
        if let cached = cache.withLock({ $0[camera.id] }), cached.version == camera.version { return cached.credentials }
        do {
            let answer = try await ask(camera.id)
            let credentials = answer.flatMap { answer -> StreamCredentials? in
                guard let username = answer.username, !username.isEmpty else { return nil }
                // Bound to their origin; without one (an older registry) to the camera's stream origin.
                return StreamCredentials(username: username, password: answer.password ?? "",
                                         origin: answer.origin ?? CameraCredentials.origin(of: camera.hlsURL))
            }
            cache.withLock { $0[camera.id] = (camera.version, credentials) }
            return credentials
        } catch {
            logger.warning("stream credentials not available; checking without them", metadata: ["camera": "\(camera.id)", "error": "\(error)"])
            return nil
        }
    }

    /// Drops what is known about a camera (deleted or no longer ours).
    package func forget(_ cameraID: String) { _ = cache.withLock { $0.removeValue(forKey: cameraID) } }
}
