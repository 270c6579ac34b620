import HTTPTypes
import Hummingbird

/// Headers on every answer: no inline script or framing (CSP), no MIME sniffing, no referrer,
/// no caching of API data, and HSTS when served over HTTPS. Errors thrown by handlers are turned
/// into responses here so they carry the headers too.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    /// Whether the gateway serves HTTPS (adds Strict-Transport-Security).
    let https: Bool

    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }

    static var contentSecurityPolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        if request.uri.path.hasPrefix("/api/"), response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        if https { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}
