import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// This prober's place in the fleet: publishes its heartbeat (retained, every
/// `prober.heartbeat` seconds), follows every member's, and keeps the schedules to exactly the
/// cameras ``FleetShare`` gives it — taking a camera the moment it becomes its own and dropping
/// one the moment it is not (a member joined, or this one lost its broker link long enough to
/// count as dead for the others too: its view comes from its own heartbeat's echo, like theirs).
///
/// Clean stop and the last will clear the heartbeat, so the others take over at the camera's
/// next phase; when the will is lost (a broker node gone), the heartbeat's age does it.
final class ProberMembership: Sendable {
    struct State {
        var share = FleetShare()
        /// Every known definition, owned or not, shared with the schedules (see ``HeldDefinition``).
        /// Its site is where the fleet share reads it: a second dictionary of id → site cost 10 MB
        /// at 100,000 cameras (a dictionary over 98,304 entries has 262,144 buckets; jemalloc heap
        /// profile of `serve`, 2026-12-02) for what the definitions already hold.
        var definitions: [String: HeldDefinition] = [:]
        var owned: Set<String> = []
        /// The alive members (name → site) ``owned`` was computed for: while they stay the same, a
        /// heartbeat changes nothing (``learned(_:)`` places each new or changed camera itself).
        var ownedFor: [String: String?]?
        /// When this member (re)joined.
        var since: Date
    }

    let member: String
    let site: String?
    let every: Double
    let timeout: Double
    let topic: String
    let topics: Topics
    let clock: any CheckClock
    let logger: Logger
    private let state: Mutex<State>
    private let wake = WakeSignal()
    /// When the last definition arrived (real time): the first heartbeat waits for the retained burst.
    private let lastDefinition = Mutex<ContinuousClock.Instant?>(nil)
    private let take: @Sendable (HeldDefinition) -> Void
    private let drop: @Sendable (String) -> Void

    /// - Parameters:
    ///   - take: schedules a camera that became this member's (called under the membership's lock: no awaiting).
    ///   - drop: unschedules a camera that is no longer its own.
    init(configuration: ProberConfiguration, topics: Topics, clock: any CheckClock = SystemCheckClock(), logger: Logger,
         take: @escaping @Sendable (HeldDefinition) -> Void, drop: @escaping @Sendable (String) -> Void) {
        member = configuration.name ?? "unnamed"
        site = configuration.site
        every = configuration.heartbeatSeconds
        timeout = configuration.memberTimeoutSeconds
        topic = topics.proberMember(member)
        self.topics = topics
        self.clock = clock
        self.logger = logger
        self.take = take
        self.drop = drop
        state = Mutex(State(since: clock.date))
    }

    /// The last will that clears this member's heartbeat.
    static func will(topics: Topics, configuration: ProberConfiguration) -> MQTTConfiguration.Will {
        .init(topic: topics.proberMember(configuration.name ?? "unnamed"), payload: [], qos: .atLeastOnce, retain: true)
    }

    /// Whether this member owns the camera at this instant: checked as each check starts, so a
    /// member that just lost it (or was paused past its timeout) never checks it once more.
    func owns(_ camera: CameraDefinition) -> Bool {
        let now = clock.date
        return state.withLock { $0.share.owner(of: camera.id, site: camera.site, at: now) } == member
    }

    /// A camera definition arrived: scheduled here if it is this member's.
    func learned(_ camera: CameraDefinition) {
        lastDefinition.withLock { $0 = .now }
        let now = clock.date
        let held = HeldDefinition(camera)
        state.withLock { state in
            state.definitions[camera.id] = held
            if state.share.owner(of: camera.id, site: camera.site, at: now) == member {
                state.owned.insert(camera.id)
                take(held)
            } else if state.owned.remove(camera.id) != nil {
                drop(camera.id)
            }
        }
    }

    /// A camera was deleted (the caller unschedules it).
    func forgot(_ id: String) {
        lastDefinition.withLock { $0 = .now }
        state.withLock { state in
            state.definitions[id] = nil
            state.owned.remove(id)
        }
    }

    /// Publishes the heartbeat and follows the members until `messages` ends or the task is cancelled.
    func run(bus: ServiceBus, messages: MQTTSubscription, decoder: MessageDecoder) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in messages { self.heard(message, decoder: decoder) }
            }
            group.addTask { await self.beat(bus: bus) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stops checking everything and clears the heartbeat; returns whether another member is still alive.
    func leave(bus: ServiceBus) async -> Bool {
        let others = state.withLock { state in
            for id in state.owned { drop(id) }
            state.owned = []
            state.ownedFor = nil
            return state.share.alive(at: clock.date).contains { $0.member != member }
        }
        if bus.isConnected {
            try? await bus.publishTombstone(topic, timeout: .seconds(1))
        }
        return others
    }

    /// One member's heartbeat or its clearing arrived.
    func heard(_ message: MQTTMessage, decoder: MessageDecoder) {
        guard let name = topics.proberMemberName(in: message.topic) else { return }
        let now = clock.date
        if message.payload.isEmpty {
            state.withLock { state in
                state.share.left(name)
                // Our own heartbeat cleared (our will fired on a reconnect): join again, counted from now.
                if name == member { wake.signal() }
            }
        } else {
            guard let beat = decoder.decode(message, as: ProberHeartbeat.self, expecting: [.proberHeartbeat])?.data,
                  beat.member == name, Self.isPlausible(beat, now: now) else { return }
            state.withLock { $0.share.received(beat) }
        }
        reconcile()
    }

    /// Untrusted input: numbers in range, a clock not far ahead of ours.
    static func isPlausible(_ beat: ProberHeartbeat, now: Date) -> Bool {
        (0.05...3_600).contains(beat.every) && (beat.every...86_400).contains(beat.timeout) && beat.member.utf8.count <= 64
            && (beat.site?.utf8.count ?? 0) <= 200 && beat.at.timeIntervalSince(now) <= beat.timeout && beat.since <= beat.at
    }

    /// Takes and drops cameras so this member holds exactly its share now.
    func reconcile() {
        let now = clock.date
        state.withLock { state in
            let alive = Dictionary(uniqueKeysWithValues: state.share.alive(at: now).map { ($0.member, $0.site) })
            guard alive != state.ownedFor else { return }
            state.ownedFor = alive
            let mine = state.share.owned(by: member, of: state.definitions.lazy.map { (id: $0.key, site: $0.value.definition.site) }, at: now)
            guard mine != state.owned else { return }
            let lost = state.owned.subtracting(mine), gained = mine.subtracting(state.owned)
            for id in lost { drop(id) }
            for id in gained { if let camera = state.definitions[id] { take(camera) } }
            state.owned = mine
            logger.info("fleet share changed", metadata: ["member": "\(member)", "owned": "\(mine.count)", "gained": "\(gained.count)", "lost": "\(lost.count)",
                                                          "members": "\(state.share.alive(at: now).map(\.member).joined(separator: ","))"])
        }
    }

    /// Waits until the retained definitions have arrived (none new for a second; at most 30 s) before
    /// the first heartbeat: a member is given cameras one heartbeat after its first, and one that was
    /// still reading 5,000 definitions then left some of them unchecked for two intervals (seen in
    /// scripts/test-failover.py: 8 gaps of 20 s after a prober rejoined; 0–1 with this wait).
    private func settle() async {
        let start = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = ContinuousClock.now
            let last = lastDefinition.withLock { $0 } ?? start
            if now - last >= .seconds(1) || now - start >= .seconds(30) { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Publishes the heartbeat every `every` seconds (at once after a rejoin) and reconciles
    /// whenever the alive set changes by time alone.
    private func beat(bus: ServiceBus) async {
        await settle()
        var nextBeat = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = clock.date
            if now >= nextBeat {
                let beat = state.withLock { state in
                    // No live heartbeat of its own came back (first start, cleared by its will, or silent past
                    // its timeout: paused or cut off, so the others took its cameras): it joins again, counted
                    // from now, instead of reclaiming cameras before everyone has heard of it.
                    let heard = state.share.members[member].map { now.timeIntervalSince($0.at) <= timeout } ?? false
                    if !heard { state.since = now }
                    return ProberHeartbeat(member: member, at: now, since: state.since, site: site, every: every, timeout: timeout)
                }
                do {
                    try await bus.publish(topic, type: .proberHeartbeat, data: beat, retain: true, timeout: .seconds(max(1, every)))
                } catch {
                    logger.warning("could not publish the membership heartbeat", metadata: ["error": "\(error)"])
                }
                nextBeat = now.addingTimeInterval(every)
                for name in state.withLock({ $0.share.stale(at: now, clearedBy: member) }) {
                    logger.notice("clearing the heartbeat of a prober dead for long (its last will was lost)", metadata: ["dead": "\(name)"])
                    try? await bus.publishTombstone(topics.proberMember(name), timeout: .seconds(max(1, every)))
                }
            }
            reconcile()
            let change = state.withLock { $0.share.nextChange(after: clock.date) } ?? nextBeat
            let wait = max(0.01, min(nextBeat, change).timeIntervalSince(clock.date))
            if await wake.wait(upTo: .milliseconds(Int64(wait * 1000))) { nextBeat = .distantPast }
        }
    }
}
