import CCTVContract
import Foundation
import Logging

/// What every service is started with: settings, where the broker is, topics, data folder, logger.
public struct RuntimeContext: Sendable {
    public var settings: Settings
    public var endpoint: BrokerEndpoint
    public var topics: Topics
    public var dataDir: String
    public var instance: String
    public var logger: Logger

    public init(settings: Settings, endpoint: BrokerEndpoint, logger: Logger) {
        self.settings = settings
        self.endpoint = endpoint
        self.topics = Topics(root: settings["topic-root"])
        self.dataDir = settings["data-dir"]
        self.instance = settings["instance"]
        self.logger = logger
    }

    /// A bus connection for `service` (not started).
    public func makeBus(service: String) -> ServiceBus {
        var logger = logger
        logger[metadataKey: "service"] = .string(service)
        return ServiceBus(service: service, endpoint: endpoint, instance: instance, topics: topics, logger: logger)
    }

    /// A logger tagged with the service name.
    public func logger(for service: String) -> Logger {
        var logger = logger
        logger[metadataKey: "service"] = .string(service)
        return logger
    }
}
