// The platform's hosts (rtfm-silo, the CLI's in-process silo and client) start from the .NET
// defaults (appsettings.json, environment, command line, console logging) but never watch their
// configuration files. The defaults reload appsettings.json on change through a file watcher on the
// content root, the working folder, and its subfolders; the embedded stores live there by default
// (rtfm-data/), so every frame and KV block written raised file events for a watcher thread to
// handle on the render's cores. The platform reads its options once, validated at start: a change
// takes a restart, as docs/decisions.md says.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Rtfm.Grains.Hosting;

public static class RtfmHost
{
    /// <summary>The key of the host setting that turns reload-on-change of appsettings files on or off.</summary>
    public const string ReloadConfigOnChangeKey = "hostBuilder:reloadConfigOnChange";

    /// <summary>A host builder with the .NET defaults, appsettings files read once (not watched).</summary>
    public static HostApplicationBuilder CreateBuilder(string[]? args = null)
    {
        // A source, not the indexer: a value set on a manager that has no sources yet is dropped.
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new(ReloadConfigOnChangeKey, "false")]);
        return Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, Configuration = configuration });
    }
}
