// The server's vocabulary (`GET /api/vocabulary`): state names and order, incident kinds, the
// lifecycle's actions with the states they apply in, and the words for every reason and error
// code. Loaded once before anything renders; nothing here is a copy of a server rule.
import { lang } from './i18n.js';

let vocab = null;

/** Loads the vocabulary; `api` is the fetch wrapper (avoids an import cycle). */
export async function loadVocabulary(api) {
  vocab = await api('/api/vocabulary');
  return vocab;
}

function pick(list, code) {
  return (list || []).find((x) => x.code === code);
}
function words(term, fallback) {
  if (!term) return String(fallback == null ? '' : fallback);
  return lang === 'ko' ? term.ko : term.en;
}

/** Camera states, worst first. */
export function cameraStates() { return vocab ? vocab.cameraStates : []; }
/** A camera state's name. */
export function stateName(code) { return words(pick(vocab && vocab.cameraStates, code), code); }
/** A camera state's position, worst first (unknown states last). */
export function stateSeverity(code) { const s = pick(vocab && vocab.cameraStates, code); return s ? s.severity : 99; }
/** Whether a camera state needs a person. */
export function needsAttention(code) { const s = pick(vocab && vocab.cameraStates, code); return !!(s && s.needsAttention); }
/** Whether `code` is a known camera state. */
export function isCameraState(code) { return !!pick(vocab && vocab.cameraStates, code); }

/** An incident state's name. */
export function issueStateName(code) { return words(pick(vocab && vocab.issueStates, code), code); }
/** Whether an incident in `code` still needs someone. */
export function isActiveIssueState(code) { const s = pick(vocab && vocab.issueStates, code); return s ? s.active : false; }
/** An incident kind's name. */
export function kindName(code) { return words(pick(vocab && vocab.issueKinds, code), code); }
/** A responsible party's name. */
export function partyName(code) { return words(pick(vocab && vocab.parties, code), code); }
/** An ICMP or HLS status's name. */
export function probeName(kind, code) { return words(pick(vocab && (kind === 'icmp' ? vocab.icmpStatuses : vocab.hlsStatuses), code), code); }
/** A maintenance scope's name. */
export function scopeName(code) { return words(pick(vocab && vocab.silenceScopes, code), code); }
/** Maintenance scopes. */
export function scopes() { return vocab ? vocab.silenceScopes.map((s) => s.code) : []; }

/** The lifecycle actions a person may take on an incident in `state` (by the server's rules). */
export function actionsFor(state) {
  return (vocab ? vocab.actions : []).filter((a) => a.from.includes(state));
}
/** One action by its REST path (`acknowledge`, `dispatch`, `fix`, `close`, `note`). */
export function action(path) { return (vocab ? vocab.actions : []).find((a) => a.path === path); }
/** An action's label. */
export function actionName(path) { return words(action(path), path); }

/** The words for a reason or error code, or `null` when the server has none. */
export function reasonWords(code) {
  if (!vocab || code == null || code === '') return null;
  const w = vocab.reasons[code];
  if (w) return lang === 'ko' ? w.ko : w.en;
  const m = /^http_(\d+)$/.exec(String(code));
  if (m) return (lang === 'ko' ? vocab.httpStatus.ko : vocab.httpStatus.en).replace('{n}', m[1]);
  return null;
}
/** A reason for display: its words, or the code itself when unknown. */
export function reasonText(code) { return reasonWords(code) || String(code == null ? '' : code); }
