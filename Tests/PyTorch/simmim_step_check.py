#!/usr/bin/env python3
"""One SimMIM step in plain PyTorch, written from the paper's description (Xie et al., CVPR 2022),
to check the framework's `simmim` target against: the encoder sees every patch with masked ones
replaced by a learnt mask token; its patch tokens, laid out as a feature map, go through a 1x1
convolution to patch*patch*channels values and a pixel shuffle back to image resolution; the loss
is the L1 distance on the masked pixels only (the patch mask upsampled to pixels), summed and
divided by (masked pixels + 1e-5) and by the channel count.

  simmim_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.* (with
                               mask_token), head.weight and head.bias (the framework's Linear, its
                               outputs laid out (row, column, channel) within a patch), images, mask
                               (the patch mask, 0/1), loss and the gradients grad.NAME; prints one
                               line of JSON: the largest differences.
"""
import json, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import read_safetensors
from sdae_step_check import encode, vit_from


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    p, c, side = shape["patch"], shape["channels"], shape["image"] // shape["patch"]
    encoder_state = {k: v for k, v in state.items() if k != "encoder.mask_token"}
    student = vit_from(encoder_state, "encoder.", shape)
    student.pos_embed.requires_grad_(False)   # the framework's table is a fixed sin-cos buffer
    mask_token = nn.Parameter(state["encoder.mask_token"].clone())
    # the framework's head rows are (row, column, channel); the pixel shuffle reads (channel, row, column)
    order = torch.arange(p * p * c).reshape(p, p, c).permute(2, 0, 1).reshape(-1)
    conv = nn.Conv2d(shape["width"], p * p * c, 1)
    with torch.no_grad():
        conv.weight.copy_(state["head.weight"][order].reshape(p * p * c, shape["width"], 1, 1))
        conv.bias.copy_(state["head.bias"][order])
    images, mask = state["images"], state["mask"]

    tokens = student.patch_embed(images)   # the mask token replaces a patch's embedding, before positions are added
    weight = mask.unsqueeze(-1).to(tokens.dtype)
    tokens = tokens * (1 - weight) + mask_token * weight + student.pos_embed[:, 1:]
    encoded = encode(student, tokens)[:, 1:]
    feature_map = encoded.transpose(1, 2).reshape(images.shape[0], shape["width"], side, side)
    reconstructed = F.pixel_shuffle(conv(feature_map), p)
    pixel_mask = mask.reshape(-1, 1, side, side).to(images.dtype).repeat_interleave(p, 2).repeat_interleave(p, 3)
    loss = (F.l1_loss(reconstructed, images, reduction="none") * pixel_mask).sum() / (pixel_mask.sum() + 1e-5) / c
    loss.backward()

    grads = {"encoder.mask_token": mask_token.grad, "head.weight": None, "head.bias": None}
    for name, parameter in student.named_parameters():
        if parameter.requires_grad:
            grads["encoder." + name.replace("patch_embed.proj.", "patch_embed.")] = parameter.grad
    # back to the framework's layout for the head
    inverse = torch.argsort(order)
    grads["head.weight"] = conv.weight.grad.reshape(p * p * c, -1)[inverse]
    grads["head.bias"] = conv.bias.grad[inverse]
    grad_diff = max((grads[name] - state["grad." + name]).abs().max().item() for name in grads)
    print(json.dumps({"loss": loss.item(), "max_loss_diff": abs(loss.item() - state["loss"].item()), "max_grad_diff": grad_diff, "gradients": len(grads)}))


if __name__ == "__main__":
    main(sys.argv[1])
