// A camera's ONVIF side in the panel: what it says it is (model, firmware, serial, from the
// registry's record) and its newest ONVIF check (clock skew, or why the check failed); and the
// live "camera replaced / firmware changed" message.
import { el } from './dom.js';
import { t } from './i18n.js';
import { fmtAbs, relTime } from './format.js';
import { reasonText } from './vocabulary.js';
import { toast } from './messages.js';

/** Whether the camera has anything ONVIF to show. */
export function hasDevice(cam, onvif) {
  return !!(onvif || (cam && cam.device) || (cam && cam.checks && cam.checks.onvifURL));
}

/** The camera's clock against the prober's, in words: "12 s ahead (limit 10 s)". */
export function clockText(onvif) {
  const skew = Number(onvif.clockSkewSeconds);
  const limit = Number(onvif.clockSkewLimitSeconds);
  const n = Math.round(Math.abs(skew));
  const words = n === 0 ? t('dev.clockRight') : t(skew > 0 ? 'dev.clockAhead' : 'dev.clockBehind', { n });
  return Number.isFinite(limit) ? words + ' ' + t('dev.clockLimit', { n: Math.round(limit) }) : words;
}

/** The definition list of the device and its newest ONVIF check. */
export function deviceSection(cam, onvif) {
  const dl = el('dl', { class: 'kv', 'data-testid': 'detail-device' });
  const kv = (key, value, attrs) => {
    if (value === null || value === undefined || value === '') return;
    dl.append(el('dt', { text: t(key) }), el('dd', attrs || null, value instanceof Node ? value : String(value)));
  };
  const device = (cam && cam.device) || (onvif && onvif.device) || null;
  if (device) {
    kv('dev.manufacturer', device.manufacturer);
    kv('dev.model', device.model);
    kv('dev.firmware', device.firmware);
    kv('dev.serial', device.serial);
    if (device.since) kv('dev.since', fmtAbs(device.since));
  }
  if (onvif) {
    if (onvif.clockSkewSeconds != null) {
      kv('dev.clock', clockText(onvif), { class: onvif.clockSkewed ? 'bad' : null, 'data-testid': 'detail-clock' });
    }
    kv('dev.result', onvif.reason === 'ok' ? t('dev.ok') : reasonText(onvif.reason), { 'data-testid': 'detail-onvif-reason' });
    if (onvif.startedAt) kv('dev.checkedAt', el('span', null, relTime(onvif.startedAt), ' (' + fmtAbs(onvif.startedAt) + ')'));
  } else {
    dl.append(el('dd', { class: 'empty', text: t('dev.none') }));
  }
  return dl;
}

/** The live message when a camera reports another serial number or firmware. */
export function announceDeviceChange(change) {
  const name = change.cameraName ? change.cameraID + ' ' + change.cameraName : change.cameraID;
  const replaced = change.change === 'REPLACED';
  const from = (replaced ? change.previous && change.previous.serial : change.previous && change.previous.firmware) || '?';
  const to = (replaced ? change.current && change.current.serial : change.current && change.current.firmware) || '?';
  toast(t(replaced ? 'dev.replaced' : 'dev.firmwareChanged', { camera: name, from, to }), 'warn', 20000);
}
