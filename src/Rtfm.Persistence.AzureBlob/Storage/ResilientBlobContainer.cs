// One blob container behind one Polly pipeline: every call to the service goes through
// RunAsync, so retries, the per-attempt timeout and the circuit breaker see all of them. The
// container is created on demand (also after the service lost it, e.g. a restarted emulator).
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Rtfm.Persistence.AzureBlob.Providers;

namespace Rtfm.Persistence.AzureBlob.Storage;

public sealed partial class ResilientBlobContainer
{
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly ILogger _logger;

    public ResilientBlobContainer(AzureBlobConnectionOptions options, string name, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = AzureBlobOptionsValidator.Validate(options, name);
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        Name = name;
        _logger = logger;
        var r = options.Resilience;
        var clientOptions = new BlobClientOptions();
        // Polly retries; retries inside the SDK (5 by default, exponential) would stretch one
        // attempt over minutes during an outage and hide the failures from the circuit breaker.
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = r.AttemptTimeout + TimeSpan.FromSeconds(1);
        var service = options.ConnectionString is { Length: > 0 } cs
            ? new BlobServiceClient(cs, clientOptions)
            : options.Credential is { } credential
                ? new BlobServiceClient(options.ServiceUri!, credential, clientOptions)
                : new BlobServiceClient(options.ServiceUri!, clientOptions);
        Container = service.GetBlobContainerClient(options.ContainerName);
        _pipeline = BuildPipeline(r);
    }

    /// <summary>The provider or store name this container serves (for logs).</summary>
    public string Name { get; }

    public BlobContainerClient Container { get; }

    /// <summary>Closed = healthy; Open = calls fail at once (storage down); HalfOpen = a trial call is probing.</summary>
    public CircuitState CircuitState => _circuit.CircuitState;

    private ResiliencePipeline BuildPipeline(BlobResilienceOptions r)
    {
        var transient = new PredicateBuilder().Handle<Exception>(BlobFailures.IsTransient);
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = r.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = r.RetryBaseDelay,
                MaxDelay = r.RetryMaxDelay,
                OnRetry = args =>
                {
                    LogRetry(Name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "(no exception)");
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = r.FailureRatio,
                MinimumThroughput = r.MinimumThroughput,
                SamplingDuration = r.SamplingDuration,
                BreakDuration = r.BreakDuration,
                StateProvider = _circuit,
                OnOpened = args =>
                {
                    LogCircuitOpened(Name, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message ?? "(no exception)");
                    return default;
                },
                OnClosed = _ =>
                {
                    LogCircuitClosed(Name);
                    return default;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = r.AttemptTimeout })
            .Build();
    }

    /// <summary>Runs one blob operation under the pipeline.</summary>
    public ValueTask<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(operation, cancellationToken);

    /// <summary>Runs a write; when the container is missing (404 ContainerNotFound), creates it and runs the write once more.</summary>
    public async ValueTask<T> RunCreatingContainerAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (BlobFailures.IsContainerNotFound(e))
        {
            LogCreatingContainer(Name, Container.Name);
            await CreateContainerAsync(cancellationToken).ConfigureAwait(false);
            return await RunAsync(operation, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask CreateContainerAsync(CancellationToken cancellationToken) =>
        await RunAsync(async ct => await Container.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    [LoggerMessage(EventId = BlobEventIds.Retry, Level = LogLevel.Warning,
        Message = "Blob store {Name}: attempt {Attempt} failed transiently, retrying in {DelayMs:F0} ms: {Reason}")]
    private partial void LogRetry(string name, int attempt, double delayMs, string reason);

    [LoggerMessage(EventId = BlobEventIds.CircuitOpened, Level = LogLevel.Error,
        Message = "Blob store {Name}: circuit opened for {BreakSeconds:F1} s, calls fail at once until a trial call succeeds: {Reason}")]
    private partial void LogCircuitOpened(string name, double breakSeconds, string reason);

    [LoggerMessage(EventId = BlobEventIds.CircuitClosed, Level = LogLevel.Information,
        Message = "Blob store {Name}: circuit closed, storage answers again")]
    private partial void LogCircuitClosed(string name);

    [LoggerMessage(EventId = BlobEventIds.ContainerCreated, Level = LogLevel.Information,
        Message = "Blob store {Name}: container {Container} was missing, creating it")]
    private partial void LogCreatingContainer(string name, string container);
}
