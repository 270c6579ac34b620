import CCTVContract

/// Which incident events are worth a notification at all, before routing.
///
/// * A camera incident grouped under a site incident (storm) is not announced on its own: the
///   site incident is. Its recovery still reaches whoever was told about it individually.
/// * A silenced incident (maintenance window) is not announced; when the window ends, the
///   `updated` event with `silenced == false` announces it. A recovery is never held: a party
///   that was told "down" is always told "up".
public enum AnnouncementRule {
    /// Whether `event` about `issue` should be routed; `alreadyTold` says whether anyone was told.
    public static func shouldNotify(event: String, issue: IssueRecord, alreadyTold: Bool) -> Bool {
        if event == "resolved" { return alreadyTold || (issue.parentID == nil && !issue.silenced) }
        return issue.parentID == nil && !issue.silenced
    }

    /// Whether a recovery goes to operators as well as to those told (not for grouped or held ones).
    public static func recoveryIncludesOperators(_ issue: IssueRecord) -> Bool {
        issue.parentID == nil && !issue.silenced
    }
}
