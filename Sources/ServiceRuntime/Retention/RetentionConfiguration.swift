import Foundation

/// How long history is kept, shared by every store that holds a copy of it (the issues service,
/// the notifier and the gateway's read store), so the dashboard never shows what the owner forgot.
package struct RetentionConfiguration: Sendable, Equatable {
    /// Days a resolved incident stays in the history; 0 = forever.
    package var incidentDays = 400
    /// Days a finished notification delivery stays in the history; 0 = forever.
    package var deliveryDays = 90

    package init() {}
}

extension RetentionConfiguration {
    enum Key {
        static let d = RetentionConfiguration()
        static let incidentDays = SettingKey.integer("retention.incidents-days", default: d.incidentDays, in: 0...36_500,
                                                     "days a resolved incident stays in the history (issues service, notifier and the gateway's read store); 0 = forever")
        static let deliveryDays = SettingKey.integer("retention.deliveries-days", default: d.deliveryDays, in: 0...36_500,
                                                     "days a finished notification delivery stays in the history (notifier and the gateway's read store); 0 = forever")
    }

    /// The `retention.*` keys.
    package static let keys: [SettingKey] = [Key.incidentDays, Key.deliveryDays]

    /// Reads the `retention.*` keys once.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        incidentDays = try settings.integer(Key.incidentDays)
        deliveryDays = try settings.integer(Key.deliveryDays)
    }
}
