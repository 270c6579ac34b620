import CCTVContract
import Foundation

/// What an ONVIF check found, before it is stamped with the camera and prober ids.
package struct ONVIFVerdict: Sendable, Equatable {
    package var status: HLSStatus
    /// The contract's reason code (see `ONVIFResult.reason`).
    package var reason: String
    package var detail: String?
    package var httpStatus: Int?
    /// Camera clock minus ours, seconds.
    package var clockSkewSeconds: Double?
    package var clockSkewed: Bool?
    package var device: CameraDevice?

    package init(status: HLSStatus, reason: String, detail: String? = nil, httpStatus: Int? = nil) {
        self.status = status; self.reason = reason; self.detail = detail; self.httpStatus = httpStatus
    }
}

/// Budgets and thresholds of one ONVIF check.
package struct ONVIFCheckLimits: Sendable {
    /// Both calls together.
    package var timeBudget: Duration
    /// A camera clock off by more than this is reported (`clock_skew`).
    package var clockSkewLimit: Double
    /// Largest reply read; device-service replies are around 1 KiB.
    package var maxReplyBytes: Int

    package init(timeBudget: Duration = .seconds(5), clockSkewLimit: Double = 10, maxReplyBytes: Int = 64 << 10) {
        self.timeBudget = timeBudget; self.clockSkewLimit = clockSkewLimit; self.maxReplyBytes = maxReplyBytes
    }
}

/// The ONVIF rung of the check ladder, SOAP 1.2 over the prober's bounded HTTP port (``HLSFetching``:
/// every URL validated and checked against the destination policy before the client sees it):
///
/// 1. `GetSystemDateAndTime` without credentials (ONVIF Core §5.9.4 lets anyone read the clock):
///    the camera's UTC time against ours at the midpoint of the round trip → the skew, reported when
///    beyond ``ONVIFCheckLimits/clockSkewLimit`` (a wrong clock breaks recorded timestamps).
/// 2. `GetDeviceInformation` signed with WS-UsernameToken PasswordDigest, `Created` taken from *the
///    camera's* clock (ours + skew): a camera refuses a token more than a few minutes off its own time,
///    so a camera whose clock drifted would otherwise look like one whose password changed. A device
///    that also wants HTTP authentication gets Digest; Basic is answered only over https — a device
///    offering nothing else in clear is refused (`onvif_auth_insecure`) without sending the password.
package final class ONVIFChecker: Sendable {
    let fetcher: any HLSFetching
    package let limits: ONVIFCheckLimits
    /// Our wall clock (tests may fix it).
    let now: @Sendable () -> Date

    package init(fetcher: any HLSFetching, limits: ONVIFCheckLimits = .init(), now: @escaping @Sendable () -> Date = Date.init) {
        self.fetcher = fetcher
        self.limits = limits
        self.now = now
    }

    /// Checks the device service at `url` (no credentials in it), signing with `credentials` when given.
    package func check(url text: String, credentials: StreamCredentials? = nil) async -> ONVIFVerdict {
        let url: URL
        do {
            url = try EndpointURL(validating: text, schemes: EndpointURL.web).url
        } catch {
            return ONVIFVerdict(status: .error, reason: "bad_url", detail: "ONVIF URL \(error)")
        }
        let deadline = ContinuousClock.now + limits.timeBudget

        // 1. The clock, without credentials.
        let sent = now()
        let clockReply: Reply
        switch await call("GetSystemDateAndTime", url: url, token: nil, credentials: nil, deadline: deadline) {
        case let .failure(verdict): return verdict
        case let .success(reply): clockReply = reply
        }
        let (verdict, skew) = judgeClock(clockReply, sent: sent, received: now())

        // 2. What it is, signed on the camera's clock.
        let token = credentials.map { WSUsernameToken(username: $0.username, password: $0.password, deviceTime: now().addingTimeInterval(skew)) }
        switch await call("GetDeviceInformation", url: url, token: token, credentials: credentials, deadline: deadline) {
        case let .failure(failure):
            // The clock was read: keep it, the failure decides status and reason.
            var failed = failure
            failed.clockSkewSeconds = verdict.clockSkewSeconds
            failed.clockSkewed = verdict.clockSkewed
            return failed
        case let .success(reply):
            return judgeDeviceInformation(reply, verdict: verdict, credentials: credentials)
        }
    }

    /// The verdict so far from the `GetSystemDateAndTime` reply sent at `sent` and answered at
    /// `received`, and the skew to sign with (0 when the camera gave no time): its UTC time against
    /// ours at the midpoint of the round trip, `clock_skew` beyond the limit.
    func judgeClock(_ clockReply: Reply, sent: Date, received: Date) -> (verdict: ONVIFVerdict, skew: Double) {
        var verdict = ONVIFVerdict(status: .success, reason: "ok", httpStatus: clockReply.status)
        if let fault = clockReply.fault {
            // Some devices want credentials even for the clock; sign with ours and say so.
            verdict.detail = "GetSystemDateAndTime refused without credentials (\(fault.description))"
            return (verdict, 0)
        }
        guard let cameraTime = Self.cameraTime(clockReply.envelope) else {
            verdict.detail = "the camera did not give its UTC time (GetSystemDateAndTime has no UTCDateTime)"
            return (verdict, 0)
        }
        let midpoint = sent.addingTimeInterval(received.timeIntervalSince(sent) / 2)
        // The camera reports whole seconds, truncated: its clock is half a second later on average.
        let skew = ((cameraTime.timeIntervalSince(midpoint) + 0.5) * 10).rounded() / 10
        verdict.clockSkewSeconds = skew
        verdict.clockSkewed = abs(skew) > limits.clockSkewLimit
        if verdict.clockSkewed == true {
            verdict.reason = "clock_skew"
            verdict.detail = "the camera's clock is \(skew > 0 ? "+" : "")\(String(format: "%.0f", skew)) s off (limit \(String(format: "%.0f", limits.clockSkewLimit)) s)"
        }
        return (verdict, skew)
    }

    /// The final verdict from the `GetDeviceInformation` reply: the device's identity, or why the
    /// camera would not say (credentials missing or refused, a fault, a malformed answer).
    func judgeDeviceInformation(_ infoReply: Reply, verdict: ONVIFVerdict, credentials: StreamCredentials?) -> ONVIFVerdict {
        var verdict = verdict
        if let fault = infoReply.fault {
            if fault.isNotAuthorized || infoReply.status == 401 {
                guard credentials != nil else {
                    verdict.detail = [verdict.detail, "device information needs credentials; none are registered"].compactMap { $0 }.joined(separator: "; ")
                    return verdict
                }
                return rejected(verdict, infoReply, "the camera refused the registered credentials (\(fault.description))")
            }
            var failed = verdict
            failed.status = .fail; failed.reason = "onvif_fault"; failed.httpStatus = infoReply.status
            failed.detail = "GetDeviceInformation: \(fault.description)"
            return failed
        }
        guard let info = infoReply.envelope.find("GetDeviceInformationResponse") else {
            var failed = verdict
            failed.status = .fail; failed.reason = "onvif_malformed"; failed.httpStatus = infoReply.status
            failed.detail = "GetDeviceInformation answered without a GetDeviceInformationResponse"
            return failed
        }
        verdict.device = CameraDevice(manufacturer: info.value("Manufacturer"), model: info.value("Model"), firmware: info.value("FirmwareVersion"),
                                      serial: info.value("SerialNumber"), hardwareID: info.value("HardwareId"))
        verdict.httpStatus = infoReply.status
        return verdict
    }

    private func rejected(_ verdict: ONVIFVerdict, _ reply: Reply, _ detail: String) -> ONVIFVerdict {
        var failed = verdict
        failed.status = .fail; failed.reason = "onvif_auth_rejected"; failed.httpStatus = reply.status
        failed.detail = detail
        return failed
    }

    /// One answered SOAP call: the HTTP status and the parsed envelope (a fault is in ``fault``).
    struct Reply {
        var status: Int
        var envelope: SOAPElement
        var fault: SOAPMessage.Fault?
    }

    enum CallOutcome {
        case success(Reply)
        case failure(ONVIFVerdict)
    }

    /// One SOAP call: a device-service `operation` unless `body` and `action` say otherwise (the
    /// event service's calls), the reply bounded by ``ONVIFCheckLimits/maxReplyBytes`` and `deadline`.
    func call(_ operation: String, url: URL, body: Data? = nil, action: String? = nil, token: WSUsernameToken?, credentials: StreamCredentials?,
              deadline: ContinuousClock.Instant) async -> CallOutcome {
        var request = HLSFetchRequest(url: url, maxBytes: limits.maxReplyBytes, overflow: .fail, deadline: deadline, maxRedirects: 0,
                                      credentials: credentials)
        request.method = "POST"
        request.body = body ?? SOAPMessage.request(operation, token: token)
        request.contentType = SOAPMessage.contentType + "; action=\"\(action ?? "http://www.onvif.org/ver10/device/wsdl/\(operation)")\""
        request.basicInClear = false
        switch await fetcher.fetch(request) {
        case let .failure(failure):
            let reason = switch failure {
            case .connectRefused: "onvif_refused"
            case .timeout: "onvif_timeout"
            case .tooLarge: "onvif_malformed"
            case .dns, .blockedAddress, .badURL: failure.reason
            case .tooManyRedirects, .redirectLoop, .tls, .connectionClosed, .other: "onvif_http_error"
            }
            return .failure(ONVIFVerdict(status: failure.serverAnswered ? .fail : .error, reason: reason, detail: "\(operation): \(failure.message)"))
        case let .response(response):
            if response.status == 401 {
                let offered = response.challenges.map { $0.split(separator: " ").first.map(String.init) ?? $0 }
                if credentials != nil, !offered.isEmpty, offered.allSatisfy({ $0.lowercased() == "basic" }), url.scheme?.lowercased() != "https" {
                    return .failure(ONVIFVerdict(status: .fail, reason: "onvif_auth_insecure", detail:
                        "\(operation): the camera offers only HTTP Basic over plain http, which would send the password in clear; not sent (use https:// or turn on Digest on the camera)",
                        httpStatus: 401))
                }
            }
            let envelope: SOAPElement
            do {
                envelope = try SOAPMessage.parse(response.body)
            } catch {
                if response.status == 401 {
                    // A bare 401 (no SOAP body) is the HTTP layer refusing.
                    let root = SOAPElement(name: "Envelope")
                    return .success(Reply(status: 401, envelope: root, fault: SOAPMessage.Fault(code: "HTTP 401", subcode: "NotAuthorized", reason: nil)))
                }
                let kind = (200..<300).contains(response.status) || response.status == 400 || response.status == 500 ? "onvif_malformed" : "onvif_http_error"
                return .failure(ONVIFVerdict(status: .fail, reason: kind, detail: "\(operation): HTTP \(response.status), \(error)", httpStatus: response.status))
            }
            let fault = SOAPMessage.fault(in: envelope) ?? (response.status == 401 ? SOAPMessage.Fault(code: "HTTP 401", subcode: "NotAuthorized") : nil)
            if fault == nil, !(200..<300).contains(response.status) {
                return .failure(ONVIFVerdict(status: .fail, reason: "onvif_http_error", detail: "\(operation): HTTP \(response.status)", httpStatus: response.status))
            }
            return .success(Reply(status: response.status, envelope: envelope, fault: fault))
        }
    }

    /// The camera's UTC time from a `GetSystemDateAndTime` reply: `UTCDateTime`, else `LocalDateTime`
    /// when the camera's zone is UTC/GMT (a POSIX zone string such as `CST-8` is not guessed at).
    static func cameraTime(_ envelope: SOAPElement) -> Date? {
        guard let system = envelope.find("SystemDateAndTime") else { return nil }
        var stamp = system.first("UTCDateTime")
        if stamp == nil, let zone = system.first("TimeZone")?.value("TZ")?.uppercased(),
           ["UTC", "GMT", "UTC0", "GMT0", "Z"].contains(zone) {
            stamp = system.first("LocalDateTime")
        }
        guard let stamp, let date = stamp.first("Date"), let time = stamp.first("Time") else { return nil }
        func number(_ node: SOAPElement, _ name: String) -> Int? { node.value(name).flatMap { Int($0) } }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = number(date, "Year"); components.month = number(date, "Month"); components.day = number(date, "Day")
        components.hour = number(time, "Hour"); components.minute = number(time, "Minute"); components.second = number(time, "Second")
        guard let year = components.year, (1970...9999).contains(year), let month = components.month, (1...12).contains(month),
              let day = components.day, (1...31).contains(day), let hour = components.hour, (0...23).contains(hour),
              let minute = components.minute, (0...59).contains(minute), let second = components.second, (0...60).contains(second) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar.date(from: components)
    }
}

extension ONVIFChecker {
    /// `credentials` re-aimed at the ONVIF address when it is on the device they were entered for
    /// (same host: a camera's HLS, RTSP and ONVIF servers differ only in scheme and port), else `nil`.
    package static func credentials(_ credentials: StreamCredentials, for onvifURL: String) -> StreamCredentials? {
        guard let url = URL(string: onvifURL), credentials.mayBeSent(toDeviceOf: url) else { return nil }
        return StreamCredentials(username: credentials.username, password: credentials.password,
                                 origin: credentials.origin == nil ? nil : CameraCredentials.origin(of: url))
    }
}

extension ONVIFResult {
    /// The published result of `verdict`.
    package init(_ verdict: ONVIFVerdict, cameraID: String, url: String, limit: Double, startedAt: Date, durationMs: Double, prober: String) {
        self.init(cameraID: cameraID, url: url, status: verdict.status, reason: verdict.reason, detail: verdict.detail,
                  httpStatus: verdict.httpStatus, clockSkewSeconds: verdict.clockSkewSeconds,
                  clockSkewLimitSeconds: verdict.clockSkewSeconds == nil ? nil : limit, clockSkewed: verdict.clockSkewed,
                  device: verdict.device, startedAt: startedAt, durationMs: durationMs, prober: prober)
    }
}
