// The details panel: the contact's fields, labels and notes, and the conversation's labels and notes.
import { h, shortTime } from './format.js';

export function createDetails(ctx) {
  const $ = (id) => document.getElementById(id);
  let conversation = null;
  let contactId = null;

  async function show(row) {
    const switched = !conversation || conversation.id !== row.id;
    conversation = row;
    $('details').hidden = false;
    labels();
    if (switched || contactId !== row.contact_id) {
      contactId = row.contact_id;
      await contact();
    }
  }

  function labels() {
    $('conversation-labels').replaceChildren(...(conversation.labels || []).map((label) => h('span', { class: 'label' }, label,
      h('button', { type: 'button', title: `Remove ${label}`, 'aria-label': `Remove label ${label}`,
        onclick: () => ctx.act(`/api/v1/conversations/${conversation.id}/labels/${encodeURIComponent(label)}`, undefined, 'DELETE') }, '×'))));
  }

  async function contact() {
    const id = contactId;
    if (!id) {
      return;
    }
    const [found, notes] = await Promise.all([
      ctx.api.get(`/api/v1/contacts/${id}`),
      ctx.api.get(`/api/v1/contacts/${id}/notes?limit=20`),
    ]);
    if (id !== contactId) {
      return;
    }
    const fields = [['Name', found.name], ['Number', found.mobile_number], ['E-mail', found.email],
      ['Company', found.company_name], ['Country', found.country || (found.address || {}).country],
      ['Preference', found.preference]];
    for (const [key, value] of Object.entries(found.custom_attributes || {})) {
      fields.push([key, typeof value === 'object' ? JSON.stringify(value) : value]);
    }
    $('contact-fields').replaceChildren(...fields.filter(([, value]) => value !== undefined && value !== null && value !== '')
      .flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, String(value))]));
    $('contact-labels').replaceChildren(...(found.labels || []).map((label) => h('span', { class: 'label' }, label)));
    $('contact-notes').replaceChildren(...notes.data.map(noteItem));
  }

  function noteItem(note) {
    return h('li', {}, note.body, h('div', { class: 'muted small' }, `${ctx.userName(note.author_id)} · ${shortTime(note.created_at)}`));
  }

  /** Contact updated or merged elsewhere: refresh when it is the one shown. */
  function contactChanged(data) {
    if (data && (data.id === contactId || data.merged_id === contactId || data.kept_id === contactId)) {
      contact().catch(() => {});
    }
  }

  $('label-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const label = $('label-input').value.trim();
    if (!label || !conversation) {
      return;
    }
    if (await ctx.act(`/api/v1/conversations/${conversation.id}/labels`, { labels: [label] })) {
      $('label-input').value = '';
    }
  });

  $('note-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = $('note-input').value.trim();
    if (!body || !conversation) {
      return;
    }
    try {
      const note = await ctx.api.post(`/api/v1/conversations/${conversation.id}/notes`, { body });
      $('note-input').value = '';
      ctx.thread.placeNote(note);
      $('contact-notes').prepend(noteItem(note));
    } catch (failure) {
      ctx.fail(failure);
    }
  });

  return { show, contactChanged };
}
