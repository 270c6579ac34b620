import Foundation

/// How one MQTT client connects: broker address, identity, session, security and buffers.
///
/// A stable `clientID` with `cleanStart == false` gives a persistent session: the broker keeps
/// the subscriptions and queues QoS 1 messages while the client is away, for
/// `sessionExpiry` seconds.
public struct MQTTConfiguration: Sendable {
    /// Broker host name or address.
    public var host: String
    /// Broker TCP port.
    public var port: Int
    /// The client identifier; keep it stable across restarts for a persistent session.
    public var clientID: String
    /// `false` resumes the broker-side session on every (re)connect.
    public var cleanStart: Bool
    /// How long the broker keeps the session after a disconnect (MQTT v5 Session Expiry Interval).
    public var sessionExpiry: UInt32
    /// Keep-alive in seconds (at least 5).
    public var keepAlive: Int
    /// Optional credentials.
    public var username: String?
    public var password: String?
    /// Optional TLS settings; `nil` means plain TCP.
    public var tls: TLS?
    /// Last will, published by the broker when this client disappears without saying goodbye.
    public var will: Will?
    /// Reconnect back-off: first delay, cap, both in seconds. Doubles with jitter until the cap.
    public var reconnectDelay: (initial: Double, maximum: Double)
    /// How many QoS 1 messages may be in flight at once (MQTT v5 Receive Maximum of the broker side).
    public var sendMaximum: Int
    /// Largest payload accepted from the broker; larger ones are dropped, logged and counted.
    public var maxIncomingPayload: Int
    /// Messages a subscription may hold for its consumer before the client stops reading the
    /// connection (it reads again at half of it). Nothing is ever dropped: the broker keeps the
    /// backlog in the session meanwhile. Memory per subscription ≈ this × the message size.
    public var subscriptionHighWatermark: Int
    /// Most unacknowledged QoS 1 messages the broker may send this client at once (MQTT v5
    /// Receive Maximum): also the most that can sit unread in the socket while reading is paused.
    public var receiveMaximum: Int
    /// Asked on the network thread before every connect and reconnect (it must not block); `false`
    /// skips the attempt, which is retried after the back-off. An active/standby service passes
    /// "my leadership is still confirmed", so a leader that wakes from a pause longer than its lease
    /// does not take the shared session back from the new leader before it notices. `nil` = always.
    public var connectPermit: (@Sendable () -> Bool)?

    /// TLS options passed to libmosquitto.
    public struct TLS: Sendable {
        public var caFile: String?
        public var caPath: String?
        public var certFile: String?
        public var keyFile: String?
        /// Skip host-name verification (test brokers only).
        public var insecure: Bool
        public init(caFile: String? = nil, caPath: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.caPath = caPath
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// A last-will message.
    public struct Will: Sendable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: MQTTQoS
        public var retain: Bool
        public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// Creates a configuration with production defaults: persistent session for one day,
    /// 30 s keep-alive, reconnect 1 s → 30 s, 256 KiB payload limit, reading paused at 1,000
    /// messages waiting in one subscription, 100 unacknowledged messages in flight from the broker.
    public init(
        host: String = "127.0.0.1",
        port: Int = 1883,
        clientID: String,
        cleanStart: Bool = false,
        sessionExpiry: UInt32 = 86_400,
        keepAlive: Int = 30,
        username: String? = nil,
        password: String? = nil,
        tls: TLS? = nil,
        will: Will? = nil,
        reconnectDelay: (initial: Double, maximum: Double) = (1, 30),
        sendMaximum: Int = 100,
        maxIncomingPayload: Int = 256 * 1024,
        subscriptionHighWatermark: Int = 1_000,
        receiveMaximum: Int = 100
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.cleanStart = cleanStart
        self.sessionExpiry = sessionExpiry
        self.keepAlive = keepAlive
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.reconnectDelay = reconnectDelay
        self.sendMaximum = sendMaximum
        self.maxIncomingPayload = maxIncomingPayload
        self.subscriptionHighWatermark = subscriptionHighWatermark
        self.receiveMaximum = receiveMaximum
    }
}
