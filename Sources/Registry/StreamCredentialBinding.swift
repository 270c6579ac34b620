import CCTVContract
import Foundation

/// Stream credentials as the registry keeps them: sealed (`SecretBox`, AES-GCM) in the `credentials`
/// column, next to the origin of the stream URL they were entered for (`credentialsOrigin`, not a
/// secret: it is part of the public `hlsURL`). They are only ever sent to that origin, so pointing a
/// camera's URL at another server cannot make the prober hand them over.
struct StoredCredentials: Codable, Sendable, Equatable {
    var username: String
    var password: String
}

/// The rule for what happens to a camera's stored credentials when it changes (pure).
enum StreamCredentialBinding {
    enum Decision: Sendable, Equatable {
        /// No credentials (none stored and none entered, or `hlsURL` cleared: dropped).
        case none
        /// The stored ones stay (same origin).
        case keep
        /// Bind to `origin`; a part left nil is taken from the stored credentials (same origin only).
        case bind(username: String?, password: String?, origin: String)
    }

    /// - Credentials in `input` are (re)bound to the origin of `input.hlsURL`, which must then exist;
    ///   moving to another origin needs the password again. An empty username and password remove them.
    /// - Without credentials in `input`: the stored ones stay bound to their origin — kept while the
    ///   stream stays there or has no URL for now, refused for a URL on another origin until they
    ///   are entered again.
    /// - Throws: ``ContractError`` naming the field to fix.
    static func decide(storedOrigin: String?, input: CameraInput) throws(ContractError) -> Decision {
        // The HLS URL's origin, else the RTSP URL's, else the ONVIF address's: a camera may have any of them.
        let origin = CameraCredentials.origin(of: input.hlsURL) ?? CameraCredentials.origin(of: input.checks?.rtspURL)
            ?? CameraCredentials.origin(of: input.checks?.onvifURL)
        if (input.username ?? "").isEmpty, (input.password ?? "").isEmpty, input.username != nil || input.password != nil {
            return .none
        }
        if input.username != nil || input.password != nil {
            guard let origin else {
                throw ContractError(code: "invalid_field", field: "hlsURL",
                                    message: "a username and password need the hlsURL, checks.rtspURL or checks.onvifURL they are for: they are only ever sent to that stream's server")
            }
            if storedOrigin != origin, input.password == nil {
                throw ContractError(code: "invalid_field", field: "password",
                                    message: "enter the password too: the stored one belongs to \(storedOrigin ?? "no stream") and is never sent elsewhere")
            }
            return .bind(username: input.username, password: input.password, origin: origin)
        }
        guard let storedOrigin else { return .none }
        guard let origin, origin != storedOrigin else { return .keep }
        throw ContractError(code: "credentials_origin_changed", field: "hlsURL",
                            message: "hlsURL moves the stream from \(storedOrigin) to \(origin): enter the username and password again "
                                + "(they are only sent to the server they were entered for), or send empty ones to remove them")
    }
}
