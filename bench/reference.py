#!/usr/bin/env python3
"""PyTorch eager reference for `sdae bench`: the same MAE / SdAE training step, built from the
same experiment (a resolved config, as `sdae validate --resolved` prints it), timed the same way
(median ms/step after 3 warm-up steps, synchronised): masking, forward, backward, clipping when the
experiment clips, AdamW, and SdAE's EMA teacher update. Prints one line of JSON.

    sdae validate --resolved EXPERIMENT.yaml > /tmp/resolved.yaml
    python3 bench/reference.py /tmp/resolved.yaml --steps 20 [--batch 128] [--precision fp32|bf16]
"""
import argparse, json, math, statistics, sys, time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(json.dumps({"skipped": "PyTorch is not installed (pip install torch, or apt-get install python3-torch)"}))
    sys.exit(0)
import yaml

PRESETS = {"micro": (64, 4, 4), "tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12)}
# (side, channels) of each dataset plugin's images before data.image_size; image_folder's come from its options
DATASET_SHAPE = {"fashion_mnist": (28, 1), "mnist": (28, 1), "cifar": (32, 3)}


def data_shape(data):
    """The training images' side and channels from the resolved data section (its dataset plugin is data.type)."""
    kind = data["type"]
    if kind == "image_folder":
        if not int(data.get("image_size") or 0):
            raise SystemExit("reference: an image_folder experiment needs data.image_size to say its image size")
        return int(data["image_size"]), int(data.get("channels", 3))
    if kind not in DATASET_SHAPE:
        raise SystemExit(f"reference: dataset plugin {kind!r} has no known image shape here (known: {', '.join(DATASET_SHAPE)}, image_folder)")
    return DATASET_SHAPE[kind]


def sincos(width, side):
    quarter = width // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    def half(pos):
        out = pos.flatten().double()[:, None] * omega[None]
        return torch.cat([out.sin(), out.cos()], 1)
    table = torch.cat([half(cols), half(rows)], 1).float()
    return torch.cat([torch.zeros(1, width), table], 0)[None]


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio, drop_path):
        super().__init__()
        self.heads, self.drop_path = heads, drop_path
        self.norm1, self.norm2 = nn.LayerNorm(width, eps=1e-6), nn.LayerNorm(width, eps=1e-6)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc1, self.fc2 = nn.Linear(width, int(width * mlp_ratio)), nn.Linear(int(width * mlp_ratio), width)

    def attention(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if hasattr(F, "scaled_dot_product_attention"):
            a = F.scaled_dot_product_attention(q, k, v)
        else:  # PyTorch < 2.0
            a = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1) @ v
        return self.proj(a.transpose(1, 2).reshape(b, n, d))

    def drop(self, x):
        if not self.training or self.drop_path == 0:
            return x
        keep = 1 - self.drop_path
        return x * x.new_empty(x.shape[0], 1, 1).bernoulli_(keep) / keep

    def forward(self, x):
        x = x + self.drop(self.attention(self.norm1(x)))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class Encoder(nn.Module):
    def __init__(self, o, image, channels):
        super().__init__()
        width, depth, heads = PRESETS[o["preset"]]
        width, depth, heads = int(o.get("width") or width), int(o.get("depth") or depth), int(o.get("heads") or heads)
        self.patch, self.width = int(o["patch"]), width
        self.embed = nn.Conv2d(channels, width, self.patch, self.patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.register_buffer("pos", sincos(width, image // self.patch))
        rates = [float(o["drop_path"]) * i / max(1, depth - 1) for i in range(depth)]
        self.blocks = nn.ModuleList(Block(width, heads, float(o["mlp_ratio"]), r) for r in rates)
        self.norm = nn.LayerNorm(width, eps=1e-6)

    def embed_patches(self, images):
        return self.embed(images).flatten(2).transpose(1, 2) + self.pos[:, 1:]

    def encode_tokens(self, tokens):
        x = torch.cat([(self.cls + self.pos[:, :1]).expand(tokens.shape[0], -1, -1), tokens], 1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class Decoder(nn.Module):
    def __init__(self, o, encoder_width, tokens, out):
        super().__init__()
        o = {k: float(v) if k == "mlp_ratio" else int(v) for k, v in o.items() if k != "type"}
        self.embed = nn.Linear(encoder_width, o["width"])
        self.mask = nn.Parameter(torch.zeros(1, 1, o["width"]))
        self.register_buffer("pos", sincos(o["width"], int(math.isqrt(tokens))))
        self.blocks = nn.ModuleList(Block(o["width"], o["heads"], o["mlp_ratio"], 0) for _ in range(o["depth"]))
        self.norm, self.pred = nn.LayerNorm(o["width"], eps=1e-6), nn.Linear(o["width"], out)

    def forward(self, encoded, restore):
        x = self.embed(encoded)
        b, visible = x.shape[0], x.shape[1] - 1
        filled = torch.cat([x[:, 1:], self.mask.expand(b, restore.shape[1] - visible, -1)], 1)
        filled = torch.gather(filled, 1, restore[..., None].expand(-1, -1, x.shape[2]))
        x = torch.cat([x[:, :1], filled], 1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.pred(self.norm(x))[:, 1:]


def gather(tokens, ids):
    return torch.gather(tokens, 1, ids[..., None].expand(-1, -1, tokens.shape[2]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("resolved")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--precision", choices=["fp32", "tf32", "bf16"], help="default: the experiment's")
    parser.add_argument("--device", help="auto, cpu, cuda or cuda:N; default: the experiment's")
    args = parser.parse_args()
    c = yaml.safe_load(open(args.resolved))
    c["device"] = args.device or c["device"]
    args.precision = args.precision or c.get("precision", "fp32")
    device = "cuda" if c["device"] in ("auto", "cuda") and torch.cuda.is_available() else ("cpu" if c["device"] in ("auto", "cpu") else c["device"])
    # as sdae's precision settings: TF32 for matrix products and convolutions only when asked for
    torch.backends.cuda.matmul.allow_tf32 = args.precision == "tf32"
    torch.backends.cudnn.allow_tf32 = args.precision == "tf32"
    image, channels = data_shape(c["data"])
    image = int(c["data"]["image_size"] or 0) or image
    batch = args.batch or int(c["pretrain"]["batch"])
    target = c["target"]["type"]
    if target not in ("pixel", "teacher_latent"):
        print(json.dumps({"skipped": f"target {target}: the reference covers MAE and SdAE only"}))
        return
    encoder = Encoder(c["backbone"], image, channels).to(device)
    tokens = (image // encoder.patch) ** 2
    out = encoder.width if target == "teacher_latent" else encoder.patch ** 2 * channels
    decoder = Decoder(c["decoder"], encoder.width, tokens, out).to(device)
    teacher = Encoder(c["backbone"], image, channels).to(device).eval().requires_grad_(False) if target == "teacher_latent" else None
    params = [p for m in (encoder, decoder) for p in m.parameters()]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1] + [encoder.cls, decoder.mask]
    decay = [p for p in decay if all(p is not q for q in no_decay)]
    betas = tuple(float(b) for b in c["pretrain"]["betas"])
    kwargs = {"fused": True} if device.startswith("cuda") and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames else {}
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": float(c["pretrain"]["weight_decay"])}, {"params": no_decay, "weight_decay": 0}], lr=1e-4, betas=betas, **kwargs)
    images = torch.randn(batch, channels, image, image, device=device)
    ratio = float(c["masking"]["ratio"])
    visible = int(tokens * (1 - ratio))
    folds = int(c["masking"].get("folds", 1)) if target == "teacher_latent" else 1
    clip = float(c["pretrain"].get("clip_grad") or 0)
    momentum = [float(m) for m in c["target"].get("momentum", [0.96, 0.99])]
    ema_every_step = teacher is not None and c["target"].get("update") == "iteration"
    teacher_params = list(teacher.parameters()) if teacher is not None else []
    student_params = list(encoder.parameters())

    def step():
        noise = torch.rand(batch, tokens, device=device)
        shuffle = noise.argsort(1)
        restore = shuffle.argsort(1)
        keep, masked = shuffle[:, :visible], shuffle[:, visible:]
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            prediction = decoder(encoder.encode_tokens(gather(encoder.embed_patches(images), keep)), restore)
            if teacher is None:
                p = encoder.patch
                target_ = images.reshape(batch, channels, image // p, p, image // p, p).permute(0, 2, 4, 3, 5, 1).reshape(batch, tokens, -1)
                target_ = (target_ - target_.mean(-1, keepdim=True)) / (target_.var(-1, keepdim=True) + 1e-6).sqrt()
                mask = torch.zeros(batch, tokens, device=device).scatter_(1, masked, 1.0)
                loss = (((prediction.float() - target_) ** 2).mean(-1) * mask).sum() / mask.sum()
            else:
                size = (tokens - visible) // folds
                ids = masked[:, :size * folds]
                with torch.no_grad():
                    views = gather(teacher.embed_patches(images), ids).reshape(batch * folds, size, -1)
                    t = F.layer_norm(teacher.encode_tokens(views)[:, 1:].float(), (encoder.width,), eps=1e-6).reshape(batch, size * folds, -1)
                loss = (1 - F.cosine_similarity(gather(prediction, ids).float(), t, dim=-1)).mean()
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        if ema_every_step:  # the EMA teacher update (foreach: the fast PyTorch idiom)
            with torch.no_grad():
                m = momentum[1]
                torch._foreach_mul_(teacher_params, m)
                torch._foreach_add_(teacher_params, student_params, alpha=1 - m)
        return loss

    samples = []
    for i in range(args.steps + 3):
        start = time.perf_counter()
        loss = step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        else:
            loss.item()
        if i >= 3:
            samples.append((time.perf_counter() - start) * 1000)
    median = statistics.median(samples)
    memory = {"gpu_memory_mib": round(torch.cuda.max_memory_reserved() / 2**20)} if device.startswith("cuda") else {}
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "device": device, "precision": args.precision,
                      "batch": batch, "ms_per_step": round(median, 2), "images_per_second": round(batch / median * 1000, 1), **memory}))


if __name__ == "__main__":
    main()
