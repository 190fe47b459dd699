// The embedded content store: the shared content-store conformance suite on a temp folder,
// plus what is particular to files (no temporary files left behind) and to names.

namespace Rtfm.Storage.Tests;

public sealed class FileContentStoreTests : ContentStoreConformanceTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-cas-").FullName;
    private readonly FileContentStore _store;

    public FileContentStoreTests() => _store = new FileContentStore(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    protected override IContentStore Store => _store;

    protected override IContentStore OpenAgain() => new FileContentStore(_dir);

    protected override async Task CorruptAsync(ContentName name)
    {
        string file = Directory.GetFiles(_dir, name.Hex, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
    }

    protected override Task<int> CountObjectsAsync() => Task.FromResult(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Length);

    [Fact]
    public async Task Concurrent_puts_leave_no_temporary_files()
    {
        var data = Bytes(200_000, 3);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _store.PutAsync(data))));
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
