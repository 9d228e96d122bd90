// Safe rendering helpers: DOM nodes are built with textContent only, never from HTML strings.

/** h('div', {class: 'x', onclick: fn, dataset: {id}}, child, 'text', …) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'class') {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const INLINE = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|`[^`\n]+`|https?:\/\/[^\s<>"]+)/g;

/**
 * WhatsApp's formatting as DOM nodes: *bold*, _italic_, ~strikethrough~, `inline code`, ```monospace blocks```,
 * "> " quotes; links become anchors that open in a new tab.
 */
export function whatsappText(text) {
  const fragment = document.createDocumentFragment();
  if (!text) {
    return fragment;
  }
  const blocks = String(text).split('```');
  blocks.forEach((block, index) => {
    if (index % 2 === 1) {
      fragment.append(h('pre', {}, block));
      return;
    }
    const lines = block.split('\n');
    lines.forEach((line, lineIndex) => {
      if (line.startsWith('> ')) {
        fragment.append(h('blockquote', {}, inline(line.slice(2))));
      } else {
        fragment.append(inline(line));
        if (lineIndex < lines.length - 1) {
          fragment.append('\n');
        }
      }
    });
  });
  return fragment;
}

function inline(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    fragment.append(text.slice(last, match.index));
    const token = match[0];
    const inner = token.slice(1, -1);
    if (token.startsWith('http')) {
      fragment.append(h('a', { href: token, target: '_blank', rel: 'noopener noreferrer' }, token));
    } else if (token[0] === '*') {
      fragment.append(h('strong', {}, inner));
    } else if (token[0] === '_') {
      fragment.append(h('em', {}, inner));
    } else if (token[0] === '~') {
      fragment.append(h('s', {}, inner));
    } else {
      fragment.append(h('code', {}, inner));
    }
    last = match.index + token.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

/** "14:05" today, "Mon 14:05" this week, else "21 Nov". */
export function shortTime(iso) {
  if (!iso) {
    return '';
  }
  const at = new Date(iso);
  const now = new Date();
  if (at.toDateString() === now.toDateString()) {
    return at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  if (now - at < 6 * 86_400_000) {
    return at.toLocaleDateString([], { weekday: 'short' }) + ' ' + at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  return at.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/** "3h 12m", "4m 05s", "42s". */
export function duration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) {
    return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  }
  if (minutes > 0) {
    return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  }
  return `${rest}s`;
}

/** The status tick: pending 🕓, sent ✓, delivered ✓✓, read ✓✓ (blue), played ▶, failed ⚠. */
export function tick(status) {
  const marks = { pending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', played: '✓✓▶', failed: '⚠' };
  const labels = { pending: 'Pending', sent: 'Sent', delivered: 'Delivered', read: 'Read', played: 'Played', failed: 'Failed' };
  return h('span', { class: 'tick', dataset: { status }, title: labels[status] || status }, marks[status] || status);
}

const ACTIONS = {
  send_template: 'The 24-hour window is closed: send an approved template.',
  unreachable: 'The customer cannot be reached on this number.',
  fix_media: 'The file was refused: check its type and size.',
  fix_template: 'The template or its parameters were refused.',
  retry_later: 'The provider is busy: try again later.',
  contact_support: 'Check the channel settings with the provider.',
};

/** What a failed message's error_action asks the agent to do. */
export function failureAction(action) {
  return ACTIONS[action] || '';
}

/** The contact's display name. */
export function contactName(contact) {
  if (!contact) {
    return 'Unknown contact';
  }
  return contact.name || contact.mobile_number || 'Unknown contact';
}

/** A one-line summary of a message for the list and quotes. */
export function summary(message) {
  if (!message) {
    return '';
  }
  if (message.deleted_at) {
    return 'Message deleted';
  }
  const icons = { image: '📷 ', video: '🎬 ', audio: '🎵 ', voice: '🎤 ', document: '📄 ', sticker: '🏷 ', location: '📍 ', contacts: '👤 ', template: '📋 ', reaction: '' };
  const body = message.body || message.type;
  return (icons[message.type] || '') + body;
}
