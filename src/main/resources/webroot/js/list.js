// The conversation list: filters, search, unread badges, and live reordering as events arrive.
import { h, shortTime, contactName, summary } from './format.js';

const PAGE = 50;

export function createList(ctx) {
  const element = document.getElementById('conversations');
  const empty = document.getElementById('list-empty');
  const more = document.getElementById('more-conversations');
  const rows = new Map();
  const nodes = new Map();
  const filters = { assignee: 'all', status: 'open', channel_id: '', label: '', q: '' };
  let cursor = null;
  let loading = 0;

  function query(after) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (filters.assignee !== 'all') {
      params.set('assignee', filters.assignee);
    }
    for (const name of ['status', 'channel_id', 'label', 'q']) {
      if (filters[name]) {
        params.set(name, filters[name]);
      }
    }
    if (after) {
      params.set('cursor', after);
    }
    return '/api/v1/conversations?' + params;
  }

  async function load() {
    const mine = ++loading;
    const page = await ctx.api.get(query(null));
    if (mine !== loading) {
      return; // a newer filter won
    }
    rows.clear();
    page.data.forEach((row) => rows.set(row.id, row));
    cursor = page.next_cursor;
    render();
  }

  async function loadMore() {
    if (!cursor) {
      return;
    }
    const page = await ctx.api.get(query(cursor));
    page.data.forEach((row) => {
      if (!rows.has(row.id)) {
        rows.set(row.id, row);
      }
    });
    cursor = page.next_cursor;
    render();
  }

  function matches(row) {
    const me = ctx.me.id;
    if (filters.status && row.status !== filters.status) return false;
    if (filters.assignee === 'me' && row.assignee_id !== me) return false;
    if (filters.assignee === 'unassigned' && row.assignee_id) return false;
    if (filters.channel_id && row.channel_id !== filters.channel_id) return false;
    if (filters.label && !(row.labels || []).includes(filters.label)) return false;
    if (filters.q) {
      const q = filters.q.toLowerCase();
      const contact = row.contact || {};
      if (!`${contact.name || ''} ${contact.mobile_number || ''}`.toLowerCase().includes(q)) return false;
    }
    return true;
  }

  /** A conversation from an event: added, moved or dropped as the filters say; an older version is ignored. */
  function upsert(row) {
    const old = rows.get(row.id);
    if (old && old.version > row.version) {
      return;
    }
    const merged = old ? { ...old, ...row, contact: row.contact || old.contact, last_message: row.last_message || old.last_message } : row;
    if (matches(merged)) {
      rows.set(row.id, merged);
    } else {
      rows.delete(row.id);
    }
    render();
  }

  function updateContact(contact) {
    let changed = false;
    for (const row of rows.values()) {
      if (row.contact && row.contact.id === contact.id) {
        row.contact = { ...row.contact, name: contact.name, mobile_number: contact.mobile_number };
        changed = true;
      }
    }
    if (changed) {
      render();
    }
  }

  function sorted() {
    return [...rows.values()].sort((a, b) => (b.last_message_at || '').localeCompare(a.last_message_at || '')
      || b.id.localeCompare(a.id));
  }

  function render() {
    const order = sorted();
    const keep = new Set(order.map((row) => row.id));
    for (const [id, node] of nodes) {
      if (!keep.has(id)) {
        node.remove();
        nodes.delete(id);
      }
    }
    order.forEach((row, index) => {
      const node = item(row);
      const old = nodes.get(row.id);
      if (old) {
        old.replaceWith(node);
      }
      nodes.set(row.id, node);
      const at = element.children[index];
      if (at !== node) {
        element.insertBefore(node, at || null);
      }
    });
    empty.hidden = order.length > 0;
    more.hidden = !cursor;
  }

  function item(row) {
    const assignee = row.assignee_id ? ctx.userName(row.assignee_id) : 'Unassigned';
    const unread = row.unread_count > 0 ? h('span', { class: 'badge', title: 'Unread messages' }, row.unread_count) : null;
    return h('li', {
      class: 'conversation' + (ctx.current() === row.id ? ' current' : ''),
      dataset: { id: row.id, unread: String(row.unread_count || 0) },
      tabindex: 0,
      onclick: () => ctx.open(row.id),
      onkeydown: (event) => event.key === 'Enter' && ctx.open(row.id),
    },
    h('span', { class: 'name' }, contactName(row.contact)),
    h('span', { class: 'time' }, shortTime(row.last_message_at)),
    h('span', { class: 'preview' }, summary(row.last_message)),
    unread || h('span'),
    h('span', { class: 'meta' },
      h('span', {}, row.status === 'closed' ? 'Closed' : assignee),
      row.bot_state === 'running' ? h('span', {}, '🤖 ' + (row.bot_name || 'bot')) : null,
      (row.labels || []).map((label) => h('span', { class: 'label' }, label))));
  }

  more.addEventListener('click', () => loadMore().catch(ctx.fail));
  return { load, upsert, updateContact, render, filters, get: (id) => rows.get(id) };
}
