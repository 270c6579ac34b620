import CMosquitto
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The network thread: connect, then poll the socket and drive libmosquitto with
/// `mosquitto_loop_read` / `loop_write` / `loop_misc`, reconnecting with back-off until stopped.
///
/// Back-pressure: while a subscription's buffer is above its high watermark the socket is not
/// read. libmosquitto acknowledges a QoS 1 message when it reads it (before `on_message`, with
/// no manual acknowledgement), so an unread message is an unacknowledged one: the broker keeps at
/// most Receive Maximum of them in flight and holds the rest in the session (its
/// `max_queued_messages` must allow for that: see `mosquitto/private.conf`).
///
/// While paused it still reads when it must:
/// - before the CONNACK (nothing else can follow it on a fresh link);
/// - while a caller awaits a SUBACK, PUBACK or reply on this connection (a client that publishes
///   from inside its own consumer would otherwise deadlock; that costs at most Receive Maximum
///   extra messages per wait, and `ServiceBus` never does it: it publishes on another connection);
/// - one packet per half keep-alive, so the broker sees our acknowledgement and libmosquitto's
///   keep-alive clock is fed, until a full buffer holds twice its watermark. Past that the link
///   may time out; the reconnect is harmless: nothing read is lost, nothing unread was acknowledged;
/// - when the broker hung up, to see the end of the stream.
extension ClientCore {
    /// Linux `POLLRDHUP` (glibc hides it behind `_GNU_SOURCE`): the peer closed its side.
    private static let pollReadHangup: Int16 = 0x2000

    func runNetworkLoop() {
        // The thread's name for `top -H`, `perf` and /proc (Linux keeps 15 bytes: the client id's
        // end, which names the service and the connection). Set from the thread itself: a name given
        // before it started never reached the kernel, and every client showed as a pool thread.
        Thread.current.name = "m:" + String(configuration.clientID.suffix(13))
        var delay = configuration.reconnectDelay.initial
        var socketOpen = false
        var attempts = 0
        var lastRead = ContinuousClock.now
        while !stopRequested {
            applyReceiveStop()
            if !socketOpen, let permit = configuration.connectPermit, !permit() {
                attempts += 1
                if attempts == 1 || attempts % 20 == 0 {
                    logger.warning("not connecting: the connection is not permitted now (e.g. leadership not confirmed)", metadata: ["attempt": "\(attempts)"])
                }
                // Asked again soon: a lease confirmed late under load permits it within a second.
                sleepInterruptibly(seconds: 0.5)
                continue
            }
            if !socketOpen {
                emit(.connecting)
                let rc = connectOnce()
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    attempts += 1
                    let level: Logger.Level = attempts == 1 || attempts % 20 == 0 ? .warning : .debug
                    logger.log(level: level, "broker not reachable, retrying", metadata: [
                        "broker": "\(configuration.host):\(configuration.port)",
                        "error": "\(MQTTError.library(operation: "connect", code: rc))",
                        "attempt": "\(attempts)", "retry_in_s": "\(String(format: "%.1f", delay))",
                    ])
                    emit(.disconnected(reason: MQTTError.library(operation: "connect", code: rc).description))
                    sleepInterruptibly(seconds: jittered(delay))
                    delay = min(delay * 2, configuration.reconnectDelay.maximum)
                    continue
                }
                socketOpen = true
                lastRead = .now
            }
            let rc = pollOnce(lastRead: &lastRead)
            if state.withLock({ state in defer { state.justConnected = false }; return state.justConnected }) {
                delay = configuration.reconnectDelay.initial
                attempts = 0
                resubscribeAll()
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                socketOpen = false
                markDisconnected(reason: MQTTError.library(operation: "network loop", code: rc).description)
                if stopRequested { break }
                reconnectCounter.increment()
                sleepInterruptibly(seconds: jittered(delay))
                delay = min(delay * 2, configuration.reconnectDelay.maximum)
            }
        }
        let graceful = state.withLock { $0.stopGraceful }
        if socketOpen && graceful {
            // DISCONNECT (reason 0) tells the broker not to publish the will; write it out.
            mosquitto_disconnect_v5(mosq, 0, nil)
            flushWrites(tries: 20)
        }
        if socketOpen && !graceful {
            // Drop the TCP link without DISCONNECT: the broker publishes the last will, exactly
            // as if the process had died. The descriptor itself is closed by mosquitto_destroy.
            let fd = mosquitto_socket(mosq)
            if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
        markDisconnected(reason: "stopped")
        emit(.stopped)
        failEverything()
        finished.store(true, ordering: .releasing)
    }

    /// One poll of the socket and the wake pipe (at most 1 s, for keep-alive), then the reads,
    /// writes and keep-alive work that are due. Returns a `MOSQ_ERR_*`; anything but success
    /// means the link is gone.
    private func pollOnce(lastRead: inout ContinuousClock.Instant) -> Int32 {
        let fd = mosquitto_socket(mosq)
        guard fd >= 0 else { return Int32(MOSQ_ERR_NO_CONN.rawValue) }
        let reading = readDecision(sinceLastRead: ContinuousClock.now - lastRead)
        let mayRead = reading != .no
        var events = Self.pollReadHangup
        if mayRead { events |= Int16(POLLIN) }
        if mosquitto_want_write(mosq) { events |= Int16(POLLOUT) }
        var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, 1_000)
        if ready < 0 { return errno == EINTR ? Int32(MOSQ_ERR_SUCCESS.rawValue) : Int32(MOSQ_ERR_ERRNO.rawValue) }
        if fds[1].revents != 0 { wake.drain() }
        let revents = fds[0].revents
        let hungUp = revents & (Self.pollReadHangup | Int16(POLLHUP) | Int16(POLLERR)) != 0
        var packetsRead = 0
        if (mayRead && revents & Int16(POLLIN) != 0) || hungUp {
            lastRead = .now
            if reading == .keepAlive { keepAliveReads.add(1, ordering: .relaxed) }
            let rc = readBurst(reading == .keepAlive ? 1 : Self.readBurst, read: &packetsRead)
            if rc != MOSQ_ERR_SUCCESS.rawValue { return rc }
        }
        // What the reads queued (PUBACKs of received messages) goes out now, not after another poll.
        // Corked only when it may be more than one packet: one message read (its PUBACK) or one
        // queued is one segment anyway, and the two `setsockopt` calls of a cork were 4.8 % of
        // serve's CPU at 100,000 cameras, where most writes are a single result or PUBACK.
        let queued = queuedSinceWrite.exchange(0, ordering: .relaxed)
        if revents & Int16(POLLOUT) != 0 || mosquitto_want_write(mosq) {
            let rc = packetsRead + queued > 1 ? corked(fd) { mosquitto_loop_write(mosq, 1) } : mosquitto_loop_write(mosq, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue { return rc }
            if mosquitto_socket(mosq) < 0 { return Int32(MOSQ_ERR_CONN_LOST.rawValue) }
        }
        return mosquitto_loop_misc(mosq)
    }

    /// Runs `write` with the socket corked, so everything it writes leaves in as few TCP segments
    /// as fit, sent when it returns. libmosquitto writes one packet per `send`: a burst of 1,000
    /// publishes (or the PUBACKs of 256 messages read at once) was 1,000 segments, each one a trip
    /// through the loopback stack and a wake-up of the broker (`tcp_write_xmit` and the softirq
    /// were 7 % of serve's CPU during a 100,000-camera import). Nothing waits: uncorking sends.
    private func corked(_ fd: Int32, _ write: () -> Int32) -> Int32 {
        var on: Int32 = 1, off: Int32 = 0
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_CORK, &on, size)
        defer {
            let current = mosquitto_socket(mosq)
            if current >= 0 { _ = setsockopt(current, Int32(IPPROTO_TCP), TCP_CORK, &off, size) }
        }
        return write()
    }

    /// Most packets read after one poll.
    static let readBurst = 256

    /// Reads up to `limit` packets already in the socket, one `mosquitto_loop_read` each, until the
    /// socket is empty or a subscription asks to pause. libmosquitto 2.0 reads at most as many
    /// packets per call as it has QoS 1 messages of its own in flight: one on a receiving
    /// connection, so a subscriber paid a poll, a wake-up and its own PUBACK write per message
    /// (measured: a 100,000-camera import fans out 400,000 configs to serve's four consumers).
    /// Back-pressure is kept: the pause is checked after every packet.
    private func readBurst(_ limit: Int, read: inout Int) -> Int32 {
        for index in 0..<limit {
            if index > 0, readDecision(sinceLastRead: .zero) != .yes { break }
            errno = 0
            let rc = mosquitto_loop_read(mosq, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue { return rc }
            if mosquitto_socket(mosq) < 0 { return Int32(MOSQ_ERR_CONN_LOST.rawValue) }
            // The library stops at a read that would block (errno EAGAIN): nothing more is there.
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            read += 1
        }
        return Int32(MOSQ_ERR_SUCCESS.rawValue)
    }

    private enum ReadDecision { case no, yes, keepAlive }

    /// Whether the socket may be read now (see the type's comment for the paused cases).
    private func readDecision(sinceLastRead: Duration) -> ReadDecision {
        let (connected, receiving, awaitsBroker) = state.withLock { ($0.connected, $0.receiving, $0.awaitsBroker) }
        guard receiving else { return .no }
        if !connected || awaitsBroker || !pressure.isPaused { return .yes }
        let due = sinceLastRead >= .seconds(max(5, configuration.keepAlive)) / 2 && !subscriptionsAtCapacity
        return due ? .keepAlive : .no
    }

    /// Writes what is queued (the DISCONNECT on a graceful stop), for at most `tries` × 50 ms.
    private func flushWrites(tries: Int) {
        for _ in 0..<tries {
            let fd = mosquitto_socket(mosq)
            guard fd >= 0, mosquitto_want_write(mosq) else { return }
            var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
            if poll(&fds, 1, 50) > 0, mosquitto_loop_write(mosq, 1) != MOSQ_ERR_SUCCESS.rawValue { return }
        }
    }

    private func connectOnce() -> Int32 {
        var props: OpaquePointer? = nil
        defer { mosquitto_property_free_all(&props) }
        if !configuration.cleanStart {
            mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), configuration.sessionExpiry)
        }
        return mosquitto_connect_bind_v5(mosq, configuration.host, Int32(configuration.port), Int32(max(5, configuration.keepAlive)), nil, props)
    }

    private func jittered(_ seconds: Double) -> Double {
        seconds * Double.random(in: 0.75...1.25)
    }

    private func sleepInterruptibly(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !stopRequested {
            Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
        }
    }
}
