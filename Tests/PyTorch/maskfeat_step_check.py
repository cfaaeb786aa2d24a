#!/usr/bin/env python3
"""One MaskFeat step in plain PyTorch, written from the paper's description (Wei et al., CVPR 2022)
and Dalal and Triggs' HOG, to check the framework's `hog` target against: per channel, image
gradients by a [-1, 0, 1] convolution on the edge-replicated image, unsigned orientations in 9
bins, each pixel voting its magnitude; histograms summed over cells; each patch's cells of a
channel L2-normalised together (block); the encoder sees every patch with masked ones replaced by
its mask token, a linear head predicts each patch's descriptor, MSE averaged over masked patches.

  maskfeat_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.* (with
                                 mask_token), head.weight, head.bias, images, mask (0/1), loss, the
                                 framework's targets and the gradients grad.NAME; prints one line of
                                 JSON: the largest differences.
"""
import json, math, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import read_safetensors
from sdae_step_check import encode, vit_from, encoder_grads, target_step_report


def hog(images, patch, cell, bins):
    b, c, h, w = images.shape
    padded = F.pad(images, (1, 1, 1, 1), mode="replicate")
    kernel = torch.tensor([[-1.0, 0.0, 1.0]])
    gx = F.conv2d(padded[:, :, 1:-1, :].reshape(b * c, 1, h, w + 2), kernel.reshape(1, 1, 1, 3)).reshape(b, c, h, w)
    gy = F.conv2d(padded[:, :, :, 1:-1].reshape(b * c, 1, h + 2, w), kernel.reshape(1, 1, 3, 1)).reshape(b, c, h, w)
    magnitude = torch.sqrt(gx ** 2 + gy ** 2)
    angle = torch.atan2(gy, gx)
    angle = torch.where(angle < 0, angle + math.pi, angle)
    angle = torch.where(angle >= math.pi, angle - math.pi, angle)
    index = torch.clamp((angle / (math.pi / bins)).floor().long(), 0, bins - 1)
    votes = F.one_hot(index, bins).to(images.dtype) * magnitude.unsqueeze(-1)   # [b, c, h, w, bins]
    cells = votes.reshape(b, c, h // cell, cell, w // cell, cell, bins).sum((3, 5))   # [b, c, h/cell, w/cell, bins]
    per_side, side = patch // cell, h // patch
    blocks = cells.reshape(b, c, side, per_side, side, per_side, bins).permute(0, 2, 4, 1, 3, 5, 6).reshape(b, side * side, c, -1)
    blocks = blocks / blocks.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return blocks.reshape(b, side * side, -1)


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student = vit_from({k: v for k, v in state.items() if k != "encoder.mask_token"}, "encoder.", shape)
    student.pos_embed.requires_grad_(False)
    mask_token = nn.Parameter(state["encoder.mask_token"].clone())
    head = nn.Linear(shape["width"], state["head.weight"].shape[0])
    head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
    images, mask = state["images"], state["mask"]

    targets = hog(images, shape["patch"], shape["cell"], shape["bins"])
    tokens = student.patch_embed(images)
    weight = mask.unsqueeze(-1)
    tokens = tokens * (1 - weight) + mask_token * weight + student.pos_embed[:, 1:]
    predicted = head(encode(student, tokens)[:, 1:])
    per_patch = ((predicted - targets) ** 2).mean(-1)
    loss = (per_patch * mask).sum() / mask.sum()
    loss.backward()

    grads = {"encoder.mask_token": mask_token.grad, "head.weight": head.weight.grad, "head.bias": head.bias.grad}
    grads.update(encoder_grads(student))
    print(target_step_report(loss, targets, grads, state))


if __name__ == "__main__":
    main(sys.argv[1])
