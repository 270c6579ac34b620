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
