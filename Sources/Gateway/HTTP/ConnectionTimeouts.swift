import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// TCP settings on every accepted connection, for peers that vanished without closing (a laptop
/// closed mid-stream, a cut line): keep-alive probes after `idle` seconds of silence, and
/// `TCP_USER_TIMEOUT` so data the peer never acknowledges fails the connection after `idle`
/// seconds instead of the kernel's ~15 minutes of retransmissions. The read side is covered by
/// Hummingbird's idle timeout (a connection with no request in progress, or a request head that
/// never completes, is closed after `http.idle-timeout`).
final class ConnectionTimeouts: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let idle: Int

    init(idleSeconds: Int) { self.idle = max(1, idleSeconds) }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let tcp = SocketOptionLevel(IPPROTO_TCP)
        _ = channel.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
        _ = channel.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: SocketOptionName(TCP_KEEPIDLE)), value: SocketOptionValue(idle))
        _ = channel.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: SocketOptionName(TCP_KEEPINTVL)), value: 10)
        _ = channel.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: SocketOptionName(TCP_KEEPCNT)), value: 3)
        _ = channel.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: SocketOptionName(TCP_USER_TIMEOUT)), value: SocketOptionValue(idle * 1000))
    }
}
