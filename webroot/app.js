// LLM Swarm chat page. It talks to the node that served it: generations over the event-bus bridge
// (the raw WebSocket transport of the SockJS handler at /eventbus/websocket, with Vert.x's JSON
// frames), the swarm from GET /api/swarm every second plus the swarm events the bridge pushes.
'use strict';

const INFERENCE = 'swarm.public.inference';
const TOKENS_PREFIX = 'swarm.public.tokens.';
const EVENTS = 'swarm.public.events';
const PING_MS = 5000;
const RECONNECT_MS = 2000;
const REQUEST_TIMEOUT_MS = 30000;

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

// ---- swarm panel ----

let swarm = null;
const liveShards = new Map(); // "node[layers]" -> {steps, totalMs, lastMs}

function logEvent(text) {
  const list = $('events');
  list.prepend(el('li', {}, el('time', { text: new Date().toLocaleTimeString() }), ' ', el('span', { text })));
  while (list.children.length > 8) list.lastChild.remove();
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

function renderSwarm(view) {
  swarm = view;
  const n = view.block_count;
  const ready = view.ready;
  const status = $('swarm-status');
  status.textContent = ready ? 'ready' : 'not ready';
  status.className = `badge ${ready ? 'on' : 'off'}`;
  const missing = view.missing_layers || [];
  $('swarm-summary').textContent = `${view.shards.length} node${view.shards.length === 1 ? '' : 's'}, layers 0-${n - 1}`
    + (missing.length ? ` · missing layers ${missing.join(', ')}` : ' · every layer served');
  const counts = new Array(n).fill(0);
  view.shards.filter((s) => s.ready).forEach((s) => {
    for (let l = s.layer_start; l <= Math.min(s.layer_end, n - 1); l++) counts[l]++;
  });
  $('coverage').replaceChildren(...layerCells(n, (l) => ({
    cls: counts[l] === 0 ? 'missing' : 'held', title: counts[l] === 0 ? 'missing' : `${counts[l]} ready shard(s)` })));

  const nodes = $('swarm-nodes');
  nodes.replaceChildren(...view.shards.map((s) => {
    const live = [...liveShards.values()].find((t) => t.nodeId === s.node_id);
    const card = el('div', { class: `node ${s.ready ? 'ready' : 'loading'}`, 'data-node-id': s.node_id },
      el('div', { class: 'node-head' },
        el('strong', { text: s.node_id.slice(0, 8), title: s.node_id }),
        el('span', { class: 'muted', text: ` ${s.backend} · layers ${s.layer_start}-${s.layer_end}` }),
        el('span', { class: `badge ${s.ready ? 'on' : 'off'}`, text: s.ready ? 'ready' : 'loading' })),
      el('div', { class: 'layer-bar' }, ...layerCells(n, (l) => (l >= s.layer_start && l <= s.layer_end ? { cls: 'held' } : { cls: '' }))),
      el('div', { class: 'node-foot muted',
        text: `load ${s.load} · ${s.capacity} free session slots`
          + (live && live.steps > live.firstSteps ? ` · last step ${live.lastMs.toFixed(1)} ms` : '') }));
    return card;
  }));
}

/**
 * A node with API keys wants one on every API call: open the page as /#api_key=KEY (a fragment
 * never reaches a server or its logs); the key is kept for this tab only.
 */
const API_KEY = (() => {
  const match = /(?:^#|&)api_key=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem('llmswarm-api-key', decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('llmswarm-api-key');
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
  logEvent(refused ? 'the API key was refused (401)' : 'this node needs an API key (401)');
}

function useKey(event) {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  sessionStorage.setItem('llmswarm-api-key', key);
  location.reload();
}

async function pollSwarm() {
  if (keyAsked) return;
  try {
    const response = await fetch('api/swarm', { cache: 'no-store', headers: AUTH });
    if (response.status === 401) askForKey(Boolean(API_KEY));
    else if (response.ok) renderSwarm(await response.json());
  } catch (e) {
    $('swarm-status').textContent = 'unreachable';
    $('swarm-status').className = 'badge off';
  }
}

function onSwarmEvent(event) {
  event.joined.forEach((j) => logEvent(`node ${j.node_id.slice(0, 8)} joined (layers ${j.layers})`));
  event.left.forEach((id) => logEvent(`node ${id.slice(0, 8)} left`));
  if (event.ready_changed) {
    logEvent(event.ready ? 'swarm ready' : `swarm not ready: missing layers ${event.missing_layers.join(', ')}`);
  }
  renderSwarm(event.swarm);
}

// ---- request stats ----

function resetStats() {
  liveShards.clear();
  ['stat-tokens', 'stat-ttft', 'stat-rate', 'stat-route'].forEach((id) => { $(id).textContent = '–'; });
  $('shard-stats').tBodies[0].replaceChildren();
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
  $('shard-stats').tBodies[0].replaceChildren(...[...liveShards.values()].map((t) => {
    const decodeSteps = t.steps - t.firstSteps;
    const mean = decodeSteps > 0 ? (t.totalMs - t.firstMs) / decodeSteps : 0;
    return el('tr', { 'data-node-id': t.nodeId },
      el('td', { text: t.nodeId.slice(0, 8), title: t.nodeId }), el('td', { text: t.layers }),
      el('td', { text: String(t.steps) }), el('td', { text: t.firstMs.toFixed(1) }),
      el('td', { text: decodeSteps > 0 ? t.lastMs.toFixed(2) : '–' }),
      el('td', { text: mean > 0 ? mean.toFixed(2) : '–' }), el('td', { text: mean > 0 ? (1000 / mean).toFixed(0) : '–' }));
  }));
  $('stat-route').textContent = [...liveShards.values()].map((t) => `${t.nodeId.slice(0, 8)}[${t.layers}]`).join(' -> ');
  if (swarm) renderSwarm(swarm);
}

/** Node ids in a route, shortened as the panel shows them. */
function shortRoute(route) {
  return route.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/g, '$1');
}

// ---- chat ----

let current = null; // the generation in flight: {address, bubble, tokens, started, firstAt}

function setRunning(running) {
  document.body.dataset.state = running ? 'running' : 'idle';
  $('send').disabled = running;
  $('stop').disabled = !running;
}

function addMessage(role, text) {
  const bubble = el('div', { class: `message ${role}` }, el('div', { class: 'role', text: role === 'user' ? 'You' : 'Swarm' }),
    el('div', { class: 'text', text }), el('div', { class: 'meta muted' }));
  $('transcript').append(bubble);
  bubble.scrollIntoView({ block: 'end' });
  return bubble;
}

function finish(reason, detail) {
  if (!current) return;
  const { bubble, address } = current;
  current.bus.unregister(address);
  bubble.dataset.finish = reason;
  bubble.classList.remove('streaming');
  bubble.querySelector('.meta').textContent = detail;
  current = null;
  setRunning(false);
}

function onStreamMessage(message) {
  if (!current) return;
  const c = current;
  if (message.type === 'token') {
    if (c.tokens === 0) {
      c.firstAt = performance.now();
      $('stat-ttft').textContent = `${(c.firstAt - c.started).toFixed(0)} ms`;
    }
    c.tokens++;
    c.text += message.text;
    const text = c.bubble.querySelector('.text');
    text.textContent = c.text;
    c.bubble.dataset.tokens = String(c.tokens);
    $('stat-tokens').textContent = String(c.tokens);
    const seconds = (performance.now() - c.firstAt) / 1000;
    if (c.tokens > 1 && seconds > 0) $('stat-rate').textContent = ((c.tokens - 1) / seconds).toFixed(1);
    updateShards(message.shards || []);
    c.bubble.scrollIntoView({ block: 'end' });
  } else if (message.type === 'done') {
    const m = message.metadata;
    $('stat-route').textContent = shortRoute(m.route);
    $('stat-rate').textContent = m.decode_tokens_per_second ? m.decode_tokens_per_second.toFixed(1) : $('stat-rate').textContent;
    finish(message.finish_reason, `${m.tokens_generated} tokens · ${m.total_latency_ms.toFixed(0)} ms · ${message.finish_reason}`);
  } else if (message.type === 'error') {
    c.bubble.classList.add('failed');
    finish('error', message.error);
  }
}

async function send(bus) {
  const prompt = $('prompt').value.trim();
  if (!prompt || current) return;
  $('prompt').value = '';
  document.querySelector('#transcript .hint')?.remove();
  resetStats();
  addMessage('user', prompt);
  const bubble = addMessage('assistant', '');
  bubble.classList.add('streaming');
  const streamId = randomId();
  const address = TOKENS_PREFIX + streamId;
  current = { bus, address, bubble, tokens: 0, text: '', started: performance.now() };
  setRunning(true);
  const request = {
    stream_id: streamId,
    max_tokens: Number($('max-tokens').value),
    temperature: Number($('temperature').value),
    ignore_eos: $('ignore-eos').checked,
  };
  if ($('chat-format').checked) request.messages = [{ role: 'user', content: prompt }];
  else { request.prompt = prompt; request.raw = true; } // as typed, without the chat template
  bus.register(address, onStreamMessage);
  try {
    const reply = await bus.request(INFERENCE, request);
    bubble.dataset.requestId = reply.request_id;
  } catch (e) {
    if (current && current.bubble === bubble) {
      bubble.classList.add('failed');
      finish('error', e.message);
    }
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
    const response = await fetch('v1/models', { headers: AUTH });
    if (response.status === 401) {
      askForKey(Boolean(API_KEY));
      return;
    }
    const models = await response.json();
    const model = models.data[0];
    $('model-name').textContent = model.id;
    if (model.context_length) $('max-tokens').max = String(model.context_length);
  } catch (e) {
    $('model-name').textContent = '';
  }
}

function start() {
  const wsUrl = new URL('eventbus/websocket', location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (API_KEY) wsUrl.searchParams.set('access_token', API_KEY); // browsers cannot set headers on a WebSocket
  const connection = $('connection');
  $('key-form').addEventListener('submit', useKey);
  bus = new Bus(wsUrl.href, (open) => {
    if (keyAsked) return;
    connection.textContent = open ? 'connected' : 'disconnected';
    connection.className = `badge ${open ? 'on' : 'off'}`;
    logEvent(open ? `connected to ${location.host}` : 'connection lost; retrying');
  });
  bus.register(EVENTS, onSwarmEvent);

  $('temperature').addEventListener('input', () => {
    $('temperature-value').textContent = Number($('temperature').value).toFixed(2);
  });
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(bus); });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(bus); }
  });
  $('stop').addEventListener('click', stop);
  document.querySelectorAll('.example').forEach((b) => b.addEventListener('click', () => {
    $('prompt').value = b.textContent;
    $('prompt').focus();
  }));

  showModel();
  pollSwarm();
  setInterval(pollSwarm, 1000);
}

start();
