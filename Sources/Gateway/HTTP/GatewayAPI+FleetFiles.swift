import CCTVContract
import FleetFile
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// REST routes for fleet files: bulk import jobs, export and the import template.
extension GatewayAPI {
    func addFleetFileRoutes(to router: Router<GatewayRequestContext>) {
        router.post("/api/imports") { request, context in try await startImport(request, context: context) }
        router.get("/api/imports/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let job = await imports.job(id) else {
                throw APIError(.notFound, field: "id", "no import \(id) (finished imports are kept for a while, then forgotten)")
            }
            return try json(job)
        }
        router.get("/api/cameras/export") { request, context in try exportCameras(request, context: context) }
        router.get("/api/cameras/template") { request, _ in try importTemplate(request) }
    }

    /// `POST /api/imports?mode=validate|apply&skipInvalid=&format=` with the file as the body: starts
    /// an import job (202, `Location` names it).
    func startImport(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let q = request.uri.queryParameters
        guard let mode = ImportJob.Mode(rawValue: q.get("mode") ?? "validate") else {
            throw APIError(.badRequest, field: "mode", "mode must be validate (dry run) or apply")
        }
        let skipText = (q.get("skipInvalid") ?? "false").lowercased()
        guard ["true", "false", "1", "0"].contains(skipText) else {
            throw APIError(.badRequest, field: "skipInvalid", "skipInvalid must be true or false")
        }
        let format: FleetFileFormat?
        switch Self.uploadFormat(query: q.get("format"), contentType: request.headers[.contentType]) {
        case let .success(found): format = found
        case let .failure(refusal): throw refusal
        }
        let maxBytes = imports.limits.maxBytes
        let tooLarge = APIError(.payloadTooLarge, "the file is larger than \(maxBytes >> 20) MiB; split it into several imports")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw tooLarge
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: maxBytes) } catch { throw tooLarge }
        guard body.readableBytes > 0 else {
            throw APIError(.emptyFile, "the request body is empty: send the CSV or .xlsx file as the body")
        }
        let job: ImportJob
        do {
            job = try await imports.start(data: Data(body.readableBytesView), format: format, mode: mode, skipInvalid: skipText == "true" || skipText == "1",
                                     actor: context.principal().actor)
        } catch {
            throw (error as? ContractError).map(APIError.init(relaying:)) ?? APIError(.internal, "\(error)")
        }
        var response = try json(job)
        response.status = .accepted
        response.headers[.location] = "/api/imports/\(job.id)"
        return response
    }

    /// `GET /api/cameras/export?format=&lang=`: the cameras the caller may see, as a fleet file
    /// (never with passwords).
    func exportCameras(_ request: Request, context: GatewayRequestContext) throws -> Response {
        let q = request.uri.queryParameters
        let (format, language): (FleetFileFormat, HeaderLanguage)
        switch Self.fileOptions(format: q.get("format"), lang: q.get("lang")) {
        case let .success(options): (format, language) = options
        case let .failure(refusal): throw refusal
        }
        let rows = try store.allCameras(sites: context.principal().sites).map(Self.fleetRow)
        let data = try FleetFileExporter.export(rows, format: format, language: language, includePasswords: false)
        return Self.download(data, format: format, name: "cameras-\(Self.day())")
    }

    /// `GET /api/cameras/template?format=&lang=`: an empty fleet file with one example row.
    func importTemplate(_ request: Request) throws -> Response {
        let (format, language): (FleetFileFormat, HeaderLanguage)
        switch Self.fileOptions(format: request.uri.queryParameters.get("format"), lang: request.uri.queryParameters.get("lang")) {
        case let .success(options): (format, language) = options
        case let .failure(refusal): throw refusal
        }
        // The example names teams the notifier knows, so the template's own row validates.
        let teams = notifierView.directory
        let template = try FleetFileExporter.template(format: format, language: language, lineTeam: teams?.ids(role: "line-team").first,
                                                      vendor: teams?.ids(role: "vendor").first)
        return Self.download(template, format: format, name: "cameras-template")
    }

    static let xlsxMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// The upload's format from `?format=` or else `Content-Type`; nil lets the parser recognise it
    /// (a zip is read as .xlsx, anything else as CSV).
    static func uploadFormat(query: String?, contentType: String?) -> Result<FleetFileFormat?, APIError> {
        if let query {
            guard let format = FleetFileFormat(rawValue: query.lowercased()) else {
                return .failure(APIError(.badRequest, field: "format", "format must be csv or xlsx"))
            }
            return .success(format)
        }
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "text/csv", "application/csv", "text/plain": return .success(.csv)
        case xlsxMediaType: return .success(.xlsx)
        default: return .success(nil)
        }
    }

    /// `format` (csv, the default, or xlsx) and header `lang` (en, the default, or ko) of a download.
    static func fileOptions(format: String?, lang: String?) -> Result<(FleetFileFormat, HeaderLanguage), APIError> {
        guard let format = FleetFileFormat(rawValue: (format ?? "csv").lowercased()) else {
            return .failure(APIError(.badRequest, field: "format", "format must be csv or xlsx"))
        }
        let language: HeaderLanguage
        switch (lang ?? "en").lowercased() {
        case "en": language = .english
        case "ko": language = .korean
        default: return .failure(APIError(.badRequest, field: "lang", "lang must be ko or en"))
        }
        return .success((format, language))
    }

    /// A camera as an export row. Credentials are write-only and never leave the registry, so the
    /// username and password columns are empty; importing the file back keeps the stored ones.
    static func fleetRow(_ camera: CameraDefinition) -> FleetRow {
        FleetRow(id: camera.id, name: camera.name, address: camera.address,
                 addressKind: FleetValidation.address(camera.address)?.kind ?? .hostname,
                 hlsURL: camera.hlsURL.flatMap(URL.init(string:)), site: camera.site, location: camera.location,
                 latitude: camera.latitude, longitude: camera.longitude, group: camera.group, tags: camera.tags,
                 lineTeam: camera.lineTeam, vendor: camera.vendor, enabled: camera.enabled, intervalSeconds: camera.intervalSeconds,
                 rtspURL: camera.checks?.rtspURL.flatMap(URL.init(string:)),
                 onvifURL: camera.checks?.onvifURL.flatMap(URL.init(string:)), picture: camera.checks?.picture == true,
                 pictureCrop: camera.checks?.pictureCrop?.description, onvifEvents: camera.checks?.onvifEvents == true)
    }

    static func download(_ data: Data, format: FleetFileFormat, name: String) -> Response {
        let type = format == .xlsx ? xlsxMediaType : "text/csv; charset=utf-8"
        return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name).\(format.fileExtension)\""],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func day() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd"
        return formatter.string(from: Date())
    }
}

/// REST routes for partial updates and bulk deletion (forwarded to the registry).
extension GatewayAPI {
    func addBulkEditRoutes(to router: Router<GatewayRequestContext>) {
        router.patch("/api/cameras/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let buffer = try? await request.body.collect(upTo: Self.maxBody),
                  let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
                throw APIError(.badRequest, "the body must be a JSON object of at most 1 MiB with the fields to change")
            }
            let unknown = Set(object.keys).subtracting(CameraPatch.keys)
            guard unknown.isEmpty else {
                throw APIError(.invalidField, field: unknown.sorted().first,
                               "unknown field(s) \(unknown.sorted().joined(separator: ", ")); a patch may change \(CameraPatch.keys.sorted().joined(separator: ", "))")
            }
            let patch: CameraPatch
            do { patch = try ContractCodec.decodeValue(CameraPatch.self, from: Data(buffer.readableBytesView)) } catch {
                throw APIError(.badRequest, "a field has the wrong type: \(error)")
            }
            try requireSite(ofCamera: id, context: context)
            if let site = patch.site { try context.requireSite(site) }
            let expected = request.headers[.ifMatch].flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))) }
            return try await command(RegistryCommand(.patch(id: id, patch: patch, expectedVersion: expected)), success: .ok, request: request, context: context)
        }
        router.post("/api/cameras/bulk-delete") { request, context in
            struct Body: Decodable { var ids: [String] }
            guard let body = try await decodeBody(request, as: Body.self), !body.ids.isEmpty, body.ids.count <= 1000 else {
                throw APIError(.badRequest, field: "ids", "the body must be {\"ids\": [...]} with 1 to 1000 camera ids")
            }
            for id in body.ids { try requireSite(ofCamera: id, context: context) }
            return try await command(RegistryCommand(.bulkDelete(ids: body.ids)), success: .ok, request: request, context: context)
        }
    }
}
