import Logging
import ServiceLifecycle
import Synchronization

/// A service whose shutdown is logged step by step: "stopping X" when its graceful shutdown
/// begins, "X stopped" with how long it took when its `run()` returned, so a slow SIGTERM
/// names the service that held it up.
package struct LoggedService: Service {
    let name: String
    let service: any Service
    let logger: Logger

    package init(_ name: String, _ service: any Service, logger: Logger) {
        self.name = name; self.service = service; self.logger = logger
    }

    package func run() async throws {
        let stopping = Mutex<ContinuousClock.Instant?>(nil)
        let logger = logger
        let name = name
        do {
            try await withGracefulShutdownHandler {
                try await service.run()
            } onGracefulShutdown: {
                stopping.withLock { $0 = .now }
                logger.info("stopping \(name)")
            }
        } catch {
            logger.error("\(name) ended with an error", metadata: ["error": "\(error)"])
            throw error
        }
        if let began = stopping.withLock({ $0 }) {
            logger.info("\(name) stopped", metadata: ["after_s": "\(String(format: "%.2f", (ContinuousClock.now - began).seconds))"])
        } else {
            logger.warning("\(name) ended by itself")
        }
    }
}
