return SdAE.Host.Cli.SdaeApp.Run(args);
