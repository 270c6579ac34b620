import CCTVContract

/// The HTTP status a registry reply becomes: the one rule for answers given at once and for
/// answers that completed a pending command later.
enum CommandOutcome {
    static func status(of reply: RegistryReply, success: Int) -> Int {
        guard !reply.ok else { return success }
        switch reply.error?.code {
        case "not_found": return 404
        case "duplicate_address", "duplicate_id", "version_conflict": return 409
        case "internal", nil: return 500
        default: return 400
        }
    }
}
