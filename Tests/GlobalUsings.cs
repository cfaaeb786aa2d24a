global using NUnit.Framework;
global using SdAE.Host;
