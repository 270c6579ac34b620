import CCTVContract
import Foundation
import Logging
import MQTTBus
import ServiceRuntime
import Synchronization

/// Keeps the broker's retained camera definitions (`cctv/{id}/config`, empty = deleted) equal to
/// the store, also across broker crashes.
///
/// Every change is published through here, one at a time (a ``SerialGate``), and then vouched
/// for with a fresh ``RetainedStateMarker``, but only when all of it was acknowledged on one
/// unbroken connection. After every connect the marker is read back; when it is not the last
/// one vouched for (the broker lost state: restarted from an older autosave, or from nothing),
/// or a change was never vouched for, every definition and tombstone is published again, page
/// by page, each page read fresh from the store inside the gate, so a command's newer change is
/// never overwritten by an older copy. The first connect of a process always republishes: a
/// change committed just before a crash may never have been published.
final class RetainedConfigPublisher: Sendable {
    let bus: ServiceBus
    let store: CameraStore
    let topics: Topics
    let marker: RetainedStateMarker
    let logger: Logger
    private let gate = SerialGate()

    private struct Ledger {
        /// The marker that vouches for everything published before it (`nil`: nothing vouched yet).
        var vouched: String?
        /// Something was published after `vouched` without a marker of its own.
        var dirty = true
        /// A full republish is under way: no marker until it has finished.
        var republishing = false
    }

    private let ledger = Mutex(Ledger())

    /// Cameras (or tombstones) read from the store and published per turn of the gate.
    static let page = 500

    init(bus: ServiceBus, store: CameraStore, topics: Topics, logger: Logger) {
        self.bus = bus
        self.store = store
        self.topics = topics
        self.marker = RetainedStateMarker(service: bus.service, topics: topics)
        self.logger = logger
    }

    /// One camera's retained state as published: its definition, or `nil` for the tombstone.
    struct State: Sendable {
        var id: String
        var camera: CameraDefinition?
    }

    /// Publishes one command's change with `publish` (the retained `states` and its events), makes
    /// sure the broker keeps the store's newest state (``settle(_:)``), then vouches for it.
    func publishChange(_ states: [State], _ publish: () async throws -> Void) async throws {
        try await gate.run {
            let epoch = bus.connectionEpoch
            ledger.withLock { $0.dirty = true }
            try await publish()
            try await settle(states)
            try await vouch(since: epoch)
        }
    }

    /// After `published` was acknowledged, reads those cameras from the store again and publishes
    /// the ones another registry replica changed meanwhile, until they agree. Replicas publish
    /// concurrently, so an older copy can reach the broker after a newer one; but whichever
    /// replica's publish arrives last then reads the store after it and publishes what is newest
    /// there (a later change is published by its own replica after it commits): the broker ends
    /// with the store's state. One store read per change (or per page of a republish).
    func settle(_ published: [State]) async throws {
        var pending = published
        while !pending.isEmpty {
            let stored = try store.definitions(ids: pending.map(\.id))
            pending = pending.compactMap { state in stored[state.id] == state.camera ? nil : State(id: state.id, camera: stored[state.id]) }
            guard !pending.isEmpty else { return }
            logger.info("a newer camera state was stored meanwhile (another replica): publishing it", metadata: ["cameras": "\(pending.count)"])
            try await Self.publishPaged(pending, bus: bus) { state in
                guard let camera = state.camera else { return [self.bus.tombstone(self.topics.config(state.id))] }
                return [self.bus.message(self.topics.config(state.id), type: .cameraConfig, encodedData: try ContractCodec.encodeValue(camera), retain: true)]
            }
        }
    }

    /// Items (cameras, tombstones, changes) per ``publishPaged(_:bus:_:)`` page, and pages in flight.
    static let publishPage = 250, pagesInFlight = 6

    /// Publishes the messages of `items` in pages of ``publishPage`` items: each page is encoded by
    /// its own task, queued with the client at once and acknowledged as a whole
    /// (``ServiceBus/publishAll(_:timeout:)``), with ``pagesInFlight`` pages under way. Memory stays
    /// bounded for a 100,000-camera import (at most 3,000 messages queued). Pages may reach the
    /// broker in either order (each page's messages keep theirs: a camera's definition before its
    /// event), as the 64 single publishes in flight did before: a batch never holds one camera twice.
    /// Measured (release, `scripts/bench-import.sh 100000`, load 12–17): the 64 single publishes
    /// took 40–44 s for an import's 200,000 messages (a task, a continuation and a JSON encoding
    /// per message, the camera encoded twice); one task encoding a page while two were in flight
    /// took 55–67 s: on a loaded machine that one task got too small a share of the CPU and the
    /// broker waited for the next page. Several pages encode in parallel now.
    static func publishPaged<Item: Sendable>(_ items: [Item], bus: ServiceBus,
                                             _ messages: @escaping @Sendable (Item) throws -> [MQTTOutgoingMessage]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var start = items.startIndex
            while start < items.endIndex {
                let end = min(start + publishPage, items.endIndex)
                let page = items[start..<end]
                if inFlight >= pagesInFlight { try await group.next(); inFlight -= 1 }
                group.addTask { try await bus.publishAll(try page.flatMap(messages)) }
                inFlight += 1
                start = end
            }
            try await group.waitForAll()
        }
    }

    /// Checks the broker's copy after every connect, until cancelled.
    func run() async {
        for await state in bus.connectionStates() where state == .connected {
            await verify()
        }
    }

    /// Renews the marker when everything since `epoch` was acknowledged on this one connection.
    private func vouch(since epoch: UInt64) async throws {
        guard !ledger.withLock({ $0.republishing }), bus.connectionEpoch == epoch else { return }
        let token = try await marker.renew(on: bus)
        guard bus.connectionEpoch == epoch else { return }
        ledger.withLock { $0.vouched = token; $0.dirty = false }
    }

    /// Reads the marker back (retrying while this connection lasts) and republishes when needed.
    private func verify() async {
        let epoch = bus.connectionEpoch
        while !Task.isCancelled && bus.connectionEpoch == epoch {
            do {
                let held = try await marker.current(on: bus)
                let (intact, vouched) = ledger.withLock { ($0.vouched != nil && $0.vouched == held && !$0.dirty, $0.vouched) }
                if intact { return }
                if vouched == nil {
                    logger.info("publishing every camera definition (start)")
                } else {
                    logger.warning("the broker lost camera definitions (its state marker changed): publishing them all again",
                                   metadata: ["broker_marker": "\(held ?? "none")", "ours": "\(vouched ?? "none")"])
                }
                try await republishAll(epoch: epoch)
                return
            } catch {
                logger.warning("could not check the broker's camera definitions; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    private func republishAll(epoch: UInt64) async throws {
        ledger.withLock { $0.republishing = true; $0.dirty = true }
        defer { ledger.withLock { $0.republishing = false } }
        let started = ContinuousClock.now
        var cameras = 0, tombstones = 0
        var after = ""
        while bus.connectionEpoch == epoch {
            let count = try await gate.run { () async throws -> Int in
                let page = try store.definitions(after: after, limit: Self.page)
                try await Self.publishPaged(page, bus: bus) { camera in
                    [self.bus.message(self.topics.config(camera.id), type: .cameraConfig, encodedData: try ContractCodec.encodeValue(camera), retain: true)]
                }
                try await settle(page.map { State(id: $0.id, camera: $0) })
                after = page.last?.id ?? after
                return page.count
            }
            cameras += count
            if count < Self.page { break }
        }
        after = ""
        while bus.connectionEpoch == epoch {
            let count = try await gate.run { () async throws -> Int in
                let page = try store.tombstones(after: after, limit: Self.page)
                try await Self.publishPaged(page, bus: bus) { id in [self.bus.tombstone(self.topics.config(id))] }
                try await settle(page.map { State(id: $0, camera: nil) })
                after = page.last ?? after
                return page.count
            }
            tombstones += count
            if count < Self.page { break }
        }
        // A reconnect meanwhile starts all over (on its own connected event): nothing vouched here.
        guard bus.connectionEpoch == epoch else { return }
        try await gate.run {
            ledger.withLock { $0.republishing = false }
            try await vouch(since: epoch)
        }
        logger.info("camera definitions published", metadata: [
            "cameras": "\(cameras)", "tombstones": "\(tombstones)", "seconds": "\(ContinuousClock.now - started)",
        ])
    }
}
