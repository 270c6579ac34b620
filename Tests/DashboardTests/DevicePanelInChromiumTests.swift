import Foundation
import Testing
import TestSupport

/// A camera with an ONVIF address, checked by the real prober against the ONVIF stub (clock 7 min
/// ahead): the console's camera panel shows its model and serial and the skewed clock in red, and
/// when another serial number answers the operator is told live that the camera was replaced.
@Suite("the camera panel's ONVIF device in Chromium", .serialized, .runsAlone)
struct DevicePanelInChromiumTests {
    @Test("the panel shows the device and the camera clock 420 s ahead in red; a new serial is announced live as a replaced camera")
    func devicePanel() async throws {
        try PlaywrightDriver.requireBrowser()
        let stub = try ONVIFStub(skew: 420)
        defer { stub.stop() }
        let stack = try await ConsoleStack { c in
            c.prober.interval = 1
            c.prober.onvifEvery = 1
        }
        do {
            let body = #"{"id":"CAM-ONVIF","name":"정문 카메라","address":"127.0.0.1","username":"admin","password":"secret","checks":{"onvifURL":"\#(stub.url)"}}"#
            let created = try await stack.call("POST", "/api/cameras", body: Data(body.utf8))
            #expect(created.status == 201, "\(created.body)")
            let driver = try PlaywrightDriver("onvif_device", base: stack.base, arguments: stack.signedIn(as: ConsoleStack.operatorName, [
                "camera": "CAM-ONVIF", "serial": "SN-0001", "clock": "초 빠름", "new_serial": "SN-4242",
            ]))
            _ = try await driver.run { step in
                #expect(step == "replace")
                try await stub.setIdentity(serial: "SN-4242")
            }
        } catch {
            Issue.record(error)
        }
        await stack.stop()
    }
}
