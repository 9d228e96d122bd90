// The composer: text with WhatsApp formatting, attachments (checked before upload), canned responses by short code,
// quoted replies, reactions, and templates with a parameter form and preview. It switches to templates only when
// the service window closes, and is disabled with the reason (and the way out) when the user may not send.
import { h, summary } from './format.js';

// what WhatsApp takes (README, Media): type by MIME type, and the size limit of each
const KINDS = [
  { type: 'image', mimes: ['image/jpeg', 'image/png'], max: 5 * 1024 * 1024 },
  { type: 'sticker', mimes: ['image/webp'], max: 500 * 1024 },
  { type: 'video', mimes: ['video/mp4', 'video/3gpp'], max: 16 * 1024 * 1024 },
  { type: 'audio', mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], max: 16 * 1024 * 1024 },
  { type: 'document', mimes: ['text/plain', 'application/pdf', 'application/msword',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.ms-excel',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-powerpoint',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation'], max: 100 * 1024 * 1024 },
];
const CAPTIONED = new Set(['image', 'video', 'document']);

function kindOf(file) {
  const kind = KINDS.find((k) => k.mimes.includes((file.type || '').toLowerCase()));
  if (!kind) {
    return { error: `${file.name}: WhatsApp does not take files of type ${file.type || 'unknown'}.` };
  }
  if (file.size > kind.max) {
    return { error: `${file.name} is ${megabytes(file.size)}; a WhatsApp ${kind.type} may be at most ${megabytes(kind.max)}.` };
  }
  return { type: kind.type };
}

function megabytes(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

export function createComposer(ctx) {
  const $ = (id) => document.getElementById(id);
  const text = $('text');
  const textForm = $('text-form');
  const templateForm = $('template-form');
  const canned = $('canned');
  const error = $('composer-error');
  let conversation = null;
  let replyTarget = null;
  let attachment = null;
  let mode = 'text';
  let windowOpen = false;
  let blocked = null;
  let templates = [];
  let template = null;
  let suggestions = [];
  let active = 0;
  let typingSent = 0;
  let previewTimer = null;

  function setConversation(row) {
    const switched = !conversation || conversation.id !== row.id;
    conversation = row;
    if (switched) {
      replyTarget = null;
      attachment = null;
      text.value = '';
      error.textContent = '';
      mode = 'text';
      template = null;
      templates = [];
      loadTemplates(row.channel_id);
    }
    windowOpen = row.window_expires_at && Date.parse(row.window_expires_at) > Date.now();
    refresh();
  }

  /** Called every second by the countdown: the window may just have closed. */
  function tick(open) {
    if (conversation && open !== windowOpen) {
      windowOpen = open;
      refresh();
    }
  }

  /** Why this user may not send here, with what they can do about it; null when they may. */
  function reason(c) {
    if (c.status !== 'open') {
      return { text: 'This conversation is closed. Reopen it to reply.', action: 'Reopen', run: () => ctx.act(`/api/v1/conversations/${c.id}/reopen`) };
    }
    if (c.bot_state === 'running') {
      return { text: `${c.bot_name || 'A bot'} is handling this conversation.`, action: 'Take over',
        run: () => ctx.act(`/api/v1/conversations/${c.id}/handoff`) };
    }
    if (!c.assignee_id) {
      return { text: 'Nobody owns this conversation. Take it to reply.', action: 'Take it',
        run: () => ctx.act(`/api/v1/conversations/${c.id}/assign`, { user_id: ctx.me.id }) };
    }
    if (c.assignee_id !== ctx.me.id) {
      return { text: `Assigned to ${ctx.userName(c.assignee_id)}: only the assignee can send.`,
        action: ctx.me.role === 'admin' ? 'Assign to me' : null,
        run: () => ctx.act(`/api/v1/conversations/${c.id}/assign`, { user_id: ctx.me.id }) };
    }
    return null;
  }

  function refresh() {
    if (!conversation) {
      return;
    }
    blocked = reason(conversation);
    const notice = $('composer-reason');
    const action = $('composer-action');
    if (blocked) {
      notice.hidden = false;
      $('composer-reason-text').textContent = blocked.text;
      action.hidden = !blocked.action;
      action.textContent = blocked.action || '';
    } else if (!windowOpen) {
      notice.hidden = false;
      $('composer-reason-text').textContent = 'The 24-hour service window is closed: only an approved template can be sent.';
      action.hidden = true;
    } else {
      notice.hidden = true;
    }
    const templateOnly = !windowOpen;
    if (templateOnly) {
      mode = 'template';
    }
    textForm.hidden = mode !== 'text';
    templateForm.hidden = mode !== 'template';
    $('template-cancel').hidden = templateOnly;
    const disabled = Boolean(blocked);
    for (const control of [text, $('send'), $('attach'), $('use-template')]) {
      control.disabled = disabled;
    }
    $('template-send').disabled = disabled || !template;
    $('template-select').disabled = disabled;
    $('reply-preview').hidden = !replyTarget;
    $('reply-preview-text').textContent = replyTarget ? '↩ ' + summary(replyTarget) : '';
    $('attachment-preview').hidden = !attachment;
    $('attachment-text').textContent = attachment ? `📎 ${attachment.file.name} (${attachment.type}, ${megabytes(attachment.file.size)})` : '';
    text.placeholder = attachment && CAPTIONED.has(attachment.type) ? 'Caption (optional)' : 'Reply… (type / for canned responses)';
  }

  async function send(message) {
    error.textContent = '';
    try {
      const stored = await ctx.api.post(`/api/v1/conversations/${conversation.id}/messages`, message,
        { 'Idempotency-Key': crypto.randomUUID() });
      ctx.thread.onMessage(stored, true);
      return true;
    } catch (failure) {
      error.textContent = failure.message;
      error.dataset.code = failure.code || '';
      return false;
    }
  }

  async function sendText(event) {
    event.preventDefault();
    if (blocked || !conversation) {
      return;
    }
    const body = text.value.trim();
    let message;
    if (attachment) {
      let file;
      try {
        file = await ctx.api.upload(attachment.file, attachment.type);
      } catch (failure) {
        error.textContent = `Upload refused: ${failure.message}`;
        error.dataset.code = failure.code || '';
        return;
      }
      const part = { media_id: file.id };
      if (body && CAPTIONED.has(attachment.type)) {
        part.caption = body;
      }
      if (attachment.type === 'document') {
        part.filename = attachment.file.name;
      }
      message = { type: attachment.type, [attachment.type]: part };
    } else if (body) {
      message = { type: 'text', text: { body } };
    } else {
      return;
    }
    if (replyTarget) {
      message.reply_to = replyTarget.id;
    }
    if (await send(message)) {
      text.value = '';
      attachment = null;
      replyTarget = null;
      $('file').value = '';
      typing(false);
      refresh();
    }
  }

  function replyTo(message) {
    replyTarget = message;
    refresh();
    text.focus();
  }

  function react(message, emoji) {
    if (blocked) {
      ctx.toast(blocked.text, true);
      return;
    }
    send({ type: 'reaction', reaction: { message_id: message.id, emoji } });
  }

  function chooseFile(file) {
    if (!file) {
      return;
    }
    const kind = kindOf(file);
    if (kind.error) {
      error.textContent = kind.error;
      $('file').value = '';
      return;
    }
    error.textContent = '';
    attachment = { file, type: kind.type };
    refresh();
  }

  // canned responses: "/" then the start of a short code
  async function suggest() {
    const match = /^\/([\w-]*)$/.exec(text.value);
    if (!match) {
      canned.hidden = true;
      return;
    }
    const page = await ctx.api.get(`/api/v1/canned_responses?limit=10&q=${encodeURIComponent(match[1])}`);
    if (!/^\/([\w-]*)$/.test(text.value)) {
      return;
    }
    suggestions = page.data;
    active = 0;
    canned.replaceChildren(...suggestions.map((item, index) => h('li', {
      class: index === active ? 'active' : '', dataset: { code: item.short_code },
      onmousedown: (event) => { event.preventDefault(); useCanned(item); },
    }, h('strong', {}, '/' + item.short_code), ' ', item.title)));
    canned.hidden = suggestions.length === 0;
  }

  async function useCanned(item) {
    canned.hidden = true;
    try {
      const rendered = await ctx.api.post(`/api/v1/canned_responses/${item.id}/render`, { conversation_id: conversation.id });
      text.value = rendered.text;
      text.focus();
    } catch (failure) {
      error.textContent = failure.message;
    }
  }

  function typing(on) {
    const now = Date.now();
    if (on && now - typingSent < 3000) {
      return;
    }
    typingSent = on ? now : 0;
    if (conversation) {
      ctx.live.send({ type: 'typing', conversation_id: conversation.id, typing: on });
    }
  }

  // templates
  async function loadTemplates(channelId) {
    const select = $('template-select');
    select.replaceChildren(h('option', { value: '' }, 'Loading templates…'));
    try {
      const page = await ctx.api.get(`/api/v1/templates?channel_id=${channelId}&status=approved&limit=200`);
      if (!conversation || conversation.channel_id !== channelId) {
        return;
      }
      templates = page.data;
      select.replaceChildren(h('option', { value: '' }, templates.length ? 'Choose a template' : 'No approved templates'),
        ...templates.map((t) => h('option', { value: t.id }, `${t.name} (${t.language})`)));
    } catch (failure) {
      select.replaceChildren(h('option', { value: '' }, 'Templates unavailable'));
    }
  }

  async function chooseTemplate(id) {
    template = null;
    $('template-params').replaceChildren();
    $('template-preview').replaceChildren();
    refresh();
    if (!id) {
      return;
    }
    template = await ctx.api.get(`/api/v1/templates/${id}`);
    const inputs = (template.parameters || []).map((parameter, index) => {
      const label = parameter.component === 'button'
        ? `Button ${parameter.index} (${parameter.sub_type})`
        : `${parameter.component} ${parameter.type === 'text' ? `{{${parameter.name}}}` : parameter.type}`;
      const placeholder = parameter.type === 'text' ? '' : (parameter.type === 'location' ? 'latitude,longitude' : 'https:// link');
      return h('label', {}, label, h('input', { dataset: { index: String(index) }, placeholder,
        oninput: schedulePreview, required: parameter.required !== false }));
    });
    $('template-params').replaceChildren(...inputs);
    refresh();
    schedulePreview();
  }

  /** The Cloud API template object from the form's values. */
  function templateObject() {
    const named = template.parameter_format === 'NAMED';
    const components = new Map();
    const buttons = [];
    (template.parameters || []).forEach((parameter, index) => {
      const value = templateForm.querySelector(`input[data-index="${index}"]`).value;
      if (!value && parameter.required === false) {
        return;
      }
      if (parameter.component === 'button') {
        const inner = parameter.sub_type === 'copy_code' ? { type: 'coupon_code', coupon_code: value }
          : parameter.sub_type === 'quick_reply' ? { type: 'payload', payload: value } : { type: 'text', text: value };
        buttons.push({ type: 'button', sub_type: parameter.sub_type, index: String(parameter.index), parameters: [inner] });
        return;
      }
      let part;
      if (parameter.type === 'text') {
        part = { type: 'text', text: value };
        if (named) {
          part.parameter_name = parameter.name;
        }
      } else if (parameter.type === 'location') {
        const [latitude, longitude] = value.split(',').map((n) => Number(n.trim()));
        part = { type: 'location', location: { latitude, longitude } };
      } else {
        part = { type: parameter.type, [parameter.type]: { link: value } };
      }
      if (!components.has(parameter.component)) {
        components.set(parameter.component, []);
      }
      components.get(parameter.component).push(part);
    });
    const list = [];
    for (const name of ['header', 'body']) {
      if (components.has(name)) {
        list.push({ type: name, parameters: components.get(name) });
      }
    }
    return { name: template.name, language: { code: template.language }, components: [...list, ...buttons] };
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }

  async function preview() {
    if (!template || !conversation) {
      return;
    }
    const box = $('template-preview');
    try {
      const rendered = await ctx.api.post('/api/v1/templates/preview', { channel_id: conversation.channel_id, template: templateObject() });
      const p = rendered.preview || {};
      const header = p.header && typeof p.header === 'object' ? p.header.text || `[${p.header.type || 'media'}]` : p.header;
      box.replaceChildren(header ? h('strong', {}, header) : '', h('div', {}, p.body || rendered.text || ''),
        p.footer ? h('div', { class: 'footer-line' }, p.footer) : '',
        h('div', { class: 'buttons' }, (p.buttons || []).map((b) => h('span', {}, b.text || b.title || ''))));
      box.classList.remove('error');
    } catch (failure) {
      box.replaceChildren(h('span', { class: 'error' }, failure.message));
    }
  }

  async function sendTemplate(event) {
    event.preventDefault();
    if (!template || blocked) {
      return;
    }
    if (await send({ type: 'template', template: templateObject() })) {
      $('template-select').value = '';
      await chooseTemplate('');
      if (windowOpen) {
        mode = 'text';
        refresh();
      }
    }
  }

  textForm.addEventListener('submit', sendText);
  templateForm.addEventListener('submit', sendTemplate);
  text.addEventListener('input', () => {
    suggest().catch(() => { canned.hidden = true; });
    if (text.value) {
      typing(true);
    }
  });
  text.addEventListener('blur', () => typing(false));
  text.addEventListener('keydown', (event) => {
    if (!canned.hidden && suggestions.length) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        active = (active + (event.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length;
        [...canned.children].forEach((li, index) => li.classList.toggle('active', index === active));
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        useCanned(suggestions[active]);
        return;
      }
      if (event.key === 'Escape') {
        canned.hidden = true;
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      textForm.requestSubmit();
    }
  });
  $('attach').addEventListener('click', () => $('file').click());
  $('file').addEventListener('change', (event) => chooseFile(event.target.files[0]));
  $('attachment-cancel').addEventListener('click', () => { attachment = null; $('file').value = ''; refresh(); });
  $('reply-cancel').addEventListener('click', () => { replyTarget = null; refresh(); });
  $('use-template').addEventListener('click', () => { mode = 'template'; refresh(); });
  $('template-cancel').addEventListener('click', () => { mode = 'text'; refresh(); });
  $('template-select').addEventListener('change', (event) => chooseTemplate(event.target.value).catch(ctx.fail));
  $('composer-action').addEventListener('click', () => blocked && blocked.run && blocked.run());

  return { setConversation, tick, replyTo, react };
}
