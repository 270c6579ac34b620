import CCTVContract
import Foundation
import HLSCore
import Logging
import Metrics
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The prober: builds its schedule from the retained `cctv/+/config` definitions (a restart
/// rebuilds it; no state of its own beyond each stream's last playlist load), runs each
/// camera's ICMP and HLS checks and publishes every result on `cctv/{id}/icmp` and
/// `cctv/{id}/hls`.
///
/// ICMP and HLS have separate schedules and separate concurrency limits, so slow HLS servers
/// can never delay a ping, and every check runs in its own task with its own time budget, so
/// one hung camera holds up nothing but its own next check.
///
/// While a camera's line is down (its latest ICMP check was TIMEOUT or FAIL) its HLS check is
/// skipped: the diagnosis is LINE whatever the stream does, and a site whose line is cut would
/// otherwise make hundreds of HLS checks each wait out a full time budget, starving the HLS
/// pool for every healthy camera. The first answered ping lets the HLS checks resume.
package final class ProberService: Service {
    let context: RuntimeContext
    let icmp: any ICMPProbing
    let hls: HLSChecker
    /// The optional ffprobe deep check and its cadence (every Nth good HLS check; 0 = off).
    let configuration: ProberConfiguration
    let deepCheck: FFprobeDeepCheck
    private let deepCheckCounts = Mutex<[String: Int]>([:])
    let backoff: BackoffPolicy
    let proberID: String
    let logger: Logger
    let linesDown = FlaggedCameras()
    /// Cameras whose latest HLS or RTSP check failed: their picture cannot be judged.
    let streamsDown = FlaggedCameras()
    /// The RTSP rung (cameras with an RTSP URL) and the picture rung (cameras with picture checks on).
    let rtsp: RTSPChecker
    let picture: PictureCheck
    /// The ONVIF rung (cameras with an ONVIF address), over the HLS checker's bounded HTTP port.
    let onvif: ONVIFChecker
    /// The PullPoint event subscriptions of the cameras that ask for them (`checks.onvifEvents`).
    let onvifEvents: ONVIFEventWatch
    /// The prober's own vantage point: while its reference addresses fail, results are inconclusive.
    let reference: ReferenceWatch

    /// - Parameters:
    ///   - configuration: cadence, budgets, concurrency and fleet selection.
    ///   - icmp: the ICMP adapter (``EngineICMPProbe`` in production).
    ///   - hls: the HLS checker; by default one over AsyncHTTPClient with the configured time
    ///     budget and segment byte cap.
    package init(context: RuntimeContext, configuration: ProberConfiguration, icmp: any ICMPProbing, hls: HLSChecker? = nil) {
        self.context = context
        let configuration = configuration.named()
        self.configuration = configuration
        self.icmp = icmp
        self.logger = context.logger(for: "prober")
        self.deepCheck = FFprobeDeepCheck(timeout: .milliseconds(Int64((configuration.deepCheckTimeout * 1000).rounded())),
                                          concurrency: configuration.deepCheckConcurrency)
        self.backoff = BackoffPolicy(failuresBeforeBackoff: configuration.backoffAfter)
        let hls = hls ?? HLSChecker(fetcher: HTTPClientHLSFetcher(connectionsPerHost: configuration.hlsConcurrency,
                                                                 destinations: context.configuration.destinations),
                                    limits: configuration.hlsLimits)
        self.hls = hls
        self.rtsp = RTSPChecker(limits: configuration.rtspLimits)
        self.onvif = ONVIFChecker(fetcher: hls.fetcher, limits: configuration.onvifLimits)
        let snapshots = SnapshotStore(dataDir: context.dataDir, perCamera: configuration.snapshotKeep)
        self.picture = PictureCheck(options: .init(sampleSeconds: configuration.pictureSample, snapshots: snapshots))
        self.proberID = "\(context.instance)-\(configuration.busName)"
        self.onvifEvents = ONVIFEventWatch(checker: onvif, limits: configuration.onvifEventLimits, proberID: proberID, logger: logger)
        self.reference = ReferenceWatch(setting: configuration.reference, every: .milliseconds(Int64((configuration.referenceEvery * 1000).rounded())),
                                        procNetRoute: { try? String(contentsOfFile: "/proc/net/route", encoding: .utf8) })
    }

    package func run() async throws {
        // A session per member; dying clears its heartbeat (one prober gone is not the service offline).
        let bus = context.makeBus(service: "prober", session: configuration.busName,
                                  will: ProberMembership.will(topics: context.topics, configuration: configuration))
        // The first subscription of this process asks for every retained definition, so a prober
        // restarted however it died checks the whole fleet, whatever its persistent session held.
        // The heartbeats have their own, so a burst of definitions never delays them.
        let othersAlive = try await bus.withSubscriptions([[context.topics.allConfigs], [context.topics.allProberMembers]]) { subscriptions in
            bus.start()
            return await runFleet(bus: bus, configs: subscriptions[0], members: subscriptions[1])
        }
        await bus.shutdown(announcingOffline: !othersAlive)
        if let fetcher = hls.fetcher as? HTTPClientHLSFetcher { await fetcher.shutdown() }
    }

    /// One schedule per check rung. ICMP has its own slots; HLS, RTSP and ONVIF share the stream
    /// slots (per stream server, slow ones capped); pictures have a fleet-wide cap of their own.
    struct Schedules {
        let icmp: CheckRunner
        let hls: CheckRunner
        let rtsp: CheckRunner
        let picture: CheckRunner
        let onvif: CheckRunner
        var all: [CheckRunner] { [icmp, hls, rtsp, picture, onvif] }
    }

    func makeSchedules() -> Schedules {
        let streamSlots = CheckSlots(total: configuration.hlsConcurrency, slowShare: configuration.hlsSlowShare, perHostLimit: configuration.hlsPerHost)
        return Schedules(
            icmp: CheckRunner(defaultInterval: configuration.interval, backoff: backoff, slots: CheckSlots(total: configuration.concurrency), alignedToWallClock: true),
            hls: CheckRunner(defaultInterval: configuration.interval, backoff: backoff, slots: streamSlots,
                             slowAfter: hls.limits.timeBudget / 2, alignedToWallClock: true, host: CheckRunner.streamHost),
            rtsp: CheckRunner(defaultInterval: configuration.interval, backoff: backoff, slots: streamSlots,
                              slowAfter: rtsp.limits.timeBudget / 2, alignedToWallClock: true, host: Self.rtspHost),
            // One picture check per camera every prober.picture-every, at most picture-concurrency at
            // once fleet-wide (each decodes seconds of video); due checks wait for a slot.
            picture: CheckRunner(defaultInterval: configuration.pictureEvery, slots: CheckSlots(total: configuration.pictureConcurrency), alignedToWallClock: true),
            // ONVIF answers describe the device, not the stream: every prober.onvif-every, in the stream slots.
            onvif: CheckRunner(defaultInterval: configuration.onvifEvery, backoff: backoff, slots: streamSlots,
                               slowAfter: onvif.limits.timeBudget / 2, alignedToWallClock: true, host: Self.onvifHost))
    }

    /// Keeps the fleet's definitions in step with the retained ones (a tombstone unschedules a
    /// camera; `membership` schedules those that are this member's) until the subscription ends.
    func follow(_ configs: MQTTSubscription, membership: ProberMembership, schedules: Schedules, credentials: StreamCredentialsSource) async {
        let definitions = DefinitionReader(decoder: MessageDecoder(service: "prober", logger: logger))
        for await message in configs {
            guard let id = context.topics.cameraID(in: message.topic) else { continue }
            if message.payload.isEmpty { membership.forgot(id); unschedule(id, schedules.all); credentials.forget(id); continue }
            guard let envelope = definitions.definition(message), envelope.data.id == id else { continue }
            membership.learned(envelope.data)
        }
    }

    /// Puts a camera of this member on every schedule its definition asks for.
    func schedule(_ held: HeldDefinition, _ schedules: Schedules) {
        let camera = held.definition, id = camera.id
        reference.track(id, address: camera.address)
        schedules.icmp.upsert(held)
        if camera.hlsURL.flatMap(URL.init(string:)) != nil {
            schedules.hls.upsert(held)
        } else {
            schedules.hls.remove(id); hls.forget(id)
        }
        if camera.checks?.rtspURL != nil { schedules.rtsp.upsert(camera) } else { schedules.rtsp.remove(id) }
        if let pictured = pictureCamera(camera) { schedules.picture.upsert(pictured) } else { schedules.picture.remove(id) }
        if let checked = onvifCamera(camera) { schedules.onvif.upsert(checked) } else { schedules.onvif.remove(id) }
        onvifEvents.upsert(camera)
    }

    /// Checks the reference addresses until cancelled, logging each change of verdict.
    func watchReference() async {
        await reference.run(icmp: icmp) { verdict in
            if let verdict {
                self.logger.error("none of the reference addresses answers: results are inconclusive until one does",
                                  metadata: ["reason": "\(verdict)", "addresses": "\(self.reference.due.joined(separator: ","))"])
            } else {
                self.logger.notice("a reference address answers again: results count")
            }
        }
    }

    /// Logs a warning, at most once a minute, while the ICMP or stream checks start over 10 s after
    /// their slots: the prober cannot keep up with its fleet (too few slots or packets a second),
    /// so cameras are checked less often than their interval. At 100,000 cameras every 60 s the
    /// former 256 slots and 2,000 packets/s started checks minutes late, and nothing said so.
    func watchLateness(_ schedules: Schedules) async {
        let runners = [("icmp", schedules.icmp), ("hls", schedules.hls), ("rtsp", schedules.rtsp), ("onvif", schedules.onvif)]
        // Ends only when cancelled: the first task of the fleet's group to end stops the others.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(60))
            for (kind, runner) in runners where !Task.isCancelled {
                let late = runner.takeLateness()
                guard late > 10 else { continue }
                logger.warning("checks start late: the prober cannot keep up with its fleet; raise prober.concurrency or prober.icmp-rate (ICMP needs cameras × echoes ÷ interval packets a second), or add a prober",
                               metadata: ["kind": "\(kind)", "late_seconds": "\(Int(late))", "cameras": "\(runner.count)",
                                          "concurrency": "\(configuration.concurrency)", "icmp_rate": "\(Int(configuration.icmpRate))"])
            }
        }
    }

    /// Keeps the schedules in step with the definitions and this member's share of the fleet and
    /// runs the checks until shutdown; then leaves the fleet and returns whether other members live.
    func runFleet(bus: ServiceBus, configs: MQTTSubscription, members: MQTTSubscription) async -> Bool {
        let credentials = StreamCredentialsSource(bus: bus, commandTopic: context.topics.credentialRequests(from: bus.account), logger: logger)
        let schedules = makeSchedules()
        let membership = ProberMembership(configuration: configuration, topics: context.topics, logger: logger,
                                          take: { self.schedule($0, schedules) }, drop: { self.unschedule($0, schedules.all) })
        let outbox = ResultOutbox()
        // The outbox runs beside the checks, not among them: when they stop, the results they
        // handed over are still published, for at most 2 s (a stop with the broker away still
        // ends within the 5 s a service has), before the prober leaves.
        await withTaskGroup(of: Void.self) { publishing in
            publishing.addTask { await outbox.run(bus: bus, logger: self.logger) }
            await runChecks(bus: bus, configs: configs, members: members, membership: membership, schedules: schedules,
                            credentials: credentials, outbox: outbox)
            outbox.finish()
            publishing.addTask { try? await Task.sleep(for: .seconds(2)) }
            await publishing.next()
            if outbox.batches.buffered > 0 {
                logger.warning("stopping before every result was published: the broker did not take them in time", metadata: ["results_waiting": "\(outbox.batches.buffered)"])
            }
            publishing.cancelAll()
        }
        return await membership.leave(bus: bus)
    }

    /// Every check of this member's share of the fleet, following the definitions and the
    /// membership, until the first of these tasks ends (a stop).
    func runChecks(bus: ServiceBus, configs: MQTTSubscription, members: MQTTSubscription, membership: ProberMembership,
                   schedules: Schedules, credentials: StreamCredentialsSource, outbox: ResultOutbox) async {
        let counters = CheckCounters()
        await withTaskGroup(of: Void.self) { group in
            // Only with reference addresses: the first task of the group to end stops the others.
            if !reference.addresses.isEmpty { group.addTask { await self.watchReference() } }
            group.addTask { await self.follow(configs, membership: membership, schedules: schedules, credentials: credentials) }
            group.addTask { await self.watchLateness(schedules) }
            group.addTask { await membership.run(bus: bus, messages: members, decoder: MessageDecoder(service: "prober", logger: self.logger)) }
            let round = Round(bus: bus, outbox: outbox, membership: membership, credentials: credentials, counters: counters)
            group.addTask {
                await schedules.icmp.runInBatches(start: { self.startICMP($0, round, finished: $1) }, handle: { await self.handleICMP($0, round) })
            }
            group.addTask { await schedules.hls.run { await self.hlsRound(of: $0, round) } }
            group.addTask { await schedules.rtsp.run { await self.rtspRound(of: $0, round) } }
            group.addTask { await schedules.picture.run { await self.pictureRound(of: $0, round) } }
            group.addTask {
                let topics = self.context.topics
                await self.onvifEvents.run(sink: ONVIFEventWatch.Sink(
                    publish: { await self.publish($0, on: bus, via: outbox, topic: topics.onvifEvent($0.cameraID), type: .probeONVIFEvent) },
                    credentials: { await credentials.credentials(for: $0) }))
            }
            group.addTask { await schedules.onvif.run { await self.onvifRound(of: $0, round) } }
            await group.next()
            group.cancelAll()
        }
    }

    func unschedule(_ id: String, _ runners: [CheckRunner]) {
        reference.track(id, address: nil)
        linesDown.record(id, down: false)
        streamsDown.record(id, down: false)
        for runner in runners { runner.remove(id) }
        onvifEvents.remove(id)
        hls.forget(id)
    }

    /// Hands a result to the outbox, which publishes it with the others of its 20 ms.
    func publish<Payload: Codable & Sendable>(_ result: Payload, on bus: ServiceBus, via outbox: ResultOutbox, topic: String, type: EventType) async {
        await outbox.send(bus.message(topic, type: type, data: result))
    }

    /// The result of a finished ICMP check, stamped with the camera and this prober.
    func icmpResult(_ camera: CameraDefinition, _ verdict: ICMPVerdict) -> ICMPResult {
        ICMPResult(
            cameraID: camera.id, address: camera.address, status: verdict.status, reason: verdict.reason,
            sent: verdict.sent, received: verdict.received, refused: verdict.refused > 0 ? verdict.refused : nil, lossPercent: verdict.lossPercent,
            rttMinMs: verdict.rttMinMs, rttAvgMs: verdict.rttAvgMs, rttMaxMs: verdict.rttMaxMs, replyFrom: verdict.replyFrom,
            startedAt: verdict.startedAt ?? Date(), durationMs: verdict.durationMs ?? 0, prober: proberID, inconclusive: reference.inconclusive)
    }

    /// `nil` when the camera has no usable stream URL (it is then not on the HLS schedule).
    /// `credentials` come from the registry on request (see ``StreamCredentialsSource``).
    func checkHLS(_ camera: CameraDefinition, credentials: StreamCredentials? = nil) async -> HLSResult? {
        guard let text = camera.hlsURL, let url = URL(string: text) else { return nil }
        let started = Date()
        let clock = ContinuousClock.now
        let verdict = await hls.check(key: camera.id, url: url, credentials: credentials)
        return HLSResult(
            cameraID: camera.id, url: text, status: verdict.status, reason: verdict.reason, detail: verdict.detail,
            httpStatus: verdict.httpStatus, playlistLatencyMs: verdict.playlistLatencyMs, segmentAgeSeconds: verdict.segmentAgeSeconds,
            bitrateKbps: verdict.bitrateKbps, codec: verdict.codec, width: verdict.width, height: verdict.height, bytes: verdict.bytes,
            startedAt: started, durationMs: Self.milliseconds(ContinuousClock.now - clock), prober: proberID, inconclusive: reference.inconclusive)
    }

    /// Runs the deep check when this camera's turn has come; a stream ffprobe cannot open (or
    /// that has no video) becomes FAIL with the deep check's reason. A missing ffprobe or a full
    /// deep-check pool leaves the result as it is.
    func deepen(_ result: HLSResult, camera: CameraDefinition) async -> HLSResult {
        guard configuration.deepCheckEvery > 0, let url = camera.hlsURL.flatMap(URL.init(string:)), !camera.hasCredentials else { return result }
        let turn = deepCheckCounts.withLock { counts -> Bool in
            let next = (counts[camera.id] ?? 0) + 1
            counts[camera.id] = next % configuration.deepCheckEvery
            return next % configuration.deepCheckEvery == 0
        }
        guard turn, let deep = await deepCheck.probe(url), deep.reason != "ffprobe_missing" else { return result }
        var result = result
        if deep.isHealthy {
            result.codec = result.codec ?? deep.codec
            result.width = result.width ?? deep.width
            result.height = result.height ?? deep.height
        } else {
            result.status = .fail
            result.reason = deep.reason
            result.detail = deep.detail
        }
        return result
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
    }
}

/// Cameras flagged by their latest check (line down, stream broken).
final class FlaggedCameras: Sendable {
    private let ids = Mutex<Set<String>>([])
    func record(_ id: String, down: Bool) { _ = ids.withLock { down ? $0.insert(id).inserted : $0.remove(id) != nil } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
