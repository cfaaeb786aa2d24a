namespace SdAE.Tests.Support;

/// <summary>A CPU-cheap MAE experiment on generated stripes: width-32, depth-2 ViT on 28px/7 (16 tokens).</summary>
public static class TinyExperiment
{
    public static string Yaml(string dataRoot, string output, int epochs = 2, int trainLimit = 256, string extra = "", string eval = "") => $"""
        name: tiny
        seed: 3
        device: cpu
        output: {output}
        data:
          type: mnist
          root: {dataRoot}
          train_limit: {trainLimit}
          test_limit: 100
          augment: {"{"} crop_scale: [0.5, 1.0], flip: true {"}"}
        backbone: {"{"} type: vit, width: 32, depth: 2, heads: 2, patch: 7, drop_path: 0.1 {"}"}
        decoder: {"{"} type: vit_decoder, width: 32, depth: 1, heads: 2 {"}"}
        masking: {"{"} type: random, ratio: 0.75 {"}"}
        target: {"{"} type: pixel {"}"}
        pretrain:
          epochs: {epochs}
          batch: 32
          lr: {"{"} base: 0.008, warmup_epochs: 0.5 {"}"}
          log_every: 1
          reconstruction_images: 2
        {extra}
        eval: [{eval}]
        """;
}
