using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Rtfm.Grains.Hosting;

namespace Rtfm.Grains.Tests;

public class HostBuilderTests
{
    private static FileConfigurationSource[] FileSources(HostApplicationBuilder builder) =>
        ((IConfigurationBuilder)builder.Configuration).Sources.OfType<FileConfigurationSource>().ToArray();

    [Fact]
    public void The_platforms_hosts_read_appsettings_without_watching_the_working_folder()
    {
        var ours = FileSources(RtfmHost.CreateBuilder(["--Rtfm:SiloPort=12000"]));
        var defaults = FileSources(Host.CreateApplicationBuilder());

        // The .NET defaults watch appsettings files (a watcher on the content root and its subfolders) ...
        Assert.Contains(defaults, s => s.Path == "appsettings.json" && s.ReloadOnChange);
        // ... ours read the same files, once.
        Assert.Equal(defaults.Select(s => s.Path), ours.Select(s => s.Path));
        Assert.All(ours, s => Assert.False(s.ReloadOnChange, $"{s.Path} is watched"));
    }

    [Fact]
    public void The_platforms_hosts_still_take_the_command_line()
    {
        var builder = RtfmHost.CreateBuilder(["--Rtfm:SiloPort=12000"]);
        Assert.Equal("12000", builder.Configuration["Rtfm:SiloPort"]);
    }
}
