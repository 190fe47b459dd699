// Builds the command tree and turns every failure into one clear line and a non-zero exit:
// 2 for bad usage (parse errors, invalid values), 1 for failures while running.
using System.CommandLine;
using Rtfm.Cli.Commands;

namespace Rtfm.Cli;

public static class CliApp
{
    public static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("rtfm — persistent worlds rendered by a learned renderer (RTFM-tiny)");
        root.Subcommands.Add(RenderCommand.Create(stdout, stderr));
        root.Subcommands.Add(DemoCommand.Create(stdout, stderr));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr));
        root.Subcommands.Add(DatasetCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvalCommand.Create(stdout, stderr));
        root.Subcommands.Add(ClusterCommands.World(stdout, stderr));
        root.Subcommands.Add(ClusterCommands.Health(stdout));
        root.Subcommands.Add(ClusterCommands.Session(stdout, stderr));
        return root;
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {parse.Errors[0].Message}");
            stderr.WriteLine("run 'rtfm --help' (or 'rtfm <command> --help') for usage");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or NotSupportedException or KeyNotFoundException or InvalidOperationException)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}

/// <summary>An invalid combination of arguments found after parsing (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);
