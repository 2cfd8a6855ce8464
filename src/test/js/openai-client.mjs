// Drives a node's OpenAI-compatible API with the official openai package, as any user would.
// Usage: node openai-client.mjs BASE_URL (e.g. http://127.0.0.1:8080/v1) CHAT_MESSAGE COMPLETION_PROMPT
// Prints one JSON object with what each call gave back; the Java test compares it with the swarm.
import OpenAI from 'openai';

const [baseURL, chatMessage, completionPrompt] = process.argv.slice(2);
if (!baseURL || !chatMessage || !completionPrompt) {
  console.error('usage: node openai-client.mjs BASE_URL CHAT_MESSAGE COMPLETION_PROMPT');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY || 'no-key', maxRetries: 0, timeout: 60000 });

const models = await client.models.list();
const model = models.data[0].id;
const retrieved = await client.models.retrieve(model);
let unknownModel = null;
try {
  await client.models.retrieve('gpt-4');
} catch (e) {
  unknownModel = { status: e.status, code: e.code ?? null, message: e.message };
}
const messages = [{ role: 'user', content: chatMessage }];

const chat = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 40 });

const stream = await client.chat.completions.create({
  model, messages, temperature: 0, max_tokens: 40, stream: true, stream_options: { include_usage: true },
});
const deltas = [];
let streamFinish = null;
let streamUsage = null;
let role = null;
for await (const chunk of stream) {
  if (chunk.usage) streamUsage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.delta.role) role = choice.delta.role;
  if (choice.delta.content) deltas.push(choice.delta.content);
  if (choice.finish_reason) streamFinish = choice.finish_reason;
}

const completion = await client.completions.create({ model, prompt: completionPrompt, temperature: 0, max_tokens: 12 });
const completionStream = await client.completions.create({
  model, prompt: completionPrompt, temperature: 0, max_tokens: 12, stream: true,
});
const completionPieces = [];
let completionStreamFinish = null;
for await (const chunk of completionStream) {
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.text) completionPieces.push(choice.text);
  if (choice.finish_reason) completionStreamFinish = choice.finish_reason;
}

const logprobs = await client.chat.completions.create({
  model, messages, temperature: 0, max_tokens: 4, logprobs: true, top_logprobs: 3,
});

// Abort a long stream (ignore_eos, llama.cpp's extension, keeps it going) after three chunks: the node must stop.
const { data: longStream, response: longResponse } = await client.completions.create({
  model, prompt: completionPrompt, temperature: 0, max_tokens: 200, stream: true, ignore_eos: true,
}).withResponse();
let abortedAfter = 0;
for await (const chunk of longStream) {
  if (chunk.choices[0]?.text !== undefined) abortedAfter++;
  if (abortedAfter === 3) {
    longStream.controller.abort();
    break;
  }
}
const aborted = { request_id: longResponse.headers.get('x-request-id'), chunks: abortedAfter };

let unsupported = null;
try {
  await client.embeddings.create({ model, input: 'dog' });
} catch (e) {
  unsupported = { status: e.status, message: e.message, type: e.type ?? null };
}

let refused = null;
try {
  await client.chat.completions.create({ model, messages, temperature: -1 });
} catch (e) {
  refused = { status: e.status, message: e.message, param: e.param ?? null, type: e.type ?? null };
}

console.log(JSON.stringify({
  models: models.data.map(m => m.id),
  retrieved: { id: retrieved.id, object: retrieved.object },
  unknown_model: unknownModel,
  chat: { text: chat.choices[0].message.content, role: chat.choices[0].message.role,
          finish_reason: chat.choices[0].finish_reason, usage: chat.usage },
  stream: { deltas, role, finish_reason: streamFinish, usage: streamUsage },
  completion: { text: completion.choices[0].text, finish_reason: completion.choices[0].finish_reason,
                usage: completion.usage },
  completion_stream: { pieces: completionPieces, finish_reason: completionStreamFinish },
  logprobs: logprobs.choices[0].logprobs.content,
  refused,
  unsupported,
  aborted,
}));
