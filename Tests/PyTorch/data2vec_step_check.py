#!/usr/bin/env python3
"""One data2vec 2.0 step in plain PyTorch, written from the paper's description (Baevski et al.,
ICML 2023), to check the framework's `data2vec` target and `conv_decoder` against: an EMA teacher
encodes each whole image once; the patch tokens after each of its top K blocks (the last after the
final norm) are instance-normalised per channel over the tokens (F.instance_norm) and averaged;
each image has M masks: the student encodes each masked version's visible patches, the decoder
fills the masked slots with its mask token, restores the patch order on the grid and applies
residual blocks of grouped convolution + LayerNorm + GELU, then a Linear; the loss is the squared
error per token, averaged over features and over every mask's masked patches.

  data2vec_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.*,
                                 teacher.*, decoder.*, images, visible_ids, restore_ids, mask (0/1),
                                 loss and the gradients grad.NAME; prints one line of JSON.
"""
import json, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import read_safetensors
from sdae_step_check import encode, gather, patch_tokens, vit_from, encoder_grads, target_step_report


def teacher_targets(teacher, images, top_k):
    with torch.no_grad():
        x = torch.cat([(teacher.cls_token + teacher.pos_embed[:, :1]).expand(images.shape[0], -1, -1), patch_tokens(teacher, images)], 1)
        outputs = []
        for i, block in enumerate(teacher.blocks):
            x = block(x)
            outputs.append(teacher.norm(x) if i == len(teacher.blocks) - 1 else x)
        chosen = [F.instance_norm(out[:, 1:].transpose(1, 2), eps=1e-5) for out in outputs[-top_k:]]
        return (sum(chosen) / top_k).transpose(1, 2)


class ConvDecoder(nn.Module):
    def __init__(self, encoder_dim, dim, depth, kernel, groups, side, out_dim):
        super().__init__()
        self.side = side
        self.decoder_embed = nn.Linear(encoder_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.convs = nn.ModuleList(nn.Conv2d(dim, dim, kernel, padding=kernel // 2, groups=groups) for _ in range(depth))
        self.norms = nn.ModuleList(nn.LayerNorm(dim, eps=1e-6) for _ in range(depth))
        self.decoder_pred = nn.Linear(dim, out_dim)

    def forward(self, encoded, restore):
        x = self.decoder_embed(encoded[:, 1:])
        filled = torch.cat([x, self.mask_token.expand(x.shape[0], restore.shape[1] - x.shape[1], -1)], 1)
        grid = gather(filled, restore).transpose(1, 2).reshape(x.shape[0], -1, self.side, self.side)
        for conv, norm in zip(self.convs, self.norms):
            grid = grid + F.gelu(norm(conv(grid).permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
        return self.decoder_pred(grid.flatten(2).transpose(1, 2))


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student = vit_from({k: v for k, v in state.items() if k.startswith("encoder.")}, "encoder.", shape)
    teacher = vit_from({k: v for k, v in state.items() if k.startswith("teacher.")}, "teacher.", shape).eval()
    student.pos_embed.requires_grad_(False)
    side = shape["image"] // shape["patch"]
    decoder = ConvDecoder(shape["width"], shape["decoder_width"], shape["decoder_depth"], shape["kernel"], shape["groups"], side, shape["width"])
    own = {k[len("decoder."):]: v for k, v in state.items() if k.startswith("decoder.")}
    for i in range(shape["decoder_depth"]):
        for part in ("weight", "bias"):
            own[f"convs.{i}.{part}"] = own.pop(f"decoder_blocks.{i}.conv.{part}")
            own[f"norms.{i}.{part}"] = own.pop(f"decoder_blocks.{i}.norm.{part}")
    decoder.load_state_dict(own, strict=True)

    images, masks = state["images"], shape["masks_per_image"]
    targets = teacher_targets(teacher, images, shape["top_k"]).repeat_interleave(masks, 0)
    copies = images.repeat_interleave(masks, 0)
    prediction = decoder(encode(student, gather(patch_tokens(student, copies), state["visible_ids"])), state["restore_ids"])
    mask = state["mask"]
    loss = (((prediction - targets) ** 2).mean(-1) * mask).sum() / mask.sum()
    loss.backward()

    grads = encoder_grads(student)
    for name, parameter in decoder.named_parameters():
        mapped = name.replace("convs.", "decoder_blocks.").replace("norms.", "decoder_blocks.")
        if name.startswith("convs."):
            index, part = name.split(".")[1:]
            mapped = f"decoder_blocks.{index}.conv.{part}"
        elif name.startswith("norms."):
            index, part = name.split(".")[1:]
            mapped = f"decoder_blocks.{index}.norm.{part}"
        grads["decoder." + mapped] = parameter.grad
    print(target_step_report(loss, targets, grads, state))


if __name__ == "__main__":
    main(sys.argv[1])
