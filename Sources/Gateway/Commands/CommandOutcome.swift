import CCTVContract

/// The HTTP status a registry reply becomes: the one rule for answers given at once and for
/// answers that completed a pending command later (the code's status, ``APIErrorCode/status``).
enum CommandOutcome {
    static func status(of reply: RegistryReply, success: Int) -> Int {
        guard !reply.ok else { return success }
        guard let refusal = reply.error else { return Int(APIErrorCode.internal.status.code) }
        return Int(APIError(relaying: refusal).status.code)
    }
}
