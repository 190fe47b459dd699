// Event ids of every log message of the blob stores, in one place so that they stay unique.
namespace Rtfm.Persistence.AzureBlob.Storage;

public static class BlobEventIds
{
    // Resilience (all blob stores).
    public const int Retry = 41001;
    public const int CircuitOpened = 41002;
    public const int CircuitClosed = 41003;
    public const int ContainerCreated = 41004;

    // Grain storage.
    public const int StateRead = 41101;
    public const int StateNotFound = 41102;
    public const int StateWritten = 41103;
    public const int StateCleared = 41104;
    public const int StateConflict = 41105;
    public const int StateError = 41106;
    public const int InitFailed = 41107;
    public const int Initialized = 41108;

    // Content stores.
    public const int ContentCorrupt = 41201;
    public const int PrefixDeleted = 41202;
}
