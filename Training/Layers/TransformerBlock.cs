using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Training.Layers;

/// <summary>Multi-head self-attention with a qkv bias (the ViT building blocks are in the SDK since 2.2, for plugins that build their own transformers), on scaled_dot_product_attention.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly int heads;

    public Attention(int width, int heads) : base(nameof(Attention))
    {
        this.heads = heads;
        qkv = nn.Linear(width, width * 3, hasBias: true);
        proj = nn.Linear(width, width);
        RegisterComponents();
    }

    /// <summary>The attention weights of the first token's query over every token, averaged over heads: [B, N].</summary>
    public Tensor FirstQueryWeights(Tensor x)
    {
        long batch = x.shape[0], tokens = x.shape[1], width = x.shape[2];
        var qkvHeads = MixedPrecision.Full(MixedPrecision.Linear(qkv, x)).view(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
        var scores = qkvHeads[0].narrow(2, 0, 1).matmul(qkvHeads[1].transpose(-2, -1)) / Math.Sqrt(width / heads);   // [B, heads, 1, N]
        return scores.softmax(-1).mean([1]).squeeze(1);
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// Self-attention where, with <paramref name="keys"/> (bool [B, N]), only the tokens marked true
    /// are attended to (padding left out); every token still queries. Since 2.2.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? keys)
    {
        long batch = x.shape[0], tokens = x.shape[1], width = x.shape[2];
        var qkvHeads = MixedPrecision.Linear(qkv, x).view(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(qkvHeads[0], qkvHeads[1], qkvHeads[2], keys?.view(batch, 1, 1, tokens));
        return MixedPrecision.Linear(proj, attended.transpose(1, 2).reshape(batch, tokens, width));
    }
}

/// <summary>Linear - GELU - Linear.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly Linear fc2;

    public Mlp(int width, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(width, hidden);
        fc2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => MixedPrecision.Linear(fc2, nn.functional.gelu(MixedPrecision.Linear(fc1, x)));
}

/// <summary>Stochastic depth: drops a sample's whole residual branch with probability p while training.</summary>
public sealed class DropPath(double probability) : nn.Module<Tensor, Tensor>(nameof(DropPath))
{
    public override Tensor forward(Tensor x)
    {
        if (!training || probability <= 0) return x;
        double keep = 1.0 - probability;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        var mask = empty(shape, x.dtype, x.device).bernoulli_(keep);
        return x * mask.div_(keep);
    }
}

/// <summary>Pre-norm transformer block: x + drop(attn(norm(x))), then x + drop(mlp(norm(x))); optional LayerScale.</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly Attention attn;
    readonly LayerNorm norm2;
    readonly Mlp mlp;
    readonly DropPath drop_path;
    readonly Parameter? gamma_1;
    readonly Parameter? gamma_2;

    public Block(int width, int heads, double mlpRatio, double dropPath, double layerScale = 0) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(width, eps: 1e-6);
        attn = new Attention(width, heads);
        norm2 = nn.LayerNorm(width, eps: 1e-6);
        mlp = new Mlp(width, (int)(width * mlpRatio));
        drop_path = new DropPath(dropPath);
        if (layerScale > 0)
        {
            using (var initial = full(width, layerScale)) gamma_1 = nn.Parameter(initial);
            using (var initial = full(width, layerScale)) gamma_2 = nn.Parameter(initial);
        }
        RegisterComponents();
    }

    /// <summary>This block's attention from the first (cls) token's query to every token, averaged over heads: [B, N].</summary>
    public Tensor ClsAttention(Tensor x) => attn.FirstQueryWeights(MixedPrecision.Norm(norm1, x));

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block with attention only to the tokens <paramref name="keys"/> (bool [B, N]) marks, or to all. Since 2.2.</summary>
    public Tensor Forward(Tensor x, Tensor? keys)
    {
        var attended = attn.Forward(MixedPrecision.Norm(norm1, x), keys);
        if (gamma_1 is not null) attended = attended * gamma_1;
        x = x + drop_path.forward(attended);
        var mixed = mlp.forward(MixedPrecision.Norm(norm2, x));
        if (gamma_2 is not null) mixed = mixed * gamma_2;
        return x + drop_path.forward(mixed);
    }
}
