import ArgumentParser
import CCTVContract
import Foundation

/// `cctv-out-bench decode`: the cost of reading one check result as the issues service and the
/// gateway read every one (`ContractCodec.decode`, by hand where it can), beside `JSONDecoder`
/// alone on the same bytes (its peer: what every other payload goes through); likewise a camera
/// definition as an import publishes 100,000 of them, read and written (`ContractCodec.encode`
/// beside `JSONEncoder`). CPU time per payload, best of the rounds (a loaded machine only adds).
struct BenchDecode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "µs per check result and camera definition: the contract's reader (and writer) vs JSONDecoder (JSONEncoder), on the same payloads.")

    @Option(help: "Results per round (distinct payloads, as many cameras' results).") var results = 20_000
    @Option(help: "Rounds; the best is reported.") var rounds = 5

    func validate() throws {
        guard (100...1_000_000).contains(results), (1...100).contains(rounds) else { throw ValidationError("--results 100…1000000, --rounds 1…100") }
    }

    func run() async throws {
        let now = Date()
        let icmp = (0..<results).map { i in
            ContractCodec.encode(Envelope(type: .probeICMP, source: "prober", data: ICMPResult(
                cameraID: String(format: "CAM-%06d", i), address: "127.100.\(i / 255 % 255).\(i % 255 + 1)", status: .success, reason: "ok", sent: 3, received: 3,
                lossPercent: 0, rttMinMs: 0.031, rttAvgMs: 0.04 + Double(i % 7) / 1000, rttMaxMs: 0.052, replyFrom: "127.100.\(i / 255 % 255).\(i % 255 + 1)",
                startedAt: now, durationMs: 2.5, prober: "cctv-out")))
        }
        let hls = (0..<results).map { i in
            ContractCodec.encode(Envelope(type: .probeHLS, source: "prober", data: HLSResult(
                cameraID: String(format: "CAM-%06d", i), url: "http://127.100.\(i / 255 % 255).\(i % 255 + 1)/live/index.m3u8", status: .success, reason: "ok",
                httpStatus: 200, playlistLatencyMs: 3.25, segmentAgeSeconds: 1.5, bitrateKbps: 2048.5, codec: "avc1.64001f", width: 1920, height: 1080,
                bytes: 262_144, startedAt: now, durationMs: 41.5, prober: "cctv-out")))
        }
        let cameras = (0..<results).map { i in
            CameraDefinition(id: String(format: "CAM-%06d", i), name: "카메라 \(i)", address: "127.100.\(i / 255 % 255).\(i % 255 + 1)",
                             hlsURL: "http://127.100.\(i / 255 % 255).\(i % 255 + 1)/live/index.m3u8", site: "현장\(i % 50)", group: "구역\(i % 20)",
                             tags: ["정문"], lineTeam: "KT-SEOUL", vendor: "HANWHA", intervalSeconds: 60, createdAt: now, updatedAt: now, version: 1)
        }
        let configs = cameras.map { ContractCodec.encode(Envelope(type: .cameraConfig, source: "registry", data: $0)) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = try? Date(text, strategy: .iso8601) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text)) }
            return date
        }
        print("decode: \(results) distinct results a round, best of \(rounds) rounds, CPU µs per result")
        print("payload            contract   JSONDecoder alone")
        for (name, payloads, readers) in [
            ("probe.icmp", icmp, (contract: { (b: [UInt8]) in (try? ContractCodec.decode(b, as: ICMPResult.self, expecting: [.probeICMP])) != nil },
                                  json: { (b: [UInt8]) in (try? decoder.decode(Envelope<ICMPResult>.self, from: Data(b))) != nil })),
            ("probe.hls", hls, (contract: { (b: [UInt8]) in (try? ContractCodec.decode(b, as: HLSResult.self, expecting: [.probeHLS])) != nil },
                                json: { (b: [UInt8]) in (try? decoder.decode(Envelope<HLSResult>.self, from: Data(b))) != nil })),
            ("camera.config", configs, (contract: { (b: [UInt8]) in (try? ContractCodec.decode(b, as: CameraDefinition.self, expecting: [.cameraConfig])) != nil },
                                        json: { (b: [UInt8]) in (try? decoder.decode(Envelope<CameraDefinition>.self, from: Data(b))) != nil })),
        ] {
            let contract = Self.best(rounds, payloads, readers.contract)
            let json = Self.best(rounds, payloads, readers.json)
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%13.2f%20.2f", contract, json))
        }
        // Writing: the value alone, as the registry and the gateway's read store encode each definition.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ContractCodec.text(of: date))
        }
        print("write              contract   JSONEncoder alone")
        let written = Self.best(rounds, cameras) { (try? ContractCodec.encodeValue($0)) != nil }
        let encoded = Self.best(rounds, cameras) { (try? encoder.encode($0)) != nil }
        print("camera.config".padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%13.2f%20.2f", written, encoded))
    }

    /// The lowest CPU µs per payload over `rounds` passes; every payload must be read.
    static func best<Payload>(_ rounds: Int, _ payloads: [Payload], _ read: (Payload) -> Bool) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = BenchMeasure.cpuSeconds()
            var count = 0
            for payload in payloads where read(payload) { count += 1 }
            precondition(count == payloads.count, "a benchmark payload was refused")
            best = min(best, (BenchMeasure.cpuSeconds() - start) * 1e6 / Double(payloads.count))
        }
        return best
    }
}
