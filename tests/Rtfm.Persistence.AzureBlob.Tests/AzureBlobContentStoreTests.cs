// The blob content store: the shared content-store conformance suite on Azurite (a fresh
// prefix per test in a per-run container), plus what is particular to blobs: per-prefix
// stores and their deletion, and a container lost by the service and created again on demand.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;
using Rtfm.Storage;
using Rtfm.Storage.Tests;

namespace Rtfm.Persistence.AzureBlob.Tests;

public sealed class BlobContentFixture : IAsyncLifetime
{
    public string ContainerName { get; } = Azurite.FreshContainerName("content");

    public string Connection { get; private set; } = "";

    public AzureBlobContentStores Stores { get; private set; } = null!;

    public BlobContainerClient Raw { get; private set; } = null!;

    public AzureBlobContentStores Open() => new(
        new AzureBlobContentStoreOptions { ConnectionString = Connection, ContainerName = ContainerName },
        "content-test", NullLogger<AzureBlobContentStores>.Instance);

    public Task InitializeAsync()
    {
        Connection = Azurite.ConnectionString;
        Stores = Open();
        Raw = new BlobContainerClient(Connection, ContainerName);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (Raw is not null) await Raw.DeleteIfExistsAsync();
    }
}

public sealed class AzureBlobContentStoreTests(BlobContentFixture fixture) : ContentStoreConformanceTests, IClassFixture<BlobContentFixture>
{
    private readonly string _prefix = $"tests/{Guid.NewGuid():N}/";

    protected override IContentStore Store => fixture.Stores.ForPrefix(_prefix);

    protected override IContentStore OpenAgain() => fixture.Open().ForPrefix(_prefix);

    protected override async Task CorruptAsync(ContentName name)
    {
        var blob = fixture.Raw.GetBlobClient(fixture.Stores.ForPrefix(_prefix).BlobNameOf(name));
        var bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 0x01;
        await blob.UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);
    }

    protected override async Task<int> CountObjectsAsync()
    {
        int n = 0;
        await foreach (var _ in fixture.Raw.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix })) n++;
        return n;
    }

    [Fact]
    public async Task Objects_live_under_their_prefix_and_deleting_a_prefix_removes_exactly_them()
    {
        var worldA = fixture.Stores.ForPrefix(_prefix + "a/");
        var worldB = fixture.Stores.ForPrefix(_prefix + "b/");
        var shared = Bytes(3000, 20);
        var inA = new[] { await worldA.PutAsync(shared), await worldA.PutAsync(Bytes(100, 21)) };
        var inB = await worldB.PutAsync(shared);
        Assert.Equal(inA[0], inB); // same bytes, same name; stored once per prefix
        Assert.Equal(2, await fixture.Stores.DeletePrefixAsync(_prefix + "a/"));
        Assert.Null(await worldA.GetAsync(inA[0]));
        Assert.Null(await worldA.GetAsync(inA[1]));
        Assert.Equal(shared, await worldB.GetAsync(inB));
        Assert.Equal(0, await fixture.Stores.DeletePrefixAsync(_prefix + "a/"));
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("/leading/")]
    [InlineData("a//b/")]
    [InlineData("dot./")]
    [InlineData("spa ce/")]
    [InlineData("q?/")]
    public void Malformed_prefixes_are_rejected(string prefix)
    {
        var ex = Assert.Throws<ArgumentException>(() => fixture.Stores.ForPrefix(prefix));
        Assert.Contains(prefix, ex.Message);
    }

    [Fact]
    public async Task A_container_lost_by_the_service_is_created_again_on_the_next_put()
    {
        // A container of its own: deleting the shared one would disturb the other tests.
        var options = new AzureBlobContentStoreOptions { ConnectionString = fixture.Connection, ContainerName = Azurite.FreshContainerName("lost") };
        var stores = new AzureBlobContentStores(options, "lost-test", NullLogger<AzureBlobContentStores>.Instance);
        var store = stores.ForPrefix("");
        var raw = new BlobContainerClient(fixture.Connection, options.ContainerName);
        try
        {
            var first = await store.PutAsync(Bytes(500, 30)); // the container does not exist yet
            Assert.Equal(Bytes(500, 30), await store.GetAsync(first));
            await raw.DeleteAsync(); // as a restarted emulator with an empty folder would
            Assert.Null(await store.GetAsync(first));
            Assert.False(await store.ExistsAsync(first));
            Assert.False(await store.DeleteAsync(first));
            var second = await store.PutAsync(Bytes(600, 31));
            Assert.Equal(Bytes(600, 31), await store.GetAsync(second));
        }
        finally
        {
            await raw.DeleteIfExistsAsync();
        }
    }
}
