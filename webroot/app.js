// LLM Swarm chat page. It talks to the node that served it: generations over the event-bus bridge
// (the raw WebSocket transport of the SockJS handler at /eventbus/websocket, with Vert.x's JSON
// frames), the swarm once from GET /api/swarm (and again after each reconnect), then from the swarm
// events the bridge pushes. Conversations and settings are kept in this browser (localStorage).
'use strict';

const INFERENCE = 'swarm.public.inference';
const TOKENS_PREFIX = 'swarm.public.tokens.';
const EVENTS = 'swarm.public.events';
const PING_MS = 5000;
const RECONNECT_MS = 2000;
const REQUEST_TIMEOUT_MS = 30000;
const FETCH_TIMEOUT_MS = 10000;
/** A generation that sends nothing for this long is given up (and cancelled): a request never hangs. */
const STREAM_IDLE_MS = 60000;
const CONVERSATIONS_KEY = 'llmswarm-conversations';
const SETTINGS_KEY = 'llmswarm-settings';
const API_KEY_KEY = 'llmswarm-api-key';

const $ = (id) => document.getElementById(id);
const decoder = new TextDecoder();

/** A random id the server cannot confuse with another client's: 32 hex digits. */
function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  children.forEach((child) => node.append(child));
  return node;
}

/**
 * A minimal Vert.x event-bus bridge client: register, unregister, request. When the socket drops it
 * reconnects; frames written meanwhile wait in order and go out once it is open again (after the
 * registrations), so a prompt sent while reconnecting is not lost; a request that gets no reply
 * within REQUEST_TIMEOUT_MS fails instead of waiting forever.
 */
class Bus {
  constructor(url, onState) {
    this.url = url;
    this.onState = onState;
    this.handlers = new Map();
    this.replies = new Map();
    this.outbox = [];
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    this.socket = new WebSocket(this.url);
    this.socket.binaryType = 'arraybuffer'; // the bridge's raw transport sends binary frames of UTF-8 JSON
    this.socket.onopen = () => {
      this.onState(true);
      this.ping = setInterval(() => this.write({ type: 'ping' }), PING_MS);
      for (const address of this.handlers.keys()) this.socket.send(JSON.stringify({ type: 'register', address }));
      const waiting = this.outbox.splice(0);
      waiting.forEach((frame) => this.socket.send(JSON.stringify(frame)));
    };
    this.socket.onmessage = (event) => this.receive(JSON.parse(typeof event.data === 'string'
      ? event.data : decoder.decode(event.data)));
    this.socket.onclose = () => {
      clearInterval(this.ping);
      this.onState(false);
      // The bridge cancels what this connection ran: streams in flight end, their replies will not come.
      for (const { reject } of this.replies.values()) reject(new Error('the connection to the node closed'));
      this.replies.clear();
      for (const [address, handler] of this.handlers) {
        if (address.startsWith(TOKENS_PREFIX)) {
          this.handlers.delete(address);
          handler({ type: 'error', error: 'the connection to the node closed' });
        }
      }
      this.outbox = this.outbox.filter((frame) => frame.type !== 'ping');
      if (!this.stopped) setTimeout(() => this.connect(), RECONNECT_MS);
    };
  }

  /** Stops for good (a node that wants an API key this page does not have). */
  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }

  write(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
    else if (frame.type !== 'ping') this.outbox.push(frame);
  }

  receive(frame) {
    const pending = frame.address && this.replies.get(frame.address);
    if (pending) {
      this.replies.delete(frame.address);
      clearTimeout(pending.timer);
      if (frame.type === 'err') pending.reject(new Error(frame.message || frame.body || 'failed'));
      else pending.resolve(frame.body);
    } else if (frame.type === 'rec') {
      const handler = this.handlers.get(frame.address);
      if (handler) handler(frame.body);
    } else if (frame.type === 'err') {
      logEvent(`bridge refused: ${frame.body || frame.message}`);
    }
  }

  register(address, handler) {
    this.handlers.set(address, handler);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.write({ type: 'register', address });
    // otherwise the registration goes out with the others when the socket opens
  }

  unregister(address) {
    if (this.handlers.delete(address)) this.write({ type: 'unregister', address });
  }

  request(address, body, timeoutMs = REQUEST_TIMEOUT_MS) {
    const replyAddress = randomId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.replies.delete(replyAddress)) {
          reject(new Error(`the node did not answer within ${Math.round(timeoutMs / 1000)} s`));
        }
      }, timeoutMs);
      this.replies.set(replyAddress, { resolve, reject, timer });
      this.write({ type: 'send', address, body, replyAddress });
    });
  }
}

// ---- storage: conversations and settings, in this browser ----

function readJson(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key));
    return value === null ? fallback : value;
  } catch (e) {
    return fallback; // unreadable (edited by hand, another version): start afresh rather than break the page
  }
}

/** {conversations: [{id, title, updated, messages: [{role, content, finish?, meta?, ...}]}], active} */
const store = (() => {
  const saved = readJson(CONVERSATIONS_KEY, {});
  const conversations = Array.isArray(saved.conversations)
    ? saved.conversations.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages)) : [];
  return { conversations, active: saved.active || null };
})();

function saveConversations() {
  try {
    localStorage.setItem(CONVERSATIONS_KEY, JSON.stringify(store));
  } catch (e) {
    logEvent(`could not keep the conversation in this browser: ${e.message}`);
  }
}

function activeConversation() {
  return store.conversations.find((c) => c.id === store.active) || null;
}

function titleOf(text) {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line || 'New chat';
}

/** The settings fields: element id -> request key and how its value is read. */
const SETTINGS = [
  { id: 'temperature', key: 'temperature', kind: 'number', always: true },
  { id: 'max-tokens', key: 'max_tokens', kind: 'integer', always: true },
  { id: 'chat-format', kind: 'checkbox' },
  { id: 'ignore-eos', key: 'ignore_eos', kind: 'checkbox' },
  { id: 'system-prompt', kind: 'text' },
  { id: 'top-p', key: 'top_p', kind: 'number' },
  { id: 'top-k', key: 'top_k', kind: 'integer' },
  { id: 'min-p', key: 'min_p', kind: 'number' },
  { id: 'repeat-penalty', key: 'repeat_penalty', kind: 'number' },
  { id: 'seed', key: 'seed', kind: 'integer' },
  { id: 'stop-strings', kind: 'text' },
];

const settingDefaults = {};

function loadSettings() {
  SETTINGS.forEach((s) => {
    const input = $(s.id);
    settingDefaults[s.id] = s.kind === 'checkbox' ? input.checked : input.value;
  });
  const saved = readJson(SETTINGS_KEY, {});
  SETTINGS.forEach((s) => {
    if (!(s.id in saved)) return;
    if (s.kind === 'checkbox') $(s.id).checked = Boolean(saved[s.id]);
    else $(s.id).value = String(saved[s.id]);
  });
  showTemperature();
}

function saveSettings() {
  const values = {};
  SETTINGS.forEach((s) => { values[s.id] = s.kind === 'checkbox' ? $(s.id).checked : $(s.id).value; });
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(values));
}

function resetSettings() {
  SETTINGS.forEach((s) => {
    if (s.kind === 'checkbox') $(s.id).checked = settingDefaults[s.id];
    else $(s.id).value = settingDefaults[s.id];
  });
  showTemperature();
  saveSettings();
}

function showTemperature() {
  $('temperature-value').textContent = Number($('temperature').value).toFixed(2);
}

/** The sampling settings as request keys; an empty field is left to the node's default. */
function samplingSettings() {
  const request = {};
  for (const s of SETTINGS) {
    if (!s.key) continue;
    const input = $(s.id);
    if (s.kind === 'checkbox') {
      request[s.key] = input.checked;
    } else if (input.value.trim() !== '' || s.always) {
      const value = Number(input.value);
      if (!Number.isFinite(value) || (s.kind === 'integer' && !Number.isInteger(value))) {
        throw new Error(`${input.closest('label').firstChild.textContent.trim()} must be ${s.kind === 'integer' ? 'a whole number' : 'a number'}`);
      }
      request[s.key] = value;
    }
  }
  const stops = $('stop-strings').value.split('\n').filter((line) => line !== '');
  if (stops.length) request.stop = stops;
  return request;
}

// ---- markdown: model output is untrusted, so it is sanitised before it reaches the page ----

function renderMarkdown(target, source) {
  if (!window.marked || !window.DOMPurify) { // the vendor scripts did not load: plain text is still safe
    target.textContent = source;
    return;
  }
  target.innerHTML = DOMPurify.sanitize(marked.parse(source, { gfm: true, breaks: true }));
  target.querySelectorAll('a[href]').forEach((a) => { a.target = '_blank'; a.rel = 'noopener noreferrer'; });
  target.querySelectorAll('pre').forEach((pre) => {
    const code = pre.querySelector('code') || pre;
    const copy = el('button', { type: 'button', class: 'copy-code', text: 'Copy', title: 'copy this code' });
    copy.addEventListener('click', () => copyText(code.textContent, copy));
    pre.prepend(copy);
  });
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) { // no clipboard API (an http page on another host): the old way
    const area = el('textarea', { class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  const label = button.textContent;
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = label; }, 1200);
}

// ---- swarm panel ----

let swarm = null;
const liveShards = new Map(); // "node[layers]" -> {steps, totalMs, lastMs, ...}
const nodeCards = new Map(); // node id -> {key, card}: a card is rebuilt only when its node changed
let coverageKey = '';

function logEvent(text, kind = 'info') {
  const list = $('events');
  list.prepend(el('li', { class: kind }, el('time', { text: new Date().toLocaleTimeString() }), ' ', el('span', { text })));
  while (list.children.length > 30) list.lastChild.remove();
}

/** One cell per layer 0..N-1, styled by {@code fill(layer)} ({cls, title}). */
function layerCells(blockCount, fill) {
  const cells = [];
  for (let layer = 0; layer < blockCount; layer++) {
    const state = fill(layer);
    cells.push(el('span', { class: `cell ${state.cls}`, title: `layer ${layer}${state.title ? ': ' + state.title : ''}` }));
  }
  return cells;
}

function nodeCard(s, n) {
  return el('div', { class: `node ${s.ready ? 'ready' : 'loading'}`, 'data-node-id': s.node_id },
    el('div', { class: 'node-head' },
      el('strong', { text: s.node_id.slice(0, 8), title: `node ${s.node_id}` }),
      el('span', { class: 'muted', text: ` ${s.backend}${s.threads ? ` · ${s.threads} thread${s.threads === 1 ? '' : 's'}` : ''}`
        + ` · layers ${s.layer_start}-${s.layer_end}` }),
      el('span', { class: `badge ${s.ready ? 'on' : 'off'}`, text: s.ready ? 'ready' : 'loading' })),
    el('div', { class: 'layer-bar' }, ...layerCells(n, (l) => (l >= s.layer_start && l <= s.layer_end ? { cls: 'held' } : { cls: '' }))),
    el('div', { class: 'node-foot muted' },
      el('span', { class: 'address', text: s.member_address || s.address || '',
        title: s.member_address ? `cluster address; its shard listens on ${s.address}` : 'its shard\'s event-bus address' }),
      el('span', { text: ` · load ${s.load} · ${s.capacity} free session slots` }),
      el('span', { class: 'live' })));
}

function renderSwarm(view) {
  swarm = view;
  const n = view.block_count;
  const status = $('swarm-status');
  status.textContent = view.ready ? 'ready' : 'not ready';
  status.className = `badge ${view.ready ? 'on' : 'off'}`;
  const missing = view.missing_layers || [];
  $('swarm-summary').textContent = `${view.shards.length} node${view.shards.length === 1 ? '' : 's'}, layers 0-${n - 1}`
    + (missing.length ? ` · missing layers ${missing.join(', ')}` : ' · every layer served');
  const counts = new Array(n).fill(0);
  view.shards.filter((s) => s.ready).forEach((s) => {
    for (let l = s.layer_start; l <= Math.min(s.layer_end, n - 1); l++) counts[l]++;
  });
  if (counts.join() !== coverageKey) {
    coverageKey = counts.join();
    $('coverage').replaceChildren(...layerCells(n, (l) => ({
      cls: counts[l] === 0 ? 'missing' : 'held', title: counts[l] === 0 ? 'missing' : `${counts[l]} ready shard(s)` })));
  }

  const present = new Set();
  const cards = view.shards.map((s) => {
    present.add(s.node_id);
    const key = JSON.stringify(s) + n;
    let entry = nodeCards.get(s.node_id);
    if (!entry || entry.key !== key) {
      entry = { key, card: nodeCard(s, n) };
      nodeCards.set(s.node_id, entry);
    }
    return entry.card;
  });
  [...nodeCards.keys()].filter((id) => !present.has(id)).forEach((id) => nodeCards.delete(id));
  const nodes = $('swarm-nodes');
  const same = cards.length === nodes.children.length && cards.every((card, i) => nodes.children[i] === card);
  if (!same) nodes.replaceChildren(...cards);
  showLiveSteps();
}

/** Each node card's latest step time while a request runs through it. */
function showLiveSteps() {
  for (const [id, { card }] of nodeCards) {
    const live = [...liveShards.values()].find((t) => t.nodeId === id);
    const text = live && live.steps > live.firstSteps ? ` · last step ${live.lastMs.toFixed(1)} ms` : '';
    const span = card.querySelector('.live');
    if (span.textContent !== text) span.textContent = text;
  }
}

/**
 * A node with API keys wants one on every API call: open the page as /#api_key=KEY (a fragment
 * never reaches a server or its logs); the key is kept for this tab only.
 */
const API_KEY = (() => {
  const match = /(?:^#|&)api_key=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(API_KEY_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(API_KEY_KEY);
})();
const AUTH = API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {};

let bus = null;
let keyAsked = false;

/**
 * The node wants an API key (401): say so plainly, stop reconnecting the bridge, and ask for the
 * key; it is kept for this tab only (sessionStorage) and the page starts again with it.
 */
function askForKey(refused) {
  if (keyAsked) return;
  keyAsked = true;
  if (bus) bus.stop();
  const connection = $('connection');
  connection.textContent = 'API key needed';
  connection.className = 'badge off';
  $('auth-message').textContent = refused
    ? 'The node refused this API key (401 Unauthorized). Enter a valid key.'
    : 'This node needs an API key (401 Unauthorized). Enter one to use it.';
  $('key-form').hidden = false;
  $('api-key').focus();
  logEvent(refused ? 'the API key was refused (401)' : 'this node needs an API key (401)', 'bad');
}

function useKey(event) {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  sessionStorage.setItem(API_KEY_KEY, key);
  location.reload();
}

/** A GET to the node with the key, given up after FETCH_TIMEOUT_MS; null after a 401 (the key is asked for). */
async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store', headers: AUTH, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (response.status === 401) {
    askForKey(Boolean(API_KEY));
    return null;
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** The whole swarm view, at start and after each reconnect; between them the bridge pushes changes. */
async function loadSwarm() {
  if (keyAsked) return;
  try {
    const view = await getJson('api/swarm');
    if (view) renderSwarm(view);
  } catch (e) {
    $('swarm-status').textContent = 'unreachable';
    $('swarm-status').className = 'badge off';
  }
}

const short = (id) => String(id).slice(0, 8);

function onSwarmEvent(event) {
  switch (event.type) {
    case 'failover':
      logEvent(`fail-over: ${event.reason}; request ${short(event.request_id)} takes a new route`
        + ` (attempt ${event.attempt})`, 'bad');
      return;
    case 'breaker':
      logEvent(event.state === 'open'
        ? `node ${short(event.node_id)} avoided: its circuit breaker opened after repeated faults`
        : `node ${short(event.node_id)}: circuit breaker ${event.state}`, event.state === 'open' ? 'bad' : 'info');
      return;
    default:
      (event.joined || []).forEach((j) => logEvent(`node ${short(j.node_id)} joined (layers ${j.layers})`, 'good'));
      (event.left || []).forEach((id) => logEvent(`node ${short(id)} left`, 'bad'));
      if (event.ready_changed) {
        logEvent(event.ready ? 'swarm ready' : `swarm not ready: missing layers ${event.missing_layers.join(', ')}`,
          event.ready ? 'good' : 'bad');
      }
      if (event.swarm) renderSwarm(event.swarm);
  }
}

// ---- request stats ----

function resetStats() {
  liveShards.clear();
  ['stat-tokens', 'stat-ttft', 'stat-rate', 'stat-route'].forEach((id) => { $(id).textContent = '–'; });
  $('shard-stats').tBodies[0].replaceChildren();
  $('route-path').replaceChildren();
}

/** Each hop's figures from the cumulative timings a token carries: the prompt step, the latest step, the decode mean. */
function updateShards(shards) {
  for (const s of shards) {
    const key = `${s.node_id}[${s.layers}]`;
    // The first sighting holds the prompt step (and, after a fail-over, a replay): later steps are decode steps.
    const before = liveShards.get(key) || { steps: 0, totalMs: 0, lastMs: 0, firstSteps: s.steps, firstMs: s.total_ms };
    const steps = s.steps - before.steps;
    const lastMs = steps > 0 ? (s.total_ms - before.totalMs) / steps : before.lastMs;
    liveShards.set(key, { ...before, nodeId: s.node_id, layers: s.layers, steps: s.steps, totalMs: s.total_ms, lastMs });
  }
  const hops = [...liveShards.values()].map((t) => {
    const decodeSteps = t.steps - t.firstSteps;
    return { ...t, decodeSteps, mean: decodeSteps > 0 ? (t.totalMs - t.firstMs) / decodeSteps : 0 };
  });
  $('shard-stats').tBodies[0].replaceChildren(...hops.map((t) => el('tr', { 'data-node-id': t.nodeId },
    el('td', { text: short(t.nodeId), title: `node ${t.nodeId}` }), el('td', { text: t.layers }),
    el('td', { text: String(t.steps) }), el('td', { text: t.firstMs.toFixed(1) }),
    el('td', { text: t.decodeSteps > 0 ? t.lastMs.toFixed(2) : '–' }),
    el('td', { text: t.mean > 0 ? t.mean.toFixed(2) : '–' }), el('td', { text: t.mean > 0 ? (1000 / t.mean).toFixed(0) : '–' }))));
  drawRoute(hops);
  $('stat-route').textContent = hops.map((t) => `${short(t.nodeId)}[${t.layers}]`).join(' -> ');
  showLiveSteps();
}

/** The path one token takes: this node, each hop with its layers and time per step, and back. */
function drawRoute(hops) {
  if (!hops.length) return;
  const path = $('route-path');
  const stops = [el('li', { class: 'endpoint', text: `this node (${location.host})` })];
  hops.forEach((t) => stops.push(el('li', { class: 'hop', 'data-node-id': t.nodeId, title: `node ${t.nodeId}` },
    el('strong', { text: short(t.nodeId) }), el('span', { class: 'muted', text: ` layers ${t.layers}` }),
    el('span', { class: 'hop-ms', text: t.decodeSteps > 0 ? `${t.lastMs.toFixed(1)} ms/step` : `${t.firstMs.toFixed(1)} ms prompt` }))));
  stops.push(el('li', { class: 'endpoint', text: 'next token' }));
  path.replaceChildren(...stops);
}

/** Node ids in a route, shortened as the panel shows them. */
function shortRoute(route) {
  return route.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/g, '$1');
}

// ---- conversations: sidebar and transcript ----

let current = null; // the generation in flight
let editing = null; // the index of the user message being edited, or null

function setRunning(running) {
  document.body.dataset.state = running ? 'running' : 'idle';
  $('send').disabled = running;
  $('stop').disabled = !running;
  document.querySelectorAll('.message .tools button:not(.copy)').forEach((b) => { b.disabled = running; });
}

function renderChatList() {
  const list = $('chat-list');
  const sorted = [...store.conversations].sort((a, b) => b.updated - a.updated);
  list.replaceChildren(...sorted.map((c) => {
    const open = el('button', { type: 'button', class: 'chat-title', text: c.title, title: c.title });
    open.addEventListener('click', () => openConversation(c.id));
    const rename = el('button', { type: 'button', class: 'icon rename', text: '✎', title: 'rename', 'aria-label': 'rename' });
    rename.addEventListener('click', () => startRename(item, c));
    const remove = el('button', { type: 'button', class: 'icon delete', text: '×', title: 'delete', 'aria-label': 'delete' });
    remove.addEventListener('click', () => deleteConversation(c.id));
    const item = el('li', { 'data-id': c.id, class: c.id === store.active ? 'active' : '' }, open, rename, remove);
    return item;
  }));
}

function startRename(item, conversation) {
  const input = el('input', { type: 'text', class: 'rename-input', 'aria-label': 'new name' });
  input.value = conversation.title;
  const done = (keep) => {
    if (keep && input.value.trim()) {
      conversation.title = input.value.trim();
      saveConversations();
    }
    renderChatList();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); done(true); }
    if (e.key === 'Escape') done(false);
  });
  input.addEventListener('blur', () => done(true));
  item.replaceChildren(input);
  input.focus();
  input.select();
}

function deleteConversation(id) {
  if (current && current.conversation.id === id) stop();
  store.conversations = store.conversations.filter((c) => c.id !== id);
  if (store.active === id) store.active = null;
  saveConversations();
  renderChatList();
  renderTranscript();
}

function openConversation(id) {
  if (current) stop();
  store.active = id;
  cancelEdit();
  saveConversations();
  renderChatList();
  renderTranscript();
  document.body.classList.remove('show-chats');
}

function newChat() {
  if (current) stop();
  store.active = null;
  cancelEdit();
  saveConversations();
  renderChatList();
  renderTranscript();
  document.body.classList.remove('show-chats');
  $('prompt').focus();
}

function hint() {
  const example = el('button', { type: 'button', class: 'example', text: 'What is artificial intelligence?' });
  example.addEventListener('click', () => {
    $('prompt').value = example.textContent;
    $('prompt').focus();
  });
  return el('p', { class: 'hint' }, 'Ask something, e.g. ', example);
}

function renderTranscript() {
  const conversation = activeConversation();
  const transcript = $('transcript');
  if (!conversation || !conversation.messages.length) {
    transcript.replaceChildren(hint());
    return;
  }
  transcript.replaceChildren(...conversation.messages.map((m, i) => messageBubble(m, i, conversation)));
  transcript.scrollTop = transcript.scrollHeight;
}

function messageBubble(message, index, conversation) {
  const text = el('div', { class: message.role === 'assistant' ? 'text markdown' : 'text' });
  if (message.role === 'assistant') renderMarkdown(text, message.content);
  else text.textContent = message.content;
  const bubble = el('div', { class: `message ${message.role}${message.finish === 'error' ? ' failed' : ''}`, 'data-index': String(index) },
    el('div', { class: 'role', text: message.role === 'user' ? 'You' : 'Swarm' }), text,
    el('div', { class: 'meta muted', text: message.meta || '' }));
  if (message.finish) bubble.dataset.finish = message.finish;
  if (message.tokens !== undefined) bubble.dataset.tokens = String(message.tokens);
  if (message.promptTokens !== undefined) bubble.dataset.promptTokens = String(message.promptTokens);
  bubble.append(messageTools(message, index, conversation));
  return bubble;
}

function messageTools(message, index, conversation) {
  const copy = el('button', { type: 'button', class: 'copy', text: 'Copy', title: 'copy this message' });
  copy.addEventListener('click', () => copyText(message.content, copy));
  const tools = el('div', { class: 'tools' }, copy);
  if (message.role === 'user') {
    const edit = el('button', { type: 'button', class: 'edit', text: 'Edit', title: 'edit and send again' });
    edit.addEventListener('click', () => startEdit(index, message));
    tools.append(edit);
  } else if (index === conversation.messages.length - 1) {
    const again = el('button', { type: 'button', class: 'regenerate', text: 'Regenerate', title: 'answer again' });
    again.addEventListener('click', () => regenerate());
    tools.append(again);
  }
  tools.querySelectorAll('button:not(.copy)').forEach((b) => { b.disabled = Boolean(current); });
  return tools;
}

function startEdit(index, message) {
  if (current) return;
  editing = index;
  $('prompt').value = message.content;
  $('editing').hidden = false;
  $('prompt').focus();
}

function cancelEdit() {
  editing = null;
  $('editing').hidden = true;
}

// ---- generation ----

function finish(reason, detail, outcome = {}) {
  if (!current) return;
  const { bubble, address, message } = current;
  clearTimeout(current.idleTimer);
  current.bus.unregister(address);
  message.finish = reason;
  message.meta = detail;
  Object.assign(message, outcome);
  current.conversation.updated = Date.now();
  saveConversations();
  bubble.dataset.finish = reason;
  if (outcome.promptTokens !== undefined) bubble.dataset.promptTokens = String(outcome.promptTokens);
  bubble.classList.remove('streaming');
  if (reason === 'error') bubble.classList.add('failed');
  bubble.querySelector('.meta').textContent = detail;
  const conversation = current.conversation;
  current = null;
  bubble.querySelector('.tools').replaceWith(messageTools(message, Number(bubble.dataset.index), conversation));
  setRunning(false);
}

/** Fails the generation if the node sends nothing for STREAM_IDLE_MS; unregistering cancels it there. */
function watchIdle(c) {
  clearTimeout(c.idleTimer);
  c.idleTimer = setTimeout(() => {
    if (current === c) finish('error', `the node sent nothing for ${STREAM_IDLE_MS / 1000} s; the request was given up`);
  }, STREAM_IDLE_MS);
}

function onStreamMessage(message) {
  if (!current) return;
  const c = current;
  watchIdle(c);
  if (message.type === 'token') {
    if (c.tokens === 0) {
      c.firstAt = performance.now();
      $('stat-ttft').textContent = `${(c.firstAt - c.started).toFixed(0)} ms`;
    }
    c.tokens++;
    c.message.content += message.text;
    c.message.tokens = c.tokens;
    renderMarkdown(c.bubble.querySelector('.text'), c.message.content);
    c.bubble.dataset.tokens = String(c.tokens);
    $('stat-tokens').textContent = String(c.tokens);
    const seconds = (performance.now() - c.firstAt) / 1000;
    if (c.tokens > 1 && seconds > 0) $('stat-rate').textContent = ((c.tokens - 1) / seconds).toFixed(1);
    updateShards(message.shards || []);
    followTranscript(c.bubble);
  } else if (message.type === 'done') {
    const m = message.metadata;
    $('stat-route').textContent = shortRoute(m.route);
    $('stat-rate').textContent = m.decode_tokens_per_second ? m.decode_tokens_per_second.toFixed(1) : $('stat-rate').textContent;
    finish(message.finish_reason, `${m.tokens_generated} tokens · ${m.total_latency_ms.toFixed(0)} ms · ${message.finish_reason}`,
      { promptTokens: message.prompt_tokens, tokens: m.tokens_generated });
  } else if (message.type === 'error') {
    finish('error', message.error + (message.retry_after ? ` (try again in ${message.retry_after} s)` : ''));
  }
}

/** Keeps the newest text in view, unless the reader scrolled up to read something else. */
function followTranscript(bubble) {
  const transcript = $('transcript');
  const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 120;
  if (nearBottom || bubble === transcript.lastElementChild) transcript.scrollTop = transcript.scrollHeight;
}

/** What the node is asked: the whole conversation as chat messages (a system prompt first), or one raw prompt. */
function requestFor(conversation) {
  const request = samplingSettings();
  const turns = conversation.messages.filter((m) => m.content !== '' && m.finish !== 'error');
  if ($('chat-format').checked) {
    const system = $('system-prompt').value.trim();
    request.messages = [...(system ? [{ role: 'system', content: system }] : []),
      ...turns.map((m) => ({ role: m.role, content: m.content }))];
  } else {
    request.prompt = turns[turns.length - 1].content; // as typed, without the chat template or earlier turns
    request.raw = true;
  }
  return request;
}

function send() {
  const prompt = $('prompt').value.trim();
  if (!prompt || current) return;
  let conversation = activeConversation();
  if (!conversation) {
    conversation = { id: randomId(), title: titleOf(prompt), updated: Date.now(), messages: [] };
    store.conversations.push(conversation);
    store.active = conversation.id;
  }
  if (editing !== null) {
    conversation.messages.splice(editing);
    cancelEdit();
  }
  if (!conversation.messages.length) conversation.title = titleOf(prompt);
  conversation.messages.push({ role: 'user', content: prompt });
  $('prompt').value = '';
  generate(conversation);
}

function regenerate() {
  const conversation = activeConversation();
  if (!conversation || current) return;
  if (conversation.messages[conversation.messages.length - 1]?.role === 'assistant') conversation.messages.pop();
  if (conversation.messages.length) generate(conversation);
}

async function generate(conversation) {
  let request;
  try {
    request = requestFor(conversation);
  } catch (e) {
    conversation.messages.push({ role: 'assistant', content: '', finish: 'error', meta: e.message });
    saveConversations();
    renderChatList();
    renderTranscript();
    return;
  }
  const message = { role: 'assistant', content: '' };
  conversation.messages.push(message);
  conversation.updated = Date.now();
  saveConversations();
  renderChatList();
  renderTranscript();
  resetStats();
  const bubble = $('transcript').lastElementChild;
  bubble.classList.add('streaming');
  const streamId = randomId();
  const address = TOKENS_PREFIX + streamId;
  current = { bus, address, bubble, message, conversation, tokens: 0, started: performance.now() };
  setRunning(true);
  watchIdle(current);
  request.stream_id = streamId;
  bus.register(address, onStreamMessage);
  try {
    const reply = await bus.request(INFERENCE, request);
    bubble.dataset.requestId = reply.request_id;
  } catch (e) {
    if (current && current.bubble === bubble) finish('error', e.message);
  }
}

/** Unregistering the stream cancels the generation on the server; the tokens already shown stay. */
function stop() {
  if (!current) return;
  const tokens = current.tokens;
  finish('stopped', `stopped after ${tokens} token${tokens === 1 ? '' : 's'}`);
}

async function showModel() {
  try {
    const models = await getJson('v1/models');
    if (!models) return;
    const model = models.data[0];
    $('model-name').textContent = model.id;
    if (model.context_length) {
      $('max-tokens').max = String(model.context_length);
      $('max-tokens').title = `at most this many tokens in an answer (this model's context: ${model.context_length})`;
      if (Number($('max-tokens').value) > model.context_length) $('max-tokens').value = String(model.context_length);
    }
  } catch (e) {
    $('model-name').textContent = '';
    logEvent(`could not read the model: ${e.message}`, 'bad');
  }
}

function start() {
  const wsUrl = new URL('eventbus/websocket', location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (API_KEY) wsUrl.searchParams.set('access_token', API_KEY); // browsers cannot set headers on a WebSocket
  const connection = $('connection');
  $('key-form').addEventListener('submit', useKey);
  let connectedBefore = false;
  bus = new Bus(wsUrl.href, (open) => {
    if (keyAsked) return;
    connection.textContent = open ? 'connected' : 'disconnected';
    connection.className = `badge ${open ? 'on' : 'off'}`;
    connection.title = open ? `event-bus bridge at ${location.host}/eventbus` : 'the connection to the node is lost; retrying';
    logEvent(open ? `connected to ${location.host}` : 'connection lost; retrying', open ? 'good' : 'bad');
    if (open && connectedBefore) loadSwarm(); // changes pushed while the socket was down were missed
    connectedBefore = connectedBefore || open;
  });
  bus.register(EVENTS, onSwarmEvent);

  loadSettings();
  SETTINGS.forEach((s) => $(s.id).addEventListener(s.kind === 'checkbox' ? 'change' : 'input', saveSettings));
  $('temperature').addEventListener('input', showTemperature);
  $('reset-settings').addEventListener('click', resetSettings);
  $('toggle-settings').addEventListener('click', () => {
    const settings = $('settings');
    settings.hidden = !settings.hidden;
    $('toggle-settings').setAttribute('aria-expanded', String(!settings.hidden));
    $('toggle-settings').textContent = settings.hidden ? 'More settings' : 'Fewer settings';
  });
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); }
  });
  $('stop').addEventListener('click', stop);
  $('cancel-edit').addEventListener('click', () => { cancelEdit(); $('prompt').value = ''; });
  $('new-chat').addEventListener('click', newChat);
  $('toggle-chats').addEventListener('click', () => {
    document.body.classList.remove('show-swarm');
    document.body.classList.toggle('show-chats');
  });
  $('toggle-swarm').addEventListener('click', () => {
    document.body.classList.remove('show-chats');
    document.body.classList.toggle('show-swarm');
  });
  // Another tab of this browser changed the conversations: show them (not while this one streams).
  window.addEventListener('storage', (e) => {
    if (e.key !== CONVERSATIONS_KEY || current) return;
    const saved = readJson(CONVERSATIONS_KEY, {});
    store.conversations = Array.isArray(saved.conversations) ? saved.conversations : [];
    if (!activeConversation()) store.active = null;
    renderChatList();
    renderTranscript();
  });

  renderChatList();
  renderTranscript();
  showModel();
  loadSwarm();
}

start();
