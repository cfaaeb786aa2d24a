#!/usr/bin/env python3
"""One CrossMAE step in plain PyTorch, written from the paper's description (Fu et al., 2024), to
check the framework's `cross_decoder` (with MAE's pixel target) against: the student encodes the
visible patches; a query per predicted masked patch (mask token + the patch's decoder position)
goes through blocks of cross-attention over the visible tokens (embedded, with their positions;
PyTorch's nn.MultiheadAttention here) and an MLP, never attending to other queries; the predicted
patches are the first predict_ratio of each image's masked patches in the plan's random order; the
loss is MAE's per-patch-standardised pixel MSE over those patches only.

  crossmae_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.*,
                                 decoder.*, images, visible_ids, shuffle (visible first, then masked
                                 in the plan's order), loss and the gradients grad.NAME; prints one
                                 line of JSON: the largest differences.
"""
import json, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import Mlp, read_safetensors
from sdae_step_check import encode, gather, patch_tokens, vit_from


class CrossBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.context_norm = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x, context):
        c = self.context_norm(context)
        x = x + self.attn(self.norm1(x), c, c, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


def load_block(block, state, prefix):
    own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    mapped = {
        "attn.in_proj_weight": torch.cat([own.pop("attn.q.weight"), own.pop("attn.kv.weight")]),
        "attn.in_proj_bias": torch.cat([own.pop("attn.q.bias"), own.pop("attn.kv.bias")]),
        "attn.out_proj.weight": own.pop("attn.proj.weight"),
        "attn.out_proj.bias": own.pop("attn.proj.bias"),
    }
    block.load_state_dict({**own, **mapped}, strict=True)


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student = vit_from({k: v for k, v in state.items() if k.startswith("encoder.")}, "encoder.", shape)
    student.pos_embed.requires_grad_(False)
    width, depth, p = shape["decoder_width"], shape["decoder_depth"], shape["patch"]
    embed, pred = nn.Linear(shape["width"], width), nn.Linear(width, p * p * shape["channels"])
    norm = nn.LayerNorm(width, eps=1e-6)
    embed.load_state_dict({"weight": state["decoder.decoder_embed.weight"], "bias": state["decoder.decoder_embed.bias"]})
    pred.load_state_dict({"weight": state["decoder.decoder_pred.weight"], "bias": state["decoder.decoder_pred.bias"]})
    norm.load_state_dict({"weight": state["decoder.decoder_norm.weight"], "bias": state["decoder.decoder_norm.bias"]})
    mask_token = nn.Parameter(state["decoder.mask_token"].clone())
    positions = state["decoder.decoder_pos_embed"]
    blocks = nn.ModuleList(CrossBlock(width, shape["decoder_heads"]) for _ in range(depth))
    for i, block in enumerate(blocks):
        load_block(block, state, f"decoder.decoder_blocks.{i}.")

    images, visible_ids, shuffle = state["images"], state["visible_ids"], state["shuffle"]
    batch, tokens, visible = images.shape[0], shuffle.shape[1], visible_ids.shape[1]
    predicted = shuffle[:, visible:visible + max(1, int((tokens - visible) * shape["predict_ratio"] + 1e-9))]

    encoded = encode(student, gather(patch_tokens(student, images), visible_ids))
    patch_positions = positions[:, 1:].expand(batch, -1, -1)
    context = embed(encoded) + torch.cat([positions[:, :1].expand(batch, -1, -1), gather(patch_positions, visible_ids)], 1)
    x = mask_token + gather(patch_positions, predicted)
    for block in blocks:
        x = block(x, context)
    prediction = pred(norm(x))

    side = shape["image"] // p
    patches = images.reshape(batch, shape["channels"], side, p, side, p).permute(0, 2, 4, 3, 5, 1).reshape(batch, tokens, -1)
    target = gather(patches, predicted)
    target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, unbiased=True, keepdim=True) + 1e-6).sqrt()
    loss = (prediction - target).square().mean(-1).mean()
    loss.backward()

    grads = {"decoder.mask_token": mask_token.grad}
    for name, module in (("decoder_embed", embed), ("decoder_pred", pred), ("decoder_norm", norm)):
        for key, parameter in module.named_parameters():
            grads[f"decoder.{name}.{key}"] = parameter.grad
    for i, block in enumerate(blocks):
        for key, parameter in block.named_parameters():
            name = f"decoder.decoder_blocks.{i}.{key}"
            if key == "attn.in_proj_weight" or key == "attn.in_proj_bias":
                suffix = key.split("_")[-1]
                grads[f"decoder.decoder_blocks.{i}.attn.q.{suffix}"] = parameter.grad[:width]
                grads[f"decoder.decoder_blocks.{i}.attn.kv.{suffix}"] = parameter.grad[width:]
            else:
                grads[name.replace("attn.out_proj", "attn.proj")] = parameter.grad
    for name, parameter in student.named_parameters():
        if parameter.requires_grad:
            grads["encoder." + name.replace("patch_embed.proj.", "patch_embed.")] = parameter.grad
    grad_diff = max((grads[name] - state["grad." + name]).abs().max().item() for name in grads)
    print(json.dumps({"loss": loss.item(), "max_loss_diff": abs(loss.item() - state["loss"].item()), "max_grad_diff": grad_diff,
                      "gradients": len(grads), "predicted_per_image": predicted.shape[1]}))


if __name__ == "__main__":
    main(sys.argv[1])
