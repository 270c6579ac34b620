// Opt-in alerts for new incidents: a short sound and a browser notification that opens the
// incident. Off until the operator turns them on (the browser asks for permission then).
import { $, on } from './dom.js';
import { t } from './i18n.js';
import { kindName } from './vocabulary.js';

const KEY = 'cctvout.alerts';
let enabled = false;
let audio = null;

function load() { try { enabled = localStorage.getItem(KEY) === 'on'; } catch (e) { enabled = false; } }
function save() { try { localStorage.setItem(KEY, enabled ? 'on' : 'off'); } catch (e) { /* ignore */ } }

function render() {
  const b = $('alertToggle');
  b.setAttribute('aria-pressed', enabled ? 'true' : 'false');
  b.textContent = (enabled ? '● ' : '○ ') + t(enabled ? 'alertsOn' : 'alertsOff');
  b.title = t('alertsHelp');
}

async function toggle() {
  enabled = !enabled;
  if (enabled) {
    // Created on the click: browsers only let a page play sound after a gesture.
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); await audio.resume(); } catch (e) { audio = null; }
    if ('Notification' in window && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch (e) { /* denied */ }
    }
  }
  save();
  render();
}

/** A two-tone beep (no sound file needed). */
function beep() {
  if (!audio) return;
  try {
    const now = audio.currentTime;
    for (const [i, f] of [880, 660].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, now + i * 0.2);
      gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.2 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.2 + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.2);
      osc.stop(now + i * 0.2 + 0.2);
    }
  } catch (e) { /* no audio device */ }
}

/** The count of alerts raised (tests read it from `document.body.dataset.alerts`). */
let raised = 0;

function announce(issue) {
  raised++;
  document.body.dataset.alerts = String(raised);
  if (!enabled) return;
  beep();
  if ('Notification' in window && Notification.permission === 'granted') {
    const site = String(issue.cameraID || '').startsWith('SITE:');
    const title = t('alertTitle', { kind: kindName(issue.kind) });
    const body = (site ? issue.site : (issue.cameraID + (issue.cameraName ? ' ' + issue.cameraName : ''))) + (issue.site && !site ? ' · ' + issue.site : '');
    try {
      const n = new Notification(title, { body, tag: 'cctvout-' + issue.id });
      n.onclick = () => { window.focus(); location.hash = site ? 'incident=' + encodeURIComponent(issue.id) : 'camera=' + encodeURIComponent(issue.cameraID) + '&incident=' + encodeURIComponent(issue.id); n.close(); };
    } catch (e) { /* notifications unavailable */ }
  }
}

export function initAlerts() {
  load();
  $('alertToggle').addEventListener('click', toggle);
  on('lang', render);
  // A new incident a person must hear about: opened, not grouped under a site incident, not in maintenance.
  on('issue', (d) => { if (d.event === 'opened' && d.issue && !d.issue.parentID && !d.issue.silenced) announce(d.issue); });
  render();
}
