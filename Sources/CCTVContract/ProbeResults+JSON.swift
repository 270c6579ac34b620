import Foundation

/// The two results every check round publishes, written by hand (see ``ContractJSONWriter``);
/// the keys in sorted order, absent optionals left out, as their `Codable` encoding writes them.
extension ICMPResult: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("address", address); w.field("cameraID", cameraID); w.field("durationMs", durationMs); w.field("inconclusive", inconclusive)
        w.field("lossPercent", lossPercent); w.field("prober", prober); w.field("reason", reason); w.field("received", received)
        w.field("refused", refused); w.field("replyFrom", replyFrom); w.field("rttAvgMs", rttAvgMs); w.field("rttMaxMs", rttMaxMs)
        w.field("rttMinMs", rttMinMs); w.field("sent", sent); w.field("startedAt", startedAt); w.field("status", status.rawValue)
        w.endObject()
    }
}

extension HLSResult: ContractJSONWritable {
    public func writeJSON(to w: inout ContractJSONWriter) {
        w.beginObject()
        w.field("bitrateKbps", bitrateKbps); w.field("bytes", bytes); w.field("cameraID", cameraID); w.field("codec", codec)
        w.field("detail", detail); w.field("durationMs", durationMs); w.field("height", height); w.field("httpStatus", httpStatus)
        w.field("inconclusive", inconclusive); w.field("playlistLatencyMs", playlistLatencyMs); w.field("prober", prober)
        w.field("reason", reason); w.field("segmentAgeSeconds", segmentAgeSeconds); w.field("startedAt", startedAt)
        w.field("status", status.rawValue); w.field("url", url); w.field("width", width)
        w.endObject()
    }
}

/// The same two results read by hand (see ``ContractJSONReader``), field by field as their
/// `Codable` decoding reads them.
extension ICMPResult: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case cameraID, address, status, reason, sent, received, refused, lossPercent, rttMinMs, rttAvgMs, rttMaxMs, replyFrom, startedAt, durationMs,
             prober, inconclusive
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let cameraID = f.string(.cameraID), let address = f.string(.address), let status = f.string(.status).flatMap(ICMPStatus.init(rawValue:)),
              let reason = f.string(.reason), let sent = f.int(.sent), let received = f.int(.received), let refused = f.optional(.refused, f.int),
              let lossPercent = f.double(.lossPercent), let rttMinMs = f.optional(.rttMinMs, f.double), let rttAvgMs = f.optional(.rttAvgMs, f.double),
              let rttMaxMs = f.optional(.rttMaxMs, f.double), let replyFrom = f.optional(.replyFrom, f.string), let startedAt = f.date(.startedAt),
              let durationMs = f.double(.durationMs), let prober = f.string(.prober), let inconclusive = f.optional(.inconclusive, f.string)
        else { return nil }
        self.init(cameraID: cameraID, address: address, status: status, reason: reason, sent: sent, received: received, refused: refused,
                  lossPercent: lossPercent, rttMinMs: rttMinMs, rttAvgMs: rttAvgMs, rttMaxMs: rttMaxMs, replyFrom: replyFrom, startedAt: startedAt,
                  durationMs: durationMs, prober: prober, inconclusive: inconclusive)
    }
}

extension HLSResult: ContractJSONReadable {
    enum ContractKey: Int, ContractJSONKey {
        case cameraID, url, status, reason, detail, httpStatus, playlistLatencyMs, segmentAgeSeconds, bitrateKbps, codec, width, height, bytes, startedAt,
             durationMs, prober, inconclusive
        static let table = ContractJSONKeyTable(Self.self)
    }

    init?(contractJSON f: ContractJSONReader.Fields<ContractKey>) {
        guard let cameraID = f.string(.cameraID), let url = f.string(.url), let status = f.string(.status).flatMap(HLSStatus.init(rawValue:)),
              let reason = f.string(.reason), let detail = f.optional(.detail, f.string), let httpStatus = f.optional(.httpStatus, f.int),
              let playlistLatencyMs = f.optional(.playlistLatencyMs, f.double), let segmentAgeSeconds = f.optional(.segmentAgeSeconds, f.double),
              let bitrateKbps = f.optional(.bitrateKbps, f.double), let codec = f.optional(.codec, f.string), let width = f.optional(.width, f.int),
              let height = f.optional(.height, f.int), let bytes = f.optional(.bytes, f.int), let startedAt = f.date(.startedAt),
              let durationMs = f.double(.durationMs), let prober = f.string(.prober), let inconclusive = f.optional(.inconclusive, f.string)
        else { return nil }
        self.init(cameraID: cameraID, url: url, status: status, reason: reason, detail: detail, httpStatus: httpStatus, playlistLatencyMs: playlistLatencyMs,
                  segmentAgeSeconds: segmentAgeSeconds, bitrateKbps: bitrateKbps, codec: codec, width: width, height: height, bytes: bytes,
                  startedAt: startedAt, durationMs: durationMs, prober: prober, inconclusive: inconclusive)
    }
}
