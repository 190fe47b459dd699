// The embedded content store: one file per object under ROOT/ab/cd/<hex>, written to a
// temporary file and renamed into place (a crash never leaves a partial object under its name),
// verified against its name on every read.
namespace Rtfm.Storage;

public sealed class FileContentStore : IContentStore
{
    private readonly string _root;

    public FileContentStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    private string PathOf(ContentName name) => Path.Combine(_root, name.Hex[..2], name.Hex[2..4], name.Hex);

    public Task<ContentName> PutAsync(ReadOnlyMemory<byte> content, bool durable = true, CancellationToken cancellationToken = default)
    {
        try { return Task.FromResult(Put(content.Span, durable, cancellationToken)); }
        catch (Exception ex) { return Task.FromException<ContentName>(ex); }
    }

    private ContentName Put(ReadOnlySpan<byte> content, bool durable, CancellationToken cancellationToken)
    {
        var name = ContentName.Of(content);
        string path = PathOf(name);
        if (File.Exists(path)) return name; // same name, same bytes: nothing to do
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            // Synchronous writes on the calling thread: on Linux a FileStream's "async" write is a
            // blocking write queued to the thread pool, and the silo calls this from its idle-priority
            // background thread precisely so that the write never competes with a render.
            cancellationToken.ThrowIfCancellationRequested();
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                fs.Write(content);
                if (durable) fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true); // a concurrent writer of the same name wrote the same bytes
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        return name;
    }

    public async Task<byte[]?> GetAsync(ContentName name, CancellationToken cancellationToken = default)
    {
        string path = PathOf(name);
        byte[] bytes;
        try { bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        if (!name.Matches(bytes)) throw new InvalidDataException($"stored object {name} is corrupt: its bytes no longer hash to its name ({path})");
        return bytes;
    }

    public Task<bool> ExistsAsync(ContentName name, CancellationToken cancellationToken = default) => Task.FromResult(File.Exists(PathOf(name)));

    public Task<bool> DeleteAsync(ContentName name, CancellationToken cancellationToken = default)
    {
        string path = PathOf(name);
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }
}
