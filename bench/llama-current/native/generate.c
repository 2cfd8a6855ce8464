// bench/run's llama.cpp-current backend without Node.js: one greedy generation on the prebuilt
// llama.cpp libraries of npm's @node-llama-cpp/linux-x64 (libllama, libggml, libggml-base and the
// CPU variants libggml-cpu-<variant>.so), through llama.cpp's C API, doing what generate.mjs does
// through node-llama-cpp, and printing the same JSON line:
//   time_to_first_token_ms    from handing over the prompt's ids to the first sampled token
//   prompt_tokens_per_second  prompt tokens (BOS included) / time to first token
//   decode_tokens_per_second  (tokens - 1) / time from the first sampled token to the last
//   peak_rss_mib              VmHWM of this process
// Usage: generate --model F --prompt P --max-tokens N --threads T --temperature 0 --ignore-eos --json
//                 [--backends-dir DIR] [--verbose]
//        generate --check [--backends-dir DIR]   (loads the libraries and the CPU backend, says which, exits)
// Only greedy runs with EOS ignored are supported, which is what the benchmark asks for.
//
// As node-llama-cpp does, the CPU backend is loaded at run time with ggml's dynamic backend loading
// (ggml_backend_load_all_from_path), which scores every libggml-cpu-<variant>.so of the folder
// against this processor and keeps the best; the folder is --backends-dir, by default the one
// libllama was loaded from. The model and context get node-llama-cpp's settings for generate.mjs's
// options: CPU only, mmap, no lazy loading; context the model's capped at 4096 (padded up to a
// multiple of 256 as node-llama-cpp pads it), batch and micro-batch min(context, 512), one sequence,
// flash attention "auto", the given threads for decode and batches alike.
//
// Build: bench/llama-current/native/build (compiles against the headers of the llama.cpp release
// the npm package bundles; nothing of llama.cpp is built).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

#ifndef LLAMA_CPP_RELEASE
#define LLAMA_CPP_RELEASE "unknown"
#endif
#ifndef PREBUILT_PACKAGE
#define PREBUILT_PACKAGE "@node-llama-cpp/linux-x64 unknown"
#endif

enum { MAX_CONTEXT = 4096, CONTEXT_PAD = 256, DEFAULT_BATCH = 512, RECENT_DETOKENIZER_TOKENS = 3 };

static bool verbose = false;
static char cpu_backend[256] = "unknown";
static char flash_attention[16] = "unknown";

static void fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("generate: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(2);
}

static void *allocate(size_t bytes) {
    void *memory = malloc(bytes == 0 ? 1 : bytes);
    if (memory == NULL) {
        fail("out of memory");
    }
    return memory;
}

// ggml and llama.cpp say at debug and info level which CPU variant they loaded and whether flash
// attention is on; warnings and errors go to stderr, which bench/run keeps as the run's log.
static void on_log(enum ggml_log_level level, const char *text, void *user_data) {
    (void) user_data;
    const char *loaded = strstr(text, "loaded CPU backend from ");
    if (loaded != NULL) {
        const char *path = loaded + strlen("loaded CPU backend from ");
        const char *slash = strrchr(path, '/');
        const char *name = slash == NULL ? path : slash + 1;
        size_t length = strcspn(name, " \t\r\n");
        if (length >= sizeof cpu_backend) {
            length = sizeof cpu_backend - 1;
        }
        memcpy(cpu_backend, name, length);
        cpu_backend[length] = '\0';
    }
    const char *flash = strcasestr(text, "Flash Attention ");
    if (flash != NULL) {
        if (strstr(flash, "disabled") != NULL) {
            strcpy(flash_attention, "disabled");
        } else if (strstr(flash, "enabled") != NULL) {
            strcpy(flash_attention, "enabled");
        }
    }
    if (verbose || level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

// Where the log named no CPU library: the libggml-cpu-*.so mapped into this process.
static int find_cpu_library(struct dl_phdr_info *info, size_t size, void *data) {
    (void) size;
    (void) data;
    const char *slash = strrchr(info->dlpi_name, '/');
    const char *name = slash == NULL ? info->dlpi_name : slash + 1;
    if (strncmp(name, "libggml-cpu", strlen("libggml-cpu")) == 0 && strlen(name) < sizeof cpu_backend) {
        strcpy(cpu_backend, name);
        return 1;
    }
    return 0;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static long peak_resident_kib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) {
        return -1024;
    }
    char line[256];
    long kib = -1024;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(status);
    return kib;
}

static int positive_integer(const char *name, const char *value) {
    char *end = NULL;
    errno = 0;
    long number = value == NULL ? 0 : strtol(value, &end, 10);
    if (value == NULL || *value == '\0' || *end != '\0' || errno != 0 || number < 1 || number > INT32_MAX) {
        fail("--%s must be a positive integer, got %s", name, value == NULL ? "nothing" : value);
    }
    return (int) number;
}

// ---- text: what node-llama-cpp's detokenize returns, and JSON.stringify writes ----

// A growable byte string.
typedef struct {
    char *bytes;
    size_t length;
    size_t capacity;
} buffer;

static void append(buffer *out, const char *bytes, size_t length) {
    if (out->length + length + 1 > out->capacity) {
        size_t capacity = out->capacity == 0 ? 256 : out->capacity;
        while (out->length + length + 1 > capacity) {
            capacity *= 2;
        }
        char *grown = realloc(out->bytes, capacity);
        if (grown == NULL) {
            fail("out of memory");
        }
        out->bytes = grown;
        out->capacity = capacity;
    }
    memcpy(out->bytes + out->length, bytes, length);
    out->length += length;
    out->bytes[out->length] = '\0';
}

static void append_text(buffer *out, const char *text) {
    append(out, text, strlen(text));
}

// llama_detokenize without special tokens, as node-llama-cpp's addon calls it.
static char *detokenize(const struct llama_vocab *vocab, const llama_token *tokens, int count, int *length) {
    int capacity = count * 8 + 16;
    char *text = allocate((size_t) capacity);
    int written = llama_detokenize(vocab, tokens, count, text, capacity, false, false);
    if (written < 0) {
        capacity = -written;
        free(text);
        text = allocate((size_t) capacity);
        written = llama_detokenize(vocab, tokens, count, text, capacity, false, false);
        if (written < 0) {
            fail("llama_detokenize failed");
        }
    }
    *length = written;
    return text;
}

// UTF-8 bytes as Node's strings hold them: decoded as the WHATWG encoding standard says (each
// maximal invalid subsequence one U+FFFD), here written back as UTF-8, so that text with broken
// byte tokens (as random weights make) reads as generate.mjs reports it.
static buffer well_formed(const char *bytes, size_t length) {
    static const char replacement[] = "\xEF\xBF\xBD";
    buffer out = {0};
    append(&out, "", 0);
    size_t i = 0;
    while (i < length) {
        unsigned char lead = (unsigned char) bytes[i];
        if (lead < 0x80) {
            append(&out, bytes + i, 1);
            i++;
            continue;
        }
        int needed;
        unsigned char lower = 0x80, upper = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            needed = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            needed = 2;
            if (lead == 0xE0) lower = 0xA0;
            if (lead == 0xED) upper = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            needed = 3;
            if (lead == 0xF0) lower = 0x90;
            if (lead == 0xF4) upper = 0x8F;
        } else {
            append(&out, replacement, 3);
            i++;
            continue;
        }
        size_t j = i + 1;
        int seen = 0;
        while (seen < needed && j < length) {
            unsigned char next = (unsigned char) bytes[j];
            if (next < lower || next > upper) {
                break;
            }
            lower = 0x80;
            upper = 0xBF;
            j++;
            seen++;
        }
        if (seen == needed) {
            append(&out, bytes + i, j - i);
        } else {
            append(&out, replacement, 3); // the lead and its valid continuation bytes; the breaking byte starts anew
        }
        i = j;
    }
    return out;
}

// node-llama-cpp's detokenize(tokens, false, lastTokens): the text of the last prompt tokens and
// the generated ones with the prompt tokens' own text cut off the front (so a leading space stays),
// or the generated tokens' text alone where that does not start it.
static buffer continuation_text(const struct llama_vocab *vocab, const llama_token *prompt, int prompt_count,
                                const llama_token *tokens, int count) {
    if (count == 0) {
        buffer none = {0};
        append(&none, "", 0);
        return none;
    }
    int recent = prompt_count < RECENT_DETOKENIZER_TOKENS ? prompt_count : RECENT_DETOKENIZER_TOKENS;
    int length;
    char *alone = detokenize(vocab, tokens, count, &length);
    buffer alone_text = well_formed(alone, (size_t) length);
    free(alone);
    if (recent == 0) {
        return alone_text;
    }
    char *prefix = detokenize(vocab, prompt + prompt_count - recent, recent, &length);
    buffer prefix_text = well_formed(prefix, (size_t) length);
    free(prefix);
    if (prefix_text.length == 0) {
        free(prefix_text.bytes);
        return alone_text;
    }
    llama_token *joined = allocate(sizeof(llama_token) * (size_t) (recent + count));
    memcpy(joined, prompt + prompt_count - recent, sizeof(llama_token) * (size_t) recent);
    memcpy(joined + recent, tokens, sizeof(llama_token) * (size_t) count);
    char *both = detokenize(vocab, joined, recent + count, &length);
    buffer both_text = well_formed(both, (size_t) length);
    free(both);
    free(joined);
    buffer result;
    if (both_text.length >= prefix_text.length && memcmp(both_text.bytes, prefix_text.bytes, prefix_text.length) == 0) {
        result = (buffer) {0};
        append(&result, both_text.bytes + prefix_text.length, both_text.length - prefix_text.length);
        free(alone_text.bytes);
    } else {
        result = alone_text;
    }
    free(prefix_text.bytes);
    free(both_text.bytes);
    return result;
}

// A JSON string as JSON.stringify writes it (the text is well-formed UTF-8, written as it is).
static void append_json_string(buffer *out, const char *text, size_t length) {
    append(out, "\"", 1);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) text[i];
        char escaped[8];
        switch (c) {
            case '"': append(out, "\\\"", 2); break;
            case '\\': append(out, "\\\\", 2); break;
            case '\b': append(out, "\\b", 2); break;
            case '\f': append(out, "\\f", 2); break;
            case '\n': append(out, "\\n", 2); break;
            case '\r': append(out, "\\r", 2); break;
            case '\t': append(out, "\\t", 2); break;
            default:
                if (c < 0x20) {
                    snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    append(out, escaped, 6);
                } else {
                    append(out, text + i, 1);
                }
        }
    }
    append(out, "\"", 1);
}

// Rounded to two decimals and written as JavaScript writes numbers (no trailing zeros).
static void append_number(buffer *out, double value) {
    char number[64];
    snprintf(number, sizeof number, "%.2f", round(value * 100) / 100);
    size_t length = strlen(number);
    while (length > 0 && number[length - 1] == '0') {
        length--;
    }
    if (length > 0 && number[length - 1] == '.') {
        length--;
    }
    if (length == 2 && strncmp(number, "-0", 2) == 0) {
        strcpy(number, "0");
        length = 1;
    }
    append(out, number, length);
}

static void append_tokens(buffer *out, const llama_token *tokens, int count) {
    append(out, "[", 1);
    for (int i = 0; i < count; i++) {
        char number[16];
        int length = snprintf(number, sizeof number, i == 0 ? "%d" : ",%d", tokens[i]);
        append(out, number, (size_t) length);
    }
    append(out, "]", 1);
}

// ---- the run ----

// The folder libllama was loaded from: where the npm package (or the packed copy) keeps the CPU variants.
static char *library_folder(void) {
    Dl_info info;
    if (dladdr((void *) &llama_backend_init, &info) == 0 || info.dli_fname == NULL) {
        fail("cannot tell where libllama was loaded from; give --backends-dir");
    }
    char *path = realpath(info.dli_fname, NULL);
    if (path == NULL) {
        path = strdup(info.dli_fname);
    }
    char *slash = strrchr(path, '/');
    if (slash == NULL) {
        free(path);
        return strdup(".");
    }
    *slash = '\0';
    return path;
}

static void decode_or_fail(struct llama_context *context, llama_token *tokens, int count) {
    int result = llama_decode(context, llama_batch_get_one(tokens, count));
    if (result != 0) {
        fail("llama_decode of %d tokens failed: %d", count, result);
    }
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *prompt = NULL, *max_tokens_text = NULL, *threads_text = NULL;
    const char *temperature = "0", *backends_dir = NULL;
    bool ignore_eos = false, json = false, check = false;
    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];
        const char **value = NULL;
        if (strcmp(option, "--model") == 0) value = &model_path;
        else if (strcmp(option, "--prompt") == 0) value = &prompt;
        else if (strcmp(option, "--max-tokens") == 0) value = &max_tokens_text;
        else if (strcmp(option, "--threads") == 0) value = &threads_text;
        else if (strcmp(option, "--temperature") == 0) value = &temperature;
        else if (strcmp(option, "--backends-dir") == 0) value = &backends_dir;
        else if (strcmp(option, "--ignore-eos") == 0) ignore_eos = true;
        else if (strcmp(option, "--json") == 0) json = true;
        else if (strcmp(option, "--verbose") == 0) verbose = true;
        else if (strcmp(option, "--check") == 0) check = true;
        else fail("unknown option %s", option);
        if (value != NULL) {
            if (i + 1 >= argc) {
                fail("%s needs a value", option);
            }
            *value = argv[++i];
        }
    }
    int max_tokens = 0, threads = 0;
    if (!check) {
        max_tokens = positive_integer("max-tokens", max_tokens_text);
        threads = positive_integer("threads", threads_text);
        if (model_path == NULL || prompt == NULL) {
            fail("--model and --prompt are required");
        }
        char *end = NULL;
        double temperature_value = strtod(temperature, &end);
        if (*end != '\0' || temperature_value != 0 || !ignore_eos || !json) {
            fail("only greedy runs with EOS ignored and a JSON report are supported: --temperature 0 --ignore-eos --json");
        }
    }

    llama_log_set(on_log, NULL);
    char *folder = backends_dir != NULL ? strdup(backends_dir) : library_folder();
    ggml_backend_load_all_from_path(folder);
    llama_backend_init();
    bool has_cpu = false;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        has_cpu |= ggml_backend_dev_type(ggml_backend_dev_get(i)) == GGML_BACKEND_DEVICE_TYPE_CPU;
    }
    if (!has_cpu) {
        fail("no CPU backend loaded from %s (libggml-cpu-<variant>.so for this processor)", folder);
    }
    if (strcmp(cpu_backend, "unknown") == 0) {
        dl_iterate_phdr(find_cpu_library, NULL);
    }
    if (check) {
        printf("llama.cpp %s (prebuilt %s), CPU backend %s, from %s\n", LLAMA_CPP_RELEASE, PREBUILT_PACKAGE, cpu_backend, folder);
        free(folder);
        llama_backend_free();
        return 0;
    }

    struct llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = 0;
    model_params.load_mode = LLAMA_LOAD_MODE_MMAP;
    model_params.lazy_mode = LLAMA_LAZY_MODE_OFF;
    model_params.check_tensors = false;
    struct llama_model *model = llama_model_load_from_file(model_path, model_params);
    if (model == NULL) {
        fail("cannot load %s", model_path);
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);

    int train_context = llama_model_n_ctx_train(model);
    int context_size = train_context > 0 && train_context < MAX_CONTEXT ? train_context : MAX_CONTEXT;
    struct llama_context_params context_params = llama_context_default_params();
    context_params.n_ctx = (uint32_t) ((context_size + CONTEXT_PAD - 1) / CONTEXT_PAD * CONTEXT_PAD);
    context_params.n_batch = (uint32_t) (context_size < DEFAULT_BATCH ? context_size : DEFAULT_BATCH);
    context_params.n_ubatch = context_params.n_batch;
    context_params.n_seq_max = 1;
    context_params.n_threads = threads;
    context_params.n_threads_batch = threads;
    context_params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_AUTO;
    context_params.no_perf = true;
    context_params.swa_full = false;
    context_params.kv_unified = false;
    struct llama_context *context = llama_init_from_model(model, context_params);
    if (context == NULL) {
        fail("cannot create a context of %d tokens", context_size);
    }

    // As llama.cpp's tokenizer with add_special: BOS first where the model adds it (generate.mjs:
    // BOS where shouldPrependBosToken, then tokenize(prompt) without special tokens).
    int prompt_length = (int) strlen(prompt);
    int capacity = prompt_length + 8;
    llama_token *prompt_tokens = allocate(sizeof(llama_token) * (size_t) (capacity + 1));
    llama_token bos = llama_vocab_bos(vocab);
    int prompt_count = 0;
    if (llama_vocab_get_add_bos(vocab) && bos != LLAMA_TOKEN_NULL) {
        prompt_tokens[prompt_count++] = bos;
    }
    int tokenized = llama_tokenize(vocab, prompt, prompt_length, prompt_tokens + prompt_count, capacity, false, false);
    if (tokenized < 0) {
        fail("the prompt does not tokenize into %d tokens", capacity);
    }
    prompt_count += tokenized;
    if (prompt_count == 0) {
        fail("the prompt has no tokens");
    }
    if (prompt_count + max_tokens > context_size) {
        fail("%d prompt tokens and %d to generate do not fit a context of %d", prompt_count, max_tokens, context_size);
    }

    // EOS ignored as llama.cpp's --ignore-eos and the Java engine do it: end-of-generation tokens
    // are never sampled (a bias of -infinity, as node-llama-cpp's "never"); then the greedy choice.
    int vocabulary = llama_vocab_n_tokens(vocab);
    llama_logit_bias *never_end = allocate(sizeof(llama_logit_bias) * (size_t) vocabulary);
    int end_tokens = 0;
    for (llama_token token = 0; token < vocabulary; token++) {
        if (llama_vocab_is_eog(vocab, token)) {
            never_end[end_tokens++] = (llama_logit_bias) {token, -INFINITY};
        }
    }
    struct llama_sampler *sampler = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(sampler, llama_sampler_init_logit_bias(vocabulary, end_tokens, never_end));
    llama_sampler_chain_add(sampler, llama_sampler_init_greedy());

    llama_token *generated = allocate(sizeof(llama_token) * (size_t) max_tokens);
    int count = 0;
    int batch = (int) context_params.n_batch;
    double start = seconds_now();
    for (int offset = 0; offset < prompt_count; offset += batch) { // one decode unless the prompt exceeds a batch
        decode_or_fail(context, prompt_tokens + offset, prompt_count - offset < batch ? prompt_count - offset : batch);
    }
    generated[count++] = llama_sampler_sample(sampler, context, -1);
    double first_token_at = seconds_now();
    while (count < max_tokens) {
        decode_or_fail(context, &generated[count - 1], 1);
        generated[count++] = llama_sampler_sample(sampler, context, -1);
    } // the last token is not fed back, as in the Java engine's loop
    double end_at = seconds_now();

    double time_to_first_token_ms = (first_token_at - start) * 1e3;
    double decode_seconds = end_at - first_token_at;
    buffer text = continuation_text(vocab, prompt_tokens, prompt_count, generated, count);
    char engine[768];
    snprintf(engine, sizeof engine, "native generate.c, llama.cpp %s (prebuilt %s), CPU backend %s, %d threads, flash attention %s",
             LLAMA_CPP_RELEASE, PREBUILT_PACKAGE, cpu_backend, llama_n_threads(context), flash_attention);

    buffer line = {0};
    append_text(&line, "{\"prompt_tokens\":");
    append_tokens(&line, prompt_tokens, prompt_count);
    append_text(&line, ",\"tokens\":");
    append_tokens(&line, generated, count);
    char number[32];
    int length = snprintf(number, sizeof number, ",\"generated_count\":%d", count);
    append(&line, number, (size_t) length);
    append_text(&line, ",\"text\":");
    append_json_string(&line, text.bytes, text.length);
    append_text(&line, ",\"finish_reason\":\"length\",\"time_to_first_token_ms\":");
    append_number(&line, time_to_first_token_ms);
    append_text(&line, ",\"prompt_tokens_per_second\":");
    append_number(&line, time_to_first_token_ms == 0 ? 0 : prompt_count / (time_to_first_token_ms / 1e3));
    append_text(&line, ",\"decode_tokens_per_second\":");
    append_number(&line, count < 2 || decode_seconds == 0 ? 0 : (count - 1) / decode_seconds);
    append_text(&line, ",\"peak_rss_mib\":");
    append_number(&line, peak_resident_kib() / 1024.0);
    append_text(&line, ",\"engine\":");
    buffer engine_text = well_formed(engine, strlen(engine));
    append_json_string(&line, engine_text.bytes, engine_text.length);
    append_text(&line, "}\n");
    fwrite(line.bytes, 1, line.length, stdout);
    fflush(stdout);

    free(line.bytes);
    free(engine_text.bytes);
    free(text.bytes);
    free(generated);
    free(never_end);
    free(prompt_tokens);
    free(folder);
    llama_sampler_free(sampler);
    llama_free(context);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
