import Foundation

/// The `cctv-out` executable built next to the test bundle by `swift build --build-tests`, for
/// tests that run a real service process.
public enum BuiltBinary {
    public static var cctvOut: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("cctv-out").path
    }
}
