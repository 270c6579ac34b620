import Foundation

/// The `cctv-out` executable built next to the test bundle by `swift build --build-tests`, for
/// tests that run services as real processes (to SIGKILL them).
package enum ProductBinary {
    /// Its path (it may not exist when only the tests were built).
    package static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("cctv-out").path
    }

    /// Whether it has been built.
    package static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }
}
