// Drives the web chat UI in headless Chromium: node web-ui.test.mjs URL [SCREENSHOT]
// Loads the page, checks the swarm panel, sends a prompt and watches the tokens stream in, stops a
// second, long generation, then (after printing "FACT awaiting_leave=true", when the Java test
// stops the other node) waits for the panel to show the swarm not ready. Prints "FACT name=value"
// lines for the Java test that runs it; exits 1 with a message on the first failed expectation.
import { chromium } from 'playwright-core';

const [url, screenshot = 'target/web-ui.png'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node web-ui.test.mjs URL [SCREENSHOT]');
  process.exit(2);
}
const STEP_MS = 30000;
const STOP_MAX_TOKENS = 200;

function fact(name, value) {
  console.log(`FACT ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });

  await page.goto(url, { timeout: STEP_MS });
  fact('title', await page.title());
  await page.waitForSelector('#connection.on', { timeout: STEP_MS });

  // The swarm panel: every node with its layers as a bar over 0..N-1, and readiness.
  await page.waitForFunction(() => document.querySelectorAll('#swarm-nodes .node.ready').length >= 2,
    null, { timeout: STEP_MS });
  const nodes = await page.$$eval('#swarm-nodes .node', (all) => all.map((n) => ({
    id: n.dataset.nodeId,
    bar: [...n.querySelectorAll('.layer-bar .cell')].map((c) => (c.classList.contains('held') ? '1' : '0')).join(''),
  })));
  fact('nodes', nodes.length);
  fact('layer_bars', nodes.map((n) => n.bar).sort().join(','));
  fact('swarm_status', (await page.textContent('#swarm-status')).trim());
  fact('model', (await page.textContent('#model-name')).trim());

  // Watch the answer's text change as tokens arrive.
  await page.evaluate(() => {
    window.answerUpdates = [];
    new MutationObserver(() => {
      const text = document.querySelector('#transcript .message.assistant:last-of-type .text');
      const last = window.answerUpdates[window.answerUpdates.length - 1];
      if (text && text.textContent && text.textContent !== last) window.answerUpdates.push(text.textContent);
    }).observe(document.getElementById('transcript'), { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#prompt', 'What is artificial intelligence?');
  await page.click('#send');
  await page.waitForSelector('#transcript .message.assistant[data-finish]', { timeout: STEP_MS });
  const answer = await page.$eval('#transcript .message.assistant:last-of-type', (m) => ({
    text: m.querySelector('.text').textContent, finish: m.dataset.finish, tokens: Number(m.dataset.tokens),
    meta: m.querySelector('.meta').textContent,
  }));
  const updates = await page.evaluate(() => window.answerUpdates.length);
  fact('answer', answer.text.trim());
  fact('answer_finish', answer.finish);
  fact('answer_tokens', answer.tokens);
  fact('answer_updates', updates);
  expect(answer.finish !== 'error', `the answer failed: ${answer.meta}`);
  const shardRows = await page.$$eval('#shard-stats tbody tr', (rows) => rows.map((r) => r.textContent));
  fact('shard_rows', shardRows.length);
  fact('rate', (await page.textContent('#stat-rate')).trim());
  await page.screenshot({ path: screenshot, fullPage: true });

  // A long generation, stopped by the Stop button as soon as its third token shows. The click runs
  // in the page when the DOM changes: a generation of this tiny model ends quicker than a round
  // trip through Playwright would take.
  await page.check('#ignore-eos');
  await page.fill('#max-tokens', String(STOP_MAX_TOKENS));
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      const answer = document.querySelector('#transcript .message.assistant:last-of-type');
      if (answer && Number(answer.dataset.tokens || 0) >= 3 && !answer.dataset.finish) {
        observer.disconnect();
        document.getElementById('stop').click();
      }
    });
    observer.observe(document.getElementById('transcript'), { subtree: true, attributes: true, attributeFilter: ['data-tokens'] });
  });
  await page.fill('#prompt', 'Tell me about the sea');
  await page.click('#send');
  await page.waitForSelector('#transcript .message.assistant:last-of-type[data-finish][data-request-id]', { timeout: STEP_MS });
  const stopped = await page.$eval('#transcript .message.assistant:last-of-type', (m) => ({
    finish: m.dataset.finish, tokens: Number(m.dataset.tokens), requestId: m.dataset.requestId,
  }));
  await page.waitForTimeout(500);
  const later = await page.$eval('#transcript .message.assistant:last-of-type', (m) => Number(m.dataset.tokens));
  fact('stop_finish', stopped.finish);
  fact('stop_tokens', stopped.tokens);
  fact('stop_tokens_later', later);
  fact('stop_request_id', stopped.requestId);
  fact('stop_button_disabled', await page.isDisabled('#stop'));
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-stopped.png'), fullPage: true });
  expect(stopped.finish === 'stopped', `the second generation ended as ${stopped.finish}, not stopped`);

  // The Java side now stops the node that does not serve this page: the panel must show it live.
  fact('awaiting_leave', true);
  await page.waitForFunction(() => document.getElementById('swarm-status').textContent === 'not ready',
    null, { timeout: STEP_MS });
  await page.waitForFunction(() => [...document.querySelectorAll('#events li span')].some((e) => e.textContent.includes(' left')),
    null, { timeout: STEP_MS });
  fact('left_summary', (await page.textContent('#swarm-summary')).trim());
  fact('left_nodes', await page.$$eval('#swarm-nodes .node', (all) => all.length));
  fact('left_coverage', await page.$$eval('#coverage .cell', (cells) => cells.map((c) => (c.classList.contains('missing') ? 'x' : '1')).join('')));
  fact('left_events', await page.$$eval('#events li span', (items) => items.map((e) => e.textContent).join(' | ')));
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-node-left.png'), fullPage: true });
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
