// Live updates over Server-Sent Events. Each pushed change becomes an event on the page's bus
// (`camera`, `deleted`, `status`, `issue`, `notification`, `service`); after a reconnect every view reloads.
import { emit } from './dom.js';
import { t } from './i18n.js';
import { setConn } from './header.js';
import { toast } from './messages.js';
import { shared } from './state.js';

const NAMES = ['camera', 'deleted', 'status', 'issue', 'notification', 'service', 'notifier', 'monitoring', 'onvif', 'device_changed'];
let es = null, everConnected = false, needResync = false, reconnectTimer = 0, errorShown = 0;

/** Opens (or reopens) the event stream. */
export function connectEvents() {
  if (typeof EventSource === 'undefined') { setConn('unsupported'); return; }
  if (es) { try { es.close(); } catch (e) { /* ignore */ } }
  setConn(everConnected ? 'reconnecting' : 'connecting');
  es = new EventSource('/api/events');
  es.onopen = () => {
    setConn('connected');
    if (everConnected && needResync) emit('resync');
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
  for (const name of NAMES) es.addEventListener(name, (ev) => onEvent(name, ev));
}

function onEvent(name, ev) {
  try {
    const data = JSON.parse(ev.data);
    if (!data || typeof data !== 'object') throw new Error('empty');
    switch (name) {
      case 'camera':
        if (!data.camera || data.camera.id == null) return;
        emit('camera', data);
        break;
      case 'deleted':
        if (data.id == null) return;
        emit('deleted', String(data.id));
        break;
      case 'status':
        if (data.cameraID == null) return;
        // A status changes only on a check result: that result is the latest check.
        if (!data.checkedAt) data.checkedAt = data.updatedAt;
        emit('status', data);
        break;
      case 'issue':
        if (!data.issue || data.issue.id == null) return;
        emit('issue', data);
        break;
      case 'notification':
        emit('notification', data);
        break;
      case 'notifier':
        emit('notifier', data);
        return;
      case 'monitoring':
        emit('monitoring', data);
        return;
      case 'onvif':
        if (data.cameraID == null) return;
        emit('onvif', data);
        return;
      case 'device_changed':
        if (data.cameraID == null) return;
        emit('device_changed', data);
        return;
      case 'service':
        if (!data.name) return;
        shared.services[String(data.name)] = String(data.state);
        emit('services');
        return;
    }
    emit('changed', name);
  } catch (e) {
    // Do not flood the screen: one message per 30 s at most.
    if (Date.now() - errorShown > 30000) {
      errorShown = Date.now();
      toast(t('errEvent', { name, msg: (e && e.message) || String(e) }), 'error');
    }
    console.error('event', name, e);
  }
}
