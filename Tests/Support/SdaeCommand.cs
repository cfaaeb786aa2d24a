using SdAE.Host.Cli;

namespace SdAE.Tests.Support;

/// <summary>The sdae command line run in this process, with what it printed.</summary>
public static class SdaeCommand
{
    public static (int ExitCode, string Errors, string Output) InProcess(params string[] args)
    {
        var (oldOut, oldError) = (Console.Out, Console.Error);
        var (output, errors) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            int exitCode = SdaeApp.Run(args);
            return (exitCode, errors.ToString(), output.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
