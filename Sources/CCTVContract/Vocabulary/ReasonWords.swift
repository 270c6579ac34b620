import Foundation

/// Words for every machine code a person may see: the checks' reasons, incident reasons, and the
/// error codes of requests, imports and files. One table; the dashboard gets it from
/// `GET /api/vocabulary`, and a test fails when a code used anywhere in the sources lacks either language.
public enum ReasonWords {
    /// Codes of the form `http_404`: words with the number in place of `{n}`.
    public static let httpPrefix = "http_"
    public static let httpStatus = Bilingual("HTTP {n} 응답", "answered HTTP {n}")

    /// The words for `code`, or `nil` when the table has none.
    public static func words(for code: String) -> Bilingual? {
        if let found = table[code] { return found }
        if code.hasPrefix(httpPrefix), let number = Int(code.dropFirst(httpPrefix.count)) {
            return Bilingual(httpStatus.ko.replacingOccurrences(of: "{n}", with: "\(number)"),
                             httpStatus.en.replacingOccurrences(of: "{n}", with: "\(number)"))
        }
        return nil
    }

    /// Every code with its words.
    public static let table: [String: Bilingual] = [
        // ICMP check reasons
        "ok": Bilingual("정상", "OK"),
        "partial_loss": Bilingual("일부 패킷 손실", "some echoes lost"),
        "no_reply": Bilingual("핑 응답 없음", "no ping reply"),
        "host_unreachable": Bilingual("호스트에 도달할 수 없음 (라우터 응답)", "host unreachable (reported by a router)"),
        "net_unreachable": Bilingual("네트워크에 도달할 수 없음", "network unreachable"),
        "protocol_unreachable": Bilingual("프로토콜 도달 불가", "protocol unreachable"),
        "port_unreachable": Bilingual("포트 도달 불가", "port unreachable"),
        "fragmentation_needed": Bilingual("분할 필요 (MTU 문제)", "fragmentation needed (MTU problem)"),
        "source_route_failed": Bilingual("소스 라우팅 실패", "source route failed"),
        "admin_prohibited": Bilingual("방화벽 등 관리 정책으로 차단됨", "blocked by a firewall or policy (administratively prohibited)"),
        "destination_unreachable": Bilingual("목적지 도달 불가", "destination unreachable"),
        "ttl_exceeded": Bilingual("TTL 초과 (라우팅 루프 의심)", "TTL exceeded (routing loop?)"),
        "parameter_problem": Bilingual("IP 헤더 오류", "IP parameter problem"),
        "icmp_error": Bilingual("기타 ICMP 오류", "other ICMP error"),
        "beyond_scope": Bilingual("주소 범위 밖 (IPv6)", "beyond scope of source address (IPv6)"),
        "packet_too_big": Bilingual("패킷이 너무 큼 (IPv6 MTU)", "packet too big (IPv6 MTU)"),
        "send_failed": Bilingual("핑 전송 실패 (이 서버의 네트워크)", "could not send the ping (this server's network)"),
        "resolve_failed": Bilingual("호스트 이름을 찾을 수 없음", "host name could not be resolved"),
        "socket_error": Bilingual("소켓 오류 (이 서버)", "socket error (this server)"),
        "invalid_count": Bilingual("잘못된 핑 횟수 설정", "invalid echo count setting"),
        "engine_not_running": Bilingual("점검 엔진이 실행 중이 아님", "check engine not running"),
        "engine_shutdown": Bilingual("점검 엔진 종료 중", "check engine shutting down"),
        "sequence_space_exhausted": Bilingual("동시 점검 한도 초과", "too many checks in flight"),
        // HLS check reasons
        "playlist_empty": Bilingual("재생목록이 비어 있음", "playlist is empty"),
        "playlist_not_m3u8": Bilingual("HLS 재생목록이 아님 (로그인 페이지 등)", "not an HLS playlist (e.g. a login page)"),
        "playlist_malformed": Bilingual("재생목록 형식 오류", "malformed playlist"),
        "playlist_too_large": Bilingual("재생목록이 너무 큼", "playlist too large"),
        "playlist_too_many_segments": Bilingual("재생목록 항목이 너무 많음", "playlist lists too many entries"),
        "playlist_stale": Bilingual("영상 멈춤 (재생목록이 갱신되지 않음)", "stream frozen (playlist not advancing)"),
        "media_sequence_backwards": Bilingual("미디어 순번이 거꾸로 감", "media sequence went backwards"),
        "endlist_on_live": Bilingual("실시간 스트림이 종료 표시됨", "live stream marked as ended"),
        "no_segments": Bilingual("영상 조각 없음", "no segments listed"),
        "segment_missing": Bilingual("최신 영상 조각을 받을 수 없음", "newest segment cannot be fetched"),
        "segment_empty": Bilingual("영상 조각이 비어 있음", "segment is empty"),
        "segment_corrupt": Bilingual("영상 조각 손상", "segment corrupt"),
        "no_video": Bilingual("영상 트랙 없음", "no video in the stream"),
        "no_keyframe": Bilingual("키프레임 없음 (경고)", "no key frame (warning)"),
        "connect_refused": Bilingual("연결 거부됨", "connection refused"),
        "timeout": Bilingual("응답 시간 초과", "timed out"),
        "dns": Bilingual("호스트 이름을 찾을 수 없음 (DNS)", "host name not found (DNS)"),
        "tls": Bilingual("TLS 연결 실패", "TLS handshake failed"),
        "redirect_loop": Bilingual("리디렉션 반복", "redirect loop"),
        "too_many_redirects": Bilingual("리디렉션이 너무 많음", "too many redirects"),
        "connection_closed": Bilingual("응답 도중 연결 끊김", "connection closed mid-answer"),
        "bad_url": Bilingual("잘못된 주소", "bad URL"),
        "http_error": Bilingual("HTTP 오류", "HTTP error"),
        "deep_check_failed": Bilingual("정밀 점검 실패 (ffprobe)", "deep check failed (ffprobe)"),
        "deep_check_timeout": Bilingual("정밀 점검 시간 초과", "deep check timed out"),
        "deep_no_video": Bilingual("정밀 점검: 영상 없음", "deep check: no video"),
        "ffprobe_missing": Bilingual("ffprobe 미설치", "ffprobe not installed"),
        // Incident reasons
        "hls_failed": Bilingual("영상 스트림 점검 실패", "stream check failed"),
        "site_line_down": Bilingual("현장 회선 장애 (여러 카메라)", "site line down (several cameras)"),
        "camera_removed": Bilingual("감시 대상에서 삭제됨", "camera removed from monitoring"),
        "line": Bilingual("회선 장애", "line down"),
        "line_degraded": Bilingual("회선 품질 저하", "line degraded"),
        "camera": Bilingual("카메라 장애", "camera down"),
        "test_send": Bilingual("시험 발송", "test send"),
        "stalled": Bilingual("점검 결과가 들어오지 않음", "no check results arriving"),
        // Request errors
        "bad_request": Bilingual("요청 형식이 잘못됨", "malformed request"),
        "invalid_field": Bilingual("입력값이 올바르지 않음", "invalid value"),
        "not_found": Bilingual("찾을 수 없음", "not found"),
        "duplicate_address": Bilingual("이미 다른 카메라가 사용하는 주소", "address already used by another camera"),
        "duplicate_id": Bilingual("이미 있는 ID", "ID already exists"),
        "version_conflict": Bilingual("다른 사람이 먼저 수정함 (새로고침 후 다시 시도)", "changed by someone else meanwhile (reload and retry)"),
        "illegal_transition": Bilingual("현재 상태에서는 할 수 없는 작업", "not allowed in the current state"),
        "payload_too_large": Bilingual("데이터가 너무 큼", "too large"),
        "internal": Bilingual("서버 내부 오류", "internal server error"),
        "busy": Bilingual("진행 중인 작업이 많음 (잠시 후 다시 시도)", "busy (try again shortly)"),
        "registry_unavailable": Bilingual("등록 관리 서비스가 응답하지 않음", "the registry service did not answer"),
        "issues_unavailable": Bilingual("장애 관리 서비스가 응답하지 않음", "the issues service did not answer"),
        "notifier_unavailable": Bilingual("알림 발송 서비스가 응답하지 않음", "the notifier service did not answer"),
        "unknown_team": Bilingual("등록되지 않은 담당 팀", "unknown team"),
        "not_delivered": Bilingual("전송 실패", "not delivered"),
        "no_team": Bilingual("알림을 받을 팀이 없음", "no team to tell"),
        "team_without_channel": Bilingual("팀에 알림 채널이 없음", "team without a notification channel"),
        // Imports and files
        "import_rejected": Bilingual("오류 행이 있어 적용하지 않음", "not applied: some rows were refused"),
        "too_many_rows": Bilingual("행이 너무 많음", "too many rows"),
        "empty_file": Bilingual("빈 파일", "empty file"),
        "invalid_id": Bilingual("ID 형식 오류 (영문·숫자·._- 1–64자)", "invalid ID (1–64 of A-Z a-z 0-9 . _ -)"),
        "name_too_long": Bilingual("이름이 너무 김", "name too long"),
        "value_too_long": Bilingual("값이 너무 김", "value too long"),
        "missing_address": Bilingual("IP 주소 누락", "address missing"),
        "invalid_address": Bilingual("IP 주소 형식 오류", "invalid address"),
        "invalid_hls_url": Bilingual("HLS 주소 형식 오류 (http/https)", "invalid HLS URL (http/https)"),
        "invalid_latitude": Bilingual("위도 오류", "invalid latitude"),
        "invalid_longitude": Bilingual("경도 오류", "invalid longitude"),
        "coordinate_incomplete": Bilingual("위도와 경도는 함께 입력", "latitude and longitude go together"),
        "invalid_enabled": Bilingual("사용 여부 값 오류", "invalid enabled value"),
        "invalid_interval": Bilingual("점검 주기 오류 (10–86400초)", "invalid interval (10–86400 s)"),
        "formula_cell": Bilingual("수식 셀은 읽지 않음 (값으로 붙여넣기)", "formula cell (paste as values)"),
        "error_cell": Bilingual("오류 셀 (#N/A 등)", "error cell (#N/A …)"),
        "unknown_columns": Bilingual("알 수 없는 열 (무시함)", "unknown columns (ignored)"),
        "decoded_cp949": Bilingual("CP949(EUC-KR)로 읽음", "read as CP949 (EUC-KR)"),
        "no_data_rows": Bilingual("데이터 행 없음", "no data rows"),
        "csv_malformed": Bilingual("CSV 형식 오류", "malformed CSV"),
        "duplicate_column": Bilingual("같은 열이 두 번 있음", "column appears twice"),
        "empty_sheet": Bilingual("빈 시트", "empty sheet"),
        "file_too_large": Bilingual("파일이 너무 큼", "file too large"),
        "merged_cells": Bilingual("병합된 셀은 지원하지 않음", "merged cells are not supported"),
        "missing_required_column": Bilingual("필수 열 누락 (IP)", "required column missing (IP)"),
        "not_xlsx": Bilingual("엑셀(.xlsx) 파일이 아님", "not an .xlsx file"),
        "undecodable_text": Bilingual("문자 인코딩을 알 수 없음", "text encoding not recognised"),
        "unsupported_format": Bilingual("지원하지 않는 형식", "unsupported format"),
        "xlsx_malformed": Bilingual("엑셀 파일 손상", "malformed .xlsx"),
        "zip_bomb": Bilingual("압축 해제 크기가 비정상적으로 큼", "decompresses to an abnormal size"),
        "write_failed": Bilingual("파일 쓰기 실패", "could not write the file"),
        // Refused MQTT payloads
        "empty_payload": Bilingual("빈 메시지", "empty payload"),
        "not_an_envelope": Bilingual("규약 형식이 아닌 메시지", "not a contract envelope"),
        "unsupported_version": Bilingual("지원하지 않는 규약 버전", "unsupported contract version"),
        "unexpected_type": Bilingual("예상하지 않은 메시지 종류", "unexpected message type"),
        "invalid_data": Bilingual("메시지 내용 오류", "invalid message data"),
    ]
}
