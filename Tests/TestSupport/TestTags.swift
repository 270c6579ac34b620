import Testing

extension Tag {
    /// Runs alone, after the rest (`scripts/test.sh`: the other tests in parallel, then these one at
    /// a time): tests that keep a time budget for a real network answer (HLS, RTSP, ICMP, MQTT
    /// reconnects, child processes), burn the CPU (100,000-row imports, storms), or change
    /// machine-wide state (iptables). In parallel with the rest on 2 cores they time out.
    @Tag package static var serial: Self
}
