// The web UI as a chat, in headless Chromium: node web-ui-chat.test.mjs URL [SCREENSHOT_DIR]
// A two-turn conversation whose second request carries the first turn (and the settings set in the
// page), regenerate and edit-and-resend, a reload that keeps the conversation and the settings, the
// sidebar (new chat, rename, delete), markdown rendered and sanitised (a stored answer with a
// <script> and an onerror handler runs neither), a long transcript that scrolls inside its pane while
// the header, composer and swarm panel stay on screen, at desktop and phone sizes; screenshots of both.
// Prints "FACT name=value" lines for the Java test; exits 1 on the first failed expectation.
import { chromium } from 'playwright-core';

const [url, shots = 'target'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node web-ui-chat.test.mjs URL [SCREENSHOT_DIR]');
  process.exit(2);
}
const STEP_MS = 30000;
const INFERENCE = 'swarm.public.inference';

function fact(name, value) {
  console.log(`FACT ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

/** Sends a message and waits for its answer to end; returns the answer bubble's figures. */
async function ask(page, prompt) {
  const before = await page.$$eval('#transcript .message.assistant', (all) => all.length);
  await page.fill('#prompt', prompt);
  await page.click('#send');
  return lastAnswer(page, before);
}

async function lastAnswer(page, before) {
  await page.waitForFunction((n) => {
    const answers = document.querySelectorAll('#transcript .message.assistant');
    return answers.length > n && answers[answers.length - 1].dataset.finish;
  }, before, { timeout: STEP_MS });
  return page.$eval('#transcript .message.assistant:last-of-type', (m) => ({
    finish: m.dataset.finish, tokens: Number(m.dataset.tokens || 0), promptTokens: Number(m.dataset.promptTokens || 0),
    text: m.querySelector('.text').textContent, meta: m.querySelector('.meta').textContent,
  }));
}

const messageTexts = (page) => page.$$eval('#transcript .message', (all) => all.map((m) => m.querySelector('.text').textContent));
const chatTitles = (page) => page.$$eval('#chat-list li', (all) => all.map((li) => li.textContent.replace(/[✎×]/g, '').trim()));

/** Where the fixed parts of the page are, and whether the page or only the transcript scrolls. */
const layout = (page) => page.evaluate(() => {
  const box = (id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, visible: r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1 };
  };
  const transcript = document.getElementById('transcript');
  return {
    pageScrolls: document.scrollingElement.scrollHeight > innerHeight + 1,
    pageScrollsSideways: document.scrollingElement.scrollWidth > innerWidth + 1,
    transcriptScrolls: transcript.scrollHeight > transcript.clientHeight + 10,
    header: box('connection').visible, composer: box('composer').visible, send: box('send').visible,
    swarm: getComputedStyle(document.getElementById('swarm')).display === 'none' ? 'drawer' : box('swarm').visible,
  };
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  // What the page asks the node: the bodies of the inference requests it writes on the bridge.
  const requests = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => {
    try {
      const json = JSON.parse(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString());
      if (json.type === 'send' && json.address === INFERENCE) requests.push(json.body);
    } catch (e) {
      // not a JSON frame
    }
  }));

  await page.goto(url, { timeout: STEP_MS });
  await page.waitForSelector('#connection.on', { timeout: STEP_MS });
  await page.waitForFunction(() => document.getElementById('swarm-status').textContent === 'ready', null, { timeout: STEP_MS });
  fact('chats_at_start', (await chatTitles(page)).length);
  fact('node_cards', await page.$$eval('#swarm-nodes .node', (all) => all.map((n) => ({
    id: n.dataset.nodeId, hover: n.querySelector('.node-head strong').title,
    address: n.querySelector('.address').textContent, backend: n.querySelector('.node-head .muted').textContent.trim() }))));
  // Settings: the sampling fields, a system prompt and a stop string.
  await page.click('#toggle-settings');
  await page.fill('#system-prompt', 'You are a terse assistant.');
  await page.fill('#top-p', '0.9');
  await page.fill('#top-k', '5');
  await page.fill('#min-p', '0.1');
  await page.fill('#repeat-penalty', '1.1');
  await page.fill('#seed', '42');
  await page.fill('#stop-strings', 'zzqq\n###');
  await page.$eval('#temperature', (t) => { t.value = '0.5'; t.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.fill('#max-tokens', '24');
  fact('max_tokens_bound', await page.$eval('#max-tokens', (m) => m.max));
  await page.click('#toggle-settings');

  const first = await ask(page, 'What is artificial intelligence?');
  const second = await ask(page, 'Tell me more about it');
  fact('first_finish', first.finish);
  fact('second_finish', second.finish);
  expect(first.finish !== 'error' && second.finish !== 'error', `an answer failed: ${first.meta} / ${second.meta}`);
  fact('requests', requests.length);
  const [r1, r2] = requests;
  fact('first_roles', r1.messages.map((m) => m.role).join(','));
  fact('second_roles', r2.messages.map((m) => m.role).join(','));
  fact('second_carries_first_question', r2.messages[1].content === 'What is artificial intelligence?');
  fact('second_carries_first_answer', r2.messages[2].content === first.text.trim() || r2.messages[2].content.trim() === first.text.trim());
  fact('second_last', r2.messages[3].content);
  fact('system_message', r2.messages[0].content);
  fact('sampling', { temperature: r2.temperature, top_p: r2.top_p, top_k: r2.top_k, min_p: r2.min_p,
    repeat_penalty: r2.repeat_penalty, seed: r2.seed, stop: r2.stop, max_tokens: r2.max_tokens });
  fact('first_prompt_tokens', first.promptTokens);
  fact('first_answer_tokens', first.tokens);
  fact('second_prompt_tokens', second.promptTokens);
  fact('chat_titles', (await chatTitles(page)).join('|'));
  await page.screenshot({ path: `${shots}/web-ui-desktop.png` }); // the two-turn conversation, its route and timings

  // The Java side now publishes a breaker event on the node's bridge (as SwarmEvents does when a
  // breaker opens): the event list must show it.
  fact('awaiting_incident', true);
  await page.waitForFunction(() => [...document.querySelectorAll('#events li span')].some((e) => e.textContent.includes('circuit breaker')),
    null, { timeout: STEP_MS });
  fact('incident_event', await page.$eval('#events li span', (e) => e.textContent));

  // Regenerate the last answer: the same turns are asked again, the answer replaced, not added.
  const beforeRegenerate = requests.length;
  await page.click('#transcript .message.assistant:last-of-type .regenerate');
  const again = await lastAnswer(page, 1);
  fact('regenerate_finish', again.finish);
  fact('regenerate_roles', requests[beforeRegenerate].messages.map((m) => m.role).join(','));
  fact('messages_after_regenerate', (await messageTexts(page)).length);

  // A reload keeps the conversation, which chat is open, and the settings.
  const before = await messageTexts(page);
  await page.reload();
  await page.waitForSelector('#connection.on', { timeout: STEP_MS });
  const after = await messageTexts(page);
  fact('reload_keeps_conversation', JSON.stringify(before) === JSON.stringify(after) && after.length === 4);
  fact('reload_keeps_settings', await page.evaluate(() => [document.getElementById('top-k').value,
    document.getElementById('system-prompt').value, document.getElementById('temperature').value].join('|')));

  // The sidebar: rename, a new chat, edit-and-resend in it, delete.
  await page.click('#chat-list li .rename');
  await page.fill('#chat-list .rename-input', 'About AI');
  await page.press('#chat-list .rename-input', 'Enter');
  fact('renamed', (await chatTitles(page)).join('|'));
  await page.click('#new-chat');
  fact('new_chat_transcript', (await messageTexts(page)).length);
  await ask(page, 'Hello there');
  await page.click('#transcript .message.user .edit');
  await page.fill('#prompt', 'What is a computer?');
  const beforeEdit = requests.length;
  await page.click('#send');
  const edited = await lastAnswer(page, 0);
  fact('edit_finish', edited.finish);
  fact('edit_request', requests[beforeEdit].messages.map((m) => `${m.role}:${m.role === 'user' ? m.content : ''}`).join(','));
  fact('messages_after_edit', (await messageTexts(page)).length);
  fact('chats_before_delete', (await chatTitles(page)).join('|'));
  await page.click('#chat-list li.active .delete');
  fact('chats_after_delete', (await chatTitles(page)).join('|'));
  fact('stored_after_delete', await page.evaluate(() => JSON.parse(localStorage.getItem('llmswarm-conversations'))
    .conversations.map((c) => c.title).join('|')));

  // An answer with markdown and markup that must not run (model output is untrusted), as stored.
  await page.evaluate(() => {
    const store = JSON.parse(localStorage.getItem('llmswarm-conversations'));
    const hostile = '# A heading\n\nSome **bold** text and `inline code`.\n\n```js\nconsole.log(1);\n```\n\n'
      + '<script>window.pwned = "script"</script>\n\n<img src="data:image/png;base64,AAAA" onerror="window.pwned = \'onerror\'">\n\n'
      + '[a link](javascript:window.pwned=\'link\')';
    store.conversations.push({ id: 'markdown-test', title: 'Markdown', updated: Date.now() + 1000,
      messages: [{ role: 'user', content: '<b>not bold</b>' }, { role: 'assistant', content: hostile, finish: 'stop' }] });
    store.active = 'markdown-test';
    localStorage.setItem('llmswarm-conversations', JSON.stringify(store));
  });
  await page.reload();
  await page.waitForSelector('#transcript .markdown h1', { timeout: STEP_MS });
  await page.waitForTimeout(500); // the image's error event, had its handler survived
  fact('markdown', await page.$eval('#transcript .message.assistant .markdown', (m) => ({
    h1: m.querySelector('h1')?.textContent, bold: m.querySelector('strong')?.textContent,
    code: m.querySelector('pre code')?.textContent, copyButtons: m.querySelectorAll('pre .copy-code').length,
    scripts: m.querySelectorAll('script').length, handlers: m.querySelectorAll('[onerror]').length,
    jsLinks: [...m.querySelectorAll('a')].filter((a) => (a.getAttribute('href') || '').startsWith('javascript')).length,
  })));
  fact('user_markup_as_text', await page.$eval('#transcript .message.user .text', (t) => t.children.length === 0
    && t.textContent === '<b>not bold</b>'));
  fact('pwned', await page.evaluate(() => String(window.pwned)));

  // A long conversation (as after many exchanges): only the transcript scrolls.
  await page.evaluate(() => {
    const store = JSON.parse(localStorage.getItem('llmswarm-conversations'));
    const messages = [];
    for (let i = 0; i < 14; i++) {
      messages.push({ role: 'user', content: `Question ${i}` });
      messages.push({ role: 'assistant', content: `Answer ${i}\n\n- one\n- two\n- three\n\nThe end of answer ${i}.`, finish: 'stop' });
    }
    store.conversations.push({ id: 'long-test', title: 'Long', updated: Date.now() + 2000, messages });
    store.active = 'long-test';
    localStorage.setItem('llmswarm-conversations', JSON.stringify(store));
  });
  await page.reload();
  await page.waitForSelector('#connection.on', { timeout: STEP_MS });
  fact('desktop_layout', await layout(page));
  await page.$eval('#transcript', (t) => { t.scrollTop = 0; });
  fact('desktop_layout_scrolled_up', await layout(page));

  // Dark mode follows the system.
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const light = await background();
  await page.emulateMedia({ colorScheme: 'dark' });
  fact('dark_mode_changes_background', light !== await background());
  await page.emulateMedia({ colorScheme: 'light' });

  // Phone size: one column, the composer still on screen, the panels as drawers.
  await page.setViewportSize({ width: 390, height: 844 });
  fact('phone_layout', await layout(page));
  await page.click('#toggle-swarm');
  fact('phone_swarm_drawer', await page.$eval('#swarm', (s) => getComputedStyle(s).display !== 'none'
    && s.querySelectorAll('.node').length));
  await page.click('#toggle-swarm');
  await page.click('#toggle-chats');
  await page.click('#chat-list li:has-text("About AI") .chat-title');
  await page.waitForFunction(() => document.querySelectorAll('#transcript .message').length === 4, null, { timeout: STEP_MS });
  await page.screenshot({ path: `${shots}/web-ui-phone.png` });

  fact('page_errors', pageErrors.length);
  expect(pageErrors.length === 0, `errors in the page: ${pageErrors.join(' | ')}`);
  console.log('OK');
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
