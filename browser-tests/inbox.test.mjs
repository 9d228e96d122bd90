// The reference inbox in headless Chromium (Debian's chromium through playwright-core), against Parley started as
// it ships: sign in, a message arriving live, a reply reaching "read", the window closing to templates, a second
// agent who may not send, and a reconnect that resumes without losing anything. Screenshots of the main screens
// go to SCREENSHOTS_DIR (default target/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, DEMO, startParley, client } from './parley.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = resolve(ROOT, process.env.SCREENSHOTS_DIR || join('target', 'screenshots'));
const WAIT = { timeout: 20_000 };

let parley;
let api;
let browser;
let admin;      // the admin's page
let adminContext;
let adminToken;

async function signIn(page, who) {
  await page.goto(`${parley.base}/inbox/`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#app:not([hidden])', WAIT);
  await page.waitForFunction(() => document.body.dataset.live === 'online', null, WAIT);
}

function conversationNamed(page, name) {
  return page.locator('#conversations .conversation', { has: page.locator('.name', { hasText: name }) });
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  parley = await startParley(join(ROOT, 'target', 'browser-tests-parley.log'));
  api = client(parley.base);
  adminToken = await api.login(DEMO.admin);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  adminContext = await browser.newContext({ viewport: { width: 1360, height: 820 } });
  admin = await adminContext.newPage();
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  if (parley) {
    await parley.stop();
  }
});

test('sign-in refuses a wrong password, then signs in and goes live', async () => {
  await admin.goto(`${parley.base}/inbox/`);
  await admin.fill('input[name=email]', DEMO.admin.email);
  await admin.fill('input[name=password]', 'not-the-password');
  await admin.click('#signin-form button[type=submit]');
  await admin.waitForSelector('#signin-error:has-text("Wrong e-mail or password.")', WAIT);
  await admin.fill('input[name=password]', DEMO.admin.password);
  await shot(admin, 'sign-in');
  await admin.click('#signin-form button[type=submit]');
  await admin.waitForSelector('#app:not([hidden])', WAIT);
  await admin.waitForFunction(() => document.body.dataset.live === 'online', null, WAIT);
  assert.equal(await admin.textContent('#me-name'), 'Demo Admin');
  await admin.waitForSelector('#simulate:not([hidden])', WAIT); // the demo offers the simulated customer
});

test('a customer message appears live, with its unread badge and a notification', async () => {
  const answer = await api.call('POST', '/api/v1/demo/customer_messages', adminToken,
    { text: 'Hello! Is my order *on its way*?', wa_id: '15550100077', name: 'Carla Customer' });
  assert.equal(answer.status, 202, JSON.stringify(answer.json));
  const row = conversationNamed(admin, 'Carla Customer');
  await row.waitFor(WAIT);
  assert.match(await row.locator('.preview').textContent(), /Is my order/);
  assert.equal(await row.locator('.badge').textContent(), '1');
  await admin.waitForSelector('.toast:has-text("Carla Customer wrote")', WAIT);
});

test('with notifications allowed, a new customer message raises a browser notification', async () => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
  // a stand-in for the browser's Notification API that records what the inbox shows
  await context.addInitScript(() => {
    window.shown = [];
    window.Notification = class {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, options) { window.shown.push({ title, body: options && options.body }); }
    };
  });
  const page = await context.newPage();
  try {
    await signIn(page, DEMO.agent);
    const answer = await api.call('POST', '/api/v1/demo/customer_messages', adminToken,
      { text: 'Do you have gift wrapping?', wa_id: '15550100066', name: 'Nora Notify' });
    assert.equal(answer.status, 202);
    await page.waitForFunction(() => window.shown.some((n) => n.title === 'Nora Notify wrote'), null, WAIT);
    const shown = await page.evaluate(() => window.shown.find((n) => n.title === 'Nora Notify wrote'));
    assert.equal(shown.body, 'Do you have gift wrapping?');
    assert.equal(await page.locator('.toast', { hasText: 'Nora Notify wrote' }).count(), 0, 'not also in the page');
  } finally {
    await context.close();
  }
});

test('the simulate-customer control makes a customer write', async () => {
  await admin.fill('#simulate-text', 'Second question: can I change the address?');
  await admin.click('#simulate-form button[type=submit]');
  await admin.waitForSelector('#conversations .conversation .preview:has-text("change the address")', WAIT);
});

test('a reply goes out and its ticks move to read', async () => {
  await conversationNamed(admin, 'Carla Customer').click();
  await admin.waitForSelector('#message-list .message.inbound:has-text("Is my order")', WAIT);
  assert.equal(await admin.textContent('#message-list .message.inbound strong'), 'on its way', 'WhatsApp bold');
  await admin.waitForSelector('#composer-reason-text:has-text("Take it to reply")', WAIT);
  assert.equal(await admin.isDisabled('#text'), true);
  await admin.click('#composer-action');
  await admin.waitForFunction(() => !document.getElementById('text').disabled, null, WAIT);
  await admin.fill('#text', 'Thanks Carla, it ships _today_.');
  await admin.press('#text', 'Enter');
  const reply = admin.locator('#message-list .message.outbound', { hasText: 'it ships' });
  await reply.waitFor(WAIT);
  await reply.locator('.tick[data-status="read"]').waitFor(WAIT);
  assert.equal(await reply.locator('em').textContent(), 'today');
  // the unread badge went away when the assignee read the conversation
  await admin.waitForFunction(() => !document.querySelector('#conversations .conversation.current .badge'), null, WAIT);
  await shot(admin, 'inbox');
});

test('canned responses by short code, a quoted reply, a reaction, and close then reopen', async () => {
  await admin.fill('#text', '/hel');
  await admin.waitForSelector('#canned li[data-code="hello"]', WAIT);
  await admin.press('#text', 'Enter');
  await admin.waitForFunction(() => document.getElementById('text').value.startsWith('Hi Carla, thanks for writing!'), null, WAIT);
  assert.match(await admin.inputValue('#text'), /I'm Demo Admin\./);
  const question = admin.locator('#message-list .message.inbound', { hasText: 'Is my order' });
  await question.hover();
  await question.locator('button.reply').click();
  await admin.waitForSelector('#reply-preview:not([hidden])', WAIT);
  await admin.press('#text', 'Enter');
  const quoted = admin.locator('#message-list .message.outbound', { hasText: 'thanks for writing' });
  await quoted.locator('.quoted', { hasText: 'Is my order' }).waitFor(WAIT);
  await question.hover();
  await question.locator('button.react').click();
  await question.locator('.palette button', { hasText: '👍' }).click();
  await question.locator('.reactions', { hasText: '👍' }).waitFor(WAIT);

  await admin.click('#t-close');
  await admin.waitForSelector('#composer-reason-text:has-text("This conversation is closed")', WAIT);
  assert.equal(await admin.isDisabled('#text'), true);
  await admin.click('#composer-action'); // Reopen
  await admin.waitForFunction(() => !document.getElementById('text').disabled, null, WAIT);
  await admin.waitForSelector('#message-list .message.system:has-text("reopened")', WAIT);
});

test('attachments are checked before the upload, the server\'s refusal is shown, and a good one is sent', async () => {
  await admin.setInputFiles('#file', { name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') });
  await admin.waitForSelector('#composer-error:has-text("does not take files of type application/x-msdownload")', WAIT);
  await admin.setInputFiles('#file', { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
  await admin.click('#send');
  await admin.waitForSelector('#composer-error:has-text("Upload refused")', WAIT);
  assert.equal(await admin.getAttribute('#composer-error', 'data-code'), 'media_content_mismatch');
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await admin.setInputFiles('#file', { name: 'dot.png', mimeType: 'image/png', buffer: png });
  await admin.fill('#text', 'Here is the label');
  await admin.click('#send');
  const image = admin.locator('#message-list .message.outbound[data-type="image"]', { hasText: 'Here is the label' });
  await image.waitFor(WAIT);
  await image.locator('img[src^="blob:"]').waitFor(WAIT);
  await image.locator('.tick[data-status="read"]').waitFor(WAIT);
});

test('a second agent cannot send in a conversation it does not own', async () => {
  const agentContext = await browser.newContext({ viewport: { width: 1360, height: 820 } });
  const agent = await agentContext.newPage();
  try {
    await signIn(agent, DEMO.agent);
    await conversationNamed(agent, 'Carla Customer').click();
    await agent.waitForSelector('#composer-reason-text:has-text("Assigned to Demo Admin: only the assignee can send.")', WAIT);
    assert.equal(await agent.isDisabled('#text'), true);
    assert.equal(await agent.isDisabled('#send'), true);
    assert.equal(await agent.isVisible('#composer-action'), false, 'an agent cannot take it over');
    await shot(agent, 'not-the-owner');
    // and the server refuses it as well
    const agentToken = await api.login(DEMO.agent);
    const conversation = await agent.evaluate(() => location.hash.slice(1));
    const refused = await api.call('POST', `/api/v1/conversations/${conversation}/messages`, agentToken,
      { type: 'text', text: { body: 'sneaky' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'not_owner');
  } finally {
    await agentContext.close();
  }
});

test('when the service window closes the composer switches to templates', async () => {
  // the customer wrote 23 h 59 min 35 s ago (provider time): the window closes in 25 s
  const timestamp = Math.floor(Date.now() / 1000) - 24 * 3600 + 25;
  await api.customerWebhook({ waId: '15550100088', name: 'Wendy Window', text: 'Are you open on Sunday?', timestamp });
  await conversationNamed(admin, 'Wendy Window').click();
  await admin.waitForSelector('#composer-reason-text:has-text("Take it to reply")', WAIT);
  await admin.click('#composer-action');
  await admin.waitForSelector('#text-form:not([hidden])', WAIT);
  assert.match(await admin.textContent('#t-window'), /closes in/);
  await admin.waitForSelector('#template-form:not([hidden])', { timeout: 60_000 });
  assert.equal(await admin.isVisible('#text-form'), false);
  assert.match(await admin.textContent('#composer-reason-text'), /only an approved template can be sent/);
  assert.match(await admin.textContent('#t-window'), /closed/);
  await admin.selectOption('#template-select', { label: 'hello_world (en_US)' });
  await admin.waitForSelector('#template-preview:has-text("Hello World")', WAIT);
  await shot(admin, 'window-closed-templates');
  await admin.click('#template-send');
  await admin.locator('#message-list .message.outbound[data-type="template"]').waitFor(WAIT);
});

test('older history loads when scrolling up', async () => {
  for (let i = 1; i <= 60; i++) {
    const answer = await api.call('POST', '/api/v1/demo/customer_messages', adminToken,
      { text: `History line ${i}`, wa_id: '15550100099', name: 'Hugo History' });
    assert.equal(answer.status, 202);
  }
  await conversationNamed(admin, 'Hugo History').click();
  await admin.waitForSelector('#message-list .message:has-text("History line 60")', WAIT);
  assert.equal(await admin.locator('#message-list .message.inbound').count(), 50, 'one page first');
  await admin.evaluate(() => { document.getElementById('messages').scrollTop = 0; });
  await admin.waitForFunction(() => document.querySelectorAll('#message-list .message.inbound').length === 60, null, WAIT);
  const order = await admin.locator('#message-list .message.inbound .bubble').allTextContents();
  assert.deepEqual(order.slice(0, 3), ['History line 1', 'History line 2', 'History line 3'], 'oldest first');
});

test('after a dropped connection the inbox reconnects and resumes without losing a message', async () => {
  await conversationNamed(admin, 'Carla Customer').click();
  await admin.waitForSelector('#message-list .message.outbound:has-text("it ships")', WAIT);
  await adminContext.setOffline(true);
  await admin.waitForSelector('#offline:not([hidden])', WAIT);
  await shot(admin, 'offline');
  const missed = 'Are you still there? (sent while the inbox was offline)';
  const answer = await api.call('POST', '/api/v1/demo/customer_messages', adminToken,
    { text: missed, wa_id: '15550100077', name: 'Carla Customer' });
  assert.equal(answer.status, 202);
  await admin.waitForTimeout(1000);
  assert.equal(await admin.locator('#message-list .message', { hasText: 'sent while the inbox was offline' }).count(), 0);
  await adminContext.setOffline(false);
  await admin.waitForSelector('#offline', { state: 'hidden', timeout: 20_000 });
  await admin.locator('#message-list .message.inbound', { hasText: 'sent while the inbox was offline' }).waitFor(WAIT);
  await admin.waitForTimeout(500);
  assert.equal(await admin.locator('#message-list .message', { hasText: 'sent while the inbox was offline' }).count(), 1,
    'resumed exactly once');
});
