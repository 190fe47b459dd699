// What the conformance suite does not cover: blob naming, option checks with their fix-it
// messages (at silo start), which failures are retried, and grain state writes that find
// their container gone.
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using Polly.Timeout;
using Rtfm.Persistence.AzureBlob.Hosting;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;

namespace Rtfm.Persistence.AzureBlob.Tests;

public sealed class AzureBlobProviderTests
{
    [Fact]
    public void Blob_names_are_safe_and_distinct_for_distinct_grains()
    {
        var random = new Random(40);
        var keys = new List<string> { "a", "A", "a/b", "a_2fb", "a.b", "..", "é", "sp ace", "x%20", "-", "_" };
        for (int i = 0; i < 200; i++)
            keys.Add(new string(Enumerable.Range(0, 1 + random.Next(12)).Select(_ => (char)random.Next(32, 0x250)).ToArray()));
        var names = new Dictionary<string, string>();
        foreach (string key in keys.Where(k => !string.IsNullOrWhiteSpace(k)).Distinct()) // Orleans refuses blank keys
        {
            string name = GrainStateBlobNames.Of("state", GrainId.Create("world", key));
            Assert.True(name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/'), $"blob name '{name}' of key '{key}' holds an unsafe character");
            Assert.Equal(2, name.Count(c => c == '/'));
            Assert.False(names.TryGetValue(name, out string? other), $"keys '{key}' and '{other}' map to the same blob '{name}'");
            names[name] = key;
        }
        Assert.Equal("state/world/a", GrainStateBlobNames.Of("state", GrainId.Create("world", "a")));
        Assert.Equal("state/world/a_2fb", GrainStateBlobNames.Of("state", GrainId.Create("world", "a/b")));
        string longName = GrainStateBlobNames.Of("state", GrainId.Create("world", new string('k', 5000)));
        Assert.True(longName.Length < 1024, $"a 5000-character key gave a {longName.Length}-character blob name");
    }

    [Fact]
    public void Option_checks_say_how_to_fix_each_problem()
    {
        Assert.Empty(AzureBlobOptionsValidator.Validate(new AzureBlobGrainStorageOptions { ConnectionString = "UseDevelopmentStorage=true" }, "ok"));
        Assert.Empty(AzureBlobOptionsValidator.Validate(new AzureBlobContentStoreOptions { ServiceUri = new Uri("https://acct.blob.core.windows.net") }, "ok"));

        var none = AzureBlobOptionsValidator.Validate(new AzureBlobGrainStorageOptions(), "state");
        Assert.Contains(none, m => m.Contains("set ConnectionString", StringComparison.Ordinal) && m.Contains("'state'", StringComparison.Ordinal));

        var both = AzureBlobOptionsValidator.Validate(new AzureBlobGrainStorageOptions { ConnectionString = "UseDevelopmentStorage=true", ServiceUri = new Uri("https://a.blob.core.windows.net") }, "s");
        Assert.Contains(both, m => m.Contains("set only one", StringComparison.Ordinal));

        foreach (var (container, hint) in new[] { ("ab", "3 to 63"), ("Upper", "lowercase"), ("a--b", "single hyphens"), ("-ab", "begin and end"), ("a_b", "'_'") })
        {
            var errors = AzureBlobOptionsValidator.Validate(new AzureBlobContentStoreOptions { ConnectionString = "UseDevelopmentStorage=true", ContainerName = container }, "c");
            Assert.True(errors.Count == 1 && errors[0].Contains(hint, StringComparison.Ordinal), $"container '{container}': expected one message with '{hint}', got: {string.Join(" | ", errors)}");
        }

        var bad = new AzureBlobGrainStorageOptions { ConnectionString = "UseDevelopmentStorage=true" };
        bad.Resilience.MaxRetryAttempts = -1;
        bad.Resilience.FailureRatio = 0;
        bad.Resilience.AttemptTimeout = TimeSpan.Zero;
        var figures = AzureBlobOptionsValidator.Validate(bad, "s");
        Assert.Equal(3, figures.Count);
        Assert.All(figures, m => Assert.Contains("default", m));
    }

    [Fact]
    public async Task A_silo_with_unusable_options_fails_at_start_with_the_fix()
    {
        using var host = new HostBuilder()
            .UseOrleans(silo => silo
                .UseLocalhostClustering(FreePort(), FreePort())
                .AddAzureBlobGrainStorage("broken", o => o.ContainerName = "Bad_Name"))
            .Build();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        string all = ex.ToString();
        Assert.Contains("set ConnectionString", all);
        Assert.Contains("ContainerName 'Bad_Name'", all);
    }

    [Fact]
    public async Task Content_stores_register_in_one_call_and_a_host_with_unusable_options_fails_at_start()
    {
        using var good = new HostBuilder()
            .ConfigureServices(s => s.AddAzureBlobContentStores(o => { o.ConnectionString = "UseDevelopmentStorage=true"; o.ContainerName = "worlds"; }))
            .Build();
        await good.StartAsync();
        Assert.Equal("worlds", good.Services.GetRequiredService<AzureBlobContentStores>().ContainerName);
        await good.StopAsync();

        using var bad = new HostBuilder()
            .ConfigureServices(s => s.AddAzureBlobContentStores(o => o.ContainerName = "x"))
            .Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync());
        Assert.Contains("set ConnectionString", ex.Message);
        Assert.Contains("3 to 63", ex.Message);
    }

    [Fact]
    public void Only_transient_failures_are_retried()
    {
        foreach (int status in new[] { 0, 408, 429, 500, 502, 503, 504 })
            Assert.True(BlobFailures.IsTransient(new RequestFailedException(status, "x")), $"status {status} should be retried");
        foreach (int status in new[] { 400, 403, 404, 409, 412 })
            Assert.False(BlobFailures.IsTransient(new RequestFailedException(status, "x")), $"status {status} must not be retried");
        Assert.True(BlobFailures.IsTransient(new HttpRequestException("refused")));
        Assert.True(BlobFailures.IsTransient(new TimeoutRejectedException()));
        Assert.True(BlobFailures.IsTransient(new AggregateException(new RequestFailedException(503, "x"), new HttpRequestException())));
        Assert.False(BlobFailures.IsTransient(new AggregateException(new RequestFailedException(503, "x"), new RequestFailedException(412, "x"))));
        Assert.False(BlobFailures.IsTransient(new OperationCanceledException()));
        Assert.False(BlobFailures.IsTransient(new InconsistentStateException("x")));
    }

    [Fact]
    public async Task Grain_state_is_written_again_after_the_service_lost_the_container()
    {
        string connection = Azurite.ConnectionString;
        var services = new ServiceCollection().AddSerializer().AddLogging();
        services.AddAzureBlobGrainStorage("lost", o =>
        {
            o.ConnectionString = connection;
            o.ContainerName = Azurite.FreshContainerName("lost-state");
            o.GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        });
        await using var provider = services.BuildServiceProvider();
        var storage = (AzureBlobGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>("lost");
        var raw = storage.Blobs.Container;
        try
        {
            var grain = GrainId.Create("world", "w1");
            var state = new GrainState<ConformanceState> { State = new ConformanceState { Text = "before", Numbers = [1, 2, 3] } };
            await storage.WriteStateAsync("s", grain, state); // no container yet: created on demand
            await raw.DeleteAsync();
            var read = new GrainState<ConformanceState>();
            await storage.ReadStateAsync("s", grain, read);
            Assert.False(read.RecordExists, "a grain whose container is gone reads as missing");
            read.State!.Text = "after";
            await storage.WriteStateAsync("s", grain, read);
            var again = new GrainState<ConformanceState>();
            await storage.ReadStateAsync("s", grain, again);
            Assert.Equal("after", again.State!.Text);
        }
        finally
        {
            await new BlobContainerClient(connection, raw.Name).DeleteIfExistsAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
