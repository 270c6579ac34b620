import CCTVContract
import Foundation
import Testing

/// When a maintenance window is in force: once, from a future time, and every week in a time zone.
@Suite("maintenance schedule")
struct MaintenanceScheduleTests {
    /// `2026-11-22T02:30:00+09:00` style times (a Sunday in Seoul).
    static func seoul(_ text: String) -> Date {
        try! Date(text + "+09:00", strategy: .iso8601)
    }
    static let sundayNight = Recurrence(days: [7], start: "02:00", minutes: 120, timeZone: "Asia/Seoul")

    @Test("a one-off window from a future time holds only between its start and end")
    func oneOff() {
        let window = Silence(scope: .site, value: "본관", startsAt: Self.seoul("2026-11-20T22:00:00"), until: Self.seoul("2026-11-21T01:00:00"))
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-20T21:59:00")) == nil)
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-20T23:00:00")) != nil)
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-21T01:00:00")) == nil)
        #expect(MaintenanceSchedule.nextWindow(of: window, from: Self.seoul("2026-11-20T12:00:00"))?.start == Self.seoul("2026-11-20T22:00:00"))
        #expect(MaintenanceSchedule.window(of: Silence(scope: .camera, value: "C", until: Self.seoul("2026-11-21T00:00:00")), containing: Self.seoul("2026-11-20T00:00:00")) != nil,
                "without a start it holds at once")
    }

    @Test("every Sunday 02:00–04:00 Seoul time holds on Sunday 03:00, not on Saturday, and names the next Sunday")
    func weekly() {
        let window = Silence(scope: .vendor, value: "HANWHA", until: Self.seoul("2027-06-01T00:00:00"), recurrence: Self.sundayNight)
        let held = MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T03:00:00"))
        #expect(held == DateInterval(start: Self.seoul("2026-11-22T02:00:00"), end: Self.seoul("2026-11-22T04:00:00")))
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T04:00:00")) == nil)
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-21T03:00:00")) == nil, "Saturday")
        #expect(MaintenanceSchedule.nextWindow(of: window, from: Self.seoul("2026-11-22T05:00:00"))?.start == Self.seoul("2026-11-29T02:00:00"))
    }

    @Test("an occurrence that crosses midnight covers the next day's early hours")
    func acrossMidnight() {
        let window = Silence(scope: .tag, value: "야간", until: Self.seoul("2027-01-01T00:00:00"),
                             recurrence: Recurrence(days: [6], start: "23:00", minutes: 180, timeZone: "Asia/Seoul"))
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T01:30:00")) != nil, "Sunday 01:30 is inside Saturday 23:00 + 3 h")
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T02:00:00")) == nil)
    }

    @Test("a zone keeps wall-clock time across a daylight-saving change")
    func daylightSaving() throws {
        let window = Silence(scope: .site, value: "NY", until: try Date("2026-12-01T00:00:00Z", strategy: .iso8601),
                             recurrence: Recurrence(days: [7], start: "03:00", minutes: 60, timeZone: "America/New_York"))
        // 2026-11-01 is the Sunday the US leaves daylight time: 03:00 EST = 08:00 UTC (a week earlier 03:00 EDT = 07:00 UTC).
        #expect(MaintenanceSchedule.window(of: window, containing: try Date("2026-11-01T08:30:00Z", strategy: .iso8601)) != nil)
        #expect(MaintenanceSchedule.window(of: window, containing: try Date("2026-10-25T07:30:00Z", strategy: .iso8601)) != nil)
        #expect(MaintenanceSchedule.window(of: window, containing: try Date("2026-11-01T07:30:00Z", strategy: .iso8601)) == nil)
    }

    @Test("ending a recurring window early pauses it to the end of this occurrence; the next one holds again")
    func endedEarly() {
        let window = Silence(scope: .lineTeam, value: "KT-1", until: Self.seoul("2027-06-01T00:00:00"), recurrence: Self.sundayNight)
        let now = Self.seoul("2026-11-22T02:30:00")
        let ended = MaintenanceSchedule.endedEarly(window, at: now)
        #expect(ended.pausedUntil == Self.seoul("2026-11-22T04:00:00"))
        #expect(MaintenanceSchedule.window(of: ended, containing: Self.seoul("2026-11-22T03:00:00")) == nil)
        #expect(MaintenanceSchedule.window(of: ended, containing: Self.seoul("2026-11-29T02:30:00")) != nil)
        #expect(!MaintenanceSchedule.isOver(ended, at: now))
        let once = MaintenanceSchedule.endedEarly(Silence(scope: .camera, value: "C", until: Self.seoul("2026-11-22T05:00:00")), at: now)
        #expect(MaintenanceSchedule.isOver(once, at: now))
    }

    @Test("the series end cuts the last occurrence short")
    func seriesEnd() {
        let window = Silence(scope: .site, value: "본관", until: Self.seoul("2026-11-22T03:00:00"), recurrence: Self.sundayNight)
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T02:30:00"))?.end == Self.seoul("2026-11-22T03:00:00"))
        #expect(MaintenanceSchedule.window(of: window, containing: Self.seoul("2026-11-22T03:30:00")) == nil)
        #expect(MaintenanceSchedule.isOver(window, at: Self.seoul("2026-11-22T03:00:00")))
    }

    @Test("a bad window is refused naming its field", arguments: [
        (Recurrence(days: [0], start: "02:00", minutes: 60, timeZone: "Asia/Seoul"), "silence.recurrence.days"),
        (Recurrence(days: [7], start: "25:00", minutes: 60, timeZone: "Asia/Seoul"), "silence.recurrence.start"),
        (Recurrence(days: [7], start: "02:00", minutes: 0, timeZone: "Asia/Seoul"), "silence.recurrence.minutes"),
        (Recurrence(days: [7], start: "02:00", minutes: 60, timeZone: "Mars/Base"), "silence.recurrence.timeZone"),
    ])
    func validation(recurrence: Recurrence, field: String) {
        let now = Self.seoul("2026-11-20T00:00:00")
        #expect(throws: ContractError.self) { try MaintenanceSchedule.validate(Silence(scope: .site, value: "x", until: Self.seoul("2027-01-01T00:00:00"), recurrence: recurrence), now: now) }
        do { try MaintenanceSchedule.validate(Silence(scope: .site, value: "x", until: Self.seoul("2027-01-01T00:00:00"), recurrence: recurrence), now: now) } catch {
            #expect(error.field == field)
        }
        do { try MaintenanceSchedule.validate(Silence(scope: .site, value: "x", until: now.addingTimeInterval(-1)), now: now) } catch { #expect(error.field == "silence.until") }
        do { try MaintenanceSchedule.validate(Silence(scope: .site, value: " ", until: now.addingTimeInterval(60)), now: now) } catch { #expect(error.field == "silence.value") }
    }
}
