import Foundation

/// One RTSP response (RFC 2326 §7): status line, headers, body.
package struct RTSPResponse: Sendable, Equatable {
    package var status: Int
    package var reason: String
    /// Header fields in arrival order.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Every value of header `name` (e.g. several `WWW-Authenticate` challenges).
    package func headers(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    package static func == (lhs: RTSPResponse, rhs: RTSPResponse) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }
}

/// What arrives on an RTSP connection: a response, or an RTP/RTCP packet interleaved on the
/// same TCP connection (`$`, channel, 16-bit length; RFC 2326 §10.12).
package enum RTSPInbound: Sendable, Equatable {
    case response(RTSPResponse)
    case interleaved(channel: UInt8, length: Int)
}

/// Why a camera's RTSP bytes could not be read. Every limit exists because the camera is untrusted.
package enum RTSPProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case headerTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    case malformedStatusLine(String)

    package var description: String {
        switch self {
        case let .headerTooLarge(limit): "response header longer than \(limit) bytes"
        case let .bodyTooLarge(limit): "response body longer than \(limit) bytes"
        case let .malformedStatusLine(line): "not an RTSP status line: \(line.prefix(80).debugDescription)"
        }
    }
}

/// Splits the bytes of an RTSP connection into responses and interleaved packets. Pure value:
/// feed it what arrived, take what is complete.
package struct RTSPStreamReader: Sendable {
    package static let maxHeaderBytes = 16 << 10
    package static let maxBodyBytes = 256 << 10
    private var buffer: [UInt8] = []
    private var start = 0

    package init() {}

    /// Bytes received and not yet consumed.
    package var pending: Int { buffer.count - start }

    package mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 64 << 10 { buffer.removeFirst(start); start = 0 }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or `nil` when more bytes are needed.
    package mutating func next() throws(RTSPProtocolError) -> RTSPInbound? {
        guard start < buffer.count else { return nil }
        if buffer[start] == 0x24 { // "$": interleaved binary data
            guard buffer.count - start >= 4 else { return nil }
            let channel = buffer[start + 1]
            let length = Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard buffer.count - start >= 4 + length else { return nil }
            start += 4 + length
            return .interleaved(channel: channel, length: length)
        }
        guard let headerEnd = headerEnd() else {
            if buffer.count - start > Self.maxHeaderBytes { throw .headerTooLarge(limit: Self.maxHeaderBytes) }
            return nil
        }
        guard headerEnd - start <= Self.maxHeaderBytes else { throw .headerTooLarge(limit: Self.maxHeaderBytes) }
        let text = String(decoding: buffer[start..<headerEnd], as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("RTSP/"), let status = Int(parts[1]), (100...999).contains(status) else {
            throw .malformedStatusLine(statusLine)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                            String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        guard (0...Self.maxBodyBytes).contains(length) else { throw .bodyTooLarge(limit: Self.maxBodyBytes) }
        let bodyStart = headerEnd + 4
        guard buffer.count >= bodyStart + length else { return nil }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        start = bodyStart + length
        return .response(RTSPResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: body))
    }

    /// Index of the `\r\n\r\n` ending the header block that begins at `start`.
    private func headerEnd() -> Int? {
        var index = start
        let limit = min(buffer.count, start + Self.maxHeaderBytes + 4)
        while index + 3 < limit {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }
}
