using SdAE.Abstractions.Data;
using SdAE.Host.Config;
using SdAE.Host.Plugins;
using SdAE.Training.Distributed;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

/// <summary>Turns user-fixable errors into one line on stderr and exit code 2; anything else is a bug: one line naming the file its trace went to, exit code 70.</summary>
public static class CliErrors
{
    public const int UserErrorExitCode = 2;
    public const int CrashExitCode = 70;   // EX_SOFTWARE

    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (Describe(e) is { } line)
        {
            Console.Error.WriteLine(RankPrefix + "error: " + line);
            return UserErrorExitCode;
        }
        catch (Exception e)
        {
            var log = CrashReport.Write(e);
            Console.Error.WriteLine($"{RankPrefix}error: sdae failed unexpectedly ({e.GetType().Name}: {FirstLine(e.Message)}). This is a bug, not your input; the full trace is in {log}. Please report it with that file.");
            return CrashExitCode;
        }
    }

    /// <summary>"rank 1: " in a data-parallel run (every rank may report), else nothing.</summary>
    static string RankPrefix => LaunchEnvironment.Ranks is { } ranks ? $"rank {LaunchEnvironment.Rank} of {ranks}: " : "";

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>The one-line message for an error a user can fix, or null for a bug.</summary>
    public static string? Describe(Exception e) => e switch
    {
        ExperimentError error => error.ToString(),
        UserError error => error.ToString(),
        PluginLoadException error => UserError.WithFix(error.Message, error.Fix),
        DataSourceException error => UserError.WithFix(error.Message, error.Fix),
        CollectivesException error => UserError.WithFix(error.Message, error.Fix),
        SdAE.Training.Interop.WeightsFileException error => error.Message,
        CommandParseException or CommandRuntimeException => $"{e.Message} (see sdae --help)",
        TypeInitializationException { TypeName: "TorchSharp.torch", InnerException: NotSupportedException } =>
            "libtorch could not be loaded (TorchSharp 0.107 needs libtorch 2.10). Fix: build with the default cpu backend, or for the " +
            "external backend point SDAE_LIBTORCH (or LD_LIBRARY_PATH) at a libtorch 2.10 lib folder; `ldd libLibTorchSharp.so` beside sdae shows what is missing.",
        _ => null,
    };
}
