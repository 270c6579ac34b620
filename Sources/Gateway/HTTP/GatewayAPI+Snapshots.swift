import CCTVContract
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ServiceRuntime

/// REST for snapshot evidence: the frames the prober's picture checks keep (see ``SnapshotStore``),
/// linked from PICTURE notices and from each picture result (``SnapshotPath``).
extension GatewayAPI {
    /// Largest frame served (ffmpeg's one-frame JPEG of a 1080p stream is ~100–300 KB).
    static let maxSnapshotBytes = 8 << 20

    func addSnapshotRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/api/cameras/:id/snapshot") { request, context in
            let id = try context.parameters.require("id")
            guard let row = try store.camera(id) else { throw APIError(.notFound, field: "id", "no camera with id \(id)") }
            try context.requireSite(row.camera.site)
            let file: URL?
            if let name = request.uri.queryParameters.get("name") {
                guard SnapshotStore.camera(ofName: name) == id else {
                    throw APIError(.invalidField, field: "name", "\(name) is not a snapshot of camera \(id)")
                }
                file = snapshots?.file(named: name)
            } else {
                file = snapshots?.newest(camera: id)
            }
            let maxBytes = Self.maxSnapshotBytes
            // Read on NIO's thread pool: a file read must not hold a cooperative thread.
            var data: Data?
            if let file {
                data = try await NIOThreadPool.singleton.runIfActive { () -> Data? in
                    guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int, size <= maxBytes else { return nil }
                    return try? Data(contentsOf: file)
                }
            }
            guard let data, !data.isEmpty else {
                throw APIError(.notFound, field: "id", "no snapshot of camera \(id): its picture checks are off, or none was taken yet")
            }
            return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=60"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
