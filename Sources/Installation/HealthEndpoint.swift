import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ServiceRuntime

/// `GET /healthz` for one process on `health.host:health.port`: 200 with the checks as JSON when
/// every service in the process is connected, 503 naming the failing check otherwise. What
/// container healthchecks (`cctv-out health`), systemd and load balancers poll.
struct HealthEndpoint: Service {
    let board: HealthBoard
    let host: String
    let port: Int
    let logger: Logger

    func run() async throws {
        let router = Router()
        let board = board
        router.get("/healthz") { _, _ -> Response in
            let report = board.report()
            let body = (try? JSONEncoder().encode(report)) ?? Data()
            return Response(status: report.healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "cctv-out-health"), logger: logger)
        try await app.run()   // in the installation's service group: stops in its turn, not on its own SIGTERM handler
    }
}
