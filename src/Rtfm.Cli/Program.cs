// rtfm: the command-line entry point (render, demo, bench). See README.md.
using Rtfm.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
