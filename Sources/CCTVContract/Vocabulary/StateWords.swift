import Foundation

// The names of every state, kind and status a person sees, from one place. Each is a switch, so
// a new case does not compile until it has words in both languages.

extension CameraState {
    /// The state's name.
    public var words: Bilingual {
        switch self {
        case .ok: Bilingual("정상", "OK")
        case .degraded: Bilingual("회선 품질 저하", "Degraded")
        case .lineDown: Bilingual("회선 장애", "Line down")
        case .cameraDown: Bilingual("카메라 장애", "Camera down")
        case .pictureFault: Bilingual("화면 이상", "Picture fault")
        case .unknown: Bilingual("미확인", "Unknown")
        }
    }

    /// Position in the problems view, worst first (line down, camera down, picture fault, degraded,
    /// stalled, then the rest).
    public var severity: Int {
        switch self {
        case .lineDown: 0
        case .cameraDown: 1
        case .pictureFault: 2
        case .degraded: 3
        case .unknown: 5
        case .ok: 6
        }
    }

    /// Whether a camera in this state needs a person.
    public var needsAttention: Bool { self == .lineDown || self == .cameraDown || self == .pictureFault || self == .degraded }
}

extension IssueState {
    /// The state's name.
    public var words: Bilingual {
        switch self {
        case .open: Bilingual("발생", "Open")
        case .acknowledged: Bilingual("확인", "Acknowledged")
        case .dispatched: Bilingual("출동", "Dispatched")
        case .resolved: Bilingual("해결", "Resolved")
        case .closed: Bilingual("종료", "Closed")
        }
    }
}

extension IssueKind {
    /// The kind's name.
    public var words: Bilingual {
        switch self {
        case .line: Bilingual("회선", "Line")
        case .lineDegraded: Bilingual("회선 품질", "Line degraded")
        case .camera: Bilingual("카메라", "Camera")
        case .picture: Bilingual("화면", "Picture")
        case .configuration: Bilingual("설정 오류", "Configuration")
        case .streamServer: Bilingual("스트림 서버", "Stream server")
        case .monitor: Bilingual("감시 시스템 네트워크", "Monitor network")
        }
    }
}

extension ResponsibleParty {
    /// Who the party is.
    public var words: Bilingual {
        switch self {
        case .lineTeam: Bilingual("회선 담당", "Network line team")
        case .cameraVendor: Bilingual("카메라 업체", "Camera vendor")
        case .operators: Bilingual("관제 운영자", "Operators")
        }
    }
}

extension ICMPStatus {
    /// The status as shown.
    public var words: Bilingual {
        switch self {
        case .success: Bilingual("성공", "OK")
        case .loss: Bilingual("손실", "Loss")
        case .timeout: Bilingual("시간 초과", "Timeout")
        case .fail: Bilingual("실패", "Fail")
        }
    }
}

extension HLSStatus {
    /// The status as shown.
    public var words: Bilingual {
        switch self {
        case .success: Bilingual("성공", "OK")
        case .fail: Bilingual("실패", "Fail")
        case .error: Bilingual("오류", "Error")
        }
    }
}

extension IssueCommand.Name {
    /// The action's button label.
    public var words: Bilingual {
        switch self {
        case .acknowledge: Bilingual("확인", "Acknowledge")
        case .dispatch: Bilingual("출동", "Dispatch")
        case .markFixed: Bilingual("조치 완료", "Mark fixed")
        case .close: Bilingual("종료", "Close")
        case .note: Bilingual("메모", "Note")
        case .silence: Bilingual("점검 등록", "Start maintenance")
        case .unsilence: Bilingual("점검 삭제", "Delete maintenance")
        case .endSilence: Bilingual("점검 종료", "End maintenance now")
        case .listSilences: Bilingual("점검 목록", "List maintenance")
        }
    }
}

extension Silence.Scope {
    /// What a maintenance window covers.
    public var words: Bilingual {
        switch self {
        case .camera: Bilingual("카메라", "Camera")
        case .site: Bilingual("현장", "Site")
        case .tag: Bilingual("태그", "Tag")
        case .lineTeam: Bilingual("회선 담당 팀", "Line team")
        case .vendor: Bilingual("카메라 업체", "Vendor")
        }
    }
}

extension CameraState {
    /// Position of a stalled camera (enabled, but no check results arriving) in the problems view:
    /// after the degraded ones, before the rest.
    public static let stalledSeverity = 4
}
