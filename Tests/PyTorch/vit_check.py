#!/usr/bin/env python3
"""Cross-checks sdae's ViT weights against plain PyTorch, with a ViT written here in timm's key layout
(patch_embed.proj, cls_token, pos_embed with its cls slot, blocks.N.norm1/attn.qkv/attn.proj/norm2/
mlp.fc1/mlp.fc2, norm), the layout timm's VisionTransformer loads. Debian has no safetensors or timm
packages, so safetensors files are read and written with numpy below.

  vit_check.py features WEIGHTS SIDECAR IO      load WEIGHTS (.safetensors or a torch.save zip) as the
                                                SIDECAR (sdae export's .json) describes; run IO's
                                                "input"; print the largest difference from IO's "tokens"
  vit_check.py make OUT_DIR DIM DEPTH HEADS PATCH IMG CHANS SEED
                                                a randomly initialised ViT saved as OUT_DIR/model.pth
                                                (state_dict zip), OUT_DIR/model.safetensors, OUT_DIR/mae_style.pth
                                                ({"model": ...} with decoder keys, as MAE releases), and its
                                                tokens for a fixed input in OUT_DIR/io.safetensors
Prints one line of JSON.
"""
import json, math, struct, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[key] = torch.from_numpy(array.copy())
    return tensors


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for key, tensor in tensors.items():
        blob = tensor.detach().contiguous().numpy().astype(np.float32).tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_weights(path):
    with open(path, "rb") as f:
        zipped = f.read(2) == b"PK"
    return torch.load(path) if zipped else read_safetensors(path)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attended = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1) @ v
        return self.proj(attended.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class LayerScale(nn.Module):
    def __init__(self, dim, init_values):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, eps, init_values):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=eps), nn.LayerNorm(dim, eps=eps)
        self.attn, self.mlp = Attention(dim, heads), Mlp(dim, int(dim * mlp_ratio))
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, chans, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(chans, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio=4.0, norm_eps=1e-6, init_values=None, **_):
        super().__init__()
        tokens = (img_size // patch_size) ** 2
        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size)
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + tokens, embed_dim) * 0.02)
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads, mlp_ratio, norm_eps, init_values) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps)

    def forward(self, images):
        """All tokens after the final norm, cls first: [B, 1 + L, D]."""
        x = self.patch_embed(images)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


def features(weights, sidecar, io):
    with open(sidecar) as f:
        description = json.load(f)
    model = VisionTransformer(**description).eval()
    state = load_weights(weights)
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    data = read_safetensors(io)
    with torch.no_grad():
        tokens = model(data["input"].float())
    print(json.dumps({"max_abs_diff": (tokens - data["tokens"]).abs().max().item(), "keys": len(state)}))


def make(out, dim, depth, heads, patch, img, chans, seed):
    torch.manual_seed(seed)
    model = VisionTransformer(img, patch, chans, dim, depth, heads).eval()
    for name, parameter in model.named_parameters():   # not the defaults: every tensor distinct and away from 0/1
        if parameter.dim() == 1:
            nn.init.normal_(parameter, mean=1.0 if "norm" in name and name.endswith("weight") else 0.0, std=0.1)
    state = model.state_dict()
    torch.save(state, f"{out}/model.pth")
    # as MAE's released checkpoints are laid out: the state dict under "model", with the decoder and its mask token beside the encoder
    decoder = {"decoder_embed.weight": torch.randn(16, dim), "decoder_pred.bias": torch.randn(49), "mask_token": torch.zeros(1, 1, 16)}
    torch.save({"model": {**state, **decoder}, "epoch": 799}, f"{out}/mae_style.pth")
    write_safetensors(f"{out}/model.safetensors", state)
    images = torch.randn(3, chans, img, img)
    with torch.no_grad():
        tokens = model(images)
    write_safetensors(f"{out}/io.safetensors", {"input": images, "tokens": tokens})
    print(json.dumps({"keys": len(state), "tokens": list(tokens.shape)}))


if __name__ == "__main__":
    mode, arguments = sys.argv[1], sys.argv[2:]
    if mode == "features":
        features(*arguments)
    elif mode == "make":
        make(arguments[0], *map(int, arguments[1:]))
    else:
        sys.exit(f"unknown mode {mode}; use features or make")
