import Foundation
import Testing
import TestSupport

/// The operator's console as an operator uses it, in Debian's Chromium against the whole product:
/// 2,000 cameras on loopback (127.86.x.y), one site's line cut (a storm), five broken streams, then a
/// live line cut seen without a reload, the notification's link, and an acknowledgement from a phone.
@Suite("the operator's console in Chromium", .serialized, .runsAlone)
struct ConsoleInChromiumTests {
    static let sites = 40
    static let perSite = 50
    static let brokenStreams = 5
    static let cutSite = 7
    static let liveCutCamera = "CAM-0205"      // site 4 (index 204), address 127.86.14.5
    static let liveCutAddress = "127.86.14.5"
    static let brokenName = "후문 고장 카메라 3"
    /// Chains of our own: other suites clean up stale `CCTVOUT_T_*` chains when they start, which
    /// on a shared machine would lift this test's line cut in the middle of it.
    static let chainPrefix = "CCTVOUT_CONSOLE"

    /// 2,000 cameras: site k's cameras on 127.86.(10+k).1–50, the first five of site 0 with a stream
    /// URL on a closed port (camera down), line team and vendor named.
    static func fleet(closedPort: Int) -> String {
        var csv = "자산번호,카메라명,IP주소,HLS주소,설치장소,회선업체,유지보수업체\r\n"
        for site in 0..<sites {
            for n in 1...perSite {
                let index = site * perSite + n
                let broken = site == 0 && n <= brokenStreams
                let name = broken ? "후문 고장 카메라 \(n)" : "카메라 \(index)"
                let hls = broken ? "http://127.0.0.1:\(closedPort)/live/\(n).m3u8" : ""
                csv += String(format: "CAM-%04d", index) + ",\(name),127.86.\(10 + site).\(n),\(hls),현장-\(String(format: "%02d", site)),line-team,vendor\r\n"
            }
        }
        return csv
    }

    @Test("problems view at 2,000 cameras, bulk acknowledge of a selection, a live line cut, a notification's deep link, acknowledging from a phone, the maintenance schedule, the SLA download")
    func console() async throws {
        try PlaywrightDriver.requireBrowser()
        IptablesChain.cleanStale(prefix: Self.chainPrefix)
        let stack = try await ConsoleStack()
        let siteCut = try IptablesChain(prefix: Self.chainPrefix)
        let liveCut = try IptablesChain(prefix: Self.chainPrefix)
        do {
            let closedPort = try FreePort.find()
            try await stack.importFleet(Self.fleet(closedPort: closedPort), expected: Self.sites * Self.perSite)
            // One site's line is cut: a storm, one site incident over its 50 cameras.
            try siteCut.captureEchoRequests(to: "127.86.\(10 + Self.cutSite).0/24")
            try siteCut.append(["-j", "DROP"])
            let storm = await eventually(timeout: .seconds(120), every: .milliseconds(500)) {
                let page = try? await stack.json("/api/problems?limit=10")
                let items = page?["items"] as? [[String: Any]] ?? []
                let site = items.first { $0["kind"] as? String == "site" }
                let cameraDown = (try? await stack.json("/api/problems?state=CAMERA_DOWN"))?["cameras"] as? Int
                return (site?["count"] as? Int) == Self.perSite && cameraDown == Self.brokenStreams
            }
            let seen = (try? await stack.call("GET", "/api/problems?limit=20").body.prefix(2000)) ?? ""
            #expect(storm, "no site incident over \(Self.perSite) cameras with \(Self.brokenStreams) broken streams: \(seen)")

            let problems = try PlaywrightDriver("problems", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, [
                "cameras": "\(Self.sites * Self.perSite)", "cameras_text": "2,000", "site_cameras": "\(Self.perSite)",
                "search": Self.brokenName.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "", "search_hit": "CAM-0003",
            ]))
            let metrics = try await problems.run()
            print("dashboard at 2,000 cameras: \(metrics)")

            // Bulk actions: the five broken streams selected together and acknowledged with one click.
            let broken = (1...Self.brokenStreams).map { String(format: "CAM-%04d", $0) }
            _ = try await PlaywrightDriver("bulk_ack", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, [
                "state": "CAMERA_DOWN", "cameras": broken.joined(separator: ","),
            ])).run()
            let downPage = try await stack.json("/api/problems?state=CAMERA_DOWN")["items"] as? [[String: Any]] ?? []
            let bulkAcknowledged = Set(downPage.compactMap { item -> String? in
                let issue = item["issue"] as? [String: Any]
                return issue?["state"] as? String == "ACKNOWLEDGED" ? (item["camera"] as? [String: Any])?["id"] as? String : nil
            })
            #expect(bulkAcknowledged == Set(broken), "every selected incident acknowledged: \(downPage)")

            // A line cut while the page is open appears without a reload and raises an alert.
            let live = try PlaywrightDriver("live_cut", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, ["camera": Self.liveCutCamera]))
            _ = try await live.run { step in
                #expect(step == "cut")
                try liveCut.captureEchoRequests(to: Self.liveCutAddress)
                try liveCut.append(["-j", "DROP"])
            }

            // The line team's notice links to exactly that camera and incident.
            let opened = await stack.sink.first(timeout: .seconds(60)) {
                ($0.json?["issue"] as? [String: Any])?["cameraID"] as? String == Self.liveCutCamera && $0.json?["event"] as? String == "opened"
            }
            let link = try #require(opened?.json?["link"] as? String, "no notice for \(Self.liveCutCamera)")
            let incident = try #require((opened?.json?["issue"] as? [String: Any])?["id"] as? String)
            #expect(link.hasPrefix(stack.base + "/#camera=\(Self.liveCutCamera)&incident="), "the link follows the configured address and port: \(link)")
            _ = try await PlaywrightDriver("deep_link", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, ["link": link, "camera": Self.liveCutCamera, "incident": incident, "sign_in_on_the_way": "1"])).run()

            // On call with a phone: acknowledge it at 390×844.
            _ = try await PlaywrightDriver("phone_ack", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.operatorName, ["camera": Self.liveCutCamera]), phone: true).run()
            let acknowledged = try await stack.json("/api/issues/\(incident)")
            #expect(acknowledged["state"] as? String == "ACKNOWLEDGED")
            #expect(((acknowledged["history"] as? [[String: Any]]) ?? []).contains { $0["actor"] as? String == ConsoleStack.operatorName })

            // Planned work: a weekly window for a site, edited; a window now for a camera, ended early.
            _ = try await PlaywrightDriver("maintenance", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, ["site": "현장-05", "camera": "CAM-0100"])).run()
            let windows = try await stack.json("/api/silences")["items"] as? [[String: Any]] ?? []
            let weekly = windows.first { $0["scope"] as? String == "site" && $0["value"] as? String == "현장-05" }
            let recurrence = weekly?["recurrence"] as? [String: Any]
            #expect(recurrence?["days"] as? [Int] == [7] && recurrence?["start"] as? String == "02:00" && recurrence?["minutes"] as? Int == 180,
                    "the weekly window as edited: \(windows)")
            #expect(windows.count == 1, "the camera's window ended early is gone, the edit did not add a window: \(windows)")

            // The monthly SLA report, downloaded as XLSX and CSV.
            var seoul = Calendar(identifier: .gregorian)
            seoul.timeZone = TimeZone(identifier: "Asia/Seoul")!
            let today = seoul.dateComponents([.year, .month], from: Date())
            let month = String(format: "%04d-%02d", today.year ?? 2026, today.month ?? 1) // the browser's zone in the driver
            _ = try await PlaywrightDriver("sla_download", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.admin, ["month": month])).run { step in
                guard step == "downloaded-csv" else { return }
                let csv = try String(contentsOfFile: PlaywrightDriver.artifacts + "/sla_download-sla.csv", encoding: .utf8)
                #expect(csv.contains("회선 담당,line-team,2000,"), "every camera's line team measured: \(csv.prefix(600))")
                #expect(csv.contains("카메라 업체,vendor,2000,"))
            }
        } catch {
            Issue.record(error)
        }
        siteCut.removeAll()
        liveCut.removeAll()
        await stack.stop()
    }
}
