// Parley's reference inbox: sign-in, then the list, the thread, the composer and the details panel, all kept live
// by one WebSocket. Uses only the public REST API and WebSocket protocol (README: REST API, Live inbox).
import { createApi, signIn } from './api.js';
import { Live } from './live.js';
import { h, contactName, summary } from './format.js';
import { createList } from './list.js';
import { createThread } from './thread.js';
import { createComposer } from './composer.js';
import { createDetails } from './details.js';

const $ = (id) => document.getElementById(id);
const SESSION = 'parley.session';

const ctx = {
  me: null,
  token: null,
  usersById: new Map(),
  currentId: null,
};

ctx.api = createApi({
  token: () => ctx.token,
  onUnauthorized: (code) => {
    if (code === 'token_expired' || code === 'invalid_token' || code === 'account_inactive') {
      signOut(code === 'token_expired' ? 'Your session expired: sign in again.' : 'Sign in again.');
    }
  },
});
ctx.users = () => [...ctx.usersById.values()];
ctx.userName = (id) => {
  if (!id) {
    return 'Unassigned';
  }
  const user = ctx.usersById.get(id);
  return user ? user.name : 'someone';
};
ctx.current = () => ctx.currentId;
ctx.toast = toast;
ctx.fail = (failure) => toast(failure && failure.message ? failure.message : String(failure), true);
/** Runs an action (POST by default); the answer, when it is a conversation, updates the screen at once. */
ctx.act = async (path, body, method = 'POST') => {
  try {
    const answer = method === 'DELETE' ? await ctx.api.del(path) : await ctx.api.post(path, body);
    const row = answer && answer.conversation ? answer.conversation : answer;
    if (row && row.id && row.version !== undefined && row.channel_id) {
      conversationChanged(row);
    }
    return true;
  } catch (failure) {
    ctx.fail(failure);
    return false;
  }
};
ctx.open = (id) => openConversation(id).catch(ctx.fail);

const list = createList(ctx);
const thread = createThread(ctx);
const composer = createComposer(ctx);
const details = createDetails(ctx);
ctx.thread = thread;
ctx.composer = composer;
ctx.details = details;
ctx.live = null;

function toast(message, isError = false, onclick = null) {
  const item = h('div', { class: 'toast' + (isError ? ' error' : ''), role: isError ? 'alert' : 'status' }, message);
  item.addEventListener('click', () => {
    item.remove();
    if (onclick) {
      onclick();
    }
  });
  $('toasts').append(item);
  while ($('toasts').children.length > 3) {
    $('toasts').firstElementChild.remove();
  }
  setTimeout(() => item.remove(), isError ? 8000 : 5000);
}

async function openConversation(id) {
  ctx.currentId = id;
  location.hash = id;
  list.render();
  await thread.open(id);
  ctx.live.setView(id);
}

function conversationChanged(row) {
  list.upsert(row);
  thread.update(row);
}

function onEvent({ type, data }) {
  switch (type) {
    case 'conversation.created':
    case 'conversation.updated':
      conversationChanged(data);
      break;
    case 'message.created':
      thread.onMessage(data, true);
      break;
    case 'message.updated':
      thread.onMessage(data, false);
      break;
    case 'contact.created':
    case 'contact.updated':
    case 'contact.merged':
      list.updateContact(data);
      details.contactChanged(data);
      break;
    case 'window.closing':
    case 'window.closed':
      thread.windowChanged(data);
      break;
    default:
      break;
  }
}

function onDirect({ type, data }) {
  if (type === 'typing') {
    thread.showTyping(data);
  } else if (type === 'notification' && data.kind === 'new_message') {
    notify(data);
  }
}

/** A new customer message: a browser notification when permitted and the user looks elsewhere, else in the page. */
function notify(data) {
  if (data.conversation_id === ctx.currentId && !document.hidden) {
    return;
  }
  const title = `${contactName(data.contact)} wrote`;
  const body = summary(data.message);
  const open = () => {
    window.focus();
    ctx.open(data.conversation_id);
  };
  if ('Notification' in window && Notification.permission === 'granted') {
    const notification = new Notification(title, { body, tag: data.conversation_id });
    notification.onclick = open;
  } else {
    toast(`${title}: ${body}`, false, open);
  }
}

function showStatus({ online, retryIn }) {
  $('offline').hidden = online;
  $('offline-text').textContent = online ? ''
    : navigator.onLine === false ? 'Offline: waiting for the network…'
    : `Connection lost: reconnecting${retryIn ? ` in ${Math.ceil(retryIn / 1000)} s` : '…'}`;
  document.body.dataset.live = online ? 'online' : 'offline';
}

async function start() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = ctx.me.name;
  $('me-role').textContent = ctx.me.role;
  $('enable-notifications').hidden = !('Notification' in window) || Notification.permission !== 'default';

  const live = new Live(() => ctx.token);
  ctx.live = live;
  live.addEventListener('event', (event) => onEvent(event.detail));
  live.addEventListener('direct', (event) => onDirect(event.detail));
  live.addEventListener('status', (event) => showStatus(event.detail));
  live.addEventListener('expired', () => signOut('Your session expired: sign in again.'));
  live.addEventListener('reset', () => refetch().catch(ctx.fail));
  // connected first, so that nothing committed between the fetch and the first live event is missed
  const ready = new Promise((resolve) => live.addEventListener('status', resolve, { once: true }));
  live.start();
  await ready;

  const [users, channels] = await Promise.all([
    ctx.api.get('/api/v1/users?limit=200'),
    ctx.api.get('/api/v1/channels?limit=200'),
  ]);
  users.data.forEach((user) => ctx.usersById.set(user.id, user));
  $('f-channel').replaceChildren(h('option', { value: '' }, 'All channels'),
    ...channels.data.map((channel) => h('option', { value: channel.id }, channel.name)));
  ctx.api.get('/api/v1/demo').then(() => { $('simulate').hidden = false; }).catch(() => {});
  await list.load();
  const wanted = location.hash.slice(1);
  if (wanted) {
    ctx.open(wanted);
  }
}

/** After a reset: what the socket could not replay is fetched again. */
async function refetch() {
  await list.load();
  if (ctx.currentId) {
    await thread.open(ctx.currentId);
  }
}

function signOut(message) {
  sessionStorage.removeItem(SESSION);
  if (ctx.live) {
    ctx.live.stop();
    ctx.live = null;
  }
  if (message) {
    sessionStorage.setItem('parley.message', message);
  }
  history.replaceState(null, '', location.pathname);
  location.reload();
}

function showSignIn() {
  $('app').hidden = true;
  $('signin').hidden = false;
  const message = sessionStorage.getItem('parley.message');
  if (message) {
    $('signin-error').textContent = message;
    sessionStorage.removeItem('parley.message');
  }
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('signin-error').textContent = '';
  try {
    const session = await signIn(form.get('email'), form.get('password'));
    ctx.token = session.access_token;
    ctx.me = session.user;
    sessionStorage.setItem(SESSION, JSON.stringify({ token: ctx.token, user: ctx.me }));
    await start();
  } catch (failure) {
    $('signin-error').textContent = failure.code === 'invalid_credentials' ? 'Wrong e-mail or password.' : failure.message;
  }
});

$('sign-out').addEventListener('click', () => signOut());
$('enable-notifications').addEventListener('click', async () => {
  await Notification.requestPermission();
  $('enable-notifications').hidden = Notification.permission !== 'default';
});
$('reconnect-now').addEventListener('click', () => ctx.live && ctx.live.reconnectNow());

for (const button of document.querySelectorAll('[data-assignee]')) {
  button.addEventListener('click', () => {
    document.querySelectorAll('[data-assignee]').forEach((b) => b.classList.toggle('active', b === button));
    list.filters.assignee = button.dataset.assignee;
    list.load().catch(ctx.fail);
  });
}
for (const [id, name] of [['f-status', 'status'], ['f-channel', 'channel_id']]) {
  $(id).addEventListener('change', (event) => {
    list.filters[name] = event.target.value;
    list.load().catch(ctx.fail);
  });
}
let searchTimer = null;
for (const [id, name] of [['f-q', 'q'], ['f-label', 'label']]) {
  $(id).addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      list.filters[name] = event.target.value.trim();
      list.load().catch(ctx.fail);
    }, 250);
  });
}
$('simulate-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('simulate-text').value.trim();
  if (!text) {
    return;
  }
  try {
    await ctx.api.post('/api/v1/demo/customer_messages', { text });
    toast('The simulated customer wrote.');
  } catch (failure) {
    ctx.fail(failure);
  }
});

const saved = sessionStorage.getItem(SESSION);
if (saved) {
  const session = JSON.parse(saved);
  ctx.token = session.token;
  ctx.me = session.user;
  start().catch((failure) => {
    ctx.fail(failure);
    signOut();
  });
} else {
  showSignIn();
}
