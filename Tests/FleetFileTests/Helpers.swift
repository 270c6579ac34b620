import Foundation
import ZIPFoundation
import TestSupport
@testable import FleetFile

extension FleetFileParser {
    /// Parses and returns the fatal error, or nil if parsing succeeded.
    static func failure(_ data: Data, _ name: String, limits: Limits = Limits()) -> FleetFileError? {
        do { _ = try parse(data: data, filename: name, limits: limits); return nil } catch { return error }
    }
}

func csv(_ s: String) -> Data { Data(s.utf8) }

func sampleRows(_ n: Int) -> [FleetRow] {
    (0..<n).map { i in
        FleetRow(sourceRow: i + 2, id: "CAM-\(i)", name: "카메라 \(i)",
                 address: "10.\(i / 65536 % 256).\(i / 256 % 256).\(i % 256)", addressKind: .ipv4,
                 group: "구역\(i % 20)", enabled: i % 7 != 0, intervalSeconds: 60)
    }
}
