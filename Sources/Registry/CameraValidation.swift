import CCTVContract
import Foundation
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Pure validation of camera input: every field checked, the first problem named precisely.
package enum CameraValidation {
    /// A validated address: the text and what it is.
    package enum AddressKind: String, Sendable { case ipv4, ipv6, hostname }

    /// Checks `input` and returns it normalised (trimmed strings, canonical address text).
    /// - Parameter destinations: where a stream URL may point (link-local and metadata addresses refused by default).
    /// - Throws: ``ContractError`` with code `invalid_field` and the field name.
    package static func validate(_ input: CameraInput, destinations: DestinationPolicy = DestinationPolicy()) throws(ContractError) -> CameraInput {
        var camera = input
        if let id = input.id {
            guard isValidID(id) else {
                throw invalid("id", "must be 1–64 letters, digits, '.', '_' or '-' (e.g. CAM-00017); got \(id.prefix(80).debugDescription)")
            }
        }
        camera.address = input.address.trimmingCharacters(in: .whitespaces)
        guard let (canonical, _) = normaliseAddress(camera.address) else {
            throw invalid("address", "must be an IPv4 address, an IPv6 address or a host name; got \(input.address.prefix(80).debugDescription)")
        }
        camera.address = canonical
        if let name = input.name?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard name.count <= 200 else { throw invalid("name", "is longer than 200 characters") }
            camera.name = name.isEmpty ? nil : name
        }
        camera.hlsURL = try streamURL(input.hlsURL, field: "hlsURL", schemes: EndpointURL.web, destinations: destinations)
        camera.checks = try validate(checks: input.checks, destinations: destinations)
        if let latitude = input.latitude, !(-90...90).contains(latitude) || latitude.isNaN {
            throw invalid("latitude", "must be between -90 and 90")
        }
        if let longitude = input.longitude, !(-180...180).contains(longitude) || longitude.isNaN {
            throw invalid("longitude", "must be between -180 and 180")
        }
        if (input.latitude == nil) != (input.longitude == nil) {
            throw invalid(input.latitude == nil ? "latitude" : "longitude", "latitude and longitude go together")
        }
        if let interval = input.intervalSeconds, !(10...86_400).contains(interval) {
            throw invalid("intervalSeconds", "must be from 10 to 86400 seconds")
        }
        for (field, value) in [("site", input.site), ("location", input.location), ("group", input.group), ("lineTeam", input.lineTeam), ("vendor", input.vendor), ("username", input.username)] {
            if let value, value.count > 200 { throw invalid(field, "is longer than 200 characters") }
        }
        if let password = input.password, password.utf8.count > 256 { throw invalid("password", "is longer than 256 bytes") }
        if let tags = input.tags {
            guard tags.count <= 32 else { throw invalid("tags", "at most 32 tags") }
            let cleaned = tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let long = cleaned.first(where: { $0.count > 64 }) { throw invalid("tags", "tag \(long.prefix(20).debugDescription)… is longer than 64 characters") }
            camera.tags = Array(NSOrderedSet(array: cleaned)) as? [String] ?? cleaned
        }
        return camera
    }

    /// The RTSP URL (rtsp://) and ONVIF address (http(s)://), port 1–65535, no credentials in them, and the crop (inside the frame);
    /// nothing set is `nil`.
    static func validate(checks: CameraChecks?, destinations: DestinationPolicy) throws(ContractError) -> CameraChecks? {
        guard var checks else { return nil }
        checks.rtspURL = try streamURL(checks.rtspURL, field: "checks.rtspURL", schemes: EndpointURL.rtsp, destinations: destinations)
        checks.onvifURL = try streamURL(checks.onvifURL, field: "checks.onvifURL", schemes: EndpointURL.web, destinations: destinations)
        if let crop = checks.pictureCrop, !crop.isValid {
            throw invalid("checks.pictureCrop", "must be a rectangle inside the frame as fractions (x, y ≥ 0, width, height ≥ 0.05, x + width ≤ 1, y + height ≤ 1)")
        }
        if checks.picture == false { checks.picture = nil }
        return checks.isEmpty ? nil : checks
    }

    /// A stream URL as stored: one of `schemes`, port 1–65535, no credentials in it, not pointing at
    /// an address the destination policy refuses; blank is `nil`.
    static func streamURL(_ text: String?, field: String, schemes: Set<String>, destinations: DestinationPolicy) throws(ContractError) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let parsed: URL
        do {
            parsed = try EndpointURL(validating: text, schemes: schemes).url
        } catch {
            throw invalid(field, "\(error); got \(text.prefix(80).debugDescription)")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw invalid(field, "must not contain credentials; use the username and password fields (they are never shown again)")
        }
        if let why = destinations.refusal(url: parsed) {
            throw invalid(field, "is refused: \(why) (allowed only with streams.allow-link-local)")
        }
        return text
    }

    /// Whether `id` is a valid camera id (also safe as an MQTT topic level).
    package static func isValidID(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 46 || byte == 95
        }
    }

    /// Canonical text and kind of an address, or `nil` when it is neither an IP nor a host name.
    /// IPv6 is written in its canonical form so the same address cannot be registered twice.
    package static func normaliseAddress(_ text: String) -> (String, AddressKind)? {
        var candidate = text
        if candidate.hasPrefix("[") && candidate.hasSuffix("]") { candidate = String(candidate.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, candidate, &v4) == 1 { return (candidate, .ipv4) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, candidate, &v6) == 1 {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count))
            return (String(cString: buffer), .ipv6)
        }
        if isHostName(candidate) { return (candidate.lowercased(), .hostname) }
        return nil
    }

    /// RFC 1123 host name; all-numeric dotted names are refused (they are mistyped IPv4 addresses).
    static func isHostName(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) { return false }
        return labels.allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 }
        }
    }

    static func invalid(_ field: String, _ message: String) -> ContractError {
        ContractError(code: "invalid_field", field: field, message: "\(field) \(message)")
    }
}
