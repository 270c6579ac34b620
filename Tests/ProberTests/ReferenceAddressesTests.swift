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
