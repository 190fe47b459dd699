// Options of the blob-backed stores: where the account is (connection string, or service URI
// with a credential), which container, and the resilience figures every blob call runs under.
using Azure.Core;
using Orleans.Storage;

namespace Rtfm.Persistence.AzureBlob.Providers;

/// <summary>Account, container and resilience settings shared by the blob grain storage and the blob content stores.</summary>
public abstract class AzureBlobConnectionOptions
{
    /// <summary>A storage connection string (for Azurite: <c>UseDevelopmentStorage=true</c>). Set this or <see cref="ServiceUri"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, e.g. https://ACCOUNT.blob.core.windows.net (a SAS token may be in its query). Set this or <see cref="ConnectionString"/>.</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Credential used with <see cref="ServiceUri"/> (e.g. a managed identity); null = the URI alone (SAS or public).</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>The blob container; created on first use when missing.</summary>
    public abstract string ContainerName { get; set; }

    /// <summary>Retry, timeout and circuit-breaker figures around every blob call.</summary>
    public BlobResilienceOptions Resilience { get; set; } = new();
}

/// <summary>Options of <see cref="Storage.AzureBlobGrainStorage"/>.</summary>
public sealed class AzureBlobGrainStorageOptions : AzureBlobConnectionOptions, IStorageProviderSerializerOptions
{
    public const string DEFAULT_CONTAINER_NAME = "grainstate";
    public const int DEFAULT_INIT_STAGE = ServiceLifecycleStage.ApplicationServices;

    public override string ContainerName { get; set; } = DEFAULT_CONTAINER_NAME;

    /// <summary>Silo lifecycle stage at which the container is created (best effort: start never waits on a storage outage).</summary>
    public int InitStage { get; set; } = DEFAULT_INIT_STAGE;

    /// <summary>The grain state serializer; Orleans' configured default when left null.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>Options of <see cref="Storage.AzureBlobContentStores"/>.</summary>
public sealed class AzureBlobContentStoreOptions : AzureBlobConnectionOptions
{
    public const string DEFAULT_CONTAINER_NAME = "content";

    public override string ContainerName { get; set; } = DEFAULT_CONTAINER_NAME;
}

/// <summary>
/// The policy around every blob call, outermost first: retry (jittered exponential backoff,
/// transient failures only), circuit breaker, per-attempt timeout. The SDK's own retries are off.
/// </summary>
public sealed class BlobResilienceOptions
{
    public const int DEFAULT_MAX_RETRY_ATTEMPTS = 3;
    public static readonly TimeSpan DEFAULT_RETRY_BASE_DELAY = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan DEFAULT_RETRY_MAX_DELAY = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DEFAULT_ATTEMPT_TIMEOUT = TimeSpan.FromSeconds(10);
    public const double DEFAULT_FAILURE_RATIO = 0.5;
    public const int DEFAULT_MINIMUM_THROUGHPUT = 4;
    public static readonly TimeSpan DEFAULT_SAMPLING_DURATION = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DEFAULT_BREAK_DURATION = TimeSpan.FromSeconds(5);

    /// <summary>Retries after the first attempt (0 = no retry).</summary>
    public int MaxRetryAttempts { get; set; } = DEFAULT_MAX_RETRY_ATTEMPTS;

    /// <summary>Median delay before the first retry; doubles each retry, jittered.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DEFAULT_RETRY_BASE_DELAY;

    /// <summary>Upper bound of one retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DEFAULT_RETRY_MAX_DELAY;

    /// <summary>Time one attempt may take before it is cancelled (and retried).</summary>
    public TimeSpan AttemptTimeout { get; set; } = DEFAULT_ATTEMPT_TIMEOUT;

    /// <summary>Share of failed attempts within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; set; } = DEFAULT_FAILURE_RATIO;

    /// <summary>Attempts needed within <see cref="SamplingDuration"/> before the ratio is judged.</summary>
    public int MinimumThroughput { get; set; } = DEFAULT_MINIMUM_THROUGHPUT;

    public TimeSpan SamplingDuration { get; set; } = DEFAULT_SAMPLING_DURATION;

    /// <summary>How long an open circuit fails calls at once before letting one trial call through.</summary>
    public TimeSpan BreakDuration { get; set; } = DEFAULT_BREAK_DURATION;
}
