import CCTVContract
import Foundation
import Logging
import ServiceRuntime
import Synchronization

/// The PullPoint subscriptions of the cameras this prober checks that ask for them
/// (`checks.onvifEvents` with an ONVIF address): one long poll per camera, started when the camera
/// is scheduled, ended (`Unsubscribe`) when it is dropped, changed or the prober stops.
///
/// Per camera, in a loop: read its clock (the ONVIF check, so every call is signed on the camera's
/// time and the credentials are known good), find the event service, `CreatePullPointSubscription`,
/// then `PullMessages` (each waits up to `pullWait`), `Renew` when less than half the lease is left;
/// a refused renewal subscribes again at once, any other failure after `retryAfter`.
final class ONVIFEventWatch: Sendable {
    /// What the loops publish through and sign with (known once the prober's bus runs).
    struct Sink: Sendable {
        var publish: @Sendable (ONVIFEventResult) async -> Void
        var credentials: @Sendable (CameraDefinition) async -> StreamCredentials?
    }

    private struct Entry {
        var camera: CameraDefinition
        var task: Task<Void, Never>?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var sink: Sink?
        var stopped = false
    }

    let checker: ONVIFChecker
    let limits: ONVIFEventLimits
    let proberID: String
    let logger: Logger
    private let state = Mutex(State())

    init(checker: ONVIFChecker, limits: ONVIFEventLimits, proberID: String, logger: Logger) {
        self.checker = checker; self.limits = limits; self.proberID = proberID; self.logger = logger
    }

    /// Whether `camera` asks for an event subscription.
    static func wants(_ camera: CameraDefinition) -> Bool {
        camera.enabled && camera.checks?.onvifEvents == true && camera.checks?.onvifURL != nil
    }

    /// Follows `camera` (again, if what the subscription depends on changed), or stops following it
    /// when it no longer asks.
    func upsert(_ camera: CameraDefinition) {
        guard Self.wants(camera) else { return remove(camera.id) }
        let stale: Task<Void, Never>? = state.withLock { state in
            // The same version (a retained definition delivered again) keeps its subscription.
            if let entry = state.entries[camera.id], entry.camera.version == camera.version, entry.task != nil || state.sink == nil { return nil }
            let old = state.entries[camera.id]?.task
            state.entries[camera.id] = Entry(camera: camera, task: state.stopped ? nil : state.sink.map { start(camera, sink: $0) })
            return old
        }
        stale?.cancel()
    }

    /// Stops following camera `id` (its subscription is ended).
    func remove(_ id: String) {
        state.withLock { $0.entries.removeValue(forKey: id) }?.task?.cancel()
    }

    /// Starts the loops (those upserted before too) and keeps them until cancelled; then ends every
    /// subscription and returns once all loops have.
    func run(sink: Sink) async {
        state.withLock { state in
            state.sink = sink
            for (id, entry) in state.entries where entry.task == nil { state.entries[id]?.task = start(entry.camera, sink: sink) }
        }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
        let tasks = state.withLock { state in
            state.stopped = true
            return state.entries.values.compactMap(\.task)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    private func start(_ camera: CameraDefinition, sink: Sink) -> Task<Void, Never> {
        Task { await self.follow(camera, sink: sink) }
    }

    /// One camera's subscription loop, until cancelled.
    func follow(_ camera: CameraDefinition, sink: Sink) async {
        guard let text = camera.checks?.onvifURL, let device = try? EndpointURL(validating: text, schemes: EndpointURL.web).url else { return }
        let meta: Logger.Metadata = ["camera": "\(camera.id)"]
        // Failures in a row: the wait before the next try doubles from `retryAfter` up to 10 min,
        // so a camera without an event service costs a few calls an hour, not two a minute.
        var failures = 0
        while !Task.isCancelled {
            let credentials = await sink.credentials(camera).flatMap { ONVIFChecker.credentials($0, for: text) }
            let verdict = await checker.check(url: text, credentials: credentials)
            if verdict.status == .error || verdict.reason == "onvif_auth_rejected" || verdict.reason == "onvif_auth_insecure" {
                logger.warning("ONVIF events: the camera's device service is not usable; trying again later",
                               metadata: meta.merging(["reason": "\(verdict.reason)"]) { $1 })
                failures += 1
                if await pause(after: failures) { return }
                continue
            }
            let outcome = await subscribe(camera, device: device, credentials: credentials, skew: verdict.clockSkewSeconds ?? 0, sink: sink, meta: meta)
            if Task.isCancelled { return }
            if outcome.pulled { failures = 0 }
            if !outcome.again {
                failures += 1
                if await pause(after: failures) { return }
            }
        }
    }

    /// How one subscription ended.
    private struct SubscriptionOutcome {
        /// Messages were pulled at least once (the failures in a row start over).
        var pulled = false
        /// The camera refused a renewal after a good pull: subscribe again at once, without waiting.
        var again = false
    }

    /// One subscription's life: find the event service, `CreatePullPointSubscription`, then
    /// `PullMessages` and `Renew` until the task is cancelled (the pull point is then ended), the
    /// camera refuses a renewal, or a call fails. Every call is signed on the camera's clock
    /// (`skew` seconds from ours).
    private func subscribe(_ camera: CameraDefinition, device: URL, credentials: StreamCredentials?, skew: Double,
                           sink: Sink, meta: Logger.Metadata) async -> SubscriptionOutcome {
        let checker = checker, limits = limits
        let cameraNow: @Sendable () -> Date = { checker.now().addingTimeInterval(skew) }
        let sign: () -> WSUsernameToken? = {
            credentials.map { WSUsernameToken(username: $0.username, password: $0.password, deviceTime: cameraNow()) }
        }
        var pullPoint: ONVIFPullPoint?
        // A pull point the camera drops before any pull is not subscribed to again at once.
        var outcome = SubscriptionOutcome()
        do {
            let service = await checker.eventService(device: device, sign: sign, credentials: credentials, budget: limits.callBudget)
            var current = try await checker.createPullPoint(service: service, lease: limits.lease, now: cameraNow(), sign: sign,
                                                            credentials: credentials, budget: limits.callBudget)
            pullPoint = current
            logger.info("ONVIF events: subscribed", metadata: meta.merging(["pullPoint": "\(current.address.path)"]) { $1 })
            while !Task.isCancelled {
                if current.terminationTime.timeIntervalSince(cameraNow()) < limits.lease.seconds / 2 {
                    do {
                        current.terminationTime = try await checker.renew(current, lease: limits.lease, now: cameraNow(), sign: sign,
                                                                          credentials: credentials, budget: limits.callBudget)
                        pullPoint = current
                    } catch {
                        // Expired or dropped on the camera (rebooted, too many subscriptions): a new one.
                        logger.notice("ONVIF events: renewal refused; subscribing again", metadata: meta.merging(["error": "\(error)"]) { $1 })
                        outcome.again = outcome.pulled
                        pullPoint = nil
                        break
                    }
                }
                let reply = try await checker.pullMessages(current, wait: limits.pullWait, limit: limits.messageLimit, sign: sign,
                                                            credentials: credentials, budget: limits.callBudget)
                if let termination = reply.terminationTime { current.terminationTime = termination }
                pullPoint = current
                outcome.pulled = true
                await publish(reply.events, of: camera, skew: skew, sink: sink)
            }
        } catch {
            if !Task.isCancelled {
                logger.warning("ONVIF events: the subscription failed; subscribing again later", metadata: meta.merging(["error": "\(error)"]) { $1 })
            }
        }
        if Task.isCancelled, let pullPoint { await end(pullPoint, sign: sign, credentials: credentials, meta: meta) }
        return outcome
    }

    /// Publishes one pull's events, each dated on our clock (the camera's time less its skew, or
    /// when the reply came).
    private func publish(_ events: [ONVIFCameraEvent], of camera: CameraDefinition, skew: Double, sink: Sink) async {
        let received = Date()
        for event in events {
            await sink.publish(ONVIFEventResult(cameraID: camera.id, kind: event.kind, topic: event.topic, active: event.active,
                                                operation: event.operation, source: event.source,
                                                at: event.cameraTime?.addingTimeInterval(-skew) ?? received, receivedAt: received, prober: proberID))
        }
    }

    /// `Unsubscribe` from outside the cancelled loop (a cancelled task's calls would fail at once).
    private func end(_ pullPoint: ONVIFPullPoint, sign: @escaping () -> WSUsernameToken?, credentials: StreamCredentials?, meta: Logger.Metadata) async {
        let checker = checker, budget = limits.callBudget, logger = logger
        let token = sign()
        await Task {
            let ended = await checker.unsubscribe(pullPoint, sign: { token }, credentials: credentials, budget: budget)
            logger.info("ONVIF events: unsubscribed", metadata: meta.merging(["ended": "\(ended)"]) { $1 })
        }.value
    }

    /// Waits `retryAfter`, doubled for each failure in a row after the first, at most 10 min;
    /// returns whether the loop was cancelled meanwhile.
    private func pause(after failures: Int) async -> Bool {
        let wait = min(limits.retryAfter * (1 << min(max(failures - 1, 0), 10)), .seconds(600))
        return (try? await Task.sleep(for: wait)) == nil
    }
}
