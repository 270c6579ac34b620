import Foundation
import NIOPosix
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The destination policy applied where the prober connects: the URL's literal host first, then
/// (for a host name) every address it resolves to, looked up on NIO's blocking thread pool because
/// `getaddrinfo` blocks. Used before every HLS request and redirect, and before an RTSP check.
enum DestinationCheck {
    /// Why the prober must not connect to `url`, or nil.
    static func refusal(_ url: URL, policy: DestinationPolicy) async -> String? {
        if let why = policy.refusal(url: url) { return why }
        guard !policy.allowLinkLocal, let host = url.host else { return nil }
        var literal6 = in6_addr()
        var literal4 = in_addr()
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if inet_pton(AF_INET, bare, &literal4) == 1 || inet_pton(AF_INET6, bare, &literal6) == 1 { return nil }
        return try? await NIOThreadPool.singleton.runIfActive { policy.refusalAfterResolving(host: host) }
    }
}
