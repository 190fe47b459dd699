// One content-store conformance suite, written once and run against every IContentStore: the
// file store here, the blob store (on Azurite) in Rtfm.Persistence.AzureBlob.Tests, which
// compiles this same file. It pins idempotent, deduplicated puts and verified reads that catch
// a corrupted object every time.
namespace Rtfm.Storage.Tests;

public abstract class ContentStoreConformanceTests
{
    /// <summary>The store under test (empty at the start of each test).</summary>
    protected abstract IContentStore Store { get; }

    /// <summary>Another instance on the same backing storage (as a restarted process would open).</summary>
    protected abstract IContentStore OpenAgain();

    /// <summary>Flips one bit of the stored object, behind the store's back.</summary>
    protected abstract Task CorruptAsync(ContentName name);

    /// <summary>How many objects the backing storage holds for this store.</summary>
    protected abstract Task<int> CountObjectsAsync();

    protected static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task Put_is_idempotent_and_get_returns_the_same_bytes()
    {
        var store = Store;
        var data = Bytes(10_000, 1);
        var a = await store.PutAsync(data);
        var b = await store.PutAsync(data);
        Assert.Equal(a, b);
        Assert.Equal(ContentName.Of(data), a);
        Assert.Equal(1, await CountObjectsAsync());
        Assert.Equal(data, await store.GetAsync(a));
        Assert.True(await store.ExistsAsync(a));
        var empty = await store.PutAsync(Array.Empty<byte>());
        Assert.Equal(Array.Empty<byte>(), await store.GetAsync(empty));
        Assert.True(await store.DeleteAsync(a));
        Assert.False(await store.DeleteAsync(a));
        Assert.False(await store.ExistsAsync(a));
        Assert.Null(await store.GetAsync(a));
        // Another instance on the same storage (a restarted process) sees what was stored.
        Assert.Equal(Array.Empty<byte>(), await OpenAgain().GetAsync(empty));
    }

    [Fact]
    public async Task A_corrupted_object_is_detected_on_every_read()
    {
        var store = Store;
        var name = await store.PutAsync(Bytes(4096, 2));
        await CorruptAsync(name);
        for (int i = 0; i < 3; i++)
        {
            var ex = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync(name));
            Assert.Contains("corrupt", ex.Message);
        }
        // Repair: delete the corrupt object and store the bytes again.
        await store.DeleteAsync(name);
        await store.PutAsync(Bytes(4096, 2));
        Assert.Equal(Bytes(4096, 2), await store.GetAsync(name));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_bytes_all_succeed()
    {
        var store = Store;
        var data = Bytes(200_000, 3);
        var names = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.PutAsync(data))));
        Assert.All(names, n => Assert.Equal(names[0], n));
        Assert.Equal(data, await store.GetAsync(names[0]));
        Assert.Equal(1, await CountObjectsAsync());
    }

    [Fact]
    public async Task Different_contents_get_different_names_and_missing_names_read_as_absent()
    {
        var store = Store;
        var names = new List<ContentName>();
        for (int seed = 10; seed < 16; seed++) names.Add(await store.PutAsync(Bytes(1000 + seed, seed)));
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(names.Count, await CountObjectsAsync());
        for (int i = 0; i < names.Count; i++) Assert.Equal(Bytes(1010 + i, 10 + i), await store.GetAsync(names[i]));
        var never = ContentName.Of(Bytes(64, 99));
        Assert.Null(await store.GetAsync(never));
        Assert.False(await store.ExistsAsync(never));
        Assert.False(await store.DeleteAsync(never));
    }
}
