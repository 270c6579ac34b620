import Foundation

/// The stream server of an HLS URL: `scheme://host:port`, lower-cased, with the default port
/// written out, without credentials, path or query. Cameras whose URLs share it stream from one
/// server (an NVR, a media gateway), which the issues service groups and the contacts file may
/// name an owner for.
public enum StreamServer {
    /// `http://10.0.0.5:8080` for `http://user:pw@10.0.0.5:8080/live/1.m3u8`, `https://cam.example:443`
    /// for `https://CAM.example/x`; `nil` for anything that is not an http(s) URL with a host.
    public static func origin(of url: String?) -> String? {
        guard let url, url.utf8.count <= 2048, let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65_535).contains(port) else { return nil }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }
}
