import Testing
@testable import Prober

@Suite("reference addresses of the prober itself")
struct ReferenceAddressesTests {
    static let route = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0
        eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
        docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
        eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
        """

    @Test("the default gateway is read from /proc/net/route: the default route with the lowest metric")
    func defaultGateway() {
        #expect(ReferenceAddresses.defaultGateway(procNetRoute: Self.route) == "192.0.2.1")
        #expect(ReferenceAddresses.defaultGateway(procNetRoute: "Iface\tDestination\n") == nil, "no default route: no reference")
    }

    @Test("the setting names addresses, the gateway, or none")
    func setting() {
        #expect(ReferenceAddresses.resolve(setting: "gateway", procNetRoute: { Self.route }) == ["192.0.2.1"])
        #expect(ReferenceAddresses.resolve(setting: "127.0.0.1, gateway, 127.0.0.1", procNetRoute: { Self.route }) == ["127.0.0.1", "192.0.2.1"])
        #expect(ReferenceAddresses.resolve(setting: "none", procNetRoute: { Self.route }).isEmpty)
        #expect(ReferenceAddresses.resolve(setting: "gateway", procNetRoute: { nil }).isEmpty)
    }

    @Test("results are inconclusive only when every reference address failed", arguments: [
        ([Bool](), nil), ([true], nil), ([false, true], nil), ([false], "reference_unreachable"), ([false, false], "reference_unreachable"),
    ] as [([Bool], String?)])
    func verdict(_ answered: [Bool], _ expected: String?) {
        #expect(ReferenceAddresses.verdict(answered) == expected)
    }
}

@Suite("the reference watch pings the default gateway only for cameras behind it")
struct ReferenceWatchTests {
    static let route = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
        """

    @Test("a fleet of loopback cameras never has the gateway pinged; one camera off this machine does; named addresses always are")
    func gatewayOnlyForCamerasBehindIt() {
        let watch = ReferenceWatch(setting: "gateway, 127.0.0.9", every: .seconds(5), procNetRoute: { Self.route })
        #expect(watch.addresses == ["192.0.2.1", "127.0.0.9"])
        #expect(watch.due == ["127.0.0.9"], "no camera at all")
        watch.track("SIM-1", address: "127.0.3.4")
        watch.track("SIM-2", address: "localhost")
        #expect(watch.due == ["127.0.0.9"], "loopback cameras sit behind no gateway")
        watch.track("CAM-1", address: "10.20.30.40")
        #expect(watch.due == ["192.0.2.1", "127.0.0.9"])
        watch.track("CAM-1", address: "127.0.3.5")
        #expect(watch.due == ["127.0.0.9"], "the camera moved onto this machine")
        watch.track("CAM-2", address: "cam-2.site.example")
        #expect(watch.due.contains("192.0.2.1"), "a name is not this machine")
        watch.track("CAM-2", address: nil)
        #expect(watch.due == ["127.0.0.9"], "the camera is gone")
        #expect(watch.inconclusive == nil, "nothing was checked yet")
    }

    @Test("loopback is 127.0.0.0/8, ::1 and localhost, nothing else", arguments: [
        ("127.0.0.1", true), ("127.255.3.4", true), ("::1", true), ("localhost", true), ("LOCALHOST", true),
        ("128.0.0.1", false), ("127.0.0", false), ("127.0.0.256", false), ("10.0.0.1", false), ("127.cam.example", false),
    ])
    func loopback(_ address: String, _ expected: Bool) {
        #expect(ReferenceAddresses.isLoopback(address) == expected)
    }
}
