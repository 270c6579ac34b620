'use strict';
(function () {

// ======================================================================
// Configuration
// ======================================================================
const API = '';                 // API root (same origin)
const PAGE_SIZE = 100;
const SUMMARY_MIN_INTERVAL = 2000; // ms: /api/summary at most every 2 s
const MAX_NOTES = 50;
const MAX_ISSUES = 200;
const STATES = ['OK', 'DEGRADED', 'LINE_DOWN', 'CAMERA_DOWN', 'PICTURE_FAULT', 'UNKNOWN'];
const STATE_ICON = { OK: '●', DEGRADED: '▲', LINE_DOWN: '✖', CAMERA_DOWN: '■', PICTURE_FAULT: '◧', UNKNOWN: '?' };
const SERVICES = ['registry', 'prober', 'issues', 'notifier', 'gateway'];
const REG_FIELDS = [
  { name: 'address', type: 'text', required: true, placeholder: '10.0.0.1' },
  { name: 'id', type: 'text', placeholder: 'CAM-00001' },
  { name: 'name', type: 'text' },
  { name: 'hlsURL', type: 'url', placeholder: 'http://…/index.m3u8' },
  { name: 'site', type: 'text', list: 'siteList' },
  { name: 'lineTeam', type: 'text' },
  { name: 'vendor', type: 'text' },
  { name: 'intervalSeconds', type: 'number', min: '1', step: '1', placeholder: '60' }
];
const LANG_KEY = 'cctvout.lang';

// ======================================================================
// All UI strings
// ======================================================================
const I18N = {
  ko: {
    subtitle: 'CCTV 관제 상태 모니터링',
    skipToTable: '카메라 목록으로 이동',
    'conn.connecting': '연결 중…',
    'conn.connected': '실시간 연결됨',
    'conn.stalled': '감시 중단',
    'mon.stalled': '감시 중단: 표시된 상태는 최신이 아닐 수 있습니다',
    'mon.broker_unreachable': '메시지 브로커에 연결할 수 없습니다',
    'mon.no_results': '카메라 점검 결과가 들어오지 않습니다',
    'mon.service_offline': '중단된 서비스: {names}',
    'mon.lastResult': '마지막 점검 결과: {when}',
    'mon.okStale': '정상 (확인 안 됨)',
    'conn.reconnecting': '재연결 중…',
    'conn.unsupported': '실시간 수신 불가 (브라우저 미지원)',
    'svc.registry': '등록 관리',
    'svc.prober': '상태 점검',
    'svc.issues': '장애 관리',
    'svc.notifier': '알림 발송',
    'svc.gateway': '게이트웨이',
    'svcState.online': '정상',
    'svcState.offline': '중단',
    'svcState.unknown': '미확인',
    'state.OK': '정상',
    'state.DEGRADED': '회선 품질 저하',
    'state.LINE_DOWN': '회선 장애',
    'state.CAMERA_DOWN': '카메라 장애',
    'state.PICTURE_FAULT': '화면 이상',
    'state.UNKNOWN': '미확인',
    totalCameras: '전체 카메라',
    openIssues: '진행 중 장애',
    filterByState: '{state} 상태만 보기',
    cameras: '카메라 목록',
    search: '검색',
    searchPlaceholder: 'ID · 이름 · 주소 검색',
    site: '현장',
    state: '상태',
    allSites: '전체 현장',
    allStates: '전체 상태',
    listChanged: '목록이 변경되었습니다.',
    refresh: '새로고침',
    colId: 'ID',
    colName: '이름',
    colAddress: '주소',
    colSite: '현장',
    colState: '상태',
    colReason: '사유',
    colSince: '경과',
    colActions: '작업',
    prev: '◀ 이전',
    next: '다음 ▶',
    pageInfo: '{from}–{to} / 전체 {total}',
    pageEmpty: '결과 없음',
    noCameras: '표시할 카메라가 없습니다.',
    loading: '불러오는 중…',
    'icmp.SUCCESS': '성공', 'icmp.LOSS': '손실', 'icmp.TIMEOUT': '시간 초과', 'icmp.FAIL': '실패',
    'hls.SUCCESS': '성공', 'hls.FAIL': '실패', 'hls.ERROR': '오류',
    registerCamera: '＋ 카메라 등록',
    'field.address': '주소 (IP/호스트)',
    'field.id': 'ID',
    'field.name': '이름',
    'field.hlsURL': 'HLS URL',
    'field.site': '현장',
    'field.lineTeam': '회선 담당',
    'field.vendor': '카메라 업체',
    'field.intervalSeconds': '점검 주기(초)',
    required: '필수',
    requiredMsg: '필수 입력 항목입니다.',
    intervalInvalid: '1 이상의 정수를 입력하세요.',
    submit: '등록',
    submitting: '등록 중…',
    reset: '초기화',
    registered: '{id} 등록 완료',
    existing: '기존 카메라 {id} 보기',
    fieldError: '{field}: {msg}',
    del: '삭제',
    deleteLabel: '{id} 삭제',
    confirmDelete: '카메라 {id} ({name}) 을(를) 삭제하시겠습니까?\n이 작업은 되돌릴 수 없습니다.',
    deleted: '{id} 삭제됨',
    incidents: '진행 중 장애',
    showResolved: '해결된 장애 포함',
    noIssues: '진행 중인 장애가 없습니다.',
    noIssuesAll: '장애 이력이 없습니다.',
    'kind.LINE': '회선',
    'kind.LINE_DEGRADED': '회선 품질',
    'kind.CAMERA': '카메라',
    'kind.PICTURE': '화면',
    'resp.LINE_TEAM': '회선 담당',
    'resp.CAMERA_VENDOR': '카메라 업체',
    'ist.OPEN': '발생',
    'ist.ACKNOWLEDGED': '확인',
    'ist.DISPATCHED': '출동',
    'ist.RESOLVED': '해결',
    'ist.CLOSED': '종료',
    openedAt: '발생 {time}',
    resolvedAt: '해결 {time}',
    alertHistory: '알림 이력',
    noNotifications: '알림 이력이 없습니다.',
    'ev.opened': '발생',
    'ev.updated': '변경',
    'ev.resolved': '정상화',
    delivered: '전송 성공',
    failed: '전송 실패',
    attempts: '시도 {n}회',
    detail: '카메라 상세',
    close: '닫기 ✕',
    secStatus: '상태',
    secDefinition: '등록 정보',
    secIssues: '장애',
    secNotifications: '알림',
    'def.id': 'ID', 'def.name': '이름', 'def.address': '주소', 'def.hlsURL': 'HLS URL', 'def.site': '현장',
    'def.location': '설치 위치', 'def.latlng': '좌표', 'def.group': '그룹', 'def.tags': '태그',
    'def.lineTeam': '회선 담당', 'def.vendor': '카메라 업체', 'def.enabled': '점검 사용',
    'def.intervalSeconds': '점검 주기', 'def.hasCredentials': '인증 정보', 'def.createdAt': '등록',
    'def.updatedAt': '수정', 'def.version': '버전',
    'st.state': '상태', 'st.icmp': 'ICMP', 'st.hls': 'HLS', 'st.reason': '사유', 'st.since': '상태 시작',
    'st.updatedAt': '상태 변경', 'st.checkedAt': '최근 점검', 'st.issueID': '장애 번호',
    seconds: '{n}초',
    yes: '예', no: '아니오',
    noStatus: '아직 점검 결과가 없습니다.',
    cameraGone: '카메라가 삭제되었거나 존재하지 않습니다.',
    'rel.now': '방금', 'rel.s': '{n}초 전', 'rel.m': '{n}분 전', 'rel.h': '{n}시간 전', 'rel.d': '{n}일 전',
    errNetwork: '서버에 연결할 수 없습니다.',
    errBadJSON: '서버 응답을 해석할 수 없습니다.',
    errHTTP: '서버 오류 (HTTP {status})',
    errCameras: '카메라 목록을 불러오지 못했습니다: {msg}',
    errSummary: '요약 정보를 불러오지 못했습니다: {msg}',
    errSites: '현장 목록을 불러오지 못했습니다: {msg}',
    errIssues: '장애 목록을 불러오지 못했습니다: {msg}',
    errNotes: '알림 이력을 불러오지 못했습니다: {msg}',
    errDetail: '카메라 상세를 불러오지 못했습니다: {msg}',
    errDelete: '{id} 삭제 실패: {msg}',
    errRegister: '등록 실패: {msg}',
    errEvent: '실시간 이벤트를 처리하지 못했습니다 ({name}): {msg}',
    'act.acknowledge': '확인', 'act.dispatch': '출동', 'act.fix': '조치 완료', 'act.close': '종료', 'act.note': '메모',
    actActor: '처리자 이름', actNote: '메모 (선택)', actSend: '보내기', actCancel: '취소', actNeedActor: '처리자 이름을 입력하세요.',
    actDone: '{id}: {action} 처리됨', actFailed: '{action} 실패: {msg}',
    badgeSilenced: '🔕 점검 중', badgeFlapping: '불안정', badgeGrouped: '묶음', siteOutage: '현장 장애 ({n}대)',
    fixReported: '조치 보고: {who} — 확인 대기 중', histTitle: '처리 이력',
    secMaint: '점검 (알림 보류)', silStart: '점검 시작', silMinutes: '분', silReason: '사유', silUntil: '{time}까지',
    silEnd: '점검 종료', silNone: '진행 중인 점검이 없습니다.', silBy: '등록: {who}', errSilence: '점검 처리 실패: {msg}', silStarted: '점검을 시작했습니다.',
    'imp.title': '⇪ 일괄 등록', 'imp.file': '파일 (.csv, .xlsx)', 'imp.validate': '검증만', 'imp.apply': '적용', 'imp.skip': '오류 행 건너뛰기',
    'imp.submit': '업로드', 'imp.template': '양식:', 'imp.export': '내보내기:', 'imp.needFile': '파일을 선택하세요.',
    'imp.uploading': '업로드 중…', 'imp.failed': '가져오기 실패: {msg}',
    'imp.st.parsing': '파일 읽는 중', 'imp.st.checking': '검증 중', 'imp.st.applying': '적용 중', 'imp.st.done': '완료', 'imp.st.failed': '실패',
    'imp.created': '생성', 'imp.updated': '변경', 'imp.unchanged': '변경 없음', 'imp.rejected': '거부',
    'imp.applied': '적용됨', 'imp.notApplied': '적용 안 됨 (검증만)', 'imp.rows': '{n}행',
    'imp.row': '행', 'imp.column': '열', 'imp.reason': '사유', 'imp.message': '내용', 'imp.more': '…외 {n}건', 'imp.existing': '기존: {id}',
    'imp.noProblems': '문제 없음', 'imp.warnings': '경고',
    dismiss: '닫기',
    retry: '다시 시도'
  },
  en: {
    subtitle: 'CCTV health monitoring',
    skipToTable: 'Skip to camera list',
    'conn.connecting': 'Connecting…',
    'conn.connected': 'Live',
    'conn.stalled': 'Monitoring stalled',
    'mon.stalled': 'Monitoring stalled: the states shown may be out of date',
    'mon.broker_unreachable': 'the message broker is unreachable',
    'mon.no_results': 'no camera check results are arriving',
    'mon.service_offline': 'services offline: {names}',
    'mon.lastResult': 'last check result: {when}',
    'mon.okStale': 'OK (unconfirmed)',
    'conn.reconnecting': 'Reconnecting…',
    'conn.unsupported': 'Live updates unavailable (browser)',
    'svc.registry': 'Registry',
    'svc.prober': 'Prober',
    'svc.issues': 'Issues',
    'svc.notifier': 'Notifier',
    'svc.gateway': 'Gateway',
    'svcState.online': 'online',
    'svcState.offline': 'offline',
    'svcState.unknown': 'unknown',
    'state.OK': 'OK',
    'state.DEGRADED': 'Degraded',
    'state.LINE_DOWN': 'Line down',
    'state.CAMERA_DOWN': 'Camera down',
    'state.PICTURE_FAULT': 'Picture fault',
    'state.UNKNOWN': 'Unknown',
    totalCameras: 'Cameras',
    openIssues: 'Open incidents',
    filterByState: 'Show only {state}',
    cameras: 'Cameras',
    search: 'Search',
    searchPlaceholder: 'Search ID, name, address',
    site: 'Site',
    state: 'State',
    allSites: 'All sites',
    allStates: 'All states',
    listChanged: 'The list has changed.',
    refresh: 'Refresh',
    colId: 'ID',
    colName: 'Name',
    colAddress: 'Address',
    colSite: 'Site',
    colState: 'State',
    colReason: 'Reason',
    colSince: 'Since',
    colActions: 'Actions',
    prev: '◀ Prev',
    next: 'Next ▶',
    pageInfo: '{from}–{to} of {total}',
    pageEmpty: 'No results',
    noCameras: 'No cameras to show.',
    loading: 'Loading…',
    'icmp.SUCCESS': 'OK', 'icmp.LOSS': 'Loss', 'icmp.TIMEOUT': 'Timeout', 'icmp.FAIL': 'Fail',
    'hls.SUCCESS': 'OK', 'hls.FAIL': 'Fail', 'hls.ERROR': 'Error',
    registerCamera: '＋ Register camera',
    'field.address': 'Address (IP/host)',
    'field.id': 'ID',
    'field.name': 'Name',
    'field.hlsURL': 'HLS URL',
    'field.site': 'Site',
    'field.lineTeam': 'Line team',
    'field.vendor': 'Vendor',
    'field.intervalSeconds': 'Interval (s)',
    required: 'required',
    requiredMsg: 'This field is required.',
    intervalInvalid: 'Enter a whole number of 1 or more.',
    submit: 'Register',
    submitting: 'Registering…',
    reset: 'Clear',
    registered: '{id} registered',
    existing: 'Open existing camera {id}',
    fieldError: '{field}: {msg}',
    del: 'Delete',
    deleteLabel: 'Delete {id}',
    confirmDelete: 'Delete camera {id} ({name})?\nThis cannot be undone.',
    deleted: '{id} deleted',
    incidents: 'Open incidents',
    showResolved: 'Include resolved',
    noIssues: 'No open incidents.',
    noIssuesAll: 'No incidents.',
    'kind.LINE': 'Line',
    'kind.LINE_DEGRADED': 'Line degraded',
    'kind.CAMERA': 'Camera',
    'kind.PICTURE': 'Picture',
    'resp.LINE_TEAM': 'Network line team',
    'resp.CAMERA_VENDOR': 'Camera vendor',
    'ist.OPEN': 'Open',
    'ist.ACKNOWLEDGED': 'Acknowledged',
    'ist.DISPATCHED': 'Dispatched',
    'ist.RESOLVED': 'Resolved',
    'ist.CLOSED': 'Closed',
    openedAt: 'opened {time}',
    resolvedAt: 'resolved {time}',
    alertHistory: 'Alert history',
    noNotifications: 'No notifications yet.',
    'ev.opened': 'opened',
    'ev.updated': 'updated',
    'ev.resolved': 'resolved',
    delivered: 'delivered',
    failed: 'failed',
    attempts: '{n} attempt(s)',
    detail: 'Camera detail',
    close: 'Close ✕',
    secStatus: 'Status',
    secDefinition: 'Definition',
    secIssues: 'Incidents',
    secNotifications: 'Notifications',
    'def.id': 'ID', 'def.name': 'Name', 'def.address': 'Address', 'def.hlsURL': 'HLS URL', 'def.site': 'Site',
    'def.location': 'Location', 'def.latlng': 'Coordinates', 'def.group': 'Group', 'def.tags': 'Tags',
    'def.lineTeam': 'Line team', 'def.vendor': 'Vendor', 'def.enabled': 'Monitoring enabled',
    'def.intervalSeconds': 'Interval', 'def.hasCredentials': 'Credentials', 'def.createdAt': 'Created',
    'def.updatedAt': 'Updated', 'def.version': 'Version',
    'st.state': 'State', 'st.icmp': 'ICMP', 'st.hls': 'HLS', 'st.reason': 'Reason', 'st.since': 'Since',
    'st.updatedAt': 'Status changed', 'st.checkedAt': 'Last checked', 'st.issueID': 'Incident',
    seconds: '{n} s',
    yes: 'yes', no: 'no',
    noStatus: 'Not checked yet.',
    cameraGone: 'This camera was deleted or does not exist.',
    'rel.now': 'just now', 'rel.s': '{n} s ago', 'rel.m': '{n} min ago', 'rel.h': '{n} h ago', 'rel.d': '{n} d ago',
    errNetwork: 'Cannot reach the server.',
    errBadJSON: 'Could not parse the server response.',
    errHTTP: 'Server error (HTTP {status})',
    errCameras: 'Could not load cameras: {msg}',
    errSummary: 'Could not load summary: {msg}',
    errSites: 'Could not load sites: {msg}',
    errIssues: 'Could not load incidents: {msg}',
    errNotes: 'Could not load alert history: {msg}',
    errDetail: 'Could not load camera detail: {msg}',
    errDelete: 'Could not delete {id}: {msg}',
    errRegister: 'Registration failed: {msg}',
    errEvent: 'Could not process live event ({name}): {msg}',
    'act.acknowledge': 'Acknowledge', 'act.dispatch': 'Dispatch', 'act.fix': 'Mark fixed', 'act.close': 'Close', 'act.note': 'Note',
    actActor: 'Your name', actNote: 'Note (optional)', actSend: 'Send', actCancel: 'Cancel', actNeedActor: 'Enter your name.',
    actDone: '{id}: {action} done', actFailed: '{action} failed: {msg}',
    badgeSilenced: '🔕 maintenance', badgeFlapping: 'flapping', badgeGrouped: 'grouped', siteOutage: 'Site outage ({n} cameras)',
    fixReported: 'fix reported by {who}, awaiting confirmation', histTitle: 'History',
    secMaint: 'Maintenance (notifications held)', silStart: 'Start maintenance', silMinutes: 'min', silReason: 'Reason', silUntil: 'until {time}',
    silEnd: 'End', silNone: 'No active maintenance.', silBy: 'by {who}', errSilence: 'Maintenance request failed: {msg}', silStarted: 'Maintenance started.',
    'imp.title': '⇪ Bulk import', 'imp.file': 'File (.csv, .xlsx)', 'imp.validate': 'Validate only', 'imp.apply': 'Apply', 'imp.skip': 'Skip invalid rows',
    'imp.submit': 'Upload', 'imp.template': 'Template:', 'imp.export': 'Export:', 'imp.needFile': 'Choose a file.',
    'imp.uploading': 'Uploading…', 'imp.failed': 'Import failed: {msg}',
    'imp.st.parsing': 'Reading file', 'imp.st.checking': 'Validating', 'imp.st.applying': 'Applying', 'imp.st.done': 'Done', 'imp.st.failed': 'Failed',
    'imp.created': 'created', 'imp.updated': 'updated', 'imp.unchanged': 'unchanged', 'imp.rejected': 'rejected',
    'imp.applied': 'applied', 'imp.notApplied': 'not applied (validate only)', 'imp.rows': '{n} rows',
    'imp.row': 'Row', 'imp.column': 'Column', 'imp.reason': 'Reason', 'imp.message': 'Message', 'imp.more': '…and {n} more', 'imp.existing': 'existing: {id}',
    'imp.noProblems': 'No problems', 'imp.warnings': 'Warnings',
    dismiss: 'Dismiss',
    retry: 'Retry'
  }
};

// ======================================================================
// Helpers
// ======================================================================
function pickLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'ko' || saved === 'en') return saved;
  } catch (e) { /* storage unavailable */ }
  return String(navigator.language || '').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}
let lang = pickLang();

function t(key, params) {
  let s = I18N[lang][key];
  if (s === undefined) s = I18N.en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined && params[k] !== null) ? String(params[k]) : m);
  return s;
}
function tOr(key, fallback) { // translate an enum value, falling back to the raw value
  const s = I18N[lang][key];
  return s === undefined ? String(fallback == null ? '' : fallback) : s;
}

// Build DOM safely: strings always become text nodes, never HTML.
function el(tag, attrs) {
  const n = document.createElement(tag);
  if (attrs) {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = String(v);
      else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (let i = 2; i < arguments.length; i++) {
    const c = arguments[i];
    if (c === null || c === undefined || c === false) continue;
    n.append(c instanceof Node ? c : String(c));
  }
  return n;
}
const $ = (id) => document.getElementById(id);
const str = (v) => (v === null || v === undefined) ? '' : String(v);

function fmtNum(n) {
  try { return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US').format(n); } catch (e) { return String(n); }
}
function parseTime(iso) {
  if (!iso) return NaN;
  const ms = Date.parse(iso);
  return isNaN(ms) ? NaN : ms;
}
function fmtAbs(iso) {
  const ms = parseTime(iso);
  if (isNaN(ms)) return str(iso);
  try {
    return new Date(ms).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB', { hour12: false });
  } catch (e) { return new Date(ms).toISOString(); }
}
function fmtRel(ms) {
  if (isNaN(ms)) return '—';
  const d = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  if (d < 5) return t('rel.now');
  if (d < 60) return t('rel.s', { n: d });
  if (d < 3600) return t('rel.m', { n: Math.floor(d / 60) });
  if (d < 86400) return t('rel.h', { n: Math.floor(d / 3600) });
  return t('rel.d', { n: Math.floor(d / 86400) });
}
// A <time> element that keeps its relative text fresh (see tickTimes).
function relTime(iso, prefixKey) {
  const ms = parseTime(iso);
  const node = el('time', { class: 'rel', datetime: iso ? str(iso) : null, title: iso ? fmtAbs(iso) : null });
  node.dataset.ts = isNaN(ms) ? '' : String(ms);
  if (prefixKey) node.dataset.prefix = prefixKey;
  node.textContent = relText(node);
  return node;
}
function relText(node) {
  const ms = node.dataset.ts === '' ? NaN : Number(node.dataset.ts);
  const rel = fmtRel(ms);
  return node.dataset.prefix ? t(node.dataset.prefix, { time: rel }) : rel;
}
function tickTimes() {
  for (const node of document.querySelectorAll('time.rel')) {
    const s = relText(node);
    if (node.textContent !== s) node.textContent = s;
  }
}
function stateBadge(state, big) {
  const s = STATES.includes(state) ? state : 'UNKNOWN';
  return el('span', { class: 'badge' + (big ? ' big' : ''), 'data-state': s },
    el('span', { 'aria-hidden': 'true', text: STATE_ICON[s] }), tOr('state.' + s, s));
}
function probeCell(kind, v) {
  const val = str(v);
  return el('span', { class: 'probe', 'data-v': val }, val ? tOr(kind + '.' + val, val) : '—');
}

// ----------------------------------------------------------------------
// API
// ----------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, error, message) {
    super(message);
    this.status = status;
    this.error = error || null;
  }
}
async function api(path, opts) {
  opts = opts || {};
  const init = { method: opts.method || 'GET', headers: { 'Accept': 'application/json' }, cache: 'no-store', signal: opts.signal };
  if (init.method !== 'GET' && session.csrfToken) init.headers['X-CSRF-Token'] = session.csrfToken;
  if (opts.raw !== undefined) {
    init.headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  } else if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, t('errNetwork'));
  }
  if (res.status === 401) { location.assign('/login'); throw new ApiError(401, null, t('errHTTP', { status: 401 })); }
  if (res.status === 204) return null;
  let text = '';
  try { text = await res.text(); } catch (e) { throw new ApiError(res.status, null, t('errNetwork')); }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) {
      if (res.ok) throw new ApiError(res.status, null, t('errBadJSON'));
    }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data.error : null;
    const msg = (err && err.message) ? String(err.message) : t('errHTTP', { status: res.status });
    throw new ApiError(res.status, err && typeof err === 'object' ? err : null, msg);
  }
  return data;
}
// The signed-in account (GET /api/session): its name and role for the header, its CSRF token for changes.
const session = { name: '', role: '', csrfToken: '' };
async function loadSession() {
  const me = await api('/api/session');
  session.name = str(me.name); session.role = str(me.role); session.csrfToken = str(me.csrfToken);
  $('whoami').textContent = session.name + ' · ' + session.role;
  $('adminLink').hidden = session.role !== 'admin';
  if (session.role !== 'admin') { $('registerPanel').hidden = true; $('importPanel').hidden = true; }
}
async function logout() {
  try { await api('/api/session', { method: 'DELETE' }); } catch (e) { /* signed out either way */ }
  location.assign('/login');
}
function errMsg(e) { return (e && e.message) ? e.message : String(e); }

// ----------------------------------------------------------------------
// Messages (toasts) and panel errors
// ----------------------------------------------------------------------
function toast(text, kind, ttl) {
  const box = $('messages');
  const node = el('div', { class: 'msg ' + (kind || ''), role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'message-' + (kind || 'info') },
    el('span', { text: text }),
    el('button', { type: 'button', class: 'x', 'aria-label': t('dismiss'), text: '✕', onclick: () => node.remove() }));
  box.append(node);
  while (box.children.length > 5) box.firstElementChild.remove();
  setTimeout(() => node.remove(), ttl || (kind === 'error' ? 20000 : 6000));
}
function showErr(id, text, retry) {
  const box = $(id);
  box.replaceChildren(el('span', { text: text }));
  if (retry) {
    box.append(' ', el('button', { type: 'button', class: 'btn small', text: t('retry'), onclick: retry }));
  }
  box.hidden = false;
}
function hideErr(id) { const box = $(id); box.hidden = true; box.replaceChildren(); }

// ======================================================================
// App state
// ======================================================================
const filters = { q: '', site: '', state: '' };
const page = { offset: 0, total: 0, items: [] };   // items: [{camera, status}]
const rowIndex = new Map();                          // id -> {item, tr}
let summary = { cameras: 0, byState: {}, openIssues: 0, services: {} };
const services = {};                                 // name -> 'online' | 'offline'
const issues = new Map();                            // id -> IssueRecord
let notes = [];                                      // NotificationRecord, newest first
let sites = [];
let showResolved = false;
let connState = 'connecting';
let monitoring = null;                               // /api/summary .monitoring: {state, reasons, servicesOffline, lastResultAt}
let detail = { id: null, data: null, gone: false, returnFocus: null };

// ======================================================================
// Static text / language
// ======================================================================
function applyStaticText() {
  document.documentElement.lang = lang;
  document.documentElement.dataset.lang = lang;
  for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
  for (const s of document.querySelectorAll('#langToggle span[data-l]')) s.classList.toggle('on', s.dataset.l === lang);
  $('langToggle').setAttribute('aria-label', lang === 'ko' ? 'Switch to English' : '한국어로 전환');
  $('langToggle').title = $('langToggle').getAttribute('aria-label');
}
function setLang(l) {
  lang = l;
  try { localStorage.setItem(LANG_KEY, l); } catch (e) { /* ignore */ }
  applyStaticText();
  buildRegisterFields(true);
  renderStateFilter();
  renderSiteFilter();
  renderConn();
  renderServices();
  renderSummary();
  renderPage();
  renderIssues();
  renderNotes();
  impLinks();
  renderImport();
  if (detail.id) renderDetail();
}

// ======================================================================
// Connection indicator + services
// ======================================================================
function setConn(s) { connState = s; renderConn(); }
function renderConn() {
  const c = $('conn');
  // Connected to the gateway is not the same as monitoring: never say "Live" on stale data.
  const shown = (connState === 'connected' && monitoring && monitoring.state === 'stalled') ? 'stalled' : connState;
  c.dataset.conn = shown;
  $('connText').textContent = t('conn.' + shown);
  renderServices();
  renderMonitoring();
}
function setMonitoring(m) { monitoring = (m && typeof m === 'object') ? m : null; renderConn(); }
function renderMonitoring() {
  const box = $('stallBanner');
  const stalled = !!(monitoring && monitoring.state === 'stalled');
  $('summary').dataset.stale = stalled ? 'true' : 'false';
  renderSummary();
  box.hidden = !stalled;
  if (!stalled) { box.replaceChildren(); return; }
  const why = (monitoring.reasons || []).map((r) => r === 'service_offline'
    ? t('mon.service_offline', { names: (monitoring.servicesOffline || []).join(', ') }) : tOr('mon.' + r, r));
  if (monitoring.lastResultAt) why.push(t('mon.lastResult', { when: relTime(monitoring.lastResultAt) + ' (' + fmtAbs(monitoring.lastResultAt) + ')' }));
  box.replaceChildren(el('span', { text: '⚠ ' + t('mon.stalled') }), el('span', { class: 'why', text: why.join(' · ') }));
}
function renderServices() {
  const ul = $('services');
  const names = SERVICES.slice();
  for (const n of Object.keys(services)) if (!names.includes(n)) names.push(n);
  ul.replaceChildren();
  for (const name of names) {
    let st = services[name] || 'unknown';
    // While the live stream is down the gateway is not reachable from here.
    if (name === 'gateway' && connState === 'reconnecting') st = 'offline';
    const stKey = (st === 'online' || st === 'offline') ? st : 'unknown';
    ul.append(el('li', { class: 'svc', 'data-svc-state': stKey, 'data-testid': 'service-' + name },
      el('span', { text: tOr('svc.' + name, name) }),
      el('span', { class: 'svc-state', text: tOr('svcState.' + stKey, st) })));
  }
}

// ======================================================================
// Summary counters
// ======================================================================
function buildSummary() {
  const box = $('summary');
  box.replaceChildren();
  const total = el('div', { class: 'count total', 'data-testid': 'summary-total' },
    el('span', { class: 'n', id: 'count-total', 'data-testid': 'count-total', text: '–' }),
    el('span', { class: 'l', 'data-i18n': 'totalCameras' }));
  box.append(total);
  for (const s of STATES) {
    const b = el('button', { type: 'button', class: 'count', 'data-testid': 'summary-' + s, 'aria-pressed': 'false', 'data-state': s,
      onclick: () => { filters.state = (filters.state === s) ? '' : s; $('stateFilter').value = filters.state; page.offset = 0; loadPage(); renderSummary(); } },
      el('span', { class: 'n', id: 'count-' + s, 'data-testid': 'count-' + s, text: '–' }),
      el('span', { class: 'l', 'data-i18n': 'state.' + s }));
    b.style.setProperty('--c', 'var(--' + cssVarFor(s) + ')');   // CSSOM: the CSP forbids style attributes
    box.append(b);
  }
  box.append(el('div', { class: 'count issues', 'data-testid': 'summary-openIssues' },
    el('span', { class: 'n', id: 'count-openIssues', 'data-testid': 'count-openIssues', text: '–' }),
    el('span', { class: 'l', 'data-i18n': 'openIssues' })));
}
function cssVarFor(s) {
  return { OK: 'ok', DEGRADED: 'degraded', LINE_DOWN: 'line', CAMERA_DOWN: 'camera', PICTURE_FAULT: 'camera', UNKNOWN: 'unknown' }[s];
}
function setCount(id, n) {
  const node = $(id);
  if (!node) return;
  const v = Number(n) || 0;
  node.textContent = fmtNum(v);
  node.parentElement.dataset.nonzero = v > 0 ? 'true' : 'false';
}
function renderSummary() {
  setCount('count-total', summary.cameras);
  const by = summary.byState || {};
  for (const s of STATES) {
    setCount('count-' + s, by[s]);
    const b = document.querySelector('[data-testid="summary-' + s + '"]');
    if (b) {
      b.setAttribute('aria-pressed', filters.state === s ? 'true' : 'false');
      b.title = t('filterByState', { state: t('state.' + s) });
    }
  }
  setCount('count-openIssues', summary.openIssues);
  for (const n of $('summary').querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  // While monitoring is stalled nobody can vouch for "OK".
  const okLabel = document.querySelector('[data-testid="summary-OK"] .l');
  if (okLabel && monitoring && monitoring.state === 'stalled') okLabel.textContent = t('mon.okStale');
}

let sumTimer = null, sumLast = 0, sumSeq = 0, sumErrShown = false;
// Throttled + debounced: coalesces bursts and never hits /api/summary more than once per 2 s.
function scheduleSummary() {
  if (sumTimer) return;
  const wait = Math.max(250, SUMMARY_MIN_INTERVAL - (Date.now() - sumLast));
  sumTimer = setTimeout(() => { sumTimer = null; loadSummary(); }, wait);
}
async function loadSummary() {
  sumLast = Date.now();
  const seq = ++sumSeq;
  try {
    const data = await api('/api/summary');
    if (seq !== sumSeq) return;
    summary = {
      cameras: (data && data.cameras) || 0,
      byState: (data && data.byState) || {},
      openIssues: (data && data.openIssues) || 0,
      services: (data && data.services) || {}
    };
    for (const k of Object.keys(summary.services)) services[k] = summary.services[k];
    setMonitoring(data && data.monitoring);
    renderSummary();
    renderServices();
    if (sumErrShown) { sumErrShown = false; }
  } catch (e) {
    if (seq !== sumSeq) return;
    if (!sumErrShown) { toast(t('errSummary', { msg: errMsg(e) }), 'error'); sumErrShown = true; }
  }
}

// ======================================================================
// Filters
// ======================================================================
function renderStateFilter() {
  const sel = $('stateFilter');
  sel.replaceChildren(el('option', { value: '', text: t('allStates') }));
  for (const s of STATES) sel.append(el('option', { value: s, text: t('state.' + s) }));
  sel.value = filters.state;
}
function renderSiteFilter() {
  const sel = $('siteFilter');
  sel.replaceChildren(el('option', { value: '', text: t('allSites') }));
  const list = sites.slice();
  if (filters.site && !list.includes(filters.site)) list.push(filters.site);
  for (const s of list) sel.append(el('option', { value: s, text: s }));
  sel.value = filters.site;
  const dl = $('siteList');
  if (dl) { dl.replaceChildren(); for (const s of sites) dl.append(el('option', { value: s })); }
}
function addSite(s) {
  if (!s || sites.includes(s)) return;
  sites.push(s);
  sites.sort((a, b) => a.localeCompare(b, 'ko'));
  renderSiteFilter();
}
async function loadSites() {
  try {
    const data = await api('/api/sites');
    sites = ((data && data.items) || []).filter((s) => typeof s === 'string' && s);
    renderSiteFilter();
  } catch (e) {
    toast(t('errSites', { msg: errMsg(e) }), 'error');
  }
}

// ======================================================================
// Camera table (server-side paging)
// ======================================================================
let pageSeq = 0, pageAbort = null;
async function loadPage() {
  const seq = ++pageSeq;
  if (pageAbort) pageAbort.abort();
  const ctrl = (typeof AbortController !== 'undefined') ? new AbortController() : null;
  pageAbort = ctrl;
  const p = new URLSearchParams();
  p.set('q', filters.q);
  p.set('site', filters.site);
  p.set('state', filters.state);
  p.set('offset', String(page.offset));
  p.set('limit', String(PAGE_SIZE));
  $('tableWrap').setAttribute('aria-busy', 'true');
  try {
    const data = await api('/api/cameras?' + p.toString(), { signal: ctrl ? ctrl.signal : undefined });
    if (seq !== pageSeq) return;
    const total = Number(data && data.total) || 0;
    const items = (data && Array.isArray(data.items)) ? data.items.filter((it) => it && it.camera && it.camera.id != null) : [];
    if (items.length === 0 && page.offset > 0 && total > 0) {
      // Page fell off the end (cameras deleted): jump to the last page.
      page.offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      loadPage();
      return;
    }
    page.total = total;
    page.items = items;
    hideErr('camerasErr');
    $('stale').hidden = true;
    renderPage();
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (seq !== pageSeq) return;
    showErr('camerasErr', t('errCameras', { msg: errMsg(e) }), loadPage);
  } finally {
    if (seq === pageSeq) $('tableWrap').setAttribute('aria-busy', 'false');
  }
}
function renderPage() {
  const tbody = $('rows');
  rowIndex.clear();
  const frag = document.createDocumentFragment();
  for (const item of page.items) {
    const tr = buildRow(item);
    rowIndex.set(String(item.camera.id), { item: item, tr: tr });
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
  const empty = $('rowsEmpty');
  empty.hidden = page.items.length > 0;
  empty.textContent = t('noCameras');
  renderPager();
}
function renderPager() {
  const n = page.items.length;
  $('pageInfo').textContent = (page.total === 0 || n === 0)
    ? t('pageEmpty')
    : t('pageInfo', { from: fmtNum(page.offset + 1), to: fmtNum(page.offset + n), total: fmtNum(page.total) });
  $('prev').disabled = page.offset <= 0;
  $('next').disabled = page.offset + PAGE_SIZE >= page.total;
}
function buildRow(item) {
  const id = String(item.camera.id);
  const tr = el('tr', { class: 'row', tabindex: '0', 'data-testid': 'row-' + id });
  tr.dataset.id = id;
  tr.addEventListener('click', () => openDetail(id));
  tr.addEventListener('keydown', (ev) => {
    if (ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); openDetail(id); }
  });
  fillRow(tr, item);
  return tr;
}
function fillRow(tr, item) {
  const c = item.camera || {};
  const s = item.status || null;
  const st = (s && STATES.includes(s.state)) ? s.state : 'UNKNOWN';
  const id = str(c.id);
  tr.dataset.state = st;
  tr.classList.toggle('selected', detail.id === id);
  const reason = str(s && s.reason);
  const del = el('button', { type: 'button', class: 'btn danger small', 'data-testid': 'delete-' + id, 'aria-label': t('deleteLabel', { id: id }), text: t('del') });
  del.addEventListener('click', (ev) => { ev.stopPropagation(); deleteCamera(c); });
  del.addEventListener('keydown', (ev) => ev.stopPropagation());
  tr.replaceChildren(
    el('td', { class: 'mono', 'data-col': 'id', text: id }),
    el('td', { class: 'name', 'data-col': 'name', title: str(c.name), text: str(c.name) }),
    el('td', { class: 'mono', 'data-col': 'address', title: str(c.address) || null, text: str(c.address) }),
    el('td', { class: 'site', 'data-col': 'site', title: str(c.site) || null, text: str(c.site) }),
    el('td', { 'data-col': 'state' }, stateBadge(st)),
    el('td', { 'data-col': 'icmp' }, probeCell('icmp', s && s.icmp)),
    el('td', { 'data-col': 'hls' }, probeCell('hls', s && s.hls)),
    el('td', { class: 'reason', 'data-col': 'reason', title: reason || null, text: reason }),
    el('td', { 'data-col': 'since' }, s ? relTime(s.since) : '—'),
    el('td', { 'data-col': 'actions' }, del)
  );
}
function flashRow(tr) {
  tr.classList.remove('flash');
  void tr.offsetWidth; // restart the animation
  tr.classList.add('flash');
}
function markStale() { $('stale').hidden = false; }

async function deleteCamera(c) {
  const id = str(c.id);
  if (!window.confirm(t('confirmDelete', { id: id, name: str(c.name) || '—' }))) return;
  try {
    await api('/api/cameras/' + encodeURIComponent(id), { method: 'DELETE' });
    toast(t('deleted', { id: id }), 'ok');
    removeRow(id);
    if (detail.id === id) { detail.gone = true; renderDetail(); }
    scheduleSummary();
  } catch (e) {
    toast(t('errDelete', { id: id, msg: errMsg(e) }), 'error');
  }
}
function removeRow(id) {
  const entry = rowIndex.get(id);
  if (!entry) return false;
  entry.tr.remove();
  rowIndex.delete(id);
  page.items = page.items.filter((it) => String(it.camera.id) !== id);
  page.total = Math.max(0, page.total - 1);
  if (page.items.length === 0) { loadPage(); } else { renderPager(); markStale(); }
  return true;
}

// ======================================================================
// Register form
// ======================================================================
function buildRegisterFields(keepValues) {
  const form = $('regForm');
  const values = {};
  const errors = {};
  if (keepValues) {
    for (const f of REG_FIELDS) {
      const inp = $('reg-' + f.name);
      if (inp) values[f.name] = inp.value;
      const er = $('reg-err-' + f.name);
      if (er && !er.hidden) errors[f.name] = er.dataset.raw || '';
    }
  }
  for (const n of form.querySelectorAll('.fld')) n.remove();
  const actions = form.querySelector('.reg-actions');
  for (const f of REG_FIELDS) {
    const inputId = 'reg-' + f.name;
    const errId = 'reg-err-' + f.name;
    const label = el('label', { for: inputId, text: t('field.' + f.name) });
    if (f.required) label.append(el('span', { class: 'req', 'aria-hidden': 'true', text: '*' }), el('span', { class: 'sr-only', text: ' (' + t('required') + ')' }));
    const input = el('input', {
      id: inputId, name: f.name, type: f.type, autocomplete: 'off', 'data-testid': 'field-' + f.name,
      placeholder: f.placeholder || null, list: f.list || null, min: f.min || null, step: f.step || null,
      required: f.required || null, 'aria-required': f.required ? 'true' : null, 'aria-describedby': errId,
      inputmode: f.type === 'number' ? 'numeric' : null
    });
    if (values[f.name] !== undefined) input.value = values[f.name];
    input.addEventListener('input', () => clearFieldError(f.name));
    const err = el('div', { id: errId, class: 'fld-err', role: 'alert', 'data-testid': 'error-' + f.name, hidden: true });
    const wrap = el('div', { class: 'fld' }, label, input, err);
    if (f.list) wrap.append(el('datalist', { id: f.list }));
    form.insertBefore(wrap, actions);
    if (errors[f.name] !== undefined) setFieldError(f.name, errors[f.name]);
  }
  renderSiteFilter(); // refill the site datalist
}
function setFieldError(name, message, existingID) {
  const input = $('reg-' + name);
  const err = $('reg-err-' + name);
  if (!input || !err) return false;
  input.setAttribute('aria-invalid', 'true');
  err.dataset.raw = message;
  err.replaceChildren(el('span', { text: message }));
  if (existingID) {
    err.append(el('button', { type: 'button', class: 'btn small', 'data-testid': 'existing-camera', text: t('existing', { id: existingID }),
      onclick: () => openDetail(String(existingID)) }));
  }
  err.hidden = false;
  return true;
}
function clearFieldError(name) {
  const input = $('reg-' + name);
  const err = $('reg-err-' + name);
  if (input) input.removeAttribute('aria-invalid');
  if (err) { err.hidden = true; err.replaceChildren(); delete err.dataset.raw; }
}
function setRegMsg(text, kind) {
  const m = $('regMsg');
  m.textContent = text || '';
  m.className = 'reg-msg ' + (kind || '');
}
async function onRegister(ev) {
  ev.preventDefault();
  for (const f of REG_FIELDS) clearFieldError(f.name);
  setRegMsg('');
  const body = {};
  let firstBad = null;
  for (const f of REG_FIELDS) {
    const v = $('reg-' + f.name).value.trim();
    if (v === '') {
      if (f.required) { setFieldError(f.name, t('requiredMsg')); firstBad = firstBad || f.name; }
      continue;
    }
    if (f.name === 'intervalSeconds') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) { setFieldError(f.name, t('intervalInvalid')); firstBad = firstBad || f.name; continue; }
      body[f.name] = n;
    } else {
      body[f.name] = v;
    }
  }
  if (firstBad) { $('reg-' + firstBad).focus(); return; }
  const btn = $('regSubmit');
  btn.disabled = true;
  btn.textContent = t('submitting');
  try {
    const cam = await api('/api/cameras', { method: 'POST', body: body });
    const id = cam && cam.id != null ? String(cam.id) : str(body.id || body.address);
    $('regForm').reset(); // clears messages too, so set the success message after it
    setRegMsg(t('registered', { id: id }), 'ok');
    toast(t('registered', { id: id }), 'ok');
    if (cam && cam.site) addSite(String(cam.site));
    loadPage();
    scheduleSummary();
  } catch (e) {
    const err = e && e.error;
    const field = err && err.field ? String(err.field) : '';
    if (field && setFieldError(field, errMsg(e), err.existingID)) {
      $('reg-' + field).focus();
      setRegMsg(t('errRegister', { msg: errMsg(e) }), 'error');
    } else if (field) {
      setRegMsg(t('errRegister', { msg: t('fieldError', { field: field, msg: errMsg(e) }) }), 'error');
    } else {
      setRegMsg(t('errRegister', { msg: errMsg(e) }), 'error');
    }
  } finally {
    btn.disabled = false;
    btn.textContent = t('submit');
  }
}

// ======================================================================
// Incidents panel
// ======================================================================
function isClosed(i) { return i.state === 'RESOLVED' || i.state === 'CLOSED'; }
let issuesSeq = 0;
async function loadIssues() {
  const seq = ++issuesSeq;
  try {
    const data = await api('/api/issues?state=' + (showResolved ? 'all' : 'open') + '&limit=' + MAX_ISSUES);
    if (seq !== issuesSeq) return;
    issues.clear();
    for (const i of (data && data.items) || []) if (i && i.id != null) issues.set(String(i.id), i);
    hideErr('issuesErr');
    renderIssues();
  } catch (e) {
    if (seq !== issuesSeq) return;
    showErr('issuesErr', t('errIssues', { msg: errMsg(e) }), loadIssues);
  }
}
function upsertIssue(issue) {
  if (!issue || issue.id == null) return;
  const id = String(issue.id);
  const prev = issues.get(id);
  if (prev && Number(prev.version) > Number(issue.version)) return; // stale event
  if (isClosed(issue) && !showResolved) issues.delete(id);
  else issues.set(id, issue);
  if (issues.size > MAX_ISSUES) {
    // drop the oldest closed ones first
    const sorted = sortedIssues();
    for (let k = sorted.length - 1; k >= 0 && issues.size > MAX_ISSUES; k--) {
      if (isClosed(sorted[k])) issues.delete(String(sorted[k].id));
    }
  }
  scheduleRender('issues');
}
function sortedIssues() {
  return Array.from(issues.values()).sort((a, b) => {
    const ca = isClosed(a) ? 1 : 0, cb = isClosed(b) ? 1 : 0;
    if (ca !== cb) return ca - cb;
    return (parseTime(b.openedAt) || 0) - (parseTime(a.openedAt) || 0);
  });
}
function issueItem(i, inDetail) {
  const closed = isClosed(i);
  const kind = str(i.kind);
  const li = el('li', { class: 'issue' + (closed ? ' closed' : ''), 'data-kind': kind, 'data-state': str(i.state), 'data-testid': (inDetail ? 'detail-issue-' : 'issue-') + str(i.id) });
  const l1 = el('div', { class: 'l1' },
    el('span', { class: 'kind', text: tOr('kind.' + kind, kind) }),
    el('span', { class: 'resp', text: tOr('resp.' + str(i.responsible), i.responsible) + (i.responsibleTeam ? ' · ' + i.responsibleTeam : '') }));
  if (i.state && i.state !== 'OPEN') l1.append(el('span', { class: 'ist', text: tOr('ist.' + i.state, i.state) }));
  if (isSiteIssue(i)) l1.append(el('span', { class: 'tag site', 'data-testid': 'issue-site-' + str(i.id), text: t('siteOutage', { n: fmtNum(Number(i.groupedCount) || 0) }) }));
  if (i.parentID) l1.append(el('span', { class: 'tag grouped', title: str(i.parentID), 'data-testid': 'issue-grouped-' + str(i.id), text: t('badgeGrouped') }));
  if (i.silenced) l1.append(el('span', { class: 'tag silenced', 'data-testid': 'issue-silenced-' + str(i.id), text: t('badgeSilenced') }));
  if (i.flapping) l1.append(el('span', { class: 'tag flapping', 'data-testid': 'issue-flapping-' + str(i.id), text: t('badgeFlapping') }));
  l1.append(el('span', { class: 'time' }, closed && i.resolvedAt ? relTime(i.resolvedAt, 'resolvedAt') : relTime(i.openedAt, 'openedAt')));
  li.append(l1);
  if (!inDetail) {
    li.append(el('div', { class: 'l2' },
      el('span', { class: 'mono', text: str(i.cameraID) }),
      i.cameraName ? ' ' + i.cameraName : '',
      i.site ? ' · ' + i.site : '',
      i.address ? ' · ' + i.address : ''));
  }
  li.append(el('div', { class: 'l2', text: str(i.reason) }));
  if (i.fixReportedBy && i.state !== 'CLOSED') li.append(el('div', { class: 'fixrep', 'data-testid': 'issue-fixreported-' + str(i.id), text: t('fixReported', { who: i.fixReportedBy }) }));
  li.append(issueControls(i, inDetail));
  if (inDetail) { const h = issueHistory(i); if (h) li.append(h); }
  if (!inDetail && i.cameraID != null && !isSiteIssue(i)) {
    li.tabIndex = 0;
    const open = () => openDetail(String(i.cameraID));
    li.addEventListener('click', open);
    li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); } });
  }
  return li;
}
function renderIssues() { keepFocus(renderIssues0); }
function renderIssues0() {
  const ul = $('issues');
  const list = sortedIssues();
  const frag = document.createDocumentFragment();
  // Camera incidents grouped under a site incident are shown indented below it.
  const kids = new Map();
  const top = [];
  for (const i of list) {
    const p = i.parentID != null && i.parentID !== '' ? String(i.parentID) : '';
    if (p && issues.has(p) && p !== String(i.id)) { if (!kids.has(p)) kids.set(p, []); kids.get(p).push(i); }
    else top.push(i);
  }
  for (const i of top) {
    frag.append(issueItem(i, false));
    for (const c of kids.get(String(i.id)) || []) { const li = issueItem(c, false); li.classList.add('child'); frag.append(li); }
  }
  if (list.length === 0) frag.append(el('li', { class: 'empty', 'data-testid': 'issues-empty', text: showResolved ? t('noIssuesAll') : t('noIssues') }));
  ul.replaceChildren(frag);
  $('issuesCount').textContent = fmtNum(list.filter((i) => !isClosed(i)).length);
}

// ----------------------------------------------------------------------
// Incident actions (acknowledge → dispatch → fix → close, plus notes)
// ----------------------------------------------------------------------
function isSiteIssue(i) { return String(i.cameraID == null ? '' : i.cameraID).startsWith('SITE:'); }
// Re-render without losing the caret of a field being typed in (forms are persistent nodes).
function keepFocus(fn) {
  const ae = document.activeElement;
  let sel = null;
  try { if (ae && typeof ae.selectionStart === 'number') sel = [ae.selectionStart, ae.selectionEnd]; } catch (e) { sel = null; }
  fn();
  if (ae && ae !== document.body && document.contains(ae) && document.activeElement !== ae) {
    try { ae.focus({ preventScroll: true }); if (sel) ae.setSelectionRange(sel[0], sel[1]); } catch (e) { /* ignore */ }
  }
}
function rerenderIssueViews() {
  renderIssues();
  if (detail.id && detail.data) renderDetail();
}
const ACTIONS_BY_STATE = { OPEN: ['acknowledge', 'dispatch', 'fix'], ACKNOWLEDGED: ['dispatch', 'fix'], DISPATCHED: ['fix'], RESOLVED: ['close'] };
const issueForms = new Map();   // (p|d):issueID -> {node, action}
const issueErrs = new Map();    // issueID -> message
function issueControls(i, inDetail) {
  const id = str(i.id);
  const box = el('div', { class: 'ictl' });
  const bar = el('div', { class: 'iacts' });
  for (const a of (ACTIONS_BY_STATE[i.state] || []).concat(['note'])) {
    bar.append(el('button', { type: 'button', class: 'btn small' + (a === 'note' ? '' : ' primary'), 'data-action': a,
      'data-testid': 'issue-action-' + a + '-' + id, text: t('act.' + a),
      onclick: (ev) => { ev.stopPropagation(); openIssueForm(i, a, inDetail); } }));
  }
  box.append(bar);
  const f = issueForms.get((inDetail ? 'd:' : 'p:') + id);
  if (f) box.append(f.node);
  const err = issueErrs.get(id);
  if (err) box.append(el('div', { class: 'ierr', role: 'alert', 'data-testid': 'issue-error-' + id, text: err }));
  box.addEventListener('click', (ev) => ev.stopPropagation());
  box.addEventListener('keydown', (ev) => { if (ev.key !== 'Escape' || issueForms.size) ev.stopPropagation(); });
  return box;
}
function openIssueForm(i, action, inDetail) {
  const id = str(i.id);
  const fk = (inDetail ? 'd:' : 'p:') + id;
  const note = el('input', { type: 'text', autocomplete: 'off', placeholder: t('actNote'), 'aria-label': t('actNote'), 'data-testid': 'issue-note-' + id });
  const send = el('button', { type: 'submit', class: 'btn small primary', 'data-testid': 'issue-send-' + id, text: t('act.' + action) });
  const cancel = () => { issueForms.delete(fk); rerenderIssueViews(); };
  const form = el('form', { class: 'iform', 'data-testid': 'issue-form-' + id, 'data-action': action, novalidate: true },
    el('span', { class: 'ttl', text: t('act.' + action) + ' · ' + id }), note, send,
    el('button', { type: 'button', class: 'btn small', text: t('actCancel'), onclick: cancel }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitIssueAction(id, action, note, send, fk); });
  form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); cancel(); } });
  issueForms.clear();           // one form at a time
  issueForms.set(fk, { node: form, action: action });
  issueErrs.delete(id);
  rerenderIssueViews();
  note.focus();
}
async function submitIssueAction(id, action, noteIn, btn, fk) {
  const body = {};
  const note = noteIn.value.trim();
  if (note) body.note = note;
  btn.disabled = true;
  try {
    const rec = await api('/api/issues/' + encodeURIComponent(id) + '/' + action, { method: 'POST', body: body });
    issueErrs.delete(id);
    issueForms.delete(fk);
    if (rec && rec.id != null) applyIssueRecord(rec); else rerenderIssueViews();
    toast(t('actDone', { id: id, action: t('act.' + action) }), 'ok');
  } catch (e) {
    btn.disabled = false;
    issueErrs.set(id, t('actFailed', { action: t('act.' + action), msg: errMsg(e) }));
    rerenderIssueViews();
    if (e && (e.status === 409 || e.status === 404)) { loadIssues(); if (detail.id) loadDetail(); }
  }
}
function applyIssueRecord(rec) {
  upsertIssue(rec);
  if (detail.data) {
    const list = detail.data.issues;
    const k = list.findIndex((x) => String(x.id) === String(rec.id));
    if (k >= 0) { if (!(Number(list[k].version) > Number(rec.version))) list[k] = rec; }
    else if (detail.id === String(rec.cameraID)) list.unshift(rec);
  }
  rerenderIssueViews();
}
function issueHistory(i) {
  const h = Array.isArray(i.history) ? i.history.slice() : [];
  if (!h.length) return null;
  h.sort((a, b) => (parseTime(b && b.at) || 0) - (parseTime(a && a.at) || 0));
  const ol = el('ol', { class: 'hist', 'aria-label': t('histTitle'), 'data-testid': 'issue-history-' + str(i.id) });
  for (const e of h) {
    if (!e) continue;
    const tr = (e.from && e.from === e.to) ? t('act.note') : (e.from ? tOr('ist.' + e.from, e.from) + ' → ' : '') + tOr('ist.' + str(e.to), e.to);
    ol.append(el('li', null, el('time', { datetime: str(e.at), text: fmtAbs(e.at) }), ' · ', tr,
      e.actor ? ' · ' + e.actor : '', e.note ? ' — ' + e.note : ''));
  }
  return ol;
}

// ----------------------------------------------------------------------
// Maintenance (silences) in the detail panel
// ----------------------------------------------------------------------
let silences = [];
let silSeq = 0;
let silUI = null;
async function loadSilences() {
  const seq = ++silSeq;
  try {
    const data = await api('/api/silences');
    if (seq !== silSeq) return;
    silences = ((data && data.items) || []).filter((s) => s && s.id != null);
    if (silUI) { silUI.msg.hidden = true; silUI.msg.textContent = ''; }
  } catch (e) {
    if (seq !== silSeq) return;
    silenceUI().msg.textContent = t('errSilence', { msg: errMsg(e) });
    silUI.msg.hidden = false;
  }
  if (detail.id) scheduleRender('detail');
}
function silenceUI() {
  if (silUI) return silUI;
  const minutes = el('input', { type: 'number', min: '1', step: '1', 'data-testid': 'silence-minutes' });
  minutes.value = '60';
  const reason = el('input', { type: 'text', autocomplete: 'off', 'data-testid': 'silence-reason' });
  const btn = el('button', { type: 'submit', class: 'btn small primary', 'data-testid': 'silence-start' });
  const minLbl = el('span');
  const msg = el('div', { class: 'ierr', role: 'alert', hidden: true, 'data-testid': 'silence-error' });
  const form = el('form', { class: 'silence', novalidate: true, 'data-testid': 'silence-form' }, minutes, minLbl, reason, btn);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); startSilence(); });
  silUI = { form: form, minutes: minutes, reason: reason, btn: btn, minLbl: minLbl, msg: msg };
  return silUI;
}
function silenceSection(cam) {
  const u = silenceUI();
  u.minLbl.textContent = t('silMinutes');
  u.minutes.setAttribute('aria-label', t('silMinutes'));
  u.reason.placeholder = t('silReason'); u.reason.setAttribute('aria-label', t('silReason'));
  u.btn.textContent = t('silStart');
  const id = str(cam && cam.id != null ? cam.id : detail.id);
  const site = cam && cam.site ? String(cam.site) : null;
  const now = Date.now();
  const mine = silences.filter((s) => {
    const until = parseTime(s.until);
    if (!isNaN(until) && until < now) return false;
    return (s.scope === 'camera' && String(s.value) === id) || (site && s.scope === 'site' && String(s.value) === site);
  });
  const ul = el('ul', { class: 'list', 'data-testid': 'silence-list' });
  for (const s of mine) {
    const sid = str(s.id);
    ul.append(el('li', { 'data-testid': 'silence-' + sid },
      el('div', { class: 'l1' },
        el('span', { class: 'tag silenced', text: t('badgeSilenced') }),
        el('span', { text: s.scope === 'site' ? t('def.site') + ': ' + str(s.value) : str(s.value) }),
        el('span', { class: 'time', text: s.until ? t('silUntil', { time: fmtAbs(s.until) }) : '' }),
        el('button', { type: 'button', class: 'btn small danger', 'data-testid': 'silence-end-' + sid, text: t('silEnd'), onclick: (ev) => endSilence(sid, ev.currentTarget) })),
      el('div', { class: 'l2', text: [s.reason ? str(s.reason) : '', s.createdBy ? t('silBy', { who: s.createdBy }) : ''].filter(Boolean).join(' · ') })));
  }
  if (!mine.length) ul.append(el('li', { class: 'empty', text: t('silNone') }));
  return el('div', null, u.form, u.msg, ul);
}
async function startSilence() {
  const u = silenceUI();
  const minutes = Number(u.minutes.value);
  const showMsg = (m) => { u.msg.textContent = m; u.msg.hidden = !m; };
  if (!Number.isFinite(minutes) || minutes <= 0) { showMsg(t('errSilence', { msg: t('silMinutes') + ' > 0' })); u.minutes.focus(); return; }
  const camID = detail.id;
  u.btn.disabled = true;
  try {
    await api('/api/silences', { method: 'POST', body: { scope: 'camera', value: camID, minutes: Math.round(minutes), reason: u.reason.value.trim() } });
    showMsg('');
    u.reason.value = '';
    toast(t('silStarted'), 'ok');
    loadSilences();
  } catch (e) {
    showMsg(t('errSilence', { msg: errMsg(e) }));
  } finally {
    u.btn.disabled = false;
  }
}
async function endSilence(id, btn) {
  if (btn) btn.disabled = true;
  try {
    await api('/api/silences/' + encodeURIComponent(id), { method: 'DELETE' });
    silences = silences.filter((s) => String(s.id) !== id);
    scheduleRender('detail');
    loadSilences();
  } catch (e) {
    if (btn) btn.disabled = false;
    const u = silenceUI();
    u.msg.textContent = t('errSilence', { msg: errMsg(e) });
    u.msg.hidden = false;
  }
}

// ======================================================================
// Bulk import (upload → poll progress → report)
// ======================================================================
const IMPORT_SHOW_PROBLEMS = 200;
const imp = { job: null, timer: 0, seq: 0, busy: false, msg: '', msgKind: '' };
function impLinks() {
  const l = lang === 'ko' ? 'ko' : 'en';
  $('impTplX').href = API + '/api/cameras/template?format=xlsx&lang=' + l;
  $('impTplC').href = API + '/api/cameras/template?format=csv&lang=' + l;
  $('impExpX').href = API + '/api/cameras/export?format=xlsx&lang=' + l;
  $('impExpC').href = API + '/api/cameras/export?format=csv&lang=' + l;
}
function impMsg(text, kind) {
  imp.msg = text || ''; imp.msgKind = kind || '';
  $('impMsg').textContent = imp.msg;
  $('impMsg').className = 'imp-msg' + (kind ? ' ' + kind : '');
}
function setBar(state, pct, label) {
  const b = $('impBar');
  b.hidden = false;
  b.dataset.state = state;
  const v = Math.max(0, Math.min(100, Math.round(pct)));
  b.setAttribute('aria-valuenow', String(v));
  b.setAttribute('aria-valuetext', label);
  b.querySelector('.fill').style.width = v + '%';
  b.querySelector('.lbl').textContent = label;
}
async function onImport(ev) {
  ev.preventDefault();
  const f = $('impFile').files && $('impFile').files[0];
  if (!f) { impMsg(t('imp.needFile'), 'error'); $('impFile').focus(); return; }
  const modeIn = document.querySelector('input[name="impMode"]:checked');
  const mode = modeIn && modeIn.value === 'apply' ? 'apply' : 'validate';
  const skip = $('impSkip').checked;
  clearTimeout(imp.timer);
  const seq = ++imp.seq;
  imp.job = null;
  imp.busy = true;
  $('impSubmit').disabled = true;
  $('impReport').hidden = true; $('impProblems').hidden = true;
  impMsg(t('imp.uploading'));
  setBar('uploading', 0, t('imp.uploading'));
  const ct = f.name.toLowerCase().endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  try {
    const job = await api('/api/imports?mode=' + mode + '&skipInvalid=' + (skip ? 'true' : 'false'), { method: 'POST', raw: f, contentType: ct });
    if (seq !== imp.seq) return;
    if (!job || job.id == null) throw new Error(t('errBadJSON'));
    imp.job = job;
    renderImport();
    if (job.state === 'done' || job.state === 'failed') finishImport(); else pollImport(seq, String(job.id), 0);
  } catch (e) {
    if (seq !== imp.seq) return;
    imp.busy = false;
    $('impSubmit').disabled = false;
    impMsg(t('imp.failed', { msg: errMsg(e) }), 'error');
    setBar('failed', 0, t('imp.st.failed'));
  }
}
function pollImport(seq, id, fails) {
  imp.timer = setTimeout(async () => {
    if (seq !== imp.seq) return;
    try {
      const j = await api('/api/imports/' + encodeURIComponent(id));
      if (seq !== imp.seq) return;
      if (j && typeof j === 'object') imp.job = j;
      fails = 0;
      renderImport();
    } catch (e) {
      if (seq !== imp.seq) return;
      fails++;
      if ((e && e.status === 404) || fails > 20) {
        imp.busy = false;
        $('impSubmit').disabled = false;
        impMsg(t('imp.failed', { msg: errMsg(e) }), 'error');
        setBar('failed', 0, t('imp.st.failed'));
        return;
      }
      impMsg(t('imp.failed', { msg: errMsg(e) }) + ' · ' + t('retry') + '…', 'error');
    }
    if (imp.job && (imp.job.state === 'done' || imp.job.state === 'failed')) finishImport();
    else pollImport(seq, id, fails);
  }, 500);
}
function finishImport() {
  imp.busy = false;
  $('impSubmit').disabled = false;
  const j = imp.job;
  if (j && j.report && j.report.applied && (Number(j.report.created) || Number(j.report.updated))) {
    loadPage(); loadSummary(); loadSites();
  }
}
function renderImport() {
  const j = imp.job;
  if (!j) return;
  const st = str(j.state);
  const p = j.progress || {};
  const rows = Number(p.rows) || 0;
  let done = 0, pct = 0;
  if (st === 'checking') done = Number(p.validated) || 0;
  else if (st === 'applying') done = Number(p.applied) || 0;
  else if (st === 'parsing') done = Number(p.parsed) || 0;
  if (st === 'done') pct = 100;
  else if (st === 'failed') pct = 100;
  else if ((st === 'checking' || st === 'applying') && rows) pct = done / rows * 100;
  let label = tOr('imp.st.' + st, st);
  if (st === 'checking' || st === 'applying') label += ' · ' + fmtNum(done) + ' / ' + fmtNum(rows) + ' (' + Math.round(pct) + '%)';
  else if (st === 'parsing' && done) label += ' · ' + t('imp.rows', { n: fmtNum(done) });
  else if (st === 'done' && rows) label += ' · ' + t('imp.rows', { n: fmtNum(rows) });
  setBar(st, pct, label);
  if (st === 'failed') impMsg(t('imp.failed', { msg: j.error && j.error.message ? str(j.error.message) : st }), 'error');
  else impMsg(st === 'done' ? '' : label);

  const rep = $('impReport');
  const probs = $('impProblems');
  if (st !== 'done' && st !== 'failed') { rep.hidden = true; probs.hidden = true; return; }
  const r = j.report || {};
  rep.replaceChildren();
  if (j.report) {
    const counts = el('div', { class: 'imp-counts' });
    for (const [k, v] of [['created', r.created], ['updated', r.updated], ['unchanged', r.unchanged], ['rejected', r.rejectedRows]]) {
      counts.append(el('span', { 'data-testid': 'import-count-' + k }, t('imp.' + k) + ' ', el('b', { text: fmtNum(Number(v) || 0) })));
    }
    counts.append(el('span', { 'data-testid': 'import-applied', 'data-applied': r.applied ? 'true' : 'false', text: r.applied ? '✔ ' + t('imp.applied') : t('imp.notApplied') }));
    rep.append(counts);
  }
  const warns = Array.isArray(j.warnings) ? j.warnings : [];
  if (warns.length) {
    const ul = el('ul', { class: 'l2', 'aria-label': t('imp.warnings'), 'data-testid': 'import-warnings' });
    for (const w of warns) ul.append(el('li', { text: str(w) }));
    rep.append(el('div', { class: 'l2', text: t('imp.warnings') }), ul);
  }
  rep.hidden = false;

  const list = Array.isArray(j.problems) ? j.problems : [];
  probs.replaceChildren();
  if (!list.length) {
    probs.append(el('p', { class: 'l2', text: t('imp.noProblems') }));
  } else {
    const tbl = el('table', { class: 'probs' });
    tbl.append(el('thead', null, el('tr', null,
      el('th', { text: t('imp.row') }), el('th', { text: t('imp.column') }), el('th', { text: t('imp.reason') }), el('th', { text: t('imp.message') }))));
    const tb = el('tbody');
    for (const pr of list.slice(0, IMPORT_SHOW_PROBLEMS)) {
      if (!pr) continue;
      const header = typeof pr.column === 'string' ? pr.column : (pr.field ? str(pr.field) : str(pr.column));
      const col = [str(pr.columnLetter), header].filter(Boolean).join(' · ');
      let msg = str(pr.message);
      if (pr.existingID) msg += (msg ? ' ' : '') + '(' + t('imp.existing', { id: pr.existingID }) + ')';
      tb.append(el('tr', null, el('td', { class: 'mono', text: str(pr.row) }), el('td', { text: col }),
        el('td', { class: 'mono', text: str(pr.reason) }), el('td', { text: msg })));
    }
    tbl.append(tb);
    probs.append(tbl);
    if (list.length > IMPORT_SHOW_PROBLEMS) probs.append(el('p', { class: 'l2', 'data-testid': 'import-problems-more', text: t('imp.more', { n: fmtNum(list.length - IMPORT_SHOW_PROBLEMS) }) }));
  }
  probs.hidden = false;
}

// ======================================================================
// Alert history panel
// ======================================================================
let notesSeq = 0;
async function loadNotes() {
  const seq = ++notesSeq;
  try {
    const data = await api('/api/notifications?limit=' + MAX_NOTES);
    if (seq !== notesSeq) return;
    notes = ((data && data.items) || []).filter((n) => n && n.id != null).slice(0, MAX_NOTES);
    hideErr('notesErr');
    renderNotes();
  } catch (e) {
    if (seq !== notesSeq) return;
    showErr('notesErr', t('errNotes', { msg: errMsg(e) }), loadNotes);
  }
}
const freshNotes = new Set();
function addNote(n) {
  if (!n || n.id == null) return;
  const id = String(n.id);
  const idx = notes.findIndex((x) => String(x.id) === id);
  if (idx >= 0) notes[idx] = n;   // e.g. a retry updated the record
  else { notes.unshift(n); freshNotes.add(id); }
  if (notes.length > MAX_NOTES) notes.length = MAX_NOTES;
  scheduleRender('notes');
}
function noteItem(n, inDetail) {
  const ok = n.delivered === true;
  const ev = str(n.event);
  const li = el('li', { class: 'note' + (freshNotes.has(String(n.id)) && !inDetail ? ' new' : ''), 'data-testid': (inDetail ? 'detail-notification-' : 'notification-') + str(n.id), 'data-delivered': ok ? 'true' : 'false' });
  li.append(el('div', { class: 'l1' },
    el('span', { class: ok ? 'ok' : 'fail', title: ok ? t('delivered') : t('failed') },
      el('span', { 'aria-hidden': 'true', text: ok ? '✔' : '✘' }), el('span', { class: 'sr-only', text: ok ? t('delivered') : t('failed') })),
    el('span', { class: 'ev', text: tOr('ev.' + ev, ev) }),
    inDetail ? null : el('span', { class: 'mono', text: str(n.cameraID) }),
    el('span', { class: 'time' }, relTime(n.at))));
  const target = (n.channel ? n.channel + ' → ' : '') + str(n.target);
  const parts = [target, t('attempts', { n: Number(n.attempts) || 0 })];
  if (n.httpStatus) parts.push('HTTP ' + n.httpStatus);
  li.append(el('div', { class: 'l2', text: parts.join(' · ') }));
  if (n.error) li.append(el('div', { class: 'l2', text: str(n.error) }));
  return li;
}
function renderNotes() {
  const ul = $('notes');
  const frag = document.createDocumentFragment();
  for (const n of notes) frag.append(noteItem(n, false));
  if (notes.length === 0) frag.append(el('li', { class: 'empty', 'data-testid': 'notifications-empty', text: t('noNotifications') }));
  ul.replaceChildren(frag);
  freshNotes.clear();
}

// Coalesce list re-renders into one per animation frame.
const pendingRenders = new Set();
let renderFrame = 0;
function scheduleRender(what) {
  pendingRenders.add(what);
  if (renderFrame) return;
  renderFrame = requestAnimationFrame(() => {
    renderFrame = 0;
    if (pendingRenders.has('issues')) renderIssues();
    if (pendingRenders.has('notes')) renderNotes();
    if (pendingRenders.has('detail')) renderDetail();
    pendingRenders.clear();
  });
}

// ======================================================================
// Camera detail side panel
// ======================================================================
let detailSeq = 0;
function openDetail(id) {
  if (!$('drawer').hidden && detail.id === id) { $('drawerClose').focus(); return; }
  detail = { id: id, data: null, gone: false, returnFocus: detail.returnFocus || document.activeElement };
  $('drawer').hidden = false;
  for (const e of rowIndex.values()) e.tr.classList.toggle('selected', e.item.camera.id === id || String(e.item.camera.id) === id);
  renderDetail();
  $('drawerClose').focus();
  loadDetail();
  loadSilences();
}
function closeDetail() {
  $('drawer').hidden = true;
  const back = detail.returnFocus;
  detail = { id: null, data: null, gone: false, returnFocus: null };
  detailSeq++;
  for (const e of rowIndex.values()) e.tr.classList.remove('selected');
  if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
}
async function loadDetail() {
  const id = detail.id;
  if (!id) return;
  const seq = ++detailSeq;
  try {
    const d = await api('/api/cameras/' + encodeURIComponent(id));
    if (seq !== detailSeq || detail.id !== id) return;
    detail.data = {
      camera: (d && d.camera) || { id: id },
      status: (d && d.status) || null,
      issues: (d && Array.isArray(d.issues)) ? d.issues : [],
      notifications: (d && Array.isArray(d.notifications)) ? d.notifications : []
    };
    detail.gone = false;
    hideErr('drawerErr');
    renderDetail();
  } catch (e) {
    if (seq !== detailSeq || detail.id !== id) return;
    if (e && e.status === 404) { detail.gone = true; hideErr('drawerErr'); renderDetail(); }
    else showErr('drawerErr', t('errDetail', { msg: errMsg(e) }), loadDetail);
  }
}
function kv(dl, key, value) {
  if (value === null || value === undefined || value === '') return;
  dl.append(el('dt', { text: t(key) }), value instanceof Node ? el('dd', null, value) : el('dd', { text: String(value) }));
}
function renderDetail() { keepFocus(renderDetail0); }
function renderDetail0() {
  if (!detail.id) return;
  const body = $('drawerBody');
  const d = detail.data;
  const cam = d ? d.camera : null;
  $('drawerTitle').textContent = t('detail') + ' · ' + detail.id + (cam && cam.name ? ' ' + cam.name : '');
  body.replaceChildren();
  if (detail.gone) { body.append(el('p', { class: 'empty', 'data-testid': 'detail-gone', text: t('cameraGone') })); return; }
  if (!d) { body.append(el('p', { class: 'empty', text: t('loading') })); return; }

  const s = d.status;
  body.append(el('h3', { text: t('secStatus') }));
  if (s) {
    const dl = el('dl', { class: 'kv', 'data-testid': 'detail-status' });
    kv(dl, 'st.state', stateBadge(s.state, true));
    kv(dl, 'st.icmp', probeCell('icmp', s.icmp));
    kv(dl, 'st.hls', probeCell('hls', s.hls));
    kv(dl, 'st.reason', s.reason);
    if (s.since) kv(dl, 'st.since', el('span', null, relTime(s.since), ' (' + fmtAbs(s.since) + ')'));
    if (s.checkedAt) kv(dl, 'st.checkedAt', el('span', null, relTime(s.checkedAt), ' (' + fmtAbs(s.checkedAt) + ')'));
    if (s.updatedAt) kv(dl, 'st.updatedAt', el('span', null, relTime(s.updatedAt), ' (' + fmtAbs(s.updatedAt) + ')'));
    kv(dl, 'st.issueID', s.issueID);
    body.append(dl);
  } else {
    body.append(el('p', { class: 'empty', text: t('noStatus') }));
  }

  body.append(el('h3', { text: t('secMaint') }));
  body.append(silenceSection(cam));

  body.append(el('h3', { text: t('secDefinition') }));
  const dl = el('dl', { class: 'kv', 'data-testid': 'detail-definition' });
  kv(dl, 'def.id', cam.id);
  kv(dl, 'def.name', cam.name);
  kv(dl, 'def.address', cam.address);
  kv(dl, 'def.hlsURL', cam.hlsURL);
  kv(dl, 'def.site', cam.site);
  kv(dl, 'def.location', cam.location);
  if (cam.latitude != null && cam.longitude != null) kv(dl, 'def.latlng', cam.latitude + ', ' + cam.longitude);
  kv(dl, 'def.group', cam.group);
  if (Array.isArray(cam.tags) && cam.tags.length) kv(dl, 'def.tags', cam.tags.join(', '));
  kv(dl, 'def.lineTeam', cam.lineTeam);
  kv(dl, 'def.vendor', cam.vendor);
  if (typeof cam.enabled === 'boolean') kv(dl, 'def.enabled', cam.enabled ? t('yes') : t('no'));
  if (cam.intervalSeconds != null) kv(dl, 'def.intervalSeconds', t('seconds', { n: cam.intervalSeconds }));
  if (typeof cam.hasCredentials === 'boolean') kv(dl, 'def.hasCredentials', cam.hasCredentials ? t('yes') : t('no'));
  if (cam.createdAt) kv(dl, 'def.createdAt', fmtAbs(cam.createdAt));
  if (cam.updatedAt) kv(dl, 'def.updatedAt', fmtAbs(cam.updatedAt));
  kv(dl, 'def.version', cam.version);
  body.append(dl);

  body.append(el('h3', { text: t('secIssues') }));
  const il = el('ul', { class: 'list', 'data-testid': 'detail-issues' });
  const iss = d.issues.slice().sort((a, b) => (parseTime(b.openedAt) || 0) - (parseTime(a.openedAt) || 0));
  for (const i of iss) il.append(issueItem(i, true));
  if (!iss.length) il.append(el('li', { class: 'empty', text: t('noIssuesAll') }));
  body.append(il);

  body.append(el('h3', { text: t('secNotifications') }));
  const nl = el('ul', { class: 'list', 'data-testid': 'detail-notifications' });
  for (const n of d.notifications) nl.append(noteItem(n, true));
  if (!d.notifications.length) nl.append(el('li', { class: 'empty', text: t('noNotifications') }));
  body.append(nl);

  body.append(el('p', null, el('button', { type: 'button', class: 'btn danger', 'data-testid': 'detail-delete', text: t('deleteLabel', { id: str(cam.id) }),
    onclick: () => deleteCamera(cam) })));
}

// ======================================================================
// Live events (Server-Sent Events)
// ======================================================================
let es = null, everConnected = false, needResync = false, reconnectTimer = 0, eventErrShown = 0;
function connectEvents() {
  if (typeof EventSource === 'undefined') { setConn('unsupported'); return; }
  if (es) { try { es.close(); } catch (e) { /* ignore */ } }
  setConn(everConnected ? 'reconnecting' : 'connecting');
  es = new EventSource(API + '/api/events');
  es.onopen = () => {
    setConn('connected');
    if (everConnected && needResync) resyncAll();
    everConnected = true;
    needResync = false;
  };
  es.onerror = () => {
    needResync = true;
    setConn(everConnected ? 'reconnecting' : 'connecting');
    // The browser retries by itself unless the stream was refused (bad status / content type).
    if (es.readyState === 2 /* CLOSED */) {
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connectEvents, 5000);
      setConn('reconnecting');
    }
  };
  for (const name of ['camera', 'deleted', 'status', 'issue', 'notification', 'service', 'monitoring']) {
    es.addEventListener(name, (ev) => onEvent(name, ev));
  }
}
function resyncAll() {
  loadPage();
  loadSummary();
  loadIssues();
  loadNotes();
  loadSites();
  if (detail.id) loadDetail();
}
function onEvent(name, ev) {
  let data;
  try {
    data = JSON.parse(ev.data);
    if (!data || typeof data !== 'object') throw new Error('empty');
    handlers[name](data);
  } catch (e) {
    // Do not flood the screen: one message per 30 s at most.
    if (Date.now() - eventErrShown > 30000) {
      eventErrShown = Date.now();
      toast(t('errEvent', { name: name, msg: errMsg(e) }), 'error');
    }
    if (window.console) console.error('event', name, e);
  }
}
const handlers = {
  monitoring(m) { setMonitoring(m); },
  camera(d) {
    const cam = d.camera;
    if (!cam || cam.id == null) return;
    const id = String(cam.id);
    if (cam.site) addSite(String(cam.site));
    const entry = rowIndex.get(id);
    if (entry) {
      entry.item.camera = cam;
      entry.item.status = d.status || null;
      fillRow(entry.tr, entry.item);
      flashRow(entry.tr);
    } else {
      markStale(); // a camera was added or changed elsewhere: offer a refresh, never auto-jump
    }
    if (detail.id === id && detail.data) {
      detail.data.camera = cam;
      detail.data.status = d.status || null;
      detail.gone = false;
      scheduleRender('detail');
    }
    scheduleSummary();
  },
  deleted(d) {
    if (d.id == null) return;
    const id = String(d.id);
    if (!removeRow(id)) { /* not on this page */ }
    if (detail.id === id) { detail.gone = true; scheduleRender('detail'); }
    scheduleSummary();
  },
  status(s) {
    if (s.cameraID == null) return;
    const id = String(s.cameraID);
    // A status changes only on a check result: that result is the latest check.
    if (!s.checkedAt) s.checkedAt = s.updatedAt;
    const entry = rowIndex.get(id);
    if (entry) {
      const prev = entry.item.status;
      entry.item.status = s;
      fillRow(entry.tr, entry.item);
      if (!prev || prev.state !== s.state) flashRow(entry.tr);
    }
    if (detail.id === id && detail.data) { detail.data.status = s; scheduleRender('detail'); }
    scheduleSummary();
  },
  issue(d) {
    const i = d.issue;
    if (!i || i.id == null) return;
    upsertIssue(i);
    if (detail.data && detail.id === String(i.cameraID)) {
      const list = detail.data.issues;
      const k = list.findIndex((x) => String(x.id) === String(i.id));
      if (k >= 0) list[k] = i; else list.unshift(i);
      scheduleRender('detail');
    }
    scheduleSummary();
  },
  notification(n) {
    addNote(n);
    if (detail.data && detail.id === String(n.cameraID)) {
      const list = detail.data.notifications;
      const k = list.findIndex((x) => String(x.id) === String(n.id));
      if (k >= 0) list[k] = n; else list.unshift(n);
      scheduleRender('detail');
    }
  },
  service(d) {
    if (!d.name) return;
    services[String(d.name)] = String(d.state);
    renderServices();
  }
};

// ======================================================================
// Wiring
// ======================================================================
async function init() {
  try { await loadSession(); } catch (e) { return; }
  $('logout').addEventListener('click', logout);
  buildSummary();
  buildRegisterFields(false);
  applyStaticText();
  renderStateFilter();
  renderSiteFilter();
  renderConn();
  renderSummary();
  renderPager();
  renderIssues();
  renderNotes();

  $('langToggle').addEventListener('click', () => setLang(lang === 'ko' ? 'en' : 'ko'));

  let qTimer = 0;
  $('q').addEventListener('input', () => {
    clearTimeout(qTimer);
    qTimer = setTimeout(() => {
      const v = $('q').value.trim();
      if (v === filters.q) return;
      filters.q = v; page.offset = 0; loadPage();
    }, 300);
  });
  $('q').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { clearTimeout(qTimer); filters.q = $('q').value.trim(); page.offset = 0; loadPage(); }
  });
  $('siteFilter').addEventListener('change', () => { filters.site = $('siteFilter').value; page.offset = 0; loadPage(); });
  $('stateFilter').addEventListener('change', () => { filters.state = $('stateFilter').value; page.offset = 0; renderSummary(); loadPage(); });
  $('prev').addEventListener('click', () => { page.offset = Math.max(0, page.offset - PAGE_SIZE); loadPage(); $('tableWrap').scrollTop = 0; });
  $('next').addEventListener('click', () => { if (page.offset + PAGE_SIZE < page.total) { page.offset += PAGE_SIZE; loadPage(); $('tableWrap').scrollTop = 0; } });
  $('staleRefresh').addEventListener('click', () => { loadPage(); loadSummary(); });

  $('regForm').addEventListener('submit', onRegister);
  $('regForm').addEventListener('reset', () => { for (const f of REG_FIELDS) clearFieldError(f.name); setRegMsg(''); });

  impLinks();
  $('impForm').addEventListener('submit', onImport);

  $('showResolved').addEventListener('change', () => { showResolved = $('showResolved').checked; loadIssues(); });

  $('drawerClose').addEventListener('click', closeDetail);
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !$('drawer').hidden) closeDetail(); });

  setInterval(tickTimes, 10000);
  // A stall produces no events: look at the summary (with its monitoring verdict) regularly too.
  setInterval(scheduleSummary, 15000);

  connectEvents();
  loadSummary();
  loadSites();
  loadPage();
  loadIssues();
  loadNotes();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
})();
