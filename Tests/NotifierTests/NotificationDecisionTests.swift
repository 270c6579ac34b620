import CCTVContract
import Foundation
import Testing
@testable import Notifier

/// The whole "who is told, and why not the others" rule as a table: one row per situation.
@Suite("notification decision")
struct NotificationDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_100)
    static let routing = NotificationRouting(book: ContactBook(teams: sampleBook.teams + [
        Team(id: "NVR-TEAM", name: "NVR 담당", role: .operators, channels: [.init(id: "nvr-hook", type: .webhook, url: "http://nvr")]),
    ], defaults: ["line-team": "KT-1", "operators": "OPS"], streamServers: ["http://10.0.0.5:8080/": "NVR-TEAM"]))

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var event: NotificationEvent
        var issue: IssueRecord
        var history = NotificationHistory()
        var told: [String]
        /// Channel → why it is not told (only the ones worth pinning).
        var whyNot: [String: NotificationDecision.Reason] = [:]
        var withdraw = false
        var testDescription: String { name }
    }

    static func issue(_ kind: IssueKind, team: String? = "KT-2", version: Int = 1, _ change: (inout IssueRecord) -> Void = { _ in }) -> IssueRecord {
        var issue = sampleIssue(kind: kind, team: team, version: version)
        change(&issue)
        return issue
    }

    static let rows: [Row] = [
        Row(name: "a line opening goes to the camera's line team and the operators whose filter takes LINE",
            event: .opened, issue: issue(.line), told: ["kt2-hook", "ops-hook", "nvr-hook"],
            whyNot: ["lead-hook": .kindFilter, "vendor-hook": .notResponsible, "kt1-hook": .notResponsible]),
        Row(name: "a camera opening goes to the vendor, not the line team",
            event: .opened, issue: issue(.camera, team: "HANWHA"), told: ["vendor-hook", "ops-hook", "lead-hook", "nvr-hook"],
            whyNot: ["kt2-hook": .notResponsible]),
        Row(name: "an unknown team falls back to the role's default team",
            event: .opened, issue: issue(.line, team: "NOPE"), told: ["kt1-hook", "ops-hook", "nvr-hook"]),
        Row(name: "an address that does not resolve is for operators only (their kind filters apply)",
            event: .opened, issue: issue(.configuration, team: nil), told: ["nvr-hook"],
            whyNot: ["kt1-hook": .notResponsible, "vendor-hook": .notResponsible, "ops-hook": .kindFilter]),
        Row(name: "a stream server's incident goes to the owner the contacts name",
            event: .opened, issue: issue(.streamServer, team: nil) { $0.cameraID = "SERVER:http://10.0.0.5:8080"; $0.streamServer = "http://10.0.0.5:8080" },
            told: ["nvr-hook"], whyNot: ["vendor-hook": .notResponsible]),
        Row(name: "the monitor's own outage reaches every operators channel whatever its filter, and nobody else",
            event: .opened, issue: issue(.monitor, team: nil) { $0.cameraID = "MONITOR:network" },
            told: ["ops-hook", "lead-hook", "nvr-hook"], whyNot: ["kt1-hook": .notResponsible, "kt2-hook": .notResponsible, "vendor-hook": .notResponsible]),
        Row(name: "a grouped camera is not announced on its own, and its held notice is withdrawn",
            event: .updated, issue: issue(.line, version: 2) { $0.parentID = "S-1" }, history: .init(previous: issue(.line), held: ["kt2-hook", "ops-hook"]),
            told: [], whyNot: ["kt2-hook": .grouped], withdraw: true),
        Row(name: "a silenced incident is held back",
            event: .opened, issue: issue(.line) { $0.silenced = true }, told: [], whyNot: ["kt2-hook": .silenced]),
        Row(name: "an older version arriving late tells nobody",
            event: .updated, issue: issue(.camera, version: 1), history: .init(previous: issue(.line, version: 3)), told: [],
            whyNot: ["kt2-hook": .olderVersion]),
        Row(name: "an opening of an incident already over tells nobody",
            event: .opened, issue: issue(.line, version: 4), history: .init(previous: issue(.line, version: 4) { $0.state = .resolved }), told: [],
            whyNot: ["kt2-hook": .alreadyOver]),
        Row(name: "only the lifecycle moved: nobody new to tell",
            event: .updated, issue: issue(.line, version: 2) { $0.state = .acknowledged }, history: .init(previous: issue(.line), told: ["kt2-hook"]),
            told: [], whyNot: ["kt2-hook": .nothingNew]),
        Row(name: "a re-diagnosis tells the newly responsible team and operators",
            event: .updated, issue: issue(.line, team: "KT-1", version: 2), history: .init(previous: issue(.lineDegraded, team: "KT-1"), told: ["kt1-hook"]),
            told: ["kt1-hook", "ops-hook", "nvr-hook"]),
        Row(name: "a recovery reaches everyone told, even a channel the filter would now leave out, plus operators",
            event: .resolved, issue: issue(.line, version: 3) { $0.state = .resolved }, history: .init(previous: issue(.camera), told: ["lead-hook", "vendor-hook"]),
            told: ["lead-hook", "vendor-hook", "ops-hook", "nvr-hook"], whyNot: ["kt2-hook": .notTold]),
        Row(name: "a grouped camera's recovery goes only to those told about it",
            event: .resolved, issue: issue(.line, version: 3) { $0.state = .resolved; $0.parentID = "S-1" }, history: .init(previous: issue(.line), told: ["kt2-hook"]),
            told: ["kt2-hook"], whyNot: ["ops-hook": .notTold]),
        Row(name: "an incident that resolved during its hold was never announced: its held notices are withdrawn, nobody hears of it",
            event: .resolved, issue: issue(.line, version: 2) { $0.state = .resolved }, history: .init(previous: issue(.line), held: ["kt2-hook", "ops-hook"]),
            told: [], whyNot: ["kt2-hook": .neverAnnounced, "ops-hook": .neverAnnounced], withdraw: true),
        Row(name: "escalation goes to the responsible team's escalation contact only",
            event: .escalated, issue: issue(.line, team: "KT-1"), history: .init(previous: issue(.line, team: "KT-1"), told: ["kt1-hook"]),
            told: ["lead-hook"]),
        Row(name: "a team without an escalation contact escalates to nobody",
            event: .escalated, issue: issue(.line, team: "KT-2"), told: [], whyNot: ["lead-hook": .notEscalation]),
        Row(name: "a reminder goes to the responsible team",
            event: .reminder, issue: issue(.line, team: "KT-2"), told: ["kt2-hook"]),
    ]

    @Test("who is told, and why not the others", arguments: rows)
    func table(_ row: Row) {
        let decision = NotificationDecision.decide(row.event, issue: row.issue, history: row.history, routing: Self.routing, now: Self.now)
        #expect(decision.told == row.told)
        for (channel, reason) in row.whyNot { #expect(decision.whyNot(channel) == reason, "\(channel)") }
        #expect(decision.withdrawHeld == row.withdraw)
    }

    @Test("an opening waits for its hold; an update of a still-held opening replaces it with the new facts")
    func hold() {
        let held = Self.issue(.lineDegraded) { $0.holdUntil = Self.now.addingTimeInterval(2) }
        let opening = NotificationDecision.decide(.opened, issue: held, history: .init(), routing: Self.routing, now: Self.now)
        #expect(opening.holdUntil == Self.now.addingTimeInterval(2))
        var worse = held
        worse.kind = .line
        worse.version = 2
        let update = NotificationDecision.decide(.updated, issue: worse, history: .init(previous: held, held: ["kt2-hook"]), routing: Self.routing, now: Self.now)
        #expect(update.withdrawHeld)
        #expect(update.event == .opened, "nobody heard of it yet: one opening with the latest diagnosis, not a re-diagnosis")
        #expect(update.holdUntil == Self.now.addingTimeInterval(2))
        var more = held
        more.version = 2
        more.groupedCount = 12
        let refresh = NotificationDecision.decide(.updated, issue: more, history: .init(previous: held, held: ["kt2-hook"]), routing: Self.routing, now: Self.now)
        #expect(refresh.refreshHeld, "a held notice goes out with the latest facts")
        #expect(refresh.told.isEmpty)
    }

    @Test("an update says what changed", arguments: [
        (NotificationChange.rediagnosed(from: .lineDegraded, to: .line), "재진단: 회선 품질 → 회선", "Re-diagnosed: Degraded line → Line"),
        (NotificationChange.maintenanceOver, "유지보수 종료, 장애 계속: 유지보수 시간이 끝났지만 장애가 계속됩니다", "Maintenance over, still down: the maintenance window ended and it is still down"),
    ])
    func updatedTitle(_ change: NotificationChange, _ korean: String, _ english: String) {
        let issue = Self.issue(.line)
        #expect(NotificationMessage.render(.updated, issue, change: change, language: .ko, dashboard: "").title == korean)
        #expect(NotificationMessage.render(.updated, issue, change: change, language: .en, dashboard: "").title == english)
        #expect(NotificationMessage.render(.opened, issue, language: .en, dashboard: "").title == "Line incident", "an opening keeps its own title")
    }

    @Test("a site notice says how many cameras are down and names the first ones; its recovery says the same")
    func siteNotice() {
        var site = Self.issue(.line) { $0.cameraID = "SITE:본관"; $0.cameraName = "본관"; $0.groupedCount = 37 }
        site.members = (1...20).map { "카메라 \($0)" }
        let korean = NotificationMessage.render(.opened, site, language: .ko, dashboard: "")
        #expect(korean.summary.contains("본관 현장 카메라 37대"))
        #expect(korean.plainText.contains("카메라 37대: 카메라 1, 카메라 2, 카메라 3, 카메라 4, 카메라 5, 카메라 6, 카메라 7, 카메라 8, 카메라 9, 카메라 10 외 27대"))
        site.state = .resolved
        let english = NotificationMessage.render(.resolved, site, language: .en, dashboard: "")
        #expect(english.summary.contains("37 cameras at 본관 are back"))
        #expect(english.plainText.contains("37 cameras: 카메라 1, 카메라 2, 카메라 3, 카메라 4, 카메라 5, 카메라 6, 카메라 7, 카메라 8, 카메라 9, 카메라 10 and 27 more"))
    }

    @Test("the monitor's own outage is said in Korean and English")
    func monitorNotice() {
        let monitor = Self.issue(.monitor, team: nil) { $0.cameraID = "MONITOR:network"; $0.groupedCount = 1200; $0.reason = "fleet_failed_at_once" }
        #expect(NotificationMessage.korean(.opened, monitor).contains("CCTV Out 자체 네트워크가 끊겼습니다"))
        #expect(NotificationMessage.english(.opened, monitor).contains("The monitor's own network is down"))
        #expect(NotificationMessage.english(.resolved, monitor).contains("network is back"))
    }

    @Test("a flapping incident's notice says why it stays open")
    func flappingNotice() {
        let flapping = Self.issue(.line) { $0.flapping = true; $0.recoveryChecks = 10 }
        #expect(NotificationMessage.render(.opened, flapping, language: .ko, dashboard: "").plainText.contains("연속 10회 정상 확인 후에 해소"))
        #expect(NotificationMessage.render(.opened, flapping, language: .en, dashboard: "").plainText.contains("only after 10 good checks in a row"))
    }
}
