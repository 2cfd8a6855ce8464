// bench/run's llama.cpp-current backend: one greedy generation on the current llama.cpp through
// node-llama-cpp's prebuilt CPU binaries, reported as the one JSON line that the node's
// `generate --json` prints (io.llmswarm.bench.GenerationResult reads it), with the same
// definitions as the Java engine's io.llmswarm.inference.LocalGenerator:
//   time_to_first_token_ms    from handing over the prompt's ids to the first sampled token
//   prompt_tokens_per_second  prompt tokens (BOS included) / time to first token
//   decode_tokens_per_second  (tokens - 1) / time from the first sampled token to the last
//   peak_rss_mib              VmHWM of this process
// Usage: node generate.mjs --model F --prompt P --max-tokens N --threads T --temperature 0 --ignore-eos --json
// (the options io.llmswarm.bench.GenerationRequest gives every backend; only greedy runs with EOS
// ignored are supported, which is what the benchmark asks for).
//
// Nothing is downloaded or built: getLlama is told to use the prebuilt binaries of
// @node-llama-cpp/linux-x64 or fail (build "never", skipDownload, no GPU).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, TokenBias } from "node-llama-cpp";

const MAX_CONTEXT = 4096; // as io.llmswarm.llamacpp.LlamaCppModel: the model's context, capped

const { values: options } = parseArgs({
    options: {
        model: { type: "string" },
        prompt: { type: "string" },
        "max-tokens": { type: "string" },
        threads: { type: "string" },
        temperature: { type: "string", default: "0" },
        "ignore-eos": { type: "boolean", default: false },
        json: { type: "boolean", default: false }
    },
    strict: true
});
const maxTokens = positiveInteger("max-tokens");
const threads = positiveInteger("threads");
if (options.model === undefined || options.prompt === undefined) {
    fail("--model and --prompt are required");
}
if (Number(options.temperature) !== 0 || !options["ignore-eos"] || !options.json) {
    fail("only greedy runs with EOS ignored and a JSON report are supported: --temperature 0 --ignore-eos --json");
}

// ggml and llama.cpp say at debug and info level which CPU variant they loaded and whether flash
// attention is on; messages of level warn and above go to stderr, which bench/run keeps as the
// run's log. (None come while generating: the logger costs no time per token.)
let cpuBackend = "unknown";
let flashAttention = "unknown";
const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    maxThreads: threads,
    logLevel: LlamaLogLevel.debug,
    logger(level, message) {
        const loaded = /loaded CPU backend from (\S+)/.exec(message);
        if (loaded) {
            cpuBackend = loaded[1].replace(/^.*\//, "");
        }
        const flash = /Flash Attention (?:was \S+, set to )?(enabled|disabled)/i.exec(message);
        if (flash) {
            flashAttention = flash[1].toLowerCase();
        }
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal || level === LlamaLogLevel.warn) {
            process.stderr.write(`[${level}] ${message}\n`);
        }
    }
});

const model = await llama.loadModel({ modelPath: options.model, gpuLayers: 0 });
const context = await model.createContext({
    contextSize: Math.min(model.trainContextSize, MAX_CONTEXT),
    sequences: 1,
    threads
});
const sequence = context.getSequence();

// As llama.cpp's tokenizer with add_special: BOS first where the model adds it.
const promptTokens = [
    ...(model.tokens.shouldPrependBosToken && model.tokens.bos != null ? [model.tokens.bos] : []),
    ...model.tokenize(options.prompt, false)
];
if (promptTokens.length + maxTokens > context.contextSize) {
    fail(`${promptTokens.length} prompt tokens and ${maxTokens} to generate do not fit a context of ${context.contextSize}`);
}

// EOS ignored as llama.cpp's --ignore-eos and the Java engine do it: end-of-generation tokens are never sampled.
const neverEnd = new TokenBias(model.tokenizer);
for (const token of model.iterateAllTokens()) {
    if (model.isEogToken(token)) {
        neverEnd.set(token, "never");
    }
}

const generated = [];
const start = process.hrtime.bigint();
let firstTokenAt = 0n;
for await (const token of sequence.evaluate(promptTokens, { temperature: 0, tokenBias: neverEnd, yieldEogToken: true })) {
    if (generated.length === 0) {
        firstTokenAt = process.hrtime.bigint();
    }
    generated.push(token);
    if (generated.length >= maxTokens) {
        break; // the last token is not fed back, as in the Java engine's loop
    }
}
const end = process.hrtime.bigint();

const timeToFirstTokenMs = Number((firstTokenAt === 0n ? end : firstTokenAt) - start) / 1e6;
const decodeSeconds = firstTokenAt === 0n ? 0 : Number(end - firstTokenAt) / 1e9;
const report = {
    prompt_tokens: promptTokens,
    tokens: generated,
    generated_count: generated.length,
    // the generated tokens as a continuation of the prompt (a leading space is kept, as when streamed)
    text: model.detokenize(generated, false, promptTokens),
    finish_reason: generated.length >= maxTokens ? "length" : "stop",
    time_to_first_token_ms: round(timeToFirstTokenMs),
    prompt_tokens_per_second: round(timeToFirstTokenMs === 0 ? 0 : promptTokens.length / (timeToFirstTokenMs / 1e3)),
    decode_tokens_per_second: round(generated.length < 2 || decodeSeconds === 0 ? 0 : (generated.length - 1) / decodeSeconds),
    peak_rss_mib: round(peakResidentKib() / 1024),
    engine: `node-llama-cpp ${packageVersion("node-llama-cpp")}, llama.cpp ${llama.llamaCppRelease.release} `
        + `(${llama.buildType} ${packageVersion("@node-llama-cpp/linux-x64")}), CPU backend ${cpuBackend}, `
        + `${context.currentThreads} threads, flash attention ${flashAttention}`
};
process.stdout.write(JSON.stringify(report) + "\n");
await llama.dispose();

function positiveInteger(name) {
    const value = Number(options[name]);
    if (!Number.isInteger(value) || value < 1) {
        fail(`--${name} must be a positive integer, got ${options[name]}`);
    }
    return value;
}

function peakResidentKib() {
    const line = readFileSync("/proc/self/status", "utf8").split("\n").find(l => l.startsWith("VmHWM:"));
    return line === undefined ? -1024 : Number(/(\d+)\s*kB/.exec(line)[1]);
}

function packageVersion(name) {
    return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
}

function round(value) {
    return Math.round(value * 100) / 100;
}

function fail(message) {
    process.stderr.write(`generate.mjs: ${message}\n`);
    process.exit(2);
}
