#!/usr/bin/env python3
"""One SdAE step under AttMask-High in plain PyTorch, written from the paper's description
(Kakogeorgiou et al., ECCV 2022), to check the framework's `attmask` masking against: the teacher
encodes the whole image; the last block's attention from the [CLS] query to each patch, averaged
over heads, ranks the patches; the n most attended are masked; then the SdAE step of
sdae_step_check.py (folds teacher view, feature axis) on that plan.

  attmask_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.*,
                                decoder.*, teacher.*, images, attention (the framework's guide),
                                mask (0/1), visible_ids, restore_ids, folds, loss and the gradients
                                grad.NAME; prints one line of JSON: the largest differences.
"""
import json, math, sys

import torch

from vit_check import read_safetensors
from sdae_step_check import Decoder, encode, gather, loss as sdae_loss, patch_tokens, teacher_targets, vit_from


def cls_attention(vit, images):
    with torch.no_grad():
        x = torch.cat([(vit.cls_token + vit.pos_embed[:, :1]).expand(images.shape[0], -1, -1), patch_tokens(vit, images)], 1)
        for block in vit.blocks[:-1]:
            x = block(x)
        last = vit.blocks[-1]
        b, n, d = x.shape
        heads = last.attn.heads
        q, k, _ = last.attn.qkv(last.norm1(x)).view(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
        weights = (q[:, :, :1] @ k.transpose(-2, -1) / math.sqrt(d // heads)).softmax(-1)   # [b, heads, 1, n]
        return weights.mean(1)[:, 0, 1:]


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student, teacher = vit_from(state, "encoder.", shape), vit_from(state, "teacher.", shape).eval()
    images = state["images"]
    attention = cls_attention(teacher, images)
    masked = shape["masked"]
    top = attention.argsort(1, descending=True)[:, :masked]
    mask = torch.zeros_like(attention).scatter_(1, top, 1.0)

    decoder = Decoder(shape["width"], shape["decoder_width"], shape["decoder_depth"], shape["decoder_heads"],
                      (shape["image"] // shape["patch"]) ** 2, shape["width"])
    decoder.load_state_dict({k[len("decoder."):]: v for k, v in state.items() if k.startswith("decoder.")}, strict=True)
    student.pos_embed.requires_grad_(False)
    folds = state["folds"]
    prediction = decoder(encode(student, gather(patch_tokens(student, images), state["visible_ids"])), state["restore_ids"])
    value = sdae_loss(gather(prediction, folds.reshape(folds.shape[0], -1)), teacher_targets(teacher, images, folds, "folds"), "feature", folds.shape[1])
    value.backward()
    named = [("encoder." + n, p) for n, p in student.named_parameters() if p.requires_grad] + [("decoder." + n, p) for n, p in decoder.named_parameters()]
    grad_diff = max((p.grad - state["grad." + n.replace("patch_embed.proj.", "patch_embed.")]).abs().max().item() for n, p in named)
    print(json.dumps({
        "max_attention_diff": (attention - state["attention"]).abs().max().item(),
        "mask_mismatches": int((mask != state["mask"]).sum().item()),
        "loss": value.item(), "max_loss_diff": abs(value.item() - state["loss"].item()), "max_grad_diff": grad_diff,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
