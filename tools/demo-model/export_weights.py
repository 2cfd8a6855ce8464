#!/usr/bin/python3
"""Writes a checkpoint's weights as raw little-endian float32 files under GGUF tensor names, with a
manifest (name, then the GGUF shape: row length first), for ExportGguf to turn into GGUF files.

usage: export_weights.py CHECKPOINT.pt OUT_DIR
"""
import os
import sys

import torch

import train


def main():
    checkpoint = torch.load(sys.argv[1], map_location="cpu")
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    state = checkpoint["model"]
    lines = []
    for key, tensor in state.items():
        # blocks.3.attn_q.weight -> blk.3.attn_q.weight; token_embd / output_norm keep their names.
        name = "blk." + key[len("blocks."):] if key.startswith("blocks.") else key
        array = tensor.detach().float().numpy().astype("<f4")
        # torch stores a Linear's weight as (out, in) rows; GGUF's shape lists the row length first.
        shape = list(reversed(array.shape))
        array.tofile(os.path.join(out_dir, name + ".f32"))
        lines.append(" ".join([name] + [str(d) for d in shape]))
    with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
        f.write(f"# epoch {checkpoint['epoch']} loss {checkpoint['loss']:.4f} seconds {checkpoint['seconds']:.0f}\n")
        f.write(f"config heads {train.HEADS} context {train.CONTEXT} rope_base {train.ROPE_BASE} rms_eps {train.RMS_EPS}\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} tensors from epoch {checkpoint['epoch']} (answer loss {checkpoint['loss']:.4f})")


if __name__ == "__main__":
    main()
