// The embedded content store: idempotent, deduplicated puts; verified reads that catch a
// corrupted object every time; names that reject malformed text.

namespace Rtfm.Storage.Tests;

public sealed class FileContentStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-cas-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task Put_is_idempotent_and_get_returns_the_same_bytes()
    {
        var store = new FileContentStore(_dir);
        var data = Bytes(10_000, 1);
        var a = await store.PutAsync(data);
        var b = await store.PutAsync(data);
        Assert.Equal(a, b);
        Assert.Equal(ContentName.Of(data), a);
        Assert.Single(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories));
        Assert.Equal(data, await store.GetAsync(a));
        Assert.True(await store.ExistsAsync(a));
        var empty = await store.PutAsync(Array.Empty<byte>());
        Assert.Equal(Array.Empty<byte>(), await store.GetAsync(empty));
        Assert.True(await store.DeleteAsync(a));
        Assert.False(await store.DeleteAsync(a));
        Assert.Null(await store.GetAsync(a));
        // Another store on the same folder (a restarted process) sees what was stored.
        Assert.Equal(Array.Empty<byte>(), await new FileContentStore(_dir).GetAsync(empty));
    }

    [Fact]
    public async Task A_corrupted_object_is_detected_on_every_read()
    {
        var store = new FileContentStore(_dir);
        var name = await store.PutAsync(Bytes(4096, 2));
        string file = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[100] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
        for (int i = 0; i < 3; i++)
        {
            var ex = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync(name));
            Assert.Contains("corrupt", ex.Message);
        }
        // Repair: delete the corrupt object and store the bytes again.
        await store.DeleteAsync(name);
        await store.PutAsync(Bytes(4096, 2));
        Assert.NotNull(await store.GetAsync(name));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_bytes_all_succeed()
    {
        var store = new FileContentStore(_dir);
        var data = Bytes(200_000, 3);
        var names = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.PutAsync(data))));
        Assert.All(names, n => Assert.Equal(names[0], n));
        Assert.Equal(data, await store.GetAsync(names[0]));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256-")]
    [InlineData("md5-0123")]
    [InlineData("sha256-ZZ23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Malformed_names_are_rejected(string text)
    {
        Assert.False(ContentName.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ContentName.Parse(text));
    }

    [Fact]
    public void Names_round_trip()
    {
        var n = ContentName.Of([1, 2, 3]);
        Assert.Equal(n, ContentName.Parse(n.Value));
        Assert.Equal(64, n.Hex.Length);
    }
}
