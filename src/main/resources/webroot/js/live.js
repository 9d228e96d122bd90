// The live connection: one WebSocket, numbered events, resume after any drop. Emits
//   'status'  {online, attempt, retryIn}   connection state changes (the offline banner)
//   'event'   {type, seq, data}           numbered organization events, each once and in order
//   'direct'  {type, data}                notifications and typing (not numbered)
//   'reset'   {seq}                       the gap is too old to replay: refetch everything over REST
//   'expired'                             the token expired: sign in again

const MAX_BACKOFF_MS = 10_000;

export class Live extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.seq = null;        // the last event number applied; null before the first ready
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = true;
    this.view = { type: 'view', view: 'chats' };
    this.onOffline = () => this.drop('the browser went offline');
    this.onOnline = () => this.reconnectNow();
  }

  start() {
    this.stopped = false;
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    if (this.socket) {
      this.socket.close(1000, 'signed out');
      this.socket = null;
    }
  }

  get online() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN && this.ready;
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) {
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/ws`, ['bearer', this.token()]);
    this.socket = socket;
    this.ready = false;
    socket.onmessage = (message) => this.receive(socket, message.data);
    socket.onclose = (close) => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.ready = false;
      if (close.code === 4401) {
        this.dispatchEvent(new CustomEvent('expired'));
        return;
      }
      this.scheduleReconnect();
    };
  }

  receive(socket, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (ignored) {
      return;
    }
    if (frame.type === 'ready') {
      this.ready = true;
      this.attempt = 0;
      if (this.seq === null) {
        this.seq = frame.seq;      // a first connection starts from now: the caller fetches the rest over REST
        socket.send(JSON.stringify(this.view));
      } else {
        socket.send(JSON.stringify({ type: 'resume', since: this.seq }));
        socket.send(JSON.stringify(this.view));
      }
      this.status();
    } else if (frame.type === 'event' && frame.seq !== undefined) {
      if (this.seq !== null && frame.seq <= this.seq) {
        return; // already applied
      }
      this.seq = frame.seq;
      this.dispatchEvent(new CustomEvent('event', { detail: { type: frame.event, seq: frame.seq, data: frame.data } }));
    } else if (frame.type === 'event') {
      this.dispatchEvent(new CustomEvent('direct', { detail: { type: frame.event, data: frame.data } }));
    } else if (frame.type === 'reset') {
      this.seq = frame.seq;
      this.dispatchEvent(new CustomEvent('reset', { detail: { seq: frame.seq } }));
    }
  }

  /** Tells the server which screen and conversation the user looks at (notification targeting). */
  setView(conversationId) {
    this.view = conversationId
      ? { type: 'view', view: 'chats', conversation_id: conversationId }
      : { type: 'view', view: 'chats' };
    this.send(this.view);
  }

  send(frame) {
    if (this.online) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  /** Closes the socket as a network failure would; the usual reconnect and resume follow. */
  drop(reason) {
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      this.ready = false;
      socket.close(4000, reason);
    }
    this.scheduleReconnect();
  }

  reconnectNow() {
    this.attempt = 0;
    if (!this.socket) {
      this.connect();
    }
  }

  scheduleReconnect() {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    this.attempt += 1;
    this.status(delay);
    this.timer = setTimeout(() => this.connect(), navigator.onLine === false ? Math.max(delay, 2000) : delay);
  }

  status(retryIn) {
    this.dispatchEvent(new CustomEvent('status', { detail: { online: this.online, attempt: this.attempt, retryIn } }));
  }
}
