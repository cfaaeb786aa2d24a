#!/usr/bin/env python3
"""One I-JEPA step in plain PyTorch, written from the paper's description (Assran et al., CVPR 2023),
to check the framework's `ijepa` target against: the target encoder (an EMA of the student) encodes
the whole image, and its patch outputs, layer-normalised over features without affine parameters,
are the targets; the context encoder (the student) encodes the context patches (cls kept: the
framework's backbones have one); the predictor, for each target block on its own, embeds the context
patch tokens to its width and adds their sin-cos positions, appends a mask token plus the position
of each patch of that block, runs its blocks and final norm, and projects the mask tokens back to
the encoder's width; the loss is the squared error per token averaged over features and over every
block's patches. Each block is predicted alone here, unpadded, so the framework's batched, padded
predictor must give the same.

  ijepa_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.*, teacher.*,
                              predictor.*, images, visible_ids, groups (0/1, [B, G, L]), targets,
                              loss and the gradients grad.NAME; prints one line of JSON.
"""
import json, math, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import Block, read_safetensors
from sdae_step_check import encode, gather, patch_tokens, vit_from, encoder_grads, target_step_report


def sincos(width, side):
    """[L, width]: per patch, the first half of the channels encodes its column, the second its row, each as [sin(p w_i), cos(p w_i)], w_i = 10000^(-i / (width / 4))."""
    quarter = width // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    rows = []
    for token in range(side * side):
        row, column = divmod(token, side)
        rows.append(torch.cat([torch.sin(column * omega), torch.cos(column * omega), torch.sin(row * omega), torch.cos(row * omega)]))
    return torch.stack(rows).float()


class Predictor(nn.Module):
    def __init__(self, encoder_dim, dim, depth, heads, mlp_ratio, side):
        super().__init__()
        self.predictor_embed = nn.Linear(encoder_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.predictor_blocks = nn.ModuleList(Block(dim, heads, mlp_ratio, 1e-6, None) for _ in range(depth))
        self.predictor_norm = nn.LayerNorm(dim, eps=1e-6)
        self.predictor_proj = nn.Linear(dim, encoder_dim)
        self.register_buffer("positions", sincos(dim, side), persistent=False)

    def forward(self, context, context_ids, block_ids):
        """One image, one target block: context [Nv, D] at context_ids [Nv]; block_ids [n] -> [n, D]."""
        x = torch.cat([self.predictor_embed(context) + self.positions[context_ids], self.mask_token[0] + self.positions[block_ids]], 0).unsqueeze(0)
        for block in self.predictor_blocks:
            x = block(x)
        return self.predictor_proj(self.predictor_norm(x[0, context.shape[0]:]))


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student = vit_from(state, "encoder.", shape)
    teacher = vit_from(state, "teacher.", shape).eval()
    student.pos_embed.requires_grad_(False)
    side = shape["image"] // shape["patch"]
    predictor = Predictor(shape["width"], shape["predictor_width"], shape["predictor_depth"], shape["predictor_heads"], shape["mlp_ratio"], side)
    own = {k[len("predictor."):]: v for k, v in state.items() if k.startswith("predictor.") and not k.endswith("predictor_pos_embed")}
    predictor.load_state_dict(own, strict=True)

    images, visible_ids, groups = state["images"], state["visible_ids"], state["groups"] > 0.5
    with torch.no_grad():
        patches = teacher(images)[:, 1:]
        targets = F.layer_norm(patches, (patches.shape[-1],))
    encoded = encode(student, gather(patch_tokens(student, images), visible_ids))[:, 1:]
    errors = []
    for b in range(images.shape[0]):
        for g in range(groups.shape[1]):
            ids = groups[b, g].nonzero()[:, 0]
            predicted = predictor(encoded[b], visible_ids[b], ids)
            errors.append(((predicted - targets[b, ids]) ** 2).mean(-1))
    loss = torch.cat(errors).mean()
    loss.backward()

    grads = encoder_grads(student)
    for name, parameter in predictor.named_parameters():
        grads["predictor." + name] = parameter.grad
    print(target_step_report(loss, targets, grads, state))


if __name__ == "__main__":
    main(sys.argv[1])
