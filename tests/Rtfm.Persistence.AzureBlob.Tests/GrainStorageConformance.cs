// The conformance suite bound to each store: the embedded file store the silo uses today and
// the blob store on Azurite (a fresh container per run, deleted afterwards).
using Azure.Storage.Blobs;
using Orleans.Persistence.FileStorage;
using Rtfm.Persistence.AzureBlob.Hosting;

namespace Rtfm.Persistence.AzureBlob.Tests;

public sealed class FileStorageSiloFixture : StorageSiloFixture
{
    private readonly string _root = Directory.CreateTempSubdirectory("rtfm-grainstate-").FullName;

    protected override void AddStorages(ISiloBuilder silo)
    {
        silo.AddFileGrainStorage(First, o => o.RootDirectory = _root);
        silo.AddFileGrainStorage(Second, o => o.RootDirectory = _root);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

public sealed class BlobStorageSiloFixture : StorageSiloFixture
{
    private readonly string _container = Azurite.FreshContainerName("conformance");
    private string? _connection;

    public override Task InitializeAsync()
    {
        _connection = Azurite.ConnectionString;
        return base.InitializeAsync();
    }

    protected override void AddStorages(ISiloBuilder silo)
    {
        foreach (string name in new[] { First, Second })
            silo.AddAzureBlobGrainStorage(name, o =>
            {
                o.ConnectionString = _connection;
                o.ContainerName = _container;
            });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connection is not null) await new BlobContainerClient(_connection, _container).DeleteIfExistsAsync();
    }
}

public sealed class FileGrainStorageConformanceTests(FileStorageSiloFixture fixture)
    : GrainStorageConformanceTests<FileStorageSiloFixture>(fixture), IClassFixture<FileStorageSiloFixture>;

public sealed class AzureBlobGrainStorageConformanceTests(BlobStorageSiloFixture fixture)
    : GrainStorageConformanceTests<BlobStorageSiloFixture>(fixture), IClassFixture<BlobStorageSiloFixture>
{
    // If-None-Match:* is decided by the service: of two simultaneous first writes, one gets 201, the other 409.
    [Fact]
    public Task Two_writers_racing_on_a_fresh_state_exactly_one_wins() => AssertExactlyOneOfTwoRacingFirstWritesWins(rounds: 20);
}
