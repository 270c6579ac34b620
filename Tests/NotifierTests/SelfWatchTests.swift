import CCTVContract
import Foundation
import Installation
import GRDB
import Logging
import MQTTBus
import ServiceLifecycle
import ServiceRuntime
import Testing
import TestSupport
@testable import Notifier

/// Operators are told when the monitor itself is in trouble, and again when it is over.
@Suite("self-watch: when operators are told", .runsAlone)
struct SelfWatchTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func health(_ reasons: [MonitoringHealth.Reason], offline: [String] = []) -> MonitoringHealth {
        MonitoringHealth(state: reasons.isEmpty ? .live : .stalled, reasons: reasons, servicesOffline: offline)
    }

    @Test("a service offline for longer than the configured time is told once, and told again when it is back")
    func serviceOfflineThenBack() {
        var watch = SelfWatch(offlineAfter: 120)
        #expect(watch.observe(health([.serviceOffline], offline: ["prober"]), now: t0).isEmpty, "not yet: a restart takes seconds")
        #expect(watch.observe(health([.serviceOffline], offline: ["prober"]), now: t0.addingTimeInterval(119)).isEmpty)
        let down = watch.observe(health([.serviceOffline], offline: ["prober"]), now: t0.addingTimeInterval(120))
        #expect(down == [SelfWatchNotice(kind: .down, condition: .serviceOffline("prober"), since: t0, at: t0.addingTimeInterval(120))])
        #expect(watch.observe(health([.serviceOffline], offline: ["prober"]), now: t0.addingTimeInterval(500)).isEmpty, "told once")
        let back = watch.observe(health([]), now: t0.addingTimeInterval(600))
        #expect(back.map(\.kind) == [.back])
        #expect(back.first?.since == t0)
    }

    @Test("a service back before the configured time is never mentioned")
    func shortBlip() {
        var watch = SelfWatch(offlineAfter: 120)
        _ = watch.observe(health([.serviceOffline], offline: ["issues"]), now: t0)
        #expect(watch.observe(health([]), now: t0.addingTimeInterval(30)).isEmpty)
    }

    @Test("missing results are told at once (the stall time already passed), and their return too")
    func resultsStalled() {
        var watch = SelfWatch(offlineAfter: 120)
        #expect(watch.observe(health([.noResults]), now: t0).map(\.condition) == [.resultsStalled])
        #expect(watch.observe(health([]), now: t0.addingTimeInterval(10)).map(\.kind) == [.back])
    }

    @Test("while the broker is away only the broker is told about; the rest is neither raised nor cleared")
    func brokerAwayFreezesTheRest() {
        var watch = SelfWatch(offlineAfter: 60)
        #expect(watch.observe(health([.noResults]), now: t0).map(\.condition) == [.resultsStalled])
        let away = MonitoringHealth(state: .stalled, reasons: [.brokerUnreachable])
        #expect(watch.observe(away, now: t0.addingTimeInterval(1)).isEmpty, "no false 'checks resumed' while blind")
        #expect(watch.observe(away, now: t0.addingTimeInterval(61)).map(\.condition) == [.brokerUnreachable])
        let back = watch.observe(health([]), now: t0.addingTimeInterval(90))
        #expect(Set(back.map(\.condition)) == [.brokerUnreachable, .resultsStalled])
        #expect(back.allSatisfy { $0.kind == .back })
    }

    @Test("a condition told before a restart still gets its 'back'")
    func restoredAcrossRestart() {
        var watch = SelfWatch(offlineAfter: 120)
        watch.restore(announced: [.serviceOffline("gateway"): t0])
        #expect(watch.observe(health([.serviceOffline], offline: ["gateway"]), now: t0.addingTimeInterval(5)).isEmpty, "not told twice")
        #expect(watch.observe(health([]), now: t0.addingTimeInterval(9)).map(\.kind) == [.back])
    }

    @Test("the notifier never reports itself")
    func notItself() {
        var watch = SelfWatch(offlineAfter: 1)
        #expect(watch.observe(health([.serviceOffline], offline: ["notifier"]), now: t0.addingTimeInterval(10)).isEmpty)
    }

    @Test("notices speak Korean and English and say how long")
    func wording() {
        let down = SelfWatchNotice(kind: .down, condition: .serviceOffline("prober"), since: t0, at: t0.addingTimeInterval(185))
        let ko = SelfWatchMessage.render(down, language: .ko, dashboard: "http://cctv", timeZone: .gmt)
        let en = SelfWatchMessage.render(down, language: .en, dashboard: "http://cctv", timeZone: .gmt)
        #expect(ko.title == "[감시 시스템 경고] 서비스 중단: prober")
        #expect(ko.summary.contains("3분 5초째"))
        #expect(en.title == "[Monitor alert] Service offline: prober")
        #expect(en.summary.contains("3 min 5 s"))
        let stalled = SelfWatchNotice(kind: .down, condition: .resultsStalled, since: t0, at: t0.addingTimeInterval(130), lastResultAt: t0)
        #expect(SelfWatchMessage.render(stalled, language: .ko, dashboard: "", timeZone: .gmt).summary.contains("점검 결과가"))
        #expect(SelfWatchMessage.render(stalled, language: .en, dashboard: "", timeZone: .gmt).title == "[Monitor alert] Camera checks stalled")
    }

    @Test("the heartbeat URL is called only while live; the fail URL, when set, while stalled")
    func heartbeatConvention() {
        let both = SelfWatchConfiguration(stallAfter: 10, offlineAfter: 10, heartbeatURL: "https://hc/ping", heartbeatFailURL: "https://hc/ping/fail")
        let silent = SelfWatchConfiguration(stallAfter: 10, offlineAfter: 10, heartbeatURL: "https://hc/ping")
        #expect(Heartbeat.url(for: health([]), configuration: both) == "https://hc/ping")
        #expect(Heartbeat.url(for: health([.noResults]), configuration: both) == "https://hc/ping/fail")
        #expect(Heartbeat.url(for: health([.noResults]), configuration: silent) == nil)
        #expect(Heartbeat.url(for: MonitoringHealth(state: .starting), configuration: both) == nil)
    }
}

/// The notifier against a real broker and a real webhook receiver.
@Suite("self-watch through a real broker", .serialized, .runsAlone)
struct SelfWatchServiceTests {
    @Test("operators' webhook hears 'prober offline' after the configured time and 'back' when it returns; the heartbeat stops meanwhile")
    func offlineNoticeAndHeartbeat() async throws {
        let sink = try await HTTPSink()
        defer { sink.stop() }
        let running = try TestInstallation([.notifier]) {
            $0.notifier.operatorsWebhook = sink.url("/ops")
            $0.runtime.selfWatch = SelfWatchConfiguration(stallAfter: 4, offlineAfter: 1, heartbeatURL: sink.url("/beat"), heartbeatEvery: 1)
        }
        let broker = running.broker
        let notifier = try #require(running.installation.notifier)
        let logger = Logger(label: "tool")

        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        tool.start()
        try await tool.waitUntilConnected()
        @Sendable func pulse() async throws {
            let pulse = MonitorPulse(lastResultAt: Date(), since: Date().addingTimeInterval(-60), results: 3, cameras: 3, every: 1)
            try await tool.publish("monitor/pulse", payload: ContractCodec.encode(Envelope(type: .monitorPulse, source: "test", data: pulse)), retain: true)
        }
        for service in ["registry", "prober", "issues", "gateway"] {
            try await tool.publish("services/\(service)/availability", payload: Array("online".utf8), retain: true)
        }
        // Results keep arriving: a pulse a second in the background.
        let pulses = Task { while !Task.isCancelled { try? await pulse(); try? await Task.sleep(for: .milliseconds(500)) } }
        defer { pulses.cancel() }

        #expect(await sink.first(timeout: .seconds(20)) { $0.path == "/beat" } != nil, "healthy: the heartbeat is called")

        try await tool.publish("services/prober/availability", payload: Array("offline".utf8), retain: true)
        let down = await sink.first(timeout: .seconds(20)) { $0.path == "/ops" && $0.json?["event"] as? String == "monitor_down" }
        #expect(down?.json?["condition"] as? String == "service_offline:prober")
        #expect((down?.json?["messageKo"] as? String)?.contains("prober 서비스") == true)
        #expect((down?.json?["messageEn"] as? String)?.contains("prober service") == true)
        let beatsWhileDown = sink.all.filter { $0.path == "/beat" }.count
        try await Task.sleep(for: .seconds(2.5))
        #expect(sink.all.filter { $0.path == "/beat" }.count == beatsWhileDown, "unhealthy: the heartbeat is not called")

        try await tool.publish("services/prober/availability", payload: Array("online".utf8), retain: true)
        let back = await sink.first(timeout: .seconds(20)) { $0.path == "/ops" && $0.json?["event"] as? String == "monitor_back" }
        #expect(back?.json?["condition"] as? String == "service_offline:prober")
        #expect(await eventually(timeout: .seconds(10)) { sink.all.filter { $0.path == "/beat" }.count > beatsWhileDown }, "healthy again: heartbeat resumes")
        #expect(sink.all.filter { $0.json?["event"] as? String == "monitor_down" }.count == 1, "told once")
        let history = try notifier.store.history(issueID: "monitor:service_offline:prober")
        #expect(Set(history.map(\.event)) == ["monitor_down", "monitor_back"], "in the delivery history like any notice")

        pulses.cancel()
        await tool.shutdown()
        await running.stop()
    }

    @Test("check results that stop arriving are told as 'camera checks stalled'")
    func resultsStall() async throws {
        let sink = try await HTTPSink()
        defer { sink.stop() }
        let running = try TestInstallation([.notifier]) {
            $0.notifier.operatorsWebhook = sink.url("/ops")
            $0.runtime.selfWatch.stallAfterOverride = 2
        }
        let broker = running.broker
        let logger = Logger(label: "tool")
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        tool.start()
        try await tool.waitUntilConnected()
        // The issues service still pulses, but its last result is old.
        let stale = Task {
            while !Task.isCancelled {
                let pulse = MonitorPulse(lastResultAt: Date().addingTimeInterval(-30), since: Date().addingTimeInterval(-600), results: 0, cameras: 5, every: 0.5)
                try? await tool.publish("monitor/pulse", payload: ContractCodec.encode(Envelope(type: .monitorPulse, source: "test", data: pulse)), retain: true)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        defer { stale.cancel() }
        let down = await sink.first(timeout: .seconds(20)) { $0.json?["event"] as? String == "monitor_down" }
        #expect(down?.json?["condition"] as? String == "results_stalled")
        #expect(down?.json?["title"] as? String == "[감시 시스템 경고] 카메라 점검 중단", "the operators team's language (Korean by default)")
        stale.cancel()
        await tool.shutdown()
        await running.stop()
    }
}
