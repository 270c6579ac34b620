import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Delivers a JSON body by HTTP POST. The only code in the notifier that touches AsyncHTTPClient.
public struct WebhookChannel: Sendable {
    /// The outcome of one attempt.
    public enum Outcome: Sendable, Equatable {
        case delivered(status: Int)
        case failed(status: Int?, error: String, permanent: Bool)
    }

    let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient, timeoutSeconds: Int) {
        self.client = client
        self.timeout = .seconds(Int64(timeoutSeconds))
    }

    /// POSTs `body` to `url`. 2xx = delivered; 4xx other than 408/429 = permanent failure.
    public func deliver(_ body: Data, to url: String, deliveryID: String) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "cctv-out-notifier")
        request.headers.add(name: "X-CCTVOut-Delivery", value: deliveryID)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // Read a bounded amount so a misbehaving endpoint cannot hold memory.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return .delivered(status: status) }
            let permanent = (400..<500).contains(status) && status != 408 && status != 429
            return .failed(status: status, error: "HTTP \(status)", permanent: permanent)
        } catch {
            return .failed(status: nil, error: "\(error)", permanent: false)
        }
    }
}
