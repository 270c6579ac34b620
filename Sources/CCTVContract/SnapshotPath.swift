/// Where the gateway serves a camera's snapshot evidence (frames the picture checks keep): the one
/// rule for the prober's `PictureResult.snapshot`, the gateway's route and the links in notices.
/// Camera ids are topic-safe (letters, digits, `.`, `_`, `-`), so the path needs no escaping.
public enum SnapshotPath {
    /// The newest stored frame of a camera.
    public static func newest(camera: String) -> String { "/api/cameras/\(camera)/snapshot" }

    /// One stored frame, by its file name.
    public static func frame(camera: String, name: String) -> String { newest(camera: camera) + "?name=\(name)" }
}
