import CCurl
import Dispatch
import Foundation
import ServiceRuntime
import Synchronization

/// Email over SMTP through libcurl: `smtp://` with STARTTLS (tried when offered, required with
/// `requireTLS` or credentials), `smtps://` for implicit TLS, AUTH when the channel has credentials, an optional
/// CA file. The message is plain UTF-8 text, base64-encoded, the subject RFC 2047-encoded, so
/// Korean survives every relay.
///
/// libcurl's easy interface blocks for the whole SMTP conversation, so every send runs on a
/// ``BlockingQueue`` of its own, never on a Swift concurrency thread, and is bounded by
/// `CURLOPT_TIMEOUT_MS`; the awaiting task just suspends.
package struct EmailChannel: DeliveryChannel {
    let timeoutSeconds: Int

    /// Each send runs on a queue of its own, outside the cooperative pool (a concurrent queue made
    /// here ran on the pool itself: see ``BlockingQueue``). The notifier keeps at most 16 deliveries
    /// in flight, which bounds the threads.
    static func queue() -> DispatchQueue { BlockingQueue.own("notifier.smtp") }

    /// `curl_global_init` is not guaranteed thread safe: run once, lazily, before the first handle.
    static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    package init(timeoutSeconds: Int) {
        self.timeoutSeconds = timeoutSeconds
    }

    /// The RFC 5322 message for `message`, with CRLF line ends.
    static func payload(_ message: RenderedMessage, channel: ChannelConfig, deliveryID: String, date: Date) -> Data {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let body = Data((message.title + "\n\n" + message.plainText + "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let lines = body.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let headers = [
            "From: \(channel.from ?? "")",
            "To: \((channel.to ?? []).joined(separator: ", "))",
            "Subject: \(encodedWords(message.title + " — " + message.summary))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(deliveryID)@cctv-out>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "X-CCTVOut-Delivery: \(deliveryID)",
        ]
        return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + lines + "\r\n").utf8)
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words of at most 75 characters, folded onto continuation lines;
    /// never splits a character's UTF-8 bytes. Encoding also keeps CR/LF in a camera name from
    /// ever becoming a header of its own.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk = ""
        for character in ChannelPayload.truncate(text, 400) {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    package func send(_ payload: Data, via channel: ChannelConfig, deliveryID: String) async -> DeliveryOutcome {
        let timeout = timeoutSeconds
        // libcurl blocks its thread for up to the timeout; a cancelled caller (the notifier
        // stopping) stops waiting at once, the delivery stays pending and is sent on the next start.
        let waiter = Mutex<CheckedContinuation<DeliveryOutcome, Never>?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter.withLock { $0 = continuation }
                if Task.isCancelled { waiter.withLock { $0.take() }?.resume(returning: Self.cancelled); return }
                Self.queue().async {
                    let outcome = Self.sendBlocking(payload, channel: channel, timeoutSeconds: timeout)
                    waiter.withLock { $0.take() }?.resume(returning: outcome)
                }
            }
        } onCancel: {
            waiter.withLock { $0.take() }?.resume(returning: Self.cancelled)
        }
    }

    static let cancelled = DeliveryOutcome.failed(status: nil, error: "cancelled: the notifier is stopping", permanent: false)

    /// The message being uploaded, handed to libcurl's read callback.
    private final class Upload {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// One SMTP transaction with libcurl (blocking; call only on a ``queue()``).
    static func sendBlocking(_ payload: Data, channel: ChannelConfig, timeoutSeconds: Int) -> DeliveryOutcome {
        _ = globalInit
        guard let url = channel.url, let from = channel.from, let to = channel.to, !to.isEmpty else {
            return .failed(status: nil, error: "channel \(channel.id) lacks url, from or to", permanent: true)
        }
        guard let handle = curl_easy_init() else { return .failed(status: nil, error: "curl_easy_init failed", permanent: false) }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        let upload = Upload(Array(payload))
        let uploadPointer = Unmanaged.passRetained(upload)
        defer { uploadPointer.release() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        _ = cctv_curl_set_string(handle, CURLOPT_URL, url)
        _ = cctv_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        _ = cctv_curl_set_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
        _ = cctv_curl_set_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        _ = cctv_curl_set_long(handle, CURLOPT_UPLOAD, 1)
        _ = cctv_curl_set_read_function(handle) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
            let length = min(size * count, upload.bytes.count - upload.offset)
            upload.bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
            }
            upload.offset += length
            return length
        }
        _ = cctv_curl_set_pointer(handle, CURLOPT_READDATA, uploadPointer.toOpaque())
        // Credentials never cross the wire in clear: with AUTH, STARTTLS is required as if `requireTLS` were set.
        let requireTLS = channel.requireTLS == true || channel.username != nil
        _ = cctv_curl_set_long(handle, CURLOPT_USE_SSL, Int(requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        if let caFile = channel.caFile { _ = cctv_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
        if let username = channel.username, let password = channel.password {
            _ = cctv_curl_set_string(handle, CURLOPT_USERNAME, username)
            _ = cctv_curl_set_string(handle, CURLOPT_PASSWORD, password)
        }
        // Bounded in time; NOSIGNAL because this runs on a worker thread (no SIGALRM for DNS).
        _ = cctv_curl_set_long(handle, CURLOPT_TIMEOUT_MS, timeoutSeconds * 1000)
        _ = cctv_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutSeconds, 10) * 1000)
        _ = cctv_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cctv_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)

        let result = curl_easy_perform(handle)
        var reply = 0
        _ = cctv_curl_response_code(handle, &reply)
        if result == CURLE_OK { return .delivered(status: reply == 0 ? nil : reply) }
        let detail = String(cString: errorBuffer)
        let message = String(cString: curl_easy_strerror(result)) + (detail.isEmpty ? "" : ": \(detail)")
        // 5xx = the server refused for good (unknown mailbox, policy); wrong credentials or a
        // malformed URL will not fix themselves either. Everything else (connect, TLS, 4xx) is retried.
        let permanent = (500..<600).contains(reply) || [CURLE_LOGIN_DENIED, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL].contains(result)
        return .failed(status: reply == 0 ? nil : reply, error: "SMTP: " + String(message.prefix(300)), permanent: permanent)
    }
}
