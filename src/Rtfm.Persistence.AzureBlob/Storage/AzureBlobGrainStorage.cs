// Orleans grain storage on Azure Blob storage: one blob per grain state, optimistic
// concurrency through ETags (If-None-Match:* for the first write, If-Match after), every call
// behind the Polly pipeline of ResilientBlobContainer. A lost race is an
// InconsistentStateException, never a silent overwrite.
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Rtfm.Persistence.AzureBlob.Providers;

namespace Rtfm.Persistence.AzureBlob.Storage;

public sealed partial class AzureBlobGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _name;
    private readonly AzureBlobGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger<AzureBlobGrainStorage> _logger;

    public AzureBlobGrainStorage(string name, AzureBlobGrainStorageOptions options, IActivatorProvider activators, ILogger<AzureBlobGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _name = name;
        _options = options;
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"AzureBlobGrainStorageOptions '{name}': GrainStorageSerializer is null; register the storage with AddAzureBlobGrainStorage (it sets Orleans' default serializer) or set one.", nameof(options));
        _activators = activators;
        _logger = logger;
        Blobs = new ResilientBlobContainer(options, name, logger);
    }

    /// <summary>The container and its pipeline (its circuit state tells whether storage is reachable).</summary>
    public ResilientBlobContainer Blobs { get; }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string blobName = GrainStateBlobNames.Of(stateName, grainId);
        var blob = Blobs.Container.GetBlobClient(blobName);
        try
        {
            var result = await Blobs.RunAsync(async ct => (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value, CancellationToken.None).ConfigureAwait(false);
            string etag = result.Details.ETag.ToString();
            if (result.Content.ToMemory().IsEmpty)
            {
                // An empty blob holds no state (a cleared record some other writer left); its ETag still guards the next write.
                grainState.State = CreateInstance<T>();
                grainState.RecordExists = false;
            }
            else
            {
                grainState.State = _serializer.Deserialize<T>(result.Content) ?? CreateInstance<T>();
                grainState.RecordExists = true;
            }
            grainState.ETag = etag;
            LogRead(_name, grainId, blobName, etag);
        }
        catch (RequestFailedException e) when (BlobFailures.IsNotFound(e))
        {
            Reset(grainState);
            LogNotFound(_name, grainId, blobName);
        }
        catch (Exception e)
        {
            LogError(e, _name, "read", grainId, blobName);
            throw;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string blobName = GrainStateBlobNames.Of(stateName, grainId);
        var blob = Blobs.Container.GetBlobClient(blobName);
        var upload = new BlobUploadOptions
        {
            Conditions = Expect(grainState.ETag),
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        };
        try
        {
            var content = _serializer.Serialize(grainState.State);
            var info = await Blobs.RunCreatingContainerAsync(async ct => (await blob.UploadAsync(content, upload, ct).ConfigureAwait(false)).Value, CancellationToken.None).ConfigureAwait(false);
            grainState.ETag = info.ETag.ToString();
            grainState.RecordExists = true;
            LogWritten(_name, grainId, blobName, grainState.ETag);
        }
        catch (RequestFailedException e) when (BlobFailures.IsConditionFailed(e) || (BlobFailures.IsNotFound(e) && !BlobFailures.IsContainerNotFound(e)))
        {
            throw Conflict(e, "write", grainId, blobName, grainState.ETag);
        }
        catch (Exception e)
        {
            LogError(e, _name, "write", grainId, blobName);
            throw;
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string blobName = GrainStateBlobNames.Of(stateName, grainId);
        var blob = Blobs.Container.GetBlobClient(blobName);
        var conditions = Expect(grainState.ETag);
        try
        {
            // A blob already gone (or its container) is cleared; one with another ETag is a conflict.
            await Blobs.RunAsync(async ct => (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, ct).ConfigureAwait(false)).Value, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (BlobFailures.IsConditionFailed(e))
        {
            throw Conflict(e, "clear", grainId, blobName, grainState.ETag);
        }
        catch (Exception e)
        {
            LogError(e, _name, "clear", grainId, blobName);
            throw;
        }
        // Orleans 10 leaves the state object as it was after a clear; a provider must reset it.
        Reset(grainState);
        LogCleared(_name, grainId, blobName);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(AzureBlobGrainStorage)}-{_name}", _options.InitStage, InitAsync);

    /// <summary>
    /// Creates the container if it can within one attempt's time. Start never waits on a storage
    /// outage: writes create the container on demand, and reads of a missing container are empty.
    /// </summary>
    private async Task InitAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.Resilience.AttemptTimeout);
        try
        {
            await Blobs.CreateContainerAsync(cts.Token).ConfigureAwait(false);
            LogInitialized(_name, Blobs.Container.Name);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogInitFailed(e, _name, Blobs.Container.Name);
        }
    }

    private static BlobRequestConditions Expect(string? etag) => string.IsNullOrEmpty(etag)
        ? new BlobRequestConditions { IfNoneMatch = ETag.All }
        : new BlobRequestConditions { IfMatch = new ETag(etag) };

    private InconsistentStateException Conflict(RequestFailedException e, string operation, GrainId grainId, string blobName, string? etag)
    {
        LogConflict(_name, operation, grainId, blobName, etag ?? "(none)", e.Status);
        return new InconsistentStateException(
            $"Blob grain storage '{_name}': {operation} of {grainId} lost an optimistic-concurrency race (blob {Blobs.Container.Name}/{blobName}, expected ETag {etag ?? "(none: first write)"}, status {e.Status}); read the state again and retry.",
            "Unknown", etag ?? "", e);
    }

    private void Reset<T>(IGrainState<T> grainState)
    {
        grainState.State = CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private T CreateInstance<T>() => _activators.GetActivator<T>().Create();

    [LoggerMessage(EventId = BlobEventIds.StateRead, Level = LogLevel.Trace, Message = "Grain storage {Name}: read {GrainId} from {BlobName} (ETag {ETag})")]
    private partial void LogRead(string name, GrainId grainId, string blobName, string etag);

    [LoggerMessage(EventId = BlobEventIds.StateNotFound, Level = LogLevel.Trace, Message = "Grain storage {Name}: no state for {GrainId} at {BlobName}")]
    private partial void LogNotFound(string name, GrainId grainId, string blobName);

    [LoggerMessage(EventId = BlobEventIds.StateWritten, Level = LogLevel.Trace, Message = "Grain storage {Name}: wrote {GrainId} to {BlobName} (ETag {ETag})")]
    private partial void LogWritten(string name, GrainId grainId, string blobName, string? etag);

    [LoggerMessage(EventId = BlobEventIds.StateCleared, Level = LogLevel.Trace, Message = "Grain storage {Name}: cleared {GrainId} at {BlobName}")]
    private partial void LogCleared(string name, GrainId grainId, string blobName);

    [LoggerMessage(EventId = BlobEventIds.StateConflict, Level = LogLevel.Warning, Message = "Grain storage {Name}: {Operation} of {GrainId} at {BlobName} with ETag {ETag} refused (status {Status}): another writer changed the state")]
    private partial void LogConflict(string name, string operation, GrainId grainId, string blobName, string etag, int status);

    [LoggerMessage(EventId = BlobEventIds.StateError, Level = LogLevel.Error, Message = "Grain storage {Name}: {Operation} of {GrainId} at {BlobName} failed")]
    private partial void LogError(Exception exception, string name, string operation, GrainId grainId, string blobName);

    [LoggerMessage(EventId = BlobEventIds.Initialized, Level = LogLevel.Information, Message = "Grain storage {Name}: container {Container} ready")]
    private partial void LogInitialized(string name, string container);

    [LoggerMessage(EventId = BlobEventIds.InitFailed, Level = LogLevel.Warning, Message = "Grain storage {Name}: container {Container} could not be checked at start; it is created on the first write")]
    private partial void LogInitFailed(Exception exception, string name, string container);
}

/// <summary>Builds the named storage from its named options (the factory Orleans' AddGrainStorage takes).</summary>
public static class AzureBlobGrainStorageFactory
{
    public static AzureBlobGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<AzureBlobGrainStorageOptions>>().Get(name);
        return ActivatorUtilities.CreateInstance<AzureBlobGrainStorage>(services, name, options);
    }
}
