// The open conversation: header (contact, window countdown, assignment, close/reopen) and the thread (every
// message type, quoted replies, reactions, status ticks, system messages, notes; older history on scroll).
import { h, whatsappText, shortTime, duration, tick, failureAction, contactName, summary } from './format.js';

const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
const CLOSING_SOON_MS = 60 * 60 * 1000;

export function createThread(ctx) {
  const $ = (id) => document.getElementById(id);
  const list = $('message-list');
  const scroller = $('messages');
  const older = $('older');
  const nodes = new Map();
  const messages = new Map();
  const blobs = new Map();
  let conversation = null;
  let cursor = null;
  let loadingOlder = false;
  let countdown = null;
  const typing = new Map();

  async function open(id) {
    const [row, page, notes] = await Promise.all([
      ctx.api.get(`/api/v1/conversations/${id}`),
      ctx.api.get(`/api/v1/conversations/${id}/messages?limit=50`),
      ctx.api.get(`/api/v1/conversations/${id}/notes?limit=50`),
    ]);
    conversation = row;
    messages.clear();
    nodes.clear();
    list.replaceChildren();
    typing.clear();
    cursor = page.next_cursor;
    page.data.forEach((message) => place(message));
    notes.data.forEach((note) => placeNote(note));
    $('thread-empty').hidden = true;
    $('thread-body').hidden = false;
    header();
    older.hidden = !cursor;
    scroller.scrollTop = scroller.scrollHeight;
    markRead();
  }

  /** A newer version of the open conversation (from an event or an action's answer). */
  function update(row) {
    if (!conversation || row.id !== conversation.id || row.version < conversation.version) {
      return;
    }
    conversation = { ...conversation, ...row };
    header();
    markRead(); // e.g. just taken: the new owner has now read it
  }

  function windowChanged(data) {
    if (conversation && data.conversation_id === conversation.id) {
      conversation.window_expires_at = data.window_expires_at;
      header();
    }
  }

  function header() {
    const c = conversation;
    $('t-contact').textContent = contactName(c.contact);
    $('t-number').textContent = c.contact && c.contact.mobile_number ? c.contact.mobile_number : '';
    const select = $('t-assignee');
    select.replaceChildren(h('option', { value: '' }, 'Unassigned'),
      ...ctx.users().filter((user) => user.active !== false)
        .map((user) => h('option', { value: user.id }, user.name + (user.id === ctx.me.id ? ' (me)' : ''))));
    select.value = c.assignee_id || '';
    $('t-close').hidden = c.status !== 'open';
    $('t-reopen').hidden = c.status === 'open';
    clearInterval(countdown);
    showWindow();
    countdown = setInterval(showWindow, 1000);
    ctx.composer.setConversation(c);
    ctx.details.show(c);
  }

  function showWindow() {
    const line = $('t-window');
    const expires = conversation && conversation.window_expires_at ? new Date(conversation.window_expires_at) : null;
    const left = expires ? expires - Date.now() : 0;
    if (left > 0) {
      line.textContent = `Service window closes in ${duration(left)}`;
      line.className = 'small' + (left < CLOSING_SOON_MS ? ' closing' : '');
    } else {
      line.textContent = expires ? 'Service window closed: templates only' : 'No service window: templates only';
      line.className = 'small closed';
    }
    ctx.composer.tick(left > 0);
  }

  function markRead() {
    if (conversation && conversation.unread_count > 0 && conversation.assignee_id === ctx.me.id && !document.hidden) {
      ctx.api.post(`/api/v1/conversations/${conversation.id}/read`).catch(() => {});
    }
  }

  /** A message event: placed (or replaced) when it belongs to the open conversation. */
  function onMessage(message, created) {
    if (!conversation || message.conversation_id !== conversation.id) {
      return;
    }
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    place(message);
    if (created && (nearBottom || message.direction === 'outbound')) {
      scroller.scrollTop = scroller.scrollHeight;
    }
    if (created && message.direction === 'inbound') {
      markRead();
    }
  }

  /** Thread order: the provider's time (whole seconds), then when Parley stored it. */
  function at(message) {
    return [Date.parse(message.sent_at || message.created_at) || 0, Date.parse(message.created_at) || 0];
  }

  function place(message) {
    const old = messages.get(message.id);
    messages.set(message.id, old ? { ...old, ...message, reply_to: message.reply_to || old.reply_to,
      status_history: message.status_history || old.status_history } : message);
    insert(message.id, at(message), render(messages.get(message.id)));
  }

  function placeNote(note) {
    insert('note-' + note.id, [Date.parse(note.created_at), Date.parse(note.created_at)], h('li', { class: 'message note', dataset: { id: 'note-' + note.id } },
      h('div', { class: 'bubble' }, '🗒 ', whatsappText(note.body)),
      h('div', { class: 'info' }, `Note by ${ctx.userName(note.author_id || note.created_by)} · ${shortTime(note.created_at)}`)));
  }

  /** Keeps the thread in time order ({@link at}), replacing a message's node in place. */
  function insert(key, time, node) {
    node.dataset.at = String(time[0]);
    node.dataset.stored = String(time[1]);
    const old = nodes.get(key);
    nodes.set(key, node);
    if (old) {
      old.remove();
    }
    const later = (other) => Number(other.dataset.at) > time[0]
      || (Number(other.dataset.at) === time[0] && Number(other.dataset.stored) > time[1]);
    let after = list.lastElementChild;
    while (after && later(after)) {
      after = after.previousElementSibling;
    }
    if (after) {
      after.after(node);
    } else {
      list.prepend(node);
    }
  }

  function render(m) {
    const direction = m.direction === 'system' ? 'system' : m.direction;
    const item = h('li', { class: `message ${direction}`, dataset: { id: m.id, type: m.type, status: m.status || '' } });
    if (direction === 'system') {
      item.append(h('div', { class: 'bubble' }, m.body || ''), h('div', { class: 'info' }, shortTime(m.sent_at || m.created_at)));
      return item;
    }
    const bubble = h('div', { class: 'bubble' });
    // a page from the history names the quoted message; a fresh send or event only its provider id
    const quoted = m.reply_to || (m.reply_to_provider_id ? byProviderId(m.reply_to_provider_id) : null);
    if (quoted) {
      bubble.append(h('div', { class: 'quoted' }, '↩ ' + summary(quoted)));
    } else if (m.reply_to_provider_id) {
      bubble.append(h('div', { class: 'quoted' }, '↩ an earlier message'));
    }
    bubble.append(content(m));
    item.append(bubble);
    const reactions = Object.values(m.reactions || {}).filter(Boolean);
    if (reactions.length) {
      item.append(h('div', { class: 'reactions' }, reactions.join(' ')));
    }
    const sender = m.direction === 'outbound'
      ? (m.sender_type === 'agent' ? ctx.userName(m.sender_id) : m.sender_type)
      : null;
    item.append(h('div', { class: 'info' },
      sender ? h('span', {}, sender) : null,
      h('span', {}, shortTime(m.sent_at || m.created_at)),
      m.edited_at ? h('span', {}, 'edited') : null,
      m.direction === 'outbound' ? tick(m.status) : null,
      tools(m)));
    if (m.status === 'failed') {
      item.append(h('div', { class: 'failure' },
        `Not delivered: ${m.error_title || 'error'}${m.error_code ? ` (${m.error_code})` : ''}. ${failureAction(m.error_action)}`));
    }
    return item;
  }

  function byProviderId(providerId) {
    for (const message of messages.values()) {
      if (message.provider_message_id === providerId) {
        return message;
      }
    }
    return null;
  }

  function tools(m) {
    if (m.deleted_at || m.type === 'reaction' || !m.provider_message_id) {
      return null;
    }
    const palette = h('span', { class: 'palette', hidden: true },
      EMOJIS.map((emoji) => h('button', { type: 'button', title: 'React ' + emoji, onclick: () => {
        palette.hidden = true;
        ctx.composer.react(m, emoji);
      } }, emoji)));
    return h('span', { class: 'tools' },
      h('button', { type: 'button', title: 'Reply to this message', class: 'reply', onclick: () => ctx.composer.replyTo(m) }, 'Reply'),
      h('button', { type: 'button', title: 'React', class: 'react', onclick: () => { palette.hidden = !palette.hidden; } }, '☺'),
      palette);
  }

  function content(m) {
    if (m.deleted_at) {
      return h('em', { class: 'muted' }, 'This message was deleted');
    }
    const c = m.content || {};
    switch (m.type) {
      case 'text':
        return whatsappText(m.body);
      case 'image': case 'sticker': case 'video': case 'audio': case 'voice': case 'document':
        return media(m, c);
      case 'location': {
        const place = c.location || c;
        const map = `https://www.openstreetmap.org/?mlat=${place.latitude}&mlon=${place.longitude}#map=16/${place.latitude}/${place.longitude}`;
        return h('div', {}, '📍 ', h('strong', {}, place.name || 'Location'), place.address ? h('div', {}, place.address) : null,
          h('a', { href: map, target: '_blank', rel: 'noopener noreferrer' }, `${place.latitude}, ${place.longitude}`));
      }
      case 'contacts':
        return h('div', {}, (c.contacts || []).map((card) => h('div', { class: 'card-item' },
          '👤 ', h('strong', {}, (card.name && card.name.formatted_name) || 'Contact'),
          (card.phones || []).map((phone) => h('div', { class: 'small' }, phone.phone || phone.wa_id)),
          (card.emails || []).map((email) => h('div', { class: 'small' }, email.email)))));
      case 'interactive':
        return interactive(m, c);
      case 'template':
        return template(m, c);
      case 'reaction':
        return h('span', {}, `Reacted ${m.body || ''}`);
      case 'order':
        return h('span', {}, '🛒 ', m.body || 'Order');
      default:
        return h('em', { class: 'muted' }, m.body || `Unsupported message (${c.kind || m.type})`);
    }
  }

  function interactive(m, c) {
    if (m.direction === 'inbound') {
      const kind = c.kind === 'list_reply' ? 'List choice' : 'Button';
      return h('div', {}, h('span', { class: 'muted small' }, kind + ': '), h('strong', {}, c.title || m.body || ''),
        c.description ? h('div', { class: 'small' }, c.description) : null);
    }
    const part = c.interactive || {};
    const buttons = ((part.action || {}).buttons || []).map((button) => h('span', {}, (button.reply || {}).title || button.title || ''));
    const rows = ((part.action || {}).sections || []).flatMap((section) => section.rows || []).map((row) => h('span', {}, row.title));
    return h('div', {},
      part.header && part.header.text ? h('strong', {}, part.header.text) : null,
      h('div', {}, whatsappText((part.body || {}).text || m.body)),
      part.footer ? h('div', { class: 'footer-line' }, part.footer.text) : null,
      h('div', { class: 'buttons' }, buttons, rows));
  }

  function template(m, c) {
    const preview = c.preview || {};
    const header = preview.header;
    return h('div', {},
      h('div', { class: 'muted small' }, `Template ${(c.template || {}).name || ''}`),
      header && typeof header === 'object' && header.text ? h('strong', {}, header.text) : (typeof header === 'string' ? h('strong', {}, header) : null),
      h('div', {}, whatsappText(preview.body || m.body)),
      preview.footer ? h('div', { class: 'footer-line' }, preview.footer) : null,
      h('div', { class: 'buttons' }, (preview.buttons || []).map((button) => h('span', {}, button.text || button.title || ''))));
  }

  function media(m, c) {
    const part = c[m.type] || c;
    const stored = c.media;
    const caption = part.caption || c.caption;
    let path = null;
    if (m.direction === 'inbound') {
      if (stored && stored.state === 'stored') {
        path = stored.url || `/api/v1/media/${stored.file_id}`;
      } else if (stored && stored.state === 'failed') {
        return h('div', {}, h('em', { class: 'muted' }, `${m.type} could not be fetched: ${stored.error || 'error'}`), caption ? h('div', {}, caption) : null);
      } else if (stored && stored.state === 'expired') {
        return h('div', {}, h('em', { class: 'muted' }, `${m.type} deleted by the retention policy`), caption ? h('div', {}, caption) : null);
      } else {
        return h('div', {}, h('em', { class: 'muted' }, `${m.type}: downloading…`), caption ? h('div', {}, caption) : null);
      }
    } else if (part.media_id) {
      path = `/api/v1/media/${part.media_id}`;
    } else if (part.link) {
      path = null;
    }
    const box = h('div', {});
    if (m.type === 'document') {
      const name = part.filename || c.filename || 'document';
      box.append(h('button', { type: 'button', class: 'link', onclick: () => download(path, name) }, '📄 ' + name));
    } else if (path) {
      const tag = m.type === 'video' ? 'video' : (m.type === 'audio' || m.type === 'voice') ? 'audio' : 'img';
      const node = h(tag, { alt: caption || m.type, controls: tag !== 'img' });
      box.append(node);
      source(path).then((url) => { node.src = url; }).catch(() => node.replaceWith(h('em', { class: 'muted' }, `${m.type} unavailable`)));
    } else if (part.link) {
      box.append(h('a', { href: part.link, target: '_blank', rel: 'noopener noreferrer' }, part.link));
    }
    if (caption) {
      box.append(h('div', {}, whatsappText(caption)));
    }
    return box;
  }

  function source(path) {
    if (!blobs.has(path)) {
      blobs.set(path, ctx.api.blobUrl(path));
    }
    return blobs.get(path);
  }

  async function download(path, name) {
    try {
      const link = h('a', { href: await source(path), download: name });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (failure) {
      ctx.fail(failure);
    }
  }

  async function loadOlder() {
    if (!conversation || !cursor || loadingOlder) {
      return;
    }
    loadingOlder = true;
    const id = conversation.id;
    try {
      const page = await ctx.api.get(`/api/v1/conversations/${id}/messages?limit=50&cursor=${encodeURIComponent(cursor)}`);
      if (!conversation || conversation.id !== id) {
        return;
      }
      const before = scroller.scrollHeight;
      page.data.forEach((message) => place(message));
      cursor = page.next_cursor;
      scroller.scrollTop += scroller.scrollHeight - before;
    } finally {
      loadingOlder = false;
      older.hidden = !cursor;
    }
  }

  function showTyping(data) {
    if (!conversation || data.conversation_id !== conversation.id || data.user_id === ctx.me.id) {
      return;
    }
    if (data.typing) {
      typing.set(data.user_id, data.user_name || ctx.userName(data.user_id));
    } else {
      typing.delete(data.user_id);
    }
    $('t-typing').textContent = typing.size ? `${[...typing.values()].join(', ')} typing…` : '';
  }

  scroller.addEventListener('scroll', () => {
    older.hidden = !cursor;
    if (scroller.scrollTop < 40) {
      loadOlder().catch(ctx.fail);
    }
  });
  older.addEventListener('click', () => loadOlder().catch(ctx.fail));
  document.addEventListener('visibilitychange', markRead);
  $('t-assignee').addEventListener('change', (event) => ctx.act(`/api/v1/conversations/${conversation.id}/assign`,
    { user_id: event.target.value || null }));
  $('t-close').addEventListener('click', () => ctx.act(`/api/v1/conversations/${conversation.id}/close`));
  $('t-reopen').addEventListener('click', () => ctx.act(`/api/v1/conversations/${conversation.id}/reopen`));

  return { open, update, onMessage, windowChanged, showTyping, placeNote };
}
