#!/usr/bin/env python3
"""One SdAE step in plain PyTorch, written from docs/method.md and the paper's description, to check
the framework's `teacher_latent` target against: the student encodes the visible patches, MAE's
decoder restores the patch order with mask tokens and predicts a feature vector per patch; an EMA
teacher (a ViT of the student's shape) encodes the masked patches (each fold as its own sequence,
all folds in one sequence, or the whole image read at the masked positions); its final-norm output,
standardised per token without parameters (eps 1e-6), is the target; the loss is 1 - cosine, per
token over the features, or within each fold per channel over the fold's tokens.

  sdae_step_check.py STEP    STEP (safetensors, written by the C# test) holds encoder.*, decoder.*,
                             teacher.*, images, visible_ids, restore_ids, folds, and for each loss
                             axis and teacher view loss.AXIS.VIEW and the student's gradients
                             grad.AXIS.VIEW.NAME; prints one line of JSON: the largest differences.
"""
import json, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from vit_check import Block, VisionTransformer, read_safetensors


class Decoder(nn.Module):
    """MAE's decoder: embed, mask tokens, patch order restored, position table, blocks, norm, prediction."""

    def __init__(self, encoder_dim, dim, depth, heads, tokens, out_dim):
        super().__init__()
        self.decoder_embed = nn.Linear(encoder_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer("decoder_pos_embed", torch.zeros(1, 1 + tokens, dim))
        self.decoder_blocks = nn.ModuleList(Block(dim, heads, 4.0, 1e-6, None) for _ in range(depth))
        self.decoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.decoder_pred = nn.Linear(dim, out_dim)

    def forward(self, encoded, restore):
        x = self.decoder_embed(encoded)
        batch, visible = x.shape[0], x.shape[1] - 1
        filled = torch.cat([x[:, 1:], self.mask_token.expand(batch, restore.shape[1] - visible, -1)], 1)
        x = torch.cat([x[:, :1], gather(filled, restore)], 1) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]


def gather(tokens, ids):
    return torch.gather(tokens, 1, ids.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


def patch_tokens(vit, images):
    return vit.patch_embed(images) + vit.pos_embed[:, 1:]


def encode(vit, tokens):
    """cls (with its position) prepended, blocks, final norm: [N, n, D] -> [N, 1 + n, D]."""
    cls = (vit.cls_token + vit.pos_embed[:, :1]).expand(tokens.shape[0], -1, -1)
    x = torch.cat([cls, tokens], 1)
    for block in vit.blocks:
        x = block(x)
    return vit.norm(x)


def teacher_targets(teacher, images, folds, view):
    batch, k, n = folds.shape
    ids = folds.reshape(batch, k * n)
    with torch.no_grad():
        tokens = patch_tokens(teacher, images)
        if view == "folds":
            encoded = encode(teacher, gather(tokens, ids).reshape(batch * k, n, -1))[:, 1:].reshape(batch, k * n, -1)
        elif view == "masked":
            encoded = encode(teacher, gather(tokens, ids))[:, 1:]
        else:
            encoded = gather(encode(teacher, tokens)[:, 1:], ids)
        return F.layer_norm(encoded, encoded.shape[-1:], eps=1e-6)


def loss(predicted, targets, axis, folds):
    if axis == "feature":
        return (1 - F.cosine_similarity(predicted, targets, dim=-1)).mean()
    rows, width = predicted.shape[0] * folds, predicted.shape[-1]
    return (1 - F.cosine_similarity(predicted.reshape(rows, -1, width), targets.reshape(rows, -1, width), dim=1)).mean()


def vit_from(state, prefix, shape):
    own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    own["patch_embed.proj.weight"], own["patch_embed.proj.bias"] = own.pop("patch_embed.weight"), own.pop("patch_embed.bias")
    vit = VisionTransformer(shape["image"], shape["patch"], shape["channels"], shape["width"], shape["depth"], shape["heads"])
    vit.load_state_dict(own, strict=True)
    return vit


def encoder_grads(vit):
    """The student's gradients under the framework's names (its patch embedding is not wrapped in a proj module)."""
    return {"encoder." + name.replace("patch_embed.proj.", "patch_embed."): p.grad for name, p in vit.named_parameters() if p.requires_grad}


def target_step_report(loss, targets, grads, state):
    """The JSON line a target's one-step check prints: loss, targets and every gradient against the framework's."""
    return json.dumps({
        "loss": loss.item(), "max_loss_diff": abs(loss.item() - state["loss"].item()),
        "max_target_diff": (targets - state["targets"]).abs().max().item(),
        "max_grad_diff": max((grads[name] - state["grad." + name]).abs().max().item() for name in grads), "gradients": len(grads),
    })


def main(path):
    state = read_safetensors(path)
    with open(path + ".json") as f:
        shape = json.load(f)
    student, teacher = vit_from(state, "encoder.", shape), vit_from(state, "teacher.", shape).eval()
    decoder = Decoder(shape["width"], shape["decoder_width"], shape["decoder_depth"], shape["decoder_heads"],
                      (shape["image"] // shape["patch"]) ** 2, shape["width"])
    decoder.load_state_dict({k[len("decoder."):]: v for k, v in state.items() if k.startswith("decoder.")}, strict=True)
    images, folds = state["images"], state["folds"]
    student.pos_embed.requires_grad_(False)   # the framework's table is a fixed sin-cos buffer
    named = [("encoder." + name, p) for name, p in student.named_parameters()] + [("decoder." + name, p) for name, p in decoder.named_parameters()]
    named = [(name, p) for name, p in named if p.requires_grad]
    losses, loss_diff, grad_diff = {}, 0.0, 0.0
    for axis in ("feature", "token"):
        for view in ("folds", "masked", "full"):
            for _, parameter in named:
                parameter.grad = None
            prediction = decoder(encode(student, gather(patch_tokens(student, images), state["visible_ids"])), state["restore_ids"])
            value = loss(gather(prediction, folds.reshape(folds.shape[0], -1)), teacher_targets(teacher, images, folds, view), axis, folds.shape[1])
            value.backward()
            key = f"{axis}.{view}"
            losses[key] = value.item()
            loss_diff = max(loss_diff, abs(value.item() - state[f"loss.{key}"].item()))
            for name, parameter in named:
                ours = state[f"grad.{key}.{name.replace('patch_embed.proj.', 'patch_embed.')}"]
                grad_diff = max(grad_diff, (parameter.grad - ours).abs().max().item())
    print(json.dumps({"max_loss_diff": loss_diff, "max_grad_diff": grad_diff, "losses": losses}))


if __name__ == "__main__":
    main(sys.argv[1])
