import Foundation

/// The prober's own vantage point: addresses that must answer for its results to mean anything
/// about the cameras (by default its default gateway). When none answers, the prober's own network
/// is down and its results are `inconclusive` (see docs/CONTRACT.md), so no line team or vendor is
/// blamed for the monitor's own outage. Pure: parsing and the verdict; the pinging is the prober's.
package enum ReferenceAddresses {
    /// The reason put in `inconclusive` when every reference address failed.
    package static let unreachable = "reference_unreachable"

    /// The IPv4 default gateway from the text of `/proc/net/route` (the route with destination and
    /// mask 0 and the gateway flag, lowest metric first), e.g. `192.0.2.1`; `nil` when there is none.
    package static func defaultGateway(procNetRoute text: String) -> String? {
        var best: (metric: Int, address: String)?
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 8, fields[1] == "00000000", fields[7] == "00000000",
                  let flags = UInt32(fields[3], radix: 16), flags & 0x2 != 0, flags & 0x1 != 0,
                  let gateway = UInt32(fields[2], radix: 16), gateway != 0,
                  let metric = Int(fields[6])
            else { continue }
            // The kernel prints the address in host byte order (little-endian here): 010200C0 is 192.0.2.1.
            let address = [gateway & 0xFF, (gateway >> 8) & 0xFF, (gateway >> 16) & 0xFF, gateway >> 24].map(String.init).joined(separator: ".")
            if best == nil || metric < best!.metric { best = (metric, address) }
        }
        return best?.address
    }

    /// The addresses to watch from the setting: a comma-separated list, `gateway` for the default
    /// gateway (read from `procNetRoute`), `none` or empty for no reference (results are never
    /// marked). Unknown words are kept as addresses (names or IPs) for the ICMP check to judge.
    package static func resolve(setting: String, procNetRoute: () -> String?) -> [String] {
        var addresses: [String] = []
        for item in items(of: setting) {
            switch item.lowercased() {
            case "none": return []
            case "gateway": if let gateway = procNetRoute().flatMap(defaultGateway(procNetRoute:)) { addresses.append(gateway) }
            default: addresses.append(item)
            }
        }
        var seen = Set<String>()
        return addresses.filter { seen.insert($0).inserted }
    }

    /// The setting's comma-separated words, trimmed, empty ones left out.
    static func items(of setting: String) -> [String] {
        setting.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether the setting names the default gateway (`gateway`).
    package static func namesGateway(_ setting: String) -> Bool {
        items(of: setting).contains { $0.lowercased() == "gateway" }
    }

    /// Whether `address` is this machine itself (IPv4 127.0.0.0/8, `::1`, `localhost`). A fleet of
    /// only such cameras (simulators, tests) has nothing behind the default gateway, so the gateway
    /// is not pinged for it: its silence would say nothing about those cameras.
    package static func isLoopback(_ address: String) -> Bool {
        let text = address.lowercased()
        if text == "localhost" || text == "::1" || text == "[::1]" { return true }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The verdict after one round of reference checks (`true` = answered): `nil` (conclusive)
    /// when any answered or there are none, else ``unreachable``.
    package static func verdict(_ answered: [Bool]) -> String? {
        answered.isEmpty || answered.contains(true) ? nil : unreachable
    }
}
