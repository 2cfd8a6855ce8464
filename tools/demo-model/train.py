#!/usr/bin/python3
"""Trains the demo model: a small LLaMA (RMSNorm, RoPE on adjacent pairs as llama.cpp's `llama`
architecture does, SwiGLU, tied embeddings) on the tokenized WordNet corpus, on one CPU thread.

The loss is on the answer tokens only (the answer and its </s>). Logits are computed only for
the token ids that occur in the corpus; every other token keeps a zero embedding row, so its
logit in the shipped model is exactly 0, and the softmax here adds one column of logit
log(count of those tokens) standing for all of them: the loss is the full 32000-way loss.

usage: train.py TRAIN.bin[,TRAIN2.bin...] OUT_DIR [EPOCHS [FROM_CHECKPOINT [PEAK_LR]]]
Several TRAIN files (build_corpus.py's train-p*.tsv tokenized: the same examples line for line,
each in another phrasing of the question): every epoch takes, for each example, one of them,
picked at random (seeded), so an epoch costs what one file's epoch does.
Writes OUT_DIR/checkpoint.pt after every epoch and appends to OUT_DIR/train.log. With
FROM_CHECKPOINT it continues that checkpoint's weights for EPOCHS more epochs (fresh optimizer,
short warm-up, peak learning rate PEAK_LR or else RESUME_LEARNING_RATE, shuffles seeded by the
epoch reached).
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261126
VOCAB = 32000
DIM = 128
LAYERS = 8
HEADS = 4
FFN = 384
CONTEXT = 256
ROPE_BASE = 10000.0
RMS_EPS = 1e-5
BATCH = 48
LEARNING_RATE = 3e-3
WARMUP_STEPS = 200
RESUME_LEARNING_RATE = 1.5e-3
RESUME_WARMUP_STEPS = 50
WEIGHT_DECAY = 0.01


def read_examples(path):
    """[(ids, prompt length)] from TokenizeCorpus's little-endian int32 records."""
    data = np.fromfile(path, dtype="<i4")
    examples, i = [], 0
    while i < len(data):
        n, p = int(data[i]), int(data[i + 1])
        examples.append((data[i + 2:i + 2 + n].astype(np.int64), p))
        i += 2 + n
    return examples


class RmsNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(DIM))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * self.weight


def rope_tables(length):
    """cos and sin of pos * base^(-2i/headDim) for pair i, as llama.cpp's normal (adjacent-pair) RoPE."""
    head_dim = DIM // HEADS
    inv = ROPE_BASE ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def rotate(x, cos, sin):
    """x: (batch, heads, time, headDim); rotates pairs (2i, 2i+1)."""
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = RmsNorm()
        self.attn_q = torch.nn.Linear(DIM, DIM, bias=False)
        self.attn_k = torch.nn.Linear(DIM, DIM, bias=False)
        self.attn_v = torch.nn.Linear(DIM, DIM, bias=False)
        self.attn_output = torch.nn.Linear(DIM, DIM, bias=False)
        self.ffn_norm = RmsNorm()
        self.ffn_gate = torch.nn.Linear(DIM, FFN, bias=False)
        self.ffn_up = torch.nn.Linear(DIM, FFN, bias=False)
        self.ffn_down = torch.nn.Linear(FFN, DIM, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q, k, v = (m(h).view(b, t, HEADS, DIM // HEADS).transpose(1, 2)
                   for m in (self.attn_q, self.attn_k, self.attn_v))
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(DIM // HEADS) + mask
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, DIM)
        x = x + self.attn_output(attended)
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class DemoModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embd = torch.nn.Embedding(VOCAB, DIM)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.output_norm = RmsNorm()
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * LAYERS) if name.endswith(("attn_output.weight", "ffn_down.weight")) else 0.02
                torch.nn.init.normal_(p, 0.0, std)

    def hidden(self, ids):
        t = ids.shape[1]
        cos, sin = rope_tables(t)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.token_embd(ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.output_norm(x)


def batches(examples, rng):
    """Shuffled batches of examples of similar length (less padding)."""
    order = rng.permutation(len(examples))
    chunk = BATCH * 32
    result = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(examples[i][0]))
        result.extend(part[j:j + BATCH] for j in range(0, len(part), BATCH))
    rng.shuffle(result)
    return result


def collate(examples, indices, remap):
    """Input ids (padded with EOS, never attended by real tokens: causal), answer positions, targets."""
    longest = max(len(examples[i][0]) for i in indices) - 1
    ids = torch.full((len(indices), longest), 2, dtype=torch.long)
    rows, cols, targets = [], [], []
    for r, i in enumerate(indices):
        tokens, prompt = examples[i]
        ids[r, :len(tokens) - 1] = torch.from_numpy(tokens[:-1])
        for pos in range(prompt - 1, len(tokens) - 1):
            rows.append(r)
            cols.append(pos)
            targets.append(remap[tokens[pos + 1]])
    return ids, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets)


def main():
    train_paths, out_dir = sys.argv[1].split(","), sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 14
    resume = torch.load(sys.argv[4], map_location="cpu") if len(sys.argv) > 4 else None
    first_epoch = resume["epoch"] if resume else 0
    peak_lr = float(sys.argv[5]) if len(sys.argv) > 5 else RESUME_LEARNING_RATE if resume else LEARNING_RATE
    warmup = RESUME_WARMUP_STEPS if resume else WARMUP_STEPS
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED + first_epoch)
    os.makedirs(out_dir, exist_ok=True)
    phrasings = [read_examples(path) for path in train_paths]
    examples = phrasings[0]
    assert all(len(p) == len(examples) for p in phrasings), "the TRAIN files must hold the same examples"
    assert max(len(e[0]) for p in phrasings for e in p) <= CONTEXT
    used = np.unique(np.concatenate([e[0] for p in phrasings for e in p]))
    remap = np.full(VOCAB, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    used_ids = torch.from_numpy(used)
    unused_logit = math.log(VOCAB - len(used))

    model = DemoModel()
    if resume:
        model.load_state_dict(resume["model"])
    with torch.no_grad():
        keep = torch.zeros(VOCAB, dtype=torch.bool)
        keep[used_ids] = True
        model.token_embd.weight[~keep] = 0.0
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=peak_lr, betas=(0.9, 0.95))
    steps_per_epoch = math.ceil(len(examples) / BATCH) + 32
    total_steps = epochs * steps_per_epoch
    log = open(os.path.join(out_dir, "train.log"), "a")

    def say(text):
        print(text, flush=True)
        log.write(text + "\n")
        log.flush()

    say(f"{len(examples)} examples in {len(phrasings)} phrasing(s), {len(used)} distinct tokens, {epochs} epochs from epoch "
        f"{first_epoch}, peak learning rate {peak_lr}, seed {SEED}, {sum(p.numel() for p in model.parameters())} parameters")
    start, step = time.time(), 0
    seconds_before = resume["seconds"] if resume else 0.0
    for epoch in range(first_epoch, first_epoch + epochs):
        total, count = 0.0, 0
        if len(phrasings) > 1:
            choice = rng.integers(len(phrasings), size=len(examples))
            examples = [phrasings[k][i] for i, k in enumerate(choice)]
        for indices in batches(examples, rng):
            ids, rows, cols, targets = collate(examples, indices, remap)
            lr = peak_lr * min(1.0, (step + 1) / warmup) * (
                0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total_steps))))
            for group in optimizer.param_groups:
                group["lr"] = lr
            hidden = model.hidden(ids)[rows, cols]
            logits = hidden @ model.token_embd.weight[used_ids].t()
            logits = torch.cat((logits, torch.full((len(rows), 1), unused_logit)), dim=1)
            loss = F.cross_entropy(logits, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            with torch.no_grad():  # weight decay must not move the unused rows off zero
                model.token_embd.weight[~keep] = 0.0
            total += loss.item() * len(rows)
            count += len(rows)
            step += 1
            if step % 50 == 0:
                say(f"step {step} epoch {epoch + 1} loss {loss.item():.4f} lr {lr:.5f} {time.time() - start:.0f}s")
        seconds = seconds_before + time.time() - start
        say(f"epoch {epoch + 1} mean answer loss {total / count:.4f} after {seconds:.0f}s")
        torch.save({"model": model.state_dict(), "epoch": epoch + 1, "loss": total / count, "seconds": seconds},
                   os.path.join(out_dir, "checkpoint.pt"))


if __name__ == "__main__":
    main()
